package pdf

import (
	"cmp"
	"slices"
	"strings"

	"github.com/mxaudit/mxaudit/report"
)

// ---- remediation ----

// location says where a finding was seen: domain, host, address.
func location(f report.Finding) string {
	s := f.Domain
	if f.Host != "" {
		s += " › " + f.Host
	}
	if f.IP != "" {
		s += " (" + f.IP + ")"
	}
	return s
}

func (d *reportDoc) remediation() {
	r := d.r
	// One walk over the vendors in the table's order: the first
	// remediationLimit vendors with findings are kept to be detailed, the
	// findings of the others counted by kind, the vendors without findings
	// named while there are few enough to list.
	var (
		detailed [][]report.Finding
		names    []string
		rest     kindTally
		clean    []string
		nClean   int
	)
	err := r.EachVendorFindings(func(vendor string, fs []report.Finding) error {
		switch {
		case len(fs) == 0:
			nClean++
			if d.remediationLimit < 0 || len(clean) <= d.remediationLimit {
				clean = append(clean, vendor)
			}
		case d.remediationLimit < 0 || len(detailed) < d.remediationLimit:
			detailed = append(detailed, fs)
			names = append(names, vendor)
		default:
			rest.add(fs)
		}
		return nil
	})
	if err != nil {
		d.fail(err)
		return
	}
	d.prosePara(sBody, "remediation.intro", d.data())
	if rest.vendors > 0 {
		d.prosePara(sBody, "remediation.limited", d.data("Shown", len(detailed), "Left", rest.vendors))
	}
	for _, k := range findingKinds(names, detailed) {
		d.kind(k)
	}
	if rest.vendors > 0 {
		d.findingGroups(&rest)
	}
	if nClean == 0 {
		return
	}
	d.heading(sH2, d.text("remediation.clean_title", d.data()), 1)
	if d.remediationLimit < 0 || nClean <= d.remediationLimit {
		d.bullets(sBody, clean)
		return
	}
	d.prosePara(sBody, "remediation.clean_count", d.data("Count", nClean))
}

// findingKind is one kind of finding (code, title, severity) with every
// finding of that kind among a set of vendors and the vendors that have it.
type findingKind struct {
	findingGroup
	// at holds the findings of the kind in the model's order.
	at []report.Finding
	// names are the vendors with the kind, in the vendor table's order.
	names []string
}

// findingKinds groups the findings of vendors (per vendor, in the vendor
// table's order) by kind, in the order of groupFindings (most severe
// first, then the most widespread).
func findingKinds(vendors []string, per [][]report.Finding) []findingKind {
	groups := groupFindings(per)
	at := make(map[groupKey]int, len(groups))
	out := make([]findingKind, len(groups))
	for i, g := range groups {
		at[groupKey{g.code, g.title, g.severity}] = i
		out[i].findingGroup = g
	}
	seen := map[string]bool{}
	// lastVendor is 1 + the position of the vendor a kind last named.
	lastVendor := make([]int, len(out))
	for n, fs := range per {
		for _, f := range fs {
			k := at[groupKey{f.Code, f.Title, f.Severity}]
			if lastVendor[k] != n+1 {
				lastVendor[k] = n + 1
				out[k].names = append(out[k].names, vendors[n])
			}
			if !seen[f.ID] {
				seen[f.ID] = true
				out[k].at = append(out[k].at, f)
			}
		}
	}
	for i := range out {
		slices.SortStableFunc(out[i].at, func(a, b report.Finding) int {
			return cmp.Or(cmp.Compare(b.SeverityNum, a.SeverityNum), cmp.Compare(a.Domain, b.Domain))
		})
	}
	return out
}

// kind draws one kind of finding once: its severity, the vendors that
// have it, where each instance was seen and what was observed there, then
// why it matters, what to change and the standards behind it.
func (d *reportDoc) kind(k findingKind) {
	// The severity chip and the vendors stay with the title: on its line
	// when all fit there, else on a line of their own below it.
	caption := d.text("remediation.kind_vendors", d.data("Count", len(k.names), "Vendors", strings.Join(k.names, ", "),
		"Title", k.title, "Findings", len(k.at)))
	sev := strings.ToUpper(k.severity)
	chipW := d.chipWidth(sev)
	h3 := d.setStyle(sH3)
	titleW := d.f.GetStringWidth(d.clean(k.title)) + 2*cellMargin
	st := d.setStyle(sSmall)
	capW := d.f.GetStringWidth(d.clean(caption)) + 2*cellMargin
	if titleW+2+chipW+capW <= contentW {
		d.headingOpt(pendingHeading{style: sH3, title: k.title, level: 1, toc: true, height: h3.lead + 1, custom: func() {
			f := d.f
			y := f.GetY()
			d.setStyle(sH3)
			d.setText(ink)
			f.SetXY(marginL, y)
			f.CellFormat(titleW, h3.lead, d.clean(k.title), "", 0, "L", false, 0, "")
			x := d.chip(marginL+titleW+2, y+(h3.lead-st.lead)/2-0.5, sev, severityColour(k.severity))
			d.setStyle(sSmall)
			d.setText(ink)
			f.SetXY(x, y+(h3.lead-st.lead)/2)
			f.CellFormat(marginL+contentW-x, st.lead, d.clean(caption), "", 0, "L", false, 0, "")
			f.SetXY(marginL, y+h3.lead)
			d.body = true
			d.gap(1)
		}})
	} else {
		d.heading(sH3, k.title, 1)
		n := len(d.lines(caption, contentW-chipW))
		d.headingOpt(pendingHeading{height: float64(n)*st.lead + 1, custom: func() {
			f := d.f
			y := f.GetY()
			x := d.chip(marginL, y, sev, severityColour(k.severity))
			f.SetXY(x, y)
			d.paraAt(sSmall, caption, x, marginL+contentW-x, ink)
			d.gap(1)
		}})
	}
	label := func(name string) cell { return txt(d.text("label."+name, nil)) }
	first := k.at[0]
	// Messages that differ only in the names of where they were seen
	// (the same wording for each domain) are printed once, with the list
	// of places; otherwise each place gets its row.
	same := true
	for _, f := range k.at[1:] {
		if generic(f.Message, f) != generic(first.Message, first) || f.Waived != "" || first.Waived != "" {
			same = false
			break
		}
	}
	// One table: where and what was observed, then why it matters, what
	// to change and the standards, the labels in its first column.
	var kvs [][]cell
	if same && len(k.at) > 1 {
		places := make([]string, 0, len(k.at))
		for _, fd := range k.at {
			places = append(places, location(fd)+" ("+strings.Join(fd.Vendors, ", ")+")")
		}
		kvs = append(kvs, []cell{label("where"), txt(strings.Join(places, "; "))},
			[]cell{label("observed"), txt(d.text("remediation.observed_each", d.data("Observed", first.Message, "Where", location(first))))})
	} else {
		newLabel := d.text("label.new", nil)
		for _, fd := range k.at {
			obs := txt(fd.Message)
			if fd.New {
				obs = cell{text: newLabel + ": " + fd.Message, color: accent}
			}
			if fd.Waived != "" {
				// Its points are waived, its fact stands (RFC 7672 §3.1.1).
				obs.lines, obs.text = []string{d.text("label.waived", nil), obs.text}, ""
			}
			kvs = append(kvs, []cell{{lines: []string{strings.Join(fd.Vendors, ", "), location(fd)}}, obs})
		}
	}
	if first.Why != "" {
		kvs = append(kvs, []cell{label("why"), txt(first.Why)})
	}
	// The change, once per distinct wording; wording that names the host
	// or domain is shown for the first place it applies to.
	type fix struct {
		text, generic, where string
		n                    int
	}
	var fixes []fix
	for _, fd := range k.at {
		if fd.Remediation == "" {
			continue
		}
		g := generic(fd.Remediation, fd)
		at := slices.IndexFunc(fixes, func(x fix) bool { return x.generic == g })
		if at < 0 {
			fixes = append(fixes, fix{text: fd.Remediation, generic: g, where: location(fd)})
			at = len(fixes) - 1
		}
		fixes[at].n++
	}
	for _, fx := range fixes {
		text := fx.text
		if fx.n > 1 && fx.generic != fx.text {
			text = d.text("remediation.fix_each", d.data("Fix", fx.text, "Where", fx.where))
		}
		kvs = append(kvs, []cell{label("fix"), txt(text)})
	}
	if cites := d.citations(first.Standards); len(cites) > 0 {
		kvs = append(kvs, []cell{label("standards"), txt(strings.Join(cites, "; "))})
	}
	if len(kvs) > 0 {
		d.table(table{cols: []column{col("", 0.25), col("", 0.75)}, rows: kvs, label: true})
	}
	d.gap(1)
}

// generic replaces the names of where a finding was seen (host, domain,
// address) in a text by markers, so that texts worded alike for different
// places compare equal.
func generic(text string, f report.Finding) string {
	var pairs []string
	if f.Host != "" {
		pairs = append(pairs, f.Host, "\x00host")
	}
	if f.Domain != "" {
		pairs = append(pairs, f.Domain, "\x00domain")
	}
	if f.IP != "" {
		pairs = append(pairs, f.IP, "\x00ip")
	}
	if len(pairs) == 0 {
		return text
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// findingGroups draws the table of the findings of the vendors the
// remediation section does not detail, one row per kind of finding.
func (d *reportDoc) findingGroups(rest *kindTally) {
	d.heading(sH2, d.text("remediation.rest_title", d.data("Left", rest.vendors)), 1)
	d.prosePara(sBody, "remediation.rest_intro", d.data("Left", rest.vendors))
	groups := rest.groups()
	rows := make([][]cell, 0, len(groups))
	for _, g := range groups {
		rows = append(rows, []cell{txt(g.title), txt(g.code),
			{text: g.severity, color: severityColour(g.severity), bold: true},
			txt(itoa(g.vendors)), txt(itoa(g.findings))})
	}
	count := func(head string) column {
		c := col(head, 0.1)
		c.align = "R"
		return c
	}
	d.table(table{header: true, rows: rows, cols: []column{
		col(d.text("col.finding", nil), 0.42), monoCol(d.text("col.code", nil), 0.27),
		col(d.text("col.severity", nil), 0.11), count(d.text("col.vendors", nil)), count(d.text("col.findings", nil)),
	}})
}

// chipWidth is the width a chip and the space after it take.
func (d *doc) chipWidth(text string) float64 {
	d.setStyle(sChip)
	return d.f.GetStringWidth(d.clean(text)) + 2*cellMargin + 1 + 1.5
}

// chip draws a small coloured label at (x, y) and returns the x after it.
func (d *doc) chip(x, y float64, text string, fill rgb) float64 {
	st := d.setStyle(sChip)
	text = d.clean(text)
	w := d.f.GetStringWidth(text) + 2*cellMargin + 1
	d.setFill(fill)
	d.f.Rect(x, y+0.5, w, st.lead, "F")
	d.setText(white)
	d.f.SetXY(x, y+0.5)
	d.f.CellFormat(w, st.lead, text, "", 0, "C", false, 0, "")
	d.setText(ink)
	d.body = true
	return x + w + 1.5
}
