package pdf

import (
	"fmt"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/report"
)

// maxProfileRows bounds the vendor rows the sender-authentication table
// lists; the workbook (Vendors, Control matrix) and the JSON hold them all.
const maxProfileRows = 300

// maxFailingControls bounds the failing controls listed in full.
const maxFailingControls = 200

// profiles draws the sender-authentication section: per vendor domain its
// SPF and DMARC state, its rating and the status of each profile shown,
// then every control that fails or is incomplete, with its reason.
func (d *reportDoc) profiles() {
	r := d.r
	names := profileNames(r)
	if len(names) == 0 {
		d.prosePara(sBody, "profiles.none", d.data())
		return
	}
	d.prosePara(sBody, "profiles.intro", d.data())
	cols := []column{col(d.text("col.vendor", nil), 0.2), col(d.text("col.domain", nil), 0.22),
		col("SPF", 0.12), col("DMARC", 0.12), col(d.text("profiles.rating", nil), 0.1)}
	for _, n := range names {
		c := col(n, 0.24/float64(len(names)))
		c.align = "C"
		cols = append(cols, c)
	}
	var rows [][]cell
	for i, v := range r.Vendors {
		if i >= maxProfileRows {
			break
		}
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
	if left := len(r.Vendors) - len(rows); left > 0 {
		d.prosePara(sSmall, "profiles.limited", map[string]any{"Shown": len(rows), "Left": left})
	}
	var failing []string
	more := 0
	_ = r.EachDomain(func(dv *report.DomainView) error {
		for _, fw := range dv.Frameworks {
			if !isProfile(fw.Name) {
				continue
			}
			for _, c := range fw.Controls {
				if c.Status != grade.ControlFail && c.Status != grade.ControlIncomplete {
					continue
				}
				if len(failing) >= maxFailingControls {
					more++
					continue
				}
				failing = append(failing, fmt.Sprintf("%s, %s: %s (%s): %s", dv.Domain, fw.Name, c.Title, c.Status, c.Reason))
			}
		}
		return nil
	})
	if len(failing) > 0 {
		d.prosePara(sBody, "profiles.failing", d.data())
		d.bullets(sSmall, failing)
		if more > 0 {
			d.prosePara(sSmall, "profiles.limited_controls", map[string]any{"Left": more})
		}
	}
}

func isProfile(name string) bool {
	for _, p := range grade.SenderProfiles() {
		if p == name {
			return true
		}
	}
	return false
}

// profileNames lists the sender-authentication profiles any vendor row shows.
func profileNames(r *report.Report) []string {
	var out []string
	for _, p := range grade.SenderProfiles() {
		for _, v := range r.Vendors {
			found := false
			for _, f := range v.Frameworks {
				if f.Name == p {
					found = true
				}
			}
			if found {
				out = append(out, p)
				break
			}
		}
	}
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
