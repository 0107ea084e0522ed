package pdf

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

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
	// appendixLimit caps the domains of the evidence appendix,
	// remediationLimit the vendors the remediation section details,
	// changeLimit the rows of the changes table and vendorLimit the rows
	// of each per-vendor table (< 0: no cap).
	appendixLimit, remediationLimit, changeLimit, vendorLimit int
	// uses holds who shares each address of the appendix and where its
	// evidence was printed.
	uses map[addrKey]*addrUse
	// probes holds, per address, the capability evidence first printed.
	probes map[string]*probeSeen
	// printed holds, by evidenceKey, the address whose suites and probes,
	// or whose dialogue, were printed first: identical evidence elsewhere
	// refers to it.
	printed map[string]*probeSeen
	// matrixAuth is set once the control matrix has shown each vendor
	// row's SPF, DMARC, rating and profile status.
	matrixAuth bool
	// profilesShown caches profileNames (nil until read).
	profilesShown *[]string
	// tocPages is how many pages are reserved for the table of contents,
	// tocFirst the first of them and tocY where its entries start.
	tocPages, tocFirst int
	tocY               float64
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
		{key: "toc", newPage: true, heading: true, render: (*reportDoc).reserveTOC},
		{key: "summary", newPage: true, heading: true, render: (*reportDoc).summary},
		{key: "programme", newPage: true, heading: true, render: (*reportDoc).programme},
		{key: "changes", newPage: false, heading: true, render: (*reportDoc).changes},
		{key: "vendors", newPage: false, heading: true, render: (*reportDoc).vendors},
		{key: "remediation", newPage: false, heading: true, render: (*reportDoc).remediation},
		{key: "methodology", newPage: false, heading: true, render: (*reportDoc).methodology},
		{key: "controls", newPage: false, heading: true, render: (*reportDoc).controls},
		{key: "profiles", newPage: false, heading: true, render: (*reportDoc).profiles},
		{key: "appendix", newPage: false, heading: true, render: (*reportDoc).appendix},
	}
}

func (d *reportDoc) section(s section) {
	title := d.text(s.key+".title", d.data())
	d.flushHeadings()
	if s.newPage {
		// The running header is drawn as the page starts.
		d.doc.section, d.doc.context = title, ""
		d.newPage()
	}
	if s.heading {
		d.headingOpt(pendingHeading{style: sH1, title: title, level: 0, toc: s.key != "toc", section: &title})
	} else {
		d.doc.section, d.doc.context = title, ""
		d.setStyle(sBody) // a UTF-8 font must be current for a UTF-16 outline title
		d.f.Bookmark(d.clean(title), 0, -1)
	}
	s.render(d)
}

// endMarker closes the document after the last content, so a reader
// knows nothing is missing.
func (d *reportDoc) endMarker() {
	d.flushHeadings()
	st := d.setStyle(sSmallBold)
	d.need(st.lead + 4)
	d.gap(4)
	d.setText(grey)
	d.f.SetX(marginL)
	d.f.CellFormat(contentW, st.lead, d.clean(d.text("document.end", d.data())), "", 2, "C", false, 0, "")
	d.setText(ink)
	d.body = true
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
		half := contentW * 0.4
		f.SetXY(marginL, headerY)
		f.CellFormat(half, st.lead, truncateToWidth(d.doc, d.clean(left), half), "", 0, "L", false, 0, "")
		f.SetXY(marginL+half, headerY)
		half = contentW - half
		right := d.doc.section
		if d.doc.context != "" {
			right += " · " + d.doc.context
		}
		f.CellFormat(half, st.lead, truncateToWidth(d.doc, d.clean(right), half), "", 0, "R", false, 0, "")
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
	if r.Manifest.RootDigest != "" {
		rows = append(rows, []cell{label("root_digest"), txt(d.text("cover.root_digest", d.data()))})
	}
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
	// The conclusion and the vendors at risk first: what a board member
	// reads in thirty seconds. Every sentence and figure is the model's.
	if len(s.Conclusion) > 0 {
		d.para(sBold, strings.Join(s.Conclusion, " "))
		d.gap(2)
	}
	if len(s.Conclusion) == 0 && s.VendorsInList > 0 {
		d.prosePara(sBody, "summary.at_risk", d.data())
	}
	if len(s.NotAudited) > 0 {
		var items []string
		for _, n := range s.NotAudited[:min(len(s.NotAudited), summaryNotAudited)] {
			items = append(items, n.Vendor+": "+n.Reason)
		}
		if left := len(s.NotAudited) - len(items); left > 0 {
			items = append(items, d.text("summary.not_audited_more", d.data("Left", left)))
		}
		d.para(sSmallBold, d.text("summary.not_audited_title", d.data()))
		d.bullets(sSmall, items)
		d.gap(1)
	}
	d.vendorChanges()
	d.prosePara(sBody, "summary.intro", d.data())
	d.breakdown()

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
		{lbl("open_findings"), itoa(s.OpenFindings), false},
		{lbl("overdue_findings"), itoa(s.OverdueFindings), s.OverdueFindings > 0},
		{lbl("accepted_findings"), itoa(s.AcceptedFindings), false},
		{lbl("vendors_accepted_risk"), itoa(s.VendorsAcceptedRisk), false},
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
	d.trend(s.Trend)
}

// summaryNotAudited is the most vendors not audited the executive summary
// names; the workbook and the JSON name every one.
const summaryNotAudited = 10

// summaryChanges is the most vendor changes the executive summary words;
// the rest are in "Changes since the last run", the workbook and the JSON.
const summaryChanges = 4

// vendorChanges words each vendor's change since the base run, worst
// first, as the model says it (Report.VendorChanges): what a board member
// reads instead of the change table's rows, never a finding code.
func (d *reportDoc) vendorChanges() {
	if d.r.Base == nil || d.r.VendorChangeCount() == 0 {
		return
	}
	// The model orders them by weight; changes for the worse first, then
	// improvements, then the rest (a vendor that stayed at its grade).
	// The first few of each kind are kept as they stream past.
	rank := func(c *report.VendorChange) int {
		switch {
		case c.Bad:
			return 0
		case c.Move == report.MoveUp:
			return 1
		}
		return 2
	}
	var firsts [3][]string
	total := 0
	d.fail(d.r.EachVendorChange(func(c *report.VendorChange) error {
		total++
		if k := rank(c); len(firsts[k]) < summaryChanges {
			firsts[k] = append(firsts[k], c.Text)
		}
		return nil
	}))
	var items []string
	for _, k := range firsts {
		items = append(items, k[:min(len(k), summaryChanges-len(items))]...)
	}
	if left := total - len(items); left > 0 {
		items = append(items, d.text("summary.changes_more", d.data("Left", left)))
	}
	d.para(sSmallBold, d.text("summary.changes_title", d.data()))
	d.bullets(sSmall, items)
	d.gap(1)
}

// maxTrendRuns is the most runs the trend chart draws (the model holds
// at most db.TrendRuns).
const maxTrendRuns = 12

// trend draws the vendors audited and at risk over the last runs of the
// list, the model's summary.trend, oldest first; a single run says the
// trend starts with it.
func (d *reportDoc) trend(points []report.TrendPoint) {
	if len(points) > maxTrendRuns {
		points = points[len(points)-maxTrendRuns:]
	}
	d.heading(sH3, d.text("summary.trend_title", d.data()), -1)
	if len(points) < 2 {
		d.prosePara(sSmall, "summary.trend_first", d.data())
		return
	}
	const (
		chartH = 20.0
		axisW  = 10.0
		legH   = 5.0
		labelH = 10.0
		ticks  = 4
	)
	d.need(legH + chartH + labelH + 6)
	f := d.f
	audited, atRisk := accent, badRed
	// The legend: a swatch and a label for each series.
	st := d.setStyle(sSmall)
	x := marginL + axisW
	y := f.GetY()
	for _, s := range []struct {
		c    rgb
		name string
	}{{audited, d.text("summary.trend_audited", nil)}, {atRisk, d.text("summary.trend_at_risk", nil)}} {
		d.setFill(s.c)
		f.Rect(x, y+st.lead/2-1, 3, 2, "F")
		label := d.clean(s.name)
		w := f.GetStringWidth(label) + 2*cellMargin
		d.setText(ink)
		f.SetXY(x+4, y)
		f.CellFormat(w, st.lead, label, "", 0, "L", false, 0, "")
		x += 4 + w + 6
	}
	top := y + legH + st.lead/2
	base := top + chartH
	x0 := marginL + axisW
	w := contentW - axisW
	most := 1
	for _, p := range points {
		most = max(most, p.VendorsAudited, p.VendorsAtRisk, p.VendorsInList)
	}
	step := max(1, int(math.Ceil(float64(most)/ticks)))
	scaleMax := float64(step * ticks)
	f.SetLineWidth(gridWidth)
	for i := 0; i <= ticks; i++ {
		yy := base - chartH*float64(i)/ticks
		d.setDraw(gridGrey)
		f.Line(x0, yy, x0+w, yy)
		d.setStyle(sFooter)
		d.setText(grey)
		f.SetXY(marginL, yy-sFooter.spec().lead/2)
		f.CellFormat(axisW-1, sFooter.spec().lead, itoa(i*step), "", 0, "R", false, 0, "")
	}
	slot := w / float64(len(points))
	px := func(i int) float64 { return x0 + slot*(float64(i)+0.5) }
	py := func(v int) float64 { return base - chartH*float64(v)/scaleMax }
	// Each series: its line, a dot per run and the run's figure above it
	// (audited) or below it (at risk), so the two never print on each other.
	series := []struct {
		c     rgb
		value func(report.TrendPoint) int
		above bool
	}{
		{audited, func(p report.TrendPoint) int { return p.VendorsAudited }, true},
		{atRisk, func(p report.TrendPoint) int { return p.VendorsAtRisk }, false},
	}
	for _, s := range series {
		d.setDraw(s.c)
		d.setFill(s.c)
		f.SetLineWidth(ruleWidth * 3)
		for i := 1; i < len(points); i++ {
			f.Line(px(i-1), py(s.value(points[i-1])), px(i), py(s.value(points[i])))
		}
		lead := sFooter.spec().lead
		for i, p := range points {
			v := s.value(p)
			f.Circle(px(i), py(v), 0.8, "F")
			d.setStyle(sFooter)
			d.setText(s.c)
			ly := py(v) - lead - 0.6
			if !s.above {
				ly = py(v) + 0.6
			}
			f.SetXY(px(i)-slot/2, ly)
			f.CellFormat(slot, lead, itoa(v), "", 0, "C", false, 0, "")
		}
	}
	d.setDraw(ink)
	f.SetLineWidth(ruleWidth)
	f.Line(x0, base, x0+w, base)
	// The runs below the axis: "run N" and the date it finished, its
	// year above its month and day where the slot is too narrow for it.
	lead := sFooter.spec().lead
	for i, p := range points {
		label := []string{d.text("summary.trend_run", d.data("ID", p.RunID)), d.text("summary.trend_running", nil)}
		d.setStyle(sFooter)
		if p.FinishedAt != nil {
			label[1] = p.FinishedAt.UTC().Format(time.DateOnly)
			if f.GetStringWidth(label[1])+2*cellMargin > slot {
				label = []string{label[0], label[1][:4], label[1][5:]}
			}
		}
		d.setText(grey)
		for j, l := range label {
			f.SetXY(px(i)-slot/2, base+1+float64(j)*lead)
			f.CellFormat(slot, lead, truncateToWidth(d.doc, d.clean(l), slot), "", 0, "C", false, 0, "")
		}
	}
	d.setText(ink)
	f.SetXY(marginL, base+labelH+2)
	d.body = true
}

// breakdown draws the vendors by tier and by tag: how many, how many at
// risk, as the model counts them.
func (d *reportDoc) breakdown() {
	s := d.r.Summary
	if len(s.ByTier) == 0 && len(s.ByTag) == 0 {
		return
	}
	d.heading(sH3, d.text("summary.breakdown_title", d.data()), -1)
	// One line each for tiers and tags, each key with its vendors and
	// those at risk: the figures of a table in a fifth of its height.
	line := func(block, item string, bs []report.Breakdown) {
		if len(bs) == 0 {
			return
		}
		items := make([]string, 0, len(bs))
		for _, b := range bs {
			key := b.Key
			if key == "" {
				key = d.text("summary.no_key", nil)
			}
			items = append(items, d.text(item, map[string]any{"Key": key, "Vendors": b.Vendors, "AtRisk": b.AtRisk}))
		}
		d.para(sSmall, d.text(block, map[string]any{"Tags": strings.Join(items, " · ")}))
	}
	line("summary.tiers_line", "summary.tier_item", s.ByTier)
	line("summary.tags_line", "summary.tag_item", s.ByTag)
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
		chartH = 22.0
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
	total := r.ChangeCount()
	switch {
	case r.Base == nil:
		d.prosePara(sBody, "changes.first_run", d.data())
		return
	case total == 0:
		d.prosePara(sBody, "changes.none", d.data())
		return
	}
	d.prosePara(sBody, "changes.intro", d.data())
	if d.changeLimit >= 0 && total > d.changeLimit {
		// Changes come worst first, so the cap keeps the regressions.
		d.prosePara(sBody, "changes.limited", d.data("Shown", d.changeLimit, "Left", total-d.changeLimit,
			"Total", total))
	}
	worse, good, note := d.text("label.worse", nil), d.text("label.better", nil), d.text("label.note", nil)
	var rows [][]cell
	d.fail(r.EachChange(func(c *report.Change) error {
		if d.changeLimit >= 0 && len(rows) >= d.changeLimit {
			return report.ErrStop
		}
		dir := cell{text: note, color: grey}
		switch {
		case c.Bad:
			dir = cell{text: worse, color: badRed, bold: true}
		case better(c.Kind):
			dir = cell{text: good, color: goodGreen, bold: true}
		}
		rows = append(rows, []cell{dir, txt(strings.Join(c.Vendors, ", ")), txt(c.Domain), txt(c.Text)})
		return nil
	}))
	d.table(table{header: true, rows: rows, cols: []column{
		col(d.text("col.direction", nil), 0.1), col(d.text("col.vendor", nil), 0.2),
		col(d.text("col.domain", nil), 0.22), col(d.text("col.change", nil), 0.48),
	}})
}

// ---- vendor table ----

func (d *reportDoc) vendors() {
	d.prosePara(sBody, "vendors.intro", d.data())
	shown, more, err := d.riskiestRows()
	if err != nil {
		d.fail(err)
		return
	}
	incomplete := false
	var rows [][]cell
	for _, i := range byTier(shown) {
		v := shown[i]
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
		if v.CarriedFrom != nil {
			change = cell{lines: []string{v.Change, v.CarriedFrom.Text()}, color: change.color, bold: change.bold}
		}
		domain := txt(v.Domain)
		if v.Input != "" && v.Input != v.Domain {
			domain = cell{lines: []string{v.Domain, v.Input}}
		}
		// The vendor list's own columns under the name: owner and tags.
		who := []string{v.Vendor}
		if v.Owner != "" {
			who = append(who, v.Owner)
		}
		if len(v.Tags) > 0 {
			who = append(who, strings.Join(v.Tags, ", "))
		}
		rows = append(rows, []cell{{text: v.Tier}, {lines: who}, domain, {text: g, fill: fill, color: fg, bold: true},
			txt(human(v.ForcedTLS)), txt(human(v.MTASTS)), txt(human(v.DANE)), txt(top), change})
	}
	if len(rows) == 0 {
		d.prosePara(sBody, "vendors.none", d.data())
	} else {
		grd := col(d.text("col.grade", nil), 0.065)
		grd.align = "C"
		d.table(table{header: true, rows: rows, cols: []column{
			col(d.text("col.tier", nil), 0.05), col(d.text("col.vendor_owner", nil), 0.155), col(d.text("col.domain", nil), 0.19), grd,
			col(d.text("col.forced", nil), 0.08), col(d.text("col.mta_sts", nil), 0.08), col(d.text("col.dane", nil), 0.08),
			col(d.text("col.top_finding", nil), 0.15), col(d.text("col.change", nil), 0.09),
		}})
	}
	d.moreRows(more, "vendors.limited")
	if incomplete {
		d.para(sSmall, d.text("vendors.incomplete_note", d.data()))
		d.gap(2)
	}
	d.problems()
}

// DefaultVendorRows is the default cap of the rows of each per-vendor
// table (the vendor table, the control matrix, the sender-authentication
// table): about twenty pages of the vendor table, which is read, where
// the workbook is worked in.
const DefaultVendorRows = 300

// rowsLeft describes the vendor rows a capped table leaves out: how many,
// how many of them regressed since the last run, and the worst grade
// among them (riskiest first: the rows shown are the riskiest).
type rowsLeft struct {
	shown, left, regressed int
	worst                  string
}

// riskiestRows returns the first vendorLimit rows of the vendor table
// (every row when uncapped), riskiest first, and what the cap leaves out.
// The walk stops at the first row left out that did not regress: the rows
// come in risk order, so it is the worst of those that follow it.
func (d *reportDoc) riskiestRows() ([]report.VendorRow, rowsLeft, error) {
	var shown []report.VendorRow
	more := rowsLeft{left: d.r.VendorCount()}
	worst := math.MaxInt
	err := d.r.EachVendor(report.VendorQuery{}, func(v *report.VendorRow) error {
		if d.vendorLimit < 0 || len(shown) < d.vendorLimit {
			shown = append(shown, *v)
			return nil
		}
		if rk := riskRank(v); rk < worst {
			worst, more.worst = rk, v.Grade
		}
		if !v.Regressed {
			return report.ErrStop
		}
		more.regressed++
		return nil
	})
	more.shown = len(shown)
	more.left -= len(shown)
	return shown, more, err
}

// riskRank orders vendor rows by risk as the model's vendor table does
// (report's riskLess, regressions aside): a grade's rank, a row not
// audited right after F, N/A last.
func riskRank(v *report.VendorRow) int {
	switch {
	case v.GradeRank > 0:
		return v.GradeRank * 10
	case v.Grade == string(grade.GradeNA):
		return 1000
	}
	return 15
}

// moreRows says, under a capped per-vendor table, how many rows are left
// out and how they are graded, and that the workbook and the JSON list
// every row.
func (d *reportDoc) moreRows(more rowsLeft, key string) {
	if more.left <= 0 {
		return
	}
	d.gap(1)
	d.prosePara(sBody, key, d.data("Shown", more.shown, "Left", more.left, "Total", more.shown+more.left,
		"Worst", more.worst, "Regressed", more.regressed))
}

// byTier orders the vendor rows by tier (the vendor list's number, most
// critical first; rows without a numeric tier last), keeping the model's
// risk order within a tier.
func byTier(rows []report.VendorRow) []int {
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	tier := func(v report.VendorRow) int {
		if v.TierNumber == nil {
			return math.MaxInt
		}
		return *v.TierNumber
	}
	sort.SliceStable(idx, func(a, b int) bool { return tier(rows[idx[a]]) < tier(rows[idx[b]]) })
	return idx
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
	// Each rule's effect on the grade in words (its points, or the grade
	// it forces, or why it takes none), so that a 0-point high finding
	// such as no MX reads right.
	rows = nil
	for _, rule := range m.Rules {
		effect := rule.Effect
		if effect == "" { // a report read from an older JSON
			effect = d.text("methodology.effect_points", d.data("Rule", rule))
		}
		rows = append(rows, []cell{txt(rule.Code), txt(rule.Title), txt(rule.Severity), txt(effect)})
	}
	d.table(table{header: true, rows: rows, cols: []column{
		monoCol(d.text("col.code", nil), 0.23), col(d.text("col.finding", nil), 0.33),
		col(d.text("col.severity", nil), 0.09), col(d.text("col.effect", nil), 0.35),
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
