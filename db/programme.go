package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// ExceptionRecord is an accepted-risk exception as recorded, with its
// revocation when one was recorded after it.
type ExceptionRecord struct {
	ID                             int64
	Domain, Vendor, Code, Host, IP string
	Approver, Reason, Ticket       string
	Expires                        time.Time // 00:00 UTC of the expiry date
	CreatedAt                      time.Time
	RevokedAt                      *time.Time
	RevokedBy, RevokeReason        string
}

// ExceptionIDPrefix prefixes the number of a recorded exception ("EX-12").
const ExceptionIDPrefix = "EX-"

// ExceptionID is how an exception's number is written.
func ExceptionID(n int64) string { return ExceptionIDPrefix + strconv.FormatInt(n, 10) }

// ParseExceptionID reads "EX-12" or "12".
func ParseExceptionID(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if len(t) >= len(ExceptionIDPrefix) && strings.EqualFold(t[:len(ExceptionIDPrefix)], ExceptionIDPrefix) {
		t = t[len(ExceptionIDPrefix):]
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not an exception id (EX-<number>)", s)
	}
	return n, nil
}

// ErrAlreadyRevoked is returned when an exception is revoked twice.
var ErrAlreadyRevoked = errors.New("already revoked")

// ErrAlreadySent is returned when a letter is marked sent twice.
var ErrAlreadySent = errors.New("already marked sent")

const dateOnly = time.DateOnly

// AddException records an exception and returns its number. The caller
// validates it; the record keeps what it is given.
func (d *DB) AddException(ctx context.Context, e ExceptionRecord) (int64, error) {
	res, err := d.sql.ExecContext(ctx, `INSERT INTO exceptions (domain, vendor, code, host, ip, approver, reason, ticket, expires, created_at)
		VALUES (?,?,?,?,?,?,?,?,?,?)`, e.Domain, e.Vendor, e.Code, e.Host, e.IP, e.Approver, e.Reason, e.Ticket,
		e.Expires.UTC().Format(dateOnly), ts(e.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("record exception: %w", err)
	}
	return res.LastInsertId()
}

// RevokeException records that exception id was revoked at a time, by
// whom and why. The exception itself is left as it was.
func (d *DB) RevokeException(ctx context.Context, id int64, at time.Time, by, reason string) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM exceptions WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("exception %s: %w", ExceptionID(id), ErrNotFound)
	}
	var prev string
	err = tx.QueryRowContext(ctx, `SELECT revoked_at FROM exception_revocations WHERE exception_id = ?`, id).Scan(&prev)
	switch {
	case err == nil:
		return fmt.Errorf("exception %s: %w on %s", ExceptionID(id), ErrAlreadyRevoked, parseTS(prev).Format(dateOnly))
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO exception_revocations (exception_id, revoked_at, revoked_by, reason) VALUES (?,?,?,?)`,
		id, ts(at), by, reason); err != nil {
		return fmt.Errorf("record revocation: %w", err)
	}
	return tx.Commit()
}

// Exceptions lists every recorded exception, revoked and expired ones
// included, in the order they were recorded.
func (d *DB) Exceptions(ctx context.Context) ([]ExceptionRecord, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT e.id, e.domain, e.vendor, e.code, e.host, e.ip, e.approver, e.reason, e.ticket,
		e.expires, e.created_at, r.revoked_at, coalesce(r.revoked_by, ''), coalesce(r.reason, '')
		FROM exceptions e LEFT JOIN exception_revocations r ON r.exception_id = e.id ORDER BY e.id`)
	if noProgrammeTables(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ExceptionRecord
	for rows.Next() {
		var e ExceptionRecord
		var expires, created string
		var revoked sql.NullString
		if err := rows.Scan(&e.ID, &e.Domain, &e.Vendor, &e.Code, &e.Host, &e.IP, &e.Approver, &e.Reason, &e.Ticket,
			&expires, &created, &revoked, &e.RevokedBy, &e.RevokeReason); err != nil {
			return nil, err
		}
		e.Expires, _ = time.ParseInLocation(dateOnly, expires, time.UTC)
		e.CreatedAt = parseTS(created)
		if revoked.Valid {
			t := parseTS(revoked.String)
			e.RevokedAt = &t
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LetterSent is a vendor letter marked as sent.
type LetterSent struct {
	Ref        string
	RunID      int64
	Domains    []string
	SentOn     time.Time // 00:00 UTC of the day it went out
	RecordedAt time.Time
}

// MarkLetterSent records that a letter went out; a reference is marked once.
func (d *DB) MarkLetterSent(ctx context.Context, l LetterSent) error {
	var prev string
	err := d.sql.QueryRowContext(ctx, `SELECT sent_on FROM letters_sent WHERE ref = ?`, l.Ref).Scan(&prev)
	switch {
	case err == nil:
		return fmt.Errorf("letter %s: %w on %s", l.Ref, ErrAlreadySent, prev)
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	_, err = d.sql.ExecContext(ctx, `INSERT INTO letters_sent (ref, run_id, domains, sent_on, recorded_at) VALUES (?,?,?,?,?)`,
		l.Ref, l.RunID, strings.Join(l.Domains, ","), l.SentOn.UTC().Format(dateOnly), ts(l.RecordedAt))
	if err != nil {
		return fmt.Errorf("record letter sent: %w", err)
	}
	return nil
}

// LettersSent lists the letters marked sent, in the order they were recorded.
func (d *DB) LettersSent(ctx context.Context) ([]LetterSent, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT ref, run_id, domains, sent_on, recorded_at FROM letters_sent ORDER BY rowid`)
	if noProgrammeTables(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LetterSent
	for rows.Next() {
		var l LetterSent
		var domains, on, rec string
		if err := rows.Scan(&l.Ref, &l.RunID, &domains, &on, &rec); err != nil {
			return nil, err
		}
		if domains != "" {
			l.Domains = strings.Split(domains, ",")
		}
		l.SentOn, _ = time.ParseInLocation(dateOnly, on, time.UTC)
		l.RecordedAt = parseTS(rec)
		out = append(out, l)
	}
	return out, rows.Err()
}

// FindingSighting is one finding stored in one run.
type FindingSighting struct {
	RunID                  int64
	Code, Domain, Host, IP string
	Severity               grade.Severity
}

// runFindingsQuery reads a run's findings through its domain results:
// the run's rows from the (run_id, ...) index, each one's findings from
// findings (domain_result_id).
const runFindingsQuery = `SELECT dr.domain, f.code, f.severity, f.host, f.ip FROM findings f
			JOIN domain_results dr ON dr.id = f.domain_result_id WHERE dr.run_id = ?`

// FindingHistory returns the runs of a run's vendor list that count as its
// history (every completed run before it, and the run itself), oldest
// first, and every finding stored in them. Runs made by `regrade` are
// left out unless they are the run itself: they repeat an earlier run's
// evidence and would make a finding look seen twice. It holds every
// sighting in memory: on a long history of a large list use
// FindingRuns and EachSighting.
func (d *DB) FindingHistory(ctx context.Context, runID int64) ([]Run, []FindingSighting, error) {
	runs, err := d.FindingRuns(ctx, runID)
	if err != nil {
		return nil, nil, err
	}
	var out []FindingSighting
	err = d.EachSighting(ctx, runs, func(s FindingSighting) error {
		out = append(out, s)
		return nil
	})
	return runs, out, err
}

// FindingRuns returns the runs FindingHistory reads, oldest first.
func (d *DB) FindingRuns(ctx context.Context, runID int64) ([]Run, error) {
	run, err := d.GetRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT `+runColumns+` FROM runs r WHERE r.list_name = ? AND
		(r.id = ? OR (r.id < ? AND r.status = ? AND r.regraded_from IS NULL)) ORDER BY r.id`,
		run.ListName, runID, runID, StatusCompleted)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, rows.Err()
}

// EachSighting calls fn with every finding stored in runs, run by run in
// the order given, one row in memory at a time: twelve runs of a
// 100,000-domain list hold millions of sightings. fn must not write to
// the database. An error from fn stops the walk and is returned.
func (d *DB) EachSighting(ctx context.Context, runs []Run, fn func(FindingSighting) error) error {
	for _, r := range runs {
		if err := d.eachRunSighting(ctx, r.ID, fn); err != nil {
			return err
		}
	}
	return nil
}

func (d *DB) eachRunSighting(ctx context.Context, runID int64, fn func(FindingSighting) error) error {
	rows, err := d.sql.QueryContext(ctx, runFindingsQuery, runID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		s := FindingSighting{RunID: runID}
		var sev string
		if err := rows.Scan(&s.Domain, &s.Code, &sev, &s.Host, &s.IP); err != nil {
			return err
		}
		_ = s.Severity.UnmarshalText([]byte(sev))
		if err := fn(s); err != nil {
			return err
		}
	}
	return rows.Err()
}

// noProgrammeTables reports whether err says the programme's tables do not
// exist: a database last written before migration 13 and opened read-only
// (report, letter list) is not migrated, and holds no programme records.
func noProgrammeTables(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such table")
}
