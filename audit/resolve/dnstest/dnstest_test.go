package dnstest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const testZone = `
$ORIGIN example.test.
$TTL 300
@          IN SOA ns hostmaster 1 3600 600 86400 60
@          IN MX  10 mx
mx         IN A   192.0.2.1
mx         IN AAAA 2001:db8::1
mx         IN RRSIG A 13 3 300 20300101000000 20200101000000 12345 example.test. AAAA
alias      IN CNAME mx
outside    IN CNAME mail.elsewhere.invalid.
dangling   IN CNAME nothing
loop1      IN CNAME loop2
loop2      IN CNAME loop1
a.b.deep   IN TXT "deep"
`

// clientTimeout bounds every test query; loopback answers come at once.
const clientTimeout = 2 * time.Second

func start(t *testing.T) *Server {
	t.Helper()
	s, err := StartZone("127.0.0.1:0", testZone)
	if err != nil {
		t.Fatalf("StartZone: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func ask(t *testing.T, s *Server, network, name string, qtype uint16, do bool) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if do {
		m.SetEdns0(dns.DefaultMsgSize, true)
	}
	c := &dns.Client{Net: network, Timeout: clientTimeout}
	r, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, name, dns.TypeToString[qtype], err)
	}
	return r
}

// summary is the part of a reply the tests compare: rcode, flags and the
// owner/type of every answer and authority record.
type summary struct {
	rcode     string
	aa, tc    bool
	answer    string
	authority string
}

func summarise(m *dns.Msg) summary {
	list := func(rrs []dns.RR) string {
		var parts []string
		for _, rr := range rrs {
			parts = append(parts, strings.ToLower(rr.Header().Name)+"/"+dns.TypeToString[rr.Header().Rrtype])
		}
		return strings.Join(parts, " ")
	}
	return summary{
		rcode: dns.RcodeToString[m.Rcode], aa: m.Authoritative, tc: m.Truncated,
		answer: list(m.Answer), authority: list(m.Ns),
	}
}

func TestAnswers(t *testing.T) {
	s := start(t)
	tests := []struct {
		name  string
		qname string
		qtype uint16
		do    bool
		want  summary
	}{
		{"records", "mx.example.test.", dns.TypeA, false,
			summary{rcode: "NOERROR", aa: true, answer: "mx.example.test./A"}},
		{"case insensitive", "MX.Example.TEST.", dns.TypeAAAA, false,
			summary{rcode: "NOERROR", aa: true, answer: "mx.example.test./AAAA"}},
		{"rrsig with do", "mx.example.test.", dns.TypeA, true,
			summary{rcode: "NOERROR", aa: true, answer: "mx.example.test./A mx.example.test./RRSIG"}},
		{"rrsig only for covered type", "mx.example.test.", dns.TypeAAAA, true,
			summary{rcode: "NOERROR", aa: true, answer: "mx.example.test./AAAA"}},
		{"nodata", "mx.example.test.", dns.TypeMX, false,
			summary{rcode: "NOERROR", aa: true, authority: "example.test./SOA"}},
		{"nxdomain", "nope.example.test.", dns.TypeA, false,
			summary{rcode: "NXDOMAIN", aa: true, authority: "example.test./SOA"}},
		{"empty non-terminal", "b.deep.example.test.", dns.TypeA, false,
			summary{rcode: "NOERROR", aa: true, authority: "example.test./SOA"}},
		{"below a leaf", "x.mx.example.test.", dns.TypeA, false,
			summary{rcode: "NXDOMAIN", aa: true, authority: "example.test./SOA"}},
		{"cname chased", "alias.example.test.", dns.TypeA, false,
			summary{rcode: "NOERROR", aa: true, answer: "alias.example.test./CNAME mx.example.test./A"}},
		{"cname asked", "alias.example.test.", dns.TypeCNAME, false,
			summary{rcode: "NOERROR", aa: true, answer: "alias.example.test./CNAME"}},
		{"cname leaves data", "outside.example.test.", dns.TypeA, false,
			summary{rcode: "NOERROR", aa: true, answer: "outside.example.test./CNAME"}},
		{"cname to missing in-zone name", "dangling.example.test.", dns.TypeA, false,
			summary{rcode: "NXDOMAIN", aa: true, answer: "dangling.example.test./CNAME", authority: "example.test./SOA"}},
		{"cname to nodata", "alias.example.test.", dns.TypeMX, false,
			summary{rcode: "NOERROR", aa: true, answer: "alias.example.test./CNAME", authority: "example.test./SOA"}},
		{"cname loop bounded", "loop1.example.test.", dns.TypeA, false,
			summary{rcode: "NOERROR", aa: true, answer: "loop1.example.test./CNAME loop2.example.test./CNAME"}},
		{"rrsig asked", "mx.example.test.", dns.TypeRRSIG, false,
			summary{rcode: "NOERROR", aa: true, answer: "mx.example.test./RRSIG"}},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, tc := range tests {
			t.Run(network+"/"+tc.name, func(t *testing.T) {
				got := summarise(ask(t, s, network, tc.qname, tc.qtype, tc.do))
				if got != tc.want {
					t.Errorf("got %+v\nwant %+v", got, tc.want)
				}
			})
		}
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name    string
		inject  func(s *Server, name string)
		network string
		want    summary
	}{
		{"servfail udp", (*Server).ServFail, "udp", summary{rcode: "SERVFAIL"}},
		{"servfail tcp", (*Server).ServFail, "tcp", summary{rcode: "SERVFAIL"}},
		{"truncate udp", (*Server).Truncate, "udp", summary{rcode: "NOERROR", aa: true, tc: true}},
		{"truncate tcp is whole", (*Server).Truncate, "tcp", summary{rcode: "NOERROR", aa: true, answer: "example.test./MX"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			tc.inject(s, "Example.Test")
			got := summarise(ask(t, s, tc.network, "example.test.", dns.TypeMX, false))
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
			// Other names are not affected.
			other := summarise(ask(t, s, tc.network, "mx.example.test.", dns.TypeA, false))
			if other.rcode != "NOERROR" || other.answer != "mx.example.test./A" {
				t.Errorf("other name: got %+v", other)
			}
			s.ClearFaults()
			after := summarise(ask(t, s, tc.network, "example.test.", dns.TypeMX, false))
			if after.answer != "example.test./MX" {
				t.Errorf("after ClearFaults: got %+v", after)
			}
		})
	}
}

func TestDrop(t *testing.T) {
	const dropTimeout = 200 * time.Millisecond
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			s := start(t)
			s.Drop("example.test.")
			m := new(dns.Msg)
			m.SetQuestion("example.test.", dns.TypeMX)
			c := &dns.Client{Net: network, Timeout: dropTimeout}
			r, _, err := c.Exchange(m, s.Addr())
			if err == nil {
				t.Fatalf("got reply %v, want a timeout", r)
			}
			if ne, ok := err.(interface{ Timeout() bool }); !ok || !ne.Timeout() {
				t.Errorf("got error %v, want a timeout", err)
			}
			if got := s.Queries(); got != 1 {
				t.Errorf("Queries() = %d, want 1", got)
			}
		})
	}
}

func TestNaturalTruncation(t *testing.T) {
	var b strings.Builder
	const records = 40
	for i := range records {
		b.WriteString("big.test. 300 IN TXT \"" + strings.Repeat("x", 60) + string(rune('a'+i%26)) + "\"\n")
	}
	s, err := StartZone("127.0.0.1:0", b.String())
	if err != nil {
		t.Fatalf("StartZone: %v", err)
	}
	defer s.Close()
	udp := ask(t, s, "udp", "big.test.", dns.TypeTXT, false)
	if !udp.Truncated || len(udp.Answer) == records {
		t.Errorf("udp: truncated=%v answers=%d, want truncated and fewer than %d", udp.Truncated, len(udp.Answer), records)
	}
	tcp := ask(t, s, "tcp", "big.test.", dns.TypeTXT, false)
	if tcp.Truncated || len(tcp.Answer) != records {
		t.Errorf("tcp: truncated=%v answers=%d, want %d whole", tcp.Truncated, len(tcp.Answer), records)
	}
}

func TestSetRecordsAndQueries(t *testing.T) {
	s := start(t)
	if got := summarise(ask(t, s, "udp", "mx.example.test.", dns.TypeA, false)).answer; got != "mx.example.test./A" {
		t.Fatalf("before: answer %q", got)
	}
	rr, err := dns.NewRR("new.test. 60 IN A 198.51.100.7")
	if err != nil {
		t.Fatal(err)
	}
	s.SetRecords([]dns.RR{rr})
	// The server keeps its own copy.
	rr.(*dns.A).Hdr.Name = "changed.test."
	if got := summarise(ask(t, s, "udp", "mx.example.test.", dns.TypeA, false)).rcode; got != "NXDOMAIN" {
		t.Errorf("old name after SetRecords: rcode %s, want NXDOMAIN", got)
	}
	r := ask(t, s, "tcp", "new.test.", dns.TypeA, false)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.A).A.String() != "198.51.100.7" {
		t.Errorf("new name: answer %v", r.Answer)
	}
	if got := s.Queries(); got != 3 {
		t.Errorf("Queries() = %d, want 3", got)
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name string
		addr string
		zone string
		want string
	}{
		{"bad zone", "127.0.0.1:0", "example.test. IN MX nonsense", "parse zone"},
		{"bad address", "127.0.0.1", "", "listen address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := StartZone(tc.addr, tc.zone)
			if err == nil {
				s.Close()
				t.Fatalf("StartZone succeeded, want error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestCloseTwice(t *testing.T) {
	s, err := Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("first Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	defer cancel()
	c := &dns.Client{Net: "tcp", Timeout: clientTimeout}
	m := new(dns.Msg)
	m.SetQuestion("x.test.", dns.TypeA)
	if _, _, err := c.ExchangeContext(ctx, m, s.Addr()); err == nil {
		t.Errorf("exchange after Close succeeded")
	}
}
