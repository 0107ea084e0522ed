package report_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/programme"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
)

// progDomain is one domain with one MX address, its grade, findings and
// leaf certificate expiry.
func progDomain(name string, g grade.Grade, notAfter time.Time, fs ...grade.Finding) (*evidence.Domain, *grade.DomainGrade) {
	host, ip := "mx."+name, "127.0.0.1"
	ev := &evidence.Domain{Domain: name, FinishedAt: notAfter.AddDate(0, -3, 0),
		MX:    evidence.MXLookup{Kind: evidence.MXExplicit, Records: []evidence.MXRecord{{Preference: 10, Host: host}}},
		Hosts: []evidence.Host{{Name: host, Preference: 10, Addresses: []evidence.Address{{IP: ip, Cert: &evidence.CertCheck{Name: host, Chain: []evidence.Certificate{{NotAfter: notAfter}}}}}}}}
	gr := &grade.DomainGrade{Domain: name, Grade: g, ForcedTLS: grade.ForcedTLSEligible,
		MX: []grade.MXGrade{{Host: host, Preference: 10, Grade: g, Addresses: []grade.AddressGrade{{IP: ip, Grade: g}}}}}
	for _, f := range fs {
		f.Domain, f.Host, f.IP = name, host, ip
		gr.Findings = append(gr.Findings, f)
	}
	return ev, gr
}

var (
	sslv3  = grade.Finding{Code: grade.CodeSSLv3Enabled, Severity: grade.Critical, ForceF: true}
	tls10  = grade.Finding{Code: grade.CodeTLS10Enabled, Severity: grade.Medium, Deduction: 5}
	notls3 = grade.Finding{Code: grade.CodeNoTLS13, Severity: grade.Info}
	progVs = []db.VendorRow{
		{Vendor: "Acme", Domain: "a.example", Owner: "Dana", Tier: "Tier 1", Row: 2},
		{Vendor: "Beta", Domain: "b.example", Owner: "Omar", Tier: "3", Row: 3},
	}
)

func jan(d int) time.Time { return time.Date(2027, 1, d, 9, 0, 0, 0, time.UTC) }

// progStore holds three monthly runs: a.example keeps SSLv3 throughout;
// b.example has TLS 1.0 in run 1 only.
func progStore(t *testing.T) (*db.DB, []int64) {
	t.Helper()
	ctx := context.Background()
	store, err := db.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	certEnd := time.Date(2027, 2, 20, 0, 0, 0, 0, time.UTC)
	var ids []int64
	for i, at := range []time.Time{jan(1), jan(1).AddDate(0, 1, 0), jan(1).AddDate(0, 2, 0)} {
		id, err := store.CreateRun(ctx, db.Run{ListName: "v.csv", Policy: "default", PolicyVersion: "1", ToolVersion: "t", StartedAt: at, TotalDomains: 2}, progVs, nil)
		if err != nil {
			t.Fatal(err)
		}
		ev, g := progDomain("a.example", grade.GradeF, certEnd, sslv3, notls3)
		if err := store.SaveDomain(ctx, id, ev, g); err != nil {
			t.Fatal(err)
		}
		bf := []grade.Finding{}
		bg := grade.GradeA
		if i == 0 {
			bf, bg = append(bf, tls10), grade.GradeB
		}
		ev, g = progDomain("b.example", bg, certEnd.AddDate(1, 0, 0), bf...)
		if err := store.SaveDomain(ctx, id, ev, g); err != nil {
			t.Fatal(err)
		}
		if err := store.FinishRun(ctx, id, db.StatusCompleted, at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		var base *int64
		if len(ids) > 0 {
			base = &ids[len(ids)-1]
		}
		diff, err := store.ComputeDiff(ctx, id, base, 30)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.SaveDiff(ctx, id, base, diff); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if _, err := store.AddException(ctx, db.ExceptionRecord{Domain: "a.example", Vendor: "Acme", Code: grade.CodeSSLv3Enabled,
		Approver: "Jane Roe", Reason: "gateway replacement", Ticket: "CHG-1", Expires: time.Date(2027, 2, 15, 0, 0, 0, 0, time.UTC), CreatedAt: jan(10)}); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkLetterSent(ctx, db.LetterSent{Ref: "MXA-1-x", RunID: ids[0], Domains: []string{"a.example"},
		SentOn: time.Date(2027, 1, 5, 0, 0, 0, 0, time.UTC), RecordedAt: jan(5)}); err != nil {
		t.Fatal(err)
	}
	return store, ids
}

func findingByCode(r *report.Report, code string) *report.Finding {
	for i := range r.Findings {
		if r.Findings[i].Code == code {
			return &r.Findings[i]
		}
	}
	return nil
}

func TestProgrammeAcceptedThenExpired(t *testing.T) {
	store, ids := progStore(t)
	ctx := context.Background()
	at := func(ts time.Time) report.Options {
		return report.Options{Org: report.Org{Frameworks: []string{"HIPAA", "PCI DSS"}}, Now: func() time.Time { return ts }}
	}
	// Run 2, reported on February 1: the exception is active.
	r, err := report.Build(ctx, store, ids[1], at(jan(1).AddDate(0, 1, 0).Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	f := findingByCode(r, grade.CodeSSLv3Enabled)
	if f == nil || f.Status != "accepted" || f.Exception == nil || f.Exception.ID != "EX-1" || f.Exception.Approver != "Jane Roe" ||
		f.Exception.Expires != "2027-02-15" || f.Exception.Ticket != "CHG-1" || f.Overdue {
		t.Fatalf("SSLv3 finding in run 2 = %+v", f)
	}
	if f.ID != grade.FindingID(grade.CodeSSLv3Enabled, "a.example", "mx.a.example", "127.0.0.1") || f.FirstSeen == nil || f.FirstSeen.Run != ids[0] || f.AgeDays != 31 {
		t.Errorf("id %s first seen %+v age %d", f.ID, f.FirstSeen, f.AgeDays)
	}
	// Critical at tier 1: 7 days from the letter sent on January 5 (after first seen).
	if f.Due == nil || !f.Due.Equal(time.Date(2027, 1, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("due = %v, want 2027-01-12", f.Due)
	}
	if info := findingByCode(r, grade.CodeNoTLS13); info == nil || info.Due != nil || info.Status != "open" {
		t.Errorf("info finding = %+v; want open without deadline", info)
	}
	s := r.Summary
	if s.AcceptedFindings != 1 || s.OpenFindings != 0 || s.OverdueFindings != 0 || s.VendorsAcceptedRisk != 1 {
		t.Errorf("summary accepted %d open %d overdue %d vendors accepted %d", s.AcceptedFindings, s.OpenFindings, s.OverdueFindings, s.VendorsAcceptedRisk)
	}
	if r.Vendors[0].Domain != "a.example" || r.Vendors[0].Grade != "F" || !r.Vendors[0].AcceptedRisk {
		t.Errorf("the measured grade stays, marked accepted risk: %+v", r.Vendors[0])
	}
	p := r.Programme
	if len(p.Expiring) != 1 || p.Expiring[0].ID != "EX-1" || len(p.Exceptions) != 1 || p.Exceptions[0].State != "active" || p.Exceptions[0].Findings != 1 {
		t.Errorf("expiring %+v register %+v", p.Expiring, p.Exceptions)
	}
	if len(p.Resolved) != 1 || p.Resolved[0].Code != grade.CodeTLS10Enabled || p.Resolved[0].Status != "resolved" {
		t.Errorf("resolved = %+v", p.Resolved)
	}
	if len(p.Controls) != 2 || p.Controls[0].Domain != "a.example" || p.Controls[0].Frameworks[0].Status != programme.ControlAccepted ||
		p.Controls[1].Frameworks[1].Status != grade.ControlPass {
		t.Errorf("controls = %+v", p.Controls)
	}
	// The certificate of a.example ends on Feb 20, before the next run (Mar 1 + margin).
	if len(p.CertsBeforeNextRun) != 1 || p.CertsBeforeNextRun[0].Domain != "a.example" || p.CertsBeforeNextRun[0].Days != 18 {
		t.Errorf("certs before next run = %+v", p.CertsBeforeNextRun)
	}

	// Run 3, reported on March 1: the exception expired on February 15.
	r, err = report.Build(ctx, store, ids[2], at(jan(1).AddDate(0, 2, 0).Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	f = findingByCode(r, grade.CodeSSLv3Enabled)
	if f.Status != "reopened" || f.Exception != nil || !f.Overdue {
		t.Errorf("after expiry = %+v; want reopened and overdue", f)
	}
	if r.Summary.VendorsAcceptedRisk != 0 || r.Summary.OverdueFindings != 1 || r.Summary.OpenFindings != 1 || r.Vendors[0].AcceptedRisk {
		t.Errorf("summary after expiry: %+v", r.Summary)
	}
	if len(r.Changes) == 0 || r.Changes[0].Kind != report.ExceptionChange || !r.Changes[0].Bad ||
		!strings.Contains(r.Changes[0].Text, "Exception EX-1 by Jane Roe expired on 2027-02-15") {
		t.Errorf("changes = %+v", r.Changes)
	}
	if st := r.Programme.Exceptions[0].State; st != "expired" || len(r.Programme.Expiring) != 0 {
		t.Errorf("register state %s, expiring %v", st, r.Programme.Expiring)
	}
	if open, err := r.OpenFindings(); err != nil || len(open) != 1 || open[0].Code != grade.CodeSSLv3Enabled {
		t.Errorf("open findings, overdue first = %+v, %v", open, err)
	}
}

func TestProgrammeFileExceptionConflict(t *testing.T) {
	store, ids := progStore(t)
	now := jan(1).AddDate(0, 1, 0).Add(time.Hour)
	file := []programme.Exception{
		{ID: "acme-longer", Domain: "a.example", Code: grade.CodeSSLv3Enabled, Approver: "Someone Else", Reason: "other", Expires: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC), Source: "exceptions.yaml"},
		{ID: "beta-all", Domain: "b.example", Approver: "Ann", Reason: "decommissioning", Expires: time.Date(2027, 12, 1, 0, 0, 0, 0, time.UTC), Source: "exceptions.yaml"},
	}
	r, err := report.Build(context.Background(), store, ids[1], report.Options{Now: func() time.Time { return now },
		Programme: report.ProgrammeOptions{FileExceptions: file}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	p := r.Programme
	if len(p.Conflicts) != 1 || p.Conflicts[0].FileID != "acme-longer" || p.Conflicts[0].StoredID != "EX-1" {
		t.Fatalf("conflicts = %+v", p.Conflicts)
	}
	if f := findingByCode(r, grade.CodeSSLv3Enabled); f.Exception == nil || f.Exception.ID != "EX-1" {
		t.Errorf("the stored exception applies, the conflicting file one does not: %+v", f.Exception)
	}
	if len(p.Exceptions) != 2 || p.Exceptions[1].ID != "beta-all" || p.Exceptions[1].Source != "exceptions.yaml" {
		t.Errorf("register = %+v", p.Exceptions)
	}
}

func TestLettersLeaveAcceptedOut(t *testing.T) {
	store, ids := progStore(t)
	now := jan(1).AddDate(0, 1, 0).Add(time.Hour)
	r, err := report.Build(context.Background(), store, ids[1], report.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	if ls := report.Letters(r); len(ls) != 0 {
		t.Errorf("the only required change is accepted, yet letters = %+v", ls)
	}
	later := jan(1).AddDate(0, 2, 0)
	r, err = report.Build(context.Background(), store, ids[2], report.Options{Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	ls := report.Letters(r)
	if len(ls) != 1 || ls[0].Vendor != "Acme" || ls[0].Domain != "a.example" || len(ls[0].Findings) != 1 || ls[0].Findings[0].Code != grade.CodeSSLv3Enabled {
		t.Fatalf("letters after expiry = %+v", ls)
	}
	if ls[0].Ref != report.LetterRef(ids[2], "a.example") || !strings.HasPrefix(ls[0].Ref, "MXA-3-") {
		t.Errorf("ref = %s", ls[0].Ref)
	}
	if run, err := report.ParseLetterRef(strings.ToLower(ls[0].Ref)); err != nil || run != ids[2] {
		t.Errorf("ParseLetterRef = %d, %v", run, err)
	}
	for _, bad := range []string{"", "MXA-", "MXA-3", "MXA-x-ABCDEF", "MXA-3-ABC", "MXA-3-GGGGGG", "LTR-3-ABCDEF"} {
		if _, err := report.ParseLetterRef(bad); err == nil {
			t.Errorf("ParseLetterRef(%q) accepted", bad)
		}
	}
}
