package report

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// TestMemIndexAgreesWithScan checks the domain and vendor queries of a
// report read back from JSON (indexed) against the same queries on a
// copy without the index (scanned), and that replacing the rows remakes
// the index.
func TestMemIndexAgreesWithScan(t *testing.T) {
	r := &Report{}
	for i := range 30 {
		d := fmt.Sprintf("d%02d.example", i%7)
		v := fmt.Sprintf("V%d", i%5)
		r.Vendors = append(r.Vendors, VendorRow{Vendor: v, Domain: d, Owner: fmt.Sprint(i % 3)})
		r.Findings = append(r.Findings, Finding{ID: fmt.Sprint(i), Domain: d, Vendors: []string{v}, Code: fmt.Sprint("C", i%4), SeverityNum: i % 4})
	}
	r.newMemIndex()
	scan := *r
	scan.mem = nil
	vendorIDs := func(r *Report, q VendorQuery) []string {
		var out []string
		if err := r.EachVendor(q, func(v *VendorRow) error { out = append(out, v.Vendor+"/"+v.Domain+"/"+v.Owner); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	findingIDs := func(r *Report, q FindingQuery) []string {
		var out []string
		if err := r.EachFinding(q, func(f *Finding) error { out = append(out, f.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(r, scan *Report) {
		t.Helper()
		for _, q := range []VendorQuery{{Domain: "d03.example"}, {Vendor: "V2"}, {Vendor: "V2", Order: ByOwner}, {Domain: "d01.example", Vendor: "V1"}, {Domain: "none.example"}, {}} {
			got, want := vendorIDs(r, q), vendorIDs(scan, q)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("EachVendor(%+v) = %q, want %q", q, got, want)
			}
		}
		for _, q := range []FindingQuery{{Domain: "d03.example"}, {Domain: "d03.example", Code: "C1"}, {Domain: "none.example"}, {Domain: "d02.example", Order: ByCode}} {
			got, want := findingIDs(r, q), findingIDs(scan, q)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("EachFinding(%+v) = %q, want %q", q, got, want)
			}
		}
	}
	check(r, &scan)
	if r.mem.vendors == nil || r.mem.findings == nil {
		t.Fatal("the queries did not use the index")
	}
	// Rows replaced: the index is remade for the new slices.
	r.Vendors = append([]VendorRow{{Vendor: "V9", Domain: "d03.example"}}, r.Vendors...)
	r.Findings = append([]Finding{{ID: "new", Domain: "d03.example"}}, r.Findings...)
	scan.Vendors, scan.Findings = r.Vendors, r.Findings
	check(r, &scan)
	if got := vendorIDs(r, VendorQuery{Domain: "d03.example"}); len(got) == 0 || got[0] != "V9/d03.example/" {
		t.Errorf("replaced rows not seen: %q", got)
	}
}

// TestReadJSONIndexed checks that a report read back from JSON has the
// index and answers a domain query from it.
func TestReadJSONIndexed(t *testing.T) {
	r := &Report{SchemaVersion: SchemaVersion, Vendors: []VendorRow{{Vendor: "A", Domain: "a.example"}, {Vendor: "B", Domain: "b.example"}}}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := back.EachVendor(VendorQuery{Domain: "b.example"}, func(v *VendorRow) error { got = append(got, v.Vendor); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []string{"B"}) || back.mem == nil || back.mem.vendors == nil {
		t.Errorf("got %q, index %v", got, back.mem)
	}
}
