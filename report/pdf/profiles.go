package pdf

import (
	"slices"
	"strings"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/report"
)

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
	// observation once, with the domains where it was made: counted by
	// the model as the report was built.
	groups, err := report.ProfileControlsOf(r)
	if err != nil {
		d.fail(err)
		return
	}
	if len(groups) == 0 {
		return
	}
	d.prosePara(sBody, "profiles.failing", d.data())
	var rows [][]cell
	more := 0
	for _, g := range groups {
		var lines []string
		for _, sn := range g.Observed {
			doms := strings.Join(sn.Domains, ", ")
			if sn.MoreDomains > 0 {
				doms += " " + d.text("profiles.more_domains", d.data("Left", sn.MoreDomains))
			}
			line := d.text("profiles.observed_at", d.data("Observed", sn.Reason, "Domains", doms))
			if len(g.Observed) > 1 {
				line = "• " + line
			}
			lines = append(lines, line)
		}
		more += g.MoreObserved
		rows = append(rows, []cell{txt(g.Profile + ": " + g.Control), profileCell(d, g.Status), {lines: lines}})
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
			return report.ErrStop
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
