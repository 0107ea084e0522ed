package report

import (
	"reflect"
	"testing"
)

// TestVendorFindingsInMemory checks the order and content of
// EachVendorFindings over rows in memory: vendors at their first row, a
// domain listed twice read once, a finding shared by two vendors given to
// both, a finding of another vendor on a shared domain left out.
func TestVendorFindingsInMemory(t *testing.T) {
	r := &Report{
		Vendors: []VendorRow{
			{Vendor: "B", Domain: "b1.example"}, {Vendor: "A", Domain: "shared.example"}, {Vendor: "B", Domain: "b2.example"},
			{Vendor: "B", Domain: "shared.example"}, {Vendor: "B", Domain: "b1.example"}, {Vendor: "C", Domain: "c.example"},
		},
		Findings: []Finding{
			{ID: "1", Vendors: []string{"A", "B"}, Domain: "shared.example", SeverityNum: 1},
			{ID: "2", Vendors: []string{"B"}, Domain: "b1.example", SeverityNum: 2},
			{ID: "3", Vendors: []string{"B"}, Domain: "b2.example", SeverityNum: 2},
			{ID: "4", Vendors: []string{"A"}, Domain: "shared.example", SeverityNum: 3},
			{ID: "5", Vendors: []string{"Ghost"}, Domain: "ghost.example"},
		},
	}
	var got [][]string
	err := r.EachVendorFindings(func(v string, fs []Finding) error {
		row := []string{v}
		for _, f := range fs {
			row = append(row, f.ID)
		}
		got = append(got, row)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"B", "2", "3", "1"}, {"A", "4", "1"}, {"C"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	calls := 0
	if err := r.EachVendorFindings(func(string, []Finding) error { calls++; return ErrStop }); err != nil || calls != 1 {
		t.Errorf("ErrStop: %d calls, err %v", calls, err)
	}
}
