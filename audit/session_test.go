package audit_test

import (
	"context"
	"crypto/tls"
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
)

// auditOne audits one domain whose only MX is an smtptest server with
// behaviour b on its own loopback address.
func auditOne(t *testing.T, addr string, b smtptest.Behavior) *evidence.Domain {
	t.Helper()
	srv, err := smtptest.Start(addr+":0", b)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	_, port := splitPort(t, srv.Addr())
	sc, err := smtp.New(smtp.Config{Port: port, EHLOName: "scanner.mxaudit.test", ConnectTimeout: 2 * time.Second,
		BannerTimeout: 2 * time.Second, CommandTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	const domain = "session.example"
	a, err := audit.New(audit.Config{Resolver: staticResolver{domain: addr}, SMTP: sc, Port: port, Verifier: &certs.Verifier{},
		StepTimeout: time.Second, Retries: 1, RetryBackoff: 10 * time.Millisecond, AllowPrivate: true,
		Versions: []string{evidence.TLS12, evidence.TLS13}})
	if err != nil {
		t.Fatal(err)
	}
	return a.Domain(context.Background(), domain)
}

func splitPort(t *testing.T, hostport string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(hostport)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return host, port
}

// clientCertServer demands a client certificate, at the given versions.
func clientCertServer(t *testing.T, minV, maxV uint16) smtptest.Behavior {
	t.Helper()
	now := time.Now()
	cert, err := smtptest.SelfSignedCert([]string{"session.example"}, now.Add(-time.Hour), now.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return smtptest.Behavior{TLS: &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert,
		MinVersion: minV, MaxVersion: maxV}}
}

// TestSessionAfterHandshake: a server that requires a client certificate
// under TLS 1.3 lets the handshake complete and rejects at the first read.
// The error is recorded, the probe status says no session was had
// (session_failed, with that error), the certificate is still judged, and
// policy v3 fails TLS and Forced TLS; v2 does not look at it.
func TestSessionAfterHandshake(t *testing.T) {
	d := auditOne(t, "127.0.12.1", clientCertServer(t, tls.VersionTLS13, tls.VersionTLS13))
	addr := only(t, d)
	p := addr.Probe
	if p.Status != evidence.ProbeSessionFailed || p.Handshake == nil || !p.Handshake.OK {
		t.Fatalf("probe %s, handshake %v: want session_failed with a completed handshake", p.Status, p.Handshake != nil && p.Handshake.OK)
	}
	if p.Error == nil || p.SMTP == nil || p.Error != p.SMTP.PostTLSError {
		t.Errorf("probe error %+v, want the post-TLS error", p.Error)
	}
	if addr.Cert == nil || len(addr.Cert.Chain) == 0 {
		t.Errorf("certificate check %+v: the presented certificate is judged too", addr.Cert)
	}
	if p.SMTP == nil || p.SMTP.PostTLSError == nil || p.SMTP.PostTLSEHLO != nil {
		t.Fatalf("post-TLS EHLO: reply %+v error %+v, want an error and no reply", p.SMTP.PostTLSEHLO, p.SMTP.PostTLSError)
	}
	if p.SMTP.PostTLSError.Inconclusive() {
		t.Errorf("post-TLS error %+v is classified inconclusive", p.SMTP.PostTLSError)
	}
	g := grade.GradeDomain(d, grade.Default())
	a := g.MX[0].Addresses[0]
	if g.Grade != grade.GradeF || g.ForcedTLS != grade.ForcedTLSNotEligible || a.Checks[grade.CheckTLS] != grade.Fail ||
		!slices.Contains(findingCodes(g), grade.CodeSTARTTLSFailed) {
		t.Errorf("v3: grade %s forced %s tls %s findings %v", g.Grade, g.ForcedTLS, a.Checks[grade.CheckTLS], findingCodes(g))
	}
	v2, _ := grade.PolicyByName("v2")
	if g2 := grade.GradeDomain(d, v2); g2.ForcedTLS != grade.ForcedTLSEligible || slices.Contains(findingCodes(g2), grade.CodeSTARTTLSFailed) {
		t.Errorf("v2: forced %s findings %v, want v2's verdict (eligible)", g2.ForcedTLS, findingCodes(g2))
	}
}

// TestHandshakeNeverCompletes: under TLS 1.2 the same server ends the
// handshake itself, after its ServerHello, while the raw hellos see the
// suites it chooses. Policy v3 counts no working TLS.
func TestHandshakeNeverCompletes(t *testing.T) {
	d := auditOne(t, "127.0.12.2", clientCertServer(t, tls.VersionTLS12, tls.VersionTLS12))
	p := only(t, d).Probe
	if p.Handshake == nil || p.Handshake.OK || len(p.Handshake.Offered) == 0 {
		t.Fatalf("handshake %+v: want a failed handshake that records what it offered", p.Handshake)
	}
	if vr := version(p, evidence.TLS12); vr.Support != evidence.Supported || len(vr.Suites) == 0 {
		t.Fatalf("TLS 1.2 %s with %d suites: the raw hellos should see ServerHellos", vr.Support, len(vr.Suites))
	}
	// The evidence says what the verdict says: no session, and why.
	if p.Status != evidence.ProbeSessionFailed || p.Error == nil || p.Error != p.Handshake.Error || !p.Error.RemoteTLSFailure() {
		t.Errorf("probe %s error %+v, want session_failed with the handshake's failure", p.Status, p.Error)
	}
	if c := only(t, d).Cert; c == nil || len(c.Chain) == 0 {
		t.Errorf("certificate check %+v: the certificate of the ServerHellos is judged too", c)
	}
	g := grade.GradeDomain(d, grade.Default())
	a := g.MX[0].Addresses[0]
	if g.Grade != grade.GradeF || g.ForcedTLS != grade.ForcedTLSNotEligible || !a.HandshakeNeverCompleted ||
		!slices.Contains(findingCodes(g), grade.CodeSTARTTLSFailed) {
		t.Errorf("v3: grade %s forced %s never completed %v findings %v (handshake error %+v)", g.Grade, g.ForcedTLS,
			a.HandshakeNeverCompleted, findingCodes(g), p.Handshake.Error)
	}
}

// TestDataAfterSTARTTLS: bytes the server sends with its 220 to STARTTLS
// are recorded and raise DATA_AFTER_STARTTLS.
func TestDataAfterSTARTTLS(t *testing.T) {
	const injected = "250 injected\r\n"
	d := auditOne(t, "127.0.12.3", smtptest.Behavior{DataAfterSTARTTLS: []byte(injected)})
	p := only(t, d).Probe
	if p == nil || p.SMTP == nil || p.SMTP.DataAfterSTARTTLS == nil || p.SMTP.DataAfterSTARTTLS.Bytes != len(injected) {
		t.Fatalf("data after STARTTLS %+v, want %d bytes", p.SMTP.DataAfterSTARTTLS, len(injected))
	}
	g := grade.GradeDomain(d, grade.Default())
	if !slices.Contains(findingCodes(g), grade.CodeDataAfterSTARTTLS) {
		t.Errorf("findings %v lack %s", findingCodes(g), grade.CodeDataAfterSTARTTLS)
	}
}
