package db

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestOpenMigratesOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "h.db")
	for i := 0; i < 2; i++ {
		d, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		v, err := d.SchemaVersion(ctx)
		if err != nil || v != 13 {
			t.Fatalf("schema version = %d, %v; want 13", v, err)
		}
		d.Close()
	}
}

func TestLockFailsFast(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.Lock(); err != nil {
		t.Fatalf("first lock: %v", err)
	}
	err = b.Lock()
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	a.Unlock()
	if err := b.Lock(); err != nil {
		t.Fatalf("lock after release: %v", err)
	}
}

// domainWith builds evidence and a grade for one domain with one MX address.
func domainWith(name, host, ip string, g grade.Grade, forced grade.ForcedTLS, codes ...string) (*evidence.Domain, *grade.DomainGrade) {
	ev := &evidence.Domain{
		Domain: name, FinishedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		MX: evidence.MXLookup{Kind: evidence.MXExplicit, Records: []evidence.MXRecord{{Preference: 10, Host: host}}},
		Hosts: []evidence.Host{{Name: host, Preference: 10, Addresses: []evidence.Address{{IP: ip,
			Probe: &evidence.Probe{IP: ip, Status: evidence.ProbeOK, Versions: []evidence.VersionResult{{Version: evidence.TLS12, Support: evidence.Supported}}},
			Cert: &evidence.CertCheck{Name: host, Expired: new(bool), DaysToExpiry: 200,
				Chain: []evidence.Certificate{{NotAfter: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)}}},
		}}}},
	}
	gr := &grade.DomainGrade{Domain: name, Grade: g, ForcedTLS: forced,
		MX: []grade.MXGrade{{Host: host, Preference: 10, Grade: g, Addresses: []grade.AddressGrade{{IP: ip, Grade: g}}}}}
	for _, c := range codes {
		gr.Findings = append(gr.Findings, grade.Finding{Code: c, Severity: grade.Medium, Domain: name, Host: host, IP: ip})
	}
	return ev, gr
}

func TestSaveDomainReplacesAndResumes(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	id, err := d.CreateRun(ctx, Run{ListName: "v.csv", Policy: "p", PolicyVersion: "1", ToolVersion: "t", StartedAt: time.Now(), TotalDomains: 2},
		[]VendorRow{{Vendor: "Acme", Domain: "a.example", Row: 2}, {Vendor: "Beta", Domain: "b.example", Row: 3}},
		[]Problem{{Row: 4, Column: "Domain", Value: "not a domain!", Message: "bad"}})
	if err != nil {
		t.Fatal(err)
	}
	ev, g := domainWith("a.example", "mx.a.example", "127.0.0.1", grade.GradeB, grade.ForcedTLSEligible, "WEAK_CIPHERS")
	for i := 0; i < 3; i++ { // a resumed run may store a domain again
		if err := d.SaveDomain(ctx, id, ev, g); err != nil {
			t.Fatal(err)
		}
	}
	done, err := d.DoneDomains(ctx, id)
	if err != nil || len(done) != 1 || !done["a.example"] {
		t.Fatalf("done = %v, %v", done, err)
	}
	var findings int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM findings`).Scan(&findings); err != nil || findings != 1 {
		t.Fatalf("findings rows = %d, %v; want 1 (no duplicates)", findings, err)
	}
	res, err := d.DomainResults(ctx, id)
	if err != nil || len(res) != 1 || res[0].Grade.Grade != grade.GradeB || res[0].Evidence.Hosts[0].Addresses[0].IP != "127.0.0.1" {
		t.Fatalf("results = %+v, %v", res, err)
	}
	probs, err := d.Problems(ctx, id)
	if err != nil || len(probs) != 1 || probs[0].Row != 4 {
		t.Fatalf("problems = %+v, %v", probs, err)
	}
	r, err := d.LatestRun(ctx, "v.csv", StatusRunning, StatusInterrupted)
	if err != nil || r.ID != id || r.Done != 1 || r.TotalDomains != 2 {
		t.Fatalf("latest running = %+v, %v", r, err)
	}
	if err := d.FinishRun(ctx, id, StatusCompleted, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.LatestRun(ctx, "v.csv", StatusRunning, StatusInterrupted); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after completion: %v, want ErrNotFound", err)
	}
	hist, err := d.History(ctx, "a.example")
	if err != nil || len(hist) != 1 || hist[0].Grade != "B" || hist[0].Findings != 1 {
		t.Fatalf("history = %+v, %v", hist, err)
	}
}

func TestCompareEveryKind(t *testing.T) {
	oldA, oldAG := domainWith("a.example", "mx.a.example", "127.0.0.1", grade.GradeA, grade.ForcedTLSEligible)
	newA, newAG := domainWith("a.example", "mx.a.example", "127.0.0.1", grade.GradeC, grade.ForcedTLSNotEligible, "SSLV3_ENABLED")
	oldB, oldBG := domainWith("b.example", "mx.b.example", "127.0.0.2", grade.GradeD, grade.ForcedTLSNotEligible, "WEAK_CIPHERS")
	newB, newBG := domainWith("b.example", "mx2.b.example", "127.0.0.3", grade.GradeB, grade.ForcedTLSEligible)
	newB.Hosts[0].Addresses[0].Cert.DaysToExpiry = 10
	oldA.MTASTS = &evidence.MTASTS{ID: "1", Policy: &evidence.STSPolicy{Mode: "testing"}}
	newA.MTASTS = &evidence.MTASTS{ID: "2", Policy: &evidence.STSPolicy{Mode: "enforce"}}
	newA.Hosts[0].Addresses = append(newA.Hosts[0].Addresses, evidence.Address{IP: "127.0.0.9"})
	oldC, oldCG := domainWith("c.example", "mx.c.example", "127.0.0.4", grade.GradeA, grade.ForcedTLSEligible)
	newD, newDG := domainWith("d.example", "mx.d.example", "127.0.0.5", grade.GradeA, grade.ForcedTLSEligible)

	old := []StoredDomain{{"a.example", oldA, oldAG}, {"b.example", oldB, oldBG}, {"c.example", oldC, oldCG}}
	cur := []StoredDomain{{"a.example", newA, newAG}, {"b.example", newB, newBG}, {"d.example", newD, newDG}}
	oldV := []VendorRow{{Vendor: "Acme", Domain: "a.example"}, {Vendor: "Beta", Domain: "b.example"}, {Vendor: "Cee", Domain: "c.example"}}
	curV := []VendorRow{{Vendor: "Acme", Domain: "a.example"}, {Vendor: "Beta", Domain: "b.example"}, {Vendor: "Dee", Domain: "d.example"}}
	diff := Compare(cur, old, curV, oldV, true, 30)

	want := map[string]int{
		ChangeGradeDown: 1, ChangeGradeUp: 1, ChangeForcedLost: 1, ChangeForcedGained: 1,
		ChangeMXAdded: 1, ChangeMXRemoved: 1, ChangeAddressAdded: 1,
		ChangeFindingAppeared: 1, ChangeFindingResolved: 1, ChangeCertExpiring: 1,
		ChangeSTSModeChanged: 1, ChangeSTSIDChanged: 1, ChangeDomainAdded: 1, ChangeDomainRemoved: 1,
	}
	for kind, n := range want {
		if got := diff.Count(kind); got != n {
			t.Errorf("%s: %d changes, want %d", kind, got, n)
		}
	}
	if diff.Regressions != 1 || diff.Improvements != 1 {
		t.Errorf("regressions %d, improvements %d; want 1 and 1", diff.Regressions, diff.Improvements)
	}
	if len(diff.Changes) != 14 {
		t.Errorf("%d changes in all, want 14: %+v", len(diff.Changes), diff.Changes)
	}
	for _, c := range diff.Changes {
		if c.Kind == ChangeGradeDown && (c.Domain != "a.example" || c.From != "A" || c.To != "C" || len(c.Vendors) != 1 || c.Vendors[0] != "Acme") {
			t.Errorf("grade_down change = %+v", c)
		}
		if c.Kind == ChangeAddressAdded && c.IP != "127.0.0.9" {
			t.Errorf("address_added = %+v", c)
		}
	}
}

func TestCompareWithoutBase(t *testing.T) {
	ev, g := domainWith("a.example", "mx.a.example", "127.0.0.1", grade.GradeA, grade.ForcedTLSEligible)
	ev.Hosts[0].Addresses[0].Cert.DaysToExpiry = 3
	diff := Compare([]StoredDomain{{"a.example", ev, g}}, nil, nil, nil, false, 30)
	if diff.HasBase || len(diff.Changes) != 1 || diff.Changes[0].Kind != ChangeCertExpiring || diff.Changes[0].Days != 3 {
		t.Fatalf("diff = %+v", diff)
	}
}
