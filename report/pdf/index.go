package pdf

import (
	"cmp"
	"slices"

	"github.com/mxaudit/mxaudit/report"
)

// The PDF reads the report's rows through its iterators (report.EachVendor,
// report.EachFinding, report.EachVendorFindings) and never holds every
// vendor or finding: a report built from a 100,000-domain run serves them
// from its spool. What a section needs of one vendor (its findings) comes
// with that vendor in one ordered pass; what it needs over every vendor
// is counted as the rows stream past, in memory bounded by the kinds of
// finding, not by the list.

// findingGroup is one kind of finding (code, title and severity) counted
// over a set of vendors.
type findingGroup struct {
	code, title, severity string
	// rank is the severity's rank (0 info .. 4 critical).
	rank int
	// vendors counts the vendors with a finding of this kind; findings
	// counts the findings, each once however many of the vendors share it.
	vendors, findings int
	// lastVendor is the number of the last vendor counted, so that a
	// vendor with several findings of a kind counts once.
	lastVendor int
}

// groupKey identifies a kind of finding.
type groupKey struct{ code, title, severity string }

// kindTally counts findings by kind, one vendor at a time, in memory
// bounded by the kinds of finding: vendors are counted by the number of
// the vendor last counted, findings by their id only when several vendors
// share one (a domain listed by more than one vendor).
type kindTally struct {
	at      map[groupKey]int
	out     []findingGroup
	vendors int
	shared  map[string]bool
}

// add counts one vendor's findings (each once).
func (t *kindTally) add(fs []report.Finding) {
	if t.at == nil {
		t.at, t.shared = map[groupKey]int{}, map[string]bool{}
	}
	t.vendors++
	for _, f := range fs {
		k := groupKey{f.Code, f.Title, f.Severity}
		g, ok := t.at[k]
		if !ok {
			g = len(t.out)
			t.at[k] = g
			t.out = append(t.out, findingGroup{code: f.Code, title: f.Title, severity: f.Severity, rank: f.SeverityNum})
		}
		if t.out[g].lastVendor != t.vendors {
			t.out[g].lastVendor = t.vendors
			t.out[g].vendors++
		}
		if len(f.Vendors) > 1 {
			if t.shared[f.ID] {
				continue
			}
			t.shared[f.ID] = true
		}
		t.out[g].findings++
	}
}

// groups returns the kinds counted: most severe first, then by the number
// of vendors, then of findings (both most first), then by title and code,
// so the order never depends on map iteration.
func (t *kindTally) groups() []findingGroup {
	out := slices.Clone(t.out)
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

// groupFindings counts the findings of vendors (each vendor's findings,
// in the vendors' order) by kind, in the order of kindTally.groups.
func groupFindings(per [][]report.Finding) []findingGroup {
	var t kindTally
	for _, fs := range per {
		t.add(fs)
	}
	return t.groups()
}
