package report

import (
	"errors"
	"reflect"
	"testing"
)

func streamFixture() *Report {
	return &Report{
		Vendors: []VendorRow{
			{Vendor: "Acme", Domain: "acme.example", Owner: "zed"},
			{Vendor: "Beta", Domain: "beta.example"},
			{Vendor: "Acme", Domain: "acme.example.net", Owner: "Alice", Tier: "2"},
			{Vendor: "Cora", Domain: "cora.example", Owner: "bob", Tier: "1"},
		},
		Findings: []Finding{
			{Domain: "acme.example", Code: "SSLV3", SeverityNum: 4},
			{Domain: "cora.example", Code: "TLS10", SeverityNum: 3},
			{Domain: "beta.example", Code: "SSLV3", SeverityNum: 3, Overdue: true},
			{Domain: "acme.example.net", Code: "TLS10", SeverityNum: 2, Status: "accepted"},
			{Domain: "cora.example", Code: "INFO", SeverityNum: 0},
		},
		Changes:       []Change{{Domain: "a"}, {Domain: "b"}},
		VendorChanges: []VendorChange{{}, {}, {}},
	}
}

func vendorKeys(t *testing.T, r *Report, q VendorQuery) []string {
	t.Helper()
	var out []string
	if err := r.EachVendor(q, func(v *VendorRow) error { out = append(out, v.Domain); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func findingKeys(t *testing.T, r *Report, q FindingQuery) []string {
	t.Helper()
	var out []string
	if err := r.EachFinding(q, func(f *Finding) error { out = append(out, f.Domain+"/"+f.Code); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEachVendorInMemory(t *testing.T) {
	r := streamFixture()
	for _, tc := range []struct {
		q    VendorQuery
		want []string
	}{
		{VendorQuery{}, []string{"acme.example", "beta.example", "acme.example.net", "cora.example"}},
		{VendorQuery{Order: ByOwner}, []string{"acme.example.net", "cora.example", "acme.example", "beta.example"}},
		{VendorQuery{Vendor: "Acme"}, []string{"acme.example", "acme.example.net"}},
		{VendorQuery{Domain: "cora.example"}, []string{"cora.example"}},
	} {
		if got := vendorKeys(t, r, tc.q); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("EachVendor(%+v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if r.VendorCount() != 4 {
		t.Errorf("VendorCount = %d", r.VendorCount())
	}
}

func TestEachFindingInMemory(t *testing.T) {
	r := streamFixture()
	for _, tc := range []struct {
		q    FindingQuery
		want []string
	}{
		{FindingQuery{}, []string{"acme.example/SSLV3", "cora.example/TLS10", "beta.example/SSLV3", "acme.example.net/TLS10", "cora.example/INFO"}},
		{FindingQuery{Order: ByCode}, []string{"acme.example/SSLV3", "beta.example/SSLV3", "cora.example/TLS10", "acme.example.net/TLS10", "cora.example/INFO"}},
		// Overdue first; then owner (Alice < bob < zed, none last).
		{FindingQuery{Order: ByDeadline, Open: true}, []string{"beta.example/SSLV3", "cora.example/TLS10", "acme.example/SSLV3"}},
		{FindingQuery{Accepted: true}, []string{"acme.example.net/TLS10"}},
		{FindingQuery{Domain: "cora.example"}, []string{"cora.example/TLS10", "cora.example/INFO"}},
		{FindingQuery{Code: "SSLV3", Open: true}, []string{"acme.example/SSLV3", "beta.example/SSLV3"}},
	} {
		if got := findingKeys(t, r, tc.q); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("EachFinding(%+v) = %v, want %v", tc.q, got, tc.want)
		}
		if n, err := r.CountFindings(tc.q); err != nil || n != len(tc.want) {
			t.Errorf("CountFindings(%+v) = %d, %v; want %d", tc.q, n, err, len(tc.want))
		}
	}
	if r.FindingCount() != 5 || r.ChangeCount() != 2 || r.VendorChangeCount() != 3 {
		t.Errorf("counts %d %d %d", r.FindingCount(), r.ChangeCount(), r.VendorChangeCount())
	}
}

func TestIteratorStopAndErrors(t *testing.T) {
	r := streamFixture()
	n := 0
	if err := r.EachVendor(VendorQuery{}, func(*VendorRow) error {
		if n++; n == 2 {
			return ErrStop
		}
		return nil
	}); err != nil || n != 2 {
		t.Errorf("Stop: err %v after %d rows, want nil after 2", err, n)
	}
	boom := errors.New("boom")
	if err := r.EachFinding(FindingQuery{}, func(*Finding) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("error not returned: %v", err)
	}
	if err := r.EachChange(func(*Change) error { return ErrStop }); err != nil {
		t.Errorf("EachChange Stop: %v", err)
	}
	if err := r.EachVendorChange(func(*VendorChange) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("EachVendorChange error: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close of an in-memory report: %v", err)
	}
}
