package pdf

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/report"
)

// vendorOrder lists each vendor once, in the risk order of the vendor
// table: the plain reading of the model that the index must agree with.
func vendorOrder(r *report.Report) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range r.Vendors {
		if !seen[v.Vendor] {
			seen[v.Vendor] = true
			out = append(out, v.Vendor)
		}
	}
	return out
}

// findingsOf returns the vendor's findings in the model's order, by a scan
// of every finding: the reference for vendorIndex.findingsOf.
func findingsOf(r *report.Report, vendor string) []report.Finding {
	var out []report.Finding
	for _, f := range r.Findings {
		for _, v := range f.Vendors {
			if v == vendor {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// domainsOf returns the domains of the vendor's rows by a scan of the table.
func domainsOf(r *report.Report, vendor string) []string {
	out := []string{}
	for _, v := range r.Vendors {
		if v.Vendor == vendor {
			out = append(out, v.Domain)
		}
	}
	return out
}

// indexScaledDomains is the size of the scaled report the index is
// checked against the plain scans on.
const indexScaledDomains = 200

func TestVendorIndexAgreesWithScans(t *testing.T) {
	tests := []struct {
		name string
		r    *report.Report
	}{
		{"first run", fx.first},
		{"second run", fx.second},
		{"scaled", scaled(fx.second, indexScaledDomains)},
		{"empty", emptyReport()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := indexVendors(tc.r)
			if want := vendorOrder(tc.r); !reflect.DeepEqual(x.order, want) {
				t.Fatalf("order = %q, want %q", x.order, want)
			}
			total := 0
			for _, v := range x.order {
				got, want := x.findingsOf(tc.r, v), findingsOf(tc.r, v)
				if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
					t.Errorf("%s: %d findings, want %d in the model's order", v, len(got), len(want))
				}
				if got, want := x.domainsOf(tc.r, v), domainsOf(tc.r, v); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: domains %q, want %q", v, got, want)
				}
				total += len(got)
			}
			if len(tc.r.Findings) > 0 && total == 0 {
				t.Fatal("no vendor has a finding")
			}
		})
	}
}

func TestVendorIndexEdgeCases(t *testing.T) {
	r := &report.Report{
		Vendors: []report.VendorRow{
			{Vendor: "B", Domain: "b1.example"}, {Vendor: "A", Domain: "a.example"}, {Vendor: "B", Domain: "b2.example"},
		},
		Findings: []report.Finding{
			{Vendors: []string{"A", "B"}, Domain: "shared.example", Code: "X"},
			{Vendors: []string{"B", "B"}, Domain: "b1.example", Code: "Y"},
			{Vendors: []string{"Ghost"}, Domain: "ghost.example", Code: "Z"},
		},
	}
	x := indexVendors(r)
	tests := []struct {
		vendor   string
		findings []int
		rows     []int
	}{
		{"A", []int{0}, []int{1}},
		{"B", []int{0, 1}, []int{0, 2}},
		{"Ghost", []int{2}, nil},
		{"Nobody", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.vendor, func(t *testing.T) {
			if got := x.findings[tc.vendor]; !reflect.DeepEqual(got, tc.findings) {
				t.Errorf("findings = %v, want %v", got, tc.findings)
			}
			if got := x.rows[tc.vendor]; !reflect.DeepEqual(got, tc.rows) {
				t.Errorf("rows = %v, want %v", got, tc.rows)
			}
		})
	}
	if want := []string{"B", "A"}; !reflect.DeepEqual(x.order, want) {
		t.Errorf("order = %q, want %q (vendors of the table only, in its order)", x.order, want)
	}
}

// groupRow is a findingGroup as a comparable line.
func groupRow(g findingGroup) string {
	return fmt.Sprintf("%s|%s|%s|%d|%d", g.title, g.code, g.severity, g.vendors, g.findings)
}

func TestGroupFindings(t *testing.T) {
	f := func(code, sev string, rank int, vendors ...string) report.Finding {
		return report.Finding{Code: code, Title: "T " + code, Severity: sev, SeverityNum: rank, Vendors: vendors}
	}
	r := &report.Report{
		Vendors: []report.VendorRow{{Vendor: "A"}, {Vendor: "B"}, {Vendor: "C"}, {Vendor: "D"}},
		Findings: []report.Finding{
			f("HIGH1", "high", 3, "A"),
			f("HIGH2", "high", 3, "B"),
			f("HIGH2", "high", 3, "C"),
			f("MED", "medium", 2, "A"),
			f("MED", "medium", 2, "A"),     // a second MX of A: two findings, one vendor
			f("INFO", "info", 0, "A", "B"), // a shared domain: one finding, two vendors
			f("INFO", "info", 0, "C"),
			f("INFO", "info", 0, "D"),
		},
	}
	x := indexVendors(r)
	tests := []struct {
		name    string
		vendors []string
		want    []string
	}{
		{"all", []string{"A", "B", "C", "D"}, []string{
			"T HIGH2|HIGH2|high|2|2", "T HIGH1|HIGH1|high|1|1", "T MED|MED|medium|1|2", "T INFO|INFO|info|4|3",
		}},
		{"some", []string{"B", "C"}, []string{
			"T HIGH2|HIGH2|high|2|2", "T INFO|INFO|info|2|2",
		}},
		{"one with repeats", []string{"A"}, []string{
			"T HIGH1|HIGH1|high|1|1", "T MED|MED|medium|1|2", "T INFO|INFO|info|1|1",
		}},
		{"none", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, g := range groupFindings(r, x, tc.vendors) {
				got = append(got, groupRow(g))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
