package report

import "testing"

// TestEachMXAddress checks the rows against the views they come from: one
// row per address, one for a host without an address, probe refs set,
// and ErrStop ending the walk cleanly.
func TestEachMXAddress(t *testing.T) {
	r := &Report{Domains: []DomainView{
		{Domain: "a.example", Vendors: []string{"A"}, MX: []MXView{
			{Host: "mx1.a.example", Preference: 10, Grade: "A", Addresses: []AddressView{
				{IP: "192.0.2.1", Grade: "A", ProbeRef: "r1", ProbeView: ProbeView{Ref: "r1", IP: "192.0.2.1"}},
				{IP: "192.0.2.2", Grade: "B", ProbeRef: "r2", ProbeView: ProbeView{Ref: "r2", IP: "192.0.2.2"}},
			}},
			{Host: "mx2.a.example", Preference: 20, Grade: "F"},
		}},
		{Domain: "b.example", Vendors: []string{"B"}},
	}}
	var got []string
	if err := r.EachMXAddress(func(m *MXAddress) error {
		s := m.Domain + " " + m.Host + " " + m.MXGrade
		if m.Address != nil {
			s += " " + m.Address.IP + " " + m.Address.ProbeRef
		}
		got = append(got, s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"a.example mx1.a.example A 192.0.2.1 r1", "a.example mx1.a.example A 192.0.2.2 r2", "a.example mx2.a.example F"}
	if len(got) != len(want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %q, want %q", i, got[i], want[i])
		}
	}
	n, err := r.MXAddressCount()
	if err != nil || n != len(want) {
		t.Errorf("MXAddressCount = %d, %v; want %d", n, err, len(want))
	}
	calls := 0
	if err := r.EachMXAddress(func(*MXAddress) error { calls++; return ErrStop }); err != nil || calls != 1 {
		t.Errorf("ErrStop: %d calls, err %v; want 1 call, nil", calls, err)
	}
}

// TestSuiteRowCount checks the count against the suites EachProbe yields.
func TestSuiteRowCount(t *testing.T) {
	suites := func(n int) []SuiteView { return make([]SuiteView, n) }
	r := &Report{Domains: []DomainView{
		{Domain: "a.example", MX: []MXView{{Host: "mx.a.example", Addresses: []AddressView{
			{IP: "192.0.2.1", ProbeRef: "r1", ProbeView: ProbeView{Versions: []VersionView{{Version: "TLS1.2", Suites: suites(3)}, {Version: "TLS1.3", Suites: suites(2)}}}},
		}}}},
		// The same probe named by a second domain counts once.
		{Domain: "b.example", MX: []MXView{{Host: "mx.a.example", Addresses: []AddressView{
			{IP: "192.0.2.1", ProbeRef: "r1", ProbeView: ProbeView{Versions: []VersionView{{Version: "TLS1.2", Suites: suites(3)}, {Version: "TLS1.3", Suites: suites(2)}}}},
			{IP: "192.0.2.2", ProbeRef: "r2", ProbeView: ProbeView{Versions: []VersionView{{Version: "TLS1.2", Suites: suites(4)}}}},
		}}}},
	}}
	want := 0
	if err := r.EachProbe(func(p *ProbeView) error {
		for _, v := range p.Versions {
			want += len(v.Suites)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want != 9 {
		t.Fatalf("fixture: EachProbe yields %d suites, want 9", want)
	}
	if n, err := r.SuiteRowCount(); err != nil || n != want {
		t.Errorf("SuiteRowCount = %d, %v; want %d", n, err, want)
	}
}
