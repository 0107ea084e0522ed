package db

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	// The newest migration's number, so adding one does not break this test.
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("embedded migrations: %v, %v", names, err)
	}
	sort.Strings(names)
	want, err := strconv.Atoi(strings.SplitN(filepath.Base(names[len(names)-1]), "_", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		d, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		v, err := d.SchemaVersion(ctx)
		if err != nil || v != want {
			t.Fatalf("schema version = %d, %v; want %d", v, err, want)
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
	// The new finding has its facts; the resolved one was stored by an
	// older mxaudit with only its sentence.
	newAG.Findings[0].Args = map[string]string{"domain": "a.example", "host": "mx.a.example", "ip": "127.0.0.1", "suites": "TLS_RSA_WITH_RC4_128_SHA"}
	newAG.Findings[0].Phrases = map[string]grade.Phrase{"details": {Code: "kx.weaknesses", Items: []grade.Phrase{{Code: "kx.export", Args: map[string]string{"suite": "X"}}}}}
	oldBG.Findings[0].Reason = "The server accepts weak cipher suites (RC4)."
	oldC, oldCG := domainWith("c.example", "mx.c.example", "127.0.0.4", grade.GradeA, grade.ForcedTLSEligible)
	newD, newDG := domainWith("d.example", "mx.d.example", "127.0.0.5", grade.GradeA, grade.ForcedTLSEligible)

	old := []StoredDomain{{"a.example", oldA, oldAG, nil}, {"b.example", oldB, oldBG, nil}, {"c.example", oldC, oldCG, nil}}
	cur := []StoredDomain{{"a.example", newA, newAG, nil}, {"b.example", newB, newBG, nil}, {"d.example", newD, newDG, nil}}
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
		if c.Kind == ChangeFindingAppeared && (c.Code != "SSLV3_ENABLED" || c.Args["suites"] != "TLS_RSA_WITH_RC4_128_SHA" || c.Detail != "" ||
			len(c.Phrases["details"].Items) != 1 || c.Phrases["details"].Items[0].Args["suite"] != "X") {
			t.Errorf("finding_appeared = %+v, want the finding's facts and no sentence", c)
		}
		if c.Kind == ChangeFindingResolved && (c.Code != "WEAK_CIPHERS" || c.Detail != "The server accepts weak cipher suites (RC4).") {
			t.Errorf("finding_resolved = %+v, want the stored sentence", c)
		}
	}
}

func TestCompareWithoutBase(t *testing.T) {
	ev, g := domainWith("a.example", "mx.a.example", "127.0.0.1", grade.GradeA, grade.ForcedTLSEligible)
	ev.Hosts[0].Addresses[0].Cert.DaysToExpiry = 3
	diff := Compare([]StoredDomain{{"a.example", ev, g, nil}}, nil, nil, nil, false, 30)
	if diff.HasBase || len(diff.Changes) != 1 || diff.Changes[0].Kind != ChangeCertExpiring || diff.Changes[0].Days != 3 {
		t.Fatalf("diff = %+v", diff)
	}
}

// TestPathIsAFileName: --db is a file name, whatever characters it holds;
// nothing in it is read as a URI fragment, escape or option, and the run
// lock sits beside that same file.
func TestPathIsAFileName(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"X#a.db", "a%20b.db", "c?_pragma=journal_mode(DELETE).db", "d?mode=ro&x=%41.db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			d, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Lock(); err != nil {
				t.Fatal(err)
			}
			if _, err := d.CreateRun(ctx, Run{ListName: "l", Policy: "p", PolicyVersion: "1", ToolVersion: "t", StartedAt: time.Now()}, nil, nil); err != nil {
				t.Fatal(err)
			}
			var mode string
			if err := d.sql.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q, %v; want wal (no pragma taken from the name)", mode, err)
			}
			d.Close()
			entries, _ := os.ReadDir(dir)
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			sort.Strings(got)
			for _, f := range got {
				if !strings.HasPrefix(f, name) {
					t.Errorf("file %q written beside %q: the name was not taken whole (all files: %q)", f, name, got)
				}
			}
			if _, err := os.Stat(path + ".lock"); err != nil {
				t.Errorf("no run lock beside the database: %v", err)
			}
			ro, err := OpenReadOnly(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer ro.Close()
			runs, err := ro.Runs(ctx)
			if err != nil || len(runs) != 1 {
				t.Fatalf("runs read back = %d, %v; want 1", len(runs), err)
			}
		})
	}
}

// TestNewerSchemaRefused: a database a newer mxaudit wrote is neither
// written to nor read as if this build understood it.
func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	latest, _ := latestMigration()
	if _, err := d.sql.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', '2030-01-01T00:00:00Z')`, latest+7); err != nil {
		t.Fatal(err)
	}
	d.Close()
	want := fmt.Sprintf("written by a newer mxaudit (schema %d", latest+7)
	for name, open := range map[string]func(context.Context, string) (*DB, error){"Open": Open, "OpenReadOnly": OpenReadOnly} {
		_, err := open(ctx, path)
		var ne *NewerSchemaError
		if !errors.As(err, &ne) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", name, err, want)
		}
	}
}

// TestConcurrentCreate: processes creating one new database at once (here
// connections of their own) each find it migrated exactly once.
func TestConcurrentCreate(t *testing.T) {
	ctx := context.Background()
	for round := 0; round < 5; round++ {
		path := filepath.Join(t.TempDir(), "new.db")
		const n = 6
		errs := make(chan error, n)
		var start sync.WaitGroup
		start.Add(1)
		for i := 0; i < n; i++ {
			go func() {
				start.Wait()
				d, err := Open(ctx, path)
				if err == nil {
					_, err = d.Runs(ctx)
					d.Close()
				}
				errs <- err
			}()
		}
		start.Done()
		for i := 0; i < n; i++ {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}

// TestOpenReadOnlyWritesNothing: the read-only open creates no file, not
// even a lock or a journal, and cannot write.
func TestOpenReadOnlyWritesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "h.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	before, _ := os.ReadFile(path)
	ro, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Runs(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.CreateRun(ctx, Run{ListName: "l", StartedAt: time.Now()}, nil, nil); err == nil {
		t.Error("a read-only database accepted a write")
	}
	ro.Close()
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the database file changed under a read-only open")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		// SQLite may share its WAL index (-shm, -wal) with a writer; a
		// lock file or any other file would be ours.
		if n := e.Name(); n != "h.db" && n != "h.db-shm" && n != "h.db-wal" {
			t.Errorf("the read-only open left %s behind", n)
		}
	}
	if _, err := OpenReadOnly(ctx, filepath.Join(dir, "missing.db")); err == nil {
		t.Error("a missing database was opened (or created) read-only")
	}
}

// TestConcurrentCreateLocked: two runs creating one new database at once:
// the lock is taken before any table is created, so one gets the database
// and the other is told it is in use, never a half-made schema.
func TestConcurrentCreateLocked(t *testing.T) {
	ctx := context.Background()
	for round := 0; round < 5; round++ {
		path := filepath.Join(t.TempDir(), "new.db")
		const n = 4
		type result struct {
			d   *DB
			err error
		}
		results := make(chan result, n)
		var start sync.WaitGroup
		start.Add(1)
		for i := 0; i < n; i++ {
			go func() {
				start.Wait()
				d, err := OpenLocked(ctx, path)
				results <- result{d, err}
			}()
		}
		start.Done()
		var opened []*DB
		for i := 0; i < n; i++ {
			r := <-results
			switch {
			case r.err == nil:
				opened = append(opened, r.d)
			case !errors.Is(r.err, ErrLocked):
				t.Fatalf("round %d: %v; want the database or ErrLocked", round, r.err)
			}
		}
		if len(opened) != 1 {
			t.Fatalf("round %d: %d processes hold the run lock, want 1", round, len(opened))
		}
		if v, err := opened[0].SchemaVersion(ctx); err != nil || v == 0 {
			t.Fatalf("round %d: schema %d, %v", round, v, err)
		}
		opened[0].Close()
	}
}
