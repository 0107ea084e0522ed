package db

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// trendDomain is one stored domain of a trend fixture; grade "" leaves
// the domain unstored (listed, never audited).
type trendDomain struct {
	vendor, domain string
	grade          grade.Grade
	forced         grade.ForcedTLS
}

// trendRun stores a run of list with the given vendor rows and status;
// regraded is the run it re-grades (0 for none).
func trendRun(t *testing.T, d *DB, list, status string, regraded int64, doms []trendDomain) int64 {
	t.Helper()
	ctx := context.Background()
	var rows []VendorRow
	for i, x := range doms {
		if x.vendor != "" {
			rows = append(rows, VendorRow{Vendor: x.vendor, Domain: x.domain, Row: i + 2})
		}
	}
	r := Run{ListName: list, Policy: "p", PolicyVersion: "1", ToolVersion: "t", StartedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if regraded != 0 {
		r.RegradedFrom = &regraded
	}
	id, err := d.CreateRun(ctx, r, rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range doms {
		if x.grade == "" {
			continue
		}
		ev, g := domainWith(x.domain, "mx."+x.domain, fmt.Sprintf("127.0.3.%d", i+1), x.grade, x.forced)
		if err := d.SaveDomain(ctx, id, ev, g); err != nil {
			t.Fatal(err)
		}
	}
	if status != StatusRunning {
		if err := d.FinishRun(ctx, id, status, time.Date(2026, 1, int(id), 12, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// TestTrendRuns: a trend holds the completed runs of the same list name,
// an edited list included, never failed, interrupted or other lists'
// runs, nor regrades; it ends with the run asked for, whatever its
// status; a regrade stands in the place of the run it re-grades; at most
// max points, the newest.
func TestTrendRuns(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	a1 := []trendDomain{{"V1", "a.example", grade.GradeA, grade.ForcedTLSEligible}}
	edited := append(a1, trendDomain{"V2", "b.example", grade.GradeF, grade.ForcedTLSNotEligible})
	r1 := trendRun(t, d, "vendors.csv", StatusCompleted, 0, a1)
	r2 := trendRun(t, d, "vendors.csv", StatusFailed, 0, a1)
	r3 := trendRun(t, d, "others.csv", StatusCompleted, 0, a1)
	r4 := trendRun(t, d, "vendors.csv", StatusInterrupted, 0, a1)
	r5 := trendRun(t, d, "vendors.csv", StatusCompleted, 0, edited)
	r6 := trendRun(t, d, "vendors.csv", StatusCompleted, r5, edited) // regrade of r5
	r7 := trendRun(t, d, "vendors.csv", StatusRunning, 0, edited)
	for _, c := range []struct {
		run  int64
		max  int
		want []int64
	}{
		{r7, TrendRuns, []int64{r1, r5, r7}},
		{r6, TrendRuns, []int64{r1, r6}},
		{r5, TrendRuns, []int64{r1, r5}},
		{r4, TrendRuns, []int64{r1, r4}},
		{r3, TrendRuns, []int64{r3}},
		{r2, TrendRuns, []int64{r1, r2}},
		{r1, TrendRuns, []int64{r1}},
		{r7, 2, []int64{r5, r7}},
		{r7, 1, []int64{r7}},
	} {
		got, err := d.TrendRunIDs(ctx, c.run, c.max)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("trend of run %d (max %d) = %v, want %v", c.run, c.max, got, c.want)
		}
	}
	// Thirteen more completed runs: the trend keeps the newest, oldest first.
	var last []int64
	for i := 0; i < 13; i++ {
		last = append(last, trendRun(t, d, "vendors.csv", StatusCompleted, 0, a1))
	}
	got, err := d.TrendRunIDs(ctx, last[len(last)-1], TrendRuns)
	if err != nil {
		t.Fatal(err)
	}
	if want := last[len(last)-TrendRuns:]; !reflect.DeepEqual(got, want) {
		t.Errorf("trend of %d runs = %v, want %v", len(last), got, want)
	}
	if _, err := d.TrendRunIDs(ctx, 9999, TrendRuns); err == nil {
		t.Error("trend of a run that does not exist: no error")
	}
}

// TestTrendFigures: each point counts vendors by the summary's rules (a
// vendor is its worst domain; audited when every domain has a letter or
// N/A; at risk when D, F or not audited; Forced TLS when every domain is
// eligible), from each run's own list.
func TestTrendFigures(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	elig, not, unk := grade.ForcedTLSEligible, grade.ForcedTLSNotEligible, grade.ForcedTLSUnknown
	r1 := trendRun(t, d, "vendors.csv", StatusCompleted, 0, []trendDomain{
		{"Good", "good1.example", grade.GradeAPlus, elig},
		{"Good", "good2.example", grade.GradeB, elig}, // worst B, eligible
		{"Mixed", "m1.example", grade.GradeA, elig},
		{"Mixed", "m2.example", grade.GradeD, not}, // D: at risk
		{"Half", "h1.example", grade.GradeA, elig},
		{"Half", "h2.example", grade.GradeInconclusive, unk}, // not audited, grade A
		{"Gone", "gone.example", "", ""},                     // never stored: not audited, "?"
		{"NoMail", "null.example", grade.GradeNA, not},       // N/A: audited, not at risk
		{"NullAndGone", "null2.example", grade.GradeNA, not},
		{"NullAndGone", "gone2.example", "", ""}, // N/A among stored, not audited
		{"Failing", "f.example", grade.GradeF, elig},
	})
	// A run without a list: each stored domain is a vendor.
	r2 := trendRun(t, d, "vendors.csv", StatusCompleted, 0, []trendDomain{
		{"", "x.example", grade.GradeC, elig},
		{"", "y.example", grade.GradeInconclusive, unk},
	})
	pts, err := d.Trend(ctx, r2, TrendRuns)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].RunID != r1 || pts[1].RunID != r2 {
		t.Fatalf("points %+v", pts)
	}
	type figures struct {
		inList, audited, atRisk, forced int
		grades                          map[grade.Grade]int
	}
	for i, want := range []figures{
		{7, 4, 5, 2, map[grade.Grade]int{grade.GradeB: 1, grade.GradeD: 1, grade.GradeA: 1, grade.GradeInconclusive: 1, grade.GradeNA: 2, grade.GradeF: 1}},
		{2, 1, 1, 1, map[grade.Grade]int{grade.GradeC: 1, grade.GradeInconclusive: 1}},
	} {
		p := pts[i]
		got := figures{p.VendorsInList, p.VendorsAudited, p.VendorsAtRisk, p.ForcedEligible, p.VendorGrades}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("run %d: %+v, want %+v", p.RunID, got, want)
		}
		if p.FinishedAt == nil || !p.FinishedAt.Equal(time.Date(2026, 1, int(p.RunID), 12, 0, 0, 0, time.UTC)) {
			t.Errorf("run %d finished %v", p.RunID, p.FinishedAt)
		}
	}
	r3 := trendRun(t, d, "vendors.csv", StatusRunning, 0, nil)
	pts, err = d.Trend(ctx, r3, TrendRuns)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pts); n != 3 || pts[2].FinishedAt != nil || pts[2].VendorsInList != 0 {
		t.Errorf("running empty run as last point: %+v", pts)
	}
}
