package pdf

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/templates"
)

// reportDoc is the main report being drawn.
type reportDoc struct {
	*doc
	frameworks []templates.Framework
	logo       bool
	// index holds each vendor's findings and vendor-table rows.
	index *vendorIndex
	// appendixLimit caps the domains of the evidence appendix,
	// remediationLimit the vendors the remediation section details and
	// changeLimit the rows of the changes table (< 0: no cap).
	appendixLimit, remediationLimit, changeLimit int
}

// section is one top-level part of the report. Its title is the prose
// block "<key>.title"; it is an outline entry and, unless it is the cover,
// a heading.
type section struct {
	key     string
	newPage bool
	heading bool
	render  func(*reportDoc)
}

// sections lists the report's parts in order: the single source of truth
// for what the PDF contains.
func sections() []section {
	return []section{
		{key: "cover", newPage: true, heading: false, render: (*reportDoc).cover},
		{key: "summary", newPage: true, heading: true, render: (*reportDoc).summary},
		{key: "changes", newPage: false, heading: true, render: (*reportDoc).changes},
		{key: "vendors", newPage: true, heading: true, render: (*reportDoc).vendors},
		{key: "remediation", newPage: true, heading: true, render: (*reportDoc).remediation},
		{key: "methodology", newPage: true, heading: true, render: (*reportDoc).methodology},
		{key: "appendix", newPage: true, heading: true, render: (*reportDoc).appendix},
	}
}

func (d *reportDoc) section(s section) {
	title := d.text(s.key+".title", d.data())
	d.doc.section = title
	if s.newPage {
		d.newPage()
	}
	if s.heading {
		d.heading(sH1, title, 0)
	} else {
		d.setStyle(sBody) // a UTF-8 font must be current for a UTF-16 outline title
		d.f.Bookmark(d.clean(title), 0, -1)
	}
	s.render(d)
}

// data is what every prose block sees, plus extra key-value pairs.
func (d *reportDoc) data(kv ...any) map[string]any {
	r := d.r
	m := map[string]any{
		"Report": r, "Run": r.Run, "Base": r.Base, "Summary": r.Summary, "Org": r.Org,
		"Title": d.title(), "Policy": d.policy(), "Now": d.now,
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	return m
}

func (d *reportDoc) title() string {
	if t := strings.TrimSpace(d.r.Org.Title); t != "" {
		return t
	}
	return d.text("document.default_title", nil)
}

func (d *reportDoc) policy() string {
	if p := strings.TrimSpace(d.r.Org.PolicyLabel); p != "" {
		return p
	}
	return d.r.Run.Policy
}

// setup fixes the footer, the running header and the metadata.
func (d *reportDoc) setup() {
	d.footer = d.text("footer.left", d.data())
	d.f.SetTitle(d.clean(d.title()), true)
	d.f.SetAuthor(d.clean(d.r.Org.Name), true)
	d.f.SetSubject(d.clean(d.text("document.subject", d.data())), true)
	d.header = func() {
		if d.f.PageNo() == 1 {
			return
		}
		f := d.f
		st := d.setStyle(sFooter)
		d.setText(grey)
		left := d.title()
		if d.r.Org.Name != "" {
			left = d.r.Org.Name + " · " + left
		}
		half := contentW / 2
		f.SetXY(marginL, headerY)
		f.CellFormat(half, st.lead, truncateToWidth(d.doc, d.clean(left), half), "", 0, "L", false, 0, "")
		f.SetXY(marginL+half, headerY)
		f.CellFormat(half, st.lead, truncateToWidth(d.doc, d.clean(d.doc.section), half), "", 0, "R", false, 0, "")
		d.setDraw(gridGrey)
		f.SetLineWidth(ruleWidth)
		f.Line(marginL, headerY+st.lead+1, pageW-marginR, headerY+st.lead+1)
		d.setText(ink)
	}
}

// truncateToWidth shortens a one-line text to fit w in the current font.
func truncateToWidth(d *doc, s string, w float64) string {
	limit := w - 2*cellMargin
	if d.f.GetStringWidth(s) <= limit {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && d.f.GetStringWidth(string(r)+"…") > limit {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// ---- colours and values ----

// gradeColours are the fill and text colours of a grade cell.
func gradeColours(g string) (fill, text rgb) {
	switch g {
	case string(grade.GradeAPlus):
		return 0x00602d, white
	case string(grade.GradeA):
		return 0x1a7f37, white
	case string(grade.GradeAMinus):
		return 0x4c993c, white
	case string(grade.GradeB):
		return 0xa3c644, ink
	case string(grade.GradeC):
		return 0xf2c200, ink
	case string(grade.GradeD):
		return 0xf08a24, ink
	case string(grade.GradeF):
		return 0xc62828, white
	case string(grade.GradeInconclusive):
		return 0x8a9199, white
	}
	return 0xd5d9dd, ink
}

// severityColour is the chip colour of a severity.
func severityColour(sev string) rgb {
	switch sev {
	case grade.Critical.String():
		return 0x8e0016
	case grade.High.String():
		return 0xc62828
	case grade.Medium.String():
		return 0xd97706
	case grade.Low.String():
		return 0x3d6a9e
	}
	return 0x6e757d
}

// human turns an enum value into words ("not_eligible" → "not eligible").
func human(s string) string {
	return strings.ReplaceAll(s, "_", " ")
}

func itoa(n int) string { return strconv.Itoa(n) }

func pct(share float64) string { return fmt.Sprintf("%d%%", int(math.Round(share*100))) }

func ratio(n, of int) string { return fmt.Sprintf("%d / %d", n, of) }

// ---- cover ----

func (d *reportDoc) cover() {
	r := d.r
	f := d.f
	y := 30.0
	if d.logo {
		y += d.drawLogo(marginL, y, 60, 25, false) + 6
	}
	f.SetXY(marginL, math.Max(y, 60))
	d.paraAt(sTitle, d.title(), marginL, contentW, accent)
	d.gap(2)
	if r.Org.Name != "" {
		d.paraAt(sSubtitle, r.Org.Name, marginL, contentW, ink)
	}
	d.gap(3)
	d.setDraw(accent)
	f.SetLineWidth(ruleWidth * 3)
	f.Line(marginL, f.GetY(), marginL+40, f.GetY())
	d.gap(8)

	label := func(name string) cell { return txt(d.text("label."+name, d.data())) }
	rows := [][]cell{
		{label("run"), txt(d.text("cover.run", d.data()))},
		{label("audited"), txt(d.text("cover.audited", d.data()))},
		{label("generated"), txt(d.text("cover.generated", d.data()))},
		{label("compared"), txt(d.text("cover.compared", d.data()))},
		{label("policy"), txt(d.text("cover.policy", d.data()))},
		{label("scope"), txt(d.text("cover.scope", d.data()))},
	}
	if r.Run.InputSHA256 != "" {
		rows = append(rows, []cell{label("input"), txt(d.text("cover.input", d.data()))})
	}
	if len(r.Org.Frameworks) > 0 {
		rows = append(rows, []cell{label("frameworks"), txt(strings.Join(r.Org.Frameworks, ", "))})
	}
	rows = append(rows, []cell{label("tool"), txt(d.text("cover.tool", d.data()))})
	if r.Org.Contact != "" {
		rows = append(rows, []cell{label("contact"), txt(r.Org.Contact)})
	}
	coverCol := func(share float64) column { return column{share: share, align: "L", style: sSmall} }
	d.table(table{cols: []column{coverCol(0.26), coverCol(0.74)}, rows: rows, label: true})
	d.gap(2)
	d.prosePara(sSmall, "cover.note", d.data())
	d.signature()
}

// signature draws the sign-off lines at the foot of the cover.
func (d *reportDoc) signature() {
	const blockH = 22.0
	f := d.f
	y := math.Max(f.GetY()+6, bodyBottom-blockH)
	if y+blockH > bodyBottom {
		d.newPage()
		y = f.GetY()
	}
	names := []string{"sign.reviewer", "sign.signature", "sign.date"}
	w := (contentW - 2*6) / float64(len(names))
	st := d.setStyle(sSmall)
	d.setDraw(ink)
	f.SetLineWidth(ruleWidth)
	for i, n := range names {
		x := marginL + float64(i)*(w+6)
		f.Line(x, y+12, x+w, y+12)
		f.SetXY(x, y+13)
		d.setText(grey)
		f.CellFormat(w, st.lead, truncateToWidth(d.doc, d.clean(d.text(n, d.data())), w), "", 0, "L", false, 0, "")
	}
	d.setText(ink)
	f.SetXY(marginL, y+blockH)
	d.body = true
}

// ---- executive summary ----

func (d *reportDoc) summary() {
	s := d.r.Summary
	if s.PortBlocked {
		d.callout(d.text("summary.port_blocked", d.data()))
	}
	if s.HTTPSBlocked {
		d.callout(d.text("summary.https_blocked", d.data()))
	}
	d.prosePara(sBody, "summary.intro", d.data())

	noBase := d.r.Base == nil
	sinceBase := func(n int) string {
		if noBase {
			return d.text("value.no_base", nil)
		}
		return itoa(n)
	}
	type fig struct {
		label, value string
		bad          bool
	}
	lbl := func(name string) string { return d.text("fig."+name, d.data()) }
	figs := []fig{
		{lbl("vendors"), itoa(s.Vendors), false},
		{lbl("domains"), itoa(s.Domains), false},
		{lbl("mx_hosts"), itoa(s.MXHosts), false},
		{lbl("addresses"), itoa(s.Addresses), false},
		{lbl("forced_eligible"), ratio(s.ForcedEligible, s.Vendors) + " (" + pct(s.ForcedShare) + ")", false},
		{lbl("forced_not_eligible"), itoa(s.ForcedNotEligible), s.ForcedNotEligible > 0},
		{lbl("forced_unknown"), itoa(s.ForcedUnknown), false},
		{lbl("critical"), itoa(s.Critical), s.Critical > 0},
		{lbl("high"), itoa(s.High), s.High > 0},
		{lbl("medium"), itoa(s.Medium), false},
		{lbl("low"), itoa(s.Low), false},
		{lbl("regressions"), sinceBase(s.Regressions), s.Regressions > 0},
		{lbl("improvements"), sinceBase(s.Improvements), false},
		{lbl("expiring"), itoa(s.ExpiringSoon), s.ExpiringSoon > 0},
		{lbl("inconclusive"), itoa(s.Inconclusive), s.Inconclusive > 0},
		{lbl("problems"), itoa(s.InputProblems), s.InputProblems > 0},
		{lbl("mta_sts"), ratio(s.MTASTSEnforce, s.Domains), false},
		{lbl("dane"), ratio(s.DANEValid, s.Domains), false},
	}
	var rows [][]cell
	for i := 0; i < len(figs); i += 2 {
		row := []cell{}
		for _, fg := range figs[i:min(i+2, len(figs))] {
			v := cell{text: fg.value, bold: true}
			if fg.bad {
				v.color = badRed
			}
			row = append(row, cell{text: fg.label, fill: labelFill}, v)
		}
		rows = append(rows, row)
	}
	value := column{share: 0.14, align: "R", style: sTable}
	d.table(table{cols: []column{col("", 0.36), value, col("", 0.36), value}, rows: rows})

	d.heading(sH3, d.text("summary.chart_title", d.data()), -1)
	d.barChart(s.VendorGrades)
	var parts []string
	for _, g := range s.Grades {
		parts = append(parts, g.Grade+" "+itoa(g.Count))
	}
	d.para(sSmall, d.text("summary.domain_grades", d.data("Counts", strings.Join(parts, " · "))))
	d.gap(2)
}

// callout draws a boxed warning paragraph.
func (d *reportDoc) callout(text string) {
	const pad = 3.0
	st := d.setStyle(sBold)
	ls := d.lines(text, contentW-2*pad)
	h := float64(len(ls))*st.lead + 2*pad
	d.need(h + 2)
	f := d.f
	y := f.GetY()
	d.setFill(warnFill)
	d.setDraw(badRed)
	f.SetLineWidth(ruleWidth * 2)
	f.Rect(marginL, y, contentW, h, "FD")
	d.setText(badRed)
	for i, l := range ls {
		f.SetXY(marginL+pad, y+pad+float64(i)*st.lead)
		f.CellFormat(contentW-2*pad, st.lead, l, "", 0, "L", false, 0, "")
	}
	d.setText(ink)
	f.SetXY(marginL, y+h+3)
	d.body = true
}

// barChart draws one bar per grade, in the grade's colour, with its count.
func (d *reportDoc) barChart(counts []report.GradeCount) {
	const (
		chartH = 46.0
		axisW  = 10.0
		labelH = 5.0
		ticks  = 5
	)
	if len(counts) == 0 {
		return
	}
	d.need(chartH + 2*labelH + 4)
	f := d.f
	top := f.GetY() + labelH
	base := top + chartH
	x0 := marginL + axisW
	w := contentW - axisW
	most := 0
	for _, c := range counts {
		most = max(most, c.Count)
	}
	step := max(1, int(math.Ceil(float64(most)/ticks)))
	scaleMax := float64(step * ticks)
	st := d.setStyle(sSmall)
	f.SetLineWidth(gridWidth)
	for i := 0; i <= ticks; i++ {
		y := base - chartH*float64(i)/ticks
		d.setDraw(gridGrey)
		f.Line(x0, y, x0+w, y)
		d.setText(grey)
		f.SetXY(marginL, y-st.lead/2)
		f.CellFormat(axisW-1, st.lead, itoa(i*step), "", 0, "R", false, 0, "")
	}
	slot := w / float64(len(counts))
	for i, c := range counts {
		x := x0 + float64(i)*slot
		h := chartH * float64(c.Count) / scaleMax
		fill, _ := gradeColours(c.Grade)
		if h > 0 {
			d.setFill(fill)
			f.Rect(x+slot*0.2, base-h, slot*0.6, h, "F")
		}
		d.setStyle(sSmallBold)
		d.setText(ink)
		f.SetXY(x, base-h-st.lead-0.5)
		f.CellFormat(slot, st.lead, itoa(c.Count), "", 0, "C", false, 0, "")
		f.SetXY(x, base+1)
		f.CellFormat(slot, st.lead, d.clean(c.Grade), "", 0, "C", false, 0, "")
	}
	d.setDraw(ink)
	f.SetLineWidth(ruleWidth)
	f.Line(x0, base, x0+w, base)
	d.setText(ink)
	f.SetXY(marginL, base+labelH+2)
	d.body = true
}

// ---- changes ----

// better lists the change kinds that are improvements.
func better(kind string) bool {
	switch kind {
	case db.ChangeGradeUp, db.ChangeForcedGained, db.ChangeFindingResolved:
		return true
	}
	return false
}

func (d *reportDoc) changes() {
	r := d.r
	switch {
	case r.Base == nil:
		d.prosePara(sBody, "changes.first_run", d.data())
		return
	case len(r.Changes) == 0:
		d.prosePara(sBody, "changes.none", d.data())
		return
	}
	d.prosePara(sBody, "changes.intro", d.data())
	shown := r.Changes
	if d.changeLimit >= 0 && len(shown) > d.changeLimit {
		// Changes come worst first, so the cap keeps the regressions.
		shown = shown[:d.changeLimit]
		d.prosePara(sBody, "changes.limited", d.data("Shown", len(shown), "Left", len(r.Changes)-len(shown),
			"Total", len(r.Changes)))
	}
	worse, good, note := d.text("label.worse", nil), d.text("label.better", nil), d.text("label.note", nil)
	rows := make([][]cell, 0, len(shown))
	for _, c := range shown {
		dir := cell{text: note, color: grey}
		switch {
		case c.Bad:
			dir = cell{text: worse, color: badRed, bold: true}
		case better(c.Kind):
			dir = cell{text: good, color: goodGreen, bold: true}
		}
		rows = append(rows, []cell{dir, txt(strings.Join(c.Vendors, ", ")), txt(c.Domain), txt(c.Text)})
	}
	d.table(table{header: true, rows: rows, cols: []column{
		col(d.text("col.direction", nil), 0.1), col(d.text("col.vendor", nil), 0.2),
		col(d.text("col.domain", nil), 0.22), col(d.text("col.change", nil), 0.48),
	}})
}

// ---- vendor table ----

func (d *reportDoc) vendors() {
	r := d.r
	d.prosePara(sBody, "vendors.intro", d.data())
	incomplete := false
	var rows [][]cell
	for _, v := range r.Vendors {
		fill, fg := gradeColours(v.Grade)
		g := v.Grade
		if v.Incomplete {
			g += "*"
			incomplete = true
		}
		top := v.TopFinding
		if top != "" && v.TopSeverity != "" {
			top += " (" + v.TopSeverity + ")"
		}
		change := cell{text: v.Change}
		if v.Regressed {
			change = cell{text: v.Change, color: badRed, bold: true}
		}
		domain := txt(v.Domain)
		if v.Input != "" && v.Input != v.Domain {
			domain = cell{lines: []string{v.Domain, v.Input}}
		}
		rows = append(rows, []cell{txt(v.Vendor), domain, {text: g, fill: fill, color: fg, bold: true},
			txt(human(v.ForcedTLS)), txt(human(v.MTASTS)), txt(human(v.DANE)), txt(top), change})
	}
	if len(rows) == 0 {
		d.prosePara(sBody, "vendors.none", d.data())
	} else {
		grd := col(d.text("col.grade", nil), 0.065)
		grd.align = "C"
		d.table(table{header: true, rows: rows, cols: []column{
			col(d.text("col.vendor", nil), 0.15), col(d.text("col.domain", nil), 0.2), grd,
			col(d.text("col.forced", nil), 0.085), col(d.text("col.mta_sts", nil), 0.085), col(d.text("col.dane", nil), 0.075),
			col(d.text("col.top_finding", nil), 0.22), col(d.text("col.change", nil), 0.09),
		}})
	}
	if incomplete {
		d.para(sSmall, d.text("vendors.incomplete_note", d.data()))
		d.gap(2)
	}
	d.problems()
}

func (d *reportDoc) problems() {
	r := d.r
	if len(r.Problems) == 0 {
		return
	}
	d.heading(sH2, d.text("problems.title", d.data()), 1)
	d.prosePara(sBody, "problems.intro", d.data())
	var rows [][]cell
	for _, p := range r.Problems {
		where := itoa(p.Row)
		if p.Sheet != "" {
			where = p.Sheet + " " + where
		}
		rows = append(rows, []cell{txt(where), txt(p.Column), txt(p.Value), txt(p.Message)})
	}
	d.table(table{header: true, rows: rows, cols: []column{
		col(d.text("col.row", nil), 0.12), col(d.text("col.column", nil), 0.14),
		col(d.text("col.value", nil), 0.28), col(d.text("col.problem", nil), 0.46),
	}})
}

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
	r, x := d.r, d.index
	var withFindings, clean []string
	for _, v := range x.order {
		if len(x.findings[v]) == 0 {
			clean = append(clean, v)
		} else {
			withFindings = append(withFindings, v)
		}
	}
	detailed, rest := withFindings, []string(nil)
	if d.remediationLimit >= 0 && len(withFindings) > d.remediationLimit {
		detailed, rest = withFindings[:d.remediationLimit], withFindings[d.remediationLimit:]
	}
	d.prosePara(sBody, "remediation.intro", d.data())
	if len(rest) > 0 {
		d.prosePara(sBody, "remediation.limited", d.data("Shown", len(detailed), "Left", len(rest)))
	}
	for _, v := range detailed {
		d.heading(sH2, v, 1)
		rows := x.rows[v]
		doms := make([]string, 0, len(rows))
		for _, i := range rows {
			doms = append(doms, r.Vendors[i].Domain+" ("+r.Vendors[i].Grade+")")
		}
		fs := x.findings[v]
		d.para(sSmall, d.text("remediation.vendor_domains", d.data("Domains", strings.Join(doms, ", "), "Count", len(fs))))
		d.gap(2)
		for _, i := range fs {
			d.finding(r.Findings[i])
		}
	}
	if len(rest) > 0 {
		d.findingGroups(rest)
	}
	if len(clean) == 0 {
		return
	}
	d.heading(sH2, d.text("remediation.clean_title", d.data()), 1)
	if d.remediationLimit < 0 || len(clean) <= d.remediationLimit {
		d.bullets(sBody, clean)
		return
	}
	d.prosePara(sBody, "remediation.clean_count", d.data("Count", len(clean)))
}

// findingGroups draws the table of the findings of the vendors the
// remediation section does not detail, one row per kind of finding.
func (d *reportDoc) findingGroups(vendors []string) {
	d.heading(sH2, d.text("remediation.rest_title", d.data("Left", len(vendors))), 1)
	d.prosePara(sBody, "remediation.rest_intro", d.data("Left", len(vendors)))
	groups := groupFindings(d.r, d.index, vendors)
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

// finding draws one finding: a severity chip and title, then what was
// observed, why it matters, what to change and the standards behind it.
func (d *reportDoc) finding(fd report.Finding) {
	d.need(headingKeep)
	f := d.f
	y := f.GetY()
	x := d.chip(marginL, y, strings.ToUpper(fd.Severity), severityColour(fd.Severity))
	if fd.New {
		x = d.chip(x, y, d.text("label.new", nil), accent)
	}
	f.SetXY(x, y)
	d.paraAt(sBold, fd.Title, x, marginL+contentW-x, ink)
	d.gap(0.8)
	label := func(name string) cell { return txt(d.text("label."+name, nil)) }
	rows := [][]cell{
		{label("where"), txt(location(fd))},
		{label("observed"), txt(fd.Message)},
	}
	if fd.Why != "" {
		rows = append(rows, []cell{label("why"), txt(fd.Why)})
	}
	if fd.Remediation != "" {
		rows = append(rows, []cell{label("fix"), txt(fd.Remediation)})
	}
	if cites := d.citations(fd.Standards); len(cites) > 0 {
		rows = append(rows, []cell{label("standards"), txt(strings.Join(cites, "; "))})
	}
	d.table(table{cols: []column{col("", 0.17), col("", 0.83)}, rows: rows, label: true})
	d.gap(1)
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

// ---- methodology ----

func (d *reportDoc) methodology() {
	m := d.r.Methodology
	d.heading(sH2, d.text("methodology.scope_title", nil), 1)
	for _, p := range m.Scope {
		d.para(sBody, p)
		d.gap(1.5)
	}
	d.heading(sH2, d.text("methodology.checks_title", nil), 1)
	var rows [][]cell
	for _, c := range m.Checks {
		rows = append(rows, []cell{{text: c.Label, bold: true}, txt(c.Meaning)})
	}
	d.table(table{header: true, rows: rows, cols: []column{col(d.text("col.check", nil), 0.2), col(d.text("col.meaning", nil), 0.8)}})
	d.heading(sH2, d.text("methodology.grading_title", nil), 1)
	for _, p := range m.Grading {
		d.para(sBody, p)
		d.gap(1.5)
	}
	d.heading(sH2, d.text("methodology.rules_title", nil), 1)
	d.prosePara(sBody, "methodology.rules_intro", d.data())
	rows = nil
	yes := d.text("value.yes", nil)
	for _, rule := range m.Rules {
		forceF := ""
		if rule.ForceF {
			forceF = yes
		}
		rows = append(rows, []cell{txt(rule.Code), txt(rule.Title), txt(rule.Severity), txt(itoa(rule.Deduction)), txt(forceF)})
	}
	ded := col(d.text("col.deduction", nil), 0.11)
	ded.align = "R"
	d.table(table{header: true, rows: rows, cols: []column{
		monoCol(d.text("col.code", nil), 0.27), col(d.text("col.finding", nil), 0.4),
		col(d.text("col.severity", nil), 0.11), ded, col(d.text("col.force_f", nil), 0.11),
	}})
	d.heading(sH2, d.text("methodology.limits_title", nil), 1)
	for _, p := range m.Limits {
		d.para(sBody, p)
		d.gap(1.5)
	}
	d.frameworkSection()
}

// normName compares framework names without case, spaces or punctuation.
func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// selected returns the frameworks the report cites: the technical
// baselines, then those the organisation named (all when it named none),
// and the names that matched no framework.
func (d *reportDoc) selected() (out []templates.Framework, unknown []string) {
	names := d.r.Org.Frameworks
	matched := map[int]bool{}
	for _, n := range names {
		found := false
		for i, fw := range d.frameworks {
			for _, a := range append([]string{fw.Name}, fw.Aliases...) {
				if normName(a) == normName(n) && !fw.Always {
					matched[i], found = true, true
				}
			}
		}
		if !found {
			unknown = append(unknown, n)
		}
	}
	for i, fw := range d.frameworks {
		if fw.Always || len(names) == 0 || matched[i] {
			out = append(out, fw)
		}
	}
	return out, unknown
}

// citations keeps the technical citations and those of the selected
// frameworks; a citation no framework claims is kept.
func (d *reportDoc) citations(standards []string) []string {
	sel, _ := d.selected()
	var out []string
	for _, s := range standards {
		owner, chosen := false, false
		for _, fw := range d.frameworks {
			for _, p := range fw.CitationPrefixes {
				if strings.HasPrefix(s, p) {
					owner = true
				}
			}
		}
		for _, fw := range sel {
			for _, p := range fw.CitationPrefixes {
				if strings.HasPrefix(s, p) {
					chosen = true
				}
			}
		}
		if chosen || !owner {
			out = append(out, s)
		}
	}
	return out
}

func (d *reportDoc) frameworkSection() {
	d.heading(sH2, d.text("methodology.frameworks_title", nil), 1)
	d.prosePara(sBody, "methodology.frameworks_intro", d.data())
	sel, unknown := d.selected()
	for _, fw := range sel {
		d.heading(sH3, fw.Title, -1)
		var rows [][]cell
		for _, s := range fw.Sections {
			rows = append(rows, []cell{{text: s.Cite, bold: true}, txt(s.Topic)})
		}
		d.table(table{header: true, rows: rows, cols: []column{col(d.text("col.section", nil), 0.3), col(d.text("col.covers", nil), 0.7)}})
	}
	if len(unknown) > 0 {
		d.prosePara(sBody, "methodology.frameworks_unknown", d.data("Unknown", strings.Join(unknown, ", ")))
	}
}

// ---- evidence appendix ----

func (d *reportDoc) appendix() {
	r := d.r
	d.prosePara(sBody, "appendix.intro", d.data())
	if d.appendixLimit < 0 || r.DomainCount() <= d.appendixLimit {
		// Every domain, read one at a time.
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
	for _, dv := range domains {
		d.domain(dv)
	}
}

// riskiestDomains picks the views of the first limit domains in the vendor
// table's order (riskiest first) for a capped appendix.
func riskiestDomains(r *report.Report, limit int) ([]report.DomainView, error) {
	out := make([]report.DomainView, 0, limit)
	seen := map[string]bool{}
	for _, v := range r.Vendors {
		if len(out) == limit {
			break
		}
		if seen[v.Domain] {
			continue
		}
		seen[v.Domain] = true
		dv, ok, err := r.DomainNamed(v.Domain)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, *dv)
		}
	}
	return out, nil
}

func (d *reportDoc) domain(dv report.DomainView) {
	title := dv.Domain
	if len(dv.Vendors) > 0 {
		title += " — " + strings.Join(dv.Vendors, ", ")
	}
	d.heading(sH2, title, 1)
	label := func(name string) cell { return txt(d.text("label."+name, nil)) }
	fill, fg := gradeColours(dv.Grade)
	g := dv.Grade
	if dv.Incomplete {
		g += " " + d.text("value.incomplete", nil)
	}
	rows := [][]cell{{label("grade"), {text: g, fill: fill, color: fg, bold: true}}}
	if dv.Input != "" && dv.Input != dv.Domain {
		rows = append(rows, []cell{label("as_listed"), txt(dv.Input)})
	}
	forced := human(dv.ForcedTLS)
	if dv.ForcedReason != "" {
		forced += ": " + dv.ForcedReason
	}
	rows = append(rows,
		[]cell{label("forced"), txt(forced)},
		[]cell{label("mx"), txt(human(dv.MXKind) + ", " + human(dv.MXLookup))},
	)
	if dv.DNSSEC != "" {
		rows = append(rows, []cell{label("dnssec"), txt(human(dv.DNSSEC))})
	}
	sts := human(dv.MTASTS)
	if dv.MTASTSDetail != "" {
		sts += ": " + dv.MTASTSDetail
	}
	rows = append(rows,
		[]cell{label("mta_sts"), txt(sts)},
		[]cell{label("tls_rpt"), txt(dv.TLSRPT)},
		[]cell{label("audited_at"), txt(dv.AuditedAt.UTC().Format(timeLayout))},
	)
	d.table(table{cols: []column{col("", 0.22), col("", 0.78)}, rows: rows, label: true})
	if len(dv.MX) == 0 {
		d.prosePara(sSmall, "appendix.no_mx", d.data("Domain", dv))
	}
	for _, mx := range dv.MX {
		d.mx(mx)
	}
}

// timeLayout is how the appendix prints instants: UTC, to the second.
const timeLayout = "2006-01-02 15:04:05 MST"

func (d *reportDoc) mx(mx report.MXView) {
	d.heading(sH3, d.text("appendix.mx_title", d.data("MX", mx)), -1)
	dane := human(mx.DANE)
	rows := [][]cell{{txt(d.text("label.dane", nil)), txt(dane)}}
	if len(mx.TLSA) > 0 {
		rows = append(rows, []cell{txt(d.text("label.tlsa", nil)), {text: strings.Join(mx.TLSA, " | ")}})
	}
	d.table(table{cols: []column{col("", 0.22), col("", 0.78)}, rows: rows, label: true})
	for _, a := range mx.Addresses {
		d.address(mx, a)
	}
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

func (d *reportDoc) address(mx report.MXView, a report.AddressView) {
	title := d.text("appendix.address_title", d.data("MX", mx, "Address", a))
	d.heading(sH3, title, 2)
	label := func(name string) cell { return txt(d.text("label."+name, nil)) }
	fill, fg := gradeColours(a.Grade)
	probe := human(a.ProbeStatus)
	if a.Connections > 0 {
		probe += " · " + d.text("appendix.connections", d.data("N", a.Connections))
	}
	rows := [][]cell{
		{label("grade"), {text: a.Grade, fill: fill, color: fg, bold: true}},
		{label("probe"), txt(probe)},
	}
	if !a.ProbedAt.IsZero() {
		rows = append(rows, []cell{label("probed_at"), txt(a.ProbedAt.UTC().Format(timeLayout))})
	}
	if a.ProbeError != "" {
		rows = append(rows, []cell{label("error"), {text: a.ProbeError, color: badRed}})
	}
	if a.Banner != "" {
		rows = append(rows, []cell{label("banner"), txt(a.Banner)})
	}
	if a.Protocol != "" {
		rows = append(rows, []cell{label("negotiated"), txt(a.Protocol)})
	}
	if a.DANE != "" {
		rows = append(rows, []cell{label("dane"), txt(a.DANE)})
	}
	d.table(table{cols: []column{col("", 0.22), col("", 0.78)}, rows: rows, label: true})

	// Checks, two per row.
	var crow []cell
	var crows [][]cell
	for _, c := range d.r.Methodology.Checks {
		res, ok := a.Checks[c.Name]
		if !ok {
			continue
		}
		crow = append(crow, cell{text: c.Label, fill: labelFill}, d.checkResult(c.Name, res))
		if len(crow) == 4 {
			crows, crow = append(crows, crow), nil
		}
	}
	if len(crow) > 0 {
		crows = append(crows, append(crow, txt(""), txt(""))[:4])
	}
	if len(crows) > 0 {
		d.table(table{header: true, rows: crows, cols: []column{
			col(d.text("col.check", nil), 0.2), col(d.text("col.result", nil), 0.3),
			col(d.text("col.check", nil), 0.2), col(d.text("col.result", nil), 0.3),
		}})
	}
	d.suites(a)
	if a.Cert != nil {
		d.certificate(a.Cert)
	}
	if len(a.Transcript) > 0 {
		d.para(sSmallBold, d.text("appendix.transcript_title", nil))
		d.gap(0.5)
		d.table(table{cols: []column{monoCol("", 1)}, rows: [][]cell{{{lines: a.Transcript}}}})
	}
}

func (d *reportDoc) suites(a report.AddressView) {
	if len(a.Versions) == 0 {
		return
	}
	var rows [][]cell
	for _, v := range a.Versions {
		support := human(v.Support)
		if v.Preference != "" {
			support += ", " + d.text("appendix.preference", d.data("Preference", v.Preference))
		}
		if !v.Complete {
			support += ", " + d.text("appendix.incomplete_list", nil)
		}
		if len(v.Suites) == 0 {
			rows = append(rows, []cell{{text: v.Version, bold: true}, txt(support), txt(""), txt(""), txt(""), txt("")})
			continue
		}
		for i, s := range v.Suites {
			ver, sup := txt(""), txt("")
			if i == 0 {
				ver, sup = cell{text: v.Version, bold: true}, txt(support)
			}
			name := txt(s.Name)
			flags := txt(strings.Join(s.Flags, " "))
			if s.Weak {
				name.color, flags.color = badRed, badRed
			}
			rows = append(rows, []cell{ver, sup, txt(s.Code), name, txt(s.KeyExchange), flags})
		}
	}
	d.table(table{header: true, rows: rows, cols: []column{
		col(d.text("col.version", nil), 0.09), col(d.text("col.support", nil), 0.12),
		monoCol(d.text("col.code", nil), 0.085), monoCol(d.text("col.suite", nil), 0.355),
		col(d.text("col.kex", nil), 0.17), col(d.text("col.flags", nil), 0.18),
	}})
}

func (d *reportDoc) certificate(c *report.CertView) {
	label := func(name string) cell { return txt(d.text("label."+name, nil)) }
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
	validity := d.text("appendix.validity", d.data("Cert", c))
	rows := [][]cell{
		{label("subject"), txt(c.Subject)},
		{label("issuer"), txt(c.Issuer)},
		{label("names"), txt(strings.Join(c.SANs, ", "))},
		{label("validity"), txt(validity)},
		{label("key"), txt(fmt.Sprintf("%s %d", c.KeyType, c.KeyBits))},
		{label("signature"), txt(c.Signature)},
		{label("trusted"), txt(trusted)},
		{label("name_match"), txt(human(c.NameMatch))},
		{label("chain"), txt(strings.Join(c.ChainSubjects, " ← "))},
		{label("sha256"), txt(c.SHA256)},
	}
	for i, bad := range map[int]bool{3: c.DaysToExpiry < 0, 6: c.Trusted == "no", 7: c.NameMatch == "no"} {
		if bad {
			rows[i][1].color = badRed
		}
	}
	d.para(sSmallBold, d.text("appendix.cert_title", nil))
	d.gap(0.5)
	d.table(table{cols: []column{col("", 0.22), col("", 0.78)}, rows: rows, label: true})
}
