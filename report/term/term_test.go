package term

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report/reporttest"
	"github.com/mxaudit/mxaudit/templates"
)

var (
	fixtureOnce sync.Once
	fixture     map[string]db.StoredDomain
	fixtureErr  error
)

// stored audits the report fixture fleet once per test binary and returns
// the second run's domains by name: real evidence, hostile banner included.
func stored(t *testing.T) map[string]db.StoredDomain {
	t.Helper()
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mxaudit-term-")
		if err != nil {
			fixtureErr = err
			return
		}
		defer os.RemoveAll(dir)
		path, _, run2, err := reporttest.Build(dir)
		if err != nil {
			fixtureErr = err
			return
		}
		store, err := db.Open(context.Background(), path)
		if err != nil {
			fixtureErr = err
			return
		}
		defer store.Close()
		all, err := store.DomainResults(context.Background(), run2)
		if err != nil {
			fixtureErr = err
			return
		}
		fixture = map[string]db.StoredDomain{}
		for _, s := range all {
			fixture[s.Domain] = s
		}
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return fixture
}

func render(t *testing.T, domain string, opt Options) string {
	t.Helper()
	s, ok := stored(t)[domain]
	if !ok {
		t.Fatalf("%s not in the fixture", domain)
	}
	return renderStored(t, s, opt)
}

func renderStored(t *testing.T, s db.StoredDomain, opt Options) string {
	t.Helper()
	texts, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Render(&buf, s.Evidence, s.Grade, texts, opt); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func wantLines(t *testing.T, out string, patterns ...string) {
	t.Helper()
	for _, pat := range patterns {
		if !regexp.MustCompile(pat).MatchString(out) {
			t.Errorf("output lacks a line matching %q:\n%s", pat, out)
		}
	}
}

func TestVerboseShowsSuitesInServerOrder(t *testing.T) {
	t.Parallel()
	out := render(t, "acme-billing.example", Options{Verbose: true})
	// Month 2 of the fixture: SSLv3 and TLS 1.0 with export, RC4, DES and
	// 3DES, from a raw fake that completes no handshake (policy v3 says so).
	wantLines(t, out,
		`(?m)^    SSLv2 +no \(alert fatal protocol_version \(70\)\)$`, // the refusal's alert, named and numbered
		`(?m)^    TLSv1\.3 +no \(alert fatal protocol_version \(70\)\)$`,
		`(?m)^    SSLv3 +yes, 5 suites in the server's order; chosen in a ServerHello, handshake never completed$`,
		`(?m)^    TLSv1\.0 +yes, 5 suites in the server's order; chosen in a ServerHello, handshake never completed$`,
		`(?m)^    TLSv1\.2 +no$`,
		`(?m)^      0x00,0x03 +TLS_RSA_EXPORT_WITH_RC4_40_MD5 +40 bits +RSA_EXPORT 512 bits +export rc4 md5 <128-bit no-fs$`,
		`(?m)^      0x00,0x0A +TLS_RSA_WITH_3DES_EDE_CBC_SHA +168 bits +- +3des no-fs cbc$`,
		`(?m)^    Banner: 220 `,
		`(?m)^    Certificate: mx\.acme-billing\.example; SAN mx\.acme-billing\.example; issuer `,
		`(?m)^      trusted: yes; name matches the MX: yes$`,
	)
	// The server's order is the fake's configured order.
	order := regexp.MustCompile(`(?m)^      (0x[0-9A-F]{2},0x[0-9A-F]{2}) `).FindAllStringSubmatch(out, -1)
	var got []string
	for _, m := range order[:5] {
		got = append(got, m[1])
	}
	if want := "0x00,0x03 0x00,0x04 0x00,0x05 0x00,0x08 0x00,0x0A"; strings.Join(got, " ") != want {
		t.Errorf("SSLv3 suites in order %v, want %s", got, want)
	}
	if plain := render(t, "acme-billing.example", Options{}); strings.Contains(plain, "0x00,0x03") || strings.Contains(plain, "Per address") {
		t.Errorf("suites listed without --verbose:\n%s", plain)
	}
}

func TestVerboseShowsKeyExchange(t *testing.T) {
	t.Parallel()
	out := render(t, "xn--and-6ma2c.example", Options{Verbose: true})
	wantLines(t, out,
		`(?m)^    TLSv1\.2 +yes, 4 suites`,
		`(?m)^      0x00,0x9F +TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 +256 bits +DHE 1024 bits +aead$`,
	)
}

func TestCertificateProblemsAreNamed(t *testing.T) {
	t.Parallel()
	out := render(t, "crux-labs.example", Options{Verbose: true})
	// The fleet's expired certificate ended ten days (and the test's few
	// seconds) before the audit: DaysToExpiry is -11, the days since 10.
	wantLines(t, out, `(?m)^      RSA 2048, ECDSA-SHA256; valid until \d{4}-\d\d-\d\d \(expired 10 days ago\)$`,
		`(?m)^      trusted: yes \(the chain, at the leaf's dates\); name matches the MX: yes$`)
	out = render(t, "hostile.example", Options{Verbose: true})
	wantLines(t, out, `(?m)^      trusted: no \(self-signed\); name matches the MX: yes$`)
}

// TestRemoteTextIsEscaped: the hostile server's banner carries a terminal
// escape; no output mode may pass it through, and with colour on the only
// escapes are our own SGR codes.
func TestRemoteTextIsEscaped(t *testing.T) {
	t.Parallel()
	for _, opt := range []Options{{}, {Verbose: true}, {Verbose: true, Color: true}} {
		for domain := range stored(t) {
			out := render(t, domain, opt)
			if !opt.Color && strings.ContainsRune(out, 0x1b) {
				t.Errorf("%s %+v: escape in the output:\n%q", domain, opt, out)
			}
			stripped := regexp.MustCompile(`\x1b\[[0-9;]*m`).ReplaceAllString(out, "")
			if strings.ContainsRune(stripped, 0x1b) {
				t.Errorf("%s %+v: escape other than a colour code:\n%q", domain, opt, out)
			}
		}
	}
	out := render(t, "hostile.example", Options{Verbose: true})
	wantLines(t, out, regexp.QuoteMeta(`Banner: 220 =HYPERLINK("http://evil.example","click") \x1b[2J ESMTP / +cmd|' /C calc'!A0`))
}

// TestCertNameColumnShowsTheMatchedName: the column shows the name that
// matched the MX host, not the leaf's common name.
func TestCertNameColumnShowsTheMatchedName(t *testing.T) {
	t.Parallel()
	s := stored(t)["acme-health.example"]
	ev := *s.Evidence
	ev.Hosts = slices.Clone(ev.Hosts)
	h := &ev.Hosts[0]
	h.Addresses = slices.Clone(h.Addresses)
	cert := *h.Addresses[0].Cert
	cert.Chain = slices.Clone(cert.Chain)
	cert.Chain[0].CommonName = "cn-only.example"
	h.Addresses[0].Cert = &cert
	if cert.MatchedBy != "mx.acme-health.example" {
		t.Fatalf("fixture: matched by %q", cert.MatchedBy)
	}
	out := renderStored(t, db.StoredDomain{Domain: s.Domain, Evidence: &ev, Grade: s.Grade}, Options{})
	wantLines(t, out, `(?m)^  10 +mx\.acme-health\.example +127\.\d+\.\d+\.\d+ +mx\.acme-health\.example +yes`)
	if strings.Contains(out, "cn-only") {
		t.Errorf("the column shows the common name, not the matched name:\n%s", out)
	}
	// Without a match, the column falls back to the common name.
	cert.MatchedBy = ""
	out = renderStored(t, db.StoredDomain{Domain: s.Domain, Evidence: &ev, Grade: s.Grade}, Options{})
	wantLines(t, out, `(?m)^  10 +mx\.acme-health\.example +127\.\d+\.\d+\.\d+ +cn-only\.example +yes`)
}

// TestSharedAddressPrintedOnce: an address under two MX hosts was probed
// once; its suites are listed once, its certificate check for each name.
func TestSharedAddressPrintedOnce(t *testing.T) {
	t.Parallel()
	s := stored(t)["acme-billing.example"]
	ev := *s.Evidence
	second := ev.Hosts[0]
	second.Name, second.Preference = "mx2.acme-billing.example", 20
	second.Addresses = slices.Clone(second.Addresses)
	cert := *second.Addresses[0].Cert
	cert.Name, cert.MatchedBy, cert.NameMatch = second.Name, "", new(bool)
	second.Addresses[0].Cert = &cert
	ev.Hosts = append(slices.Clone(ev.Hosts), second)
	ev.MX.Records = append(slices.Clone(ev.MX.Records), evidence.MXRecord{Preference: 20, Host: second.Name})
	g := grade.GradeDomain(&ev, grade.Default())
	if len(g.MX) != 2 {
		t.Fatalf("graded %d MX, want 2", len(g.MX))
	}
	out := renderStored(t, db.StoredDomain{Domain: s.Domain, Evidence: &ev, Grade: &g}, Options{Verbose: true})
	wantLines(t, out,
		`(?m)^  mx2\.acme-billing\.example 127\.\d+\.\d+\.\d+  grade F$`,
		`(?m)^    Probe: the same server as under mx\.acme-billing\.example above$`,
		`(?m)^      trusted: yes; name matches the MX: no$`,
	)
	if n := strings.Count(out, "0x00,0x03 "); n != 2 { // once for SSLv3, once for TLS 1.0
		t.Errorf("the shared address's suites are listed %d times, want 2:\n%s", n, out)
	}
	if n := strings.Count(out, "    Certificate: "); n != 2 {
		t.Errorf("%d certificate blocks, want one per MX name:\n%s", n, out)
	}
}

// TestVerboseExplainsGrades: scan -v prints beside every grade how it came
// about; the SSLv3 server's line names the SSLv3 deduction with its points.
func TestVerboseExplainsGrades(t *testing.T) {
	t.Parallel()
	out := render(t, "acme-billing.example", Options{Verbose: true})
	wantLines(t, out,
		`(?m)^  Domain grade F: worst of its MX hosts: mx\.acme-billing\.example is F$`,
		// The raw fake completes no handshake: policy v3 caps it at F.
		`(?m)^    Why: 100 − 35 SSLv3 [^=]*= \d+; STARTTLS fails \(this address\) → F`,
	)
}

func TestSenderAuthentication(t *testing.T) {
	out := render(t, "acme-billing.example", Options{})
	wantLines(t, out,
		`(?m)^  SPF: valid ~all, 2 DNS lookups$`,
		`(?m)^  DMARC: p=quarantine pct=50; unauthorised report destinations: reports.example$`,
		`(?m)^  Sender authentication: moderate \(SPF ~all and DMARC p=quarantine \(pct=50, sp=none\)\)$`,
		`(?m)^  BOD 18-01: fail$`,
		`(?m)^    fail DMARC policy p=reject: p=quarantine, not reject$`,
		`(?m)^  NIST SP 800-177r1: `)
	hostile := render(t, "hostile.example", Options{})
	if strings.Contains(hostile, "\x1b[2J") {
		t.Errorf("a terminal escape from a DNS record reached the output")
	}
	wantLines(t, hostile, `(?m)^  SPF: permerror \(`)
	none := render(t, "bolt-bank.example", Options{})
	wantLines(t, none, `(?m)^  SPF: missing \(`, `(?m)^  DMARC: missing \(`, `(?m)^  Sender authentication: none `)
}

// TestVerboseShowsEveryCertificateVulnerabilitiesAndWaivers: scan -v prints
// each certificate a sender can be given, the known-vulnerability probes
// with their CVE (what the probe saw when it found the flaw), and the
// DANE-EE waiver next to the finding it waives.
func TestVerboseShowsEveryCertificateVulnerabilitiesAndWaivers(t *testing.T) {
	t.Parallel()
	s := stored(t)["crux-labs.example"]
	// An edited copy: the fixture fleet has one certificate per server and
	// no vulnerable one.
	raw, err := json.Marshal(s.Evidence)
	if err != nil {
		t.Fatal(err)
	}
	ev := new(evidence.Domain)
	if err := json.Unmarshal(raw, ev); err != nil {
		t.Fatal(err)
	}
	var addr *evidence.Address
	for hi := range ev.Hosts {
		for ai := range ev.Hosts[hi].Addresses {
			if a := &ev.Hosts[hi].Addresses[ai]; a.Cert != nil && a.Probe != nil {
				addr = a
			}
		}
	}
	if addr == nil {
		t.Fatal("no probed address with a certificate in the fixture domain")
	}
	other := *addr.Cert
	other.Via = "ECDSA key, in TLSv1.2 hellos"
	addr.OtherCerts = append(addr.OtherCerts, other)
	if addr.Probe.Vulns == nil {
		addr.Probe.Vulns = &evidence.Vulns{}
	}
	addr.Probe.Vulns.Heartbleed = evidence.VulnCheck{Status: evidence.VulnVulnerable, Detail: "answered 16384 bytes to a 3-byte request"}
	g := *s.Grade
	g.Findings = append([]grade.Finding{{Code: "CERT_EXPIRED", Severity: grade.High, Domain: ev.Domain, Waived: grade.WaivedDANEEE}}, g.Findings...)
	out := renderStored(t, db.StoredDomain{Domain: s.Domain, Evidence: ev, Grade: &g}, Options{Verbose: true})
	wantLines(t, out,
		`(?m)^    Also presented \(ECDSA key, in TLSv1\.2 hellos\):$`,
		`(?m)^    Known vulnerabilities:$`,
		`(?m)^      Heartbleed \(CVE-2014-0160\): vulnerable: answered 16384 bytes to a 3-byte request$`,
		`(?m)^      waived for the grade: a DANE-EE record .*RFC 7672 §3\.1\.1\)$`,
	)
	if n := strings.Count(out, "    Certificate: "); n < 2 {
		t.Errorf("%d certificates printed, want the primary and the other one:\n%s", n, out)
	}
}
