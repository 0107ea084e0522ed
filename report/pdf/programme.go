package pdf

import (
	"slices"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/programme"
	"github.com/mxaudit/mxaudit/report"
)

// DefaultTrackerRows is how many open findings the PDF's "Open findings
// and deadlines" table lists, overdue first; the workbook's Tracker sheet
// holds every one. Two pages of the PDF at most: the PDF is read, the
// tracker is worked in.
const DefaultTrackerRows = 60

// amber marks what needs attention soon but is not yet a failure.
const amber rgb = 0xb26a00

// dateOf writes a date as the reports do (YYYY-MM-DD), "" for none.
func dateOf(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// programme draws "Open findings and deadlines": the open findings
// (overdue first, by owner, then tier), the accepted risks with approver
// and expiry, the exceptions expiring soon, exceptions of the file not
// applied, and the certificates that expire before the next run.
func (d *reportDoc) programme() {
	p := d.r.Programme
	if p == nil {
		d.prosePara(sBody, "programme.none", d.data())
		return
	}
	for _, c := range p.Conflicts {
		d.callout(d.text("programme.conflict", d.data("Conflict", c)))
	}
	d.prosePara(sBody, "programme.intro", d.data("P", p))

	open, err := d.r.CountFindings(report.FindingQuery{Open: true})
	d.fail(err)
	d.heading(sH2, d.text("programme.open_title", d.data("Count", open)), 1)
	if open == 0 {
		d.prosePara(sBody, "programme.open_none", d.data())
	} else {
		if open > DefaultTrackerRows {
			d.prosePara(sBody, "programme.open_limited", d.data("Shown", DefaultTrackerRows, "Total", open))
		}
		var rows [][]cell
		d.fail(d.r.EachFinding(report.FindingQuery{Order: report.ByDeadline, Open: true}, func(f *report.Finding) error {
			if len(rows) == DefaultTrackerRows {
				return report.ErrStop
			}
			owner, tier, err := ownerTier(d.r, f.Domain)
			if err != nil {
				return err
			}
			due := cell{text: dateOf(f.Due)}
			if f.Overdue {
				due = cell{text: d.text("programme.overdue_cell", d.data("Due", dateOf(f.Due))), color: badRed, bold: true}
			}
			status := txt(d.text("status."+f.Status, nil))
			if f.Status == string(programme.StatusReopened) {
				status.color = amber
			}
			first := ""
			if f.FirstSeen != nil {
				first = f.FirstSeen.At.UTC().Format(time.DateOnly)
			}
			rows = append(rows, []cell{txt(owner), txt(tier), txt(strings.Join(f.Vendors, ", ") + " · " + f.Domain),
				{text: f.Title + " (" + f.Severity + ")", color: severityColour(f.Severity)}, status, txt(first), due})
			return nil
		}))
		d.table(table{header: true, rows: rows, cols: []column{
			col(d.text("col.owner", nil), 0.12), col(d.text("col.tier", nil), 0.05), col(d.text("col.vendor_domain", nil), 0.27),
			col(d.text("col.finding", nil), 0.27), col(d.text("col.status", nil), 0.08), col(d.text("col.first_seen", nil), 0.1),
			col(d.text("col.due", nil), 0.11),
		}})
	}

	accepted := 0
	var active [][]cell
	for _, e := range p.Exceptions {
		if e.State != programme.StateActive {
			continue
		}
		accepted += e.Findings
		active = append(active, []cell{txt(e.ID), txt(e.Scope), txt(e.Approver), txt(e.Expires), txt(e.Reason), txt(e.Ticket), txt(itoa(e.Findings))})
	}
	d.heading(sH2, d.text("programme.accepted_title", d.data("Count", accepted)), 1)
	if len(active) == 0 {
		d.prosePara(sBody, "programme.accepted_none", d.data())
	} else {
		d.prosePara(sBody, "programme.accepted_intro", d.data())
		d.table(table{header: true, rows: active, cols: exceptionCols(d)})
	}

	d.heading(sH2, d.text("programme.expiring_title", d.data("Days", p.ExpiringDays)), 1)
	if len(p.Expiring) == 0 {
		d.prosePara(sBody, "programme.expiring_none", d.data("Days", p.ExpiringDays))
	} else {
		var rows [][]cell
		for _, e := range p.Expiring {
			rows = append(rows, []cell{txt(e.ID), txt(e.Scope), txt(e.Approver), {text: e.Expires, color: amber, bold: true}, txt(e.Reason), txt(e.Ticket), txt(itoa(e.Findings))})
		}
		d.table(table{header: true, rows: rows, cols: exceptionCols(d)})
	}

	d.heading(sH2, d.text("programme.certs_title", d.data("P", p)), 1)
	if len(p.CertsBeforeNextRun) == 0 {
		d.prosePara(sBody, "programme.certs_none", d.data("P", p))
	} else {
		d.prosePara(sBody, "programme.certs_intro", d.data("P", p))
		var rows [][]cell
		certs := p.CertsBeforeNextRun
		if d.vendorLimit >= 0 && len(certs) > d.vendorLimit {
			certs = certs[:d.vendorLimit]
		}
		for _, c := range certs {
			when := cell{text: c.NotAfter.UTC().Format(time.DateOnly) + " (" + d.text("programme.days", d.data("Days", c.Days)) + ")", color: amber}
			if c.Days < 0 {
				when.color, when.bold = badRed, true
			}
			rows = append(rows, []cell{txt(strings.Join(c.Vendors, ", ")), txt(c.Domain), txt(c.Host + " (" + c.IP + ")"), when})
		}
		d.table(table{header: true, rows: rows, cols: []column{
			col(d.text("col.vendor", nil), 0.22), col(d.text("col.domain", nil), 0.22), col(d.text("col.mx_address", nil), 0.31),
			col(d.text("col.expires", nil), 0.25),
		}})
		if left := len(p.CertsBeforeNextRun) - len(certs); left > 0 {
			d.prosePara(sBody, "programme.certs_limited", d.data("Shown", len(certs), "Left", left, "Total", len(p.CertsBeforeNextRun)))
		}
	}
}

// ownerTier is the owner and tier of a domain's first vendor row, as the
// vendor table has them ("" for a domain of no row).
func ownerTier(r *report.Report, domain string) (owner, tier string, err error) {
	err = r.EachVendor(report.VendorQuery{Domain: domain}, func(v *report.VendorRow) error {
		owner, tier = v.Owner, v.Tier
		return report.ErrStop
	})
	return owner, tier, err
}

// statusShare is the least share of the width a control-status column
// takes: "incomplete" in bold, with the cell's margins (18.6 mm of 174).
const statusShare = 0.108

func exceptionCols(d *reportDoc) []column {
	return []column{
		col(d.text("col.exception", nil), 0.07), col(d.text("col.scope", nil), 0.25), col(d.text("col.approver", nil), 0.13),
		col(d.text("col.expires", nil), 0.11), col(d.text("col.reason", nil), 0.24), col(d.text("col.ticket", nil), 0.1),
		col(d.text("col.findings", nil), 0.1),
	}
}

// controls draws the control matrix: for each vendor row, the status of
// each configured framework's transport control (pass, fail, accepted,
// incomplete, not applicable), ready for a control-test workpaper.
func (d *reportDoc) controls() {
	p := d.r.Programme
	total := d.r.ControlCount()
	if p == nil || total == 0 {
		d.prosePara(sBody, "controls.none", d.data())
		return
	}
	d.prosePara(sBody, "controls.intro", d.data())
	names, err := controlFrameworks(d.r)
	if err != nil {
		d.fail(err)
		return
	}
	var defs []string
	for _, tc := range programme.TransportControls() {
		for _, n := range names {
			if n == tc.Framework {
				defs = append(defs, tc.Framework+": "+tc.Title)
			}
		}
	}
	d.bullets(sSmall, defs)
	// The sender-authentication states behind the profiles are columns
	// here, so the profiles section need not repeat every vendor row.
	auth := len(d.profileNames()) > 0
	// The matrix lists the rows of the riskiest vendor rows (every row
	// when they are few), in its own order; the rows are looked up among
	// those, never among every row of the report.
	shown, more, err := d.riskiestRows()
	if err != nil {
		d.fail(err)
		return
	}
	rowOf := make(map[[2]string]int, len(shown))
	for i, v := range shown {
		if _, ok := rowOf[[2]string{v.Vendor, v.Domain}]; !ok {
			rowOf[[2]string{v.Vendor, v.Domain}] = i
		}
	}
	// Each status column is wide enough for "incomplete" in bold; the
	// vendor and domain columns take what is left.
	share := max(0.58, statusShare*float64(len(names)))
	if auth {
		share = max(0.37, statusShare*float64(len(names)))
	}
	rest := 1 - share
	if auth {
		rest -= 0.09 + 0.1 + 0.09
	}
	cols := []column{col(d.text("col.vendor", nil), rest*0.46), col(d.text("col.domain", nil), rest*0.54)}
	for _, n := range names {
		c := col(n, share/float64(len(names)))
		c.align = "C"
		cols = append(cols, c)
	}
	if auth {
		cols = append(cols, col("SPF", 0.09), col("DMARC", 0.1), col(d.text("profiles.rating", nil), 0.09))
	}
	var rows [][]cell
	d.fail(d.r.EachControl(func(vc *report.VendorControls) error {
		i, ok := rowOf[[2]string{vc.Vendor, vc.Domain}]
		if !ok && more.left > 0 {
			return nil
		}
		row := []cell{txt(vc.Vendor), txt(vc.Domain)}
		for _, n := range names {
			row = append(row, controlCell(d, vc.Frameworks, n))
		}
		if auth {
			if ok {
				v := shown[i]
				row = append(row, txt(v.SPF), txt(v.DMARC), txt(v.SenderAuth))
			} else {
				row = append(row, txt(""), txt(""), txt(""))
			}
		}
		rows = append(rows, row)
		return nil
	}))
	d.table(table{header: true, rows: rows, cols: cols})
	if left := total - len(rows); left > 0 {
		more.shown, more.left = len(rows), left
		d.moreRows(more, "controls.limited")
	}
	d.matrixAuth = auth
}

// controlFrameworks lists the frameworks of the matrix in their first
// order, in one walk over its rows.
func controlFrameworks(r *report.Report) ([]string, error) {
	var names []string
	err := r.EachControl(func(vc *report.VendorControls) error {
		for _, f := range vc.Frameworks {
			if !slices.Contains(names, f.Name) {
				names = append(names, f.Name)
			}
		}
		return nil
	})
	return names, err
}

func controlCell(d *reportDoc, fws []grade.Framework, name string) cell {
	for _, f := range fws {
		if f.Name != name {
			continue
		}
		c := cell{text: d.text("control."+string(f.Status), nil), bold: true}
		switch f.Status {
		case grade.ControlFail:
			c.color = badRed
		case grade.ControlPass:
			c.color = goodGreen
		case programme.ControlAccepted:
			c.color = amber
		default:
			c.color = grey
		}
		return c
	}
	return cell{}
}
