package pdf

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
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

// The two functions below read a vendor's domains and findings by query,
// vendor after vendor, as the remediation section did before
// report.EachVendorFindings: the reference it is checked against.

// eachVendor calls fn once per vendor of the vendor table, in its risk
// order (the order of each vendor's first row), with the vendor's rows'
// domains in the table's order. A vendor is recognised at its first row
// by asking for its rows, so nothing remembers the vendors already seen.
func eachVendor(r *report.Report, fn func(vendor string, domains []string) error) error {
	return r.EachVendor(report.VendorQuery{}, func(v *report.VendorRow) error {
		var domains []string
		first := true
		err := r.EachVendor(report.VendorQuery{Vendor: v.Vendor}, func(o *report.VendorRow) error {
			if len(domains) == 0 && (o.Domain != v.Domain || o.Input != v.Input) {
				first = false
				return report.ErrStop
			}
			domains = append(domains, o.Domain)
			return nil
		})
		if err != nil || !first {
			return err
		}
		return fn(v.Vendor, domains)
	})
}

// vendorFindings returns the findings of a vendor (those naming it, on the
// domains of its rows), each once, in the model's order: most severe
// first, then by domain.
func vendorFindings(r *report.Report, vendor string, domains []string) ([]report.Finding, error) {
	var out []report.Finding
	for i, dom := range domains {
		if slices.Contains(domains[:i], dom) {
			continue
		}
		err := r.EachFinding(report.FindingQuery{Domain: dom}, func(f *report.Finding) error {
			if slices.Contains(f.Vendors, vendor) {
				out = append(out, *f)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(out, func(a, b report.Finding) int {
		return cmp.Or(cmp.Compare(b.SeverityNum, a.SeverityNum), cmp.Compare(a.Domain, b.Domain))
	})
	return out, nil
}

// indexScaledDomains is the size of the scaled report the index is
// checked against the plain scans on.
const indexScaledDomains = 200

func TestEachVendorAgreesWithScans(t *testing.T) {
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
			var order []string
			total := 0
			err := eachVendor(tc.r, func(v string, domains []string) error {
				order = append(order, v)
				if want := domainsOf(tc.r, v); !reflect.DeepEqual(domains, want) {
					t.Errorf("%s: domains %q, want %q", v, domains, want)
				}
				got, err := vendorFindings(tc.r, v, domains)
				if err != nil {
					return err
				}
				if want := findingsOf(tc.r, v); len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
					t.Errorf("%s: %d findings, want %d in the model's order", v, len(got), len(want))
				}
				total += len(got)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := vendorOrder(tc.r); !reflect.DeepEqual(order, want) {
				t.Fatalf("order = %q, want %q", order, want)
			}
			if len(tc.r.Findings) > 0 && total == 0 {
				t.Fatal("no vendor has a finding")
			}
		})
	}
}

func TestEachVendorEdgeCases(t *testing.T) {
	r := &report.Report{
		Vendors: []report.VendorRow{
			{Vendor: "B", Domain: "b1.example"}, {Vendor: "A", Domain: "shared.example"}, {Vendor: "B", Domain: "b2.example"},
			{Vendor: "B", Domain: "shared.example"},
		},
		Findings: []report.Finding{
			{ID: "1", Vendors: []string{"A", "B"}, Domain: "shared.example", Code: "X", SeverityNum: 1},
			{ID: "2", Vendors: []string{"B"}, Domain: "b1.example", Code: "Y", SeverityNum: 2},
			{ID: "3", Vendors: []string{"Ghost"}, Domain: "ghost.example", Code: "Z"},
		},
	}
	tests := []struct {
		vendor   string
		findings []string
		domains  []string
	}{
		{"B", []string{"Y", "X"}, []string{"b1.example", "b2.example", "shared.example"}},
		{"A", []string{"X"}, []string{"shared.example"}},
	}
	var got []string
	err := eachVendor(r, func(v string, domains []string) error {
		got = append(got, v)
		i := len(got) - 1
		if i >= len(tests) {
			t.Fatalf("vendor %q named after the table's vendors", v)
		}
		tc := tests[i]
		if v != tc.vendor || !reflect.DeepEqual(domains, tc.domains) {
			t.Errorf("vendor %d: %q %q, want %q %q", i, v, domains, tc.vendor, tc.domains)
		}
		fs, err := vendorFindings(r, v, domains)
		if err != nil {
			return err
		}
		var codes []string
		for _, f := range fs {
			codes = append(codes, f.Code)
		}
		if !reflect.DeepEqual(codes, tc.findings) {
			t.Errorf("%s: findings %q, want %q (each once, most severe first)", v, codes, tc.findings)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(tests) {
		t.Errorf("vendors %q, want each vendor of the table once, in its order", got)
	}
}

// groupRow is a findingGroup as a comparable line.
func groupRow(g findingGroup) string {
	return fmt.Sprintf("%s|%s|%s|%d|%d", g.title, g.code, g.severity, g.vendors, g.findings)
}

func TestGroupFindings(t *testing.T) {
	f := func(id, code, sev string, rank int, vendors ...string) report.Finding {
		return report.Finding{ID: id, Code: code, Title: "T " + code, Severity: sev, SeverityNum: rank, Vendors: vendors}
	}
	findings := []report.Finding{
		f("1", "HIGH1", "high", 3, "A"),
		f("2", "HIGH2", "high", 3, "B"),
		f("3", "HIGH2", "high", 3, "C"),
		f("4", "MED", "medium", 2, "A"),
		f("5", "MED", "medium", 2, "A"),     // a second MX of A: two findings, one vendor
		f("6", "INFO", "info", 0, "A", "B"), // a shared domain: one finding, two vendors
		f("7", "INFO", "info", 0, "C"),
		f("8", "INFO", "info", 0, "D"),
	}
	// per gives each vendor's findings, as vendorFindings reads them.
	per := func(vendors []string) [][]report.Finding {
		var out [][]report.Finding
		for _, v := range vendors {
			var fs []report.Finding
			for _, f := range findings {
				if slices.Contains(f.Vendors, v) {
					fs = append(fs, f)
				}
			}
			out = append(out, fs)
		}
		return out
	}
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
			for _, g := range groupFindings(per(tc.vendors)) {
				got = append(got, groupRow(g))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("groups:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestEachVendorFindings checks report.EachVendorFindings against the
// vendor-by-vendor queries: the same vendors in the same order, each with
// the same findings in the same order, on reports in memory and on a
// report whose rows are read from the builder's spool.
func TestEachVendorFindings(t *testing.T) {
	tests := []struct {
		name string
		r    *report.Report
	}{
		{"first run", fx.first},
		{"second run", fx.second},
		{"spooled", fx.spooled},
		{"scaled", scaled(fx.second, indexScaledDomains)},
		{"empty", emptyReport()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			type vendorIDs struct {
				vendor string
				ids    []string
			}
			var want, got []vendorIDs
			withFindings := 0
			err := eachVendor(tc.r, func(v string, domains []string) error {
				fs, err := vendorFindings(tc.r, v, domains)
				vf := vendorIDs{vendor: v}
				for _, f := range fs {
					vf.ids = append(vf.ids, f.ID+" "+f.Code)
				}
				if len(fs) > 0 {
					withFindings++
				}
				want = append(want, vf)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			err = tc.r.EachVendorFindings(func(v string, fs []report.Finding) error {
				vf := vendorIDs{vendor: v}
				for _, f := range fs {
					vf.ids = append(vf.ids, f.ID+" "+f.Code)
				}
				got = append(got, vf)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("vendor findings:\n got %v\nwant %v", got, want)
			}
			if tc.name != "empty" && withFindings == 0 {
				t.Error("no vendor has a finding: the comparison proves little")
			}
		})
	}
}
