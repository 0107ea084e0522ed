package grade

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

func TestPerfectServer(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d *evidence.Domain)
		want   Grade
	}{
		{"no MTA-STS, no DANE", func(*evidence.Domain) {}, GradeA},
		{"MTA-STS enforce covering the host", func(d *evidence.Domain) {
			d.MTASTS = stsEnforce()
		}, GradeAPlus},
		{"MTA-STS testing mode", func(d *evidence.Domain) {
			d.MTASTS = stsEvidence(stsModeTesting, stsWeek, "*.example.com")
		}, GradeA},
		{"DANE match over DNSSEC", func(d *evidence.Domain) {
			withDANE(d, daneMatch(2, tlsaRec(3, 1, "ab")), tlsaRec(3, 1, "ab"), tlsaRec(3, 1, "cd"))
		}, GradeAPlus},
		{"DANE match without DNSSEC", func(d *evidence.Domain) {
			d.Hosts[0].TLSA = tlsaLookup(evidence.DNSSECNotChecked, tlsaRec(3, 1, "ab"), tlsaRec(3, 1, "cd"))
			addr1(d).DANE = daneMatch(2, tlsaRec(3, 1, "ab"))
		}, GradeA},
		{"DANE-EE match while the DANE-TA name check fails", func(d *evidence.Domain) {
			// DANE-EE needs no name check (RFC 7672 §3.2.1): audit/dane.StateOf
			// counts any matched record, whatever NameOK says.
			m := daneMatch(2, tlsaRec(3, 1, "ab"))
			m.NameOK = no()
			withDANE(d, m, tlsaRec(3, 1, "ab"), tlsaRec(2, 0, "cd"))
		}, GradeAPlus},
		{"MTA-STS enforce but no TLS 1.3", func(d *evidence.Domain) {
			d.MTASTS = stsEvidence(stsModeEnforce, stsWeek, mx1)
			setVersion(d, notSupported(evidence.TLS13))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sECDHERSA256GCM())}
		}, GradeA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			tt.mutate(d)
			g := GradeDomain(d, Default())
			if g.Grade != tt.want || g.Incomplete {
				t.Fatalf("Grade = %q (incomplete %v), want %q; findings %q", g.Grade, g.Incomplete, tt.want, codes(g.Findings))
			}
			a := g.MX[0].Addresses[0]
			if a.Score != fullScore {
				t.Errorf("Score = %d, want 100", a.Score)
			}
			var addressLevel []Finding
			for _, f := range g.Findings {
				if f.IP != "" {
					addressLevel = append(addressLevel, f)
				}
			}
			if tt.want == GradeA && !slices.Equal(codes(addressLevel), codes(a.Findings)) {
				t.Errorf("domain's address findings %q differ from the address's %q", codes(addressLevel), codes(a.Findings))
			}
			if g.Policy != DefaultPolicyName || g.PolicyVersion != DefaultPolicyVersion || g.Domain != testDomain {
				t.Errorf("identity = %q %q %q", g.Policy, g.PolicyVersion, g.Domain)
			}
		})
	}

	g := GradeDomain(perfectDomain(), Default())
	if len(g.Findings) != 0 {
		t.Errorf("perfect server has findings %q", codes(g.Findings))
	}
	wantChecks := map[Check]Result{CheckTLS: Pass, CheckCertName: Pass, CheckVerifiable: Pass, CheckSSLv3Off: Pass, CheckTLS10Off: Pass,
		CheckTLS12: Pass, CheckTLS13: Pass, CheckWeakOff: Pass, CheckNISTR1: Pass, CheckNISTR2: Pass, CheckForwardSecrecy: Pass}
	for c, want := range wantChecks {
		if got := g.MX[0].Addresses[0].Checks[c]; got != want {
			t.Errorf("check %s = %q, want %q", c, got, want)
		}
		if got := g.MX[0].Checks[c]; got != want {
			t.Errorf("MX check %s = %q, want %q", c, got, want)
		}
	}
	if g.ForcedTLS != ForcedTLSEligible || g.MX[0].CertName != mx1 || g.MX[0].Preference != 10 {
		t.Errorf("ForcedTLS=%q CertName=%q Preference=%d", g.ForcedTLS, g.MX[0].CertName, g.MX[0].Preference)
	}
}

// findingCase is one finding triggered on an otherwise perfect address.
type findingCase struct {
	name      string
	mutate    func(d *evidence.Domain)
	wantCodes []string // sorted
	code      string   // the finding under test
	deduction int
	severity  Severity
	score     int
	grade     Grade
	args      map[string]string // a subset of the finding's Args
	says      string            // how the message ends, when the test says
}

func findingCases() []findingCase {
	certMut := func(f func(c *evidence.CertCheck)) func(d *evidence.Domain) {
		return func(d *evidence.Domain) { f(addr1(d).Cert) }
	}
	return []findingCase{
		{name: "no starttls", mutate: func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe = &evidence.Probe{IP: ip1, Port: 25, Status: evidence.ProbeNoSTARTTLS,
				SMTP: &evidence.SMTPSession{STARTTLSOffered: no(), Extensions: []string{"PIPELINING", "SIZE 1000"}}}
			a.Cert = nil
		}, wantCodes: []string{CodeNoSTARTTLS}, code: CodeNoSTARTTLS, severity: Critical, score: 100, grade: GradeF},
		{name: "starttls refused 554", mutate: func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe = &evidence.Probe{IP: ip1, Port: 25, Status: evidence.ProbeSTARTTLSFail,
				SMTP:  &evidence.SMTPSession{STARTTLSOffered: yes(), STARTTLS: &evidence.Reply{Code: 554, Lines: []string{"5.7.0 no TLS for you"}}},
				Error: &evidence.Error{Kind: evidence.ErrSMTPReject, Step: "starttls", Code: 554, Message: "554 5.7.0 no TLS for you"}}
			a.Cert = nil
		}, wantCodes: []string{CodeSTARTTLSFailed}, code: CodeSTARTTLSFailed, severity: Critical, score: 100, grade: GradeF,
			args: map[string]string{"cause": "refused", "reply_code": "554", "reply": "5.7.0 no TLS for you"},
			says: "STARTTLS was refused with 554 5.7.0 no TLS for you."},
		{name: "starttls refused without a recorded reply", mutate: func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe = &evidence.Probe{IP: ip1, Port: 25, Status: evidence.ProbeSTARTTLSFail,
				Error: &evidence.Error{Kind: evidence.ErrSMTPReject, Step: "starttls", Code: 502, Message: "502 command not implemented"}}
			a.Cert = nil
		}, wantCodes: []string{CodeSTARTTLSFailed}, code: CodeSTARTTLSFailed, severity: Critical, score: 100, grade: GradeF,
			args: map[string]string{"cause": "refused", "error": "starttls: 502 command not implemented"},
			says: "STARTTLS was refused (starttls: 502 command not implemented)."},
		{name: "starttls refused with 454 on every attempt", mutate: func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe = &evidence.Probe{IP: ip1, Port: 25, Status: evidence.ProbeSTARTTLSFail, Retries: 1,
				SMTP: &evidence.SMTPSession{STARTTLSOffered: yes(), STARTTLS: &evidence.Reply{Code: 454, Lines: []string{"4.7.0 TLS not available due to local problem"}}},
				Error: &evidence.Error{Kind: evidence.ErrSMTPReject, Step: "starttls", Code: 454, Attempts: 2,
					Message: "454 4.7.0 TLS not available due to local problem"}}
			a.Cert = nil
		}, wantCodes: []string{CodeSTARTTLSFailed}, code: CodeSTARTTLSFailed, severity: Critical, score: 100, grade: GradeF,
			args: map[string]string{"cause": "refused", "reply_code": "454", "attempts": "2"},
			says: "STARTTLS was refused with 454 4.7.0 TLS not available due to local problem on each of 2 attempts."},
		{name: "every handshake failed", mutate: func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe.Status = evidence.ProbeTLSFailed
			a.Probe.Error = &evidence.Error{Kind: evidence.ErrTLSAlert, Step: "handshake", Code: 40, Message: "alert handshake_failure"}
			a.Probe.Handshake = &evidence.Handshake{Error: a.Probe.Error}
			a.Probe.Versions = nil
			a.Cert = nil
		}, wantCodes: []string{CodeSTARTTLSFailed}, code: CodeSTARTTLSFailed, severity: Critical, score: 100, grade: GradeF,
			args: map[string]string{"cause": "handshake_failed", "error": "handshake: alert handshake_failure"},
			says: "every TLS handshake failed (handshake: alert handshake_failure)."},
		{name: "sslv2 enabled, specs not listed", mutate: func(d *evidence.Domain) {
			setVersion(d, evidence.VersionResult{Version: evidence.SSLv2, Support: evidence.Supported})
		}, wantCodes: []string{CodeSSLv2Enabled}, code: CodeSSLv2Enabled, severity: Critical, score: 100, grade: GradeF,
			args: map[string]string{"version": "SSLv2"}},
		{name: "sslv3 enabled", mutate: func(d *evidence.Domain) {
			setVersion(d, supported(evidence.SSLv3, sRSA128SHA()))
		}, wantCodes: []string{CodeSSLv3Enabled}, code: CodeSSLv3Enabled, deduction: 35, severity: High, score: 65, grade: GradeC,
			args: map[string]string{"version": "SSLv3", "suites": "TLS_RSA_WITH_AES_128_CBC_SHA"}},
		{name: "no modern tls", mutate: func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS10, sECDHERSA128SHA()))
			setVersion(d, notSupported(evidence.TLS12))
			setVersion(d, notSupported(evidence.TLS13))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS10, Suite: ptrSuite(sECDHERSA128SHA())}
		}, wantCodes: []string{CodeNoModernTLS, CodeNoTLS13, CodeTLS10Enabled}, code: CodeNoModernTLS, deduction: 35, severity: High, score: 55, grade: GradeD,
			args: map[string]string{"versions": "TLSv1.0"}},
		{name: "certificate expired", mutate: certMut(func(c *evidence.CertCheck) {
			c.Expired, c.DaysToExpiry = yes(), -3
		}), wantCodes: []string{CodeCertExpired}, code: CodeCertExpired, deduction: 35, severity: High, score: 65, grade: GradeC,
			args: map[string]string{"not_after": "2025-08-21", "days": "-3"}},
		{name: "certificate not yet valid", mutate: certMut(func(c *evidence.CertCheck) {
			c.NotYetValid = true
		}), wantCodes: []string{CodeCertNotYetValid}, code: CodeCertNotYetValid, deduction: 35, severity: High, score: 65, grade: GradeC,
			args: map[string]string{"not_before": "2025-05-01"}},
		{name: "self-signed certificate", mutate: certMut(func(c *evidence.CertCheck) {
			c.Trusted, c.SelfSigned, c.TrustError = no(), true, "x509: certificate signed by unknown authority"
		}), wantCodes: []string{CodeCertUntrusted}, code: CodeCertUntrusted, deduction: 35, severity: High, score: 65, grade: GradeC,
			args: map[string]string{"cause": "self_signed"}},
		{name: "no nist suite at all", mutate: func(d *evidence.Domain) {
			// ChaCha20 is on neither list, so both NIST checks fail.
			setVersion(d, supported(evidence.TLS12, sECDHERSAChaCha()))
			setVersion(d, supported(evidence.TLS13, sTLS13ChaCha()))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS13, Suite: ptrSuite(sTLS13ChaCha())}
		}, wantCodes: []string{CodeNoNISTR1Suite, CodeNoNISTR2Suite}, code: CodeNoNISTR1Suite, deduction: 35, severity: High, score: 55, grade: GradeD,
			args: map[string]string{"suites": "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, TLS_CHACHA20_POLY1305_SHA256"}},
		{name: "rev 2 suite only meets r1", mutate: func(d *evidence.Domain) {
			// DHE_RSA AES-GCM is missing from the reconstructed Rev. 1 list
			// but on Rev. 2's, which supersedes it: no r1 finding.
			setVersion(d, supported(evidence.TLS12, sDHERSA128GCM(2048)))
			setVersion(d, notSupported(evidence.TLS13))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sDHERSA128GCM(2048))}
		}, wantCodes: []string{CodeNoTLS13}, code: CodeNoTLS13, deduction: 0, severity: Low, score: 100, grade: GradeA},
		{name: "md5 signature", mutate: certMut(func(c *evidence.CertCheck) {
			c.WeakSignature = "MD5-RSA"
		}), wantCodes: []string{CodeCertWeakSignatureMD5}, code: CodeCertWeakSignatureMD5, deduction: 35, severity: High, score: 65, grade: GradeC,
			args: map[string]string{"signature": "MD5-RSA"}},
		{name: "dh prime under 1024 bits", mutate: func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS12, sECDHERSA128GCM(), sDHERSA128GCM(512)))
		}, wantCodes: []string{CodeWeakDHCritical}, code: CodeWeakDHCritical, deduction: 35, severity: High, score: 65, grade: GradeC,
			args: map[string]string{"details": "512-bit DH group with TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"}},
		{name: "name mismatch", mutate: certMut(func(c *evidence.CertCheck) {
			c.NameMatch, c.MatchedBy = no(), ""
			c.Chain[0].DNSNames = []string{"mail.other.example", "*.other.example"}
		}), wantCodes: []string{CodeCertNameMismatch}, code: CodeCertNameMismatch, deduction: 10, severity: Medium, score: 90, grade: GradeAMinus,
			args: map[string]string{"names": "mail.other.example, *.other.example"}},
		{name: "weak ciphers", mutate: func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS12, sECDHERSA128GCM(), sRC4SHA(), s3DES()))
		}, wantCodes: []string{CodeWeakCiphers}, code: CodeWeakCiphers, deduction: 10, severity: Medium, score: 90, grade: GradeAMinus,
			args: map[string]string{"categories": "RC4, 3DES", "suites": "RC4: TLS_RSA_WITH_RC4_128_SHA; 3DES: TLS_RSA_WITH_3DES_EDE_CBC_SHA"}},
		{name: "dh prime of 1024 bits", mutate: func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS12, sECDHERSA128GCM(), sDHERSA128GCM(1024)))
		}, wantCodes: []string{CodeWeakDH}, code: CodeWeakDH, deduction: 10, severity: Medium, score: 90, grade: GradeAMinus,
			args: map[string]string{"details": "1024-bit DH group with TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"}},
		{name: "small ecdhe curve", mutate: func(d *evidence.Domain) {
			s := sECDHERSA128GCM()
			s.KeyExchange = &evidence.KeyExchange{Type: "ECDHE", Group: "secp192r1"}
			setVersion(d, supported(evidence.TLS12, s))
		}, wantCodes: []string{CodeWeakDH}, code: CodeWeakDH, deduction: 10, severity: Medium, score: 90, grade: GradeAMinus,
			args: map[string]string{"details": "secp192r1 (192-bit) with TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}},
		{name: "weak key", mutate: certMut(func(c *evidence.CertCheck) {
			c.WeakKey = "RSA 1024"
		}), wantCodes: []string{CodeCertWeakKey}, code: CodeCertWeakKey, deduction: 10, severity: Medium, score: 90, grade: GradeAMinus,
			args: map[string]string{"key": "RSA 1024"}},
		{name: "sha1 signature", mutate: certMut(func(c *evidence.CertCheck) {
			c.WeakSignature = "SHA1-RSA"
		}), wantCodes: []string{CodeCertWeakSignatureSHA1}, code: CodeCertWeakSignatureSHA1, deduction: 10, severity: Medium, score: 90, grade: GradeAMinus,
			args: map[string]string{"signature": "SHA1-RSA"}},
		{name: "no nist r2 suite", mutate: func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS12, sRSA128GCM(), sECDHERSAChaCha()))
			setVersion(d, supported(evidence.TLS13, sTLS13ChaCha()))
			addr1(d).Probe.Handshake.Suite = ptrSuite(sTLS13ChaCha())
		}, wantCodes: []string{CodeNoNISTR2Suite}, code: CodeNoNISTR2Suite, deduction: 10, severity: Medium, score: 90, grade: GradeAMinus},
		{name: "no forward secrecy", mutate: func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS12, sECDHECDSA128GCM()))
			setVersion(d, notSupported(evidence.TLS13))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sECDHECDSA128GCM())}
		}, wantCodes: []string{CodeNoForwardSecrecy, CodeNoTLS13}, code: CodeNoForwardSecrecy, deduction: 5, severity: Low, score: 95, grade: GradeAMinus},
		{name: "anonymous dh is not forward secrecy", mutate: func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS12, sECDHECDSA128GCM(), sADH128()))
			setVersion(d, notSupported(evidence.TLS13))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sECDHECDSA128GCM())}
		}, wantCodes: []string{CodeNoForwardSecrecy, CodeNoTLS13, CodeWeakCiphers}, code: CodeNoForwardSecrecy, deduction: 5, severity: Low, score: 85, grade: GradeB},
		{name: "expires within the warning window", mutate: certMut(func(c *evidence.CertCheck) {
			c.DaysToExpiry = 30
		}), wantCodes: []string{CodeCertExpiresSoon}, code: CodeCertExpiresSoon, severity: Low, score: 100, grade: GradeA,
			args: map[string]string{"days": "30", "not_after": "2025-08-21"}},
		{name: "chain incomplete", mutate: certMut(func(c *evidence.CertCheck) {
			c.Trusted, c.ChainIncomplete, c.TrustError = no(), true, "x509: certificate signed by unknown authority"
		}), wantCodes: []string{CodeCertChainIncomplete, CodeCertUntrusted}, code: CodeCertChainIncomplete, deduction: 5, severity: Low, score: 60, grade: GradeD,
			args: map[string]string{"issuer": "CN=Test CA"}},
		{name: "tls 1.0 enabled", mutate: func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS10, sECDHERSA128SHA()))
		}, wantCodes: []string{CodeTLS10Enabled}, code: CodeTLS10Enabled, deduction: 10, severity: Medium, score: 90, grade: GradeAMinus,
			args: map[string]string{"version": "TLSv1.0"}},
		{name: "tls 1.1 enabled", mutate: func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS11, sECDHERSA128SHA()))
		}, wantCodes: []string{CodeTLS11Enabled}, code: CodeTLS11Enabled, deduction: 10, severity: Medium, score: 90, grade: GradeAMinus,
			args: map[string]string{"version": "TLSv1.1"}},
		{name: "no tls 1.3", mutate: func(d *evidence.Domain) {
			setVersion(d, notSupported(evidence.TLS13))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sECDHERSA256GCM())}
		}, wantCodes: []string{CodeNoTLS13}, code: CodeNoTLS13, severity: Low, score: 100, grade: GradeA},
		{name: "client cipher order with weak suites", mutate: func(d *evidence.Domain) {
			vr := supported(evidence.TLS12, sECDHERSA128GCM(), sRC4SHA())
			vr.Preference = evidence.PreferClient
			setVersion(d, vr)
		}, wantCodes: []string{CodeWeakCiphers, CodeClientCipherOrder}, code: CodeClientCipherOrder, severity: Info, score: 90, grade: GradeAMinus,
			args: map[string]string{"versions": "TLSv1.2"}},
		{name: "client cipher order with strong suites only", mutate: func(d *evidence.Domain) {
			version(d, evidence.TLS12).Preference = evidence.PreferClient
		}, score: 100, grade: GradeA},
		{name: "starttls after tls", mutate: func(d *evidence.Domain) {
			addr1(d).Probe.SMTP.STARTTLSAfterTLS = yes()
		}, wantCodes: []string{CodeSTARTTLSAfterTLS}, code: CodeSTARTTLSAfterTLS, severity: Info, score: 100, grade: GradeA},
		{name: "data after the 220 to starttls", mutate: func(d *evidence.Domain) {
			addr1(d).Probe.SMTP.DataAfterSTARTTLS = &evidence.UnexpectedData{Bytes: 5, Hex: "3235302078"}
		}, wantCodes: []string{CodeDataAfterSTARTTLS}, code: CodeDataAfterSTARTTLS, deduction: 10, severity: Medium, score: 90, grade: GradeAMinus,
			args: map[string]string{"bytes": "5", "hex": "3235302078"}},
		{name: "protocol anomaly", mutate: func(d *evidence.Domain) {
			addr1(d).Probe.Anomalies = []string{"TLSv1.1 hello answered with TLSv1.2", "suite 0x00,0x05 not offered"}
		}, wantCodes: []string{CodeProtocolAnomaly}, code: CodeProtocolAnomaly, severity: Info, score: 100, grade: GradeA,
			args: map[string]string{"anomalies": "TLSv1.1 hello answered with TLSv1.2; suite 0x00,0x05 not offered"}},
		{name: "private address not dialled", mutate: func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe = &evidence.Probe{IP: ip1, Port: 25, Status: evidence.ProbePrivateAddress,
				Error: &evidence.Error{Kind: evidence.ErrPrivateAddress, Step: "connect", Message: privateReason}}
			a.Cert = nil
		}, wantCodes: []string{CodeMXPrivateAddress}, code: CodeMXPrivateAddress, severity: High, score: 0, grade: GradeInconclusive,
			args: map[string]string{"reason": privateReason}},
		{name: "421 on connect is inconclusive", mutate: func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe = &evidence.Probe{IP: ip1, Port: 25, Status: evidence.ProbeInconclusive,
				Error: &evidence.Error{Kind: evidence.ErrSMTPReject, Step: "banner", Code: 421, Message: "421 4.7.0 too many connections"}}
			a.Cert = nil
		}, wantCodes: []string{CodeInconclusive}, code: CodeInconclusive, severity: Info, score: 0, grade: GradeInconclusive,
			args: map[string]string{"kind": "smtp_reject", "step": "banner", "code": "421",
				"cause": "unclear", "error": "421 4.7.0 too many connections"}},
	}
}

// privateReason is how the auditor words a guard refusal.
const privateReason = "10.1.2.3 is in the private-use block 10.0.0.0/8 (RFC 1918)"

func TestEachFinding(t *testing.T) {
	for _, tt := range findingCases() {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			tt.mutate(d)
			g := GradeDomain(d, Default())
			a := g.MX[0].Addresses[0]
			got := codes(a.Findings)
			slices.Sort(got)
			want := slices.Clone(tt.wantCodes)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("codes = %q, want %q", got, want)
			}
			if a.Score != tt.score || a.Grade != tt.grade {
				t.Errorf("Score=%d Grade=%q, want %d %q", a.Score, a.Grade, tt.score, tt.grade)
			}
			if g.Grade != tt.grade {
				t.Errorf("domain Grade = %q, want %q", g.Grade, tt.grade)
			}
			if tt.code == "" {
				return
			}
			i := slices.IndexFunc(a.Findings, func(f Finding) bool { return f.Code == tt.code })
			f := a.Findings[i]
			if f.Deduction != tt.deduction || f.Severity != tt.severity {
				t.Errorf("%s: deduction %d severity %s, want %d %s", f.Code, f.Deduction, f.Severity, tt.deduction, tt.severity)
			}
			if f.Domain != testDomain || f.Host != mx1 || f.IP != ip1 || f.Args["host"] != mx1 || f.Args["ip"] != ip1 || f.Args["domain"] != testDomain {
				t.Errorf("scope: %q %q %q args %v", f.Domain, f.Host, f.IP, f.Args)
			}
			args := wordedArgs(t, f) // worded arguments (details) as worded
			for k, v := range tt.args {
				if args[k] != v {
					t.Errorf("Args[%q] = %q, want %q", k, args[k], v)
				}
			}
			if f.Reason != "" {
				t.Errorf("the grader wrote a sentence: %q", f.Reason)
			}
			if m := message(t, f); !strings.HasSuffix(m, tt.says) {
				t.Errorf("%s says %q, want it to end %q", f.Code, m, tt.says)
			}
		})
	}
}

func TestCombinations(t *testing.T) {
	sslv3 := func(d *evidence.Domain) { setVersion(d, supported(evidence.SSLv3, sRSA128SHA())) }
	expired := func(d *evidence.Domain) { addr1(d).Cert.Expired, addr1(d).Cert.DaysToExpiry = yes(), -1 }
	mismatch := func(d *evidence.Domain) { addr1(d).Cert.NameMatch = no() }
	weakKey := func(d *evidence.Domain) { addr1(d).Cert.WeakKey = "RSA 1024" }
	rc4 := func(d *evidence.Domain) { setVersion(d, supported(evidence.TLS12, sECDHERSA128GCM(), sRC4SHA())) }
	sslv2 := func(d *evidence.Domain) { setVersion(d, supported(evidence.SSLv2, sSSLv2DES3())) }
	export := func(d *evidence.Domain) { setVersion(d, supported(evidence.TLS12, sECDHERSA128GCM(), sExportRC4())) }
	noFS := func(d *evidence.Domain) { // NO_FORWARD_SECRECY (5) and NO_TLS13 (0)
		setVersion(d, supported(evidence.TLS12, sECDHECDSA128GCM()))
		setVersion(d, notSupported(evidence.TLS13))
		addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sECDHECDSA128GCM())}
	}

	tests := []struct {
		name  string
		muts  []func(*evidence.Domain)
		score int
		grade Grade
	}{
		{"heavy and light", []func(*evidence.Domain){sslv3, noFS}, 60, GradeD},
		{"heavy and medium", []func(*evidence.Domain){sslv3, mismatch}, 55, GradeD},
		{"medium and light", []func(*evidence.Domain){mismatch, noFS}, 85, GradeB},
		{"two heavies", []func(*evidence.Domain){sslv3, expired}, 30, GradeF},
		{"two mediums", []func(*evidence.Domain){mismatch, weakKey}, 80, GradeB},
		{"three mediums", []func(*evidence.Domain){mismatch, weakKey, rc4}, 70, GradeC},
		{"heavy and two mediums", []func(*evidence.Domain){sslv3, mismatch, rc4}, 45, GradeF},
		{"sslv2 forces F whatever the score", []func(*evidence.Domain){sslv2}, 90, GradeF},
		{"export suite: weak ciphers and critical key exchange", []func(*evidence.Domain){export}, 55, GradeD},
		{"same cause twice deducts once", []func(*evidence.Domain){rc4, func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS11, sRC4SHA()))
		}}, 80, GradeB}, // RC4 once (10) and TLS 1.1 (10)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			for _, m := range tt.muts {
				m(d)
			}
			g := GradeDomain(d, Default())
			a := g.MX[0].Addresses[0]
			if a.Score != tt.score || a.Grade != tt.grade {
				t.Errorf("Score=%d Grade=%q, want %d %q (findings %q)", a.Score, a.Grade, tt.score, tt.grade, codes(a.Findings))
			}
		})
	}
}

func TestLetter(t *testing.T) {
	tests := []struct {
		score int
		want  Grade
	}{{100, GradeA}, {99, GradeAMinus}, {90, GradeAMinus}, {89, GradeB}, {80, GradeB}, {79, GradeC}, {65, GradeC},
		{64, GradeD}, {50, GradeD}, {49, GradeF}, {0, GradeF}}
	for _, tt := range tests {
		t.Run(string(tt.want)+"_"+strconv.Itoa(tt.score), func(t *testing.T) {
			if got := letter(tt.score); got != tt.want {
				t.Errorf("letter(%d) = %q, want %q", tt.score, got, tt.want)
			}
		})
	}
}

func TestFindingIDStable(t *testing.T) {
	a := Finding{Code: "SSLV3_ENABLED", Domain: "Example.COM.", Host: "MX1.example.com", IP: "192.0.2.1"}
	b := Finding{Code: "sslv3_enabled", Domain: "example.com", Host: "mx1.example.com.", IP: "192.0.2.1", Severity: Critical}
	if a.ID() != b.ID() {
		t.Fatalf("same finding, different ids: %s %s", a.ID(), b.ID())
	}
	if len(a.ID()) != 16 {
		t.Fatalf("id %q: want 16 hex digits", a.ID())
	}
	for _, other := range []Finding{
		{Code: "SSLV3_ENABLED", Domain: "example.com", Host: "mx1.example.com", IP: "192.0.2.2"},
		{Code: "SSLV3_ENABLED", Domain: "example.com", Host: "mx2.example.com", IP: "192.0.2.1"},
		{Code: "SSLV3_ENABLED", Domain: "example.org", Host: "mx1.example.com", IP: "192.0.2.1"},
		{Code: "SSLV2_ENABLED", Domain: "example.com", Host: "mx1.example.com", IP: "192.0.2.1"},
	} {
		if other.ID() == a.ID() {
			t.Errorf("%+v shares id %s with %+v", other, a.ID(), a)
		}
	}
}

func TestRollup(t *testing.T) {
	c := func(s ControlStatus) Control { return Control{Status: s} }
	for _, tc := range []struct {
		in   []Control
		want ControlStatus
	}{
		{nil, ControlNotApplicable},
		{[]Control{c(ControlNotApplicable)}, ControlNotApplicable},
		{[]Control{c(ControlPass), c(ControlNotApplicable)}, ControlPass},
		{[]Control{c(ControlPass), c(ControlIncomplete)}, ControlIncomplete},
		{[]Control{c(ControlIncomplete), c(ControlFail), c(ControlPass)}, ControlFail},
	} {
		if got := Rollup(tc.in); got != tc.want {
			t.Errorf("Rollup(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
