package audit_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit"
	"github.com/mxaudit/mxaudit/audit/certs"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/audit/smtp/smtptest"
	"github.com/mxaudit/mxaudit/audit/tlsprobe/tlstest"
)

// soloServer starts one fake SMTP server on its own loopback address and an
// auditor that knows "solo.example" as that address.
func soloServer(t *testing.T, b smtptest.Behavior, mutate func(*audit.Config)) *audit.Auditor {
	t.Helper()
	ip := fmt.Sprintf("127.%d.%d.%d", 60+rand.IntN(60), rand.IntN(250), 1+rand.IntN(250))
	srv, err := smtptest.Start(ip+":0", b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	_, portText, _ := net.SplitHostPort(srv.Addr())
	port, _ := strconv.Atoi(portText)
	sc, err := smtp.New(smtp.Config{Port: port, EHLOName: "scanner.mxaudit.test", ConnectTimeout: time.Second,
		BannerTimeout: 2 * time.Second, CommandTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := audit.Config{Resolver: staticResolver{"solo.example": ip}, SMTP: sc, Port: port, Verifier: &certs.Verifier{},
		StepTimeout: 2 * time.Second, Retries: 0, RetryBackoff: 10 * time.Millisecond, AllowPrivate: true}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := audit.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAlertsRecorded: a server whose TLS stack answers every hello with an
// alert has that alert, number and name, in the evidence of the full
// handshake and of every raw hello's version.
func TestAlertsRecorded(t *testing.T) {
	for _, tc := range []struct {
		desc uint8
		name string
	}{
		{40, "handshake_failure"}, {47, "illegal_parameter"}, {49, "access_denied"}, {51, "decrypt_error"},
		{70, "protocol_version"}, {71, "insufficient_security"}, {80, "internal_error"},
		{112, "unrecognized_name"}, {116, "certificate_required"}, {200, "alert_200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alert := &tlstest.Alert{Level: 2, Description: tc.desc}
			a := soloServer(t, smtptest.Behavior{TLSHandler: func(c net.Conn) { _ = tlstest.Serve(c, tlstest.Config{Alert: alert}) }},
				func(c *audit.Config) {
					c.Versions = []string{evidence.SSLv2, evidence.TLS10, evidence.TLS12, evidence.TLS13}
				})
			d := a.Domain(context.Background(), "solo.example")
			p := only(t, d).Probe
			hs := p.Handshake
			if hs == nil || hs.Error == nil || hs.Error.Kind != evidence.ErrTLSAlert || hs.Error.Code != int(tc.desc) ||
				hs.Error.Alert == nil || hs.Error.Alert.Name != tc.name {
				t.Fatalf("handshake %+v, want alert %d %s", hs, tc.desc, tc.name)
			}
			if p.Status != evidence.ProbeTLSFailed || p.Error == nil || p.Error.Alert == nil || p.Error.Alert.Code != int(tc.desc) {
				t.Errorf("probe status %s error %+v, want tls_failed with the alert", p.Status, p.Error)
			}
			for _, v := range p.Versions {
				if v.Support == evidence.NotTested {
					continue
				}
				if v.Alert == nil || v.Alert.Code != int(tc.desc) || v.Alert.Name != tc.name || v.Alert.Level != evidence.AlertFatal {
					t.Errorf("%s: alert %+v (support %s, %s), want fatal %s (%d)", v.Version, v.Alert, v.Support, v.Reason, tc.name, tc.desc)
				}
			}
		})
	}
}

// Test454 tells a broken TLS setup from a passing one: "454 TLS not
// available" on every attempt, a pause apart, is STARTTLS_FAILED (F)
// even with retries off; a 454 that clears on the second attempt is not.
func Test454(t *testing.T) {
	t.Run("every time", func(t *testing.T) {
		a := soloServer(t, smtptest.Behavior{STARTTLSCode: 454}, nil)
		d := a.Domain(context.Background(), "solo.example")
		p := only(t, d).Probe
		if p.Status != evidence.ProbeSTARTTLSFail || p.Error == nil || p.Error.Code != 454 || p.Error.Attempts != 2 ||
			!p.Error.ConfirmedSTARTTLSRefusal() || p.Retries != 1 || p.Connections != 2 {
			t.Fatalf("probe %s error %+v retries %d connections %d, want starttls_fail confirmed on 2 attempts",
				p.Status, p.Error, p.Retries, p.Connections)
		}
		g := grade.GradeDomain(d, grade.Default())
		if g.Grade != grade.GradeF || !slices.Contains(findingCodes(g), grade.CodeSTARTTLSFailed) {
			t.Fatalf("grade %s findings %v, want F with STARTTLS_FAILED", g.Grade, findingCodes(g))
		}
		for _, f := range g.Findings {
			if f.Code == grade.CodeSTARTTLSFailed && (f.Args["cause"] != "refused" || f.Args["reply_code"] != "454" || f.Args["attempts"] != "2") {
				t.Errorf("args %v do not give the 454 refused on 2 attempts", f.Args)
			}
		}
	})
	t.Run("once", func(t *testing.T) {
		a := soloServer(t, smtptest.Behavior{STARTTLSCode: 454, STARTTLSFailures: 1}, func(c *audit.Config) {
			c.Versions = []string{evidence.TLS12, evidence.TLS13}
		})
		d := a.Domain(context.Background(), "solo.example")
		p := only(t, d).Probe
		if p.Status != evidence.ProbeOK || p.Retries != 1 || p.Handshake == nil || !p.Handshake.OK {
			t.Fatalf("probe %s error %+v retries %d, want ok after one retry", p.Status, p.Error, p.Retries)
		}
		if len(p.Transient) != 1 || p.Transient[0].Code != 454 || p.Transient[0].Step != evidence.StepSTARTTLS || p.Error != nil {
			t.Errorf("transient %+v error %+v, want the one 454 recorded as transient and no error", p.Transient, p.Error)
		}
		g := grade.GradeDomain(d, grade.Default())
		if slices.Contains(findingCodes(g), grade.CodeSTARTTLSFailed) || g.Grade == grade.GradeF {
			t.Fatalf("grade %s findings %v: a passing 454 is not a failure", g.Grade, findingCodes(g))
		}
		nothingFailed(t, g)
	})
	t.Run("retries on, 454 every time", func(t *testing.T) {
		// Confirmed at the second attempt: no third connection is spent.
		a := soloServer(t, smtptest.Behavior{STARTTLSCode: 454}, func(c *audit.Config) { c.Retries = 3 })
		p := only(t, a.Domain(context.Background(), "solo.example")).Probe
		if p.Status != evidence.ProbeSTARTTLSFail || p.Error.Attempts != 2 || p.Connections != 2 {
			t.Fatalf("probe %s attempts %d connections %d, want starttls_fail confirmed on 2", p.Status, p.Error.Attempts, p.Connections)
		}
	})
}

// TestPostTLSAlert: a server that wants a client certificate under TLS 1.3
// completes the handshake and answers the first read with the alert
// certificate_required (116), which the post-TLS error names.
func TestPostTLSAlert(t *testing.T) {
	d := auditOne(t, "127.0.12.9", clientCertServer(t, tls.VersionTLS13, tls.VersionTLS13))
	p := only(t, d).Probe
	if p.SMTP == nil || p.SMTP.PostTLSError == nil {
		t.Fatalf("probe %+v: want a post-TLS error", p)
	}
	e := p.SMTP.PostTLSError
	if e.Kind != evidence.ErrTLSAlert || e.Alert == nil || e.Alert.Code != 116 || e.Alert.Name != "certificate_required" || e.Step != smtp.StepPostTLSEHLO {
		t.Errorf("post-TLS error %+v alert %+v, want certificate_required (116) at %s", e, e.Alert, smtp.StepPostTLSEHLO)
	}
}

// TestPostTLS421 is Postfix requiring a client certificate: the handshake
// completes, then EHLO inside TLS gets "421 4.7.1 Error: No client
// certificate presented". Met again on a second session a pause apart, the
// refusal is confirmed: TLS fails (STARTTLS_FAILED, F) and the domain is
// not Forced-TLS eligible.
func TestPostTLS421(t *testing.T) {
	t.Run("every time", func(t *testing.T) {
		a := soloServer(t, smtptest.Behavior{PostTLSEHLOCode: 421}, func(c *audit.Config) {
			c.Versions = []string{evidence.TLS12, evidence.TLS13}
		})
		d := a.Domain(context.Background(), "solo.example")
		p := only(t, d).Probe
		e := p.SMTP.PostTLSError
		if e == nil || e.Code != 421 || e.Attempts != 2 || !e.ConfirmedPostTLSRefusal() || e.Inconclusive() || p.Retries != 1 {
			t.Fatalf("post-TLS error %+v retries %d, want a 421 confirmed on 2 sessions", e, p.Retries)
		}
		if p.Status != evidence.ProbeSessionFailed || p.Error != e || len(p.Transient) != 0 {
			t.Errorf("probe %s error %+v transient %+v, want session_failed with the confirmed 421 and nothing transient", p.Status, p.Error, p.Transient)
		}
		g := grade.GradeDomain(d, grade.Default())
		if g.Grade != grade.GradeF || !slices.Contains(findingCodes(g), grade.CodeSTARTTLSFailed) {
			t.Fatalf("grade %s findings %v, want F with STARTTLS_FAILED", g.Grade, findingCodes(g))
		}
		if g.ForcedTLS != grade.ForcedTLSNotEligible {
			t.Errorf("forced TLS %s (%s), want not eligible", g.ForcedTLS, g.ForcedTLSReason)
		}
	})
	t.Run("once", func(t *testing.T) {
		// The first session's EHLO inside TLS gets 421, the second's is
		// answered: a refusal that clears is recorded, and fails nothing.
		a := soloServer(t, smtptest.Behavior{PostTLSEHLOCode: 421, PostTLSEHLOFailures: 1}, func(c *audit.Config) {
			c.Versions = []string{evidence.TLS12, evidence.TLS13}
		})
		d := a.Domain(context.Background(), "solo.example")
		p := only(t, d).Probe
		if p.Status != evidence.ProbeOK || p.Error != nil || p.Retries != 1 || p.Handshake == nil || !p.Handshake.OK {
			t.Fatalf("probe %s error %+v retries %d handshake %+v, want ok after a second session", p.Status, p.Error, p.Retries, p.Handshake)
		}
		if p.SMTP == nil || p.SMTP.PostTLSError != nil || p.SMTP.PostTLSEHLO == nil || p.SMTP.PostTLSEHLO.Code != 250 {
			t.Fatalf("kept session %+v: want the second one, its EHLO inside TLS answered 250", p.SMTP)
		}
		if len(p.Transient) != 1 {
			t.Fatalf("transient %+v, want the one 421", p.Transient)
		}
		e := p.Transient[0]
		if e.Kind != evidence.ErrSMTPReject || e.Step != evidence.StepPostTLSEHLO || e.Code != 421 || e.Attempts != 1 || e.ConfirmedPostTLSRefusal() {
			t.Errorf("transient %+v, want an unconfirmed 421 at %s", e, evidence.StepPostTLSEHLO)
		}
		g := grade.GradeDomain(d, grade.Default())
		if g.Grade == grade.GradeF || g.Grade == grade.GradeInconclusive || slices.Contains(findingCodes(g), grade.CodeSTARTTLSFailed) ||
			slices.Contains(findingCodes(g), grade.CodeInconclusive) {
			t.Fatalf("grade %s findings %v: a 421 that clears is neither a failure nor inconclusive", g.Grade, findingCodes(g))
		}
		nothingFailed(t, g)
	})
	t.Run("unconfirmed", func(t *testing.T) {
		// The same 421 seen once (evidence from a probe whose second
		// session could not be had) says nothing: inconclusive, never a pass.
		e := &evidence.Error{Kind: evidence.ErrSMTPReject, Step: evidence.StepPostTLSEHLO, Code: 421, Attempts: 1}
		if !e.Inconclusive() || e.ConfirmedPostTLSRefusal() {
			t.Fatalf("a single post-TLS 421 must be inconclusive")
		}
	})
}

// nothingFailed checks that no check of any address of g fails on the
// session: TLS and the session a sender gets are shown as working.
func nothingFailed(t *testing.T, g grade.DomainGrade) {
	t.Helper()
	for _, mx := range g.MX {
		for _, a := range mx.Addresses {
			if r := a.Checks[grade.CheckTLS]; r != grade.Pass {
				t.Errorf("%s: TLS check %s, want pass", a.IP, r)
			}
			if a.HandshakeNeverCompleted || a.Inconclusive {
				t.Errorf("%s: never completed %v, inconclusive %v", a.IP, a.HandshakeNeverCompleted, a.Inconclusive)
			}
		}
	}
}
