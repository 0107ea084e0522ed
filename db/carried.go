package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// notAudited is the stored grade of a domain about which a run learnt
// nothing (grade.GradeInconclusive): the DNS or every mail server could
// not be reached. Such a result never replaces an earlier one in a diff.
const notAudited = string(grade.GradeInconclusive)

// Audited is a domain's result in the last run that actually audited it.
type Audited struct {
	StoredDomain
	// Run is the run that audited the domain, and when it started.
	Run     int64
	RunDate time.Time
}

// lastAuditedQuery walks one domain's results newest first along the
// (domain, run_id) index.
const lastAuditedQuery = `SELECT r.id, r.started_at, dr.grade FROM domain_results dr JOIN runs r ON r.id = dr.run_id
		WHERE dr.domain = ? AND dr.grade <> ?
		  AND (dr.run_id = ? OR (dr.run_id < ? AND r.status = ? AND r.list_name = ?))
		ORDER BY dr.run_id DESC LIMIT 1`

// LastAudited returns domain's newest result that is not inconclusive, from
// run upTo itself or from a completed run of list listName before it;
// ErrNotFound when there is none. A failed run is no result, and an
// interrupted one becomes completed when it is resumed. A domain that
// could not be audited in a run is compared, and reported, with this
// result, marked as carried, so one bad night neither erases its history
// nor hides a regression behind it.
func (d *DB) LastAudited(ctx context.Context, domain, listName string, upTo int64) (Audited, error) {
	a, _, err := d.lastAuditedRun(ctx, domain, listName, upTo)
	if err != nil {
		return a, err
	}
	a.StoredDomain, err = d.DomainResult(ctx, a.Run, domain)
	return a, err
}

// lastAuditedRun is LastAudited without decoding the result: the run, its
// start and the stored grade, all a carried result needs.
func (d *DB) lastAuditedRun(ctx context.Context, domain, listName string, upTo int64) (Audited, string, error) {
	var a Audited
	var started, g string
	err := d.sql.QueryRowContext(ctx, lastAuditedQuery, domain, notAudited, upTo, upTo, StatusCompleted, listName).Scan(&a.Run, &started, &g)
	if errors.Is(err, sql.ErrNoRows) {
		return a, "", fmt.Errorf("%s audited up to run %d: %w", domain, upTo, ErrNotFound)
	}
	if err != nil {
		return a, "", err
	}
	a.RunDate = parseTS(started)
	return a, g, nil
}

const auditedDomainsQuery = `SELECT count(*) FROM domain_results WHERE run_id = ? AND grade <> ?`

// AuditedDomains counts the domains of a run that were audited: every
// stored domain but the inconclusive ones. A run that audited none is no
// result, and never the baseline of a diff.
func (d *DB) AuditedDomains(ctx context.Context, runID int64) (int, error) {
	var n int
	err := d.sql.QueryRowContext(ctx, auditedDomainsQuery, runID, notAudited).Scan(&n)
	return n, err
}

// InconclusiveDomains lists the domains a run stored as inconclusive.
// --resume audits them again: nothing was learnt about them.
func (d *DB) InconclusiveDomains(ctx context.Context, runID int64) (map[string]bool, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT domain FROM domain_results WHERE run_id = ? AND grade = ?`, runID, notAudited)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out[s] = true
	}
	return out, rows.Err()
}

const gradeCountsQuery = `SELECT grade, count(*) FROM domain_results WHERE run_id = ? GROUP BY grade`

// GradeCounts counts a run's stored domains per grade, whatever session of
// the run stored them (a resumed run is counted whole).
func (d *DB) GradeCounts(ctx context.Context, runID int64) (map[string]int, error) {
	rows, err := d.sql.QueryContext(ctx, gradeCountsQuery, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var g string
		var n int
		if err := rows.Scan(&g, &n); err != nil {
			return nil, err
		}
		out[g] = n
	}
	return out, rows.Err()
}
