package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
)

// Run statuses.
const (
	StatusRunning     = "running"
	StatusCompleted   = "completed"
	StatusInterrupted = "interrupted"
	StatusFailed      = "failed"
)

// Run is one audit of a vendor list.
type Run struct {
	ID            int64      `json:"id"`
	ListName      string     `json:"list_name"`
	InputPath     string     `json:"input_path,omitempty"`
	InputSHA256   string     `json:"input_sha256,omitempty"`
	Policy        string     `json:"policy"`
	PolicyVersion string     `json:"policy_version"`
	ToolVersion   string     `json:"tool_version"`
	StartedAt     time.Time  `json:"started_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	Status        string     `json:"status"`
	TotalDomains  int        `json:"total_domains"`
	// Done is the number of domains stored for the run.
	Done         int             `json:"done"`
	Config       json.RawMessage `json:"config,omitempty"`
	RegradedFrom *int64          `json:"regraded_from,omitempty"`
	// Settings are the scan settings the run used (ScanSettings as JSON,
	// exactly as stored, since the manifest digests these bytes); empty
	// for runs stored before they were recorded.
	Settings json.RawMessage `json:"settings,omitempty"`
}

// VendorRow is one (vendor, domain) pair of the list a run audited.
type VendorRow struct {
	Vendor, Domain, Input, Owner, Tier, Notes string
	// Contact is the vendor's contact from the list (name or e-mail).
	Contact string
	Tags    []string
	Sheet   string
	Row     int
}

// Problem is an input problem of a run's vendor list.
type Problem struct {
	Sheet, Column, Value, Message string
	Row                           int
}

// ErrNotFound is returned when a run or domain does not exist.
var ErrNotFound = errors.New("not found")

// CreateRun stores a new run with status running, with its vendor list and
// input problems, in one transaction, and returns its id.
func (d *DB) CreateRun(ctx context.Context, r Run, vendors []VendorRow, problems []Problem) (int64, error) {
	if r.Config == nil {
		r.Config = json.RawMessage("{}")
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO runs (list_name, input_path, input_sha256, policy, policy_version,
		tool_version, started_at, status, total_domains, config_json, regraded_from, settings_json) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		r.ListName, r.InputPath, r.InputSHA256, r.Policy, r.PolicyVersion, r.ToolVersion, ts(r.StartedAt),
		StatusRunning, r.TotalDomains, string(r.Config), r.RegradedFrom, string(r.Settings))
	if err != nil {
		return 0, fmt.Errorf("create run: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	for _, v := range vendors {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO run_vendors (run_id, vendor, domain, input, owner, tier, tags, notes, contact, sheet, row_num)
			VALUES (?,?,?,?,?,?,?,?,?,?,?)`, id, v.Vendor, v.Domain, v.Input, v.Owner, v.Tier, strings.Join(v.Tags, ","), v.Notes, v.Contact, v.Sheet, v.Row); err != nil {
			return 0, fmt.Errorf("store vendor list: %w", err)
		}
	}
	for _, p := range problems {
		if _, err := tx.ExecContext(ctx, `INSERT INTO input_problems (run_id, sheet, row_num, col, value, message) VALUES (?,?,?,?,?,?)`,
			id, p.Sheet, p.Row, p.Column, p.Value, p.Message); err != nil {
			return 0, fmt.Errorf("store input problems: %w", err)
		}
	}
	return id, tx.Commit()
}

// FinishRun sets a run's final status and end time.
func (d *DB) FinishRun(ctx context.Context, id int64, status string, at time.Time) error {
	_, err := d.sql.ExecContext(ctx, `UPDATE runs SET status = ?, finished_at = ? WHERE id = ?`, status, ts(at), id)
	return err
}

// SaveDomain stores one domain's evidence and grade for a run in a single
// transaction. Storing a domain again for the same run replaces it, so a
// resumed run never holds duplicates.
func (d *DB) SaveDomain(ctx context.Context, runID int64, ev *evidence.Domain, g *grade.DomainGrade) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := d.saveDomain(ctx, tx, runID, ev, g, nil, nil); err != nil {
		return err
	}
	return tx.Commit()
}

// Result is one domain's evidence and its grade, as SaveDomains stores them.
type Result struct {
	Evidence *evidence.Domain
	Grade    *grade.DomainGrade
}

// SaveDomains stores several domains of a run in one transaction, each as
// SaveDomain stores it: the rows are the same, only the commits fewer.
// It is for writing many results at once (importing a history, the
// history benchmark); a run in progress stores each domain on its own,
// so a killed run keeps what finished.
func (d *DB) SaveDomains(ctx context.Context, runID int64, rs []Result) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, r := range rs {
		if err := d.saveDomain(ctx, tx, runID, r.Evidence, r.Grade, nil, nil); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// saveDomain writes one domain's rows within tx. With a writer, address
// evidence it already stored is not encoded again, and what tx stores
// anew is added to fresh, for the writer to remember once committed.
func (d *DB) saveDomain(ctx context.Context, tx *sql.Tx, runID int64, ev *evidence.Domain, g *grade.DomainGrade, w *RunWriter, fresh *[]storedAddress) error {
	gJSON, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("encode grade of %s: %w", ev.Domain, err)
	}
	evJSON, refs, keys, err := d.splitAddresses(ctx, tx, runID, ev, w, fresh)
	if err != nil {
		return err
	}
	if _, err := d.txExec(ctx, tx, deleteDomainResult, runID, ev.Domain); err != nil {
		return err
	}
	key, certDays := diffKey(ev, g)
	res, err := d.txExec(ctx, tx, insertDomainResult, runID, ev.Domain, string(g.Grade), g.Incomplete, string(g.ForcedTLS), string(ev.MX.Kind),
		ts(ev.FinishedAt), string(evJSON), string(gJSON), string(refs), key, certDays)
	if err != nil {
		return fmt.Errorf("store %s: %w", ev.Domain, err)
	}
	drID, err := res.LastInsertId()
	if err != nil {
		return err
	}
	// The manifest digest of the row, from the bytes just written: what
	// sealing the run reads instead of the evidence (see sealManifest).
	incomplete := 0
	if g.Incomplete {
		incomplete = 1
	}
	digest := domainDigest(ev.Domain, string(g.Grade), incomplete, string(g.ForcedTLS), evJSON, gJSON, keys)
	if _, err := d.txExec(ctx, tx, insertDomainDigest, drID, digest); err != nil {
		return err
	}
	for _, mx := range g.MX {
		host := hostOf(ev, mx.Host)
		for _, a := range mx.Addresses {
			status, versions, notAfter := addressFacts(host, a.IP)
			if _, err := d.txExec(ctx, tx, insertAddressResult, drID, mx.Host, mx.Preference, a.IP, string(a.Grade), status, versions, notAfter); err != nil {
				return err
			}
		}
	}
	for _, f := range g.Findings {
		args, _ := json.Marshal(f.Args)
		if _, err := d.txExec(ctx, tx, insertFinding, drID, f.Code, f.Severity.String(), f.Host, f.IP, f.Reason, string(args)); err != nil {
			return err
		}
	}
	return nil
}

func hostOf(ev *evidence.Domain, name string) *evidence.Host {
	for i := range ev.Hosts {
		if ev.Hosts[i].Name == name {
			return &ev.Hosts[i]
		}
	}
	return nil
}

func addressFacts(h *evidence.Host, ip string) (status, versions string, notAfter sql.NullString) {
	if h == nil {
		return "", "", notAfter
	}
	for _, a := range h.Addresses {
		if a.IP != ip {
			continue
		}
		if a.Probe != nil {
			status = string(a.Probe.Status)
			var vs []string
			for _, v := range a.Probe.Versions {
				if v.Support == evidence.Supported {
					vs = append(vs, v.Version)
				}
			}
			versions = strings.Join(vs, ",")
		}
		if a.Cert != nil && len(a.Cert.Chain) > 0 {
			notAfter = sql.NullString{String: ts(a.Cert.Chain[0].NotAfter), Valid: true}
		}
	}
	return status, versions, notAfter
}

// DoneDomains returns the domains already stored for a run.
func (d *DB) DoneDomains(ctx context.Context, runID int64) (map[string]bool, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT domain FROM domain_results WHERE run_id = ?`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		done[s] = true
	}
	return done, rows.Err()
}

const runColumns = `r.id, r.list_name, r.input_path, r.input_sha256, r.policy, r.policy_version, r.tool_version,
	r.started_at, r.finished_at, r.status, r.total_domains, r.config_json, r.regraded_from,
	r.stored_domains, r.settings_json`

func scanRun(s interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var started string
	var finished sql.NullString
	var cfg, settings string
	var from sql.NullInt64
	err := s.Scan(&r.ID, &r.ListName, &r.InputPath, &r.InputSHA256, &r.Policy, &r.PolicyVersion, &r.ToolVersion,
		&started, &finished, &r.Status, &r.TotalDomains, &cfg, &from, &r.Done, &settings)
	if err != nil {
		return r, err
	}
	r.StartedAt = parseTS(started)
	if finished.Valid {
		t := parseTS(finished.String)
		r.FinishedAt = &t
	}
	r.Config = json.RawMessage(cfg)
	if settings != "" {
		r.Settings = json.RawMessage(settings)
	}
	if from.Valid {
		r.RegradedFrom = &from.Int64
	}
	return r, nil
}

// runsQuery lists the runs; each one's stored domains are the count its
// row keeps (runs.stored_domains, kept by triggers as domains are stored
// and deleted), not a count of its rows: listing twelve 100,000-domain
// runs reads twelve rows.
const runsQuery = `SELECT ` + runColumns + ` FROM runs r ORDER BY r.id DESC`

// Runs lists runs, newest first.
func (d *DB) Runs(ctx context.Context) ([]Run, error) {
	rows, err := d.sql.QueryContext(ctx, runsQuery)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetRun returns one run.
func (d *DB) GetRun(ctx context.Context, id int64) (Run, error) {
	r, err := scanRun(d.sql.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs r WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("run %d: %w", id, ErrNotFound)
	}
	return r, err
}

// LatestRun returns the newest run with one of the given statuses (any
// status when none is given), optionally of one list ("" for any list).
func (d *DB) LatestRun(ctx context.Context, listName string, statuses ...string) (Run, error) {
	q := `SELECT ` + runColumns + ` FROM runs r WHERE (? = '' OR r.list_name = ?)`
	args := []any{listName, listName}
	if len(statuses) > 0 {
		q += ` AND r.status IN (` + strings.TrimSuffix(strings.Repeat("?,", len(statuses)), ",") + `)`
		for _, s := range statuses {
			args = append(args, s)
		}
	}
	q += ` ORDER BY r.id DESC LIMIT 1`
	r, err := scanRun(d.sql.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// PreviousCompleted returns the completed run of the same list made before run id.
func (d *DB) PreviousCompleted(ctx context.Context, id int64, listName string) (Run, error) {
	r, err := scanRun(d.sql.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs r
		WHERE r.list_name = ? AND r.status = ? AND r.id < ? ORDER BY r.id DESC LIMIT 1`, listName, StatusCompleted, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// StoredDomain is one domain's stored result.
//
// An address that several domains of a run share is decoded once, and their
// Evidence values share its Probe, Cert and DANE: treat loaded evidence as
// read-only (copy what you change).
type StoredDomain struct {
	Domain   string
	Evidence *evidence.Domain
	Grade    *grade.DomainGrade
	// AddressRefs names, per host of Evidence and per address of the
	// host, the stored address evidence it was read from: the hex SHA-256
	// of that evidence's JSON (address_evidence.sha256, AddressDigest).
	// Nil for a domain stored whole, before address evidence was stored
	// apart (schema version 2).
	AddressRefs [][]string
}

// DomainResults loads every domain stored for a run, in domain order. It
// holds all their evidence in memory: for large runs use EachDomain.
func (d *DB) DomainResults(ctx context.Context, runID int64) ([]StoredDomain, error) {
	var out []StoredDomain
	err := d.EachDomain(ctx, runID, func(s StoredDomain) error {
		out = append(out, s)
		return nil
	})
	return out, err
}

// eachDomainBatch is how many domains EachDomain reads per query: few
// enough that a batch's JSON is small, many enough that the queries cost
// little beside the decoding.
const eachDomainBatch = 256

// The queries of EachDomain's batches (see TestHotQueriesUseIndexes).
const (
	eachDomainFirst = `SELECT domain, grade, evidence_json, grade_json, address_refs FROM domain_results
		WHERE run_id = ? ORDER BY domain LIMIT ?`
	eachDomainNext = `SELECT domain, grade, evidence_json, grade_json, address_refs FROM domain_results
		WHERE run_id = ? AND domain > ? ORDER BY domain LIMIT ?`
)

// EachDomain calls fn with each domain stored for a run, in domain order,
// decoding one at a time, so a 10,000-domain run never sits in memory
// whole. An error from fn stops the walk and is returned.
//
// The rows are read in batches along the (run_id, domain) index, each
// batch starting after the last domain of the one before, and no query
// is open while fn runs: fn may write to the database (regrade stores
// each domain again as it walks) and the walk neither sees its own
// writes twice nor holds a read transaction across the whole run.
func (d *DB) EachDomain(ctx context.Context, runID int64, fn func(StoredDomain) error) error {
	c := d.newRunCursor(runID)
	for {
		r, ok, err := c.next(ctx)
		if err != nil || !ok {
			return err
		}
		s, err := d.decodeDomain(ctx, runID, r.domain, r.ev, r.g, r.refs)
		if err != nil {
			return err
		}
		if err := fn(s); err != nil {
			return err
		}
	}
}

// storedRow is one domain_results row, not yet decoded.
type storedRow struct {
	domain, grade, refs string
	ev, g               []byte
}

// runCursor reads a run's domain_results rows in domain order, in
// batches along the (run_id, domain) index, each batch starting after the
// last domain of the one before. No query is open between two calls of
// next: the caller may write to the database (regrade stores each domain
// again as it walks) and the walk neither sees its own writes twice nor
// holds a read transaction across the whole run.
type runCursor struct {
	d     *DB
	runID int64
	batch []storedRow
	pos   int
	after string
	// started: a batch was read; done: the last batch was short.
	started, done bool
}

func (d *DB) newRunCursor(runID int64) *runCursor {
	return &runCursor{d: d, runID: runID}
}

// next returns the next row; ok is false after the last one.
func (c *runCursor) next(ctx context.Context) (storedRow, bool, error) {
	if c.pos == len(c.batch) {
		if c.done {
			return storedRow{}, false, nil
		}
		if err := c.fill(ctx); err != nil {
			return storedRow{}, false, err
		}
		if len(c.batch) == 0 {
			return storedRow{}, false, nil
		}
	}
	r := c.batch[c.pos]
	c.pos++
	return r, true, nil
}

func (c *runCursor) fill(ctx context.Context) error {
	// Two statements, not "(? OR domain > ?)": an OR would hide the
	// range from the planner and every batch would scan from the run's
	// first domain.
	q, args := eachDomainFirst, []any{c.runID, eachDomainBatch}
	if c.started {
		q, args = eachDomainNext, []any{c.runID, c.after, eachDomainBatch}
	}
	rows, err := c.d.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	c.batch, c.pos, c.started = c.batch[:0], 0, true
	for rows.Next() {
		var r storedRow
		if err := rows.Scan(&r.domain, &r.grade, &r.ev, &r.g, &r.refs); err != nil {
			return err
		}
		c.batch = append(c.batch, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(c.batch) < eachDomainBatch {
		c.done = true
	}
	if len(c.batch) > 0 {
		c.after = c.batch[len(c.batch)-1].domain
	}
	return nil
}

// DomainNames lists the domains stored for a run, in order.
func (d *DB) DomainNames(ctx context.Context, runID int64) ([]string, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT domain FROM domain_results WHERE run_id = ? ORDER BY domain`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

const domainResultQuery = `SELECT evidence_json, grade_json, address_refs FROM domain_results WHERE run_id = ? AND domain = ?`

// DomainResult loads one domain of a run; ErrNotFound when it is not stored.
func (d *DB) DomainResult(ctx context.Context, runID int64, domain string) (StoredDomain, error) {
	s := StoredDomain{Domain: domain, Evidence: &evidence.Domain{}, Grade: &grade.DomainGrade{}}
	var ev, g []byte
	var refs string
	err := d.sql.QueryRowContext(ctx, domainResultQuery, runID, domain).Scan(&ev, &g, &refs)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("%s in run %d: %w", domain, runID, ErrNotFound)
	}
	if err != nil {
		return s, err
	}
	return d.decodeDomain(ctx, runID, domain, ev, g, refs)
}

// decodeDomain decodes one stored domain_results row.
func (d *DB) decodeDomain(ctx context.Context, runID int64, domain string, ev, g []byte, refs string) (StoredDomain, error) {
	s := StoredDomain{Domain: domain, Evidence: &evidence.Domain{}, Grade: &grade.DomainGrade{}}
	if err := json.Unmarshal(ev, s.Evidence); err != nil {
		return s, fmt.Errorf("decode evidence of %s in run %d: %w", domain, runID, err)
	}
	keys, err := d.joinAddresses(ctx, runID, s.Evidence, refs)
	if err != nil {
		return s, fmt.Errorf("evidence of %s in run %d: %w", domain, runID, err)
	}
	s.AddressRefs = keys
	if err := json.Unmarshal(g, s.Grade); err != nil {
		return s, fmt.Errorf("decode grade of %s in run %d: %w", domain, runID, err)
	}
	// Grades stored before the checks were named for their good state.
	s.Grade.UpgradeLegacy()
	return s, nil
}

// Vendors returns the vendor list a run audited.
func (d *DB) Vendors(ctx context.Context, runID int64) ([]VendorRow, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT vendor, domain, input, owner, tier, tags, notes, contact, sheet, row_num
		FROM run_vendors WHERE run_id = ? ORDER BY row_num, vendor, domain`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []VendorRow
	for rows.Next() {
		var v VendorRow
		var tags string
		if err := rows.Scan(&v.Vendor, &v.Domain, &v.Input, &v.Owner, &v.Tier, &tags, &v.Notes, &v.Contact, &v.Sheet, &v.Row); err != nil {
			return nil, err
		}
		if tags != "" {
			v.Tags = strings.Split(tags, ",")
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Problems returns the input problems of a run.
func (d *DB) Problems(ctx context.Context, runID int64) ([]Problem, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT sheet, row_num, col, value, message FROM input_problems WHERE run_id = ? ORDER BY row_num`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Problem
	for rows.Next() {
		var p Problem
		if err := rows.Scan(&p.Sheet, &p.Row, &p.Column, &p.Value, &p.Message); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// HistoryPoint is a domain's grade in one run.
type HistoryPoint struct {
	RunID     int64     `json:"run_id"`
	ListName  string    `json:"list_name"`
	StartedAt time.Time `json:"started_at"`
	Grade     string    `json:"grade"`
	ForcedTLS string    `json:"forced_tls"`
	Findings  int       `json:"findings"`
}

// historyQuery reads a domain's results along the (domain, run_id) index
// and counts each one's findings along findings (domain_result_id): a
// history answers from the domain's own rows, however many runs of
// however many domains the database holds.
const historyQuery = `SELECT r.id, r.list_name, r.started_at, dr.grade, dr.forced_tls,
		(SELECT count(*) FROM findings f WHERE f.domain_result_id = dr.id)
		FROM domain_results dr JOIN runs r ON r.id = dr.run_id WHERE dr.domain = ? ORDER BY dr.run_id`

// History lists a domain's grade over time, oldest first.
func (d *DB) History(ctx context.Context, domain string) ([]HistoryPoint, error) {
	rows, err := d.sql.QueryContext(ctx, historyQuery, domain)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HistoryPoint
	for rows.Next() {
		var h HistoryPoint
		var started string
		if err := rows.Scan(&h.RunID, &h.ListName, &started, &h.Grade, &h.ForcedTLS, &h.Findings); err != nil {
			return nil, err
		}
		h.StartedAt = parseTS(started)
		out = append(out, h)
	}
	return out, rows.Err()
}

// SaveDiff stores the changes of a run against its base run.
func (d *DB) SaveDiff(ctx context.Context, runID int64, baseID *int64, diff any) error {
	b, err := json.Marshal(diff)
	if err != nil {
		return err
	}
	_, err = d.sql.ExecContext(ctx, `INSERT OR REPLACE INTO run_diffs (run_id, base_run_id, diff_json) VALUES (?,?,?)`, runID, baseID, string(b))
	return err
}

// LoadDiff loads the stored diff of a run into out.
func (d *DB) LoadDiff(ctx context.Context, runID int64, out any) (baseID *int64, err error) {
	var s string
	var base sql.NullInt64
	err = d.sql.QueryRowContext(ctx, `SELECT base_run_id, diff_json FROM run_diffs WHERE run_id = ?`, runID).Scan(&base, &s)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if base.Valid {
		baseID = &base.Int64
	}
	return baseID, json.Unmarshal([]byte(s), out)
}

// ReopenRun marks a run being resumed as running again, with no end time.
func (d *DB) ReopenRun(ctx context.Context, id int64) error {
	_, err := d.sql.ExecContext(ctx, `UPDATE runs SET status = ?, finished_at = NULL WHERE id = ?`, StatusRunning, id)
	return err
}
