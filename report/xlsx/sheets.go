package xlsx

import (
	"fmt"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/report"
)

// emitFunc takes one data row, one value per column of the sheet.
type emitFunc func(values ...any) error

// sheetDef declares one sheet: its name, its columns and how its rows are
// drawn from the report.
type sheetDef struct {
	name string
	cols []column
	// freezeCols is how many leading columns stay in view beside the
	// frozen header row.
	freezeCols int
	// rows emits the data rows in order.
	rows func(r *report.Report, emit emitFunc) error
	// count is the number of rows rows emits, read from the report's
	// counts without walking the rows; nil for a sheet whose rows are
	// cheap to walk twice (they are counted by walking them).
	count func(r *report.Report) (int, error)
	// render writes the sheet: (*book).stream for the tables,
	// (*book).summary for the Summary.
	render func(b *book, d sheetDef) error
}

// Sheet names, in workbook order.
const (
	sheetSummary  = "Summary"
	sheetVendors  = "Vendors"
	sheetByOwner  = "By owner"
	sheetMX       = "MX hosts"
	sheetSuites   = "Cipher suites"
	sheetFindings = "Findings"
	sheetChanges  = "Changes"
	sheetProblems = "Input problems"
)

// sheets is the single source of truth for the workbook: every sheet, in
// order, with its columns. The MX sheet has a column per check the
// report's methodology defines.
func sheets(r *report.Report) []sheetDef {
	return append(baseSheets(r), programmeSheets()...)
}

// baseSheets are the audit's sheets, before the programme's.
func baseSheets(r *report.Report) []sheetDef {
	return []sheetDef{
		{
			name: sheetSummary,
			cols: []column{
				{header: "Item", width: widthMedium, kind: kindText},
				{header: "Value", width: widthMedium, kind: kindText},
			},
			rows:   summaryRows,
			render: (*book).summary,
		},
		{
			name:       sheetVendors,
			cols:       vendorColumns(),
			freezeCols: 2,
			rows:       vendorRows,
			count:      vendorCount,
			render:     (*book).stream,
		},
		{
			name:       sheetByOwner,
			cols:       ownerFirst(vendorColumns()),
			freezeCols: 3,
			rows:       ownerRows,
			count:      vendorCount,
			render:     (*book).stream,
		},
		{
			name:       sheetMX,
			cols:       mxColumns(r),
			freezeCols: 3,
			rows:       mxRows,
			count:      (*report.Report).MXAddressCount,
			render:     (*book).stream,
		},
		{
			name: sheetSuites,
			cols: []column{
				{header: "IP", width: widthShort, kind: kindText},
				{header: "Probe", width: widthShort, kind: kindText},
				{header: "Version", width: widthFlag, kind: kindText},
				{header: "Code", width: widthShort, kind: kindText},
				{header: "Name", width: widthMedium, kind: kindText},
				{header: "Bits", width: widthFlag, kind: kindInt},
				{header: "Key exchange", width: widthShort, kind: kindText},
				{header: "Flags", width: widthName, kind: kindText},
				{header: "Weak", width: widthFlag, kind: kindText},
				{header: "Server order position", width: widthFlag, kind: kindInt},
				{header: "Order chosen by", width: widthShort, kind: kindText},
				{header: "Enumeration complete", width: widthShort, kind: kindText},
			},
			freezeCols: 2,
			rows:       suiteRows,
			count:      (*report.Report).SuiteRowCount,
			render:     (*book).stream,
		},
		{
			name: sheetFindings,
			cols: []column{
				{header: "Code", width: widthName, kind: kindText},
				{header: "Severity", width: widthFlag, kind: kindSeverity},
				{header: "Vendors", width: widthName, kind: kindText},
				{header: "Domain", width: widthHost, kind: kindText},
				{header: "MX host", width: widthHost, kind: kindText},
				{header: "IP", width: widthShort, kind: kindText},
				{header: "Title", width: widthMedium, kind: kindWrap},
				{header: "Message", width: widthLong, kind: kindWrap},
				{header: "Remediation", width: widthLong, kind: kindWrap},
				{header: "Standards", width: widthMedium, kind: kindWrap},
				{header: "Why it matters", width: widthLong, kind: kindWrap},
				{header: "New since last run", width: widthFlag, kind: kindText},
			},
			freezeCols: 2,
			rows:       findingRows,
			count:      findingCount,
			render:     (*book).stream,
		},
		{
			name: sheetChanges,
			cols: []column{
				{header: "Kind", width: widthShort, kind: kindText},
				{header: "Domain", width: widthHost, kind: kindText},
				{header: "Vendors", width: widthName, kind: kindText},
				{header: "MX host", width: widthHost, kind: kindText},
				{header: "IP", width: widthShort, kind: kindText},
				{header: "From", width: widthShort, kind: kindText},
				{header: "To", width: widthShort, kind: kindText},
				{header: "Change", width: widthLong, kind: kindWrap},
				{header: "For the worse", width: widthFlag, kind: kindText},
			},
			freezeCols: 2,
			rows:       changeRows,
			count:      changeCount,
			render:     (*book).stream,
		},
		{
			name: sheetProblems,
			cols: []column{
				{header: "Sheet", width: widthShort, kind: kindText},
				{header: "Row", width: widthFlag, kind: kindInt},
				{header: "Column", width: widthShort, kind: kindText},
				{header: "Value", width: widthName, kind: kindText},
				{header: "Message", width: widthLong, kind: kindWrap},
			},
			rows:   problemRows,
			count:  func(r *report.Report) (int, error) { return len(r.Problems), nil },
			render: (*book).stream,
		},
	}
}

// typed gives one value its own kind, for the Summary's value column.
type typed struct {
	kind kind
	v    any
}

func summaryRows(r *report.Report, emit emitFunc) error {
	s, run := r.Summary, r.Run
	var finished, regraded, baseID, baseStarted any
	if run.FinishedAt != nil {
		finished = typed{kindDateTime, *run.FinishedAt}
	}
	if run.RegradedFrom != nil {
		regraded = int(*run.RegradedFrom)
	}
	if r.Base != nil {
		baseID, baseStarted = int(r.Base.ID), typed{kindDateTime, r.Base.StartedAt}
	}
	items := []struct {
		label string
		value any
	}{
		{"Organisation", r.Org.Name},
		{"Report title", r.Org.Title},
		{"Contact", r.Org.Contact},
		{"Policy label", r.Org.PolicyLabel},
		{"Frameworks", strings.Join(r.Org.Frameworks, ", ")},
		{"Run", int(run.ID)},
		{"Vendor list", run.ListName},
		{"Input file", run.InputPath},
		{"Input file SHA-256", run.InputSHA256},
		{"Run status", words(run.Status)},
		{"Run started (UTC)", typed{kindDateTime, run.StartedAt}},
		{"Run finished (UTC)", finished},
		{"Policy", run.Policy},
		{"Policy version", run.PolicyVersion},
		{"Regraded from run", regraded},
		{"Tool version of the run", run.ToolVersion},
		{"Compared with run", baseID},
		{"Compared run started (UTC)", baseStarted},
		{"Report generated (UTC)", typed{kindDateTime, r.GeneratedAt}},
		{"Report tool version", r.ToolVersion},
		{"Evidence root digest (SHA-256)", r.Manifest.RootDigest},
		{"Vendors", s.Vendors},
		{"Domains", s.Domains},
		{"MX hosts", s.MXHosts},
		{"Addresses", s.Addresses},
		{"Vendors eligible for Forced TLS", s.ForcedEligible},
		{"Vendors not eligible for Forced TLS", s.ForcedNotEligible},
		{"Vendors with Forced TLS unknown", s.ForcedUnknown},
		{"Share of vendors eligible for Forced TLS", typed{kindPercent, s.ForcedShare}},
		{"Critical findings", s.Critical},
		{"High findings", s.High},
		{"Medium findings", s.Medium},
		{"Low findings", s.Low},
		{"Regressions since the compared run", s.Regressions},
		{"Improvements since the compared run", s.Improvements},
		{fmt.Sprintf("Certificates expiring within %d days", s.ExpiryWarnDays), s.ExpiringSoon},
		{"Domains not fully audited", s.Inconclusive},
		{"Domains with MTA-STS in enforce mode", s.MTASTSEnforce},
		{"Domains with valid DANE", s.DANEValid},
		{"Input problems", s.InputProblems},
		{"Port 25 blocked at the scanner", s.PortBlocked},
		{"HTTPS blocked at the scanner (MTA-STS not checked)", s.HTTPSBlocked},
	}
	for _, it := range items {
		if err := emit(it.label, it.value); err != nil {
			return err
		}
	}
	return nil
}

// vendorColumns are the columns of a vendor row: who, the vendor list's
// own columns, then the grade (with its rank, so sorting by grade works)
// and what was found.
func vendorColumns() []column {
	return []column{
		{header: "Vendor", width: widthName, kind: kindText},
		{header: "Domain", width: widthHost, kind: kindText},
		{header: "Domain as listed", width: widthName, kind: kindText},
		{header: "Tier", width: widthFlag, kind: kindInt},
		{header: "Owner", width: widthShort, kind: kindText},
		{header: "Contact", width: widthName, kind: kindText},
		{header: "Tags", width: widthShort, kind: kindText},
		{header: "Notes", width: widthMedium, kind: kindWrap},
		{header: "Grade", width: widthFlag, kind: kindGrade},
		{header: "Grade rank (higher is better)", width: widthFlag, kind: kindInt},
		{header: "Score (0-100)", width: widthFlag, kind: kindInt},
		{header: "Previous grade", width: widthFlag, kind: kindGrade},
		{header: "Change since last run", width: widthShort, kind: kindText},
		{header: "Change in words", width: widthLong, kind: kindWrap},
		{header: "Regressed", width: widthFlag, kind: kindText},
		{header: "Last grade (not audited in this run)", width: widthName, kind: kindText},
		{header: "Incomplete", width: widthFlag, kind: kindText},
		{header: "Forced TLS", width: widthShort, kind: kindText},
		{header: "MTA-STS", width: widthShort, kind: kindText},
		{header: "DANE", width: widthShort, kind: kindText},
		{header: "SPF", width: widthShort, kind: kindText},
		{header: "DMARC", width: widthShort, kind: kindText},
		{header: "Sender authentication", width: widthShort, kind: kindText},
		{header: "Top finding", width: widthMedium, kind: kindText},
		{header: "Top severity", width: widthShort, kind: kindSeverity},
		{header: "Findings", width: widthFlag, kind: kindInt},
		{header: "Earliest certificate expiry (UTC)", width: widthShort, kind: kindDate},
	}
}

// vendorValues are one vendor row's values, in vendorColumns' order.
func vendorValues(v report.VendorRow) []any {
	var tier any = v.Tier // not a number: kept as written
	if v.TierNumber != nil {
		tier = *v.TierNumber
	}
	var carried any
	if v.CarriedFrom != nil {
		carried = v.CarriedFrom.Text()
	}
	var score any // empty when no address was graded
	if v.Score != nil {
		score = *v.Score
	}
	return []any{v.Vendor, v.Domain, v.Input, tier, v.Owner, v.Contact, strings.Join(v.Tags, ", "), v.Notes,
		v.Grade, v.GradeRank, score, v.PreviousGrade, v.Change, v.ChangeText, v.Regressed, carried, v.Incomplete,
		words(v.ForcedTLS), words(v.MTASTS), words(v.DANE), v.SPF, v.DMARC, v.SenderAuth, v.TopFinding, v.TopSeverity, v.Findings, v.EarliestExpiry}
}

func vendorRows(r *report.Report, emit emitFunc) error {
	return r.EachVendor(report.VendorQuery{}, func(v *report.VendorRow) error {
		return emit(vendorValues(*v)...)
	})
}

// ownerColumn is the position of the owner among the vendor columns.
const ownerColumn = 4

// ownerFirst moves the owner column of a vendor row to the front.
func ownerFirst[T any](row []T) []T {
	out := make([]T, 0, len(row))
	out = append(out, row[ownerColumn])
	out = append(out, row[:ownerColumn]...)
	return append(out, row[ownerColumn+1:]...)
}

// noOwner is the owner column of rows whose vendor list names none.
const noOwner = "(no owner)"

// ownerRows are the vendor rows by owner (rows without one last), each
// owner's rows in the vendor table's risk order.
func ownerRows(r *report.Report, emit emitFunc) error {
	return r.EachVendor(report.VendorQuery{Order: report.ByOwner}, func(v *report.VendorRow) error {
		owner := v.Owner
		if owner == "" {
			owner = noOwner
		}
		vals := vendorValues(*v)
		vals[ownerColumn] = owner
		return emit(ownerFirst(vals)...)
	})
}

// mxColumns are the MX sheet's columns: the address and its evidence,
// then one column per check of the methodology.
func mxColumns(r *report.Report) []column {
	cols := []column{
		{header: "Domain", width: widthHost, kind: kindText},
		{header: "Vendors", width: widthName, kind: kindText},
		{header: "MX host", width: widthHost, kind: kindText},
		{header: "Preference", width: widthFlag, kind: kindInt},
		{header: "MX grade", width: widthFlag, kind: kindGrade},
		{header: "IP", width: widthShort, kind: kindText},
		{header: "Probe", width: widthShort, kind: kindText},
		{header: "Address grade", width: widthFlag, kind: kindGrade},
		{header: "Probe status", width: widthShort, kind: kindText},
		{header: "Probe error", width: widthMedium, kind: kindText},
		{header: "Probed at (UTC)", width: widthShort + 4, kind: kindDateTime},
		{header: "Protocols supported", width: widthName, kind: kindText},
		{header: "Protocols not determined", width: widthName, kind: kindText},
		{header: "Handshake", width: widthMedium, kind: kindText},
		{header: "Certificate subject", width: widthMedium, kind: kindText},
		{header: "Certificate issuer", width: widthMedium, kind: kindText},
		{header: "Certificate names", width: widthMedium, kind: kindText},
		{header: "Certificate expiry (UTC)", width: widthShort, kind: kindDate},
		{header: "Days left at audit", width: widthFlag, kind: kindInt},
		{header: "Trusted", width: widthFlag, kind: kindText},
		{header: "Name match", width: widthFlag, kind: kindText},
		{header: "Self-signed", width: widthFlag, kind: kindText},
		{header: "Trust error", width: widthMedium, kind: kindText},
		{header: "Key", width: widthShort, kind: kindText},
		{header: "Signature", width: widthShort + 4, kind: kindText},
		{header: "Certificate SHA-256", width: widthMedium, kind: kindText},
		{header: "Banner", width: widthLong, kind: kindText},
		{header: "Connections", width: widthFlag, kind: kindInt},
		{header: "DANE (MX)", width: widthShort, kind: kindText},
		{header: "DANE (address)", width: widthName, kind: kindText},
	}
	for _, c := range r.Methodology.Checks {
		cols = append(cols, column{header: c.Label, width: widthShort, kind: kindText})
	}
	return cols
}

// mxNoAddress is the probe status of an MX host without an address.
const mxNoAddress = "no address"

func mxRows(r *report.Report, emit emitFunc) error {
	checks := r.Methodology.Checks
	// A domain's rows come together: its vendors are joined once.
	var domain, vendors string
	joined := false
	return r.EachMXAddress(func(m *report.MXAddress) error {
		if !joined || m.Domain != domain {
			domain, vendors, joined = m.Domain, strings.Join(m.Vendors, "; "), true
		}
		var a report.AddressView
		if m.Address != nil {
			a = *m.Address
		} else {
			// Keep the host visible: a name without an address cannot receive mail.
			a = report.AddressView{ProbeView: report.ProbeView{ProbeStatus: mxNoAddress}}
			a.ProbeRef = r.ProbeRefOf(&a)
		}
		row := make([]any, 0, 5+addressColumns+4+len(checks))
		row = append(row, m.Domain, vendors, m.Host, int(m.Preference), m.MXGrade)
		row = append(row, addressValues(a)...)
		row = append(row, a.Banner, a.Connections, words(m.MXDANE), a.DANE)
		for _, c := range checks {
			row = append(row, words(a.Checks[c.Name]))
		}
		return emit(row...)
	})
}

// addressColumns is the number of MX sheet columns addressValues fills.
const addressColumns = 9 + certColumns

// certColumns is the number of MX sheet columns from the certificate subject
// to its SHA-256.
const certColumns = 12

// addressValues are the MX sheet's values from IP to certificate SHA-256.
// The probe column names the row of the Cipher suites sheet to filter on.
func addressValues(a report.AddressView) []any {
	var supported, open []string
	for _, v := range a.Versions {
		switch evidence.Support(v.Support) {
		case evidence.Supported:
			supported = append(supported, v.Version)
		case evidence.NotSupported:
		default:
			open = append(open, v.Version+" "+strings.ReplaceAll(v.Support, "_", " "))
		}
	}
	out := []any{a.IP, probeID(a.ProbeRef), a.Grade, words(a.ProbeStatus), a.ProbeError, a.ProbedAt,
		strings.Join(supported, ", "), strings.Join(open, ", "), a.Protocol}
	c := a.Cert
	if c == nil {
		return append(out, make([]any, certColumns)...)
	}
	key := c.KeyType
	if c.KeyBits > 0 {
		key = fmt.Sprintf("%s %d", c.KeyType, c.KeyBits)
	}
	return append(out, c.Subject, c.Issuer, strings.Join(c.SANs, ", "), c.NotAfter, c.DaysToExpiry,
		words(c.Trusted), words(c.NameMatch), c.SelfSigned, c.TrustError, key, c.Signature, c.SHA256)
}

// probeIDLen is how many hex digits of a probe's ref the workbook shows:
// as many as a finding id, unique among the addresses of any run.
const probeIDLen = 16

// probeID is the short form of a probe ref the MX and Cipher suites sheets
// share, so an analyst can filter one by the other.
func probeID(ref string) string {
	if len(ref) > probeIDLen {
		return ref[:probeIDLen]
	}
	return ref
}

// suiteRows lists the suites of each distinct probe once: a provider's
// address shared by a hundred domains is one set of rows, not a hundred
// (one row per domain, address and suite would pass Excel's row limit at
// 100,000 domains). The MX sheet names each address's probe.
func suiteRows(r *report.Report, emit emitFunc) error {
	return r.EachProbe(func(p *report.ProbeView) error {
		for _, v := range p.Versions {
			serverOrder := evidence.Preference(v.Preference) == evidence.PreferServer
			for i, s := range v.Suites {
				var pos any
				if serverOrder {
					pos = i + 1
				}
				if err := emit(p.IP, probeID(p.Ref), v.Version, s.Code, s.Name, s.Bits, s.KeyExchange,
					strings.Join(s.Flags, ", "), s.Weak, pos, words(v.Preference), v.Complete); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// The row counts of the sheets that have one in the report.

func vendorCount(r *report.Report) (int, error) { return r.VendorCount(), nil }

func findingCount(r *report.Report) (int, error) { return r.CountFindings(report.FindingQuery{}) }

func changeCount(r *report.Report) (int, error) { return r.ChangeCount(), nil }

func findingRows(r *report.Report, emit emitFunc) error {
	return r.EachFinding(report.FindingQuery{}, func(f *report.Finding) error {
		return emit(f.Code, f.Severity, strings.Join(f.Vendors, "; "), f.Domain, f.Host, f.IP, f.Title,
			f.Message, f.Remediation, strings.Join(f.Standards, "; "), f.Why, f.New)
	})
}

func changeRows(r *report.Report, emit emitFunc) error {
	return r.EachChange(func(c *report.Change) error {
		// From and To are grades, or Forced-TLS verdicts ("not_eligible")
		// that need words; a grade ("A-") stays as it is.
		from, to := c.From, c.To
		if strings.Contains(from, "_") || strings.Contains(to, "_") {
			from, to = words(from), words(to)
		}
		return emit(words(c.Kind), c.Domain, strings.Join(c.Vendors, "; "), c.Host, c.IP, from, to, c.Text, c.Bad)
	})
}

func problemRows(r *report.Report, emit emitFunc) error {
	for _, p := range r.Problems {
		var row any
		if p.Row > 0 {
			row = p.Row
		}
		if err := emit(p.Sheet, row, p.Column, p.Value, p.Message); err != nil {
			return err
		}
	}
	return nil
}
