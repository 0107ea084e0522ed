package pdf

import (
	"cmp"
	"slices"

	"github.com/mxaudit/mxaudit/report"
)

// vendorIndex holds each vendor's findings and vendor-table rows, found in
// one pass over the model, so that no part of a document scans the whole
// model once per vendor (at 10,000 vendors that is hundreds of millions of
// comparisons).
type vendorIndex struct {
	// order lists each vendor of the vendor table once, in its risk order.
	order []string
	// findings holds, per vendor, indices into Report.Findings in the
	// model's order (most severe first).
	findings map[string][]int
	// rows holds, per vendor, indices into Report.Vendors in the table's
	// order.
	rows map[string][]int
	// waived holds, per domain, indices into Report.Findings of the
	// findings a DANE-EE record waives for the grade.
	waived map[string][]int
	// byDomain holds, per domain, indices into Report.Vendors of the
	// vendor-list rows that name it.
	byDomain map[string][]int
}

// indexVendors builds the vendor index of r.
func indexVendors(r *report.Report) *vendorIndex {
	x := &vendorIndex{findings: map[string][]int{}, rows: map[string][]int{}, waived: map[string][]int{},
		byDomain: map[string][]int{}}
	for i, v := range r.Vendors {
		x.byDomain[v.Domain] = append(x.byDomain[v.Domain], i)
		if _, seen := x.rows[v.Vendor]; !seen {
			x.order = append(x.order, v.Vendor)
		}
		x.rows[v.Vendor] = append(x.rows[v.Vendor], i)
	}
	for i, f := range r.Findings {
		if f.Waived != "" {
			x.waived[f.Domain] = append(x.waived[f.Domain], i)
		}
		for _, v := range f.Vendors {
			fs := x.findings[v]
			// A vendor named twice on one finding still has it once.
			if len(fs) > 0 && fs[len(fs)-1] == i {
				continue
			}
			x.findings[v] = append(fs, i)
		}
	}
	return x
}

// findingsOf returns the vendor's findings, most severe first (the model's order).
func (x *vendorIndex) findingsOf(r *report.Report, vendor string) []report.Finding {
	idx := x.findings[vendor]
	out := make([]report.Finding, 0, len(idx))
	for _, i := range idx {
		out = append(out, r.Findings[i])
	}
	return out
}

// domainsOf returns the domains of the vendor's vendor-table rows, in the
// table's order.
func (x *vendorIndex) domainsOf(r *report.Report, vendor string) []string {
	idx := x.rows[vendor]
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		out = append(out, r.Vendors[i].Domain)
	}
	return out
}

// findingGroup is one kind of finding (code, title and severity) counted
// over a set of vendors.
type findingGroup struct {
	code, title, severity string
	// rank is the severity's rank (0 info .. 4 critical).
	rank int
	// vendors counts the vendors with a finding of this kind; findings
	// counts the findings, each once however many of the vendors share it.
	vendors, findings int
	// lastVendor is 1 + the position of the last vendor counted, so that a
	// vendor with several findings of a kind counts once.
	lastVendor int
}

// groupKey identifies a kind of finding.
type groupKey struct{ code, title, severity string }

// groupFindings counts the findings of vendors by kind: most severe first,
// then by the number of vendors, then of findings (both most first), then
// by title and code, so the order never depends on map iteration.
func groupFindings(r *report.Report, x *vendorIndex, vendors []string) []findingGroup {
	at := map[groupKey]int{}
	counted := map[int]bool{}
	var out []findingGroup
	for n, v := range vendors {
		for _, i := range x.findings[v] {
			f := r.Findings[i]
			k := groupKey{f.Code, f.Title, f.Severity}
			g, ok := at[k]
			if !ok {
				g = len(out)
				at[k] = g
				out = append(out, findingGroup{code: f.Code, title: f.Title, severity: f.Severity, rank: f.SeverityNum})
			}
			if out[g].lastVendor != n+1 {
				out[g].lastVendor = n + 1
				out[g].vendors++
			}
			if !counted[i] {
				counted[i] = true
				out[g].findings++
			}
		}
	}
	slices.SortFunc(out, func(a, b findingGroup) int {
		return cmp.Or(
			cmp.Compare(b.rank, a.rank),
			cmp.Compare(b.vendors, a.vendors),
			cmp.Compare(b.findings, a.findings),
			cmp.Compare(a.title, b.title),
			cmp.Compare(a.code, b.code),
			cmp.Compare(a.severity, b.severity),
		)
	})
	return out
}
