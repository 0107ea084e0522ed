package xlsx

import (
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/report"
)

// Sheets of the vendor-risk programme.
const (
	sheetTracker    = "Tracker"
	sheetExceptions = "Exceptions"
	sheetControls   = "Control matrix"
)

// programmeSheets are the programme's sheets: the tracker (one row per
// open or accepted finding), the exceptions register and the control
// matrix, each a filterable table with dates as dates.
func programmeSheets() []sheetDef {
	return []sheetDef{
		{
			name: sheetTracker,
			cols: []column{
				{header: "Finding id", width: widthShort, kind: kindText},
				{header: "Vendor", width: widthName, kind: kindText},
				{header: "Owner", width: widthShort, kind: kindText},
				{header: "Tier", width: widthFlag, kind: kindText},
				{header: "Domain", width: widthHost, kind: kindText},
				{header: "MX host", width: widthHost, kind: kindText},
				{header: "Address", width: widthShort, kind: kindText},
				{header: "Code", width: widthName, kind: kindText},
				{header: "Severity", width: widthFlag, kind: kindSeverity},
				{header: "Status", width: widthFlag, kind: kindText},
				{header: "First seen (UTC)", width: widthShort, kind: kindDate},
				{header: "Age (days)", width: widthFlag, kind: kindInt},
				{header: "Due (UTC)", width: widthShort, kind: kindDate},
				{header: "Overdue", width: widthFlag, kind: kindText},
				{header: "Exception", width: widthFlag, kind: kindText},
				{header: "Approver", width: widthShort, kind: kindText},
				{header: "Exception expires", width: widthShort, kind: kindDate},
			},
			freezeCols: 2,
			rows:       trackerRows,
			count:      trackerCount,
			render:     (*book).stream,
		},
		{
			name: sheetExceptions,
			cols: []column{
				{header: "Exception", width: widthFlag, kind: kindText},
				{header: "State", width: widthFlag, kind: kindText},
				{header: "Domain", width: widthHost, kind: kindText},
				{header: "Vendor", width: widthName, kind: kindText},
				{header: "Code", width: widthName, kind: kindText},
				{header: "MX host", width: widthHost, kind: kindText},
				{header: "Address", width: widthShort, kind: kindText},
				{header: "Approver", width: widthShort, kind: kindText},
				{header: "Reason", width: widthLong, kind: kindWrap},
				{header: "Ticket", width: widthShort, kind: kindText},
				{header: "Expires", width: widthShort, kind: kindDate},
				{header: "Recorded (UTC)", width: widthShort, kind: kindDateTime},
				{header: "Source", width: widthShort, kind: kindText},
				{header: "Revoked (UTC)", width: widthShort, kind: kindDateTime},
				{header: "Revoked by", width: widthShort, kind: kindText},
				{header: "Revocation reason", width: widthMedium, kind: kindWrap},
				{header: "Findings accepted", width: widthFlag, kind: kindInt},
			},
			freezeCols: 1,
			rows:       exceptionRows,
			count:      exceptionCount,
			render:     (*book).stream,
		},
		{
			name: sheetControls,
			cols: []column{
				{header: "Vendor", width: widthName, kind: kindText},
				{header: "Domain", width: widthHost, kind: kindText},
				{header: "Owner", width: widthShort, kind: kindText},
				{header: "Tier", width: widthFlag, kind: kindText},
				{header: "Framework", width: widthShort, kind: kindText},
				{header: "Control", width: widthLong, kind: kindWrap},
				{header: "Status", width: widthFlag, kind: kindText},
				{header: "Observed", width: widthLong, kind: kindWrap},
			},
			freezeCols: 2,
			rows:       controlRows,
			render:     (*book).stream,
		},
	}
}

// date reads a YYYY-MM-DD date as a date cell value (nil when empty).
func date(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, time.UTC)
	if err != nil {
		return nil
	}
	return &t
}

func trackerRows(r *report.Report, emit emitFunc) error {
	// The open findings in the tracker's order, then the accepted ones.
	var ot ownerTiers
	err := r.EachFinding(report.FindingQuery{Order: report.ByDeadline, Open: true}, func(f *report.Finding) error {
		return trackerRow(r, &ot, f, emit)
	})
	if err != nil {
		return err
	}
	return r.EachFinding(report.FindingQuery{Accepted: true}, func(f *report.Finding) error {
		if f.SeverityNum <= 0 {
			return nil
		}
		return trackerRow(r, &ot, f, emit)
	})
}

// ownerTiers remembers the owner and tier of the domain of the last
// finding: in the tracker's order a domain's findings of one severity
// come together, and asking the report for them is a query each (at
// 100,000 domains, 21 of the workbook's 197 CPU seconds went to it).
type ownerTiers struct {
	domain, owner, tier string
	known               bool
}

// of is the owner and tier of a domain's first vendor row.
func (o *ownerTiers) of(r *report.Report, domain string) (owner, tier string, err error) {
	if o.known && o.domain == domain {
		return o.owner, o.tier, nil
	}
	owner, tier, err = r.DomainOwnerTier(domain)
	if err != nil {
		return "", "", err
	}
	*o = ownerTiers{domain: domain, owner: owner, tier: tier, known: true}
	return owner, tier, nil
}

// trackerCount is the number of rows trackerRows emits: the open findings
// counted by the report, the accepted ones (few, by exception) walked.
func trackerCount(r *report.Report) (int, error) {
	open, err := r.CountFindings(report.FindingQuery{Open: true})
	if err != nil {
		return 0, err
	}
	accepted := 0
	err = r.EachFinding(report.FindingQuery{Accepted: true}, func(f *report.Finding) error {
		if f.SeverityNum > 0 {
			accepted++
		}
		return nil
	})
	return open + accepted, err
}

// trackerRow is one finding's row of the tracker.
func trackerRow(r *report.Report, ot *ownerTiers, f *report.Finding, emit emitFunc) error {
	owner, tier, err := ot.of(r, f.Domain)
	if err != nil {
		return err
	}
	var first *time.Time
	if f.FirstSeen != nil {
		t := f.FirstSeen.At
		first = &t
	}
	var exID, approver string
	var expires *time.Time
	if e := f.Exception; e != nil {
		exID, approver, expires = e.ID, e.Approver, date(e.Expires)
	}
	return emit(f.ID, strings.Join(f.Vendors, "; "), owner, tier, f.Domain, f.Host, f.IP, f.Code, f.Severity, f.Status,
		first, f.AgeDays, f.Due, f.Overdue, exID, approver, expires)
}

func exceptionRows(r *report.Report, emit emitFunc) error {
	if r.Programme == nil {
		return nil
	}
	for _, e := range r.Programme.Exceptions {
		if err := emit(e.ID, e.State, e.Domain, e.Vendor, e.Code, e.Host, e.IP, e.Approver, e.Reason, e.Ticket, date(e.Expires),
			e.CreatedAt, e.Source, e.RevokedAt, e.RevokedBy, e.RevokeReason, e.Findings); err != nil {
			return err
		}
	}
	return nil
}

func exceptionCount(r *report.Report) (int, error) {
	if r.Programme == nil {
		return 0, nil
	}
	return len(r.Programme.Exceptions), nil
}

func controlRows(r *report.Report, emit emitFunc) error {
	if r.Programme == nil {
		return nil
	}
	return r.EachControl(func(vc *report.VendorControls) error {
		for _, fw := range vc.Frameworks {
			for _, c := range fw.Controls {
				if err := emit(vc.Vendor, vc.Domain, vc.Owner, vc.Tier, fw.Name, c.Title, string(fw.Status), c.Reason); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
