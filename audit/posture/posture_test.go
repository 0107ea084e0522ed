package posture

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/resolve"
	"github.com/mxaudit/mxaudit/audit/resolve/dnstest"
)

// fixtureZone holds one domain per case. Names are under .test (RFC 2606),
// which the Public Suffix List does not know, so "x.test" is an
// organisational domain like "x.com".
const fixtureZone = `$ORIGIN test.
$TTL 300
ok              IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
ok              IN TXT "google-site-verification=abc"
ok              IN MX 10 mx.ok.test.
mx.ok           IN A 192.0.2.1
_dmarc.ok       IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@ok.test; pct=100"

two             IN TXT "v=spf1 -all"
two             IN TXT "v=spf1 ip4:192.0.2.1 -all"

plusall         IN TXT "v=spf1 +all"
qall            IN TXT "v=spf1 mx ?all"
qall            IN MX 10 mx.ok.test.
split           IN TXT "v=spf1 ip4:192.0.2.1" " ~all"
bad             IN TXT "v=spf1 ip4:192.0.2.300 -all"
unknownmech     IN TXT "v=spf1 foo:bar -all"

redir           IN TXT "v=spf1 redirect=_spf.provider.test"
_spf.provider   IN TXT "v=spf1 ip4:198.51.100.0/24 include:_net.provider.test ~all"
_net.provider   IN TXT "v=spf1 ip6:2001:db8::/32 -all"
redirall        IN TXT "v=spf1 -all redirect=_spf.provider.test"

loop            IN TXT "v=spf1 include:loop2.test -all"
loop2           IN TXT "v=spf1 include:loop.test -all"

void            IN TXT "v=spf1 a:gone1.test a:gone2.test exists:gone3.test -all"
noinc           IN TXT "v=spf1 include:nothing.test -all"

ptr             IN TXT "v=spf1 ptr -all"
ptr             IN A 192.0.2.9
macro           IN TXT "v=spf1 exists:%{i}._spf.macro.test -all"

nullmx          IN MX 0 .
nullmx          IN TXT "v=spf1 -all"
_dmarc.nullmx   IN TXT "v=DMARC1; p=reject; rua=mailto:d@nullmx.test"

dmarcbad        IN TXT "v=spf1 -all"
_dmarc.dmarcbad IN TXT "v=DMARC1; p=rejected; pct=150; adkim=x"
dmarcnop        IN TXT "v=spf1 -all"
_dmarc.dmarcnop IN TXT "v=DMARC1; rua=mailto:d@dmarcnop.test"
dmarctwo        IN TXT "v=spf1 -all"
_dmarc.dmarctwo IN TXT "v=DMARC1; p=none"
_dmarc.dmarctwo IN TXT "v=DMARC1; p=reject"
weaksp          IN TXT "v=spf1 -all"
_dmarc.weaksp   IN TXT "v=DMARC1; p=reject; sp=none; pct=50; fo=1:d; ri=3600; aspf=s; adkim=s; ruf=mailto:f@weaksp.test"

ext             IN TXT "v=spf1 -all"
_dmarc.ext      IN TXT "v=DMARC1; p=quarantine; rua=mailto:a@reports.test,mailto:b@rogue.test!10m, mailto:c@ext.test"
ext.test._report._dmarc.reports IN TXT "v=DMARC1"

parent          IN TXT "v=spf1 -all"
_dmarc.parent   IN TXT "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@parent.test"
mail.parent     IN MX 10 mx.ok.test.

dkim            IN TXT "v=spf1 -all"
`

const answerTimeout = 2 * time.Second

// fixture starts the zone plus extra records and returns a resolver for it.
func fixture(t *testing.T, extra ...string) (*resolve.Resolver, *dnstest.Server) {
	t.Helper()
	s, err := dnstest.StartZone("127.0.0.1:0", fixtureZone+strings.Join(extra, "\n")+"\n")
	if err != nil {
		t.Fatalf("StartZone: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	r, err := resolve.New(resolve.Config{Servers: []string{s.Addr()}, Timeout: answerTimeout, DNSSEC: resolve.DNSSECOff})
	if err != nil {
		t.Fatalf("resolve.New: %v", err)
	}
	return r, s
}

// chainZone returns records for a domain whose SPF includes n providers
// one after another, each costing one lookup.
func chainZone(name string, n int) string {
	var b strings.Builder
	var incs []string
	for i := range n {
		incs = append(incs, fmt.Sprintf("include:p%d.%s.test", i, name))
		fmt.Fprintf(&b, "p%d.%s.test. IN TXT \"v=spf1 ip4:192.0.2.%d -all\"\n", i, name, i)
	}
	fmt.Fprintf(&b, "%s.test. IN TXT \"v=spf1 %s -all\"\n", name, strings.Join(incs, " "))
	return b.String()
}

func TestCheckSPF(t *testing.T) {
	r, _ := fixture(t, chainZone("ten", 10), chainZone("eleven", 11))
	cases := []struct {
		domain  string
		status  evidence.SPFStatus
		all     string
		lookups int
		voids   int
		reason  string // substring of Reason
		warn    string // substring of one warning
	}{
		{domain: "ok.test", status: evidence.SPFValid, all: "-all"},
		{domain: "two.test", status: evidence.SPFPermError, reason: "2 records begin with v=spf1"},
		{domain: "plusall.test", status: evidence.SPFValid, all: "+all"},
		{domain: "qall.test", status: evidence.SPFValid, all: "?all", lookups: 1},
		{domain: "split.test", status: evidence.SPFValid, all: "~all"},
		{domain: "bad.test", status: evidence.SPFPermError, reason: "invalid address"},
		{domain: "unknownmech.test", status: evidence.SPFPermError, reason: "unknown mechanism"},
		{domain: "redir.test", status: evidence.SPFValid, all: "~all", lookups: 2},
		{domain: "redirall.test", status: evidence.SPFValid, all: "-all", warn: "redirect is ignored"},
		{domain: "loop.test", status: evidence.SPFPermError, reason: "include loop: loop.test -> loop2.test -> loop.test", all: "-all", lookups: 2},
		{domain: "void.test", status: evidence.SPFPermError, all: "-all", voids: 3, lookups: 3, reason: "3 lookups found no record"},
		{domain: "noinc.test", status: evidence.SPFPermError, all: "-all", voids: 1, lookups: 1, reason: "include:nothing.test names a domain without an SPF record"},
		{domain: "ptr.test", status: evidence.SPFValid, all: "-all", lookups: 1, warn: "ptr"},
		{domain: "macro.test", status: evidence.SPFValid, all: "-all", lookups: 1, warn: "uses macros"},
		{domain: "ten.test", status: evidence.SPFValid, all: "-all", lookups: 10},
		{domain: "eleven.test", status: evidence.SPFPermError, all: "-all", lookups: 11, reason: "11 DNS-lookup terms"},
		{domain: "nothing.test", status: evidence.SPFMissing, reason: "NXDOMAIN"},
		{domain: "mx.ok.test", status: evidence.SPFMissing, reason: "no TXT record"},
	}
	for _, c := range cases {
		t.Run(c.domain, func(t *testing.T) {
			got := CheckSPF(context.Background(), r, c.domain, DefaultMaxQueries)
			if got.Status != c.status {
				t.Fatalf("status %q (reason %q), want %q", got.Status, got.Reason, c.status)
			}
			if got.All != c.all {
				t.Errorf("all %q, want %q", got.All, c.all)
			}
			if got.Lookups != c.lookups {
				t.Errorf("lookups %d, want %d", got.Lookups, c.lookups)
			}
			if got.VoidLookups != c.voids {
				t.Errorf("void lookups %d, want %d", got.VoidLookups, c.voids)
			}
			if !strings.Contains(got.Reason, c.reason) {
				t.Errorf("reason %q, want it to contain %q", got.Reason, c.reason)
			}
			if c.warn != "" && !slices.ContainsFunc(got.Warnings, func(w string) bool { return strings.Contains(w, c.warn) }) {
				t.Errorf("warnings %q, want one with %q", got.Warnings, c.warn)
			}
		})
	}
}

func TestCheckSPFRedirectTree(t *testing.T) {
	r, _ := fixture(t)
	got := CheckSPF(context.Background(), r, "redir.test", DefaultMaxQueries)
	want := []evidence.SPFInclude{
		{Term: "redirect", Domain: "_spf.provider.test", From: "redir.test", Status: evidence.DNSOK,
			Record: "v=spf1 ip4:198.51.100.0/24 include:_net.provider.test ~all"},
		{Term: "include", Domain: "_net.provider.test", From: "_spf.provider.test", Status: evidence.DNSOK,
			Record: "v=spf1 ip6:2001:db8::/32 -all"},
	}
	if !slices.Equal(got.Includes, want) {
		t.Fatalf("includes %+v\nwant %+v", got.Includes, want)
	}
}

func TestCheckSPFTempError(t *testing.T) {
	r, s := fixture(t)
	s.ServFail("ok.test.")
	if got := CheckSPF(context.Background(), r, "ok.test", DefaultMaxQueries); got.Status != evidence.SPFTempError {
		t.Fatalf("servfail: status %q, want temperror", got.Status)
	}
	s.ServFail("_net.provider.test.")
	got := CheckSPF(context.Background(), r, "redir.test", DefaultMaxQueries)
	if got.Status != evidence.SPFTempError || !strings.Contains(got.Reason, "_net.provider.test") {
		t.Fatalf("servfail in an include: status %q reason %q", got.Status, got.Reason)
	}
}

func TestCheckSPFBudget(t *testing.T) {
	r, s := fixture(t, chainZone("many", 30))
	before := s.Queries()
	got := CheckSPF(context.Background(), r, "many.test", 5)
	if !got.Truncated {
		t.Errorf("not marked truncated")
	}
	// One question for the domain and five of the budget.
	if n := s.Queries() - before; n != 6 {
		t.Errorf("%d questions asked, want 6", n)
	}
	if got.Status != evidence.SPFPermError || got.Lookups != 30 {
		t.Errorf("status %q lookups %d, want permerror with the 30 terms counted", got.Status, got.Lookups)
	}
}

func TestCheckSPFDeadline(t *testing.T) {
	r, s := fixture(t)
	s.Drop("_spf.provider.test.")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	got := CheckSPF(ctx, r, "redir.test", DefaultMaxQueries)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v past a 300ms deadline", d)
	}
	if got.Status != evidence.SPFTempError {
		t.Errorf("status %q, want temperror", got.Status)
	}
}

func TestCheckDMARC(t *testing.T) {
	r, _ := fixture(t)
	cases := []struct {
		domain       string
		status       evidence.DMARCStatus
		policy, sp   string
		policyDomain string
		pct          int
		unauth       []string
		auth         []string
		reason       string
	}{
		{domain: "ok.test", status: evidence.DMARCValid, policy: "reject", sp: "reject", policyDomain: "ok.test", pct: 100},
		{domain: "nothing.test", status: evidence.DMARCMissing, reason: "no DMARC record"},
		{domain: "dmarcbad.test", status: evidence.DMARCInvalid, policyDomain: "dmarcbad.test", pct: 100,
			reason: "p=rejected is not none, quarantine or reject; pct=150"},
		{domain: "dmarcnop.test", status: evidence.DMARCInvalid, policy: "none", sp: "none", policyDomain: "dmarcnop.test", pct: 100,
			reason: "apply it as p=none"},
		{domain: "dmarctwo.test", status: evidence.DMARCInvalid, policyDomain: "dmarctwo.test", reason: "2 records begin with v=DMARC1"},
		{domain: "weaksp.test", status: evidence.DMARCValid, policy: "reject", sp: "none", policyDomain: "weaksp.test", pct: 50},
		{domain: "ext.test", status: evidence.DMARCValid, policy: "quarantine", sp: "quarantine", policyDomain: "ext.test", pct: 100,
			auth: []string{"reports.test"}, unauth: []string{"rogue.test"}},
		{domain: "mail.parent.test", status: evidence.DMARCValid, policy: "reject", sp: "quarantine", policyDomain: "parent.test", pct: 100},
	}
	for _, c := range cases {
		t.Run(c.domain, func(t *testing.T) {
			got := CheckDMARC(context.Background(), r, c.domain)
			if got.Status != c.status {
				t.Fatalf("status %q (reason %q), want %q", got.Status, got.Reason, c.status)
			}
			if got.Policy != c.policy || got.SubdomainPolicy != c.sp {
				t.Errorf("p=%q sp=%q, want %q %q", got.Policy, got.SubdomainPolicy, c.policy, c.sp)
			}
			if got.PolicyDomain != c.policyDomain {
				t.Errorf("policy domain %q, want %q", got.PolicyDomain, c.policyDomain)
			}
			if c.pct != 0 && (got.PCT == nil || *got.PCT != c.pct) {
				t.Errorf("pct %v, want %d", got.PCT, c.pct)
			}
			if !strings.Contains(got.Reason, c.reason) {
				t.Errorf("reason %q, want %q in it", got.Reason, c.reason)
			}
			var auth, unauth []string
			for _, d := range got.Destinations {
				switch d.Auth {
				case evidence.DestAuthorized:
					auth = append(auth, d.Domain)
				case evidence.DestUnauthorized:
					unauth = append(unauth, d.Domain)
				}
			}
			if !slices.Equal(auth, c.auth) || !slices.Equal(unauth, c.unauth) {
				t.Errorf("authorised %q unauthorised %q, want %q %q", auth, unauth, c.auth, c.unauth)
			}
		})
	}
}

func TestCheckDMARCFallbackAsked(t *testing.T) {
	r, _ := fixture(t)
	got := CheckDMARC(context.Background(), r, "mail.parent.test")
	if got.OrgTXT == nil || got.OrgTXT.Name != "_dmarc.parent.test" || got.OrgDomain != "parent.test" {
		t.Fatalf("org lookup %+v, org domain %q", got.OrgTXT, got.OrgDomain)
	}
	if got.TXT.Status != evidence.DNSNXDomain {
		t.Errorf("own lookup %q, want nxdomain", got.TXT.Status)
	}
	own := CheckDMARC(context.Background(), r, "ok.test")
	if own.OrgTXT != nil {
		t.Errorf("an organisational domain with its own record asked again: %+v", own.OrgTXT)
	}
}

func TestCheckDMARCTempError(t *testing.T) {
	r, s := fixture(t)
	s.ServFail("_dmarc.ok.test.")
	if got := CheckDMARC(context.Background(), r, "ok.test"); got.Status != evidence.DMARCTempError {
		t.Fatalf("status %q, want temperror", got.Status)
	}
}

func TestOrgDomain(t *testing.T) {
	for in, want := range map[string]string{
		"mail.example.com":      "example.com",
		"example.com":           "example.com",
		"a.b.example.co.uk":     "example.co.uk",
		"Example.COM.":          "example.com",
		"com":                   "com",
		"x.y.vendor.test":       "vendor.test",
		"foo.blogspot.com":      "foo.blogspot.com",
		"mail.foo.blogspot.com": "foo.blogspot.com",
	} {
		if got := OrgDomain(in); got != want {
			t.Errorf("OrgDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

// keyRecord returns a DKIM key record for pub.
func keyRecord(t *testing.T, k string, der []byte) string {
	t.Helper()
	b64 := base64.StdEncoding.EncodeToString(der)
	// TXT strings hold at most 255 bytes: split like signers do.
	var parts []string
	rec := "v=DKIM1; k=" + k + "; p=" + b64
	for len(rec) > 200 {
		parts = append(parts, `"`+rec[:200]+`"`)
		rec = rec[200:]
	}
	parts = append(parts, `"`+rec+`"`)
	return strings.Join(parts, " ")
}

func rsaDER(t *testing.T, bits int, pkcs1 bool) []byte {
	t.Helper()
	var k *rsa.PrivateKey
	if bits < 1024 {
		// crypto/rsa refuses to generate keys this small; a DKIM record
		// holds only the public modulus, which need not be a real one.
		n, err := rand.Prime(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		k = &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}}
	} else {
		var err error
		if k, err = rsa.GenerateKey(rand.Reader, bits); err != nil {
			t.Fatalf("GenerateKey(%d): %v", bits, err)
		}
	}
	if pkcs1 {
		return x509.MarshalPKCS1PublicKey(&k.PublicKey)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestCheckDKIM(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	extra := []string{
		"s512._domainkey.dkim.test. IN TXT " + keyRecord(t, "rsa", rsaDER(t, 512, false)),
		"s1024._domainkey.dkim.test. IN TXT " + keyRecord(t, "rsa", rsaDER(t, 1024, false)),
		"s2048._domainkey.dkim.test. IN TXT " + keyRecord(t, "rsa", rsaDER(t, 2048, false)),
		"pkcs1._domainkey.dkim.test. IN TXT " + keyRecord(t, "rsa", rsaDER(t, 2048, true)),
		"ed._domainkey.dkim.test. IN TXT " + keyRecord(t, "ed25519", pub),
		`revoked._domainkey.dkim.test. IN TXT "v=DKIM1; k=rsa; p="`,
		`junk._domainkey.dkim.test. IN TXT "v=DKIM1; k=rsa; p=!!!"`,
		`edshort._domainkey.dkim.test. IN TXT "v=DKIM1; k=ed25519; p=AAAA"`,
	}
	r, _ := fixture(t, extra...)
	sels := []string{"s512", "s1024", "s2048", "pkcs1", "ed", "revoked", "junk", "edshort", "absent"}
	got := CheckDKIM(context.Background(), r, "dkim.test", sels)
	want := []struct {
		status evidence.DKIMStatus
		typ    string
		bits   int
	}{
		{evidence.DKIMKeyOK, "rsa", 512},
		{evidence.DKIMKeyOK, "rsa", 1024},
		{evidence.DKIMKeyOK, "rsa", 2048},
		{evidence.DKIMKeyOK, "rsa", 2048},
		{evidence.DKIMKeyOK, "ed25519", 256},
		{evidence.DKIMRevoked, "rsa", 0},
		{evidence.DKIMInvalid, "", 0},
		{evidence.DKIMInvalid, "", 0},
		{evidence.DKIMMissing, "", 0},
	}
	if len(got) != len(want) {
		t.Fatalf("%d keys, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Selector != sels[i] || g.Status != w.status || g.KeyType != w.typ || g.Bits != w.bits {
			t.Errorf("%s: %q %q %d (%s), want %q %q %d", sels[i], g.Status, g.KeyType, g.Bits, g.Reason, w.status, w.typ, w.bits)
		}
	}
}

func TestCheckBounded(t *testing.T) {
	r, _ := fixture(t)
	sels := make([]string, MaxSelectors+5)
	for i := range sels {
		sels[i] = fmt.Sprintf("s%d", i)
	}
	res := Check(context.Background(), r, "ok.test", sels, Config{})
	if len(res.DKIM) != MaxSelectors {
		t.Errorf("%d selectors checked, want at most %d", len(res.DKIM), MaxSelectors)
	}
	if res.SPF.Status != evidence.SPFValid || res.DMARC.Status != evidence.DMARCValid {
		t.Errorf("spf %q dmarc %q", res.SPF.Status, res.DMARC.Status)
	}
}
