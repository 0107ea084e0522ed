package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/resolve/dnstest"
)

// mustRRs parses records in presentation format.
func mustRRs(t testing.TB, lines ...string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("NewRR(%q): %v", l, err)
		}
		out = append(out, rr)
	}
	return out
}

// fake is an Exchanger answering from a table keyed by "name type" and
// recording every call as "network server name type".
type fake struct {
	t       testing.TB
	mu      sync.Mutex
	calls   []string
	answers map[string][]string // answer section; a missing key is NXDOMAIN
	err     map[string]error    // a failure instead of an answer, by server
}

func (f *fake) exchange(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
	q := m.Question[0]
	k := strings.ToLower(q.Name) + " " + dns.TypeToString[q.Qtype]
	f.mu.Lock()
	f.calls = append(f.calls, network+" "+server+" "+k)
	f.mu.Unlock()
	if err := f.err[server]; err != nil {
		return nil, err
	}
	resp := new(dns.Msg)
	resp.SetReply(m)
	lines, ok := f.answers[k]
	if !ok {
		resp.Rcode = dns.RcodeNameError
	}
	resp.Answer = mustRRs(f.t, lines...)
	return resp, nil
}

func (f *fake) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func TestQueryCNAMEAcrossQueries(t *testing.T) {
	chain := func(n int) map[string][]string {
		m := map[string][]string{}
		for i := range n {
			m[fmt.Sprintf("c%d.test. A", i)] = []string{fmt.Sprintf("c%d.test. 60 IN CNAME c%d.test.", i, i+1)}
		}
		m[fmt.Sprintf("c%d.test. A", n)] = []string{fmt.Sprintf("c%d.test. 30 IN A 192.0.2.1", n)}
		return m
	}
	tests := []struct {
		name      string
		answers   map[string][]string
		qname     string
		wantState evidence.DNSStatus
		wantCNAME []string
		wantRecs  int
		wantTTL   uint32
		wantErr   string
		wantCalls int
	}{
		{
			name: "alias only, then the target",
			answers: map[string][]string{
				"a.test. A":     {"a.test. 100 IN CNAME b.other."},
				"b.other. A":    {"b.other. 50 IN A 192.0.2.9"},
				"never.asked A": {},
			},
			qname: "a.test", wantState: evidence.DNSOK, wantCNAME: []string{"b.other"}, wantRecs: 1, wantTTL: 50, wantCalls: 2,
		},
		{
			name: "alias to a missing name",
			answers: map[string][]string{
				"a.test. A": {"a.test. 100 IN CNAME gone.other."},
			},
			qname: "a.test", wantState: evidence.DNSNXDomain, wantCNAME: []string{"gone.other"}, wantTTL: 100, wantCalls: 2,
		},
		{
			name: "loop across queries",
			answers: map[string][]string{
				"a.test. A": {"a.test. 100 IN CNAME b.test."},
				"b.test. A": {"b.test. 100 IN CNAME a.test."},
			},
			qname: "a.test", wantState: evidence.DNSError, wantCNAME: []string{"b.test", "a.test"},
			wantErr: "cname loop: a.test -> b.test -> a.test", wantCalls: 2,
		},
		{
			name:    "eight hops",
			answers: chain(8),
			qname:   "c0.test", wantState: evidence.DNSOK,
			wantCNAME: []string{"c1.test", "c2.test", "c3.test", "c4.test", "c5.test", "c6.test", "c7.test", "c8.test"},
			wantRecs:  1, wantTTL: 30, wantCalls: 9,
		},
		{
			name:    "nine hops",
			answers: chain(9),
			qname:   "c0.test", wantState: evidence.DNSError,
			wantCNAME: []string{"c1.test", "c2.test", "c3.test", "c4.test", "c5.test", "c6.test", "c7.test", "c8.test", "c9.test"},
			wantErr:   "cname chain longer than 8 hops", wantCalls: 9,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{t: t, answers: tc.answers}
			r := newResolver(t, Config{Servers: []string{"192.0.2.53:53"}, Exchange: f.exchange})
			l, rrs := r.Query(context.Background(), tc.qname, dns.TypeA)
			if l.Status != tc.wantState || !reflect.DeepEqual(l.CNAMEs, tc.wantCNAME) || len(rrs) != tc.wantRecs ||
				len(l.Records) != tc.wantRecs || l.TTL != tc.wantTTL || l.Error != tc.wantErr {
				t.Errorf("got status %q cnames %q records %d/%d ttl %d error %q\nwant status %q cnames %q records %d ttl %d error %q",
					l.Status, l.CNAMEs, len(rrs), len(l.Records), l.TTL, l.Error,
					tc.wantState, tc.wantCNAME, tc.wantRecs, tc.wantTTL, tc.wantErr)
			}
			if got := len(f.callLog()); got != tc.wantCalls {
				t.Errorf("%d exchanges, want %d: %q", got, tc.wantCalls, f.callLog())
			}
		})
	}
}

func TestQueryRetries(t *testing.T) {
	const (
		s1 = "192.0.2.1:53"
		s2 = "192.0.2.2:53"
	)
	timeout := fmt.Errorf("read reply: %w", context.DeadlineExceeded)
	refused := fmt.Errorf("dial: connect: %w", net.ErrClosed)
	tests := []struct {
		name       string
		attempts   int
		errs       map[string]error
		wantStatus evidence.DNSStatus
		wantServer string
		wantCalls  []string
	}{
		{
			name: "first server answers", attempts: 2,
			wantStatus: evidence.DNSOK, wantServer: s1,
			wantCalls: []string{"udp " + s1 + " x.test. A"},
		},
		{
			name: "timeout moves to the next server", attempts: 2, errs: map[string]error{s1: timeout},
			wantStatus: evidence.DNSOK, wantServer: s2,
			wantCalls: []string{"udp " + s1 + " x.test. A", "udp " + s2 + " x.test. A"},
		},
		{
			name: "all time out, every attempt", attempts: 3, errs: map[string]error{s1: timeout, s2: timeout},
			wantStatus: evidence.DNSTimeout, wantServer: s2,
			wantCalls: []string{
				"udp " + s1 + " x.test. A", "udp " + s2 + " x.test. A",
				"udp " + s1 + " x.test. A", "udp " + s2 + " x.test. A",
				"udp " + s1 + " x.test. A", "udp " + s2 + " x.test. A",
			},
		},
		{
			name: "network error is an error", attempts: 1, errs: map[string]error{s1: refused, s2: refused},
			wantStatus: evidence.DNSError, wantServer: s2,
			wantCalls: []string{"udp " + s1 + " x.test. A", "udp " + s2 + " x.test. A"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{t: t, err: tc.errs, answers: map[string][]string{"x.test. A": {"x.test. 60 IN A 192.0.2.7"}}}
			r := newResolver(t, Config{Servers: []string{s1, s2}, Attempts: tc.attempts, Exchange: f.exchange})
			l, _ := r.Query(context.Background(), "x.test", dns.TypeA)
			if l.Status != tc.wantStatus || l.Server != tc.wantServer {
				t.Errorf("status %q server %q (error %q), want %q %q", l.Status, l.Server, l.Error, tc.wantStatus, tc.wantServer)
			}
			if got := f.callLog(); !reflect.DeepEqual(got, tc.wantCalls) {
				t.Errorf("calls:\n got %q\nwant %q", got, tc.wantCalls)
			}
		})
	}
}

func TestQueryServersOnLoopback(t *testing.T) {
	tests := []struct {
		name       string
		inject     func(a, b *dnstest.Server)
		timeout    time.Duration
		attempts   int
		wantStatus evidence.DNSStatus
		wantFrom   int // index of the answering server, -1 for none
		wantA      int // queries received by each server
		wantB      int
	}{
		{"servfail moves on", func(a, _ *dnstest.Server) { a.ServFail("implicit.test") }, answerTimeout, 2,
			evidence.DNSOK, 1, 1, 1},
		{"servfail everywhere asks each once", func(a, b *dnstest.Server) {
			a.ServFail("implicit.test")
			b.ServFail("implicit.test")
		}, answerTimeout, 2, evidence.DNSServFail, 0, 1, 1},
		{"silent server skipped", func(a, _ *dnstest.Server) { a.Drop("implicit.test") }, 200 * time.Millisecond, 1,
			evidence.DNSOK, 1, 1, 1},
		{"silent everywhere retried", func(a, b *dnstest.Server) {
			a.Drop("implicit.test")
			b.Drop("implicit.test")
		}, 100 * time.Millisecond, 2, evidence.DNSTimeout, 1, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := startFleet(t, "127.0.53.1:0")
			b := startFleet(t, "127.0.53.2:0")
			tc.inject(a, b)
			servers := []*dnstest.Server{a, b}
			r := newResolver(t, Config{Servers: []string{a.Addr(), b.Addr()}, Timeout: tc.timeout, Attempts: tc.attempts})
			l, _ := r.Query(context.Background(), "implicit.test", dns.TypeA)
			if l.Status != tc.wantStatus || l.Server != servers[tc.wantFrom].Addr() {
				t.Errorf("status %q from %q (error %q), want %q from %q",
					l.Status, l.Server, l.Error, tc.wantStatus, servers[tc.wantFrom].Addr())
			}
			if a.Queries() != tc.wantA || b.Queries() != tc.wantB {
				t.Errorf("queries %d/%d, want %d/%d", a.Queries(), b.Queries(), tc.wantA, tc.wantB)
			}
		})
	}
}

func TestQueryNaturalTruncation(t *testing.T) {
	const records = 40
	var zone strings.Builder
	var want []string
	for i := range records {
		s := fmt.Sprintf("record-%02d-%s", i, strings.Repeat("x", 50))
		fmt.Fprintf(&zone, "big.test. 300 IN TXT %q\n", s)
		want = append(want, s)
	}
	s, err := dnstest.StartZone("127.0.0.1:0", zone.String())
	if err != nil {
		t.Fatalf("StartZone: %v", err)
	}
	defer s.Close()
	r := newResolver(t, Config{Servers: []string{s.Addr()}})
	l, txt := r.TXT(context.Background(), "big.test")
	if l.Status != evidence.DNSOK || !l.TCP || len(l.Records) != records {
		t.Errorf("status %q tcp %v records %d, want ok over tcp with %d", l.Status, l.TCP, len(l.Records), records)
	}
	if !reflect.DeepEqual(txt, want) {
		t.Errorf("TXT strings differ:\n got %q\nwant %q", txt, want)
	}
	if got := s.Queries(); got != 2 {
		t.Errorf("queries %d, want 2 (udp then tcp)", got)
	}
}

func TestTXT(t *testing.T) {
	s, err := dnstest.StartZone("127.0.0.1:0", `
_mta-sts.example.test. 300 IN TXT "v=STSv1; " "id=20240101T000000"
_mta-sts.example.test. 300 IN TXT "odd \"quoted\" \\ back\009tab" "\255"
_smtp._tls.example.test. 300 IN CNAME rpt.provider.test.
rpt.provider.test. 300 IN TXT "v=TLSRPTv1;" "rua=mailto:r@example.test"
`)
	if err != nil {
		t.Fatalf("StartZone: %v", err)
	}
	defer s.Close()
	r := newResolver(t, Config{Servers: []string{s.Addr()}})
	tests := []struct {
		name      string
		qname     string
		want      []string
		wantCNAME []string
		wantState evidence.DNSStatus
	}{
		{"strings joined without separator", "_mta-sts.example.test",
			[]string{"v=STSv1; id=20240101T000000", "odd \"quoted\" \\ back\ttab\xff"}, nil, evidence.DNSOK},
		{"through a cname", "_smtp._tls.example.test",
			[]string{"v=TLSRPTv1;rua=mailto:r@example.test"}, []string{"rpt.provider.test"}, evidence.DNSOK},
		{"none", "_mta-sts.missing.test", nil, nil, evidence.DNSNXDomain},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, got := r.TXT(context.Background(), tc.qname)
			if l.Status != tc.wantState || !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(l.CNAMEs, tc.wantCNAME) {
				t.Errorf("got %q %q cnames %q, want %q %q cnames %q", l.Status, got, l.CNAMEs, tc.wantState, tc.want, tc.wantCNAME)
			}
		})
	}
}

func TestQueryDNSSECOK(t *testing.T) {
	s, err := dnstest.StartZone("127.0.0.1:0", `
mx.example.test. 300 IN A 192.0.2.1
mx.example.test. 300 IN RRSIG A 13 3 300 20300101000000 20200101000000 12345 example.test. AAAA
`)
	if err != nil {
		t.Fatalf("StartZone: %v", err)
	}
	defer s.Close()
	for _, do := range []bool{false, true} {
		t.Run(fmt.Sprintf("do=%v", do), func(t *testing.T) {
			var sawDO, sawAD bool
			ex := func(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
				sawDO = m.IsEdns0() != nil && m.IsEdns0().Do()
				sawAD = m.AuthenticatedData
				return exchangeConn(ctx, m, network, server)
			}
			r := newResolver(t, Config{Servers: []string{s.Addr()}, DNSSECOK: do, Exchange: ex})
			l, rrs := r.Query(context.Background(), "mx.example.test", dns.TypeA)
			if sawDO != do || sawAD != do {
				t.Errorf("query DO %v AD %v, want both %v", sawDO, sawAD, do)
			}
			if l.Status != evidence.DNSOK || len(l.Records) != 1 || len(rrs) != 1 || rrs[0].Header().Rrtype != dns.TypeA {
				t.Errorf("got %q records %q, want the A record alone", l.Status, l.Records)
			}
		})
	}
}

func TestQueryContext(t *testing.T) {
	t.Run("cancelled before", func(t *testing.T) {
		s := startFleet(t, "127.0.0.1:0")
		r := newResolver(t, Config{Servers: []string{s.Addr()}})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		l, _ := r.Query(ctx, "implicit.test", dns.TypeA)
		if l.Status != evidence.DNSError || !strings.Contains(l.Error, "context canceled") || s.Queries() != 0 {
			t.Errorf("got %q %q after %d queries, want error, context canceled, 0 queries", l.Status, l.Error, s.Queries())
		}
		// A cancelled question is not cached.
		l, _ = r.Query(context.Background(), "implicit.test", dns.TypeA)
		if l.Status != evidence.DNSOK || s.Queries() != 1 {
			t.Errorf("after cancel: %q after %d queries, want ok after 1", l.Status, s.Queries())
		}
	})
	t.Run("deadline passed is a timeout", func(t *testing.T) {
		s := startFleet(t, "127.0.0.1:0")
		r := newResolver(t, Config{Servers: []string{s.Addr()}})
		ctx, cancel := context.WithDeadline(context.Background(), time.Unix(1, 0))
		defer cancel()
		l, _ := r.Query(ctx, "implicit.test", dns.TypeA)
		if l.Status != evidence.DNSTimeout || !strings.Contains(l.Error, "deadline exceeded") {
			t.Errorf("got %q %q, want timeout", l.Status, l.Error)
		}
	})
	t.Run("cancel stops retries", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		calls := 0
		ex := func(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
			calls++
			cancel()
			<-ctx.Done()
			return nil, ctx.Err()
		}
		r := newResolver(t, Config{Servers: []string{"192.0.2.1:53", "192.0.2.2:53"}, Attempts: 3, Exchange: ex})
		l, _ := r.Query(ctx, "x.test", dns.TypeA)
		if calls != 1 || l.Status != evidence.DNSError || !strings.Contains(l.Error, "context canceled") {
			t.Errorf("%d exchanges, status %q error %q; want 1, error, context canceled", calls, l.Status, l.Error)
		}
	})
	t.Run("waiter leaves when its context ends", func(t *testing.T) {
		release := make(chan struct{})
		entered := make(chan struct{})
		ex := func(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
			close(entered)
			<-release
			resp := new(dns.Msg)
			resp.SetReply(m)
			return resp, nil
		}
		r := newResolver(t, Config{Servers: []string{"192.0.2.1:53"}, Exchange: ex})
		done := make(chan evidence.Lookup)
		go func() {
			l, _ := r.Query(context.Background(), "x.test", dns.TypeA)
			done <- l
		}()
		<-entered
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		l, _ := r.Query(ctx, "x.test", dns.TypeA)
		if l.Status != evidence.DNSError || !strings.Contains(l.Error, "context canceled") {
			t.Errorf("waiter got %q %q, want error, context canceled", l.Status, l.Error)
		}
		close(release)
		if l := <-done; l.Status != evidence.DNSNoData {
			t.Errorf("leader got %q, want nodata", l.Status)
		}
	})
}

// TestExchangeConnCancel checks that the default exchanger returns as
// soon as its context is cancelled while it waits for a reply.
func TestExchangeConnCancel(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		m := new(dns.Msg)
		m.SetQuestion("x.test.", dns.TypeA)
		_, err := exchangeConn(ctx, m, "udp", pc.LocalAddr().String())
		errc <- err
	}()
	if err := pc.SetReadDeadline(time.Now().Add(answerTimeout)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, dns.MaxMsgSize)
	if _, _, err := pc.ReadFrom(buf); err != nil {
		t.Fatalf("the query never arrived: %v", err)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

func TestCheckReply(t *testing.T) {
	q := new(dns.Msg)
	q.SetQuestion("x.test.", dns.TypeA)
	tests := []struct {
		name   string
		mutate func(r *dns.Msg)
		want   string
	}{
		{"matching", func(r *dns.Msg) {}, ""},
		{"case differs", func(r *dns.Msg) { r.Question[0].Name = "X.Test." }, ""},
		{"wrong id", func(r *dns.Msg) { r.Id++ }, "does not match query id"},
		{"not a response", func(r *dns.Msg) { r.Response = false }, "qr bit clear"},
		{"other name", func(r *dns.Msg) { r.Question[0].Name = "y.test." }, "reply is for y.test. A, not for x.test. A"},
		{"other type", func(r *dns.Msg) { r.Question[0].Qtype = dns.TypeMX }, "reply is for x.test. MX"},
		{"no question", func(r *dns.Msg) { r.Question = nil }, "reply has 0 questions"},
		{"refused without question", func(r *dns.Msg) { r.Question, r.Rcode = nil, dns.RcodeRefused }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := new(dns.Msg)
			r.SetReply(q)
			tc.mutate(r)
			err := checkReply(q, r)
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
	if err := checkReply(q, nil); err == nil || err.Error() != "empty reply" {
		t.Errorf("nil reply: %v", err)
	}
}

func TestQueryBadReplyRetried(t *testing.T) {
	calls := 0
	ex := func(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
		calls++
		resp := new(dns.Msg)
		resp.SetReply(m)
		if calls == 1 {
			resp.Question[0].Name = "spoofed.test."
		}
		resp.Answer = mustRRs(t, "x.test. 60 IN A 192.0.2.8")
		return resp, nil
	}
	r := newResolver(t, Config{Servers: []string{"192.0.2.1:53"}, Exchange: ex})
	l, _ := r.Query(context.Background(), "x.test", dns.TypeA)
	if calls != 2 || l.Status != evidence.DNSOK || len(l.Records) != 1 {
		t.Errorf("%d exchanges, %q %q; want 2 and ok", calls, l.Status, l.Records)
	}
}

func TestQueryInvalidName(t *testing.T) {
	calls := 0
	ex := func(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
		calls++
		return nil, errors.New("must not be called")
	}
	r := newResolver(t, Config{Servers: []string{"192.0.2.1:53"}, Exchange: ex})
	for _, name := range []string{"", strings.Repeat("a", 64) + ".test", "a..b"} {
		l, rrs := r.Query(context.Background(), name, dns.TypeA)
		if l.Status != evidence.DNSError || !strings.HasSuffix(l.Error, "no query sent") || rrs != nil {
			t.Errorf("%q: got %q %q", name, l.Status, l.Error)
		}
	}
	if calls != 0 {
		t.Errorf("%d exchanges, want 0", calls)
	}
}

func TestQueryTruncatedThenTCPFails(t *testing.T) {
	var calls []string
	ex := func(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
		calls = append(calls, network)
		if network == "tcp" {
			return nil, fmt.Errorf("dial: %w", context.DeadlineExceeded)
		}
		resp := new(dns.Msg)
		resp.SetReply(m)
		resp.Truncated = true
		return resp, nil
	}
	r := newResolver(t, Config{Servers: []string{"192.0.2.1:53"}, Attempts: 2, Exchange: ex})
	l, rrs := r.Query(context.Background(), "x.test", dns.TypeTXT)
	if l.Status != evidence.DNSTimeout || l.TCP || rrs != nil ||
		l.Error != "no answer after 2 tries: tcp after a truncated udp reply 192.0.2.1:53: dial: context deadline exceeded" {
		t.Errorf("got %q tcp %v error %q", l.Status, l.TCP, l.Error)
	}
	if want := []string{"udp", "tcp", "udp", "tcp"}; !reflect.DeepEqual(calls, want) {
		t.Errorf("exchanges %q, want %q", calls, want)
	}
}

func TestQueryLeaderCancelled(t *testing.T) {
	leaderIn := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	ex := func(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			close(leaderIn)
			<-ctx.Done()
			return nil, ctx.Err()
		}
		resp := new(dns.Msg)
		resp.SetReply(m)
		resp.Answer = mustRRs(t, "x.test. 60 IN A 192.0.2.1")
		return resp, nil
	}
	r := newResolver(t, Config{Servers: []string{"192.0.2.1:53"}, Exchange: ex})
	ctx, cancel := context.WithCancel(context.Background())
	leader := make(chan evidence.Lookup)
	go func() {
		l, _ := r.Query(ctx, "x.test", dns.TypeA)
		leader <- l
	}()
	<-leaderIn
	waiter := make(chan evidence.Lookup)
	go func() {
		l, _ := r.Query(context.Background(), "x.test", dns.TypeA)
		waiter <- l
	}()
	cancel()
	if l := <-leader; l.Status != evidence.DNSError || !strings.Contains(l.Error, "context canceled") {
		t.Errorf("leader: %q %q, want error, context canceled", l.Status, l.Error)
	}
	if l := <-waiter; l.Status != evidence.DNSOK {
		t.Errorf("waiter: %q %q, want ok", l.Status, l.Error)
	}
	if calls != 2 {
		t.Errorf("%d exchanges, want 2", calls)
	}
}

func TestNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{typeName(dns.TypeMX), "MX"},
		{typeName(65534), "TYPE65534"},
		{rcodeName(dns.RcodeNameError), "NXDOMAIN"},
		{rcodeName(4000), "RCODE4000"},
		{presentName("Mail.Example.COM."), "mail.example.com"},
		{presentName("."), ""},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}
