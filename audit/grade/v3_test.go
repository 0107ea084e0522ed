package grade

import (
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// policyV2 is the built-in policy's version 2, as regrade --policy v2 selects it.
func policyV2(t *testing.T) Policy {
	t.Helper()
	p, ok := PolicyByName("v2")
	if !ok || p.Version != PolicyVersion2 {
		t.Fatalf("PolicyByName(v2) = %v %q", ok, p.Version)
	}
	return p
}

// goOffered is what the scanner's full handshake offers, as it records it.
func goOffered() []string {
	return []string{"0x13,0x01", "0x13,0x02", "0x13,0x03", "0xC0,0x2B", "0xC0,0x2F", "0xC0,0x2C", "0xC0,0x30", "0xCC,0xA9", "0xCC,0xA8",
		"0xC0,0x09", "0xC0,0x13", "0xC0,0x0A", "0xC0,0x14", "0x00,0x9C", "0x00,0x9D", "0x00,0x2F", "0x00,0x35", "0xC0,0x12", "0x00,0x0A"}
}

// helloOnly is an address whose raw hellos were answered with ServerHellos
// but whose full handshake the server ended with err: OpenSMTPD 6.8 under
// OpenSSL 3 does this to every client.
func helloOnly(err *evidence.Error) func(d *evidence.Domain) {
	return func(d *evidence.Domain) {
		addr1(d).Probe.Handshake = &evidence.Handshake{OK: false, Error: err, Offered: goOffered()}
	}
}

// clientCertRequired is an address whose handshake completed and whose
// session the server ended at the first command (a client certificate is
// required, TLS 1.3).
func clientCertRequired(d *evidence.Domain) {
	a := addr1(d)
	a.Probe.Handshake.Offered = goOffered()
	a.Probe.SMTP.PostTLSError = &evidence.Error{Kind: evidence.ErrTLSAlert, Step: "post_tls_ehlo", Code: 116,
		Message: "remote error: tls: certificate required"}
}

// legacyRSACBC offers TLS 1.0 to 1.2 with static-RSA and CBC suites besides
// one ECDHE suite, and no TLS 1.3.
func legacyRSACBC(d *evidence.Domain) {
	setVersion(d, supported(evidence.TLS10, sRSA128SHA(), sECDHERSA128SHA()))
	setVersion(d, supported(evidence.TLS11, sRSA128SHA(), sECDHERSA128SHA()))
	setVersion(d, supported(evidence.TLS12, sECDHERSA128GCM(), sRSA128GCM(), sRSA128SHA(), sECDHERSA128SHA()))
	setVersion(d, notSupported(evidence.TLS13))
	addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sECDHERSA128GCM())}
}

// daneEESelfSigned is a self-signed certificate for another name, expired,
// pinned by a DNSSEC-secure DANE-EE record.
func daneEESelfSigned(d *evidence.Domain) {
	c := addr1(d).Cert
	c.Trusted, c.SelfSigned, c.TrustError = no(), true, "x509: certificate signed by unknown authority"
	c.NameMatch, c.MatchedBy = no(), ""
	c.Chain[0].DNSNames = []string{"other.example.net"}
	c.Expired, c.DaysToExpiry = yes(), -3
	ee, next := tlsaRec(3, 1, "ab"), tlsaRec(3, 1, "cd")
	withDANE(d, daneMatch(2, ee), ee, next)
}

// TestPolicyV3 checks each rule version 3 changes, and that version 2 still
// gives version 2's result on the same evidence (regrade --policy v2).
func TestPolicyV3(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d *evidence.Domain)
		// v3 and v2 are the address grades; codes3 the v3 address and host codes.
		v3, v2       Grade
		codes3       []string
		forced3      ForcedTLS
		tls3         Result
		neverDone3   bool
		check3       func(t *testing.T, g DomainGrade)
		forcedStill2 ForcedTLS
	}{
		{
			name: "session ends at the first command after the handshake", mutate: clientCertRequired,
			v3: GradeF, v2: GradeA, codes3: []string{CodeSTARTTLSFailed}, forced3: ForcedTLSNotEligible, tls3: Fail,
			check3: func(t *testing.T, g DomainGrade) {
				f := g.Findings[slices.IndexFunc(g.Findings, func(f Finding) bool { return f.Code == CodeSTARTTLSFailed })]
				want := "the TLS handshake completed, but the server ended the session at the first command inside TLS " +
					"(post_tls_ehlo: remote error: tls: certificate required)"
				if m := message(t, f); !strings.HasSuffix(m, ": "+want+".") {
					t.Errorf("message %q, want it to end %q", m, want)
				}
			},
			forcedStill2: ForcedTLSEligible,
		},
		{
			name: "session times out after the handshake", mutate: func(d *evidence.Domain) {
				addr1(d).Probe.SMTP.PostTLSError = &evidence.Error{Kind: evidence.ErrTimeout, Step: "post_tls_ehlo", Message: "i/o timeout"}
			},
			v3: GradeInconclusive, v2: GradeA, codes3: []string{CodeInconclusive}, forced3: ForcedTLSUnknown, tls3: Inconclusive,
			forcedStill2: ForcedTLSEligible,
		},
		{
			name: "every handshake aborted after the ServerHello",
			mutate: helloOnly(&evidence.Error{Kind: evidence.ErrTLSAlert, Step: "handshake", Code: 80,
				Message: "remote error: tls: internal error"}),
			v3: GradeF, v2: GradeA, codes3: []string{CodeSTARTTLSFailed}, forced3: ForcedTLSNotEligible, tls3: Fail, neverDone3: true,
			check3: func(t *testing.T, g DomainGrade) {
				f := g.Findings[slices.IndexFunc(g.Findings, func(f Finding) bool { return f.Code == CodeSTARTTLSFailed })]
				if f.Args["suites"] != "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256" {
					t.Errorf("suites %q", f.Args["suites"])
				}
			},
			forcedStill2: ForcedTLSEligible,
		},
		{
			// The alert before its classification: a protocol error naming a remote error.
			name: "aborted after the ServerHello, alert unclassified",
			mutate: helloOnly(&evidence.Error{Kind: evidence.ErrTLS, Step: "handshake",
				Message: "remote error: tls: error decrypting message"}),
			v3: GradeF, v2: GradeA, codes3: []string{CodeSTARTTLSFailed}, forced3: ForcedTLSNotEligible, tls3: Fail, neverDone3: true,
			forcedStill2: ForcedTLSEligible,
		},
		{
			name: "aborted after the ServerHello with SSLv3 and weak suites: what a ServerHello proves stands",
			mutate: func(d *evidence.Domain) {
				setVersion(d, supported(evidence.SSLv3, sRC4SHA()))
				helloOnly(&evidence.Error{Kind: evidence.ErrTLSAlert, Step: "handshake", Code: 51, Message: "remote error: tls: error decrypting message"})(d)
			},
			v3: GradeF, v2: GradeD, codes3: []string{CodeSSLv3Enabled, CodeSTARTTLSFailed, CodeWeakCiphers}, forced3: ForcedTLSNotEligible,
			tls3: Fail, neverDone3: true, forcedStill2: ForcedTLSEligible,
		},
		{
			name:   "handshake hung up while ServerHellos arrive",
			mutate: helloOnly(&evidence.Error{Kind: evidence.ErrClosed, Step: "handshake", Message: "EOF"}),
			v3:     GradeInconclusive, v2: GradeA, codes3: []string{CodeInconclusive}, forced3: ForcedTLSUnknown, tls3: Inconclusive,
			neverDone3: true, forcedStill2: ForcedTLSEligible,
		},
		{
			// Our own client gave up (a certificate it cannot parse): not the server's fault.
			name: "handshake failed on our side",
			mutate: helloOnly(&evidence.Error{Kind: evidence.ErrTLS, Step: "handshake",
				Message: "tls: failed to parse certificate from server: x509: negative serial number"}),
			v3: GradeA, v2: GradeA, forced3: ForcedTLSEligible, tls3: Pass, forcedStill2: ForcedTLSEligible,
		},
		{
			name: "TLS 1.0 to 1.2 with static RSA and CBC suites", mutate: legacyRSACBC,
			v3: GradeB, v2: GradeA, codes3: []string{CodeNoTLS13, CodeTLS10Enabled, CodeTLS11Enabled}, forced3: ForcedTLSEligible, tls3: Pass,
			forcedStill2: ForcedTLSEligible,
		},
		{
			name: "DANE-EE over DNSSEC waives trust, name and expiry", mutate: daneEESelfSigned,
			v3: GradeAPlus, v2: GradeF, codes3: []string{CodeCertExpired, CodeCertNameMismatch, CodeCertUntrusted},
			forced3: ForcedTLSEligible, tls3: Pass,
			check3: func(t *testing.T, g DomainGrade) {
				a := g.MX[0].Addresses[0]
				for _, f := range a.Findings {
					if f.Waived != WaivedDANEEE || f.Deduction != 0 {
						t.Errorf("%s: waived %q deduction %d", f.Code, f.Waived, f.Deduction)
					}
				}
				// Forced TLS with verification still needs PKIX: the checks stay failed.
				if a.Checks[CheckVerifiable] != Fail || a.Checks[CheckCertName] != Fail {
					t.Errorf("checks %v: a DANE waiver must not pass PKIX", a.Checks)
				}
			},
			forcedStill2: ForcedTLSEligible,
		},
		{
			name: "DANE-TA does not waive the name", mutate: func(d *evidence.Domain) {
				daneEESelfSigned(d)
				ta, next := tlsaRec(2, 0, "ab"), tlsaRec(3, 1, "cd")
				withDANE(d, daneMatch(2, ta), ta, next)
			},
			v3: GradeF, v2: GradeF, codes3: []string{CodeCertExpired, CodeCertNameMismatch, CodeCertUntrusted},
			forced3: ForcedTLSEligible, tls3: Pass, forcedStill2: ForcedTLSEligible,
		},
		{
			name: "bogus TLSA RRset", mutate: func(d *evidence.Domain) {
				d.Hosts[0].TLSA = tlsaLookup(evidence.DNSSECBogus, tlsaRec(3, 1, "ab"))
				d.Hosts[0].TLSA.Lookup.DNSSECReason = "RRSIG expired"
			},
			v3: GradeF, v2: GradeC, codes3: []string{CodeDNSSECBogus}, forced3: ForcedTLSEligible, tls3: Pass,
			forcedStill2: ForcedTLSEligible,
		},
	}
	for _, tt := range tests {
		run := func(t *testing.T, d *evidence.Domain) {
			g3 := GradeDomain(d, Default())
			a3 := g3.MX[0].Addresses[0]
			if a3.Grade != tt.v3 || g3.Grade != tt.v3 {
				t.Errorf("v3: address %q domain %q, want %q (findings %q)", a3.Grade, g3.Grade, tt.v3, codes(g3.Findings))
			}
			got := codes(g3.Findings)
			slices.Sort(got)
			if !slices.Equal(got, tt.codes3) {
				t.Errorf("v3 codes %q, want %q", got, tt.codes3)
			}
			if a3.ForcedTLS != tt.forced3 || a3.Checks[CheckTLS] != tt.tls3 || a3.HandshakeNeverCompleted != tt.neverDone3 {
				t.Errorf("v3: forced %q (%s) tls %q never completed %v; want %q %q %v", a3.ForcedTLS, sayText(t, a3.ForcedTLSWhy),
					a3.Checks[CheckTLS], a3.HandshakeNeverCompleted, tt.forced3, tt.tls3, tt.neverDone3)
			}
			if tt.check3 != nil {
				tt.check3(t, g3)
			}
			g2 := GradeDomain(d, policyV2(t))
			a2 := g2.MX[0].Addresses[0]
			if g2.PolicyVersion != "2" || a2.Grade != tt.v2 || a2.ForcedTLS != tt.forcedStill2 || a2.HandshakeNeverCompleted {
				t.Errorf("v2: version %q address %q forced %q, want %q %q (findings %q)", g2.PolicyVersion, a2.Grade, a2.ForcedTLS,
					tt.v2, tt.forcedStill2, codes(g2.Findings))
			}
			for _, f := range g2.Findings {
				if f.Waived != "" {
					t.Errorf("v2 waives %s", f.Code)
				}
			}
		}
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			tt.mutate(d)
			run(t, d)
		})
		// The scanner now records such a probe as session_failed with the
		// error that ended it (older evidence says ok): the same verdicts.
		d := perfectDomain()
		tt.mutate(d)
		if p := addr1(d).Probe; tt.tls3 != Pass && p.Handshake != nil {
			t.Run(tt.name+", recorded as session_failed", func(t *testing.T) {
				p.Status, p.Error = evidence.ProbeSessionFailed, p.Handshake.Error
				if p.Handshake.OK {
					p.Error = p.SMTP.PostTLSError
				}
				run(t, d)
			})
		}
	}
}

// TestSessionFailedRecorded: a session_failed probe whose handshake and
// session cannot be read again (no record of what the handshake offered)
// is judged on the error it records: never a pass under version 3, and
// inconclusive when that error says nothing about the server; version 2
// grades the hellos, as it always did. The transport profile's STARTTLS
// control follows.
func TestSessionFailedRecorded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     *evidence.Error
		v3      Grade
		tls3    Result
		control ControlStatus
	}{
		{"alert", &evidence.Error{Kind: evidence.ErrTLSAlert, Step: "handshake", Code: 80, Message: "remote error: tls: internal error"},
			GradeF, Fail, ControlFail},
		{"421 confirmed", &evidence.Error{Kind: evidence.ErrSMTPReject, Step: evidence.StepPostTLSEHLO, Code: 421, Attempts: 2,
			Message: "421 4.7.1 Error: No client certificate presented"}, GradeF, Fail, ControlFail},
		{"421 once", &evidence.Error{Kind: evidence.ErrSMTPReject, Step: evidence.StepPostTLSEHLO, Code: 421, Attempts: 1,
			Message: "421 4.7.1 Error: No client certificate presented"}, GradeInconclusive, Inconclusive, ControlIncomplete},
		{"timeout", &evidence.Error{Kind: evidence.ErrTimeout, Step: "handshake", Message: "i/o timeout"},
			GradeInconclusive, Inconclusive, ControlIncomplete},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := perfectDomain()
			p := addr1(d).Probe
			p.Status, p.Error = evidence.ProbeSessionFailed, tc.err
			p.Handshake = &evidence.Handshake{OK: false, Error: tc.err}
			g3 := GradeDomain(d, Default())
			a3 := g3.MX[0].Addresses[0]
			if a3.Grade != tc.v3 || a3.Checks[CheckTLS] != tc.tls3 {
				t.Errorf("v3: grade %q tls %q, want %q %q (findings %q)", a3.Grade, a3.Checks[CheckTLS], tc.v3, tc.tls3, codes(g3.Findings))
			}
			if tc.v3 == GradeF && !slices.Contains(codes(g3.Findings), CodeSTARTTLSFailed) {
				t.Errorf("v3 findings %q lack %s", codes(g3.Findings), CodeSTARTTLSFailed)
			}
			if g2 := GradeDomain(d, policyV2(t)); g2.MX[0].Addresses[0].Grade != GradeA {
				t.Errorf("v2: grade %q, want A (version 2 did not look at the session)", g2.MX[0].Addresses[0].Grade)
			}
			st, _, _ := addressOutcome(d, func(v view) ControlStatus {
				return startTLSControl(v)
			})
			if st != tc.control {
				t.Errorf("STARTTLS control %q, want %q", st, tc.control)
			}
		})
	}
}

// TestOneSeverityPerCode checks version 3's table: no rule variants, and
// every code's severity consistent with its points. Critical findings force
// F; high ones cost 35, medium 10, low at most 5 and information nothing.
// The findings that decide a grade by themselves (no MX host answering, an
// MX host without address, an address not globally reachable) keep 0
// points: they make the grade "?" or the domain incomplete instead. The
// sender-authentication findings carry a severity and never points: they
// do not change the transport grade.
func TestOneSeverityPerCode(t *testing.T) {
	decideGrade := []string{CodeMXLookupFailed, CodeMXNoAddress, CodeMXPrivateAddress}
	p := Default()
	for _, key := range p.RuleKeys() {
		r := p.Rule(key)
		if _, ok := senderAuthRules()[key]; ok {
			continue // sender authentication never changes the transport grade: a severity only
		}
		if !slices.Contains(Codes(), key) {
			t.Errorf("version 3 has a rule variant %s", key)
			continue
		}
		if slices.Contains(decideGrade, key) {
			if r.Deduction != 0 || r.ForceF {
				t.Errorf("%s: %+v", key, r)
			}
			continue
		}
		ok := false
		switch r.Severity {
		case Critical:
			ok = r.ForceF
		case High:
			ok = !r.ForceF && r.Deduction == deductHeavy
		case Medium:
			ok = !r.ForceF && r.Deduction == deductMedium
		case Low:
			ok = !r.ForceF && r.Deduction <= deductLight
		case Info:
			ok = !r.ForceF && r.Deduction == 0
		}
		if !ok {
			t.Errorf("%s: severity %s with %d points, force F %v", key, r.Severity, r.Deduction, r.ForceF)
		}
	}
}

// TestPolicyByName checks the names regrade --policy accepts.
func TestPolicyByName(t *testing.T) {
	for name, want := range map[string]string{"": "3", "mxaudit-default": "3", "mxaudit-default@3": "3", "v3": "3",
		"mxaudit-default@2": "2", "v2": "2", "2": "2", "V2": "2"} {
		p, ok := PolicyByName(name)
		if !ok || p.Version != want || p.Name != DefaultPolicyName {
			t.Errorf("PolicyByName(%q) = %v %q %q, want version %s", name, ok, p.Name, p.Version, want)
		}
	}
	for _, name := range []string{"v1", "mxaudit-default@4", "strict"} {
		if _, ok := PolicyByName(name); ok {
			t.Errorf("PolicyByName(%q) accepted", name)
		}
	}
	for _, name := range PolicyNames() {
		if _, ok := PolicyByName(name); !ok {
			t.Errorf("listed policy %q is refused", name)
		}
	}
	if p, ok := PolicyByNameVersion(DefaultPolicyName, "2"); !ok || p.Version != "2" || p.Rule(RuleKey(CodeTLSRPTMissing, VariantWithPolicy)).Severity != Low {
		t.Errorf("PolicyByNameVersion(2) = %v %+v", ok, p)
	}
}
