package resolve

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/resolve/dnstest"
)

// manyZone publishes 40 MX hosts for many.test, each with one address,
// and 40 addresses for the first of them.
func manyZone(hosts, addrs int) string {
	var b strings.Builder
	b.WriteString("$ORIGIN test.\n$TTL 300\ntest. IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60\n")
	for i := range hosts {
		fmt.Fprintf(&b, "many IN MX %d mx%02d.many.test.\n", 10+i, i)
		fmt.Fprintf(&b, "mx%02d.many IN A 192.0.2.%d\n", i, 100+i)
	}
	for i := range addrs {
		fmt.Fprintf(&b, "mx00.many IN AAAA 2001:db8::%x\n", i+1)
	}
	return b.String()
}

// TestDomainCaps: a domain with 40 MX hosts is cut to the first 20 by
// preference without a query for the others, which are listed as omitted;
// a host with more than 16 addresses keeps 16 and lists the rest.
func TestDomainCaps(t *testing.T) {
	const hosts, extraAddrs = 40, 40
	s, err := dnstest.StartZone("127.0.0.1:0", manyZone(hosts, extraAddrs))
	if err != nil {
		t.Fatalf("StartZone: %v", err)
	}
	defer s.Close()
	r := newResolver(t, Config{Servers: []string{s.Addr()}})
	before := s.Queries()
	mx, hs := r.Domain(context.Background(), "many.test")
	queries := s.Queries() - before

	if len(hs) != DefaultMaxHosts || len(mx.Omitted) != hosts-DefaultMaxHosts || len(mx.Records) != hosts {
		t.Fatalf("%d hosts, %d omitted, %d records; want %d, %d, %d", len(hs), len(mx.Omitted), len(mx.Records),
			DefaultMaxHosts, hosts-DefaultMaxHosts, hosts)
	}
	for i, h := range hs {
		if want := fmt.Sprintf("mx%02d.many.test", i); h.Name != want {
			t.Errorf("host %d = %s, want %s (by preference)", i, h.Name, want)
		}
	}
	if first := mx.Omitted[0]; first.Host != "mx20.many.test" || first.Preference != 30 {
		t.Errorf("first omitted %+v, want 30 mx20.many.test", first)
	}
	// One MX question, then A and AAAA for each of the 20 hosts kept.
	if want := 1 + 2*DefaultMaxHosts; queries != want {
		t.Errorf("%d queries, want %d: the omitted hosts must cost nothing", queries, want)
	}
	h := hs[0]
	if len(h.Addresses) != DefaultMaxAddresses || len(h.OmittedAddresses) != 1+extraAddrs-DefaultMaxAddresses {
		t.Fatalf("mx00: %d addresses, %d omitted; want %d, %d", len(h.Addresses), len(h.OmittedAddresses),
			DefaultMaxAddresses, 1+extraAddrs-DefaultMaxAddresses)
	}
	if h.Addresses[0].IP != "192.0.2.100" || h.OmittedAddresses[0] != "2001:db8::10" {
		t.Errorf("kept %s first, omitted %s first; want A before AAAA, in order", h.Addresses[0].IP, h.OmittedAddresses[0])
	}

	small := newResolver(t, Config{Servers: []string{s.Addr()}, MaxHosts: 3, MaxAddresses: 2})
	mx, hs = small.Domain(context.Background(), "many.test")
	if len(hs) != 3 || len(mx.Omitted) != hosts-3 || len(hs[0].Addresses) != 2 {
		t.Errorf("configured caps: %d hosts, %d omitted, %d addresses", len(hs), len(mx.Omitted), len(hs[0].Addresses))
	}
}
