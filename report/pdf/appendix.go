package pdf

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/report"
)

// ---- evidence appendix ----

// addrKey identifies an address's evidence: the capability probe is made
// once per address and the certificate checked once per address and MX
// name, so the same host name and address carry the same evidence in every
// domain that uses them.
type addrKey struct{ host, ip string }

// addrUse is who uses one address's evidence, and where it was printed.
type addrUse struct {
	vendors, domains []string
	// page and link are where the evidence was printed; page is 0 until then.
	page, link int
	domain     string
}

func (d *reportDoc) appendix() {
	r := d.r
	d.prosePara(sBody, "appendix.intro", d.data())
	d.uses = map[addrKey]*addrUse{}
	d.probes = map[string]*probeSeen{}
	d.printed = map[string]*probeSeen{}
	if d.appendixLimit < 0 || r.DomainCount() <= d.appendixLimit {
		// Every domain, read one at a time: once to count who shares each
		// address, once to draw.
		d.fail(r.EachDomain(func(dv *report.DomainView) error {
			d.countUses(dv)
			return nil
		}))
		d.fail(r.EachDomain(func(dv *report.DomainView) error {
			d.domain(*dv)
			return d.err
		}))
		return
	}
	domains, err := riskiestDomains(r, d.appendixLimit)
	if err != nil {
		d.fail(err)
		return
	}
	if left := r.DomainCount() - len(domains); left > 0 {
		d.prosePara(sBody, "appendix.limited", d.data("Shown", len(domains), "Left", left))
	}
	for i := range domains {
		d.countUses(&domains[i])
	}
	for _, dv := range domains {
		d.domain(dv)
	}
}

// probeSeen is the capability evidence of an address as first printed:
// versions, suites and dialogue come from the one probe made per address,
// whichever MX name led to it.
type probeSeen struct {
	versions   []report.VersionView
	transcript []string
	host, ip   string
	page, link int
}

// countUses notes the domain and its vendors against each of its addresses.
func (d *reportDoc) countUses(dv *report.DomainView) {
	for _, mx := range dv.MX {
		for _, a := range mx.Addresses {
			k := addrKey{mx.Host, a.IP}
			u := d.uses[k]
			if u == nil {
				u = &addrUse{}
				d.uses[k] = u
			}
			u.domains = appendNew(u.domains, dv.Domain)
			for _, v := range dv.Vendors {
				u.vendors = appendNew(u.vendors, v)
			}
		}
	}
}

// appendNew appends v unless it is the last element already (domains and
// vendors arrive grouped) or anywhere in a short list.
func appendNew(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// riskiestDomains picks the views of the first limit domains in the vendor
// table's order (riskiest first) for a capped appendix. A domain listed by
// several vendors is taken at its first row (the first of its own rows).
func riskiestDomains(r *report.Report, limit int) ([]report.DomainView, error) {
	out := make([]report.DomainView, 0, limit)
	err := r.EachVendor(report.VendorQuery{}, func(v *report.VendorRow) error {
		if len(out) == limit {
			return report.ErrStop
		}
		if slices.ContainsFunc(out, func(dv report.DomainView) bool { return dv.Domain == v.Domain }) {
			return nil
		}
		dv, ok, err := r.DomainNamed(v.Domain)
		if err != nil {
			return err
		}
		if ok {
			out = append(out, *dv)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// gradeRow draws a grade with its explanation beside it, one row, with no
// gap below: the key-value grid of the same block continues it.
func (d *doc) gradeRow(label string, grade cell, why string) {
	d.table(table{tight: true, rows: [][]cell{{{text: label, fill: labelFill, bold: true}, grade, txt(why)}},
		cols: []column{col("", 0.17), {share: 0.07, align: "C", style: sTable}, col("", 0.76)}})
}

// kv is one label and value of a key-value grid.
type kv struct {
	label string
	value cell
}

// pairs draws key-value items compactly: values short enough for half the
// width two to a row, the longer ones below across the width.
func (d *doc) pairs(items []kv) {
	const labelShare, valueShare = 0.17, 0.33
	d.setStyle(sTable)
	limit := contentW*valueShare - 2*cellMargin
	var short, long []kv
	for _, it := range items {
		text := it.value.text
		if it.value.lines != nil {
			text = strings.Join(it.value.lines, " ")
		}
		if it.value.lines == nil && d.f.GetStringWidth(d.clean(text)) <= limit {
			short = append(short, it)
		} else {
			long = append(long, it)
		}
	}
	var rows [][]cell
	for i := 0; i < len(short); i += 2 {
		row := []cell{{text: short[i].label, fill: labelFill, bold: true}, short[i].value}
		if i+1 < len(short) {
			row = append(row, cell{text: short[i+1].label, fill: labelFill, bold: true}, short[i+1].value)
		} else {
			row = append(row, cell{fill: labelFill}, txt(""))
		}
		rows = append(rows, row)
	}
	if len(rows) > 0 {
		d.table(table{rows: rows, tight: len(long) > 0, cols: []column{
			col("", labelShare), col("", valueShare), col("", labelShare), col("", valueShare)}})
	}
	rows = rows[:0]
	for _, it := range long {
		rows = append(rows, []cell{{text: it.label, fill: labelFill, bold: true}, it.value})
	}
	if len(rows) > 0 {
		d.table(table{rows: rows, cols: []column{col("", labelShare), col("", 1-labelShare)}})
	}
}

func (d *reportDoc) domain(dv report.DomainView) {
	title := dv.Domain
	if len(dv.Vendors) > 0 {
		title += " — " + strings.Join(dv.Vendors, ", ")
	}
	ctx := dv.Domain
	d.headingOpt(pendingHeading{style: sH2, title: title, level: 1, toc: true, context: &ctx})
	label := func(name string) string { return d.text("label."+name, nil) }
	fill, fg := gradeColours(dv.Grade)
	g := dv.Grade
	if dv.Incomplete {
		g += " " + d.text("value.incomplete", nil)
	}
	d.gradeRow(label("grade"), cell{text: g, fill: fill, color: fg, bold: true}, dv.GradeExplanation)
	var items []kv
	if dv.Input != "" && dv.Input != dv.Domain {
		items = append(items, kv{label("as_listed"), txt(dv.Input)})
	}
	forced := human(dv.ForcedTLS)
	if dv.ForcedReason != "" {
		forced += ": " + dv.ForcedReason
	}
	items = append(items,
		kv{label("forced"), txt(forced)},
		kv{label("mx"), txt(human(dv.MXKind) + ", " + human(dv.MXLookup))},
	)
	if dv.DNSSEC != "" {
		items = append(items, kv{label("dnssec"), txt(human(dv.DNSSEC))})
	}
	sts := human(dv.MTASTS)
	if dv.MTASTSDetail != "" {
		sts += ": " + dv.MTASTSDetail
	}
	items = append(items,
		kv{label("mta_sts"), txt(sts)},
		kv{label("tls_rpt"), txt(dv.TLSRPT)},
		kv{label("audited_at"), txt(dv.AuditedAt.UTC().Format(timeLayout))},
	)
	items = append(items, d.listColumns(dv.Domain)...)
	d.pairs(items)
	if len(dv.MX) == 0 {
		d.prosePara(sSmall, "appendix.no_mx", d.data("Domain", dv))
	}
	for _, mx := range dv.MX {
		d.mx(dv, mx)
	}
}

// listColumns gives, in one row, the vendor list's contact and notes for
// the rows that name domain, so the evidence of a domain says whom to write
// to and what the list's owner noted; owner, tier and tags are in the
// vendor table. A domain listed by several vendors names each vendor.
func (d *reportDoc) listColumns(domain string) []kv {
	var rows []report.VendorRow
	d.fail(d.r.EachVendor(report.VendorQuery{Domain: domain}, func(v *report.VendorRow) error {
		rows = append(rows, *v)
		return nil
	}))
	var parts []string
	for _, v := range rows {
		var its []string
		if v.Contact != "" {
			its = append(its, v.Contact)
		}
		if v.Notes != "" {
			its = append(its, v.Notes)
		}
		if len(its) == 0 {
			continue
		}
		text := strings.Join(its, " · ")
		if len(rows) > 1 {
			text = v.Vendor + ": " + text
		}
		parts = append(parts, text)
	}
	if len(parts) == 0 {
		return nil
	}
	return []kv{{d.text("label.vendor_list", nil), txt(strings.Join(parts, "; "))}}
}

// timeLayout is how the appendix prints instants: UTC, to the second.
const timeLayout = "2006-01-02 15:04:05 MST"

func (d *reportDoc) mx(dv report.DomainView, mx report.MXView) {
	// The MX's DANE status is in its title; its TLSA records, when it
	// has any, below it.
	d.heading(sH3, d.text("appendix.mx_title", d.data("MX", mx, "DANE", human(mx.DANE))), -1)
	fill, fg := gradeColours(mx.Grade)
	d.gradeRow(d.text("label.grade", nil), cell{text: mx.Grade, fill: fill, color: fg, bold: true}, mx.GradeExplanation)
	if len(mx.TLSA) > 0 {
		d.pairs([]kv{{d.text("label.tlsa", nil), cell{lines: mx.TLSA}}})
	} else {
		d.gap(2)
	}
	// Addresses whose evidence was printed with an earlier domain (a
	// shared provider's) are listed together, each with its grade and why.
	var shared []report.AddressView
	for _, a := range mx.Addresses {
		if u := d.uses[addrKey{mx.Host, a.IP}]; u != nil && u.page != 0 {
			shared = append(shared, a)
			continue
		}
		d.address(dv, mx, a)
	}
	if len(shared) > 0 {
		d.sharedAddresses(dv, mx, shared)
	}
}

// sharedAddresses draws the addresses of mx printed with an earlier
// domain: one row each with the grade and its reason (the domain's own,
// as its domain and host findings count), then where their evidence is.
func (d *reportDoc) sharedAddresses(dv report.DomainView, mx report.MXView, as []report.AddressView) {
	ctx := dv.Domain + " › " + mx.Host
	d.headingOpt(pendingHeading{style: sSmallBold, level: -1, context: &ctx,
		title: d.text("appendix.shared_title", d.data("MX", mx, "Count", len(as)))})
	rows := make([][]cell, 0, len(as))
	// Addresses printed on one page with one domain and serving the same
	// vendors share one line: a provider's pool would repeat it per address.
	type place struct {
		page   int
		domain string
		users  string
	}
	var places []*addrUse
	first := map[place]*addrUse{}
	ips := map[*addrUse][]string{}
	for _, a := range as {
		fill, fg := gradeColours(a.Grade)
		rows = append(rows, []cell{{text: a.IP, fill: labelFill, bold: true}, {text: a.Grade, fill: fill, color: fg, bold: true},
			txt(a.GradeExplanation)})
		u := d.uses[addrKey{mx.Host, a.IP}]
		k := place{u.page, u.domain, strings.Join(u.vendors, "\x00")}
		if f, ok := first[k]; ok {
			u = f
		} else {
			first[k] = u
			places = append(places, u)
		}
		ips[u] = append(ips[u], a.IP)
	}
	d.table(table{rows: rows, tight: true, cols: []column{col("", 0.17), {share: 0.07, align: "C", style: sTable}, col("", 0.76)}})
	d.gap(1.5)
	for _, u := range places {
		d.linkPara(sSmall, d.text("appendix.shared_see_many", d.data("IPs", strings.Join(ips[u], ", "), "Page", u.page,
			"Domain", u.domain, "Count", len(u.vendors), "Vendors", strings.Join(u.vendors, ", "))), u.link)
	}
	for _, a := range as {
		d.waived(dv, mx, a)
	}
	d.gap(2)
}

// checkResult words a check result and colours the failures.
func (d *reportDoc) checkResult(name, res string) cell {
	key := "result." + strings.NewReplacer("/", "", "_", "").Replace(res)
	text := human(res)
	if d.prose.Has(key) {
		text = d.text(key, nil)
	}
	switch {
	case res == "":
		return cell{text: d.text("result.absent", nil), color: grey}
	case res == string(grade.Fail):
		return cell{text: text, color: badRed, bold: true}
	case res == string(grade.Pass):
		return cell{text: text, color: goodGreen}
	}
	return cell{text: text, color: grey}
}

// address draws one address's evidence, or, when the same host and
// address were printed with an earlier domain, its grade and where the
// evidence is. Evidence identical to an address printed earlier (the same
// cipher suites, probes and dialogue on another address of one provider)
// is referred to, not printed again.
func (d *reportDoc) address(dv report.DomainView, mx report.MXView, a report.AddressView) {
	title := d.text("appendix.address_title", d.data("MX", mx, "Address", a))
	ctx := dv.Domain + " › " + mx.Host + " (" + a.IP + ")"
	u := d.uses[addrKey{mx.Host, a.IP}]
	if u == nil { // a view not counted (cannot happen): draw it whole
		u = &addrUse{}
	}
	first := u.page == 0
	h := pendingHeading{style: sH3, title: title, level: 2, context: &ctx}
	if first {
		h.drawn = func(page, link int) { u.page, u.link, u.domain = page, link, dv.Domain }
	}
	d.headingOpt(h)
	label := func(name string) string { return d.text("label."+name, nil) }
	fill, fg := gradeColours(a.Grade)
	// The grade's reason is the domain's own (its domain and host findings
	// count), so it is printed even where the evidence is shared.
	d.gradeRow(label("grade"), cell{text: a.Grade, fill: fill, color: fg, bold: true}, a.GradeExplanation)
	if !first {
		d.gap(2)
		d.linkPara(sSmall, d.text("appendix.shared_see", d.data("Page", u.page, "Domain", u.domain,
			"Count", len(u.vendors), "Vendors", strings.Join(u.vendors, ", "))), u.link)
		d.waived(dv, mx, a)
		d.gap(2)
		return
	}
	// The same address probed under another MX name: its probe, versions,
	// suites and dialogue are printed once; the checks and certificates,
	// judged against this name, are printed here.
	ps := d.probes[a.IP]
	sameProbe := ps != nil && reflect.DeepEqual(ps.versions, a.Versions) && slices.Equal(ps.transcript, a.Transcript)
	var items []kv
	if !sameProbe {
		probe := human(a.ProbeStatus)
		if a.Connections > 0 {
			probe += " · " + d.text("appendix.connections", d.data("N", a.Connections))
		}
		items = append(items, kv{label("probe"), txt(probe)})
		if !a.ProbedAt.IsZero() {
			items = append(items, kv{label("probed_at"), txt(a.ProbedAt.UTC().Format(timeLayout))})
		}
		if a.Protocol != "" {
			items = append(items, kv{label("negotiated"), txt(a.Protocol)})
		}
	}
	if a.DANE != "" {
		items = append(items, kv{label("dane"), txt(a.DANE)})
	}
	if !sameProbe {
		if a.ProbeError != "" {
			items = append(items, kv{label("error"), cell{text: a.ProbeError, color: badRed}})
		}
		if a.HandshakeError != "" {
			items = append(items, kv{label("handshake_error"), cell{text: a.HandshakeError, color: badRed}})
		}
		if a.Throttled != "" {
			items = append(items, kv{label("throttled"), txt(a.Throttled)})
		}
		// The greeting opens the dialogue printed below (or referred to).
		if a.Banner != "" && (len(a.Transcript) == 0 || a.Transcript[0] != "S: "+a.Banner) {
			items = append(items, kv{label("banner"), txt(a.Banner)})
		}
	}
	d.pairs(items)
	if len(items) == 0 {
		d.gap(2)
	}
	if len(u.domains) > 1 {
		d.para(sSmall, d.text("appendix.shared_here", d.data("Count", len(u.vendors), "Vendors", strings.Join(u.vendors, ", "),
			"Domains", len(u.domains))))
		d.gap(1.5)
	}
	d.waived(dv, mx, a)
	here := &probeSeen{versions: a.Versions, transcript: a.Transcript, host: mx.Host, ip: a.IP, page: u.page, link: u.link}
	if sameProbe {
		d.linkPara(sSmall, d.text("appendix.probe_see", d.data("Page", ps.page, "Host", ps.host, "IP", a.IP)), ps.link)
		d.gap(1.5)
	} else if ps == nil {
		d.probes[a.IP] = here
	}
	// Evidence identical to an earlier address's is referred to, one line
	// per address it is identical to.
	type part struct {
		key, name string
		empty     bool
		draw      func()
	}
	parts := []part{
		// The checks of the same address under another MX name differ
		// only if the certificate's name does; elsewhere they are read
		// beside the grade.
		{key: "k" + a.IP + evidenceKey(a.Checks), name: "part.checks", empty: len(a.Checks) == 0,
			draw: func() { d.checks(a) }},
		{key: "s" + evidenceKey(a.Versions, a.Vulnerabilities), name: "part.suites",
			empty: sameProbe || len(a.Versions) == 0 && len(a.Vulnerabilities) == 0,
			draw:  func() { d.suites(a); d.vulnerabilities(a) }},
		{key: "c" + evidenceKey(certsOf(a)), name: "part.certs", empty: len(certsOf(a)) == 0, draw: func() { d.certificates(a) }},
		{key: "t" + evidenceKey(a.Transcript), name: "part.transcript", empty: sameProbe || len(a.Transcript) == 0,
			draw: func() { d.transcript(a.Transcript) }},
	}
	type ref struct {
		at    *probeSeen
		names []string
	}
	var refs []ref
	var draw []part
	for _, p := range parts {
		if p.empty {
			continue
		}
		at := d.printed[p.key]
		if at == nil {
			d.printed[p.key] = here
			draw = append(draw, p)
			continue
		}
		i := slices.IndexFunc(refs, func(r ref) bool { return r.at == at })
		if i < 0 {
			refs = append(refs, ref{at: at})
			i = len(refs) - 1
		}
		refs[i].names = append(refs[i].names, d.text(p.name, nil))
	}
	for _, r := range refs {
		d.linkPara(sSmall, capitalise(d.text("appendix.same", d.data("Parts", joinAnd(d, r.names), "Page", r.at.page,
			"Host", r.at.host, "IP", r.at.ip))), r.at.link)
		d.gap(1.5)
	}
	for _, p := range draw {
		p.draw()
	}
}

// certsOf lists every certificate an address presents, the primary first.
func certsOf(a report.AddressView) []report.CertView {
	if len(a.Certificates) == 0 && a.Cert != nil {
		return []report.CertView{*a.Cert}
	}
	return a.Certificates
}

// joinAnd joins parts as a sentence lists them: "a", "a and b", "a, b and c".
func joinAnd(d *reportDoc, parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " " + d.text("word.and", nil) + " " + parts[len(parts)-1]
}

// capitalise upper-cases the first letter of s.
func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// evidenceKey is a key under which evidence that prints the same is the
// same: its JSON form, which every field of the model has.
func evidenceKey(parts ...any) string {
	b, err := json.Marshal(parts)
	if err != nil {
		return ""
	}
	return string(b)
}

// checks draws the address's check results, four to a row; the shaded
// labels need no header row.
func (d *reportDoc) checks(a report.AddressView) {
	const perRow = 4
	var crow []cell
	var crows [][]cell
	for _, c := range d.r.Methodology.Checks {
		res, ok := a.Checks[c.Name]
		if !ok {
			continue
		}
		crow = append(crow, cell{text: c.Label, fill: labelFill}, d.checkResult(c.Name, res))
		if len(crow) == 2*perRow {
			crows, crow = append(crows, crow), nil
		}
	}
	if len(crow) > 0 {
		for len(crow) < 2*perRow {
			crow = append(crow, txt(""))
		}
		crows = append(crows, crow)
	}
	if len(crows) > 0 {
		var cols []column
		for range perRow {
			cols = append(cols, col("", 0.141), col("", 0.109))
		}
		d.table(table{rows: crows, cols: cols})
	}
}

// waived names the findings at this address (and its host and domain)
// that a DNSSEC-validated DANE-EE record waives for the grade, and why.
func (d *reportDoc) waived(dv report.DomainView, mx report.MXView, a report.AddressView) {
	var titles []string
	d.fail(d.r.EachFinding(report.FindingQuery{Domain: dv.Domain}, func(f *report.Finding) error {
		if f.Waived != "" && (f.Host == "" || f.Host == mx.Host) && (f.IP == "" || f.IP == a.IP) {
			titles = appendNew(titles, f.Title)
		}
		return nil
	}))
	if len(titles) == 0 {
		return
	}
	d.paraAt(sSmall, d.text("appendix.waived", d.data("Titles", strings.Join(titles, "; "))), marginL, contentW, amber)
	d.gap(1.5)
}

// vulnerabilities draws the known-vulnerability probes of an address, two
// to a row with their CVE, then what the probe saw where it found the
// server vulnerable or could not decide.
func (d *reportDoc) vulnerabilities(a report.AddressView) {
	if len(a.Vulnerabilities) == 0 {
		return
	}
	var rows [][]cell
	var row []cell
	var details []string
	for _, v := range a.Vulnerabilities {
		name := v.Name
		if v.CVE != "" {
			name += ", " + v.CVE
		}
		res := cell{text: human(v.Status), color: grey}
		if key := "vuln." + v.Status; d.prose.Has(key) {
			res.text = d.text(key, nil)
		}
		switch v.Status {
		case "vulnerable":
			res.color, res.bold = badRed, true
		case "not_vulnerable":
			res.color = goodGreen
		}
		row = append(row, cell{text: name, fill: labelFill}, res)
		if len(row) == 4 {
			rows, row = append(rows, row), nil
		}
		if (v.Status == "vulnerable" || v.Status == "inconclusive") && v.Detail != "" {
			details = append(details, d.text("appendix.vuln_detail", d.data("Name", v.Name, "CVE", v.CVE, "Detail", v.Detail)))
		}
	}
	if len(row) > 0 {
		for len(row) < 4 {
			row = append(row, txt(""))
		}
		rows = append(rows, row)
	}
	d.heading(sSmallBold, d.text("appendix.vulns_title", nil), -1)
	d.table(table{rows: rows, tight: len(details) > 0, cols: []column{col("", 0.375), col("", 0.125), col("", 0.375), col("", 0.125)}})
	if len(details) > 0 {
		d.gap(1)
		d.bullets(sSmall, details)
		d.gap(1)
	}
}

// transcript draws the SMTP dialogue in columns, two, or three when every
// line fits a third of the width: it runs down the left one, then on.
func (d *reportDoc) transcript(lines []string) {
	d.heading(sSmallBold, d.text("appendix.transcript_title", nil), -1)
	n := 3
	d.setStyle(sMono)
	esc := make([]string, len(lines))
	for i, l := range lines {
		esc[i] = d.escapeUndrawable(l)
	}
	lines = esc
	for _, l := range lines {
		if d.f.GetStringWidth(d.clean(l))+2*cellMargin > contentW/3 {
			n = 2
			break
		}
	}
	per := (len(lines) + n - 1) / n
	cols := make([]column, n)
	row := make([]cell, n)
	for i := range n {
		cols[i] = monoCol("", 1/float64(n))
		part := lines[min(i*per, len(lines)):min((i+1)*per, len(lines))]
		if len(part) == 0 {
			part = []string{""}
		}
		row[i] = cell{lines: part}
	}
	d.table(table{cols: cols, rows: [][]cell{row}})
}

// linkPara draws a paragraph whose every line links to link.
func (d *doc) linkPara(s styleID, text string, link int) {
	st := d.setStyle(s)
	for _, line := range d.lines(text, contentW) {
		d.need(st.lead)
		d.setStyle(s)
		d.setText(accent)
		d.f.SetXY(marginL, d.f.GetY())
		d.f.CellFormat(contentW, st.lead, line, "", 2, "L", false, link, "")
		d.body = true
	}
	d.setText(ink)
}

// suites draws one line of the versions offered and a table of the
// accepted cipher suites; versions that accept the same suites share
// their rows.
func (d *reportDoc) suites(a report.AddressView) {
	if len(a.Versions) == 0 {
		return
	}
	var vers []string
	type group struct {
		versions []string
		suites   []report.SuiteView
	}
	var groups []group
	for _, v := range a.Versions {
		support := human(v.Support)
		if v.Preference != "" {
			support += ", " + d.text("appendix.preference", d.data("Preference", v.Preference))
		}
		if !v.Complete {
			support += ", " + d.text("appendix.incomplete_list", nil)
		}
		if v.ServerHelloOnly {
			support += ", " + d.text("appendix.hello_only", nil)
		}
		vers = append(vers, v.Version+" "+support)
		if len(v.Suites) == 0 {
			continue
		}
		if n := len(groups); n > 0 && reflect.DeepEqual(groups[n-1].suites, v.Suites) {
			groups[n-1].versions = append(groups[n-1].versions, v.Version)
			continue
		}
		groups = append(groups, group{versions: []string{v.Version}, suites: v.Suites})
	}
	var rows [][]cell
	for _, g := range groups {
		for i, s := range g.suites {
			ver := txt("")
			if i == 0 {
				ver = cell{lines: g.versions, bold: true}
			}
			name := txt(s.Name)
			flags := txt(strings.Join(s.Flags, " "))
			if s.Weak {
				name.color, flags.color = badRed, badRed
			}
			rows = append(rows, []cell{ver, txt(s.Code), name, txt(s.KeyExchange), flags})
		}
	}
	d.para(sSmall, d.text("appendix.versions", d.data("Versions", strings.Join(vers, " · "))))
	d.gap(1)
	if len(rows) == 0 {
		return
	}
	d.table(table{header: true, rows: rows, cols: []column{
		col(d.text("col.version", nil), 0.085), monoCol(d.text("col.code", nil), 0.095), monoCol(d.text("col.suite", nil), 0.385),
		col(d.text("col.kex", nil), 0.2), col(d.text("col.flags", nil), 0.235),
	}})
}

// certificates draws every certificate the address presents (the primary
// one, and those a sender gets with other signature algorithms or without
// SNI), one row each with its judgement, and their fingerprints below.
func (d *reportDoc) certificates(a report.AddressView) {
	certs := certsOf(a)
	if len(certs) == 0 {
		return
	}
	var rows [][]cell
	var shas []string
	for _, c := range certs {
		via := c.Via
		if via == "" {
			via = d.text("cert.primary", nil)
		}
		trusted := human(c.Trusted)
		if c.TrustError != "" {
			trusted += ": " + c.TrustError
		}
		if c.SelfSigned {
			trusted += " (" + d.text("value.self_signed", nil) + ")"
		}
		if c.Trusted == "yes" && c.DaysToExpiry < 0 {
			trusted += " (" + d.text("value.trusted_expired", nil) + ")"
		}
		judge := []string{d.text("cert.trusted", d.data("Trusted", trusted)), d.text("cert.name", d.data("Name", human(c.NameMatch)))}
		if c.ChainIncomplete {
			judge = append(judge, d.text("cert.chain_incomplete", nil))
		}
		bad := c.Trusted == "no" || c.NameMatch == "no" || c.DaysToExpiry < 0 || c.ChainIncomplete
		judgement := cell{lines: judge}
		if bad {
			judgement.color = badRed
		}
		validity := cell{text: d.text("appendix.validity", d.data("Cert", &c))}
		if c.DaysToExpiry < 0 {
			validity.color = badRed
		}
		subject := []string{c.Subject}
		if len(c.SANs) > 0 {
			subject = append(subject, d.text("label.names", nil)+": "+strings.Join(c.SANs, ", "))
		}
		issuer := []string{c.Issuer}
		if chain := c.ChainSubjects; len(chain) > 0 {
			// The chain as sent; the leaf is the subject beside it.
			if chain[0] == c.Subject {
				chain = append([]string{d.text("cert.leaf", nil)}, chain[1:]...)
			}
			issuer = append(issuer, d.text("label.chain", nil)+": "+strings.Join(chain, " ← "))
		}
		rows = append(rows, []cell{{lines: []string{via, fmt.Sprintf("%s %d", c.KeyType, c.KeyBits), c.Signature}},
			{lines: subject}, {lines: issuer}, validity, judgement})
		shas = append(shas, d.text("cert.sha256", d.data("Via", via, "SHA", c.SHA256)))
	}
	title := d.text("appendix.cert_title", nil)
	if len(certs) > 1 {
		title = d.text("appendix.certs_title", d.data("N", len(certs)))
	}
	d.heading(sSmallBold, title, -1)
	d.table(table{header: true, rows: rows, tight: true, cols: []column{
		col(d.text("col.certificate", nil), 0.13), col(d.text("col.subject_names", nil), 0.27),
		col(d.text("col.issuer_chain", nil), 0.27), col(d.text("col.validity", nil), 0.16), col(d.text("col.judgement", nil), 0.17),
	}})
	d.gap(0.8)
	for _, s := range shas {
		d.para(sSmall, s)
	}
	d.gap(2)
}
