package report

import (
	"errors"
	"sort"
	"strings"
)

// The rows of a report (vendor rows, findings, changes, vendor changes)
// are read through the iterators below, never by ranging over the
// Report's slices: a report built from the database of a 100,000-domain
// run does not hold them in memory (the builder spools them to a scratch
// database and the iterators read it back in the order asked for), while
// a report read back from JSON or made in memory holds them in its
// slices. The iterators serve both, so a renderer is written once.
//
// A callback must not keep the pointer it is given past its call unless
// it copies the row. Returning ErrStop from a callback ends the walk early
// without an error (a capped PDF table stops after its last shown row);
// any other error ends it and is returned.

// ErrStop, returned by an iterator's callback, ends the walk without error.
var ErrStop = errors.New("report: stop iteration")

// VendorOrder is the order EachVendor yields vendor rows in.
type VendorOrder int

const (
	// ByRisk is the order of the vendor table: riskiest first (riskLess).
	ByRisk VendorOrder = iota
	// ByOwner groups the rows by owner (case-insensitive, rows without an
	// owner last), riskiest first within an owner.
	ByOwner
)

// VendorQuery selects and orders vendor rows; the zero value is every row,
// riskiest first.
type VendorQuery struct {
	Order VendorOrder
	// Domain, when set, keeps the rows of that domain only.
	Domain string
	// Vendor, when set, keeps the rows of that vendor only.
	Vendor string
}

// FindingOrder is the order EachFinding yields findings in.
type FindingOrder int

const (
	// BySeverity is the model's order: most severe first, then by domain.
	BySeverity FindingOrder = iota
	// ByCode groups findings by code (codes in the order of their most
	// severe finding, then by code), then most severe first and by domain:
	// the remediation section's order.
	ByCode
	// ByDeadline is the tracker's order (OpenFindings): overdue first, then
	// by the domain's owner (rows without one last), tier (numbered tiers
	// first, lowest first) and severity.
	ByDeadline
)

// FindingQuery selects and orders findings; the zero value is every
// finding, most severe first.
type FindingQuery struct {
	Order FindingOrder
	// Domain and Code, when set, keep that domain's or that code's findings.
	Domain string
	Code   string
	// Open keeps the findings above info that are not accepted; Accepted
	// those accepted by an active exception. Both unset: every finding.
	Open     bool
	Accepted bool
}

// rowSource serves a built report's rows from outside memory (the
// builder's spool). A report whose slices hold its rows has none.
type rowSource interface {
	vendors(q VendorQuery, fn func(*VendorRow) error) error
	vendorCount() int
	findings(q FindingQuery, fn func(*Finding) error) error
	countFindings(q FindingQuery) (int, error)
	changes(fn func(*Change) error) error
	changeCount() int
	vendorChanges(fn func(*VendorChange) error) error
	vendorChangeCount() int
	controls(fn func(*VendorControls) error) error
	controlCount() int
	close() error
}

// EachVendor calls fn with each vendor row q selects, in q's order.
func (r *Report) EachVendor(q VendorQuery, fn func(*VendorRow) error) error {
	if r.rows != nil {
		return stopped(r.rows.vendors(q, fn))
	}
	var idx []int
	keep := func(i int) {
		v := &r.Vendors[i]
		if (q.Domain == "" || v.Domain == q.Domain) && (q.Vendor == "" || v.Vendor == q.Vendor) {
			idx = append(idx, i)
		}
	}
	// A domain's or a vendor's rows are read from the index, when the
	// report has one, instead of scanning every row.
	if cand, ok := r.vendorCandidates(q); ok {
		for _, i := range cand {
			keep(i)
		}
	} else {
		for i := range r.Vendors {
			keep(i)
		}
	}
	if q.Order == ByOwner {
		sort.SliceStable(idx, func(a, b int) bool {
			return ownerLess(r.Vendors[idx[a]].Owner, r.Vendors[idx[b]].Owner)
		})
	}
	for _, i := range idx {
		if err := fn(&r.Vendors[i]); err != nil {
			return stopped(err)
		}
	}
	return nil
}

// ownerLess orders owners case-insensitively, an empty owner last.
func ownerLess(a, b string) bool {
	if a == "" || b == "" {
		return a != "" && b == ""
	}
	return strings.ToLower(a) < strings.ToLower(b)
}

// VendorCount is the number of vendor rows (every row, any query).
func (r *Report) VendorCount() int {
	if r.rows != nil {
		return r.rows.vendorCount()
	}
	return len(r.Vendors)
}

// EachFinding calls fn with each finding q selects, in q's order.
func (r *Report) EachFinding(q FindingQuery, fn func(*Finding) error) error {
	if r.rows != nil {
		return stopped(r.rows.findings(q, fn))
	}
	idx := r.findingIndex(q)
	for _, i := range idx {
		if err := fn(&r.Findings[i]); err != nil {
			return stopped(err)
		}
	}
	return nil
}

// CountFindings is the number of findings q selects.
func (r *Report) CountFindings(q FindingQuery) (int, error) {
	if r.rows != nil {
		return r.rows.countFindings(q)
	}
	return len(r.findingIndex(FindingQuery{Domain: q.Domain, Code: q.Code, Open: q.Open, Accepted: q.Accepted})), nil
}

// FindingCount is the number of findings of the report.
func (r *Report) FindingCount() int {
	if r.rows != nil {
		n, err := r.rows.countFindings(FindingQuery{})
		if err != nil {
			return 0
		}
		return n
	}
	return len(r.Findings)
}

// match reports whether f is one of the findings q selects.
func (q FindingQuery) match(f *Finding) bool {
	switch {
	case q.Domain != "" && f.Domain != q.Domain,
		q.Code != "" && f.Code != q.Code,
		q.Open && (f.SeverityNum <= 0 || f.Accepted()),
		q.Accepted && !f.Accepted():
		return false
	}
	return true
}

// findingIndex lists the indices into r.Findings that q selects, in q's
// order, for a report whose findings are in memory.
func (r *Report) findingIndex(q FindingQuery) []int {
	idx := make([]int, 0, len(r.Findings))
	if cand, ok := r.findingCandidates(q); ok {
		for _, i := range cand {
			if q.match(&r.Findings[i]) {
				idx = append(idx, i)
			}
		}
	} else {
		for i := range r.Findings {
			if q.match(&r.Findings[i]) {
				idx = append(idx, i)
			}
		}
	}
	switch q.Order {
	case ByCode:
		first := map[string]int{} // code → its position in the model's order
		for _, i := range idx {
			if _, ok := first[r.Findings[i].Code]; !ok {
				first[r.Findings[i].Code] = len(first)
			}
		}
		sort.SliceStable(idx, func(a, b int) bool {
			return first[r.Findings[idx[a]].Code] < first[r.Findings[idx[b]].Code]
		})
	case ByDeadline:
		owner, tier := r.ownersAndTiers()
		sort.SliceStable(idx, func(i, j int) bool {
			return deadlineLess(&r.Findings[idx[i]], &r.Findings[idx[j]], owner, tier)
		})
	}
	return idx
}

// deadlineLess is the ByDeadline order of two findings, given each
// domain's owner and tier number (0 for none).
func deadlineLess(a, b *Finding, owner map[string]string, tier map[string]int) bool {
	if a.Overdue != b.Overdue {
		return a.Overdue
	}
	// Owners compare case-insensitively ("alice" is "Alice"): a strict
	// weak order, which the spool's index reproduces.
	if oa, ob := strings.ToLower(owner[a.Domain]), strings.ToLower(owner[b.Domain]); oa != ob {
		if oa == "" || ob == "" {
			return ob == ""
		}
		return oa < ob
	}
	if ta, tb := tier[a.Domain], tier[b.Domain]; ta != tb {
		if ta == 0 || tb == 0 {
			return tb == 0
		}
		return ta < tb
	}
	return a.SeverityNum > b.SeverityNum
}

// EachChange calls fn with each change since the base run, in the model's
// order (bad first, then by domain).
func (r *Report) EachChange(fn func(*Change) error) error {
	if r.rows != nil {
		return stopped(r.rows.changes(fn))
	}
	for i := range r.Changes {
		if err := fn(&r.Changes[i]); err != nil {
			return stopped(err)
		}
	}
	return nil
}

// ChangeCount is the number of changes since the base run.
func (r *Report) ChangeCount() int {
	if r.rows != nil {
		return r.rows.changeCount()
	}
	return len(r.Changes)
}

// EachVendorChange calls fn with each vendor's change in words, worst first.
func (r *Report) EachVendorChange(fn func(*VendorChange) error) error {
	if r.rows != nil {
		return stopped(r.rows.vendorChanges(fn))
	}
	for i := range r.VendorChanges {
		if err := fn(&r.VendorChanges[i]); err != nil {
			return stopped(err)
		}
	}
	return nil
}

// VendorChangeCount is the number of vendor changes in words.
func (r *Report) VendorChangeCount() int {
	if r.rows != nil {
		return r.rows.vendorChangeCount()
	}
	return len(r.VendorChanges)
}

// EachControl calls fn with the control matrix of each vendor row that
// has one (Programme.Controls), in the vendor list's order.
func (r *Report) EachControl(fn func(*VendorControls) error) error {
	if r.rows != nil {
		return stopped(r.rows.controls(fn))
	}
	if r.Programme == nil {
		return nil
	}
	for i := range r.Programme.Controls {
		if err := fn(&r.Programme.Controls[i]); err != nil {
			return stopped(err)
		}
	}
	return nil
}

// ControlCount is the number of vendor rows with a control matrix.
func (r *Report) ControlCount() int {
	if r.rows != nil {
		return r.rows.controlCount()
	}
	if r.Programme == nil {
		return 0
	}
	return len(r.Programme.Controls)
}

// LoadRows reads a built report's rows from its spool into its slices
// (Vendors, Findings, Changes, VendorChanges, Programme.Controls), for
// callers that want the whole report in memory: tests, programs that edit
// a report before rendering it, and renderers not yet walking the
// iterators. The spool is removed: the report is in memory only, as one
// read from JSON. It is a no-op for a report
// whose rows are in memory already.
func (r *Report) LoadRows() error {
	if r.rows == nil {
		return nil
	}
	vendors := make([]VendorRow, 0, r.rows.vendorCount())
	if err := r.rows.vendors(VendorQuery{}, func(v *VendorRow) error { vendors = append(vendors, *v); return nil }); err != nil {
		return err
	}
	findings := []Finding{}
	if err := r.rows.findings(FindingQuery{}, func(f *Finding) error { findings = append(findings, *f); return nil }); err != nil {
		return err
	}
	changes := make([]Change, 0, r.rows.changeCount())
	if err := r.rows.changes(func(c *Change) error { changes = append(changes, *c); return nil }); err != nil {
		return err
	}
	vcs := make([]VendorChange, 0, r.rows.vendorChangeCount())
	if err := r.rows.vendorChanges(func(c *VendorChange) error { vcs = append(vcs, *c); return nil }); err != nil {
		return err
	}
	controls := make([]VendorControls, 0, r.rows.controlCount())
	if err := r.rows.controls(func(c *VendorControls) error { controls = append(controls, *c); return nil }); err != nil {
		return err
	}
	r.Vendors, r.Findings, r.Changes, r.VendorChanges = vendors, findings, changes, vcs
	r.newMemIndex()
	if r.Programme != nil {
		r.Programme.Controls = controls
	}
	// The slices now serve the iterators: a caller's edits are seen by
	// every renderer. The spool stays while the domain views need it.
	rows := r.rows
	r.rows = nil
	if r.source == nil || r.source.release == nil {
		return rows.close()
	}
	return nil
}

// Close releases what a built report holds outside memory (its spool).
// The iterators must not be called after it. Closing a report read from
// JSON or made in memory does nothing.
func (r *Report) Close() error {
	var err error
	if r.rows != nil {
		err = r.rows.close()
		r.rows = nil
	}
	if r.source != nil && r.source.release != nil {
		if rerr := r.source.release(); err == nil {
			err = rerr
		}
		r.source.release = nil
	}
	return err
}

// stopped turns the ErrStop sentinel into a clean end of a walk.
func stopped(err error) error {
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}
