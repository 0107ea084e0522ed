//go:build e2e

// Package e2e holds the assertions of `make e2e`: samples/e2e/e2e.sh starts
// real Postfix, Exim, NSD and nginx instances on 127.0.9.x, runs mxaudit and
// testssl.sh against them, and runs these tests over what they wrote
// (E2E_OUT). Run them through make e2e; alone they have nothing to read.
package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
)

// The SMTP instances e2e.sh starts; instances.txt must list the same.
type instance struct {
	name, ip, mta string
}

var instances = []instance{
	{"modern", "127.0.9.10", "postfix"},
	{"tls12", "127.0.9.11", "postfix"},
	{"legacy", "127.0.9.12", "postfix"},
	{"selfsigned", "127.0.9.13", "postfix"},
	{"expired", "127.0.9.14", "postfix"},
	{"mismatch", "127.0.9.15", "postfix"},
	{"nostarttls", "127.0.9.16", "postfix"},
	{"exim", "127.0.9.20", "exim"},
}

// Suite sets by OpenSSL name, as Debian 12's OpenSSL 3.0 serves them with an
// RSA certificate and no PSK: what Postfix offers with its defaults (the
// "medium" list, anonymous suites included), with the NULL suites the legacy
// instance adds, and for TLS 1.3.
var (
	tls13Default = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
	tls10Default = []string{ // also TLS 1.1
		"ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA", "DHE-RSA-AES128-SHA", "DHE-RSA-AES256-SHA",
		"DHE-RSA-CAMELLIA128-SHA", "DHE-RSA-CAMELLIA256-SHA", "AES128-SHA", "AES256-SHA", "CAMELLIA128-SHA",
		"CAMELLIA256-SHA", "ADH-AES128-SHA", "AECDH-AES128-SHA", "ADH-AES256-SHA", "AECDH-AES256-SHA",
		"ADH-CAMELLIA128-SHA", "ADH-CAMELLIA256-SHA",
	}
	null10       = []string{"ECDHE-RSA-NULL-SHA", "NULL-SHA", "NULL-MD5", "AECDH-NULL-SHA"}
	null12       = []string{"ECDHE-RSA-NULL-SHA", "NULL-SHA256", "NULL-SHA", "NULL-MD5", "AECDH-NULL-SHA"}
	tls12Default = []string{
		"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305",
		"ECDHE-ARIA128-GCM-SHA256", "ECDHE-ARIA256-GCM-SHA384", "DHE-RSA-AES128-GCM-SHA256",
		"DHE-RSA-AES256-GCM-SHA384", "DHE-RSA-CHACHA20-POLY1305", "DHE-RSA-AES128-CCM", "DHE-RSA-AES256-CCM",
		"DHE-RSA-AES128-CCM8", "DHE-RSA-AES256-CCM8", "DHE-RSA-ARIA128-GCM-SHA256", "DHE-RSA-ARIA256-GCM-SHA384",
		"ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-CAMELLIA128-SHA256",
		"ECDHE-RSA-CAMELLIA256-SHA384", "DHE-RSA-AES128-SHA256", "DHE-RSA-AES256-SHA256",
		"DHE-RSA-CAMELLIA128-SHA256", "DHE-RSA-CAMELLIA256-SHA256", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES256-SHA",
		"DHE-RSA-AES128-SHA", "DHE-RSA-AES256-SHA", "DHE-RSA-CAMELLIA128-SHA", "DHE-RSA-CAMELLIA256-SHA",
		"AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-CCM", "AES256-CCM", "AES128-CCM8", "AES256-CCM8",
		"ARIA128-GCM-SHA256", "ARIA256-GCM-SHA384", "AES128-SHA256", "AES256-SHA256", "CAMELLIA128-SHA256",
		"CAMELLIA256-SHA256", "AES128-SHA", "AES256-SHA", "CAMELLIA128-SHA", "CAMELLIA256-SHA",
		"ADH-AES128-GCM-SHA256", "ADH-AES256-GCM-SHA384", "ADH-AES128-SHA256", "ADH-AES256-SHA256",
		"ADH-CAMELLIA128-SHA256", "ADH-CAMELLIA256-SHA256", "ADH-AES128-SHA", "AECDH-AES128-SHA",
		"ADH-AES256-SHA", "AECDH-AES256-SHA", "ADH-CAMELLIA128-SHA", "ADH-CAMELLIA256-SHA",
	}
)

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// serverWant is what one SMTP address must show.
type serverWant struct {
	status evidence.ProbeStatus
	// suites maps each supported version to its suites (OpenSSL names);
	// every other version must be not_supported.
	suites map[string][]string
	// order, when set, is the server's preference order per version.
	order map[string][]string
	// pref is the preference every supported version must show.
	pref evidence.Preference
	// dh maps a key-exchange kind ("DHE", "DH_anon") to the DH prime
	// sizes (bits) its suites must show; ECDHE must always be x25519.
	dh map[string][]int
}

var defaultPostfix = serverWant{
	status: evidence.ProbeOK,
	suites: map[string][]string{
		evidence.TLS10: tls10Default, evidence.TLS11: tls10Default,
		evidence.TLS12: tls12Default, evidence.TLS13: tls13Default,
	},
	pref: evidence.PreferClient,
	// Postfix's built-in 2048-bit group for DHE; OpenSSL's automatic
	// groups for anonymous DH: 1024 bits for 128-bit ciphers, 3072 for 256.
	dh: map[string][]int{"DHE": {2048}, "DH_anon": {1024, 3072}},
}

var servers = map[string]serverWant{
	"modern": {
		status: evidence.ProbeOK,
		suites: map[string][]string{
			evidence.TLS12: {"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
			evidence.TLS13: tls13Default,
		},
		order: map[string][]string{
			evidence.TLS12: {"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
			evidence.TLS13: {"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"},
		},
		pref: evidence.PreferServer,
	},
	"tls12": {
		status: evidence.ProbeOK,
		suites: map[string][]string{evidence.TLS12: tls12Default},
		pref:   evidence.PreferServer,
		dh:     map[string][]int{"DHE": {2048}, "DH_anon": {1024, 3072}},
	},
	"legacy": {
		status: evidence.ProbeOK,
		suites: map[string][]string{
			evidence.TLS10: concat(tls10Default, null10), evidence.TLS11: concat(tls10Default, null10),
			evidence.TLS12: concat(tls12Default, null12), evidence.TLS13: tls13Default,
		},
		pref: evidence.PreferClient,
		// smtpd_tls_dh1024_param_file: one 1024-bit group for all DH.
		dh: map[string][]int{"DHE": {1024}, "DH_anon": {1024}},
	},
	"selfsigned": defaultPostfix,
	"expired":    defaultPostfix,
	"mismatch":   defaultPostfix,
	"nostarttls": {status: evidence.ProbeNoSTARTTLS},
	"exim": { // GnuTLS "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" with an ECDSA P-256 key
		status: evidence.ProbeOK,
		suites: map[string][]string{
			evidence.TLS12: {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
				"ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES256-CCM", "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA"},
			evidence.TLS13: concat(tls13Default, []string{"TLS_AES_128_CCM_SHA256"}),
		},
		pref: evidence.PreferClient,
	},
}

// certWant is the certificate verdict for one MX name at one address.
type certWant struct {
	trusted, nameMatch, expired, selfSigned bool
	// cn is the leaf's common name.
	cn string
}

// hostWant is one MX host of a domain and what its address must show.
type hostWant struct {
	name     string
	pref     uint16
	instance string
	cert     *certWant // nil without TLS
	// tlsa is the TLSA lookup status; dane the matched records' "usage
	// selector type" prefixes ("3 1 1"); nil when nothing matched.
	tlsa evidence.DNSStatus
	dane []string
}

// domainWant is every verdict on one domain, as the CLI gives it.
type domainWant struct {
	domain   string
	grade    grade.Grade
	forced   grade.ForcedTLS
	mxKind   evidence.MXKind
	hosts    []hostWant
	stsMode  string            // "" when no policy was obtained
	stsMatch map[string]string // MX host → the policy pattern covering it ("" none)
	tlsrpt   bool
	findings []string // the exact set of finding codes
	// bod1801 is the CISA BOD 18-01 profile's status ("" not checked).
	bod1801 grade.ControlStatus
}

func good(cn string) *certWant { return &certWant{trusted: true, nameMatch: true, cn: cn} }

var weakPostfix = []string{"CLIENT_CIPHER_ORDER", "TLS10_ENABLED", "TLS11_ENABLED", "WEAK_CIPHERS", "WEAK_DH"}

// noSenderAuth are the findings of a domain that publishes neither SPF nor
// DMARC (nor has an organisational domain with a DMARC record).
var noSenderAuth = []string{"DMARC_MISSING", "SPF_MISSING"}

var domains = []domainWant{
	{
		domain: "modern.e2e.test", grade: "A+", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts:   []hostWant{{name: "mx.modern.e2e.test", pref: 10, instance: "modern", cert: good("mx.modern.e2e.test"), tlsa: evidence.DNSOK, dane: []string{"3 1 1"}}},
		stsMode: "enforce", stsMatch: map[string]string{"mx.modern.e2e.test": "mx.modern.e2e.test"}, tlsrpt: true,
		bod1801: grade.ControlPass,
	},
	{
		domain: "tls12.e2e.test", grade: "B", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts:   []hostWant{{name: "mx.tls12.e2e.test", pref: 10, instance: "tls12", cert: good("mx.tls12.e2e.test"), tlsa: evidence.DNSOK, dane: []string{"2 1 1"}}},
		stsMode: "testing", stsMatch: map[string]string{"mx.tls12.e2e.test": "mx.tls12.e2e.test"},
		findings: concat(noSenderAuth, []string{"MTASTS_TESTING", "NO_TLS13", "TLSRPT_MISSING", "WEAK_CIPHERS", "WEAK_DH"}),
		bod1801:  grade.ControlFail,
	},
	{
		domain: "legacy.e2e.test", grade: "D", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts:    []hostWant{{name: "mx.legacy.e2e.test", pref: 10, instance: "legacy", cert: good("mx.legacy.e2e.test"), tlsa: evidence.DNSNXDomain}},
		findings: concat(weakPostfix, []string{"DMARC_MISSING", "MTASTS_MISSING", "SPF_PASS_ALL", "TLSRPT_MISSING"}),
		bod1801:  grade.ControlFail,
	},
	{
		domain: "selfsigned.e2e.test", grade: "F", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts: []hostWant{{name: "mx.selfsigned.e2e.test", pref: 10, instance: "selfsigned",
			cert: &certWant{nameMatch: true, selfSigned: true, cn: "mx.selfsigned.e2e.test"}, tlsa: evidence.DNSOK, dane: []string{"3 1 1"}}},
		findings: concat(weakPostfix, noSenderAuth, []string{"CERT_UNTRUSTED", "MTASTS_MISSING", "TLSRPT_MISSING"}),
	},
	{
		domain: "expired.e2e.test", grade: "F", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts: []hostWant{{name: "mx.expired.e2e.test", pref: 10, instance: "expired",
			cert: &certWant{trusted: true, nameMatch: true, expired: true, cn: "mx.expired.e2e.test"}, tlsa: evidence.DNSNXDomain}},
		findings: concat(weakPostfix, noSenderAuth, []string{"CERT_EXPIRED", "MTASTS_MISSING", "TLSRPT_MISSING"}),
	},
	{
		domain: "mismatch.e2e.test", grade: "D", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts: []hostWant{{name: "mx.mismatch.e2e.test", pref: 10, instance: "mismatch",
			cert: &certWant{trusted: true, cn: "wrong-name.e2e.test"}, tlsa: evidence.DNSNXDomain}},
		findings: concat(weakPostfix, noSenderAuth, []string{"CERT_NAME_MISMATCH", "MTASTS_MISSING", "TLSRPT_MISSING"}),
	},
	{
		domain: "nostarttls.e2e.test", grade: "F", forced: grade.ForcedTLSNotEligible, mxKind: evidence.MXExplicit,
		hosts:    []hostWant{{name: "mx.nostarttls.e2e.test", pref: 10, instance: "nostarttls", tlsa: evidence.DNSNXDomain}},
		findings: concat(noSenderAuth, []string{"MTASTS_MISSING", "NO_STARTTLS", "TLSRPT_MISSING"}),
		bod1801:  grade.ControlFail,
	},
	{
		domain: "exim.e2e.test", grade: "A+", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts:   []hostWant{{name: "mx.exim.e2e.test", pref: 10, instance: "exim", cert: good("mx.exim.e2e.test"), tlsa: evidence.DNSOK, dane: []string{"3 1 1"}}},
		stsMode: "enforce", stsMatch: map[string]string{"mx.exim.e2e.test": "*.exim.e2e.test"}, tlsrpt: true,
		findings: []string{"DMARC_POLICY_QUARANTINE"},
		bod1801:  grade.ControlFail,
	},
	{
		domain: "twomx.e2e.test", grade: "D", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts: []hostWant{
			{name: "mx.modern.e2e.test", pref: 10, instance: "modern", cert: good("mx.modern.e2e.test"), tlsa: evidence.DNSOK, dane: []string{"3 1 1"}},
			{name: "mx.legacy.e2e.test", pref: 20, instance: "legacy", cert: good("mx.legacy.e2e.test"), tlsa: evidence.DNSNXDomain},
		},
		findings: concat(weakPostfix, noSenderAuth, []string{"MTASTS_MISSING", "TLSRPT_MISSING"}),
	},
	{
		domain: "dane-bad.e2e.test", grade: "A", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts:    []hostWant{{name: "mx.dane-bad.e2e.test", pref: 10, instance: "modern", cert: good("mx.modern.e2e.test"), tlsa: evidence.DNSOK}},
		findings: concat(noSenderAuth, []string{"MTASTS_MISSING", "TLSRPT_MISSING"}),
	},
	{
		domain: "sts-mismatch.e2e.test", grade: "F", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts:   []hostWant{{name: "mx.modern.e2e.test", pref: 10, instance: "modern", cert: good("mx.modern.e2e.test"), tlsa: evidence.DNSOK, dane: []string{"3 1 1"}}},
		stsMode: "enforce", stsMatch: map[string]string{"mx.modern.e2e.test": ""},
		findings: concat(noSenderAuth, []string{"MTASTS_MX_NOT_COVERED", "TLSRPT_MISSING"}),
	},
	{
		domain: "implicit.e2e.test", grade: "A", forced: grade.ForcedTLSEligible, mxKind: evidence.MXImplicit,
		hosts:    []hostWant{{name: "implicit.e2e.test", pref: 0, instance: "exim", cert: good("mx.exim.e2e.test"), tlsa: evidence.DNSNXDomain}},
		findings: concat(noSenderAuth, []string{"MTASTS_MISSING", "TLSRPT_MISSING"}),
	},
	{
		domain: "nullmx.e2e.test", grade: grade.GradeNA, forced: grade.ForcedTLSNotEligible, mxKind: evidence.MXNull,
		findings: []string{"NULL_MX"},
		bod1801:  grade.ControlPass,
	},
	{
		domain: "unsigned.test", grade: "B", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts:    []hostWant{{name: "mx.unsigned.test", pref: 10, instance: "tls12", cert: good("mx.tls12.e2e.test"), tlsa: evidence.DNSOK, dane: []string{"3 1 1"}}},
		findings: concat(noSenderAuth, []string{"MTASTS_MISSING", "NO_TLS13", "TLSRPT_MISSING", "WEAK_CIPHERS", "WEAK_DH"}),
	},
}

// --- reading what e2e.sh wrote -------------------------------------------

func outDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("E2E_OUT")
	if dir == "" {
		t.Fatal("E2E_OUT is not set: these tests read what samples/e2e/e2e.sh wrote; run make e2e")
	}
	return dir
}

// scanDomain is one domain of `mxaudit scan --json`.
type scanDomain struct {
	Domain                string            `json:"domain"`
	Evidence              *evidence.Domain  `json:"evidence"`
	Grade                 grade.DomainGrade `json:"grade"`
	ConnectionsPerAddress map[string]int    `json:"connections_per_address"`
}

type scanOutput struct {
	Domains []scanDomain `json:"domains"`
}

func readScan(t *testing.T, path string) map[string]scanDomain {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read scan output: %v", err)
	}
	var out scanOutput
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	m := map[string]scanDomain{}
	for _, d := range out.Domains {
		m[d.Domain] = d
	}
	return m
}

func readStatus(t *testing.T, name string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(outDir(t), name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

func instanceByName(t *testing.T, name string) instance {
	t.Helper()
	for _, in := range instances {
		if in.name == name {
			return in
		}
	}
	t.Fatalf("no instance %q", name)
	return instance{}
}

// probeOf returns the probe of ip from any domain of the scan (the probe is
// shared by every domain that uses the address).
func probeOf(t *testing.T, scan map[string]scanDomain, ip string) *evidence.Probe {
	t.Helper()
	names := make([]string, 0, len(scan))
	for n := range scan {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if scan[n].Evidence == nil {
			continue
		}
		for _, h := range scan[n].Evidence.Hosts {
			for _, a := range h.Addresses {
				if a.IP == ip && a.Probe != nil {
					return a.Probe
				}
			}
		}
	}
	t.Fatalf("no probe of %s in the scan", ip)
	return nil
}

func suiteNames(ss []evidence.Suite) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		n := s.OpenSSL
		if n == "" {
			n = s.Name
		}
		out = append(out, n)
	}
	return out
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	sort.Strings(c)
	return c
}

func diffSets(got, want []string) (missing, extra []string) {
	g, w := map[string]bool{}, map[string]bool{}
	for _, s := range got {
		g[s] = true
	}
	for _, s := range want {
		w[s] = true
		if !g[s] {
			missing = append(missing, s)
		}
	}
	for _, s := range got {
		if !w[s] {
			extra = append(extra, s)
		}
	}
	return missing, extra
}

// --- the CLI's verdicts --------------------------------------------------

func TestInstancesMatchScript(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(outDir(t), "instances.txt"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(b))
	var want []string
	for _, in := range instances {
		want = append(want, in.name+":"+in.ip+":"+in.mta)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("e2e.sh starts %v, the test expects %v", got, want)
	}
}

func TestExitStatus(t *testing.T) {
	if got := readStatus(t, "run.status"); got != 0 {
		t.Errorf("mxaudit run exited %d, want 0 (no --fail-under or --fail-on given)", got)
	}
	if got := readStatus(t, "scan.status"); got != 0 {
		t.Errorf("mxaudit scan --json exited %d, want 0", got)
	}
}

func TestServers(t *testing.T) {
	scan := readScan(t, filepath.Join(outDir(t), "scan.json"))
	for _, in := range instances {
		want := servers[in.name]
		t.Run(in.name, func(t *testing.T) {
			p := probeOf(t, scan, in.ip)
			if p.Status != want.status {
				t.Fatalf("probe status %q (error %v), want %q", p.Status, p.Error, want.status)
			}
			if want.status != evidence.ProbeOK {
				if len(p.Versions) != 0 {
					t.Errorf("versions tested without TLS: %+v", p.Versions)
				}
				return
			}
			seen := map[string]bool{}
			for _, v := range p.Versions {
				seen[v.Version] = true
				ws, supported := want.suites[v.Version]
				if !supported {
					if v.Support != evidence.NotSupported {
						t.Errorf("%s: support %q (%s), want not_supported", v.Version, v.Support, v.Reason)
					}
					continue
				}
				if v.Support != evidence.Supported || !v.Complete {
					t.Errorf("%s: support %q complete %v (%s), want supported and complete", v.Version, v.Support, v.Complete, v.Reason)
					continue
				}
				got := suiteNames(v.Suites)
				if missing, extra := diffSets(got, ws); len(missing)+len(extra) > 0 {
					t.Errorf("%s suites: missing %v, unexpected %v", v.Version, missing, extra)
				}
				if v.Preference != want.pref {
					t.Errorf("%s preference %q, want %q", v.Version, v.Preference, want.pref)
				}
				if order, ok := want.order[v.Version]; ok && !slices.Equal(got, order) {
					t.Errorf("%s server order %v, want %v", v.Version, got, order)
				}
				for _, s := range v.Suites {
					checkKeyExchange(t, v.Version, s, want.dh)
				}
			}
			for _, v := range evidence.Versions {
				if !seen[v] {
					t.Errorf("version %s not reported", v)
				}
			}
			if len(p.Anomalies) != 0 {
				t.Errorf("anomalies: %v", p.Anomalies)
			}
		})
	}
}

func checkKeyExchange(t *testing.T, version string, s evidence.Suite, dh map[string][]int) {
	t.Helper()
	kx := s.KeyExchange
	switch {
	case strings.HasPrefix(s.Kx, "ECDHE"), strings.HasPrefix(s.Kx, "ECDH_anon"), s.Kx == "TLS13":
		if kx == nil || kx.Group != "x25519" {
			t.Errorf("%s %s: key exchange %+v, want x25519", version, s.OpenSSL, kx)
		}
	case s.Kx == "DHE" || s.Kx == "DH_anon":
		if kx == nil || !slices.Contains(dh[s.Kx], kx.Bits) {
			t.Errorf("%s %s: key exchange %+v, want a DH group of %v bits", version, s.OpenSSL, kx, dh[s.Kx])
		}
	}
}

func TestDomains(t *testing.T) {
	scan := readScan(t, filepath.Join(outDir(t), "scan.json"))
	if len(scan) != len(domains) {
		t.Errorf("scan has %d domains, want %d", len(scan), len(domains))
	}
	for _, want := range domains {
		t.Run(want.domain, func(t *testing.T) {
			d, ok := scan[want.domain]
			if !ok || d.Evidence == nil {
				t.Fatalf("%s missing from the scan", want.domain)
			}
			checkDomain(t, d, want)
		})
	}
}

func checkDomain(t *testing.T, d scanDomain, want domainWant) {
	t.Helper()
	ev, g := d.Evidence, d.Grade
	if g.Grade != want.grade {
		t.Errorf("grade %q, want %q", g.Grade, want.grade)
	}
	if g.ForcedTLS != want.forced {
		t.Errorf("forced TLS %q (%s), want %q", g.ForcedTLS, g.ForcedTLSReason, want.forced)
	}
	if g.Incomplete {
		t.Errorf("grade marked incomplete")
	}
	var codes []string
	for _, f := range g.Findings {
		if !slices.Contains(codes, f.Code) {
			codes = append(codes, f.Code)
		}
	}
	if missing, extra := diffSets(codes, want.findings); len(missing)+len(extra) > 0 {
		t.Errorf("findings: missing %v, unexpected %v (all: %v)", missing, extra, sortedCopy(codes))
	}
	if want.bod1801 != "" {
		var got grade.ControlStatus = "absent"
		for _, fw := range g.Frameworks {
			if fw.Name == grade.FrameworkBOD1801 {
				got = fw.Status
				for _, c := range fw.Controls {
					if c.Status == grade.ControlFail || c.Status == grade.ControlIncomplete {
						t.Logf("BOD 18-01 %s: %s (%s)", c.ID, c.Status, c.Reason)
					}
				}
			}
		}
		if got != want.bod1801 {
			t.Errorf("BOD 18-01 %s, want %s", got, want.bod1801)
		}
	}
	if ev.MX.Kind != want.mxKind {
		t.Errorf("mx kind %q, want %q", ev.MX.Kind, want.mxKind)
	}
	// Without --trust-anchor mxaudit validates from the IANA root anchors:
	// the test server refuses the root's DNSKEY question.
	if ev.MX.Lookup.DNSSEC != evidence.DNSSECIndeterminate || !strings.Contains(ev.MX.Lookup.DNSSECReason, "REFUSED") {
		t.Errorf("mx dnssec %q (%s), want indeterminate because the root DNSKEY query is refused", ev.MX.Lookup.DNSSEC, ev.MX.Lookup.DNSSECReason)
	}
	if len(ev.Hosts) != len(want.hosts) {
		t.Fatalf("%d hosts, want %d", len(ev.Hosts), len(want.hosts))
	}
	for i, wh := range want.hosts {
		checkHost(t, ev.Hosts[i], wh)
	}
	checkPolicies(t, ev, want)
}

func checkHost(t *testing.T, h evidence.Host, want hostWant) {
	t.Helper()
	in := instanceByName(t, want.instance)
	if h.Name != want.name || h.Preference != want.pref {
		t.Errorf("host %s pref %d, want %s pref %d", h.Name, h.Preference, want.name, want.pref)
	}
	if len(h.Addresses) != 1 || h.Addresses[0].IP != in.ip {
		t.Fatalf("%s addresses %+v, want only %s", h.Name, h.Addresses, in.ip)
	}
	a := h.Addresses[0]
	if a.Probe == nil || a.Probe.Port == 0 {
		t.Fatalf("%s: no probe", h.Name)
	}
	c := a.Cert
	switch {
	case want.cert == nil:
		if c != nil && len(c.Chain) > 0 {
			t.Errorf("%s: a certificate without TLS: %+v", h.Name, c)
		}
	case c == nil || len(c.Chain) == 0:
		t.Errorf("%s: no certificate checked", h.Name)
	default:
		wc := want.cert
		if c.Name != want.name {
			t.Errorf("%s: certificate checked for %q", h.Name, c.Name)
		}
		if c.Trusted == nil || *c.Trusted != wc.trusted {
			t.Errorf("%s: trusted %v (%s), want %v", h.Name, show(c.Trusted), c.TrustError, wc.trusted)
		}
		if c.NameMatch == nil || *c.NameMatch != wc.nameMatch {
			t.Errorf("%s: name match %v, want %v", h.Name, show(c.NameMatch), wc.nameMatch)
		}
		if c.Expired == nil || *c.Expired != wc.expired {
			t.Errorf("%s: expired %v, want %v", h.Name, show(c.Expired), wc.expired)
		}
		if c.SelfSigned != wc.selfSigned {
			t.Errorf("%s: self-signed %v, want %v", h.Name, c.SelfSigned, wc.selfSigned)
		}
		if cn := c.Chain[0].CommonName; cn != wc.cn {
			t.Errorf("%s: leaf CN %q, want %q", h.Name, cn, wc.cn)
		}
	}
	if h.TLSA == nil {
		t.Fatalf("%s: no TLSA lookup", h.Name)
	}
	if h.TLSA.Lookup.Status != want.tlsa {
		t.Errorf("%s: TLSA lookup %q, want %q", h.Name, h.TLSA.Lookup.Status, want.tlsa)
	}
	var matched []string
	if a.DANE != nil {
		for _, m := range a.DANE.Matched {
			f := strings.Fields(m)
			if len(f) >= 3 {
				matched = append(matched, strings.Join(f[:3], " "))
			}
		}
	}
	if !slices.Equal(matched, want.dane) {
		t.Errorf("%s: TLSA records matched %v, want %v (dane %+v)", h.Name, matched, want.dane, a.DANE)
	}
}

func checkPolicies(t *testing.T, ev *evidence.Domain, want domainWant) {
	t.Helper()
	if want.mxKind == evidence.MXNull {
		return
	}
	sts := ev.MTASTS
	if sts == nil {
		t.Fatalf("no MTA-STS evidence")
	}
	mode := ""
	if sts.Policy != nil {
		mode = sts.Policy.Mode
	}
	if mode != want.stsMode {
		t.Errorf("MTA-STS mode %q (errors %v, fetch %+v), want %q", mode, sts.PolicyErrors, sts.Fetch, want.stsMode)
	}
	if want.stsMode != "" {
		if len(sts.PolicyErrors)+len(sts.PolicyWarnings) != 0 {
			t.Errorf("MTA-STS policy errors %v, warnings %v", sts.PolicyErrors, sts.PolicyWarnings)
		}
		if sts.Fetch == nil || sts.Fetch.StatusCode != 200 || sts.Fetch.Cert == nil || sts.Fetch.Cert.Trusted == nil || !*sts.Fetch.Cert.Trusted {
			t.Errorf("MTA-STS fetch %+v, want 200 over a trusted certificate", sts.Fetch)
		}
		if len(sts.MXMatch) != len(want.stsMatch) {
			t.Errorf("MTA-STS mx match %v, want %v", sts.MXMatch, want.stsMatch)
		}
		for h, p := range want.stsMatch {
			if got, ok := sts.MXMatch[h]; !ok || got != p {
				t.Errorf("MTA-STS mx match for %s: %q, want %q", h, got, p)
			}
		}
	}
	rpt := ev.TLSRPT != nil && len(ev.TLSRPT.RUA) == 1 && ev.TLSRPT.RUA[0] == "mailto:tlsrpt@reports.e2e.test"
	if rpt != want.tlsrpt {
		t.Errorf("TLS-RPT %+v, want published %v", ev.TLSRPT, want.tlsrpt)
	}
}

func show(b *bool) string {
	if b == nil {
		return "unknown"
	}
	return strconv.FormatBool(*b)
}

// historyEntry is one line of `mxaudit history --json`.
type historyEntry struct {
	RunID     int             `json:"run_id"`
	Grade     grade.Grade     `json:"grade"`
	ForcedTLS grade.ForcedTLS `json:"forced_tls"`
}

// TestRunStored checks that `mxaudit run` stored the same verdicts.
func TestRunStored(t *testing.T) {
	for _, want := range domains {
		t.Run(want.domain, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(outDir(t), "history-"+want.domain+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var hs []historyEntry
			if err := json.Unmarshal(b, &hs); err != nil {
				t.Fatalf("parse history: %v (%s)", err, b)
			}
			if len(hs) != 1 {
				t.Fatalf("%d runs stored, want 1: %s", len(hs), b)
			}
			if hs[0].Grade != want.grade || hs[0].ForcedTLS != want.forced {
				t.Errorf("stored grade %q forced TLS %q, want %q %q", hs[0].Grade, hs[0].ForcedTLS, want.grade, want.forced)
			}
		})
	}
}

// --- DNSSEC and DANE with the test zone's trust anchor --------------------

// daneWant is what the DNSSEC-validating audit must show for one domain.
type daneWant struct {
	domain string
	mx     evidence.DNSSECStatus
	tlsa   evidence.DNSSECStatus
	// dane is the DANE match of the only address: the matched records'
	// "usage selector type" prefixes.
	dane     []string
	grade    grade.Grade
	findings []string
}

// TestDANEWithTrustAnchor: `mxaudit scan --trust-anchor` with the test
// zone's KSK validates DNSSEC from it instead of the IANA root, so the
// DNSSEC and DANE verdicts are proven against a real signed zone and a
// real authoritative server, through the command users run.
func TestDANEWithTrustAnchor(t *testing.T) {
	if got := readStatus(t, "scan-dane.status"); got != 0 {
		t.Fatalf("mxaudit scan --trust-anchor exited %d (see scan-dane.err)", got)
	}
	scan := readScan(t, filepath.Join(outDir(t), "scan-dane.json"))
	tests := []daneWant{
		// One DANE-EE record, secure and matching: valid, but no record for a next key.
		{domain: "modern.e2e.test", mx: evidence.DNSSECSecure, tlsa: evidence.DNSSECSecure, dane: []string{"3 1 1"},
			grade: "A+", findings: []string{"DANE_NO_ROLLOVER"}},
		// DANE-TA on the test CA, which the server sends after its leaf.
		{domain: "tls12.e2e.test", mx: evidence.DNSSECSecure, tlsa: evidence.DNSSECSecure, dane: []string{"2 1 1"},
			grade: "B", findings: concat(noSenderAuth, []string{"DANE_NO_ROLLOVER", "MTASTS_TESTING", "NO_TLS13", "TLSRPT_MISSING", "WEAK_CIPHERS", "WEAK_DH"})},
		// No TLSA record: the NXDOMAIN is proven by NSEC3, so it is secure.
		{domain: "legacy.e2e.test", mx: evidence.DNSSECSecure, tlsa: evidence.DNSSECSecure,
			grade: "D", findings: concat(weakPostfix, []string{"DMARC_MISSING", "MTASTS_MISSING", "SPF_PASS_ALL", "TLSRPT_MISSING"})},
		// DANE-EE pins the self-signed certificate; senders without DANE still cannot
		// trust it (the finding stays), but policy v3 waives it for the grade.
		{domain: "selfsigned.e2e.test", mx: evidence.DNSSECSecure, tlsa: evidence.DNSSECSecure, dane: []string{"3 1 1"},
			grade: "D", findings: concat(weakPostfix, noSenderAuth, []string{"CERT_UNTRUSTED", "DANE_NO_ROLLOVER", "MTASTS_MISSING", "TLSRPT_MISSING"})},
		{domain: "exim.e2e.test", mx: evidence.DNSSECSecure, tlsa: evidence.DNSSECSecure, dane: []string{"3 1 1"},
			grade: "A+", findings: []string{"DANE_NO_ROLLOVER", "DMARC_POLICY_QUARANTINE"}},
		// A secure TLSA record that matches nothing: DANE senders will not deliver.
		{domain: "dane-bad.e2e.test", mx: evidence.DNSSECSecure, tlsa: evidence.DNSSECSecure,
			grade: "F", findings: concat(noSenderAuth, []string{"DANE_INVALID", "MTASTS_MISSING", "TLSRPT_MISSING"})},
		// A matching TLSA record in an unsigned zone: senders ignore it.
		{domain: "unsigned.test", mx: evidence.DNSSECInsecure, tlsa: evidence.DNSSECInsecure, dane: []string{"3 1 1"},
			grade: "C", findings: concat(noSenderAuth, []string{"DANE_UNUSABLE", "DNSSEC_UNSIGNED", "MTASTS_MISSING", "NO_TLS13", "TLSRPT_MISSING", "WEAK_CIPHERS", "WEAK_DH"})},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			d, ok := scan[tt.domain]
			if !ok || d.Evidence == nil {
				t.Fatalf("%s is not in the scan output", tt.domain)
			}
			ev := d.Evidence
			if ev.MX.Lookup.DNSSEC != tt.mx {
				t.Errorf("mx dnssec %q (%s), want %q", ev.MX.Lookup.DNSSEC, ev.MX.Lookup.DNSSECReason, tt.mx)
			}
			if len(ev.Hosts) != 1 || ev.Hosts[0].TLSA == nil {
				t.Fatalf("hosts %+v", ev.Hosts)
			}
			tl := ev.Hosts[0].TLSA.Lookup
			if tl.DNSSEC != tt.tlsa {
				t.Errorf("tlsa dnssec %q (%s), want %q", tl.DNSSEC, tl.DNSSECReason, tt.tlsa)
			}
			var matched []string
			if as := ev.Hosts[0].Addresses; len(as) == 1 && as[0].DANE != nil {
				for _, m := range as[0].DANE.Matched {
					matched = append(matched, strings.Join(strings.Fields(m)[:3], " "))
				}
			}
			if !slices.Equal(matched, tt.dane) {
				t.Errorf("DANE matched %v, want %v", matched, tt.dane)
			}
			g := d.Grade
			var codes []string
			for _, f := range g.Findings {
				if !slices.Contains(codes, f.Code) {
					codes = append(codes, f.Code)
				}
			}
			if g.Grade != tt.grade {
				t.Errorf("grade %q, want %q (findings %v)", g.Grade, tt.grade, codes)
			}
			if missing, extra := diffSets(codes, tt.findings); len(missing)+len(extra) > 0 {
				t.Errorf("findings: missing %v, unexpected %v (all: %v)", missing, extra, sortedCopy(codes))
			}
		})
	}
}

// --- testssl.sh against mxaudit -------------------------------------------

// testsslFinding is one entry of testssl.sh's flat JSON.
type testsslFinding struct {
	ID      string `json:"id"`
	Finding string `json:"finding"`
}

// testsslProtocols maps testssl.sh's protocol ids to our version names.
var testsslProtocols = map[string]string{
	"SSLv2": evidence.SSLv2, "SSLv3": evidence.SSLv3, "TLS1": evidence.TLS10,
	"TLS1_1": evidence.TLS11, "TLS1_2": evidence.TLS12, "TLS1_3": evidence.TLS13,
}

// difference is one disagreement between testssl.sh and mxaudit.
type difference struct {
	instance, kind, value, detail string
}

func (d difference) key() string { return d.instance + " " + d.kind + " " + d.value }

// knownDifferences reads known-differences.txt: "instance kind value reason".
func knownDifferences(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("known-differences.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 4 {
			t.Fatalf("known-differences.txt: %q needs instance, kind, value and a reason", line)
		}
		known[strings.Join(fs[:3], " ")] = strings.Join(fs[3:], " ")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return known
}

// suiteCode turns "0xC0,0x2F" (ours) or "xc02f" (testssl.sh) into a number.
func suiteCode(s string) (int, error) {
	h := strings.NewReplacer("0x", "", "0X", "", ",", "").Replace(strings.TrimPrefix(strings.ToLower(s), "x"))
	n, err := strconv.ParseInt(h, 16, 32)
	return int(n), err
}

func TestAgainstTestssl(t *testing.T) {
	dir := outDir(t)
	scan := readScan(t, filepath.Join(dir, "scan.json"))
	known := knownDifferences(t)
	used := map[string]bool{}
	var unexplained []difference
	for _, in := range instances {
		t.Run(in.name, func(t *testing.T) {
			diffs := compareTestssl(t, filepath.Join(dir, "testssl", in.name+".json"), in, probeOf(t, scan, in.ip))
			for _, d := range diffs {
				if reason, ok := known[d.key()]; ok {
					used[d.key()] = true
					t.Logf("known difference %s (%s): %s", d.key(), d.detail, reason)
					continue
				}
				unexplained = append(unexplained, d)
				t.Errorf("difference: %s: %s", d.key(), d.detail)
			}
		})
	}
	for k := range known {
		if !used[k] {
			t.Errorf("known-differences.txt lists %q, but the tools agree there: remove it", k)
		}
	}
	if len(unexplained) > 0 {
		t.Logf("%d unexplained differences between testssl.sh and mxaudit", len(unexplained))
	}
}

func compareTestssl(t *testing.T, path string, in instance, p *evidence.Probe) []difference {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testssl.sh output: %v", err)
	}
	var fs []testsslFinding
	if err := json.Unmarshal(b, &fs); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	theirs := map[string]string{} // version → "offered", "not offered", other text
	theirSuites := map[int]string{}
	theirDH := map[int]int{}
	for _, f := range fs {
		if v, ok := testsslProtocols[f.ID]; ok {
			theirs[v] = f.Finding
		}
		if strings.HasPrefix(f.ID, "cipher_x") {
			code, err := suiteCode(strings.TrimPrefix(f.ID, "cipher_"))
			if err != nil {
				t.Fatalf("testssl.sh cipher id %q: %v", f.ID, err)
			}
			theirSuites[code] = f.Finding
			// "x9f  DHE-RSA-AES256-GCM-SHA384  DH 2048  AESGCM ..."
			if fields := strings.Fields(f.Finding); len(fields) >= 4 && fields[2] == "DH" {
				if bits, err := strconv.Atoi(fields[3]); err == nil {
					theirDH[code] = bits
				}
			}
		}
	}
	var diffs []difference
	if in.name == "nostarttls" {
		// testssl.sh gives up without STARTTLS; so do we.
		if len(theirSuites) != 0 {
			diffs = append(diffs, difference{in.name, "suite", "any", "testssl.sh lists suites on a server without STARTTLS"})
		}
		return diffs
	}
	if len(theirs) != len(testsslProtocols) {
		t.Fatalf("testssl.sh reported %d of 6 protocols (%v); see %s and its .log", len(theirs), theirs, path)
	}
	ours := map[string]evidence.Support{}
	ourSuites := map[int]string{}
	ourDH := map[int]int{}
	for _, v := range p.Versions {
		ours[v.Version] = v.Support
		for _, s := range v.Suites {
			code, err := suiteCode(s.Code)
			if err != nil {
				t.Fatalf("our suite code %q: %v", s.Code, err)
			}
			ourSuites[code] = v.Version + " " + s.Name
			if s.KeyExchange != nil && (s.Kx == "DHE" || s.Kx == "DH_anon") {
				ourDH[code] = s.KeyExchange.Bits
			}
		}
	}
	for _, v := range evidence.Versions {
		offered := strings.HasPrefix(theirs[v], "offered")
		notOffered := strings.HasPrefix(theirs[v], "not offered")
		switch {
		case !offered && !notOffered:
			diffs = append(diffs, difference{in.name, "protocol", v, fmt.Sprintf("testssl.sh: %q, mxaudit: %s", theirs[v], ours[v])})
		case offered != (ours[v] == evidence.Supported), notOffered != (ours[v] == evidence.NotSupported):
			diffs = append(diffs, difference{in.name, "protocol", v, fmt.Sprintf("testssl.sh: %q, mxaudit: %s", theirs[v], ours[v])})
		}
	}
	for code, f := range theirSuites {
		if _, ok := ourSuites[code]; !ok {
			diffs = append(diffs, difference{in.name, "suite", fmt.Sprintf("0x%04X", code), "only testssl.sh: " + strings.Join(strings.Fields(f), " ")})
		}
	}
	for code, s := range ourSuites {
		if _, ok := theirSuites[code]; !ok {
			diffs = append(diffs, difference{in.name, "suite", fmt.Sprintf("0x%04X", code), "only mxaudit: " + s})
		}
	}
	for code, bits := range theirDH {
		if ob, ok := ourDH[code]; ok && ob != bits {
			diffs = append(diffs, difference{in.name, "dh", fmt.Sprintf("0x%04X", code), fmt.Sprintf("testssl.sh: DH %d, mxaudit: DH %d", bits, ob)})
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].key() < diffs[j].key() })
	return diffs
}

// --- the benchmark's connection counts -------------------------------------

// TestBenchConnections checks that the connections Postfix logged during
// each timed mxaudit scan equal those mxaudit says it made.
func TestBenchConnections(t *testing.T) {
	dir := outDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "bench.txt"))
	if err != nil {
		t.Fatalf("no benchmark: %v (e2e.sh runs this test after timing the tools)", err)
	}
	modern := instanceByName(t, "modern")
	runs := 0
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 || f[0] != "mxaudit" {
			continue
		}
		runs++
		logged, err := strconv.Atoi(f[3])
		if err != nil {
			t.Fatalf("bench.txt %q: %v", line, err)
		}
		scan := readScan(t, filepath.Join(dir, "bench-mxaudit-"+f[1]+".out"))
		d, ok := scan["modern.e2e.test"]
		if !ok {
			t.Fatalf("run %s: no result", f[1])
		}
		if said := d.ConnectionsPerAddress[modern.ip]; said != logged {
			t.Errorf("run %s: mxaudit says %d connections to %s, Postfix logged %d", f[1], said, modern.ip, logged)
		}
	}
	if runs == 0 {
		t.Fatal("no mxaudit run in bench.txt")
	}
}
