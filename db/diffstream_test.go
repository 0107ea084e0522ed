package db

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// referenceDiff is ComputeDiff as it was before the run and its base were
// read side by side: every domain of the run loaded on its own, and its
// last audited result looked up with LastAudited.
func referenceDiff(t *testing.T, d *DB, id, base int64, expiryWarn int) *Diff {
	t.Helper()
	ctx := context.Background()
	curV, err := d.Vendors(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	oldV, err := d.Vendors(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	curNames, err := d.DomainNames(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	oldNames, err := d.DomainNames(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	br, err := d.GetRun(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	c := newComparer(curV, oldV, true, expiryWarn)
	c.listChanges(setOf(curNames), setOf(oldNames))
	for _, name := range curNames {
		s, err := d.DomainResult(ctx, id, name)
		if err != nil {
			t.Fatal(err)
		}
		last, err := d.LastAudited(ctx, name, br.ListName, base)
		switch {
		case errors.Is(err, ErrNotFound):
			c.domain(s, nil)
			continue
		case err != nil:
			t.Fatal(err)
		}
		if s.Grade.Grade == grade.GradeInconclusive {
			c.carried(s, last)
			continue
		}
		since := int64(0)
		if last.Run != base {
			since = last.Run
		}
		c.domainSince(s, &last.StoredDomain, since)
	}
	diff := c.finish()
	diff.Run, diff.Base = id, base
	return diff
}

// TestComputeDiffMatchesReference holds the streamed diff to the
// domain-by-domain one on a history of three runs long enough to span
// several of the walk's batches, with every case of the walk: domains
// the base run audited, could not audit (carried from an earlier run),
// did not store, and domains this run could not audit.
func TestComputeDiffMatchesReference(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	const n = 3*eachDomainBatch + 17
	grades := []grade.Grade{grade.GradeA, grade.GradeB, grade.GradeC, grade.GradeF}
	var runs []int64
	for k := 0; k < 3; k++ {
		var vendors []VendorRow
		for i := 0; i < n; i++ {
			if k == 1 && i%19 == 0 {
				continue // added to the list in the last run
			}
			vendors = append(vendors, VendorRow{Vendor: fmt.Sprintf("V%d", i/3), Domain: fmt.Sprintf("d%04d.example", i), Row: i + 2})
		}
		at := time.Date(2026, time.Month(1+k), 1, 0, 0, 0, 0, time.UTC)
		id, err := d.CreateRun(ctx, Run{ListName: "v.csv", Policy: "p", PolicyVersion: "1", ToolVersion: "t", StartedAt: at, TotalDomains: n}, vendors, nil)
		if err != nil {
			t.Fatal(err)
		}
		var batch []Result
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("d%04d.example", i)
			switch {
			case k == 1 && i%11 == 0:
				continue // not stored by the base run
			case k == 2 && i%13 == 0:
				continue // not stored by this run
			}
			g := grades[(i+k*(i%3))%len(grades)]
			if (k == 1 && i%7 == 0) || (k == 2 && i%5 == 0) {
				g = grade.GradeInconclusive
			}
			var codes []string
			if (i+k)%4 == 0 {
				codes = append(codes, "WEAK_CIPHERS")
			}
			if i%6 == k {
				codes = append(codes, "SSLV3_ENABLED")
			}
			host := fmt.Sprintf("mx%d.pool%d.example", (i+k)%2, i%9)
			ev, gr := domainWith(name, host, fmt.Sprintf("127.0.%d.%d", k, i%200+1), g, grade.ForcedTLSEligible, codes...)
			ev.Hosts[0].Addresses[0].Cert.DaysToExpiry = (i * 7) % 60
			batch = append(batch, Result{Evidence: ev, Grade: gr})
		}
		if err := d.SaveDomains(ctx, id, batch); err != nil {
			t.Fatal(err)
		}
		if err := d.FinishRun(ctx, id, StatusCompleted, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, id)
	}
	got, err := d.ComputeDiff(ctx, runs[2], &runs[1], 30)
	if err != nil {
		t.Fatal(err)
	}
	want := referenceDiff(t, d, runs[2], runs[1], 30)
	got.Made, want.Made = time.Time{}, time.Time{}
	if len(want.Changes) < n || want.Count(ChangeCarried) == 0 || want.Count(ChangeDomainAdded) == 0 {
		t.Fatalf("the fixture exercises too little: %d changes, %d carried, %d added", len(want.Changes), want.Count(ChangeCarried), want.Count(ChangeDomainAdded))
	}
	sinceSeen := false
	for _, c := range want.Changes {
		if c.Since != 0 && c.Kind != ChangeCarried {
			sinceSeen = true
		}
	}
	if !sinceSeen {
		t.Fatal("the fixture has no change compared with a run before the base")
	}
	if !reflect.DeepEqual(got, want) {
		for i := range min(len(got.Changes), len(want.Changes)) {
			if !reflect.DeepEqual(got.Changes[i], want.Changes[i]) {
				t.Fatalf("change %d differs:\n got %+v\nwant %+v", i, got.Changes[i], want.Changes[i])
			}
		}
		t.Fatalf("diffs differ: %d changes, want %d", len(got.Changes), len(want.Changes))
	}
}

// TestStoredDiffAnswersDiff: the diff stored with a run is what a later
// diff of the same runs and window reads; another base or window is
// computed.
func TestStoredDiffAnswersDiff(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	var runs []int64
	for k := 0; k < 3; k++ {
		at := time.Date(2026, time.Month(1+k), 1, 0, 0, 0, 0, time.UTC)
		id, err := d.CreateRun(ctx, Run{ListName: "v.csv", Policy: "p", PolicyVersion: "1", ToolVersion: "t", StartedAt: at, TotalDomains: 1},
			[]VendorRow{{Vendor: "A", Domain: "a.example", Row: 2}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ev, g := domainWith("a.example", "mx.a.example", "127.0.0.1", []grade.Grade{grade.GradeA, grade.GradeC, grade.GradeB}[k], grade.ForcedTLSEligible)
		if err := d.SaveDomain(ctx, id, ev, g); err != nil {
			t.Fatal(err)
		}
		if err := d.FinishRun(ctx, id, StatusCompleted, at); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, id)
	}
	computed, err := d.ComputeDiff(ctx, runs[2], &runs[1], 30)
	if err != nil {
		t.Fatal(err)
	}
	computed.Made = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := d.SaveDiff(ctx, runs[2], &runs[1], computed); err != nil {
		t.Fatal(err)
	}
	got, err := d.StoredOrComputedDiff(ctx, runs[2], runs[1], 30)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Made.Equal(computed.Made) || !reflect.DeepEqual(got.Changes, computed.Changes) || got.Count(ChangeGradeUp) != 1 {
		t.Fatalf("stored diff not read: %+v", got)
	}
	for _, tc := range []struct {
		base   int64
		window int
		kind   string
	}{{runs[0], 30, ChangeGradeUp}, {runs[1], 10, ChangeGradeUp}} {
		other, err := d.StoredOrComputedDiff(ctx, runs[2], tc.base, tc.window)
		if err != nil {
			t.Fatal(err)
		}
		if other.Made.Equal(computed.Made) || other.Base != tc.base || other.ExpiryWarn != tc.window {
			t.Errorf("base %d, window %d: stored diff read instead of computed: %+v", tc.base, tc.window, other)
		}
	}
}
