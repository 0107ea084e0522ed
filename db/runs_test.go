package db

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// TestStoredDomainsCounted: the count of a run's stored domains that the
// run list shows is kept as domains are stored, stored again (a resumed
// domain replaces its row) and deleted with their run, and a database
// from before the count existed gets it from its rows when it is opened.
func TestStoredDomainsCounted(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { d.Close() }()
	var ids []int64
	for k, names := range [][]string{{"a.example", "b.example", "c.example"}, {"a.example"}} {
		id, err := d.CreateRun(ctx, Run{ListName: "v.csv", Policy: "p", PolicyVersion: "1", ToolVersion: "t", StartedAt: time.Now(), TotalDomains: 3}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			for range 2 - k { // the first run stores each domain twice, as a resume would
				ev, g := domainWith(n, "mx."+n, "127.0.0.1", grade.GradeB, grade.ForcedTLSEligible, "WEAK_CIPHERS")
				if err := d.SaveDomain(ctx, id, ev, g); err != nil {
					t.Fatal(err)
				}
			}
		}
		ids = append(ids, id)
	}
	check := func(want ...int) {
		t.Helper()
		runs, err := d.Runs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) != len(want) {
			t.Fatalf("%d runs, want %d", len(runs), len(want))
		}
		for i, r := range runs {
			if r.Done != want[i] {
				t.Errorf("run %d: %d stored domains, want %d", r.ID, r.Done, want[i])
			}
		}
	}
	check(1, 3)
	if _, err := d.sql.ExecContext(ctx, `DELETE FROM domain_results WHERE run_id = ? AND domain = 'b.example'`, ids[0]); err != nil {
		t.Fatal(err)
	}
	check(1, 2)
	// The database as migration 18 found it: no count, no diff keys.
	for _, q := range []string{`DROP INDEX domain_results_run_diff`, `DROP TRIGGER domain_results_stored_i`, `DROP TRIGGER domain_results_stored_d`,
		`ALTER TABLE domain_results DROP COLUMN diff_key`, `ALTER TABLE domain_results DROP COLUMN cert_days`,
		`ALTER TABLE runs DROP COLUMN stored_domains`, `DELETE FROM schema_migrations WHERE version = 18`} {
		if _, err := d.sql.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	d.Close()
	if d, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	check(1, 2)
	ev, g := domainWith("d.example", "mx.d.example", "127.0.0.1", grade.GradeB, grade.ForcedTLSEligible)
	if err := d.SaveDomain(ctx, ids[1], ev, g); err != nil {
		t.Fatal(err)
	}
	check(2, 2)
}
