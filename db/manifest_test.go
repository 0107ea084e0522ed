package db

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// completedRun stores the shared fleet in a new run, through save, and
// marks the run completed.
func completedRun(t *testing.T, d *DB, save func(run int64, i int, g *grade.DomainGrade)) int64 {
	t.Helper()
	ctx := context.Background()
	run := newRun(t, d)
	for i, ev := range sharingFleet() {
		g := &grade.DomainGrade{Domain: ev.Domain, Grade: grade.GradeA, ForcedTLS: grade.ForcedTLSEligible,
			Incomplete: i == 1, Findings: []grade.Finding{{Code: "TLS_OLD", Severity: grade.Medium, Domain: ev.Domain}}}
		save(run, i, g)
	}
	if err := d.FinishRun(ctx, run, StatusCompleted, time.Now()); err != nil {
		t.Fatal(err)
	}
	return run
}

// TestSealMatchesComputedManifest: sealing reads the digests stored with
// the rows; the manifest must be the one ComputeManifest (mxaudit verify)
// computes from the stored bytes, however the domains were stored.
func TestSealMatchesComputedManifest(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	fleet := sharingFleet()
	saveDomain := func(run int64, i int, g *grade.DomainGrade) {
		for range 2 { // stored again, as a resumed run does: one digest per row
			if err := d.SaveDomain(ctx, run, fleet[i], g); err != nil {
				t.Fatal(err)
			}
		}
	}
	var w *RunWriter
	writer := func(run int64, i int, g *grade.DomainGrade) {
		if w == nil {
			w = d.NewRunWriter(run)
		}
		if err := w.Save(ctx, fleet[i], g); err != nil {
			t.Fatal(err)
		}
	}
	batch := func(run int64, i int, g *grade.DomainGrade) {
		if err := d.SaveDomains(ctx, run, []Result{{Evidence: fleet[i], Grade: g}}); err != nil {
			t.Fatal(err)
		}
	}
	legacy := func(run int64, i int, g *grade.DomainGrade) {
		saveDomain(run, i, g)
		if i != 1 {
			return
		}
		// b.example as stored before digests were: sealing digests its bytes.
		if _, err := d.sql.Exec(`DELETE FROM domain_digests WHERE domain_result_id IN
			(SELECT id FROM domain_results WHERE run_id = ? AND domain = 'b.example')`, run); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		save func(int64, int, *grade.DomainGrade)
	}{{"SaveDomain", saveDomain}, {"RunWriter", writer}, {"SaveDomains", batch}, {"stored before digests", legacy}} {
		t.Run(tc.name, func(t *testing.T) {
			run := completedRun(t, d, tc.save)
			if n, rows := count(t, d, `SELECT count(*) FROM domain_digests g JOIN domain_results r ON r.id = g.domain_result_id WHERE r.run_id = ?`, run),
				count(t, d, `SELECT count(*) FROM domain_results WHERE run_id = ?`, run); tc.name != "stored before digests" && n != rows {
				t.Errorf("%d digests for %d rows", n, rows)
			}
			want, err := d.ComputeManifest(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.SealRun(ctx, run, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("sealed manifest\n%+v\ncomputed\n%+v", got, want)
			}
			stored, err := d.StoredManifest(ctx, run)
			if err != nil || stored.RootDigest != want.RootDigest {
				t.Errorf("stored manifest root %q (%v), want %q", stored.RootDigest, err, want.RootDigest)
			}
		})
	}
	// Each row's digest is its own: a digest stored for another row's
	// bytes would make the sealed manifest differ from the computed one.
	if n := count(t, d, `SELECT count(DISTINCT digest) FROM domain_digests`); n < 3 {
		t.Errorf("%d distinct digests, want one per stored result", n)
	}
}

func TestSealRefusesAlteredAddressEvidence(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	w := (*RunWriter)(nil)
	run := completedRun(t, d, func(run int64, i int, g *grade.DomainGrade) {
		if w == nil {
			w = d.NewRunWriter(run)
		}
		if err := w.Save(ctx, sharingFleet()[i], g); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := d.sql.Exec(`UPDATE address_evidence SET json = json || ' ' WHERE rowid = (SELECT min(rowid) FROM address_evidence WHERE run_id = ?)`, run); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SealRun(ctx, run, time.Now()); !errors.Is(err, ErrEvidenceAltered) {
		t.Errorf("sealing a run whose address evidence was altered: %v, want ErrEvidenceAltered", err)
	}
	if _, err := d.StoredManifest(ctx, run); !errors.Is(err, ErrNotFound) {
		t.Errorf("a manifest was recorded: %v", err)
	}
}
