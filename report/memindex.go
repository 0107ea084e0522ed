package report

import "sync"

// memIndex indexes the rows a report holds in memory (one read back from
// JSON, or loaded with LoadRows) by domain and by vendor, so that asking
// for one domain's or one vendor's rows, as the letters, the PDF's
// appendix and the tracker do once per domain, does not scan every row:
// without it those walks are quadratic in the list.
//
// The index is made on the first query that needs it and remade when
// the slice it was made from is replaced (a copy of the report given
// other rows shares the index holder, not the index). Rows edited in
// place (a row's domain or vendor changed) after a query are not seen:
// a caller that edits a report edits it before rendering it.
type memIndex struct {
	mu       sync.Mutex
	vendors  *vendorIdx
	findings *findingIdx
}

// vendorIdx holds the positions of the vendor rows of each domain and of
// each vendor, in the table's order, for the slice starting at first.
type vendorIdx struct {
	first    *VendorRow
	n        int
	byDomain map[string][]int
	byVendor map[string][]int
}

// findingIdx holds the positions of each domain's findings, in the
// model's order, for the slice starting at first.
type findingIdx struct {
	first    *Finding
	n        int
	byDomain map[string][]int
}

// newMemIndex gives r an index holder (its rows are in memory from now on).
func (r *Report) newMemIndex() { r.mem = &memIndex{} }

// vendorCandidates returns the positions in r.Vendors of the rows q's
// domain or vendor filter can select, in order; ok is false when r has
// no index or q filters on neither (then every row is a candidate).
func (r *Report) vendorCandidates(q VendorQuery) (idx []int, ok bool) {
	if r.mem == nil || (q.Domain == "" && q.Vendor == "") || len(r.Vendors) == 0 {
		return nil, false
	}
	m := r.mem
	m.mu.Lock()
	x := m.vendors
	if x == nil || x.first != &r.Vendors[0] || x.n != len(r.Vendors) {
		x = &vendorIdx{first: &r.Vendors[0], n: len(r.Vendors), byDomain: map[string][]int{}, byVendor: map[string][]int{}}
		for i := range r.Vendors {
			v := &r.Vendors[i]
			x.byDomain[v.Domain] = append(x.byDomain[v.Domain], i)
			x.byVendor[v.Vendor] = append(x.byVendor[v.Vendor], i)
		}
		m.vendors = x
	}
	m.mu.Unlock()
	if q.Domain != "" {
		return x.byDomain[q.Domain], true
	}
	return x.byVendor[q.Vendor], true
}

// findingCandidates returns the positions in r.Findings of the findings
// on q's domain, in the model's order; ok is false when r has no index or
// q names no domain.
func (r *Report) findingCandidates(q FindingQuery) (idx []int, ok bool) {
	if r.mem == nil || q.Domain == "" || len(r.Findings) == 0 {
		return nil, false
	}
	m := r.mem
	m.mu.Lock()
	x := m.findings
	if x == nil || x.first != &r.Findings[0] || x.n != len(r.Findings) {
		x = &findingIdx{first: &r.Findings[0], n: len(r.Findings), byDomain: map[string][]int{}}
		for i := range r.Findings {
			d := r.Findings[i].Domain
			x.byDomain[d] = append(x.byDomain[d], i)
		}
		m.findings = x
	}
	m.mu.Unlock()
	return x.byDomain[q.Domain], true
}
