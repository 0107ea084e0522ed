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
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/templates"
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
	{"dualcert", "127.0.9.17", "postfix"},
	{"tls13", "127.0.9.18", "postfix"},
	{"ccert", "127.0.9.19", "postfix"},
	{"exim", "127.0.9.20", "exim"},
	{"opensmtpd", "127.0.9.21", "opensmtpd"},
}

// The IPv6 instances, inside the network namespace e2e.sh creates (absent
// when it skipped IPv6, see ipv6.txt), and the throttling proxy in front
// of the modern Postfix: not in instances.txt. The IPv6 ones are compared
// with testssl.sh (run with -6 inside the namespace, -U on v6only); the
// proxy is not (the Postfix behind it is).
var (
	v6instances = []instance{
		{"v6only", "fd6e:2e2e:9::10", "postfix"},
		{"v6plain", "fd6e:2e2e:9::16", "postfix"},
	}
	throttled = instance{"throttled", "127.0.9.22", "proxy"}
)

// ecdsa12 are the ECDSA suites Debian 12's OpenSSL 3.0 adds to Postfix's
// default TLS 1.2 list with an ECDSA certificate beside the RSA one.
var ecdsa12 = []string{
	"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305",
	"ECDHE-ECDSA-AES128-CCM", "ECDHE-ECDSA-AES256-CCM", "ECDHE-ECDSA-AES128-CCM8", "ECDHE-ECDSA-AES256-CCM8",
	"ECDHE-ECDSA-ARIA128-GCM-SHA256", "ECDHE-ECDSA-ARIA256-GCM-SHA384", "ECDHE-ECDSA-AES128-SHA256",
	"ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-CAMELLIA128-SHA256", "ECDHE-ECDSA-CAMELLIA256-SHA384",
	"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA",
}

// withoutAnon drops the anonymous (ADH, AECDH) suites, which Postfix leaves
// out when it asks for a client certificate.
func withoutAnon(list []string) []string {
	var out []string
	for _, s := range list {
		if !strings.HasPrefix(s, "ADH-") && !strings.HasPrefix(s, "AECDH-") {
			out = append(out, s)
		}
	}
	return out
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
	// neverCompletes: every handshake ends after the ServerHello, so the
	// suites are those chosen in a ServerHello and the full handshake
	// failed with this alert.
	neverCompletes int
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
	"dualcert": { // TLS 1.2+, an RSA and an ECDSA certificate
		status: evidence.ProbeOK,
		suites: map[string][]string{evidence.TLS12: concat(tls12Default, ecdsa12), evidence.TLS13: tls13Default},
		pref:   evidence.PreferClient,
		dh:     map[string][]int{"DHE": {2048}, "DH_anon": {1024, 3072}},
	},
	"tls13": {
		status: evidence.ProbeOK,
		suites: map[string][]string{evidence.TLS13: tls13Default},
		pref:   evidence.PreferClient,
	},
	// The "encrypt" level: Postfix's mandatory protocols (TLS 1.2+) and
	// ciphers (medium), anonymous suites out since it asks for a certificate.
	"ccert": {
		status: evidence.ProbeSessionFailed,
		suites: map[string][]string{evidence.TLS12: withoutAnon(tls12Default), evidence.TLS13: tls13Default},
		pref:   evidence.PreferClient,
		dh:     map[string][]int{"DHE": {2048}},
	},
	// OpenSMTPD 6.8 (OpenSSL 3, server order): suites chosen in a
	// ServerHello, every handshake then ended with internal_error (80).
	"opensmtpd": {
		status: evidence.ProbeSessionFailed,
		suites: map[string][]string{
			evidence.TLS12: {"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-ARIA256-GCM-SHA384",
				"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ARIA128-GCM-SHA256", "ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-CAMELLIA256-SHA384",
				"ECDHE-RSA-AES128-SHA256", "ECDHE-RSA-CAMELLIA128-SHA256", "ECDHE-RSA-AES256-SHA", "ECDHE-RSA-AES128-SHA",
				"AES256-GCM-SHA384", "AES256-CCM8", "AES256-CCM", "ARIA256-GCM-SHA384", "AES128-GCM-SHA256", "AES128-CCM8",
				"AES128-CCM", "ARIA128-GCM-SHA256", "AES256-SHA256", "CAMELLIA256-SHA256", "AES128-SHA256", "CAMELLIA128-SHA256",
				"AES256-SHA", "CAMELLIA256-SHA", "AES128-SHA", "CAMELLIA128-SHA"},
			evidence.TLS13: {"TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"},
		},
		pref:           evidence.PreferServer,
		neverCompletes: 80,
	},
	"v6only":  defaultPostfix,
	"v6plain": {status: evidence.ProbeNoSTARTTLS},
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
	// more are the instances of the host's further addresses (AAAA after A).
	more []string
	// otherKeys are the key types of the other certificates a sender can
	// get at the first address (Address.OtherCerts), each judged like cert.
	otherKeys []string
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
	// reasons maps a finding code to text its reason (the finding's
	// "reason" argument) must contain.
	reasons map[string]string
	// v6 marks a domain served from the IPv6 namespace (skipped with it).
	v6 bool
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
		// An RSA and an ECDSA certificate: both collected and judged.
		domain: "dualcert.e2e.test", grade: "B", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts: []hostWant{{name: "mx.dualcert.e2e.test", pref: 10, instance: "dualcert", cert: good("mx.dualcert.e2e.test"),
			tlsa: evidence.DNSOK, dane: []string{"3 1 1"}, otherKeys: []string{"ECDSA"}}},
		findings: concat(noSenderAuth, []string{"CLIENT_CIPHER_ORDER", "MTASTS_MISSING", "TLSRPT_MISSING", "WEAK_CIPHERS", "WEAK_DH"}),
	},
	{
		domain: "tls13.e2e.test", grade: "A", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts:    []hostWant{{name: "mx.tls13.e2e.test", pref: 10, instance: "tls13", cert: good("mx.tls13.e2e.test"), tlsa: evidence.DNSNXDomain}},
		findings: concat(noSenderAuth, []string{"MTASTS_MISSING", "TLSRPT_MISSING"}),
	},
	{
		// A client certificate required: the handshake completes, EHLO
		// inside TLS gets a 421 on every session, so no sender can deliver.
		domain: "ccert.e2e.test", grade: "F", forced: grade.ForcedTLSNotEligible, mxKind: evidence.MXExplicit,
		hosts:    []hostWant{{name: "mx.ccert.e2e.test", pref: 10, instance: "ccert", cert: good("mx.ccert.e2e.test"), tlsa: evidence.DNSNXDomain}},
		findings: concat(noSenderAuth, []string{"MTASTS_MISSING", "STARTTLS_FAILED", "TLSRPT_MISSING"}),
		reasons:  map[string]string{"STARTTLS_FAILED": "No client certificate presented"},
	},
	{
		// Every handshake aborts after the ServerHello; the certificate
		// still comes from the raw hellos' cleartext answers.
		domain: "opensmtpd.e2e.test", grade: "F", forced: grade.ForcedTLSNotEligible, mxKind: evidence.MXExplicit,
		hosts:    []hostWant{{name: "mx.opensmtpd.e2e.test", pref: 10, instance: "opensmtpd", cert: good("mx.opensmtpd.e2e.test"), tlsa: evidence.DNSNXDomain}},
		findings: concat(noSenderAuth, []string{"MTASTS_MISSING", "STARTTLS_FAILED", "TLSRPT_MISSING"}),
		reasons:  map[string]string{"STARTTLS_FAILED": "no TLS handshake ever completed"},
	},
	{
		// The modern Postfix behind the throttling proxy: the same verdicts.
		domain: "throttled.e2e.test", grade: "A", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit,
		hosts:    []hostWant{{name: "mx.throttled.e2e.test", pref: 10, instance: "throttled", cert: good("mx.modern.e2e.test"), tlsa: evidence.DNSNXDomain}},
		findings: concat(noSenderAuth, []string{"MTASTS_MISSING", "TLSRPT_MISSING"}),
	},
	{
		// An AAAA-only MX host: Postfix's defaults over IPv6.
		domain: "v6only.e2e.test", grade: "D", forced: grade.ForcedTLSEligible, mxKind: evidence.MXExplicit, v6: true,
		hosts:    []hostWant{{name: "mx.v6only.e2e.test", pref: 10, instance: "v6only", cert: good("mx.v6only.e2e.test"), tlsa: evidence.DNSNXDomain}},
		findings: concat(weakPostfix, noSenderAuth, []string{"MTASTS_MISSING", "TLSRPT_MISSING"}),
	},
	{
		// A dual-stack MX host: the modern Postfix over IPv4, no STARTTLS
		// over IPv6. A sender that picks IPv6 delivers in plain text.
		domain: "dualstack.e2e.test", grade: "F", forced: grade.ForcedTLSNotEligible, mxKind: evidence.MXExplicit, v6: true,
		hosts: []hostWant{{name: "mx.dual.e2e.test", pref: 10, instance: "modern", more: []string{"v6plain"},
			cert: good("mx.modern.e2e.test"), tlsa: evidence.DNSNXDomain}},
		findings: concat(noSenderAuth, []string{"MTASTS_MISSING", "NO_STARTTLS", "TLSRPT_MISSING"}),
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
	for _, in := range concatInstances(instances, v6instances, []instance{throttled}) {
		if in.name == name {
			return in
		}
	}
	t.Fatalf("no instance %q", name)
	return instance{}
}

func concatInstances(lists ...[]instance) []instance {
	var out []instance
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// ipv6 reports whether e2e.sh started the IPv6 servers; when it skipped
// them (no IPv6 in this kernel or container, no network namespaces) it
// says why in ipv6.txt, and the tests of those servers are skipped with
// that message.
func ipv6(t *testing.T) (ok bool, why string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(outDir(t), "ipv6.txt"))
	if err != nil {
		t.Fatalf("e2e.sh wrote no ipv6.txt: %v", err)
	}
	line := strings.TrimSpace(string(b))
	return strings.HasPrefix(line, "ok:"), line
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
	v6ok, why := ipv6(t)
	for _, in := range concatInstances(instances, v6instances) {
		want := servers[in.name]
		t.Run(in.name, func(t *testing.T) {
			if strings.Contains(in.ip, ":") && !v6ok {
				t.Skipf("IPv6 servers not started: %s", why)
			}
			p := probeOf(t, scan, in.ip)
			if p.Status != want.status {
				t.Fatalf("probe status %q (error %v), want %q", p.Status, p.Error, want.status)
			}
			if want.status == evidence.ProbeSessionFailed && (p.Error == nil || p.Error.Inconclusive()) {
				// The evidence says what the verdict says, and why.
				t.Errorf("session_failed with error %+v, want the failure that ended the session", p.Error)
			}
			if want.status != evidence.ProbeOK && want.status != evidence.ProbeSessionFailed {
				if len(p.Versions) != 0 {
					t.Errorf("versions tested without TLS: %+v", p.Versions)
				}
				return
			}
			hs := p.Handshake
			switch {
			case hs == nil:
				t.Errorf("no full handshake recorded")
			case want.neverCompletes != 0:
				if hs.OK || hs.Error == nil || hs.Error.Alert == nil || hs.Error.Alert.Code != want.neverCompletes {
					t.Errorf("full handshake ok %v error %+v, want it ended by alert %d", hs.OK, hs.Error, want.neverCompletes)
				}
			case !hs.OK:
				t.Errorf("full handshake failed: %+v", hs.Error)
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
					if want.neverCompletes != 0 && v.Version != evidence.TLS13 {
						// The handshake ends before the ServerKeyExchange
						// (OpenSMTPD fails to sign it): no key exchange to see.
						if s.KeyExchange != nil {
							t.Errorf("%s %s: key exchange %+v from a server that never sends one", v.Version, s.OpenSSL, s.KeyExchange)
						}
						continue
					}
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
	v6ok, why := ipv6(t)
	if n := expectedDomains(v6ok); len(scan) != n {
		t.Errorf("scan has %d domains, want %d", len(scan), n)
	}
	for _, want := range domains {
		t.Run(want.domain, func(t *testing.T) {
			if want.v6 && !v6ok {
				t.Skipf("IPv6 servers not started: %s", why)
			}
			d, ok := scan[want.domain]
			if !ok || d.Evidence == nil {
				t.Fatalf("%s missing from the scan", want.domain)
			}
			checkDomain(t, d, want)
		})
	}
}

// expectedDomains is how many domains e2e.sh audits.
func expectedDomains(v6ok bool) int {
	n := 0
	for _, d := range domains {
		if v6ok || !d.v6 {
			n++
		}
	}
	return n
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
	wording, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	for code, text := range want.reasons {
		found := false
		for _, f := range g.Findings {
			// The sentence is rendered from templates, as every report
			// shows it; a stored sentence stands for older findings.
			msg := f.Reason
			if txt, err := wording.Finding(f.Code, f.Args); err == nil {
				msg = txt.Message
			}
			if f.Code == code && strings.Contains(msg, text) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s finding whose reason contains %q", code, text)
		}
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
	ips := []string{in.ip}
	for _, m := range want.more {
		ips = append(ips, instanceByName(t, m).ip)
	}
	var got []string
	for _, a := range h.Addresses {
		got = append(got, a.IP)
		if a.Probe == nil || a.Probe.Port == 0 {
			t.Errorf("%s %s: no probe", h.Name, a.IP)
		}
	}
	if !slices.Equal(got, ips) {
		t.Fatalf("%s addresses %v, want %v", h.Name, got, ips)
	}
	a := h.Addresses[0]
	if a.Probe == nil || a.Probe.Port == 0 {
		t.Fatalf("%s: no probe", h.Name)
	}
	checkCert(t, h, a.Cert, want)
	var others []string
	for i := range a.OtherCerts {
		oc := &a.OtherCerts[i]
		if len(oc.Chain) > 0 {
			others = append(others, oc.Chain[0].KeyType)
		}
		checkCert(t, h, oc, want)
	}
	if !slices.Equal(others, want.otherKeys) {
		t.Errorf("%s: other certificates with keys %v, want %v", h.Name, others, want.otherKeys)
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

// checkCert judges one certificate check of a host against want.cert.
func checkCert(t *testing.T, h evidence.Host, c *evidence.CertCheck, want hostWant) {
	t.Helper()
	switch {
	case want.cert == nil:
		if c != nil && len(c.Chain) > 0 {
			t.Errorf("%s: a certificate without TLS: %+v", h.Name, c)
		}
		return
	case c == nil || len(c.Chain) == 0:
		t.Errorf("%s: no certificate checked", h.Name)
		return
	}
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
	v6ok, why := ipv6(t)
	for _, want := range domains {
		t.Run(want.domain, func(t *testing.T) {
			if want.v6 && !v6ok {
				t.Skipf("IPv6 servers not started: %s", why)
			}
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
		// A TLSA record for the RSA key only, on a server that also holds an
		// ECDSA certificate: ECDSA-capable senders get the certificate no
		// record matches, so DANE fails for them.
		{domain: "dualcert.e2e.test", mx: evidence.DNSSECSecure, tlsa: evidence.DNSSECSecure, dane: []string{"3 1 1"},
			grade: "F", findings: concat(noSenderAuth, []string{"CLIENT_CIPHER_ORDER", "DANE_INVALID", "DANE_NO_ROLLOVER",
				"MTASTS_MISSING", "TLSRPT_MISSING", "WEAK_CIPHERS", "WEAK_DH"})},
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

// TestDANEEveryCertificate: with the trust anchor, the ECDSA certificate
// of the dual-certificate server is matched against the TLSA set too and
// fails it, while the RSA one matches.
func TestDANEEveryCertificate(t *testing.T) {
	scan := readScan(t, filepath.Join(outDir(t), "scan-dane.json"))
	d, ok := scan["dualcert.e2e.test"]
	if !ok || d.Evidence == nil || len(d.Evidence.Hosts) != 1 || len(d.Evidence.Hosts[0].Addresses) != 1 {
		t.Fatalf("dualcert.e2e.test missing or malformed in scan-dane.json")
	}
	a := d.Evidence.Hosts[0].Addresses[0]
	if a.DANE == nil || len(a.DANE.Matched) != 1 {
		t.Errorf("RSA certificate: DANE %+v, want one match", a.DANE)
	}
	if len(a.OtherCerts) != 1 || len(a.OtherCerts[0].Chain) == 0 || a.OtherCerts[0].Chain[0].KeyType != "ECDSA" {
		t.Fatalf("other certificates %+v, want the ECDSA one", a.OtherCerts)
	}
	if m := a.OtherCerts[0].DANE; m == nil || len(m.Matched) != 0 {
		t.Errorf("ECDSA certificate: DANE %+v, want checked and unmatched", m)
	}
}

// TestHandshakeNeverCompleted: OpenSMTPD's suites are shown as chosen in a
// ServerHello of handshakes that never completed.
func TestHandshakeNeverCompleted(t *testing.T) {
	scan := readScan(t, filepath.Join(outDir(t), "scan.json"))
	d := scan["opensmtpd.e2e.test"]
	found := false
	for _, mx := range d.Grade.MX {
		for _, a := range mx.Addresses {
			found = true
			if !a.HandshakeNeverCompleted {
				t.Errorf("%s %s: handshake_never_completed not set", mx.Host, a.IP)
			}
		}
	}
	if !found {
		t.Fatal("no graded address for opensmtpd.e2e.test")
	}
}

// TestThrottled: behind the proxy that refuses past THROTTLE_LIMIT
// connections per window, the scan paused, resumed and completed: the
// throttling is in the evidence, within the budget, and the suite lists
// equal those of the same Postfix reached directly.
func TestThrottled(t *testing.T) {
	dir := outDir(t)
	scan := readScan(t, filepath.Join(dir, "scan.json"))
	p := probeOf(t, scan, throttled.ip)
	direct := probeOf(t, scan, instanceByName(t, "modern").ip)
	if p.Status != evidence.ProbeOK {
		t.Fatalf("status %s (%+v), want ok", p.Status, p.Error)
	}
	th := p.Throttle
	if th == nil || th.Refusals == 0 || th.Waited <= 0 || th.BudgetExhausted {
		t.Fatalf("throttle %+v, want refusals waited for within the budget", th)
	}
	t.Logf("throttled: %d refusals, waited %v of %v", th.Refusals, time.Duration(th.Waited), time.Duration(th.Budget))
	suites := map[string][]string{}
	for _, v := range direct.Versions {
		suites[v.Version] = suiteNames(v.Suites)
	}
	for _, v := range p.Versions {
		if !v.Complete {
			t.Errorf("%s: enumeration incomplete (%s)", v.Version, v.Reason)
		}
		if got := suiteNames(v.Suites); !slices.Equal(sortedCopy(got), sortedCopy(suites[v.Version])) {
			t.Errorf("%s: suites %v behind the proxy, %v direct", v.Version, got, suites[v.Version])
		}
	}
	// The proxy's own count: it did refuse, at least as often as mxaudit says.
	b, err := os.ReadFile(filepath.Join(dir, "throttle-stats.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var accepted, refused int
	if _, err := fmt.Sscanf(string(b), "accepted %d refused %d", &accepted, &refused); err != nil {
		t.Fatalf("throttle-stats.txt %q: %v", b, err)
	}
	if refused < th.Refusals {
		t.Errorf("the proxy refused %d connections in all, mxaudit's scan says %d", refused, th.Refusals)
	}
}

// --- testssl.sh against mxaudit -------------------------------------------

// testsslFinding is one entry of testssl.sh's flat JSON.
type testsslFinding struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Finding  string `json:"finding"`
}

// testsslProtocols maps testssl.sh's protocol ids to our version names.
var testsslProtocols = map[string]string{
	"SSLv2": evidence.SSLv2, "SSLv3": evidence.SSLv3, "TLS1": evidence.TLS10,
	"TLS1_1": evidence.TLS11, "TLS1_2": evidence.TLS12, "TLS1_3": evidence.TLS13,
}

// difference is one disagreement between testssl.sh and mxaudit.
type difference struct {
	instance, kind, value, detail string
	// version is the version mxaudit lists a suite under, for a suite
	// only mxaudit lists: a known difference may name the version in
	// place of each suite code ("opensmtpd suite TLSv1.2 ...").
	version string
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
	// The instances testssl.sh ran -U against (testssl-vuln.txt).
	vb, err := os.ReadFile(filepath.Join(dir, "testssl-vuln.txt"))
	if err != nil {
		t.Fatal(err)
	}
	vulnChecked := strings.Fields(string(vb))
	if len(vulnChecked) == 0 {
		t.Fatal("testssl-vuln.txt names no instance: the -U verdicts would go uncompared")
	}
	v6ok, why := ipv6(t)
	if v6ok && !slices.Contains(vulnChecked, "v6only") {
		t.Error("testssl-vuln.txt lacks v6only: the IPv6 server's -U verdicts would go uncompared")
	}
	used := map[string]bool{}
	var unexplained []difference
	// One row per instance whose -U verdicts were compared, for results.txt.
	var vulnRows []string
	for _, in := range concatInstances(instances, v6instances) {
		t.Run(in.name, func(t *testing.T) {
			if strings.Contains(in.ip, ":") && !v6ok {
				t.Skipf("IPv6 servers not started: %s", why)
			}
			path := filepath.Join(dir, "testssl", in.name+".json")
			p := probeOf(t, scan, in.ip)
			diffs := compareTestssl(t, path, in, p)
			vulnAt := len(diffs)
			compared := -1
			if slices.Contains(vulnChecked, in.name) {
				var vd []difference
				vd, compared = compareVulns(t, path, in, p, findingsOf(scan, in.ip))
				diffs = append(diffs, vd...)
			}
			var knownVulns []string
			for i, d := range diffs {
				keys := []string{d.key()}
				if d.version != "" {
					keys = append(keys, d.instance+" "+d.kind+" "+d.version)
				}
				explained := false
				for _, k := range keys {
					if reason, ok := known[k]; ok {
						used[k] = true
						explained = true
						t.Logf("known difference %s (%s): %s", d.key(), d.detail, reason)
						break
					}
				}
				if explained {
					if i >= vulnAt {
						knownVulns = append(knownVulns, d.value)
					}
					continue
				}
				unexplained = append(unexplained, d)
				t.Errorf("difference: %s: %s", d.key(), d.detail)
			}
			if compared >= 0 {
				addr := in.ip
				if strings.Contains(addr, ":") {
					addr = "[" + addr + "]"
				}
				explained := "-"
				if len(knownVulns) > 0 {
					explained = strings.Join(knownVulns, ",")
				}
				vulnRows = append(vulnRows, fmt.Sprintf("%-10s %-20s %8d %6d %s", in.name, addr, compared,
					compared-(len(diffs)-vulnAt), explained))
			}
		})
	}
	// e2e.sh copies this table into results.txt.
	table := fmt.Sprintf("%-10s %-20s %8s %6s %s\n", "instance", "address", "compared", "agree", "explained_differences") +
		strings.Join(vulnRows, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "testssl-vuln-compared.txt"), []byte(table), 0o644); err != nil {
		t.Error(err)
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
	if in.name == "nostarttls" || in.name == "v6plain" {
		// testssl.sh gives up without STARTTLS; so do we.
		if len(theirSuites) != 0 {
			diffs = append(diffs, difference{in.name, "suite", "any", "testssl.sh lists suites on a server without STARTTLS", ""})
		}
		return diffs
	}
	if len(theirs) != len(testsslProtocols) {
		t.Fatalf("testssl.sh reported %d of 6 protocols (%v); see %s and its .log", len(theirs), theirs, path)
	}
	ours := map[string]evidence.Support{}
	ourSuites := map[int]string{}
	ourVersion := map[int]string{}
	ourDH := map[int]int{}
	for _, v := range p.Versions {
		ours[v.Version] = v.Support
		for _, s := range v.Suites {
			code, err := suiteCode(s.Code)
			if err != nil {
				t.Fatalf("our suite code %q: %v", s.Code, err)
			}
			ourSuites[code] = v.Version + " " + s.Name
			if _, seen := ourVersion[code]; !seen {
				ourVersion[code] = v.Version
			}
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
			diffs = append(diffs, difference{in.name, "protocol", v, fmt.Sprintf("testssl.sh: %q, mxaudit: %s", theirs[v], ours[v]), ""})
		case offered != (ours[v] == evidence.Supported), notOffered != (ours[v] == evidence.NotSupported):
			diffs = append(diffs, difference{in.name, "protocol", v, fmt.Sprintf("testssl.sh: %q, mxaudit: %s", theirs[v], ours[v]), ""})
		}
	}
	for code, f := range theirSuites {
		if _, ok := ourSuites[code]; !ok {
			diffs = append(diffs, difference{in.name, "suite", fmt.Sprintf("0x%04X", code), "only testssl.sh: " + strings.Join(strings.Fields(f), " "), ""})
		}
	}
	for code, s := range ourSuites {
		if _, ok := theirSuites[code]; !ok {
			diffs = append(diffs, difference{in.name, "suite", fmt.Sprintf("0x%04X", code), "only mxaudit: " + s, ourVersion[code]})
		}
	}
	for code, bits := range theirDH {
		if ob, ok := ourDH[code]; ok && ob != bits {
			diffs = append(diffs, difference{in.name, "dh", fmt.Sprintf("0x%04X", code), fmt.Sprintf("testssl.sh: DH %d, mxaudit: DH %d", bits, ob), ""})
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].key() < diffs[j].key() })
	return diffs
}

// testsslVulns maps the ids of testssl.sh's -U checks to what mxaudit
// calls the same flaw: a probe of its own (Probe.Vulns) or a tag the
// grader puts on the version and suite findings (argument "vulns").
var testsslVulns = map[string]string{
	"heartbleed": "heartbleed", "CCS": "ccs_injection", "ROBOT": "robot", "secure_renego": "secure_renegotiation",
	"secure_client_renego": "client_renegotiation", "CRIME_TLS": "compression",
	"POODLE_SSL": "POODLE", "SWEET32": "SWEET32", "FREAK": "FREAK", "DROWN": "DROWN", "LOGJAM": "LOGJAM",
	"BEAST": "BEAST", "LUCKY13": "LUCKY13", "RC4": "RC4",
}

// findingsOf returns the graded findings of one address, from any domain
// that uses it.
func findingsOf(scan map[string]scanDomain, ip string) []grade.Finding {
	names := make([]string, 0, len(scan))
	for n := range scan {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var out []grade.Finding
		for _, f := range scan[n].Grade.Findings {
			if f.IP == ip {
				out = append(out, f)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// ourVulns is mxaudit's verdict per flaw at one address: true vulnerable,
// false not vulnerable (or not reachable: not_applicable); a flaw whose
// probe did not answer (not tested, inconclusive) is absent.
func ourVulns(p *evidence.Probe, fs []grade.Finding) map[string]bool {
	out := map[string]bool{}
	if p.Vulns != nil {
		for name, c := range map[string]evidence.VulnCheck{
			"heartbleed": p.Vulns.Heartbleed, "ccs_injection": p.Vulns.CCSInjection, "robot": p.Vulns.ROBOT,
			"secure_renegotiation": p.Vulns.SecureRenegotiation, "client_renegotiation": p.Vulns.ClientRenegotiation,
			"compression": p.Vulns.Compression,
		} {
			switch c.Status {
			case evidence.VulnVulnerable:
				out[name] = true
			case evidence.VulnNotVulnerable, evidence.VulnNotApplicable:
				out[name] = false
			}
		}
	}
	// The tags need every version's suite list whole.
	for _, v := range p.Versions {
		if !v.Complete {
			return out
		}
	}
	for _, tag := range []string{"POODLE", "SWEET32", "FREAK", "DROWN", "LOGJAM", "BEAST", "LUCKY13", "RC4"} {
		out[tag] = false
		for _, f := range fs {
			if strings.Contains(f.Args["vulns"], tag+" ") {
				out[tag] = true
			}
		}
	}
	return out
}

// theirVuln reads one testssl.sh -U verdict: severity OK is not
// vulnerable; LOW and above with "vulnerable" in the text is vulnerable
// (BEAST "likely mitigated" and LUCKY13 "potentially vulnerable"
// included); INFO, WARN and the rest (test not run, failed) are no answer.
func theirVuln(f testsslFinding) (vulnerable, answered bool) {
	switch f.Severity {
	case "OK":
		return false, true
	case "LOW", "MEDIUM", "HIGH", "CRITICAL":
		return strings.Contains(strings.ToLower(f.Finding), "vulnerable"), strings.Contains(strings.ToLower(f.Finding), "vulnerable")
	}
	return false, false
}

// compareVulns compares testssl.sh's -U verdicts with mxaudit's where both
// answered.
func compareVulns(t *testing.T, path string, in instance, p *evidence.Probe, fs []grade.Finding) (diffs []difference, compared int) {
	t.Helper()
	if p.Status != evidence.ProbeOK {
		return nil, 0
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("testssl.sh output: %v", err)
	}
	var theirs []testsslFinding
	if err := json.Unmarshal(b, &theirs); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	ours := ourVulns(p, fs)
	for _, f := range theirs {
		name, ok := testsslVulns[f.ID]
		if !ok {
			continue
		}
		tv, answered := theirVuln(f)
		ov, known := ours[name]
		if !answered || !known {
			t.Logf("-U %s: not compared (testssl.sh %s %q; mxaudit has an answer: %v)", f.ID, f.Severity, f.Finding, known)
			continue
		}
		compared++
		if tv != ov {
			diffs = append(diffs, difference{in.name, "vuln", f.ID,
				fmt.Sprintf("testssl.sh: %s %q, mxaudit %s vulnerable: %v", f.Severity, f.Finding, name, ov), ""})
		}
	}
	if compared == 0 {
		t.Errorf("no -U verdict compared (testssl.sh ran without -U, or mxaudit answered none)")
	}
	t.Logf("%d -U verdicts compared", compared)
	return diffs, compared
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
