package policymap

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/reporttest"
)

// runStart is when the hand-made runs below started.
var runStart = time.Date(2025, 6, 1, 6, 0, 0, 0, time.UTC)

// Shorthands for hand-made evidence views.
func goodCert() *report.CertView  { return &report.CertView{Trusted: "yes", NameMatch: "yes"} }
func wrongName() *report.CertView { return &report.CertView{Trusted: "yes", NameMatch: "no"} }
func selfSigned() *report.CertView {
	return &report.CertView{Trusted: "no", NameMatch: "yes", TrustError: "x509: certificate signed by unknown authority", SelfSigned: true}
}

func expired() *report.CertView {
	return &report.CertView{Trusted: "yes", NameMatch: "yes", DaysToExpiry: -11, DaysExpired: 10}
}
func incompleteChain() *report.CertView {
	return &report.CertView{Trusted: "yes", NameMatch: "yes", DaysToExpiry: 90, ChainIncomplete: true}
}

// addr is an address with its certificate and the grade's verifiable
// check as grade.verifiable would set it.
func addr(ip string, c *report.CertView) report.AddressView {
	a := report.AddressView{IP: ip, ProbeView: report.ProbeView{Cert: c}, Checks: map[string]string{}}
	switch {
	case c == nil:
	case c.Trusted == "yes" && c.NameMatch == "yes" && c.DaysToExpiry >= 0:
		a.Checks["verifiable"] = "pass"
	default:
		a.Checks["verifiable"] = "fail"
	}
	return a
}

func mx(host, dane string, addrs ...report.AddressView) report.MXView {
	return report.MXView{Host: host, DANE: dane, Addresses: addrs}
}

func eligible(domain, dnssec string, mxs ...report.MXView) report.DomainView {
	return report.DomainView{Domain: domain, Vendors: []string{"V " + domain}, Grade: "A", ForcedTLS: "eligible",
		MXKind: "explicit", DNSSEC: dnssec, MX: mxs, AuditedAt: runStart}
}

// failingWriter fails every write, as a full disk would.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// handReport is a report with its run and organisation but no domains.
func handReport() *report.Report {
	end := runStart.Add(42 * time.Minute)
	return &report.Report{SchemaVersion: report.SchemaVersion, Tool: "mxaudit", ToolVersion: "1.2.3",
		GeneratedAt: time.Date(2025, 6, 2, 8, 30, 0, 0, time.UTC),
		Org:         report.Org{Name: "Example Health", Title: "Vendor mail TLS", Frameworks: []string{"HIPAA"}},
		Run: report.RunInfo{ID: 7, ListName: "vendors.csv", Status: "completed", StartedAt: runStart, FinishedAt: &end,
			Policy: "mxaudit-default", PolicyVersion: "2", ToolVersion: "1.2.3"}}
}

// policyReport covers every decision of PolicyEntries.
func policyReport() *report.Report {
	r := handReport()
	r.Domains = []report.DomainView{
		eligible("dane.example", "secure",
			mx("mx1.dane.example", "valid", addr("192.0.2.1", goodCert())),
			mx("mx2.dane.example", "valid", addr("192.0.2.2", selfSigned()))),
		eligible("verify.example", "insecure",
			mx("mx1.verify.example", "none", addr("192.0.2.3", goodCert()), addr("2001:db8::3", goodCert())),
			mx("mx2.verify.example", "none", addr("192.0.2.4", goodCert()))),
		// DANE is valid on every host, but the MX lookup is not signed.
		eligible("unsigned-mx.example", "insecure",
			mx("mx.unsigned-mx.example", "valid", addr("192.0.2.5", goodCert()))),
		// DANE on one host of two.
		eligible("half-dane.example", "secure",
			mx("mx1.half-dane.example", "valid", addr("192.0.2.6", goodCert())),
			mx("mx2.half-dane.example", "none", addr("192.0.2.7", wrongName()))),
		eligible("wrong-name.example", "",
			mx("mx.wrong-name.example", "not checked", addr("192.0.2.8", goodCert()), addr("192.0.2.9", wrongName()))),
		eligible("self-signed.example", "",
			mx("mx.self-signed.example", "not checked", addr("192.0.2.10", selfSigned()))),
		eligible("expired.example", "",
			mx("mx.expired.example", "none", addr("192.0.2.16", expired()))),
		eligible("incomplete.example", "",
			mx("mx.incomplete.example", "none", addr("192.0.2.17", incompleteChain()))),
		eligible("untested.example", "",
			mx("mx.untested.example", "none", report.AddressView{IP: "192.0.2.18", ProbeView: report.ProbeView{Cert: goodCert()}, Checks: map[string]string{"verifiable": "not_tested"}})),
		eligible("no-cert.example", "",
			mx("mx.no-cert.example", "not checked", addr("192.0.2.11", nil))),
		eligible("xn--and-6ma2c.example", "",
			mx("mx.xn--and-6ma2c.example", "not checked", addr("192.0.2.12", goodCert()))),
		eligible("Upper.Example", "", mx("mx.upper.example", "none", addr("192.0.2.13", goodCert()))),
		eligible("xn--zzzz.example", "", mx("mx.bad-idn.example", "none", addr("192.0.2.14", goodCert()))),
		{Domain: "plain.example", Vendors: []string{"Plain Co"}, Grade: "F", ForcedTLS: "not_eligible",
			ForcedReason: "mx.plain.example 192.0.2.15: TLS is not available", MXKind: "explicit",
			MX: []report.MXView{mx("mx.plain.example", "none", addr("192.0.2.15", nil))}},
		{Domain: "gone.example", Grade: "?", ForcedTLS: "unknown", ForcedReason: "the address could not be audited"},
		{Domain: "null.example", Vendors: []string{"Null Corp"}, Grade: "N/A", ForcedTLS: "not_eligible",
			ForcedReason: "the domain accepts no mail (null MX)", MXKind: "null"},
		// An input-file vendor name that tries to start a line of its own.
		{Domain: "evil.example", Vendors: []string{"Evil\nevil.example none\r\u202e"}, Grade: "F", ForcedTLS: "not_eligible",
			ForcedReason: "no TLS"},
	}
	return r
}

func TestPolicyEntries(t *testing.T) {
	want := []struct {
		domain string
		level  PolicyLevel
		reason string // a part of the reason
	}{
		{"dane.example", LevelDANEOnly, "DNSSEC-signed MX and valid DANE on every MX host"},
		{"expired.example", LevelEncrypt, "no verify: mx.expired.example (192.0.2.16): certificate expired 10 days before the audit"},
		{"half-dane.example", LevelEncrypt, "no dane-only: DANE is not valid on mx2.half-dane.example none"},
		{"incomplete.example", LevelEncrypt, "certificate intermediate certificates not sent by the server"},
		{"no-cert.example", LevelEncrypt, "no verify: mx.no-cert.example (192.0.2.11): no certificate checked"},
		{"self-signed.example", LevelEncrypt, "certificate not trusted (no: x509: certificate signed by unknown authority)"},
		{"unsigned-mx.example", LevelVerify, "every MX certificate chains to a trusted root, is within its validity and names its host"},
		{"untested.example", LevelEncrypt, "certificate verifiable check not tested"},
		{"verify.example", LevelVerify, "every MX certificate chains to a trusted root, is within its validity and names its host"},
		{"wrong-name.example", LevelEncrypt, "mx.wrong-name.example (192.0.2.9): certificate not issued for this host (no)"},
		{"xn--and-6ma2c.example", LevelVerify, "names its host"},
		{"Upper.Example", LevelNone, "not a lower-case A-label name"},
		{"evil.example", LevelNone, "not eligible for Forced TLS (not eligible): no TLS"},
		{"gone.example", LevelNone, "not eligible for Forced TLS (unknown): the address could not be audited"},
		{"null.example", LevelNone, "not eligible for Forced TLS (not eligible): the domain accepts no mail (null MX)"},
		{"plain.example", LevelNone, "TLS is not available"},
		{"xn--zzzz.example", LevelNone, "invalid A-label"},
	}
	got, err := PolicyEntries(policyReport())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i, w := range want {
		t.Run(w.domain, func(t *testing.T) {
			g := got[i]
			if g.Domain != w.domain || g.Level != w.level || !strings.Contains(g.Reason, w.reason) {
				t.Fatalf("entry %d = %s %q (%s), want %s %q (%s)", i, g.Domain, g.Level, g.Reason, w.domain, w.level, w.reason)
			}
		})
	}
	if e := got[0]; !slices.Equal(e.MX, []string{"mx1.dane.example", "mx2.dane.example"}) || e.Grade != "A" || !e.AuditedAt.Equal(runStart) {
		t.Errorf("dane.example entry = %+v", e)
	}
	gone := got[slices.IndexFunc(got, func(e PolicyEntry) bool { return e.Domain == "gone.example" })]
	if e := gone; !e.AuditedAt.Equal(runStart) {
		t.Errorf("a domain without audit time takes the run's start, got %v", e.AuditedAt)
	}
}

// tableLines returns the lines of a policy map that are not comments.
func tableLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func TestWritePolicyMap(t *testing.T) {
	tests := []struct {
		format PolicyFormat
		lines  []string
	}{
		{PolicyPostfix, []string{
			"dane.example dane-only",
			"expired.example encrypt",
			"half-dane.example encrypt",
			"incomplete.example encrypt",
			"no-cert.example encrypt",
			"self-signed.example encrypt",
			"unsigned-mx.example verify match=hostname",
			"untested.example encrypt",
			"verify.example verify match=hostname",
			"wrong-name.example encrypt",
			"xn--and-6ma2c.example verify match=hostname",
		}},
		{PolicyExim, []string{
			"dane.example: dane",
			"expired.example: encrypt",
			"half-dane.example: encrypt",
			"incomplete.example: encrypt",
			"no-cert.example: encrypt",
			"self-signed.example: encrypt",
			"unsigned-mx.example: verify",
			"untested.example: encrypt",
			"verify.example: verify",
			"wrong-name.example: encrypt",
			"xn--and-6ma2c.example: verify",
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.format), func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePolicyMap(&buf, policyReport(), tc.format); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if got := tableLines(out); !slices.Equal(got, tc.lines) {
				t.Fatalf("table lines:\n%s\nwant:\n%s\n--- whole map:\n%s", strings.Join(got, "\n"), strings.Join(tc.lines, "\n"), out)
			}
			for _, want := range []string{
				"# mxaudit TLS policy map for " + string(tc.format) + ", from run 7 (vendors.csv) of 2025-06-01, policy mxaudit-default 2.\n",
				"# Generated 2025-06-02T08:30:00Z by mxaudit 1.2.3. 11 domains listed, 6 left out (see the end).\n",
				"# verify.example: V verify.example; grade A, audited 2025-06-01 (run 7); MX mx1.verify.example, mx2.verify.example.\n" +
					"# verify: every MX certificate chains to a trusted root, is within its validity and names its host.\n",
				"# Left out: no line is written for these domains.\n",
				"#   null.example (Null Corp; grade N/A): not eligible for Forced TLS (not eligible): the domain accepts no mail (null MX)\n",
				"#   gone.example (no vendor named; grade ?): not eligible for Forced TLS (unknown): the address could not be audited\n",
				`#   evil.example (Evil\x0aevil.example none\x0d\u202e; grade F)`,
			} {
				if !strings.Contains(out, want) {
					t.Errorf("map lacks %q", want)
				}
			}
			// Every line is a comment, blank, or a table line of a valid key.
			for _, l := range strings.Split(out, "\n") {
				if l == "" || strings.HasPrefix(l, "#") {
					continue
				}
				key := strings.TrimSuffix(strings.Fields(l)[0], ":")
				if err := CheckALabel(key); err != nil {
					t.Errorf("line %q: %v", l, err)
				}
			}
			if strings.ContainsAny(out, "\r\u202e") {
				t.Error("raw carriage return or direction override in the map")
			}
		})
	}
}

func TestWritePolicyMapErrors(t *testing.T) {
	if err := WritePolicyMap(&bytes.Buffer{}, handReport(), "sendmail"); err == nil || !strings.Contains(err.Error(), `unknown format "sendmail"`) {
		t.Errorf("unknown format: err = %v", err)
	}
	if err := WritePolicyMap(&bytes.Buffer{}, nil, PolicyPostfix); err == nil {
		t.Error("nil report: no error")
	}
	if err := WritePolicyMap(failingWriter{}, policyReport(), PolicyPostfix); err == nil {
		t.Error("failing writer: no error")
	}
}

// TestPolicyMapPostmap has Postfix's own postmap read the table, when
// Postfix is installed: every listed domain must come back with its level.
func TestPolicyMapPostmap(t *testing.T) {
	postmap, err := exec.LookPath("postmap")
	if err != nil {
		t.Skip("postmap not installed")
	}
	var buf bytes.Buffer
	if err := WritePolicyMap(&buf, policyReport(), PolicyPostfix); err != nil {
		t.Fatal(err)
	}
	got := postmapDump(t, postmap, buf.Bytes())
	want := map[string]string{}
	for _, l := range tableLines(buf.String()) {
		k, v, _ := strings.Cut(l, " ")
		want[k] = v
	}
	if len(got) != len(want) {
		t.Fatalf("postmap read %d keys, want %d: %v", len(got), len(want), got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("postmap %s = %q, want %q", k, got[k], v)
		}
	}
}

// postmapDump reads a table with postmap -s, under an empty configuration
// directory so that it needs no installed main.cf.
func postmapDump(t *testing.T, postmap string, table []byte) map[string]string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.cf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "tls_policy")
	if err := os.WriteFile(file, table, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(postmap, "-c", dir, "-s", "texthash:"+file).Output()
	if err != nil {
		t.Fatalf("postmap: %v", err)
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if k, v, ok := strings.Cut(l, "\t"); ok {
			got[k] = v
		}
	}
	return got
}

func TestCheckALabel(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"plain", "example.com", true},
		{"digits and hyphen", "mx-1.a2b.example", true},
		{"a-label", "xn--and-6ma2c.example", true},
		{"a-label tld", "example.xn--p1ai", true},
		{"upper case", "Example.com", false},
		{"u-label", "ñandú.example", false},
		{"trailing dot", "example.com.", false},
		{"single label", "localhost", false},
		{"empty label", "a..example", false},
		{"leading hyphen", "-a.example", false},
		{"trailing hyphen", "a-.example", false},
		{"underscore", "_25._tcp.example", false},
		{"space", "a b.example", false},
		{"newline", "a.example\nb.example", false},
		{"bad punycode", "xn--zzzz.example", false},
		{"reserved hyphens", "ab--cd.example", false},
		{"numeric tld", "192.0.2.1", false},
		{"label too long", strings.Repeat("a", 64) + ".example", false},
		{"name too long", strings.Repeat("a.", 127) + "example", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckALabel(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckALabel(%q) = %v, want ok=%v", tc.in, err, tc.ok)
			}
			if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error carries a raw line break: %q", err)
			}
		})
	}
}

func FuzzCheckALabel(f *testing.F) {
	for _, s := range []string{"example.com", "xn--and-6ma2c.example", "a\nb.example", "xn--.example", "ab--c.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckALabel(s) != nil {
			return
		}
		// An accepted name is one token of printable ASCII: it cannot
		// break a table line or smuggle a second one.
		for i := 0; i < len(s); i++ {
			if c := s[i]; c <= ' ' || c >= 0x7f || c == '#' || c == ':' || c == ',' {
				t.Fatalf("accepted %q with byte %q", s, c)
			}
		}
	})
}

// TestPolicyMapFixture: the policy map of the fixture database's second
// run (a fleet audited twice, with hostile remote strings).
func TestPolicyMapFixture(t *testing.T) {
	path, _, run2, err := reporttest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r, err := report.Build(ctx, store, run2, report.Options{ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WritePolicyMap(&buf, r, PolicyPostfix); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	levels := map[string]string{}
	for _, l := range tableLines(out) {
		k, v, _ := strings.Cut(l, " ")
		if _, dup := levels[k]; dup {
			t.Errorf("%s listed twice", k)
		}
		levels[k] = v
	}
	seen := 0
	err = r.EachDomain(func(d *report.DomainView) error {
		seen++
		level, listed := levels[d.Domain]
		if listed != (d.ForcedTLS == "eligible") {
			t.Errorf("%s: listed %v, Forced TLS %s", d.Domain, listed, d.ForcedTLS)
		}
		if !listed && !strings.Contains(out, "#   "+d.Domain+" (") {
			t.Errorf("%s is neither listed nor in the left-out block", d.Domain)
		}
		switch d.Domain {
		case "delta-dental.example", "null.example": // no STARTTLS; null MX
			if listed {
				t.Errorf("%s listed as %q", d.Domain, level)
			}
		case "crux-labs.example", "hostile.example": // expired; self-signed (their DANE state is "none": no TLSA)
			if listed && level != "encrypt" {
				t.Errorf("%s = %q, want encrypt: its certificate cannot be verified", d.Domain, level)
			}
		case "acme-health.example": // modern, trusted certificate
			if level != "verify match=hostname" && level != "dane-only" {
				t.Errorf("%s = %q, want verify or dane-only", d.Domain, level)
			}
		}
		return nil
	})
	if err != nil || seen == 0 || seen != r.DomainCount() {
		t.Fatalf("walked %d of %d domains: %v", seen, r.DomainCount(), err)
	}
	if strings.ContainsRune(out, 0x1b) {
		t.Error("raw escape in the policy map")
	}
	if postmap, err := exec.LookPath("postmap"); err == nil {
		got := postmapDump(t, postmap, buf.Bytes())
		if len(got) != len(levels) {
			t.Errorf("postmap read %d keys, the map has %d lines", len(got), len(levels))
		}
	}
}
