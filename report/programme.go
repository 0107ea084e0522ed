package report

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/programme"
	"github.com/mxaudit/mxaudit/db"
)

// ProgrammeOptions configure the vendor-risk programme part of a report:
// deadlines, exceptions from a file, and the run cadence.
type ProgrammeOptions struct {
	// SLA is the remediation deadline table (programme.DefaultSLA when nil).
	SLA *programme.SLA
	// FileExceptions come from an --exceptions file; they are merged with
	// the database's, conflicts reported (programme.Merge).
	FileExceptions []programme.Exception
	// CadenceDays is the interval between scheduled runs (default 30);
	// certificates expiring before the next run plus MarginDays are listed.
	CadenceDays int
	// MarginDays is added to the cadence (default 7) for a late run.
	MarginDays int
}

// Defaults of the programme.
const (
	DefaultCadenceDays = 30
	DefaultMarginDays  = 7
	// ExceptionChange is the Change kind of an exception that expired or
	// was revoked since the previous run while its finding remains.
	ExceptionChange = "exception_ended"
)

// FindingException is the exception that accepts a finding.
type FindingException struct {
	ID       string `json:"id"`
	Approver string `json:"approver"`
	Reason   string `json:"reason"`
	// Expires is the expiry date (YYYY-MM-DD).
	Expires string `json:"expires"`
	Ticket  string `json:"ticket,omitempty"`
}

// SeenAt is a run and its time.
type SeenAt struct {
	Run int64     `json:"run"`
	At  time.Time `json:"at"`
}

// Programme is the vendor-risk programme view of the run: statuses,
// deadlines, exceptions, the control matrix and certificates to watch.
type Programme struct {
	// AsOf is the time statuses, deadlines and exceptions are judged at.
	AsOf time.Time `json:"as_of"`
	// SLA is the deadline table applied, as written in the configuration.
	SLA string `json:"sla"`
	// Findings counts by status over the run's findings (info excluded).
	Open     int `json:"open"`
	Reopened int `json:"reopened"`
	Accepted int `json:"accepted"`
	Overdue  int `json:"overdue"`
	// Exceptions is the register: every exception, active or not.
	Exceptions []ExceptionView `json:"exceptions"`
	// Expiring are the active exceptions expiring within ExpiringDays.
	Expiring     []ExceptionView `json:"expiring"`
	ExpiringDays int             `json:"expiring_days"`
	// Conflicts are exceptions of the file that disagree with stored ones; not applied.
	Conflicts []ExceptionConflict `json:"conflicts"`
	// Resolved are the findings of the previous run that are gone.
	Resolved []ResolvedFinding `json:"resolved"`
	// Controls is the control matrix per vendor row, for the configured frameworks.
	Controls []VendorControls `json:"controls"`
	// CertsBeforeNextRun lists leaf certificates expiring before the next
	// scheduled run (NextRun) plus the margin.
	CertsBeforeNextRun []CertWatch `json:"certs_before_next_run"`
	CadenceDays        int         `json:"cadence_days"`
	NextRun            time.Time   `json:"next_run"`
}

// ExceptionView is one exception of the register.
type ExceptionView struct {
	ID       string `json:"id"`
	Domain   string `json:"domain"`
	Vendor   string `json:"vendor,omitempty"`
	Code     string `json:"code,omitempty"`
	Host     string `json:"host,omitempty"`
	IP       string `json:"ip,omitempty"`
	Scope    string `json:"scope"`
	Approver string `json:"approver"`
	Reason   string `json:"reason"`
	Ticket   string `json:"ticket,omitempty"`
	Expires  string `json:"expires"`
	// State is active, expired or revoked at AsOf.
	State        string     `json:"state"`
	Source       string     `json:"source"`
	CreatedAt    *time.Time `json:"created_at,omitempty"`
	RevokedAt    *time.Time `json:"revoked_at,omitempty"`
	RevokedBy    string     `json:"revoked_by,omitempty"`
	RevokeReason string     `json:"revoke_reason,omitempty"`
	// Findings counts the run's findings above info it accepts.
	Findings int `json:"findings"`
}

// ExceptionConflict is a file exception not applied because it disagrees
// with a stored one.
type ExceptionConflict struct {
	FileID   string `json:"file_id"`
	StoredID string `json:"stored_id"`
	Why      string `json:"why"`
}

// ResolvedFinding is a finding of the previous run that is gone.
type ResolvedFinding struct {
	ID       string   `json:"id"`
	Vendors  []string `json:"vendors"`
	Domain   string   `json:"domain"`
	Host     string   `json:"host,omitempty"`
	IP       string   `json:"ip,omitempty"`
	Code     string   `json:"code"`
	Severity string   `json:"severity"`
	Status   string   `json:"status"`
}

// VendorControls is the control matrix of one vendor row.
type VendorControls struct {
	Vendor     string            `json:"vendor"`
	Domain     string            `json:"domain"`
	Owner      string            `json:"owner,omitempty"`
	Tier       string            `json:"tier,omitempty"`
	Frameworks []grade.Framework `json:"frameworks"`
}

// CertWatch is a certificate that expires before the next scheduled run.
type CertWatch struct {
	Vendors  []string  `json:"vendors"`
	Domain   string    `json:"domain"`
	Host     string    `json:"host"`
	IP       string    `json:"ip"`
	NotAfter time.Time `json:"not_after"`
	// Days from AsOf to NotAfter (negative once expired).
	Days int `json:"days"`
}

// progDomain is what the programme keeps of one stored domain while the
// report is built.
// It is kept in the builder's spool (one row per domain, JSON), not in
// memory: read back while the programme is judged.
type progDomain struct {
	Grade      grade.Grade     `json:"grade"`
	Incomplete bool            `json:"incomplete,omitempty"`
	Findings   []grade.Finding `json:"findings"`
	// Profiles are the sender-authentication profiles judged for the
	// domain (BOD 18-01, NIST SP 800-177r1) that the report shows.
	Profiles []grade.Framework `json:"profiles,omitempty"`
}

// progCollect keeps a domain's findings and certificates for the programme.
func (b *builder) progCollect(ctx context.Context, s db.StoredDomain) error {
	fs := make([]grade.Finding, len(s.Grade.Findings))
	for i, f := range s.Grade.Findings {
		f.Domain = s.Domain // ids are of the stored domain, whatever older rows hold
		// The programme judges by code, place, severity and effect; the
		// worded reason and its arguments are the report's findings' own,
		// and kept once there, not again here for every domain.
		f.Args, f.Phrases, f.Reason = nil, nil, ""
		fs[i] = f
	}
	if err := b.sp.putProg(ctx, s.Domain, &progDomain{Grade: s.Grade.Grade, Incomplete: s.Grade.Incomplete, Findings: fs,
		Profiles: FrameworksShown(b.opt.Org, s.Grade.Frameworks)}); err != nil {
		return err
	}
	// Only the certificates the programme lists are kept: those expiring
	// before the next scheduled run plus the margin.
	horizon := b.certHorizon()
	for _, h := range s.Evidence.Hosts {
		for _, a := range h.Addresses {
			if a.Cert != nil && len(a.Cert.Chain) > 0 && a.Cert.Chain[0].NotAfter.Before(horizon) {
				b.certs = append(b.certs, CertWatch{Domain: s.Domain, Host: h.Name, IP: a.IP, NotAfter: a.Cert.Chain[0].NotAfter})
			}
		}
	}
	return nil
}

// cadence is the run cadence and the margin of the programme, in days.
func (b *builder) cadence() (days, margin int) {
	days, margin = b.opt.Programme.CadenceDays, b.opt.Programme.MarginDays
	if days <= 0 {
		days = DefaultCadenceDays
	}
	if margin <= 0 {
		margin = DefaultMarginDays
	}
	return days, margin
}

// certHorizon is the date before which a certificate's expiry is listed:
// the next scheduled run plus the margin.
func (b *builder) certHorizon() time.Time {
	days, margin := b.cadence()
	return b.r.Run.StartedAt.AddDate(0, 0, days).AddDate(0, 0, margin)
}

// tierOf is the most critical tier (smallest number) of a domain's vendors.
func tierOf(vendors []db.VendorRow) map[string]int {
	out := map[string]int{}
	for _, v := range vendors {
		n := programme.TierNumber(v.Tier)
		if n == 0 {
			continue
		}
		if cur, ok := out[v.Domain]; !ok || n < cur {
			out[v.Domain] = n
		}
	}
	return out
}

// programme judges the run's findings in the programme: it sets each
// finding's status, dates and exception, adds the changes of exceptions
// that ended, and fills Report.Programme.
func (b *builder) programme(ctx context.Context, store *db.DB, runID int64, vendors []db.VendorRow, now time.Time) error {
	po := b.opt.Programme
	sla := programme.DefaultSLA()
	if po.SLA != nil {
		sla = *po.SLA
	}
	recs, err := store.Exceptions(ctx)
	if err != nil {
		return fmt.Errorf("exceptions: %w", err)
	}
	stored := make([]programme.Exception, 0, len(recs))
	for _, r := range recs {
		stored = append(stored, ExceptionOfRecord(r))
	}
	exs, conflicts := programme.Merge(stored, po.FileExceptions, now)
	sent, err := store.LettersSent(ctx)
	if err != nil {
		return fmt.Errorf("letters sent: %w", err)
	}
	var letters []programme.Letter
	for _, l := range sent {
		letters = append(letters, programme.Letter{Ref: l.Ref, RunID: l.RunID, Domains: l.Domains, SentOn: l.SentOn})
	}
	runs, err := store.FindingRuns(ctx, runID)
	if err != nil {
		return fmt.Errorf("finding history: %w", err)
	}
	hist := programme.History{Findings: map[string]*programme.Seen{}}
	for _, r := range runs {
		hist.Runs = append(hist.Runs, programme.RunRef{ID: r.ID, At: r.StartedAt.UTC()})
	}
	// The sightings stream: only the distinct findings and the runs each
	// was seen in are kept, not every row of every run.
	err = store.EachSighting(ctx, runs, func(s db.FindingSighting) error {
		id := grade.FindingID(s.Code, s.Domain, s.Host, s.IP)
		seen := hist.Findings[id]
		if seen == nil {
			seen = &programme.Seen{Code: s.Code, Domain: s.Domain, Host: s.Host, IP: s.IP, Severity: s.Severity}
			hist.Findings[id] = seen
		}
		if n := len(seen.Runs); n == 0 || seen.Runs[n-1] != s.RunID {
			seen.Runs = append(seen.Runs, s.RunID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finding history: %w", err)
	}
	tiers := tierOf(vendors)
	var pf []programme.Finding
	err = b.sp.eachProg(ctx, func(name string, d *progDomain) error {
		for _, f := range d.Findings {
			pf = append(pf, programme.FindingOf(f, tiers[name]))
		}
		return nil
	})
	if err != nil {
		return err
	}
	res := programme.Evaluate(programme.Input{Now: now, History: hist, Exceptions: exs, Letters: letters, SLA: sla}, pf)

	p := &Programme{AsOf: now, SLA: sla.String(), ExpiringDays: programme.DefaultExpiringDays,
		Exceptions: []ExceptionView{}, Expiring: []ExceptionView{}, Conflicts: []ExceptionConflict{}, Resolved: []ResolvedFinding{},
		CertsBeforeNextRun: []CertWatch{}}
	accepts := map[string]int{}
	err = b.sp.finishFindings(ctx, func(f *Finding) {
		t, ok := res.Tracks[f.ID]
		if !ok {
			return
		}
		f.Status = string(t.Status)
		f.FirstSeen = &SeenAt{Run: t.FirstSeen.ID, At: t.FirstSeen.At}
		f.LastSeen = &SeenAt{Run: t.LastSeen.ID, At: t.LastSeen.At}
		f.AgeDays, f.Due, f.Overdue = t.AgeDays, t.Due, t.Overdue
		if e := t.Exception; e != nil {
			f.Exception = &FindingException{ID: e.ID, Approver: e.Approver, Reason: e.Reason, Expires: e.ExpiresOn(), Ticket: e.Ticket}
		}
		if f.SeverityNum == 0 {
			return
		}
		if e := t.Exception; e != nil {
			accepts[e.ID]++
		}
		switch t.Status {
		case programme.StatusAccepted:
			p.Accepted++
		case programme.StatusReopened:
			p.Reopened++
		default:
			p.Open++
		}
		if t.Overdue {
			p.Overdue++
		}
	})
	if err != nil {
		return err
	}
	for _, e := range exs {
		p.Exceptions = append(p.Exceptions, exceptionView(e, now, accepts[e.ID]))
	}
	for _, e := range res.Expiring {
		p.Expiring = append(p.Expiring, exceptionView(e, now, accepts[e.ID]))
	}
	for _, c := range conflicts {
		p.Conflicts = append(p.Conflicts, ExceptionConflict{FileID: c.File.ID, StoredID: c.Stored.ID, Why: c.Why})
	}
	for _, s := range res.Resolved {
		vs := b.vendorsOf[s.Domain]
		if vs == nil {
			vs = []string{}
		}
		p.Resolved = append(p.Resolved, ResolvedFinding{ID: grade.FindingID(s.Code, s.Domain, s.Host, s.IP), Vendors: vs,
			Domain: s.Domain, Host: s.Host, IP: s.IP, Code: s.Code, Severity: s.Severity.String(), Status: string(programme.StatusResolved)})
	}
	for i, l := range res.Lapsed {
		e := l.Exception
		how := "expired on " + e.ExpiresOn()
		if l.Revoked {
			how = fmt.Sprintf("revoked by %s on %s (%s)", e.Revoked.By, e.Revoked.At.UTC().Format(time.DateOnly), e.Revoked.Reason)
		}
		text := fmt.Sprintf("Exception %s by %s %s: %s is open again (%d %s)", e.ID, e.Approver, how, e.Scope(),
			len(l.FindingIDs), plural(len(l.FindingIDs), "finding", "findings"))
		// Each ended exception heads the changes, the last one first.
		if err := b.sp.putChange(ctx, 0, -int64(i), &Change{Kind: ExceptionChange, Domain: e.Domain, Vendors: b.vendorsOf[e.Domain],
			Text: text, Bad: true}); err != nil {
			return err
		}
	}
	// The control matrix per vendor row, and each domain's accepted-risk state.
	b.riskAccepted = map[string]bool{}
	err = b.sp.eachProg(ctx, func(name string, d *progDomain) error {
		b.riskAccepted[name] = programme.RiskAccepted(d.Findings, exs, now)
		return nil
	})
	if err != nil {
		return err
	}
	// The transport frameworks the organisation answers to, then the
	// sender-authentication profiles judged from the stored grade.
	for _, v := range b.rows(vendors) {
		d, ok, err := b.sp.prog(ctx, v.Domain)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		var fws []grade.Framework
		if len(b.opt.Org.Frameworks) > 0 {
			fws = programme.JudgeControls(b.opt.Org.Frameworks, programme.DomainFacts{Grade: d.Grade, Incomplete: d.Incomplete, Findings: d.Findings},
				func(f grade.Finding) bool { return programme.Covering(exs, f, now) != nil })
		}
		fws = append(fws, d.Profiles...)
		if len(fws) > 0 {
			// One row per vendor row: spooled, served by EachControl.
			if err := b.sp.putBody(ctx, "controls", &VendorControls{Vendor: v.Vendor, Domain: v.Domain, Owner: v.Owner, Tier: v.Tier,
				Frameworks: fws}); err != nil {
				return err
			}
			b.sp.controlsN++
		}
	}
	p.CadenceDays = po.CadenceDays
	if p.CadenceDays <= 0 {
		p.CadenceDays = DefaultCadenceDays
	}
	margin := po.MarginDays
	if margin <= 0 {
		margin = DefaultMarginDays
	}
	p.NextRun = b.r.Run.StartedAt.AddDate(0, 0, p.CadenceDays)
	horizon := p.NextRun.AddDate(0, 0, margin)
	seenCert := map[string]bool{}
	for _, c := range b.certs {
		key := c.Domain + "\x00" + c.Host + "\x00" + c.IP
		if seenCert[key] || !c.NotAfter.Before(horizon) {
			continue
		}
		seenCert[key] = true
		c.Vendors = b.vendorsOf[c.Domain]
		if c.Vendors == nil {
			c.Vendors = []string{}
		}
		c.Days = int(c.NotAfter.Sub(now).Hours() / 24)
		p.CertsBeforeNextRun = append(p.CertsBeforeNextRun, c)
	}
	sort.SliceStable(p.CertsBeforeNextRun, func(i, j int) bool {
		return p.CertsBeforeNextRun[i].NotAfter.Before(p.CertsBeforeNextRun[j].NotAfter)
	})
	b.r.Programme = p
	b.certs = nil
	// What the programme kept of each domain is no longer needed; its
	// pages are reused by the rows written after it.
	return b.sp.exec(ctx, `DELETE FROM domains`)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ExceptionOfRecord is the programme's exception of a database record.
func ExceptionOfRecord(r db.ExceptionRecord) programme.Exception {
	e := programme.Exception{ID: db.ExceptionID(r.ID), Domain: r.Domain, Vendor: r.Vendor, Code: r.Code, Host: r.Host, IP: r.IP,
		Approver: r.Approver, Reason: r.Reason, Ticket: r.Ticket, Expires: r.Expires, CreatedAt: r.CreatedAt, Source: programme.SourceDatabase}
	if r.RevokedAt != nil {
		e.Revoked = &programme.Revocation{At: *r.RevokedAt, By: r.RevokedBy, Reason: r.RevokeReason}
	}
	return e
}

func exceptionView(e programme.Exception, now time.Time, findings int) ExceptionView {
	v := ExceptionView{ID: e.ID, Domain: e.Domain, Vendor: e.Vendor, Code: e.Code, Host: e.Host, IP: e.IP, Scope: e.Scope(),
		Approver: e.Approver, Reason: e.Reason, Ticket: e.Ticket, Expires: e.ExpiresOn(), State: e.State(now), Source: e.Source, Findings: findings}
	if !e.CreatedAt.IsZero() {
		t := e.CreatedAt.UTC()
		v.CreatedAt = &t
	}
	if r := e.Revoked; r != nil {
		t := r.At.UTC()
		v.RevokedAt, v.RevokedBy, v.RevokeReason = &t, r.By, r.Reason
	}
	return v
}

// Accepted reports whether the finding is accepted by an active exception:
// it stays in the report but not in vendors at risk, thresholds or
// letters' required changes.
func (f Finding) Accepted() bool { return f.Status == string(programme.StatusAccepted) }

// OpenFindings are the findings above info that are not accepted,
// overdue first, then by owner, tier and severity: the order of the
// "Open findings and deadlines" section and the tracker.
// They are all read into memory: a renderer of a large run walks
// EachFinding(FindingQuery{Order: ByDeadline, Open: true}) instead.
func (r *Report) OpenFindings() ([]Finding, error) {
	var out []Finding
	err := r.EachFinding(FindingQuery{Order: ByDeadline, Open: true}, func(f *Finding) error {
		out = append(out, *f)
		return nil
	})
	return out, err
}

// AcceptedFindings are the findings accepted by an active exception (all
// read into memory; see OpenFindings).
func (r *Report) AcceptedFindings() ([]Finding, error) {
	var out []Finding
	err := r.EachFinding(FindingQuery{Accepted: true}, func(f *Finding) error {
		out = append(out, *f)
		return nil
	})
	return out, err
}

// ownersAndTiers gives each domain's owner and tier as the vendor table
// has them, for a report whose rows are in memory (a spooled report keys
// its findings by them in its spool).
func (r *Report) ownersAndTiers() (map[string]string, map[string]int) {
	owner, tier := map[string]string{}, map[string]int{}
	for _, v := range r.Vendors {
		if owner[v.Domain] == "" {
			owner[v.Domain] = v.Owner
		}
		if n := programme.TierNumber(v.Tier); n > 0 && (tier[v.Domain] == 0 || n < tier[v.Domain]) {
			tier[v.Domain] = n
		}
	}
	return owner, tier
}

// DomainOwnerTier is the owner and the tier label of a domain's first
// vendor row, for the tracker.
func (r *Report) DomainOwnerTier(domain string) (owner, tier string, err error) {
	err = r.EachVendor(VendorQuery{Domain: domain}, func(v *VendorRow) error {
		owner, tier = v.Owner, v.Tier
		return ErrStop
	})
	return owner, tier, err
}

// AtRiskGrade reports whether a grade puts a vendor at risk (D or F).
func AtRiskGrade(g grade.Grade) bool { return g == grade.GradeD || g == grade.GradeF }

// programmeSummary puts the programme's counts into the summary: findings
// open, overdue and accepted, and vendors whose risk is accepted (every
// at-risk domain's grade-lowering findings accepted).
func (b *builder) programmeSummary(ctx context.Context, vendors []db.VendorRow) error {
	s, p := &b.r.Summary, b.r.Programme
	if p == nil {
		return nil
	}
	s.OpenFindings, s.OverdueFindings, s.AcceptedFindings = p.Open+p.Reopened, p.Overdue, p.Accepted
	type vstate struct{ atRisk, allAccepted bool }
	byVendor := map[string]*vstate{}
	var order []string
	for _, v := range b.rows(vendors) {
		st, ok := byVendor[v.Vendor]
		if !ok {
			st = &vstate{allAccepted: true}
			byVendor[v.Vendor] = st
			order = append(order, v.Vendor)
		}
		f, ok, err := b.fact(ctx, v.Domain)
		if err != nil {
			return err
		}
		if !ok || !AtRiskGrade(f.grade) {
			continue
		}
		st.atRisk = true
		if !b.riskAccepted[v.Domain] {
			st.allAccepted = false
		}
	}
	for _, name := range order {
		if st := byVendor[name]; st.atRisk && st.allAccepted {
			s.VendorsAcceptedRisk++
		}
	}
	return nil
}
