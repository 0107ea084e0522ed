package resolve

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/resolve/dnstest"
)

// fleetZone holds one domain per case of TestDomain.
const fleetZone = `
$ORIGIN test.
$TTL 300
test.                 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60

; explicit: preferences out of order, equal preferences, one host twice,
; a duplicated A record and an IPv4-mapped AAAA that is not the A.
explicit              IN MX 20 mx2.explicit.test.
explicit              IN MX 10 mx1.explicit.test.
explicit              IN MX 20 amx.explicit.test.
explicit              IN MX 30 MX1.Explicit.test.
mx1.explicit          IN A    192.0.2.2
mx1.explicit          IN A    192.0.2.1
mx1.explicit          IN A    192.0.2.2
mx1.explicit          IN AAAA 2001:db8::1
mx1.explicit          IN AAAA ::ffff:192.0.2.1
mx2.explicit          IN AAAA 2001:db8::2
amx.explicit          IN A    192.0.2.3

implicit              IN A    192.0.2.10
implicit              IN AAAA 2001:db8::10

null                  IN MX 0 .
null                  IN A  192.0.2.20

conflict              IN MX 0 .
conflict              IN MX 10 mx.conflict.test.
mx.conflict           IN A  192.0.2.30

none                  IN TXT "v=spf1 -all"

servfail              IN MX 10 mx.servfail.test.
drop                  IN MX 10 mx.drop.test.
hostfail              IN MX 10 mx.hostfail.test.
mx.hostfail           IN A  192.0.2.35

cnamemx               IN MX 10 alias.cnamemx.test.
alias.cnamemx         IN CNAME real.cnamemx.test.
real.cnamemx          IN A    192.0.2.40
real.cnamemx          IN AAAA 2001:db8::40

iplit                 IN MX 10 192.0.2.50.
iplit                 IN MX 20 mx.iplit.test.
mx.iplit              IN A 192.0.2.51

chain                 IN CNAME chain1.test.
chain1                IN CNAME chain2.test.
chain2                IN MX 10 mx.chain2.test.
mx.chain2             IN A 192.0.2.60

loop                  IN CNAME loop1.test.
loop1                 IN CNAME loop.test.

trunc                 IN MX 10 mx.trunc.test.
mx.trunc              IN A 192.0.2.70
`

// answerTimeout is generous: loopback answers at once, and a timeout here
// would only slow a failing test down.
const answerTimeout = 2 * time.Second

func startFleet(t *testing.T, addr string) *dnstest.Server {
	t.Helper()
	s, err := dnstest.StartZone(addr, fleetZone)
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

// newResolver makes a Resolver for the tests of plain DNS behaviour:
// unless cfg says otherwise, DNSSEC is off, so that no validation
// questions are asked besides the ones a test counts.
func newResolver(t *testing.T, cfg Config) *Resolver {
	t.Helper()
	if cfg.DNSSEC == "" {
		cfg.DNSSEC = DNSSECOff
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = answerTimeout
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// hostView is the part of an evidence.Host the table compares.
type hostView struct {
	Name       string
	Preference uint16
	Implicit   bool
	IPLiteral  bool
	CNAME      bool
	A, AAAA    evidence.DNSStatus // "" when not looked up
	Addresses  string
}

// mxView is the part of an evidence.MXLookup the table compares.
type mxView struct {
	Kind     evidence.MXKind
	Status   evidence.DNSStatus
	Rcode    string
	CNAMEs   string
	TCP      bool
	Records  string
	Conflict bool
	Error    string // a substring of Lookup.Error; "" means it must be empty
}

func viewMX(mx evidence.MXLookup) mxView {
	var recs []string
	for _, r := range mx.Records {
		recs = append(recs, strings.TrimSpace(strconv.Itoa(int(r.Preference))+" "+r.Host))
	}
	return mxView{
		Kind: mx.Kind, Status: mx.Lookup.Status, Rcode: mx.Lookup.Rcode,
		CNAMEs: strings.Join(mx.Lookup.CNAMEs, ","), TCP: mx.Lookup.TCP,
		Records: strings.Join(recs, ","), Conflict: mx.NullMXConflict, Error: mx.Lookup.Error,
	}
}

func viewHosts(hosts []evidence.Host) []hostView {
	var out []hostView
	for _, h := range hosts {
		v := hostView{Name: h.Name, Preference: h.Preference, Implicit: h.Implicit, IPLiteral: h.IPLiteral, CNAME: h.CNAME}
		if h.A != nil {
			v.A = h.A.Status
		}
		if h.AAAA != nil {
			v.AAAA = h.AAAA.Status
		}
		var ips []string
		for _, a := range h.Addresses {
			ips = append(ips, a.IP)
		}
		v.Addresses = strings.Join(ips, ",")
		out = append(out, v)
	}
	return out
}

func TestDomain(t *testing.T) {
	s := startFleet(t, "127.0.0.1:0")
	s.ServFail("servfail.test")
	s.Drop("drop.test")
	s.ServFail("mx.hostfail.test")
	s.Truncate("trunc.test")

	ok, nodata := evidence.DNSOK, evidence.DNSNoData
	tests := []struct {
		name        string
		domain      string
		cfg         Config
		want        mxView
		wantHosts   []hostView
		wantQueries int
	}{
		{
			name: "explicit sorted and deduplicated", domain: "Explicit.Test.",
			want: mxView{Kind: evidence.MXExplicit, Status: ok, Rcode: "NOERROR",
				Records: "10 mx1.explicit.test,20 amx.explicit.test,20 mx2.explicit.test,30 mx1.explicit.test"},
			wantHosts: []hostView{
				{Name: "mx1.explicit.test", Preference: 10, A: ok, AAAA: ok,
					Addresses: "192.0.2.2,192.0.2.1,2001:db8::1,::ffff:192.0.2.1"},
				{Name: "amx.explicit.test", Preference: 20, A: ok, AAAA: nodata, Addresses: "192.0.2.3"},
				{Name: "mx2.explicit.test", Preference: 20, A: nodata, AAAA: ok, Addresses: "2001:db8::2"},
			},
			wantQueries: 7,
		},
		{
			name: "implicit", domain: "implicit.test",
			want: mxView{Kind: evidence.MXImplicit, Status: nodata, Rcode: "NOERROR"},
			wantHosts: []hostView{{Name: "implicit.test", Implicit: true, A: ok, AAAA: ok,
				Addresses: "192.0.2.10,2001:db8::10"}},
			wantQueries: 3,
		},
		{
			name: "null mx", domain: "null.test",
			want:        mxView{Kind: evidence.MXNull, Status: ok, Rcode: "NOERROR", Records: "0"},
			wantQueries: 1,
		},
		{
			name: "null mx beside others", domain: "conflict.test",
			want: mxView{Kind: evidence.MXExplicit, Status: ok, Rcode: "NOERROR",
				Records: "0,10 mx.conflict.test", Conflict: true},
			wantHosts:   []hostView{{Name: "mx.conflict.test", Preference: 10, A: ok, AAAA: nodata, Addresses: "192.0.2.30"}},
			wantQueries: 3,
		},
		{
			name: "no mx and no address", domain: "none.test",
			want:        mxView{Kind: evidence.MXNone, Status: nodata, Rcode: "NOERROR"},
			wantQueries: 3,
		},
		{
			name: "nxdomain", domain: "missing.test",
			want:        mxView{Kind: evidence.MXNone, Status: evidence.DNSNXDomain, Rcode: "NXDOMAIN"},
			wantQueries: 1,
		},
		{
			name: "servfail", domain: "servfail.test",
			want:        mxView{Kind: evidence.MXError, Status: evidence.DNSServFail, Rcode: "SERVFAIL"},
			wantQueries: 1,
		},
		{
			name: "timeout", domain: "drop.test",
			cfg: Config{Timeout: 200 * time.Millisecond, Attempts: 1},
			want: mxView{Kind: evidence.MXError, Status: evidence.DNSTimeout,
				Error: "no answer after 1 tries: udp " + s.Addr()},
			wantQueries: 1,
		},
		{
			name: "host lookup fails", domain: "hostfail.test",
			want: mxView{Kind: evidence.MXExplicit, Status: ok, Rcode: "NOERROR", Records: "10 mx.hostfail.test"},
			wantHosts: []hostView{{Name: "mx.hostfail.test", Preference: 10,
				A: evidence.DNSServFail, AAAA: evidence.DNSServFail}},
			wantQueries: 3,
		},
		{
			name: "mx target is a cname", domain: "cnamemx.test",
			want: mxView{Kind: evidence.MXExplicit, Status: ok, Rcode: "NOERROR", Records: "10 alias.cnamemx.test"},
			wantHosts: []hostView{{Name: "alias.cnamemx.test", Preference: 10, CNAME: true, A: ok, AAAA: ok,
				Addresses: "192.0.2.40,2001:db8::40"}},
			wantQueries: 3,
		},
		{
			name: "mx target is an ip literal", domain: "iplit.test",
			want: mxView{Kind: evidence.MXExplicit, Status: ok, Rcode: "NOERROR",
				Records: "10 192.0.2.50,20 mx.iplit.test"},
			wantHosts: []hostView{
				{Name: "192.0.2.50", Preference: 10, IPLiteral: true, Addresses: "192.0.2.50"},
				{Name: "mx.iplit.test", Preference: 20, A: ok, AAAA: nodata, Addresses: "192.0.2.51"},
			},
			wantQueries: 3,
		},
		{
			name: "cname chain on the mx lookup", domain: "chain.test",
			want: mxView{Kind: evidence.MXExplicit, Status: ok, Rcode: "NOERROR",
				CNAMEs: "chain1.test,chain2.test", Records: "10 mx.chain2.test"},
			wantHosts:   []hostView{{Name: "mx.chain2.test", Preference: 10, A: ok, AAAA: nodata, Addresses: "192.0.2.60"}},
			wantQueries: 3,
		},
		{
			name: "cname loop", domain: "loop.test",
			want: mxView{Kind: evidence.MXError, Status: evidence.DNSError, Rcode: "NOERROR",
				CNAMEs: "loop1.test,loop.test", Error: "cname loop: loop.test -> loop1.test -> loop.test"},
			wantQueries: 1,
		},
		{
			name: "truncated udp retried over tcp", domain: "trunc.test",
			want:        mxView{Kind: evidence.MXExplicit, Status: ok, Rcode: "NOERROR", TCP: true, Records: "10 mx.trunc.test"},
			wantHosts:   []hostView{{Name: "mx.trunc.test", Preference: 10, A: ok, AAAA: nodata, Addresses: "192.0.2.70"}},
			wantQueries: 4,
		},
		{
			name: "invalid name", domain: "bad_name.test",
			want: mxView{Kind: evidence.MXError, Status: evidence.DNSError,
				Error: `invalid domain name "bad_name.test": label "bad_name" has invalid character '_': no query sent`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Servers = []string{s.Addr()}
			r := newResolver(t, cfg)
			before := s.Queries()
			mx, hosts := r.Domain(context.Background(), tc.domain)
			got := viewMX(mx)
			want := tc.want
			if want.Error != "" && strings.Contains(got.Error, want.Error) {
				want.Error = got.Error
			}
			if got != want {
				t.Errorf("MX:\n got %+v\nwant %+v", got, want)
			}
			if gotHosts := viewHosts(hosts); !reflect.DeepEqual(gotHosts, tc.wantHosts) {
				t.Errorf("hosts:\n got %+v\nwant %+v", gotHosts, tc.wantHosts)
			}
			if got := s.Queries() - before; got != tc.wantQueries {
				t.Errorf("queries sent: %d, want %d", got, tc.wantQueries)
			}
		})
	}
}

func TestDomainInvalidNames(t *testing.T) {
	s := startFleet(t, "127.0.0.1:0")
	r := newResolver(t, Config{Servers: []string{s.Addr()}})
	tests := []struct {
		name   string
		domain string
		want   string
	}{
		{"empty", "", "empty name"},
		{"only a dot", ".", "empty name"},
		{"empty label", "a..test", "empty label"},
		{"two trailing dots", "a.test..", "empty label"},
		{"leading hyphen", "-a.test", `label "-a" starts or ends with a hyphen`},
		{"trailing hyphen", "a-.test", `label "a-" starts or ends with a hyphen`},
		{"space", "a b.test", `label "a b" has invalid character ' '`},
		{"u-label", "bücher.test", "not an a-label"},
		{"ip address", "192.0.2.1", `top-level label "1" is numeric`},
		{"long label", strings.Repeat("a", 64) + ".test", "longer than 63 characters"},
		{"long name", strings.Repeat(strings.Repeat("a", 63)+".", 4) + "test", "longer than 253 characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Queries()
			mx, hosts := r.Domain(context.Background(), tc.domain)
			if mx.Kind != evidence.MXError || mx.Lookup.Status != evidence.DNSError || hosts != nil {
				t.Errorf("got kind %q status %q hosts %v, want error", mx.Kind, mx.Lookup.Status, hosts)
			}
			if !strings.Contains(mx.Lookup.Error, tc.want) || !strings.HasSuffix(mx.Lookup.Error, "no query sent") {
				t.Errorf("error %q, want it to contain %q", mx.Lookup.Error, tc.want)
			}
			if got := s.Queries() - before; got != 0 {
				t.Errorf("%d queries sent, want 0", got)
			}
		})
	}
}

func TestDomainValidNames(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Example.COM.", "example.com"},
		{"xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"a-b.c1", "a-b.c1"},
		{"localhost", "localhost"},
		{strings.Repeat("a", 63) + ".test", strings.Repeat("a", 63) + ".test"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := normaliseDomain(tc.in)
			if err != nil || got != tc.want {
				t.Errorf("normaliseDomain(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestDomainLookupDetails(t *testing.T) {
	s := startFleet(t, "127.0.0.1:0")
	r := newResolver(t, Config{Servers: []string{s.Addr()}})
	mx, hosts := r.Domain(context.Background(), "conflict.test")
	wantRecords := []string{
		"conflict.test.\t300\tIN\tMX\t0 .",
		"conflict.test.\t300\tIN\tMX\t10 mx.conflict.test.",
	}
	l := mx.Lookup
	if l.Name != "conflict.test" || l.Type != "MX" || l.TTL != 300 || l.Server != s.Addr() || l.AD || l.TCP || l.Error != "" {
		t.Errorf("lookup: %+v", l)
	}
	if !reflect.DeepEqual(l.Records, wantRecords) {
		t.Errorf("records %q, want %q", l.Records, wantRecords)
	}
	if len(hosts) != 1 || hosts[0].AAAA == nil {
		t.Fatalf("hosts: %+v", hosts)
	}
	// The negative answer's TTL is the SOA's negative-caching TTL.
	if aaaa := hosts[0].AAAA; aaaa.Name != "mx.conflict.test" || aaaa.Type != "AAAA" || aaaa.TTL != 60 || aaaa.Records != nil {
		t.Errorf("AAAA lookup: %+v", *aaaa)
	}
}

func TestDomainCache(t *testing.T) {
	s := startFleet(t, "127.0.0.1:0")
	r := newResolver(t, Config{Servers: []string{s.Addr()}})
	mx1, hosts1 := r.Domain(context.Background(), "explicit.test")
	first := s.Queries()
	if first != 7 {
		t.Fatalf("first Domain sent %d queries, want 7", first)
	}
	mx2, hosts2 := r.Domain(context.Background(), "EXPLICIT.test.")
	if got := s.Queries(); got != first {
		t.Errorf("second Domain sent %d queries, want 0", got-first)
	}
	if !reflect.DeepEqual(mx1, mx2) || !reflect.DeepEqual(hosts1, hosts2) {
		t.Errorf("cached result differs:\n%+v\n%+v", mx1, mx2)
	}
	// The caller owns what it gets: changing it does not change the cache.
	mx1.Lookup.Records[0] = "changed"
	hosts1[0].A.Records[0] = "changed"
	mx3, hosts3 := r.Domain(context.Background(), "explicit.test")
	if !reflect.DeepEqual(mx2, mx3) || !reflect.DeepEqual(hosts2, hosts3) {
		t.Errorf("cache changed through a returned value")
	}
}

func TestQueryDedupe(t *testing.T) {
	s := startFleet(t, "127.0.0.1:0")
	r := newResolver(t, Config{Servers: []string{s.Addr()}})
	const callers = 16
	var wg sync.WaitGroup
	results := make([]evidence.Lookup, callers)
	for i := range callers {
		wg.Go(func() {
			results[i], _ = r.Query(context.Background(), "implicit.test", dns.TypeA)
		})
	}
	wg.Wait()
	if got := s.Queries(); got != 1 {
		t.Errorf("%d concurrent identical questions sent %d queries, want 1", callers, got)
	}
	for i, l := range results {
		if l.Status != evidence.DNSOK || !reflect.DeepEqual(l, results[0]) {
			t.Errorf("caller %d: %+v, want %+v", i, l, results[0])
		}
	}
}
