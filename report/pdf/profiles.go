package pdf

import (
	"cmp"
	"slices"
	"strings"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/report"
)

// maxFailingControls bounds the failing controls listed in full.
const maxFailingControls = 200

// maxControlDomains bounds the domains one row of the failing controls names.
const maxControlDomains = 40

// profiles draws the sender-authentication section: per vendor domain its
// SPF and DMARC state, its rating and the status of each profile shown
// (unless the control matrix has shown them), then every control that
// fails or is incomplete with what was observed, one row for all the
// domains where the same was observed.
func (d *reportDoc) profiles() {
	r := d.r
	names := d.profileNames()
	if len(names) == 0 {
		d.prosePara(sBody, "profiles.none", d.data())
		return
	}
	d.prosePara(sBody, "profiles.intro", d.data())
	if d.matrixAuth {
		d.prosePara(sBody, "profiles.in_matrix", d.data())
	} else {
		d.profileTable(names)
	}
	// One row per profile, control and result; in it, each distinct
	// observation once, with every domain where it was made.
	type seen struct {
		reason  string
		domains []string
		more    int
	}
	type group struct {
		profile, control int
		fw, title        string
		status           string
		seen             []*seen
	}
	var groups []*group
	at := map[[3]string]*group{}
	more := 0
	_ = r.EachDomain(func(dv *report.DomainView) error {
		for _, fw := range dv.Frameworks {
			pi := slices.Index(grade.SenderProfiles(), fw.Name)
			if pi < 0 {
				continue
			}
			for ci, c := range fw.Controls {
				if c.Status != grade.ControlFail && c.Status != grade.ControlIncomplete {
					continue
				}
				k := [3]string{fw.Name, c.Title, string(c.Status)}
				g := at[k]
				if g == nil {
					g = &group{profile: pi, control: ci, fw: fw.Name, title: c.Title, status: string(c.Status)}
					at[k] = g
					groups = append(groups, g)
				}
				i := slices.IndexFunc(g.seen, func(s *seen) bool { return s.reason == c.Reason })
				if i < 0 {
					if len(g.seen) >= maxFailingControls {
						more++
						continue
					}
					g.seen = append(g.seen, &seen{reason: c.Reason})
					i = len(g.seen) - 1
				}
				if sn := g.seen[i]; len(sn.domains) < maxControlDomains {
					sn.domains = append(sn.domains, dv.Domain)
				} else {
					sn.more++
				}
			}
		}
		return nil
	})
	if len(groups) == 0 {
		return
	}
	slices.SortStableFunc(groups, func(a, b *group) int {
		return cmp.Or(cmp.Compare(a.profile, b.profile), cmp.Compare(a.control, b.control), cmp.Compare(a.title, b.title),
			cmp.Compare(a.status, b.status))
	})
	d.prosePara(sBody, "profiles.failing", d.data())
	var rows [][]cell
	for _, g := range groups {
		var lines []string
		for _, sn := range g.seen {
			doms := strings.Join(sn.domains, ", ")
			if sn.more > 0 {
				doms += " " + d.text("profiles.more_domains", d.data("Left", sn.more))
			}
			line := d.text("profiles.observed_at", d.data("Observed", sn.reason, "Domains", doms))
			if len(g.seen) > 1 {
				line = "• " + line
			}
			lines = append(lines, line)
		}
		rows = append(rows, []cell{txt(g.fw + ": " + g.title), profileCell(d, g.status), {lines: lines}})
	}
	d.table(table{header: true, rows: rows, cols: []column{
		col(d.text("profiles.col_control", nil), 0.25), col(d.text("col.result", nil), 0.11),
		col(d.text("profiles.col_observed", nil), 0.64),
	}})
	if more > 0 {
		d.prosePara(sSmall, "profiles.limited_controls", map[string]any{"Left": more})
	}
}

// profileTable draws one row per vendor domain: SPF, DMARC, rating and
// the status of each profile.
func (d *reportDoc) profileTable(names []string) {
	cols := []column{col(d.text("col.vendor", nil), 0.2), col(d.text("col.domain", nil), 0.22),
		col("SPF", 0.12), col("DMARC", 0.12), col(d.text("profiles.rating", nil), 0.1)}
	for _, n := range names {
		c := col(n, 0.24/float64(len(names)))
		c.align = "C"
		cols = append(cols, c)
	}
	shown, more, err := d.riskiestRows()
	if err != nil {
		d.fail(err)
		return
	}
	var rows [][]cell
	for _, v := range shown {
		row := []cell{txt(v.Vendor), txt(v.Domain), txt(v.SPF), txt(v.DMARC), txt(v.SenderAuth)}
		for _, n := range names {
			st := ""
			for _, f := range v.Frameworks {
				if f.Name == n {
					st = f.Status
				}
			}
			row = append(row, profileCell(d, st))
		}
		rows = append(rows, row)
	}
	d.table(table{header: true, rows: rows, cols: cols})
	d.moreRows(more, "profiles.limited")
}

// profileNames lists the sender-authentication profiles any vendor row
// shows, read once per document in one walk over the rows that ends as
// soon as every profile has been seen.
func (d *reportDoc) profileNames() []string {
	if d.profilesShown != nil {
		return *d.profilesShown
	}
	all := grade.SenderProfiles()
	found := make([]bool, len(all))
	n := 0
	d.fail(d.r.EachVendor(report.VendorQuery{}, func(v *report.VendorRow) error {
		for _, f := range v.Frameworks {
			if i := slices.Index(all, f.Name); i >= 0 && !found[i] {
				found[i] = true
				n++
			}
		}
		if n == len(all) {
			return report.Stop
		}
		return nil
	}))
	out := []string{}
	for i, p := range all {
		if found[i] {
			out = append(out, p)
		}
	}
	d.profilesShown = &out
	return out
}

func profileCell(d *reportDoc, status string) cell {
	if status == "" {
		return txt("")
	}
	c := cell{text: d.text("control."+status, nil), bold: true}
	switch grade.ControlStatus(status) {
	case grade.ControlFail:
		c.color = badRed
	case grade.ControlPass:
		c.color = goodGreen
	}
	return c
}
