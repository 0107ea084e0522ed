package xlsx

import (
	"fmt"
	"time"

	"github.com/mxaudit/mxaudit/report"
)

// Fixed times of the synthetic report, so its cells can be asserted exactly.
var (
	synthStarted = time.Date(2026, time.March, 2, 3, 4, 5, 0, time.UTC)
	synthExpiry  = time.Date(2026, time.June, 30, 23, 59, 59, 0, time.UTC)
)

// Hostile strings of the synthetic report: a certificate subject that is a
// formula, an issuer with control characters and a bidi override, a banner
// far longer than a cell can hold, and characters XML refuses.
const (
	synthSubject = "=HYPERLINK(\"http://evil.example\",\"x\")"
	synthIssuer  = "@SUM(1+1)\x00\x07\u202eevil"
	synthOwner   = "+cmd|' /C calc'!A0"
	synthTags    = "-2+3"
	synthTLSA    = "\ufffe\uffff"
)

// synthBannerLen is the length of the synthetic banner, over the cell limit.
const synthBannerLen = 40000

// syntheticReport builds a report of n domains in memory, each a copy of
// one realistic domain view (two MX hosts with two addresses each, TLS 1.2
// and 1.3 with their suites, a certificate, three findings) under its own
// name. Domain i belongs to vendor i/2, so vendors have two domains.
func syntheticReport(n int) *report.Report {
	fin := synthStarted.Add(time.Hour)
	r := &report.Report{
		SchemaVersion: report.SchemaVersion, GeneratedAt: fin, Tool: "mxaudit", ToolVersion: "test",
		Org:  report.Org{Name: "=Org()", Title: "Vendor mail TLS", Frameworks: []string{"HIPAA", "GLBA"}},
		Run:  report.RunInfo{ID: 7, ListName: "vendors.csv", Status: "completed", StartedAt: synthStarted, FinishedAt: &fin, Policy: "default", PolicyVersion: "2"},
		Base: &report.RunInfo{ID: 6, StartedAt: synthStarted.AddDate(0, -1, 0)},
		Methodology: report.Methodology{Checks: []report.CheckDef{
			{Name: "tls", Label: "TLS"}, {Name: "verifiable", Label: "Verifiable"}, {Name: "tls13", Label: "TLS 1.3"},
		}},
	}
	suites12 := []report.SuiteView{
		{Code: "0xC0,0x2F", Name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Bits: 128, Flags: []string{"aead"}, KeyExchange: "ECDHE x25519"},
		{Code: "0xC0,0x30", Name: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Bits: 256, Flags: []string{"aead"}, KeyExchange: "ECDHE x25519"},
		{Code: "0xCC,0xA8", Name: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", Bits: 256, Flags: []string{"aead"}, KeyExchange: "ECDHE x25519"},
		{Code: "0xC0,0x27", Name: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", Bits: 128, Flags: []string{"cbc"}, KeyExchange: "ECDHE secp256r1"},
		{Code: "0x00,0x9E", Name: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", Bits: 128, Flags: []string{"aead"}, KeyExchange: "DHE 2048 bits"},
		{Code: "0x00,0x9C", Name: "TLS_RSA_WITH_AES_128_GCM_SHA256", Bits: 128, Flags: []string{"no-fs", "aead"}},
		{Code: "0x00,0x2F", Name: "TLS_RSA_WITH_AES_128_CBC_SHA", Bits: 128, Flags: []string{"no-fs", "cbc"}},
		{Code: "0x00,0x0A", Name: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", Bits: 112, Flags: []string{"3des", "<128-bit", "no-fs", "cbc"}, Weak: true},
	}
	suites13 := []report.SuiteView{
		{Code: "0x13,0x01", Name: "TLS_AES_128_GCM_SHA256", Bits: 128, Flags: []string{"aead"}, KeyExchange: "ECDHE x25519"},
		{Code: "0x13,0x02", Name: "TLS_AES_256_GCM_SHA384", Bits: 256, Flags: []string{"aead"}, KeyExchange: "ECDHE x25519"},
		{Code: "0x13,0x03", Name: "TLS_CHACHA20_POLY1305_SHA256", Bits: 256, Flags: []string{"aead"}, KeyExchange: "ECDHE x25519"},
	}
	banner := make([]byte, synthBannerLen)
	for i := range banner {
		banner[i] = "=abc "[i%5]
	}
	for i := range n {
		domain := fmt.Sprintf("vendor%05d.example", i)
		vendor := fmt.Sprintf("Vendor %05d", i/2)
		grades := []string{"A+", "A", "A-", "B", "C", "D", "F", "?"}
		g := grades[i%len(grades)]
		dv := report.DomainView{Domain: domain, Vendors: []string{vendor}, Grade: g, ForcedTLS: "eligible", MXKind: "mx",
			MXLookup: "ok", MTASTS: "enforce", TLSRPT: "absent", AuditedAt: fin}
		for h := range 2 {
			host := fmt.Sprintf("mx%d.%s", h+1, domain)
			mv := report.MXView{Host: host, Preference: uint16(10 * (h + 1)), Grade: g, DANE: "none"}
			for a := range 2 {
				av := report.AddressView{
					IP: fmt.Sprintf("192.0.2.%d", (i*4+h*2+a)%250+1), Grade: g, ProbeView: report.ProbeView{ProbeStatus: "ok", ProbedAt: synthStarted,
						Connections: 14, Banner: "220 " + host + " ESMTP ready", Protocol: "TLSv1.3 TLS_AES_128_GCM_SHA256 (x25519)",
						Versions: []report.VersionView{
							{Version: "SSLv2", Support: "not_supported", Complete: true},
							{Version: "SSLv3", Support: "inconclusive"},
							{Version: "TLSv1.0", Support: "not_tested"},
							{Version: "TLSv1.2", Support: "supported", Preference: "server", Complete: true, Suites: suites12},
							{Version: "TLSv1.3", Support: "supported", Preference: "client", Complete: true, Suites: suites13},
						},
						Cert: &report.CertView{Subject: "CN=" + host, Issuer: "CN=Example CA", SANs: []string{host},
							NotBefore: synthStarted.AddDate(0, -2, 0), NotAfter: synthExpiry, DaysToExpiry: 120, KeyType: "RSA", KeyBits: 2048,
							Signature: "SHA256-RSA", Trusted: "yes", NameMatch: "yes", SHA256: "ab12cd34"}},
					Checks: map[string]string{"tls": "pass", "verifiable": "pass", "tls13": "pass"},
				}
				mv.Addresses = append(mv.Addresses, av)
			}
			dv.MX = append(dv.MX, mv)
		}
		r.Domains = append(r.Domains, dv)
		expiry := synthExpiry
		r.Vendors = append(r.Vendors, report.VendorRow{Vendor: vendor, Domain: domain, Owner: "Dana", Tier: "1", Tags: []string{"PHI", "PCI"},
			Grade: g, ForcedTLS: "eligible", MTASTS: "enforce", DANE: "none", TopFinding: "TLS 1.0 accepted", TopSeverity: "low",
			Findings: 3, Change: "A → " + g, EarliestExpiry: &expiry})
		for k, sev := range []string{"medium", "low", "info"} {
			r.Findings = append(r.Findings, report.Finding{Vendors: []string{vendor}, Domain: domain, Host: "mx1." + domain,
				IP: "192.0.2.1", Code: fmt.Sprintf("CODE_%d", k), Severity: sev, SeverityNum: 2 - k, Title: "A finding title",
				Message: "mx1." + domain + " accepts something it should not.", Remediation: "Turn it off in the MTA's TLS settings.",
				Standards: []string{"RFC 8996", "NIST SP 800-52 Rev. 2 §3.1"}})
		}
		if i%10 == 0 {
			r.Changes = append(r.Changes, report.Change{Kind: "grade_down", Domain: domain, Vendors: []string{vendor}, From: "A", To: g,
				Text: "Grade dropped from A to " + g, Bad: true})
		}
	}
	if n > 0 {
		// The first address carries the hostile strings.
		a := &r.Domains[0].MX[0].Addresses[0]
		a.Banner = "220 " + string(banner)
		a.Cert.Subject, a.Cert.Issuer = synthSubject, synthIssuer
		a.DANE = synthTLSA
		r.Vendors[0].Owner, r.Vendors[0].Tags = synthOwner, []string{synthTags}
		// A certificate from before Excel's calendar, and one host without an address.
		r.Domains[0].MX[1].Addresses[1].Cert.NotAfter = time.Date(1850, time.January, 1, 0, 0, 0, 0, time.UTC)
		r.Domains[0].MX = append(r.Domains[0].MX, report.MXView{Host: "mx3." + r.Domains[0].Domain, Preference: 30, Grade: "?", DANE: "not checked"})
	}
	r.Problems = []report.Problem{{Sheet: "Vendors", Row: 12, Column: "Domain", Value: "=1+1", Message: `"=1+1" is not a domain name`}, {Message: "no header row"}}
	r.Summary = report.Summary{Vendors: (n + 1) / 2, Domains: n, MXHosts: 2 * n, Addresses: 4 * n, ExpiryWarnDays: 30,
		Grades:         []report.GradeCount{{Grade: "A+", Count: 1}, {Grade: "A", Count: 2}, {Grade: "F", Count: 3}, {Grade: "?", Count: 4}, {Grade: "N/A"}},
		VendorGrades:   []report.GradeCount{{Grade: "A+", Count: 5}, {Grade: "F", Count: 6}},
		ForcedEligible: 3, ForcedShare: 0.25, InputProblems: len(r.Problems)}
	return r
}
