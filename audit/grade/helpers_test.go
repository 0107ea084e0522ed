package grade

import (
	"crypto/sha256"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/dane/tlsa"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/mtasts/mxpattern"
)

// Suites as the probe would record them (attributes from the reference table).
func sECDHERSA128GCM() evidence.Suite {
	return evidence.Suite{Code: "0xC0,0x2F", Name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Kx: "ECDHE", Au: "RSA", Enc: "AESGCM", Bits: 128, Mac: "AEAD",
		Flags: evidence.SuiteFlags{AEAD: true, ForwardSecret: true}, KeyExchange: &evidence.KeyExchange{Type: "ECDHE", Group: "x25519"}}
}

func sECDHERSA256GCM() evidence.Suite {
	return evidence.Suite{Code: "0xC0,0x30", Name: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Kx: "ECDHE", Au: "RSA", Enc: "AESGCM", Bits: 256, Mac: "AEAD",
		Flags: evidence.SuiteFlags{AEAD: true, ForwardSecret: true}, KeyExchange: &evidence.KeyExchange{Type: "ECDHE", Group: "secp256r1", Bits: 256}}
}

func sECDHERSA128SHA() evidence.Suite {
	return evidence.Suite{Code: "0xC0,0x13", Name: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Kx: "ECDHE", Au: "RSA", Enc: "AES", Bits: 128, Mac: "SHA1",
		Flags: evidence.SuiteFlags{SHA1MAC: true, ForwardSecret: true, CBC: true}}
}

func sTLS13AES128() evidence.Suite {
	return evidence.Suite{Code: "0x13,0x01", Name: "TLS_AES_128_GCM_SHA256", Kx: "TLS13", Enc: "AESGCM", Bits: 128, Mac: "AEAD",
		Flags: evidence.SuiteFlags{AEAD: true, ForwardSecret: true, TLS13Only: true}}
}

func sTLS13AES256() evidence.Suite {
	return evidence.Suite{Code: "0x13,0x02", Name: "TLS_AES_256_GCM_SHA384", Kx: "TLS13", Enc: "AESGCM", Bits: 256, Mac: "AEAD",
		Flags: evidence.SuiteFlags{AEAD: true, ForwardSecret: true, TLS13Only: true}}
}

func sTLS13ChaCha() evidence.Suite {
	return evidence.Suite{Code: "0x13,0x03", Name: "TLS_CHACHA20_POLY1305_SHA256", Kx: "TLS13", Enc: "ChaCha20", Bits: 256, Mac: "AEAD",
		Flags: evidence.SuiteFlags{AEAD: true, ForwardSecret: true, TLS13Only: true}}
}

func sECDHERSAChaCha() evidence.Suite {
	return evidence.Suite{Code: "0xCC,0xA8", Name: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", Kx: "ECDHE", Au: "RSA", Enc: "ChaCha20", Bits: 256, Mac: "AEAD",
		Flags: evidence.SuiteFlags{AEAD: true, ForwardSecret: true}}
}

func sRSA128GCM() evidence.Suite {
	return evidence.Suite{Code: "0x00,0x9C", Name: "TLS_RSA_WITH_AES_128_GCM_SHA256", Kx: "RSA", Au: "RSA", Enc: "AESGCM", Bits: 128, Mac: "AEAD",
		Flags: evidence.SuiteFlags{AEAD: true}}
}

func sRSA128SHA() evidence.Suite {
	return evidence.Suite{Code: "0x00,0x2F", Name: "TLS_RSA_WITH_AES_128_CBC_SHA", Kx: "RSA", Au: "RSA", Enc: "AES", Bits: 128, Mac: "SHA1",
		Flags: evidence.SuiteFlags{SHA1MAC: true, CBC: true}}
}

func sECDHECDSA128GCM() evidence.Suite {
	return evidence.Suite{Code: "0xC0,0x2D", Name: "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", Kx: "ECDH_static", Au: "ECDH", Enc: "AESGCM", Bits: 128, Mac: "AEAD",
		Flags: evidence.SuiteFlags{AEAD: true}}
}

func sDHERSA128GCM(bits int) evidence.Suite {
	return evidence.Suite{Code: "0x00,0x9E", Name: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", Kx: "DHE", Au: "RSA", Enc: "AESGCM", Bits: 128, Mac: "AEAD",
		Flags: evidence.SuiteFlags{AEAD: true, ForwardSecret: true}, KeyExchange: &evidence.KeyExchange{Type: "DHE", Bits: bits}}
}

func sRC4SHA() evidence.Suite {
	return evidence.Suite{Code: "0x00,0x05", Name: "TLS_RSA_WITH_RC4_128_SHA", Kx: "RSA", Au: "RSA", Enc: "RC4", Bits: 128, Mac: "SHA1",
		Flags: evidence.SuiteFlags{RC4: true, SHA1MAC: true}}
}

func s3DES() evidence.Suite {
	return evidence.Suite{Code: "0x00,0x0A", Name: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", Kx: "RSA", Au: "RSA", Enc: "3DES", Bits: 168, Mac: "SHA1",
		Flags: evidence.SuiteFlags{TripleDES: true, SHA1MAC: true, CBC: true}}
}

func sExportRC4() evidence.Suite {
	return evidence.Suite{Code: "0x00,0x03", Name: "TLS_RSA_EXPORT_WITH_RC4_40_MD5", Kx: "RSA_EXPORT", Au: "RSA", Enc: "RC4", Bits: 40, Mac: "MD5",
		Flags: evidence.SuiteFlags{Export: true, RC4: true, MD5: true}}
}

func sADH128() evidence.Suite {
	return evidence.Suite{Code: "0x00,0x34", Name: "TLS_DH_anon_WITH_AES_128_CBC_SHA", Kx: "DH_anon", Au: "None", Enc: "AES", Bits: 128, Mac: "SHA1",
		Flags: evidence.SuiteFlags{Anon: true, SHA1MAC: true, ForwardSecret: true, CBC: true}}
}

func sSSLv2DES3() evidence.Suite {
	return evidence.Suite{Code: "0x07,0x00,0xC0", Name: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", Kx: "RSA", Au: "RSA", Enc: "3DES", Bits: 168, Mac: "MD5",
		Flags: evidence.SuiteFlags{TripleDES: true, MD5: true, CBC: true}}
}

// Fixed moments of the hand-built evidence.
var (
	tStart    = time.Date(2025, time.June, 2, 3, 0, 0, 0, time.UTC)
	tNotAfter = time.Date(2025, time.August, 21, 0, 0, 0, 0, time.UTC)
	tBefore   = time.Date(2025, time.May, 1, 0, 0, 0, 0, time.UTC)
)

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func notSupported(version string) evidence.VersionResult {
	return evidence.VersionResult{Version: version, Support: evidence.NotSupported, Complete: true, Reason: "alert 70"}
}

func supported(version string, suites ...evidence.Suite) evidence.VersionResult {
	return evidence.VersionResult{Version: version, Support: evidence.Supported, Suites: suites, Complete: true, Preference: evidence.PreferServer}
}

// perfectAddress is an address with nothing to object to: TLS 1.2 and 1.3
// with strong suites only, and a trusted certificate for the host.
func perfectAddress(host, ip string) evidence.Address {
	return evidence.Address{
		IP: ip,
		Probe: &evidence.Probe{
			IP: ip, Port: 25, SNI: host, Status: evidence.ProbeOK, StartedAt: tStart,
			SMTP:      &evidence.SMTPSession{STARTTLSOffered: yes(), STARTTLSAfterTLS: no()},
			Handshake: &evidence.Handshake{OK: true, Version: evidence.TLS13, Suite: ptrSuite(sTLS13AES128()), Group: "x25519"},
			Versions: []evidence.VersionResult{
				notSupported(evidence.SSLv2),
				notSupported(evidence.SSLv3),
				notSupported(evidence.TLS10),
				notSupported(evidence.TLS11),
				supported(evidence.TLS12, sECDHERSA256GCM(), sECDHERSA128GCM()),
				supported(evidence.TLS13, sTLS13AES256(), sTLS13AES128()),
			},
		},
		Cert: &evidence.CertCheck{
			Name: host, CheckedAt: tStart,
			Chain: []evidence.Certificate{{Subject: "CN=" + host, Issuer: "CN=Test CA", CommonName: host, DNSNames: []string{host},
				NotBefore: tBefore, NotAfter: tNotAfter, KeyType: "ECDSA", KeyBits: 256, SignatureAlgorithm: "ECDSA-SHA256"}},
			Trusted: yes(), NameMatch: yes(), MatchedBy: host, Expired: no(), DaysToExpiry: 79,
			VerifiedChain: []string{"CN=" + host, "CN=Test CA"},
		},
	}
}

func ptrSuite(s evidence.Suite) *evidence.Suite { return &s }

const (
	testDomain = "example.com"
	mx1        = "mx1.example.com"
	mx2        = "mx2.example.com"
	ip1        = "192.0.2.10"
	ip2        = "192.0.2.11"
	ip3        = "198.51.100.7"
)

// perfectDomain has one MX host with one perfect address.
func perfectDomain() *evidence.Domain {
	return &evidence.Domain{
		Domain: testDomain, StartedAt: tStart, FinishedAt: tStart.Add(time.Minute),
		MX: evidence.MXLookup{
			Lookup:  evidence.Lookup{Name: testDomain, Type: "MX", Status: evidence.DNSOK, Records: []string{"10 " + mx1 + "."}},
			Kind:    evidence.MXExplicit,
			Records: []evidence.MXRecord{{Preference: 10, Host: mx1}},
		},
		Hosts: []evidence.Host{{
			Name: mx1, Preference: 10,
			A:         &evidence.Lookup{Name: mx1, Type: "A", Status: evidence.DNSOK, Records: []string{ip1}},
			Addresses: []evidence.Address{perfectAddress(mx1, ip1)},
		}},
	}
}

// addr1 returns the first address of the first host, for mutation.
func addr1(d *evidence.Domain) *evidence.Address { return &d.Hosts[0].Addresses[0] }

// version returns the VersionResult of a version in the first address.
func version(d *evidence.Domain, v string) *evidence.VersionResult {
	p := addr1(d).Probe
	i := slices.IndexFunc(p.Versions, func(vr evidence.VersionResult) bool { return vr.Version == v })
	return &p.Versions[i]
}

// setVersion replaces a version's result in the first address.
func setVersion(d *evidence.Domain, vr evidence.VersionResult) { *version(d, vr.Version) = vr }

// codes lists the codes of findings.
func codes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

// MTA-STS evidence as audit/mtasts.Check records it.
const (
	stsID  = "20250601T000000"
	stsURL = "https://mta-sts." + testDomain + "/.well-known/mta-sts.txt"
	// stsWeek is a max_age senders cache for a week.
	stsWeek = 604800
)

// stsEvidence is a valid MTA-STS deployment with the given policy; MXMatch
// covers mx1 and mx2 as the patterns do.
func stsEvidence(mode string, maxAge int64, patterns ...string) *evidence.MTASTS {
	body := "version: STSv1\nmode: " + mode + "\n"
	for _, p := range patterns {
		body += "mx: " + p + "\n"
	}
	body += "max_age: " + strconv.FormatInt(maxAge, 10) + "\n"
	m := &evidence.MTASTS{
		TXT:     evidence.Lookup{Name: "_mta-sts." + testDomain, Type: "TXT", Status: evidence.DNSOK, Records: []string{`"v=STSv1; id=` + stsID + `"`}},
		Records: []string{"v=STSv1; id=" + stsID}, ID: stsID, PolicyURL: stsURL,
		Fetch: &evidence.PolicyFetch{URL: stsURL, StatusCode: 200, ContentType: "text/plain; charset=utf-8", Size: len(body), Body: body,
			FetchedAt: tStart},
		Policy:  &evidence.STSPolicy{Version: "STSv1", Mode: mode, MX: patterns, MaxAge: maxAge},
		MXMatch: map[string]string{},
	}
	for _, h := range []string{mx1, mx2} {
		pattern, _ := mxpattern.Match(patterns, h)
		m.MXMatch[h] = pattern
	}
	return m
}

// stsEnforce is an enforced policy covering every host of example.com.
func stsEnforce() *evidence.MTASTS { return stsEvidence(stsModeEnforce, stsWeek, "*.example.com") }

// tlsrptEvidence is a valid TLS-RPT record.
func tlsrptEvidence() *evidence.TLSRPT {
	rec := "v=TLSRPTv1; rua=mailto:tlsrpt@" + testDomain
	return &evidence.TLSRPT{TXT: evidence.Lookup{Name: "_smtp._tls." + testDomain, Type: "TXT", Status: evidence.DNSOK},
		Records: []string{rec}, RUA: []string{"mailto:tlsrpt@" + testDomain}}
}

// tlsaRec returns a SHA2-256 TLSA record whose digest repeats fill.
func tlsaRec(usage, selector uint8, fill string) evidence.TLSARecord {
	return evidence.TLSARecord{Usage: usage, Selector: selector, MatchingType: tlsa.MatchSHA256, Data: strings.Repeat(fill, sha256.Size)}
}

// tlsaLookup is the TLSA answer for mx1 with a DNSSEC status.
func tlsaLookup(dnssec evidence.DNSSECStatus, records ...evidence.TLSARecord) *evidence.TLSALookup {
	return &evidence.TLSALookup{
		Lookup:  evidence.Lookup{Name: "_25._tcp." + mx1, Type: "TLSA", Status: evidence.DNSOK, DNSSEC: dnssec, AD: dnssec == evidence.DNSSECSecure},
		Records: records,
	}
}

// daneMatch is audit/dane.Match's answer when the given records match.
func daneMatch(usable int, matched ...evidence.TLSARecord) *evidence.DANEMatch {
	m := &evidence.DANEMatch{Usable: usable}
	for _, r := range matched {
		m.Matched = append(m.Matched, tlsa.Label(r))
	}
	return m
}

// withDANE publishes secure TLSA records for mx1 and records the first
// address's match.
func withDANE(d *evidence.Domain, m *evidence.DANEMatch, records ...evidence.TLSARecord) {
	d.Hosts[0].TLSA = tlsaLookup(evidence.DNSSECSecure, records...)
	addr1(d).DANE = m
}

// codesWithPrefix lists the codes of the findings that start with one of the prefixes.
func codesWithPrefix(fs []Finding, prefixes ...string) []string {
	var out []string
	for _, f := range fs {
		for _, p := range prefixes {
			if strings.HasPrefix(f.Code, p) {
				out = append(out, f.Code)
			}
		}
	}
	return out
}
