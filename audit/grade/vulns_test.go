package grade

import (
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// policyWithVulns is the default policy, version 3, which has the
// vulnerability rules.
func policyWithVulns() Policy {
	p := Default()
	for code, r := range vulnRules() {
		if p.Rules[code] != r {
			panic("the default policy lacks the vulnerability rule " + code)
		}
	}
	return p
}

func fixedVulns() *evidence.Vulns {
	ok := evidence.VulnCheck{Status: evidence.VulnNotVulnerable, Detail: "fixed"}
	return &evidence.Vulns{STARTTLSInjection: ok, Heartbleed: evidence.VulnCheck{Status: evidence.VulnNotApplicable},
		CCSInjection: ok, SecureRenegotiation: ok, ClientRenegotiation: evidence.VulnCheck{Status: evidence.VulnNotTested},
		Compression: ok, ROBOT: evidence.VulnCheck{Status: evidence.VulnInconclusive}}
}

func findingOf(fs []Finding, code string) *Finding {
	for i := range fs {
		if fs[i].Code == code {
			return &fs[i]
		}
	}
	return nil
}

func TestVulnFindings(t *testing.T) {
	vuln := func(mod func(*evidence.Vulns)) func(*evidence.Domain) {
		return func(d *evidence.Domain) {
			v := fixedVulns()
			mod(v)
			addr1(d).Probe.Vulns = v
		}
	}
	bad := evidence.VulnCheck{Status: evidence.VulnVulnerable, Detail: "seen", Version: evidence.TLS12}
	tests := []struct {
		name  string
		mod   func(*evidence.Domain)
		code  string
		cve   string
		grade Grade
	}{
		{"none", vuln(func(*evidence.Vulns) {}), "", "", GradeA},
		{"no probes run", func(d *evidence.Domain) {}, "", "", GradeA},
		{"heartbleed", vuln(func(v *evidence.Vulns) { v.Heartbleed = bad }), CodeVulnHeartbleed, "CVE-2014-0160", GradeF},
		{"ccs", vuln(func(v *evidence.Vulns) { v.CCSInjection = bad }), CodeVulnCCSInjection, "CVE-2014-0224", GradeF},
		{"robot", vuln(func(v *evidence.Vulns) { v.ROBOT = bad }), CodeVulnROBOT, "CVE-2017-13099", GradeF},
		{"injection", vuln(func(v *evidence.Vulns) { v.STARTTLSInjection = bad }), CodeVulnSTARTTLSInjection, "CVE-2011-0411", GradeAMinus},
		{"renegotiation", vuln(func(v *evidence.Vulns) { v.SecureRenegotiation = bad }), CodeVulnInsecureReneg, "CVE-2009-3555", GradeAMinus},
		{"compression", vuln(func(v *evidence.Vulns) { v.Compression = bad }), CodeVulnCompression, "CVE-2012-4929", GradeAMinus},
		{"client renegotiation", vuln(func(v *evidence.Vulns) { v.ClientRenegotiation = bad }), CodeVulnClientRenegotiation, "CVE-2011-1473", GradeAMinus},
		{"client renegotiation not decided", vuln(func(v *evidence.Vulns) {
			v.ClientRenegotiation = evidence.VulnCheck{Status: evidence.VulnInconclusive, Detail: "handshake_failure"}
		}), "", "", GradeA},
		{"common prime", func(d *evidence.Domain) {
			addr1(d).Probe.DHParams = []evidence.DHParams{{Bits: 1536, Prime: "FF", Known: "RFC 3526 group 5 (1536-bit)"}}
		}, CodeVulnDHCommonPrime, "CVE-2015-4000", GradeA},
		{"approved shared group", func(d *evidence.Domain) {
			addr1(d).Probe.DHParams = []evidence.DHParams{{Bits: 2048, Prime: "FF", Known: "RFC 3526 group 14 (2048-bit)"}}
		}, "", "", GradeA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			tt.mod(d)
			g := GradeDomain(d, policyWithVulns())
			var got []string
			for _, f := range g.Findings {
				if strings.HasPrefix(f.Code, "VULN_") {
					got = append(got, f.Code)
				}
			}
			var want []string
			if tt.code != "" {
				want = []string{tt.code}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("vulnerability findings %v, want %v", got, want)
			}
			if tt.code != "" {
				if f := findingOf(g.Findings, tt.code); f.Args["cve"] != tt.cve {
					t.Errorf("cve = %q, want %q", f.Args["cve"], tt.cve)
				}
			}
			if g.Grade != tt.grade {
				t.Errorf("grade %s, want %s", g.Grade, tt.grade)
			}
			// Version 2 knows nothing of them: its grade and findings stay.
			g2 := GradeDomain(d, builtin(PolicyVersion2))
			if slices.ContainsFunc(g2.Findings, func(f Finding) bool { return strings.HasPrefix(f.Code, "VULN_") }) || g2.Grade != GradeA {
				t.Errorf("version 2 changed: %s %v", g2.Grade, codes(g2.Findings))
			}
		})
	}
}

func TestVulnTags(t *testing.T) {
	d := perfectDomain()
	exportDHE := evidence.Suite{Code: "0x00,0x14", Name: "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", Kx: "DHE_EXPORT", Au: "RSA", Enc: "DES40", Bits: 40, Mac: "SHA1",
		Flags: evidence.SuiteFlags{Export: true, DES: true, CBC: true}}
	setVersion(d, supported(evidence.SSLv2, sSSLv2DES3()))
	setVersion(d, supported(evidence.SSLv3, sRSA128SHA()))
	setVersion(d, supported(evidence.TLS10, sRSA128SHA(), sExportRC4(), exportDHE))
	setVersion(d, supported(evidence.TLS11, sECDHERSA128GCM()))
	setVersion(d, supported(evidence.TLS12, sECDHERSA128GCM(), s3DES(), sRC4SHA(), sDHERSA128GCM(1024)))
	g := GradeDomain(d, policyWithVulns())
	want := map[string][]string{
		CodeSSLv2Enabled:   {"DROWN"},
		CodeSSLv3Enabled:   {"POODLE", "BEAST", "LUCKY13"},
		CodeTLS10Enabled:   {"BEAST", "LUCKY13"},
		CodeWeakCiphers:    {"SWEET32", "RC4"},
		CodeWeakDHCritical: {"FREAK", "LOGJAM"},
	}
	for code, tags := range want {
		f := findingOf(g.Findings, code)
		if f == nil {
			t.Errorf("%s missing: %v", code, codes(g.Findings))
			continue
		}
		for _, tag := range tags {
			if !strings.Contains(f.Args["vulns"], tag) {
				t.Errorf("%s vulns = %q, lacks %s", code, f.Args["vulns"], tag)
			}
		}
	}
	// TLS 1.1 with AEAD only: nothing implied.
	if f := findingOf(g.Findings, CodeTLS11Enabled); f == nil || f.Args["vulns"] != "" {
		t.Errorf("TLS11_ENABLED = %+v, want no tags", f)
	}
	// A 1024-bit DH group alone is LOGJAM on WEAK_DH.
	d = perfectDomain()
	setVersion(d, supported(evidence.TLS12, sECDHERSA128GCM(), sDHERSA128GCM(1024)))
	g = GradeDomain(d, policyWithVulns())
	if f := findingOf(g.Findings, CodeWeakDH); f == nil || !strings.Contains(f.Args["vulns"], "LOGJAM") {
		t.Errorf("WEAK_DH = %+v, want LOGJAM", f)
	}
	if f := findingOf(GradeDomain(d, builtin(PolicyVersion2)).Findings, CodeWeakDH); f == nil || f.Args["vulns"] != "" {
		t.Errorf("version 2 WEAK_DH = %+v, want no tags", f)
	}
}
