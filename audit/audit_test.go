package audit_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit"
	"github.com/mxaudit/mxaudit/audit/certs"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/resolve"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/samples/fleet"
)

// testFleet is one server per profile, each the only MX of its domain, plus
// a shared pool and the DNS special cases. Addresses are remapped per test
// run so parallel packages never collide.
func testFleet() *fleet.Definition {
	d := &fleet.Definition{Resolver: "127.0.0.53:0", SMTPPort: -1}
	profiles := []string{"modern", "modern-12", "tls12-only", "legacy", "self-signed", "expired", "name-mismatch",
		"no-starttls", "broken-tls", "raw-sslv3-export", "raw-sslv2", "raw-dhe1024", "slow-banner", "refuse-421", "garbage"}
	for i, p := range profiles {
		host := "mx." + p + ".example"
		srv := fleet.Server{IP: fmt.Sprintf("127.0.2.%d", i+1), Names: []string{host}, Profile: p}
		if p == "slow-banner" {
			srv.BannerDelayMS = 400 // slow, within the greeting timeout, and keeps the test short
		}
		d.Servers = append(d.Servers, srv)
		d.Domains = append(d.Domains, fleet.Domain{Name: p + ".example", MX: []fleet.MX{{Preference: 10, Host: host}}})
	}
	// Three domains on one shared provider with two MX names on two addresses.
	d.Servers = append(d.Servers,
		fleet.Server{IP: "127.0.2.100", Names: []string{"mx1.pool.example", "mx2.pool.example"}, Profile: "modern"},
		fleet.Server{IP: "127.0.2.101", Names: []string{"mx1.pool.example", "mx2.pool.example"}, Profile: "modern"})
	for _, n := range []string{"one", "two", "three"} {
		d.Domains = append(d.Domains, fleet.Domain{Name: n + ".pool-tenant.example",
			MX: []fleet.MX{{Preference: 1, Host: "mx1.pool.example"}, {Preference: 5, Host: "mx2.pool.example"}}})
	}
	d.Domains = append(d.Domains,
		fleet.Domain{Name: "null.example", NullMX: true, A: []string{"127.0.2.250"}, TXT: []fleet.TXTRecord{
			{Text: "v=spf1 -all"}, {Name: "_dmarc", Text: "v=DMARC1; p=reject; rua=mailto:d@null.example"}}},
		fleet.Domain{Name: "implicit.example", A: []string{"127.0.2.3"}}) // the tls12-only server
	return d
}

type env struct {
	fleet   *fleet.Fleet
	auditor *audit.Auditor
}

func start(t *testing.T, mutate func(*audit.Config)) *env {
	t.Helper()
	f, err := fleet.Start(testFleet(), fleet.Options{RemapPrefix: fmt.Sprintf("127.%d", 100+rand.IntN(150))})
	if err != nil {
		t.Fatalf("start fleet: %v", err)
	}
	t.Cleanup(f.Close)
	res, err := resolve.New(resolve.Config{Servers: []string{f.Resolver}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := smtp.New(smtp.Config{Port: f.Port, EHLOName: "scanner.mxaudit.test",
		ConnectTimeout: 2 * time.Second, BannerTimeout: 4 * time.Second, CommandTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := audit.Config{Resolver: res, SMTP: sc, Port: f.Port, Verifier: &certs.Verifier{Roots: f.CA.Pool()},
		StepTimeout: 2 * time.Second, Retries: 1, RetryBackoff: 50 * time.Millisecond, AllowPrivate: true}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := audit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{fleet: f, auditor: a}
}

func (e *env) ip(suffix string) string {
	for ip := range e.fleet.Servers {
		if strings.HasSuffix(ip, "."+suffix) && strings.Count(ip, ".") == 3 {
			parts := strings.Split(ip, ".")
			if parts[2]+"."+parts[3] == suffix {
				return ip
			}
		}
	}
	return ""
}

// the single address of a single-MX domain.
func only(t *testing.T, d *evidence.Domain) *evidence.Address {
	t.Helper()
	if len(d.Hosts) != 1 || len(d.Hosts[0].Addresses) != 1 {
		t.Fatalf("%s: want one host with one address, got %+v", d.Domain, d.Hosts)
	}
	return &d.Hosts[0].Addresses[0]
}

func version(p *evidence.Probe, v string) evidence.VersionResult {
	for _, vr := range p.Versions {
		if vr.Version == v {
			return vr
		}
	}
	return evidence.VersionResult{Version: v, Support: "missing"}
}

func codes(vr evidence.VersionResult) []string {
	var out []string
	for _, s := range vr.Suites {
		out = append(out, s.Code)
	}
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func supports(p *evidence.Probe) map[string]evidence.Support {
	m := map[string]evidence.Support{}
	for _, v := range p.Versions {
		m[v.Version] = v.Support
	}
	return m
}

func findingCodes(g grade.DomainGrade) []string {
	var out []string
	for _, f := range g.Findings {
		out = append(out, f.Code)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

const (
	yes = evidence.Supported
	no  = evidence.NotSupported
)

func TestAuditProfiles(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	type want struct {
		status   evidence.ProbeStatus
		versions map[string]evidence.Support // only the versions listed are checked
		suites   map[string][]string         // exact accepted sets (sorted codes)
		order    map[string][]string         // exact server preference order, where the server enforces one
		kx       map[string]string           // every accepted suite's key exchange, as "TYPE/group/bits"
		grade    grade.Grade
		forced   grade.ForcedTLS
		codes    []string // exact finding codes (sorted, unique)
		trusted  *bool
		match    *bool
	}
	tr, fa := true, false
	modernVersions := map[string]evidence.Support{evidence.SSLv2: no, evidence.SSLv3: no, evidence.TLS10: no, evidence.TLS11: no, evidence.TLS12: yes, evidence.TLS13: yes}
	goTLS13 := []string{"0x13,0x01", "0x13,0x02", "0x13,0x03"}
	tests := []struct {
		domain string
		want   want
	}{
		{"modern.example", want{status: evidence.ProbeOK, versions: modernVersions,
			suites: map[string][]string{evidence.TLS13: goTLS13},
			kx:     map[string]string{evidence.TLS13: "ECDHE/x25519/253"},
			grade:  grade.GradeA, forced: grade.ForcedTLSEligible, trusted: &tr, match: &tr}},
		{"tls12-only.example", want{status: evidence.ProbeOK,
			versions: map[string]evidence.Support{evidence.TLS10: no, evidence.TLS11: no, evidence.TLS12: yes, evidence.TLS13: no},
			grade:    grade.GradeA, forced: grade.ForcedTLSEligible, codes: []string{grade.CodeNoTLS13}, trusted: &tr, match: &tr}},
		{"legacy.example", want{status: evidence.ProbeOK,
			versions: map[string]evidence.Support{evidence.SSLv3: no, evidence.TLS10: yes, evidence.TLS11: yes, evidence.TLS12: yes, evidence.TLS13: no},
			suites: map[string][]string{evidence.TLS12: {"0x00,0x05", "0x00,0x0A", "0x00,0x2F", "0x00,0x35", "0xC0,0x13"},
				evidence.TLS10: {"0x00,0x05", "0x00,0x0A", "0x00,0x2F", "0x00,0x35", "0xC0,0x13"}},
			// Policy v3: TLS 1.0 and 1.1 cost 10 each (v2: A-).
			grade: grade.GradeC, forced: grade.ForcedTLSEligible, trusted: &tr, match: &tr,
			codes: []string{grade.CodeNoTLS13, grade.CodeTLS10Enabled, grade.CodeTLS11Enabled, grade.CodeWeakCiphers}}},
		{"self-signed.example", want{status: evidence.ProbeOK, versions: modernVersions, grade: grade.GradeC, forced: grade.ForcedTLSEligible,
			trusted: &fa, match: &tr, codes: []string{grade.CodeCertUntrusted}}},
		{"expired.example", want{status: evidence.ProbeOK, versions: modernVersions, grade: grade.GradeC, forced: grade.ForcedTLSEligible,
			trusted: &tr, match: &tr, codes: []string{grade.CodeCertExpired}}},
		{"name-mismatch.example", want{status: evidence.ProbeOK, versions: modernVersions, grade: grade.GradeAMinus, forced: grade.ForcedTLSEligible,
			trusted: &tr, match: &fa, codes: []string{grade.CodeCertNameMismatch}}},
		{"no-starttls.example", want{status: evidence.ProbeNoSTARTTLS, grade: grade.GradeF, forced: grade.ForcedTLSNotEligible,
			codes: []string{grade.CodeNoSTARTTLS}}},
		{"broken-tls.example", want{status: evidence.ProbeTLSFailed, grade: grade.GradeF, forced: grade.ForcedTLSNotEligible,
			codes: []string{grade.CodeSTARTTLSFailed}}},
		{"raw-sslv3-export.example", want{status: evidence.ProbeSessionFailed,
			versions: map[string]evidence.Support{evidence.SSLv2: no, evidence.SSLv3: yes, evidence.TLS10: yes, evidence.TLS11: no, evidence.TLS12: no, evidence.TLS13: no},
			suites:   map[string][]string{evidence.SSLv3: {"0x00,0x03", "0x00,0x04", "0x00,0x05", "0x00,0x08", "0x00,0x0A"}},
			order:    map[string][]string{evidence.SSLv3: {"0x00,0x03", "0x00,0x04", "0x00,0x05", "0x00,0x08", "0x00,0x0A"}},
			// The raw fake answers ServerHellos but completes no handshake: the
			// probe says so (session_failed), policy v3 counts no working TLS
			// (STARTTLS_FAILED, not eligible); what the ServerHellos prove stands.
			grade: grade.GradeF, forced: grade.ForcedTLSNotEligible, trusted: &tr, match: &tr,
			codes: []string{grade.CodeSSLv3Enabled, grade.CodeSTARTTLSFailed, grade.CodeTLS10Enabled, grade.CodeWeakCiphers, grade.CodeWeakDHCritical}}},
		{"raw-sslv2.example", want{status: evidence.ProbeSessionFailed,
			versions: map[string]evidence.Support{evidence.SSLv2: yes, evidence.SSLv3: yes, evidence.TLS10: yes, evidence.TLS12: no},
			suites:   map[string][]string{evidence.SSLv2: {"0x01,0x00,0x80", "0x02,0x00,0x80", "0x07,0x00,0xC0"}, evidence.SSLv3: {"0x00,0x05", "0x00,0x0A", "0x00,0x2F"}},
			grade:    grade.GradeF, forced: grade.ForcedTLSNotEligible, trusted: &tr, match: &tr,
			codes: []string{grade.CodeSSLv2Enabled, grade.CodeSSLv3Enabled, grade.CodeSTARTTLSFailed, grade.CodeTLS10Enabled,
				grade.CodeWeakCiphers, grade.CodeWeakDHCritical}}},
		{"raw-dhe1024.example", want{status: evidence.ProbeOK,
			versions: map[string]evidence.Support{evidence.SSLv3: no, evidence.TLS10: yes, evidence.TLS11: yes, evidence.TLS12: yes, evidence.TLS13: no},
			suites:   map[string][]string{evidence.TLS12: {"0x00,0x33", "0x00,0x39", "0x00,0x9E", "0x00,0x9F"}, evidence.TLS10: {"0x00,0x33", "0x00,0x39"}},
			order:    map[string][]string{evidence.TLS12: {"0x00,0x9F", "0x00,0x9E", "0x00,0x39", "0x00,0x33"}},
			kx:       map[string]string{evidence.TLS12: "DHE//1024", evidence.TLS10: "DHE//1024"},
			grade:    grade.GradeC, forced: grade.ForcedTLSEligible, trusted: &tr, match: &tr,
			codes: []string{grade.CodeNoTLS13, grade.CodeTLS10Enabled, grade.CodeTLS11Enabled, grade.CodeWeakDH}}},
		{"slow-banner.example", want{status: evidence.ProbeOK, versions: modernVersions, grade: grade.GradeA, forced: grade.ForcedTLSEligible, trusted: &tr, match: &tr}},
		{"refuse-421.example", want{status: evidence.ProbeInconclusive, grade: grade.GradeInconclusive, forced: grade.ForcedTLSUnknown,
			codes: []string{grade.CodeInconclusive}}},
		{"garbage.example", want{status: evidence.ProbeRejected, grade: grade.GradeInconclusive, forced: grade.ForcedTLSUnknown,
			codes: []string{grade.CodeInconclusive}}},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			t.Parallel()
			d := e.auditor.Domain(ctx, tt.domain)
			a := only(t, d)
			p := a.Probe
			if p == nil || p.Status != tt.want.status {
				t.Fatalf("probe status = %v, want %s (probe %+v)", p.Status, tt.want.status, p)
			}
			got := supports(p)
			for v, s := range tt.want.versions {
				if got[v] != s {
					t.Errorf("%s: %s, want %s (%s)", v, got[v], s, version(p, v).Reason)
				}
			}
			for v, want := range tt.want.suites {
				vr := version(p, v)
				if gotSet := sorted(codes(vr)); !slices.Equal(gotSet, want) {
					t.Errorf("%s suites = %v, want %v", v, gotSet, want)
				}
				if !vr.Complete {
					t.Errorf("%s enumeration not complete: %s", v, vr.Reason)
				}
			}
			for v, want := range tt.want.order {
				vr := version(p, v)
				if vr.Preference != evidence.PreferServer || !slices.Equal(codes(vr), want) {
					t.Errorf("%s order = %v (%s), want server order %v", v, codes(vr), vr.Preference, want)
				}
			}
			for v, want := range tt.want.kx {
				for _, su := range version(p, v).Suites {
					k := su.KeyExchange
					if k == nil {
						t.Errorf("%s %s: no key exchange recorded", v, su.Code)
						continue
					}
					if got := fmt.Sprintf("%s/%s/%d", k.Type, k.Group, k.Bits); got != want {
						t.Errorf("%s %s key exchange = %s, want %s", v, su.Code, got, want)
					}
				}
			}
			if tt.want.trusted != nil {
				if a.Cert == nil || a.Cert.Trusted == nil || *a.Cert.Trusted != *tt.want.trusted {
					t.Errorf("trusted = %+v, want %v", a.Cert, *tt.want.trusted)
				}
			}
			if tt.want.match != nil {
				if a.Cert == nil || a.Cert.NameMatch == nil || *a.Cert.NameMatch != *tt.want.match {
					t.Errorf("name match = %+v, want %v", a.Cert, *tt.want.match)
				}
			}
			g := grade.GradeDomain(d, grade.Default())
			if g.Grade != tt.want.grade || g.ForcedTLS != tt.want.forced {
				t.Errorf("grade %s forced %s (%s), want %s %s", g.Grade, g.ForcedTLS, g.ForcedTLSReason, tt.want.grade, tt.want.forced)
			}
			if fc := findingCodes(g); !slices.Equal(fc, tt.want.codes) {
				t.Errorf("findings = %v, want %v", fc, tt.want.codes)
			}
		})
	}
}

// vulnProbeConnections is the most the known-vulnerability probes cost an
// address: STARTTLS injection 1, the compression/renegotiation/heartbeat
// hello 1, CCS injection 1, ROBOT 3 (only with RSA key exchange),
// client-initiated renegotiation 1 (only with TLS 1.2).
const vulnProbeConnections = 7

// noSNIConnections is the handshake without a server name that collects the
// certificate senders sending no SNI get.
const noSNIConnections = 1

// TestConnectionBudget holds the scanner to its promise: on a server that
// accepts 12 suites over TLS 1.2 and 1.3 (RSA key exchange among them), a
// full audit makes at most accepted suites + versions tested + 4
// connections, plus the vulnerability probes.
func TestConnectionBudget(t *testing.T) {
	e := start(t, nil)
	d := e.auditor.Domain(context.Background(), "modern-12.example")
	a := only(t, d)
	accepted := 0
	for _, v := range a.Probe.Versions {
		accepted += len(v.Suites)
	}
	if accepted != 12 {
		t.Fatalf("accepted %d suites, want 12: %+v", accepted, a.Probe.Versions)
	}
	used := a.Probe.Connections + a.Cert.Connections
	budget := accepted + len(evidence.Versions) + 4 + vulnProbeConnections + noSNIConnections
	if used > budget {
		t.Fatalf("%d connections, budget %d", used, budget)
	}
	if got := e.auditor.Connections(a.IP); got != used {
		t.Fatalf("limiter counted %d connections, evidence says %d", got, used)
	}
	st := e.fleet.Servers[a.IP].Stats()
	if st.Connections != used {
		t.Fatalf("server saw %d connections, evidence says %d", st.Connections, used)
	}
	// The probes that need a whole session ran through the SMTP path: the
	// fake is crypto/tls, which answers a renegotiation ClientHello with
	// unexpected_message and discards what came with STARTTLS.
	if v := a.Probe.Vulns; v == nil || v.ClientRenegotiation.Status != evidence.VulnNotVulnerable || v.ClientRenegotiation.Connections != 1 ||
		v.STARTTLSInjection.Status != evidence.VulnNotVulnerable {
		t.Errorf("vulnerability checks: %+v", v)
	}
	t.Logf("modern-12: %d connections for %d accepted suites (budget %d)", used, accepted, budget)
}

// TestSharedAddressProbedOnce checks the dedupe and the politeness rules:
// three domains on one pool cost one probe per address, one certificate
// check per (address, other MX name), never more than --per-host at once,
// and never MAIL, RCPT or DATA.
func TestSharedAddressProbedOnce(t *testing.T) {
	e := start(t, func(c *audit.Config) { c.PerHost = 1 })
	ctx := context.Background()
	done := make(chan *evidence.Domain, 3)
	for _, n := range []string{"one", "two", "three"} {
		go func() { done <- e.auditor.Domain(ctx, n+".pool-tenant.example") }()
	}
	var first *evidence.Domain
	for i := 0; i < 3; i++ {
		d := <-done
		if len(d.Hosts) != 2 || len(d.Hosts[0].Addresses) != 2 {
			t.Fatalf("%s: hosts = %+v", d.Domain, d.Hosts)
		}
		if first == nil {
			first = d
		}
	}
	for _, suffix := range []string{"2.100", "2.101"} {
		ip := e.ip(suffix)
		st := e.fleet.Servers[ip].Stats()
		// One probe (its first connection checks mx1's certificate) plus one
		// certificate check for mx2: the probe's connections + 1.
		var probeConns int
		for _, h := range first.Hosts {
			for _, a := range h.Addresses {
				if a.IP == ip {
					probeConns = a.Probe.Connections
				}
			}
		}
		if st.Connections != probeConns+1 {
			t.Errorf("%s: server saw %d connections, want one probe (%d) + one certificate check", ip, st.Connections, probeConns)
		}
		// The server may still be tearing down a closed connection when the
		// next one arrives, so its own count can overlap; ours cannot.
		if peak := e.auditor.PeakConnections(ip); peak != 1 {
			t.Errorf("%s: %d connections at once with --per-host 1", ip, peak)
		}
		for _, verb := range []string{"MAIL", "RCPT", "DATA"} {
			if st.Commands[verb] != 0 {
				t.Errorf("%s: scanner sent %s", ip, verb)
			}
		}
		if st.Commands["QUIT"] == 0 {
			t.Errorf("%s: scanner never sent QUIT", ip)
		}
	}
}

func TestDNSCases(t *testing.T) {
	e := start(t, nil)
	ctx := context.Background()
	t.Run("null MX", func(t *testing.T) {
		d := e.auditor.Domain(ctx, "null.example")
		g := grade.GradeDomain(d, grade.Default())
		if d.MX.Kind != evidence.MXNull || len(d.Hosts) != 0 || g.Grade != grade.GradeNA {
			t.Fatalf("kind %s hosts %d grade %s", d.MX.Kind, len(d.Hosts), g.Grade)
		}
	})
	t.Run("implicit MX", func(t *testing.T) {
		d := e.auditor.Domain(ctx, "implicit.example")
		if d.MX.Kind != evidence.MXImplicit || len(d.Hosts) != 1 || !d.Hosts[0].Implicit || d.Hosts[0].Name != "implicit.example" {
			t.Fatalf("mx = %+v hosts = %+v", d.MX, d.Hosts)
		}
		a := only(t, d)
		if a.Probe.Status != evidence.ProbeOK || a.Cert == nil || a.Cert.NameMatch == nil || *a.Cert.NameMatch {
			t.Fatalf("implicit host probe %s, cert %+v: the certificate names mx.tls12-only.example, not implicit.example", a.Probe.Status, a.Cert)
		}
	})
	t.Run("nxdomain", func(t *testing.T) {
		d := e.auditor.Domain(ctx, "does-not-exist.example")
		g := grade.GradeDomain(d, grade.Default())
		if d.MX.Lookup.Status != evidence.DNSNXDomain || g.Grade != grade.GradeF {
			t.Fatalf("status %s grade %s", d.MX.Lookup.Status, g.Grade)
		}
	})
	t.Run("servfail is inconclusive", func(t *testing.T) {
		e.fleet.DNS().ServFail("servfail.example")
		d := e.auditor.Domain(ctx, "servfail.example")
		g := grade.GradeDomain(d, grade.Default())
		if d.MX.Kind != evidence.MXError || g.Grade != grade.GradeInconclusive {
			t.Fatalf("kind %s grade %s", d.MX.Kind, g.Grade)
		}
	})
}

// TestTarpitIsBounded: a server that accepts and never speaks costs at most
// the configured timeouts, and is inconclusive, not "no TLS".
func TestTarpitIsBounded(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.3.7:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // hold the connection open, say nothing
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	sc, err := smtp.New(smtp.Config{Port: port, EHLOName: "scanner.mxaudit.test", ConnectTimeout: time.Second,
		BannerTimeout: 300 * time.Millisecond, CommandTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.New(audit.Config{Resolver: staticResolver{"tarpit.example": "127.0.3.7"}, SMTP: sc, Port: port,
		Verifier: &certs.Verifier{}, Retries: 1, RetryBackoff: 10 * time.Millisecond, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	d := a.Domain(context.Background(), "tarpit.example")
	p := only(t, d).Probe
	if p.Status != evidence.ProbeInconclusive || p.Error == nil || p.Error.Kind != evidence.ErrTimeout || p.Retries != 1 {
		t.Fatalf("probe = %+v", p)
	}
	if g := grade.GradeDomain(d, grade.Default()); g.Grade != grade.GradeInconclusive {
		t.Fatalf("grade %s, want ?", g.Grade)
	}
}

// staticResolver maps a domain to one MX host (itself) with one address.
type staticResolver map[string]string

func (s staticResolver) Domain(_ context.Context, domain string) (evidence.MXLookup, []evidence.Host) {
	return evidence.MXLookup{Kind: evidence.MXExplicit, Records: []evidence.MXRecord{{Preference: 0, Host: domain}}},
		[]evidence.Host{{Name: domain, Addresses: []evidence.Address{{IP: s[domain]}}}}
}

func TestPostureCollected(t *testing.T) {
	e := start(t, func(c *audit.Config) {
		c.Posture = true
		c.DKIMSelectors = func(domain string) []string {
			if domain == "null.example" {
				return []string{"s1"}
			}
			return nil
		}
	})
	ctx := context.Background()
	null := e.auditor.Domain(ctx, "null.example")
	if null.SPF == nil || null.SPF.Status != evidence.SPFValid || null.SPF.All != "-all" {
		t.Fatalf("null MX domain: spf %+v", null.SPF)
	}
	if null.DMARC == nil || null.DMARC.Status != evidence.DMARCValid || null.DMARC.Policy != "reject" {
		t.Fatalf("null MX domain: dmarc %+v", null.DMARC)
	}
	if len(null.DKIM) != 1 || null.DKIM[0].Selector != "s1" || null.DKIM[0].Status != evidence.DKIMMissing {
		t.Fatalf("null MX domain: dkim %+v", null.DKIM)
	}
	other := e.auditor.Domain(ctx, "modern.example")
	if other.SPF == nil || other.SPF.Status != evidence.SPFMissing || other.DMARC == nil || other.DMARC.Status != evidence.DMARCMissing {
		t.Fatalf("domain without records: spf %+v dmarc %+v", other.SPF, other.DMARC)
	}
	if other.DKIM != nil {
		t.Errorf("no selectors, yet dkim %+v", other.DKIM)
	}
	off := start(t, nil).auditor.Domain(ctx, "null.example")
	if off.SPF != nil || off.DMARC != nil {
		t.Errorf("posture off, yet checked: %+v %+v", off.SPF, off.DMARC)
	}
}
