package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// TrendRuns is how many runs a trend spans at most, the run it ends with
// included: a year of monthly runs.
const TrendRuns = 12

// TrendPoint is the vendor figures of one run of a list, for the executive
// summary's trend. A vendor is its worst domain, as in the summary.
type TrendPoint struct {
	RunID int64
	// FinishedAt is when the run finished; nil for a run still running
	// (only the run a trend ends with can be one).
	FinishedAt *time.Time
	// VendorsInList counts the vendors of the run's list; VendorsAudited
	// those whose every domain was graded (a letter or N/A); VendorsAtRisk
	// those whose worst letter is D or F, or that were not audited.
	VendorsInList, VendorsAudited, VendorsAtRisk int
	// VendorGrades counts vendors per grade (the worst letter of their
	// stored domains; N/A when every stored domain accepts no mail; "?"
	// otherwise), keyed by grade.
	VendorGrades map[grade.Grade]int
	// ForcedEligible counts the vendors whose every domain is eligible
	// for Forced TLS.
	ForcedEligible int
}

// TrendRunIDs returns the runs a trend ending with run id spans, oldest
// first, at most max of them, run id last. They are the runs of the same
// list, that is of the same list name recorded with the run (the
// --list-name, or the list file's base name), whatever was edited in the
// list between runs, in the same database:
//
//   - before run id, only completed runs: a failed run is no result, and
//     an interrupted one counts once it is resumed and completed;
//   - runs made by `regrade` are left out: they observed nothing new,
//     they judge an earlier run's evidence again. When run id is itself a
//     regrade, it stands in the place of the run it re-grades, so the
//     trend holds the runs before that one;
//   - run id itself is the last point whatever its status.
func (d *DB) TrendRunIDs(ctx context.Context, id int64, max int) ([]int64, error) {
	if max <= 0 {
		return nil, nil
	}
	run, err := d.GetRun(ctx, id)
	if err != nil {
		return nil, err
	}
	before := id
	if run.RegradedFrom != nil {
		before = *run.RegradedFrom
	}
	// runs_list (list_name, status, id) answers this without a scan.
	rows, err := d.sql.QueryContext(ctx, `SELECT id FROM runs
		WHERE list_name = ? AND status = ? AND id < ? AND regraded_from IS NULL
		ORDER BY id DESC LIMIT ?`, run.ListName, StatusCompleted, before, max-1)
	if err != nil {
		return nil, fmt.Errorf("trend runs of %d: %w", id, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		ids = append(ids, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]int64, 0, len(ids)+1)
	for i := len(ids) - 1; i >= 0; i-- {
		out = append(out, ids[i])
	}
	return append(out, id), nil
}

// Trend returns the vendor figures of each run of TrendRunIDs(id, max),
// oldest first. Each run's figures are aggregated in SQL over its vendor
// list and stored grades (run_vendors and domain_results, by their
// primary keys), never by loading a run's evidence, so a trend over
// twelve 100,000-domain runs holds a few numbers per run in memory.
//
// The rules are those of the report's summary: a vendor is audited when
// each of its domains has a letter grade or N/A; at risk when it is not
// audited or its worst letter is D or F; eligible for Forced TLS when
// every domain is. A run stored without a vendor list (scan of a few
// domains) counts each stored domain as a vendor.
func (d *DB) Trend(ctx context.Context, id int64, max int) ([]TrendPoint, error) {
	ids, err := d.TrendRunIDs(ctx, id, max)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	points := make([]TrendPoint, len(ids))
	byRun := make(map[int64]*TrendPoint, len(ids))
	for i, r := range ids {
		points[i] = TrendPoint{RunID: r, VendorGrades: map[grade.Grade]int{}}
		byRun[r] = &points[i]
	}
	if err := d.trendFinished(ctx, ids, byRun); err != nil {
		return nil, err
	}
	// The grades' ranks come from grade.Grade.Rank, so the SQL cannot
	// disagree with the Go rules: F is 1, A+ 7, the non-grades absent.
	var ranks []string
	var args []any
	for _, g := range grade.AllGrades() {
		if g.Conclusive() {
			ranks = append(ranks, "(?, ?)")
			args = append(args, string(g), g.Rank())
		}
	}
	q := trendQuery(len(ranks), len(ids))
	for range 2 {
		for _, r := range ids {
			args = append(args, r)
		}
	}
	args = append(args, string(grade.GradeNA), string(grade.GradeNA), string(grade.ForcedTLSEligible),
		string(grade.GradeNA), string(grade.GradeInconclusive), grade.GradeD.Rank())
	rows, err := d.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("trend of run %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var run int64
		var g string
		var n, audited, atRisk, eligible int
		if err := rows.Scan(&run, &g, &n, &audited, &atRisk, &eligible); err != nil {
			return nil, fmt.Errorf("trend of run %d: %w", id, err)
		}
		p := byRun[run]
		if p == nil {
			continue
		}
		p.VendorGrades[grade.Grade(g)] += n
		p.VendorsInList += n
		p.VendorsAudited += audited
		p.VendorsAtRisk += atRisk
		p.ForcedEligible += eligible
	}
	return points, rows.Err()
}

// trendQuery is Trend's query for ranks grades and runs runs (see
// TestHotQueriesUseIndexes: every table is searched by its keys).
func trendQuery(nRanks, nRuns int) string {
	ranks := strings.TrimSuffix(strings.Repeat("(?, ?), ", nRanks), ", ")
	runs := "?" + strings.Repeat(",?", nRuns-1)
	return `WITH ranks (grade, rank) AS (VALUES ` + ranks + `),
	rows AS (
		SELECT run_id, vendor, domain FROM run_vendors WHERE run_id IN (` + runs + `)
		UNION ALL
		SELECT dr.run_id, dr.domain, dr.domain FROM domain_results dr
		WHERE dr.run_id IN (` + runs + `) AND NOT EXISTS (SELECT 1 FROM run_vendors v WHERE v.run_id = dr.run_id)
	),
	vendors AS (
		SELECT v.run_id,
			count(*) AS domains,
			count(dr.id) AS stored,
			count(CASE WHEN rk.rank IS NOT NULL OR dr.grade = ? THEN 1 END) AS graded,
			count(CASE WHEN dr.grade = ? THEN 1 END) AS na,
			count(CASE WHEN dr.forced_tls = ? THEN 1 END) AS eligible,
			min(rk.rank) AS worst
		FROM rows v
		LEFT JOIN domain_results dr ON dr.run_id = v.run_id AND dr.domain = v.domain
		LEFT JOIN ranks rk ON rk.grade = dr.grade
		GROUP BY v.run_id, v.vendor
	)
	SELECT run_id,
		coalesce((SELECT grade FROM ranks WHERE rank = worst), CASE WHEN stored > 0 AND na = stored THEN ? ELSE ? END) AS vgrade,
		count(*),
		count(CASE WHEN graded = domains THEN 1 END),
		count(CASE WHEN graded < domains OR worst <= ? THEN 1 END),
		count(CASE WHEN eligible = domains THEN 1 END)
	FROM vendors GROUP BY run_id, vgrade`
}

// trendFinished sets each point's finish time.
func (d *DB) trendFinished(ctx context.Context, ids []int64, byRun map[int64]*TrendPoint) error {
	args := make([]any, len(ids))
	for i, r := range ids {
		args[i] = r
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT id, finished_at FROM runs WHERE id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r int64
		var fin sql.NullString
		if err := rows.Scan(&r, &fin); err != nil {
			return err
		}
		if p := byRun[r]; p != nil && fin.Valid {
			t := parseTS(fin.String)
			p.FinishedAt = &t
		}
	}
	return rows.Err()
}
