package db

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
)

// The statements that store a domain, run for every domain of a run:
// prepared once per connection (see DB.stmt), not parsed again per call.
const (
	insertAddressEvidence = `INSERT OR IGNORE INTO address_evidence (run_id, sha256, json) VALUES (?,?,?)`
	deleteDomainResult    = `DELETE FROM domain_results WHERE run_id = ? AND domain = ?`
	insertDomainResult    = `INSERT INTO domain_results (run_id, domain, grade, incomplete, forced_tls, mx_kind, audited_at, evidence_json, grade_json, address_refs, diff_key, cert_days)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`
	insertAddressResult = `INSERT OR REPLACE INTO address_results (domain_result_id, host, preference, ip, grade, probe_status, versions, cert_not_after)
		VALUES (?,?,?,?,?,?,?,?)`
	insertDomainDigest = `INSERT INTO domain_digests (domain_result_id, digest) VALUES (?,?)`
	insertFinding      = `INSERT INTO findings (domain_result_id, code, severity, host, ip, reason, args_json) VALUES (?,?,?,?,?,?,?)`
)

// statements holds the prepared statements of a DB, by query text.
type statements struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// stmt returns q prepared on the database; database/sql prepares it
// again on each connection it is used on, once (Tx.StmtContext).
func (d *DB) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	d.stmts.mu.Lock()
	defer d.stmts.mu.Unlock()
	if s, ok := d.stmts.m[q]; ok {
		return s, nil
	}
	s, err := d.sql.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if d.stmts.m == nil {
		d.stmts.m = map[string]*sql.Stmt{}
	}
	d.stmts.m[q] = s
	return s, nil
}

// txExec runs the prepared statement q within tx.
func (d *DB) txExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	s, err := d.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, s).ExecContext(ctx, args...)
}

// closeStmts closes the prepared statements.
func (d *DB) closeStmts() {
	d.stmts.mu.Lock()
	defer d.stmts.mu.Unlock()
	for _, s := range d.stmts.m {
		_ = s.Close()
	}
	d.stmts.m = nil
}

// RunWriter stores the domains of one run as an audit finishes them, each
// in its own transaction as SaveDomain does. It stores the evidence of an
// address once per run by identity: the auditor hands every domain that
// uses an address the same probe and certificate check (shared, and never
// changed once handed out), so an address whose parts are the very
// objects of one already stored twice is neither encoded nor written
// again. A provider address serving thousands of domains is encoded
// twice, not once per domain (the encoding was a third of the store
// step's CPU).
//
// The evidence given to Save must not be changed afterwards: a changed
// part would be taken for the one stored. A RunWriter is used by one
// goroutine.
type RunWriter struct {
	d   *DB
	run int64
	// stored maps the identity of an address evidence stored in this run
	// to its key; bounded, as it keeps its parts from being collected.
	// An identity enters it the second time it is stored: an address
	// only one domain uses (most of a list) is never met again, and its
	// certificate check is not kept alive for nothing.
	stored *lru.Cache[addressIdentity, string]
	// seen holds the identities stored once, by the addresses of their
	// parts alone, which keep nothing alive. An address reused after its
	// object was collected can make an identity look seen when it is not:
	// it is then remembered at its first storing, never wrongly reused.
	seen *lru.Cache[seenIdentity, struct{}]
}

// seenIdentity is an addressIdentity by the addresses of its parts.
type seenIdentity struct {
	ip                        string
	probe, cert, others, dane uintptr
	nothers                   int
}

func (id addressIdentity) seen() seenIdentity {
	return seenIdentity{ip: id.ip, probe: reflect.ValueOf(id.probe).Pointer(), cert: reflect.ValueOf(id.cert).Pointer(),
		others: reflect.ValueOf(id.others).Pointer(), dane: reflect.ValueOf(id.dane).Pointer(), nothers: id.nothers}
}

// storedAddressesSize bounds RunWriter.stored: the shared addresses of a
// run (309 in the 100,000-domain benchmark fleet, a provider's pool being
// tens to hundreds) with room; an address dropped from it is encoded
// again, never wrongly reused.
const storedAddressesSize = 1024

// seenAddressesSize bounds RunWriter.seen: enough identities that a
// shared address is met a second time before it is forgotten, at some
// hundred bytes each.
const seenAddressesSize = 8192

// addressIdentity is what an address evidence is made of, by identity:
// its IP and the objects its JSON is encoded from (the other certificates
// by their backing array and length).
type addressIdentity struct {
	ip      string
	probe   *evidence.Probe
	cert    *evidence.CertCheck
	others  *evidence.CertCheck
	nothers int
	dane    *evidence.DANEMatch
}

func identityOf(a *evidence.Address) addressIdentity {
	id := addressIdentity{ip: a.IP, probe: a.Probe, cert: a.Cert, nothers: len(a.OtherCerts), dane: a.DANE}
	if len(a.OtherCerts) > 0 {
		id.others = &a.OtherCerts[0]
	}
	return id
}

// NewRunWriter returns the writer of run runID's domains.
func (d *DB) NewRunWriter(runID int64) *RunWriter {
	c, err := lru.New[addressIdentity, string](storedAddressesSize)
	if err != nil {
		// Only a size below one is refused.
		panic(fmt.Sprintf("db: stored addresses: %v", err))
	}
	seen, err := lru.New[seenIdentity, struct{}](seenAddressesSize)
	if err != nil {
		panic(fmt.Sprintf("db: seen addresses: %v", err))
	}
	return &RunWriter{d: d, run: runID, stored: c, seen: seen}
}

// Save stores one domain's evidence and grade in a single transaction,
// replacing the domain's earlier result in the run, as SaveDomain does.
func (w *RunWriter) Save(ctx context.Context, ev *evidence.Domain, g *grade.DomainGrade) error {
	tx, err := w.d.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var fresh []storedAddress
	if err := w.d.saveDomain(ctx, tx, w.run, ev, g, w, &fresh); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// Only committed rows are remembered: a rolled back transaction took
	// its address evidence with it.
	for _, s := range fresh {
		if seen := s.id.seen(); w.seen.Contains(seen) {
			w.seen.Remove(seen)
			w.stored.Add(s.id, s.key)
		} else {
			w.seen.Add(seen, struct{}{})
		}
	}
	return nil
}

// storedAddress is an address evidence written by a transaction not yet
// committed.
type storedAddress struct {
	id  addressIdentity
	key string
}

// known returns the key of an address evidence this writer stored, if any.
func (w *RunWriter) known(a *evidence.Address) (addressIdentity, string, bool) {
	if w == nil {
		return addressIdentity{}, "", false
	}
	id := identityOf(a)
	key, ok := w.stored.Get(id)
	return id, key, ok
}
