package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ComputeDiff compares run id with base (nil: no previous run; only
// expiring certificates are reported then). expiryWarn is the window, in
// days, for cert_expiring.
//
// Its cost is a scan of the list plus what changed. The two runs are
// walked side by side in domain order over the light columns of the
// (run_id, domain, grade, diff_key, cert_days) index, without reading a
// row's evidence; a domain's evidence and grade are decoded only when
// something about it may have changed: its diff key differs from the
// base run's (or is unknown: rows stored before keys were), its
// certificates may expire within the window, or the base run could not
// audit it and its last audited result is looked up further back. The
// list changes are set differences in SQL and the vendors are read per
// changed domain, so nothing held grows with the list but the changes.
func (d *DB) ComputeDiff(ctx context.Context, id int64, base *int64, expiryWarn int) (*Diff, error) {
	w := &diffWalk{d: d, run: id, diff: &Diff{Run: id, HasBase: base != nil, ExpiryWarn: expiryWarn, Changes: []Change{}}}
	var baseRows *keyCursor
	if base != nil {
		br, err := d.GetRun(ctx, *base)
		if err != nil {
			return nil, err
		}
		w.base, w.diff.Base = *base, *base
		w.listName, w.baseDate = br.ListName, br.StartedAt
		if err := w.listChanges(ctx); err != nil {
			return nil, err
		}
		baseRows = d.newKeyCursor(*base)
	}
	rows := d.newKeyCursor(id)
	for {
		r, ok, err := rows.next(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if err := w.domain(ctx, r, baseRows); err != nil {
			return nil, err
		}
	}
	for _, ch := range w.diff.Changes {
		switch ch.Kind {
		case ChangeGradeDown:
			w.diff.Regressions++
		case ChangeGradeUp:
			w.diff.Improvements++
		}
	}
	w.diff.Made = time.Now().UTC()
	return w.diff, nil
}

// diffWalk is ComputeDiff's state: the diff so far and the base run.
type diffWalk struct {
	d        *DB
	diff     *Diff
	run      int64
	base     int64
	listName string
	baseDate time.Time
}

// The queries of the diff (see TestHotQueriesUseIndexes).
const (
	// A run's domains in domain order with the columns that say whether
	// they changed, from the covering domain_results_run_diff index.
	diffKeysFirst = `SELECT id, domain, grade, diff_key, cert_days FROM domain_results
		WHERE run_id = ? ORDER BY domain LIMIT ?`
	diffKeysNext = `SELECT id, domain, grade, diff_key, cert_days FROM domain_results
		WHERE run_id = ? AND domain > ? ORDER BY domain LIMIT ?`
	// One row, whole, by its id, for a domain that may have changed.
	diffRowQuery = `SELECT evidence_json, grade_json, address_refs FROM domain_results WHERE id = ?`
	// The vendors of a domain in a run's list, in list order.
	diffVendorsQuery = `SELECT vendor FROM run_vendors WHERE domain = ? AND run_id = ? ORDER BY row_num, vendor`
	diffHasVendors   = `SELECT EXISTS (SELECT 1 FROM run_vendors WHERE run_id = ?)`
	// The domains of one run's list that the other's lacks; {A} and {B}
	// are each a run's list (listSource).
	diffListMinus = `SELECT domain FROM ({A}) EXCEPT SELECT domain FROM ({B}) ORDER BY domain`
	listOfVendors = `SELECT domain FROM run_vendors WHERE run_id = ?`
	listOfStored  = `SELECT domain FROM domain_results WHERE run_id = ?`
)

// diffKeysBatch is how many light rows the walk reads per query (a
// variable so that a test can span many batches with few domains).
var diffKeysBatch = 1024

// listSource is the query of a run's list: its vendor list's domains, or
// its stored domains for a run stored without one.
func (w *diffWalk) listSource(ctx context.Context, run int64) (string, error) {
	var has bool
	if err := w.d.sql.QueryRowContext(ctx, diffHasVendors, run).Scan(&has); err != nil {
		return "", err
	}
	if has {
		return listOfVendors, nil
	}
	return listOfStored, nil
}

// listChanges adds the domains added to and removed from the list, each
// set in name order, as the set differences of the two runs' lists.
func (w *diffWalk) listChanges(ctx context.Context) error {
	cur, err := w.listSource(ctx, w.run)
	if err != nil {
		return err
	}
	old, err := w.listSource(ctx, w.base)
	if err != nil {
		return err
	}
	for _, side := range []struct {
		kind       string
		a, b       string
		aRun, bRun int64
	}{{ChangeDomainAdded, cur, old, w.run, w.base}, {ChangeDomainRemoved, old, cur, w.base, w.run}} {
		q := strings.NewReplacer("{A}", side.a, "{B}", side.b).Replace(diffListMinus)
		names, err := w.d.strings(ctx, q, side.aRun, side.bRun)
		if err != nil {
			return fmt.Errorf("list changes: %w", err)
		}
		for _, n := range names {
			if err := w.add(ctx, []Change{{Kind: side.kind, Domain: n}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// strings runs a query of one text column.
func (d *DB) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := d.sql.QueryContext(ctx, q, args...)
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

// add appends one domain's changes with the domain's vendors: those of
// this run's list, else of the base run's (a removed domain).
func (w *diffWalk) add(ctx context.Context, chs []Change) error {
	if len(chs) == 0 {
		return nil
	}
	vendors, err := w.vendors(ctx, chs[0].Domain, w.run)
	if err != nil {
		return err
	}
	if len(vendors) == 0 && w.diff.HasBase {
		if vendors, err = w.vendors(ctx, chs[0].Domain, w.base); err != nil {
			return err
		}
	}
	for _, ch := range chs {
		ch.Vendors = vendors
		w.diff.Changes = append(w.diff.Changes, ch)
	}
	return nil
}

func (w *diffWalk) vendors(ctx context.Context, domain string, run int64) ([]string, error) {
	names, err := w.d.strings(ctx, diffVendorsQuery, domain, run)
	if err != nil {
		return nil, fmt.Errorf("vendors of %s: %w", domain, err)
	}
	var out []string
	for _, n := range names {
		out = appendUnique(out, n)
	}
	return out, nil
}

// domain adds the changes of one domain of the run, r, compared with its
// row in the base run (found by baseRows) or its last audited result.
func (w *diffWalk) domain(ctx context.Context, r keyRow, baseRows *keyCursor) error {
	// The comparison reads host names, addresses' IPs, the grade and the
	// sender-authentication facts, all in the domain's own row; only the
	// expiring certificates need its address evidence joined. A domain
	// loaded for those is loaded whole once.
	var cur *StoredDomain
	load := func() (StoredDomain, error) {
		if cur == nil {
			s, err := w.d.domainByID(ctx, w.run, r, false)
			if err != nil {
				return s, err
			}
			cur = &s
		}
		return *cur, nil
	}
	var out []Change
	if w.diff.ExpiryWarn > 0 && (!r.keyed() || (r.certDays.Valid && r.certDays.Int64 <= int64(w.diff.ExpiryWarn))) {
		s, err := w.d.domainByID(ctx, w.run, r, true)
		if err != nil {
			return err
		}
		cur = &s
		out = append(out, expiring(s, w.diff.ExpiryWarn)...)
	}
	if !w.diff.HasBase {
		return w.add(ctx, out)
	}
	// Each domain is compared with the last run that audited it: the
	// base run, or an earlier completed run when the base could not
	// audit it.
	b, found, err := baseRows.seek(ctx, r.domain)
	if err != nil {
		return err
	}
	if !found || b.grade == notAudited {
		// A carried result needs the last audited run and grade alone;
		// a comparison, the result decoded.
		var last Audited
		var lastGrade string
		if r.grade == notAudited {
			last, lastGrade, err = w.d.lastAuditedRun(ctx, r.domain, w.listName, w.base)
		} else {
			last, err = w.d.LastAudited(ctx, r.domain, w.listName, w.base)
		}
		switch {
		case errors.Is(err, ErrNotFound):
			return w.add(ctx, out)
		case err != nil:
			return err
		}
		if r.grade == notAudited {
			return w.add(ctx, append(out, carriedChange(r.domain, lastGrade, last.Run, last.RunDate)))
		}
		s, err := load()
		if err != nil {
			return err
		}
		for _, ch := range compareDomain(last.StoredDomain, s) {
			if last.Run != w.base {
				ch.Since = last.Run
			}
			out = append(out, ch)
		}
		return w.add(ctx, out)
	}
	if r.grade == notAudited {
		return w.add(ctx, append(out, carriedChange(r.domain, b.grade, w.base, w.baseDate)))
	}
	if r.keyed() && r.key == b.key {
		return w.add(ctx, out) // nothing a diff compares changed
	}
	s, err := load()
	if err != nil {
		return err
	}
	o, err := w.d.domainByID(ctx, w.base, b, false)
	if err != nil {
		return err
	}
	return w.add(ctx, append(out, compareDomain(o, s)...))
}

// carriedChange says that a domain could not be audited in this run and
// that its last audited result (grade from, of run since, started at)
// stands: no grade or finding changes are concluded from a run that
// learnt nothing about the domain.
func carriedChange(domain, from string, since int64, at time.Time) Change {
	return Change{Kind: ChangeCarried, Domain: domain, From: from, Since: since,
		Detail: fmt.Sprintf("could not be audited in this run; last audited in run %d on %s", since, at.UTC().Format("2006-01-02"))}
}

// domainByID loads and decodes one row of run the walk found. Without
// addresses, each address of the evidence is its IP alone, as the row
// stores it (AddressRefs nil): what compareDomain reads, without decoding
// the address evidence of both runs (two runs' shared addresses are more
// than the address cache holds, so each would be decoded again and
// again).
func (d *DB) domainByID(ctx context.Context, run int64, r keyRow, addresses bool) (StoredDomain, error) {
	var ev, g []byte
	var refs string
	if err := d.sql.QueryRowContext(ctx, diffRowQuery, r.id).Scan(&ev, &g, &refs); err != nil {
		return StoredDomain{}, fmt.Errorf("%s in run %d: %w", r.domain, run, err)
	}
	if !addresses {
		refs = ""
	}
	return d.decodeDomain(ctx, run, r.domain, ev, g, refs)
}

// keyRow is one domain of a run as the diff walks it.
type keyRow struct {
	id                 int64
	domain, grade, key string
	certDays           sql.NullInt64
}

// keyed reports whether the row's diff key and cert_days were written by
// this version of the key (not ” from before keys, nor an older one).
func (r keyRow) keyed() bool { return strings.HasPrefix(r.key, diffKeyVersion) }

// keyCursor reads a run's keyRows in domain order, in batches along the
// index, each batch starting after the last domain of the one before; no
// query stays open between batches.
type keyCursor struct {
	d     *DB
	runID int64
	batch []keyRow
	pos   int
	after string
	// started: a batch was read; done: the last batch was short.
	started, done bool
}

func (d *DB) newKeyCursor(runID int64) *keyCursor {
	return &keyCursor{d: d, runID: runID}
}

// next returns the next row; ok is false after the last one.
func (c *keyCursor) next(ctx context.Context) (keyRow, bool, error) {
	if c.pos == len(c.batch) {
		if c.done {
			return keyRow{}, false, nil
		}
		if err := c.fill(ctx); err != nil {
			return keyRow{}, false, err
		}
		if len(c.batch) == 0 {
			return keyRow{}, false, nil
		}
	}
	r := c.batch[c.pos]
	c.pos++
	return r, true, nil
}

// seek returns the row of domain, skipping the rows before it; domains
// must be asked for in increasing order.
func (c *keyCursor) seek(ctx context.Context, domain string) (keyRow, bool, error) {
	for {
		r, ok, err := c.peek(ctx)
		if err != nil || !ok {
			return keyRow{}, false, err
		}
		switch {
		case r.domain < domain:
			c.pos++
		case r.domain == domain:
			c.pos++
			return r, true, nil
		default:
			return keyRow{}, false, nil
		}
	}
}

// peek returns the next row without moving past it.
func (c *keyCursor) peek(ctx context.Context) (keyRow, bool, error) {
	r, ok, err := c.next(ctx)
	if ok {
		c.pos--
	}
	return r, ok, err
}

func (c *keyCursor) fill(ctx context.Context) error {
	// Two statements, not "(? OR domain > ?)": an OR would hide the
	// range from the planner and every batch would scan from the run's
	// first domain.
	q, args := diffKeysFirst, []any{c.runID, diffKeysBatch}
	if c.started {
		q, args = diffKeysNext, []any{c.runID, c.after, diffKeysBatch}
	}
	rows, err := c.d.sql.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	c.batch, c.pos, c.started = c.batch[:0], 0, true
	for rows.Next() {
		var r keyRow
		if err := rows.Scan(&r.id, &r.domain, &r.grade, &r.key, &r.certDays); err != nil {
			return err
		}
		c.batch = append(c.batch, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(c.batch) < diffKeysBatch {
		c.done = true
	}
	if len(c.batch) > 0 {
		c.after = c.batch[len(c.batch)-1].domain
	}
	return nil
}
