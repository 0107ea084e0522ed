package audit_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit"
	"github.com/mxaudit/mxaudit/audit/certs"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/audit/smtp/smtptest"
)

// dualCertAudit audits a server holding an RSA and an ECDSA certificate
// for host, picked by what the client supports; with bySNI, a client
// sending no server name gets a third certificate, for another name.
func dualCertAudit(t *testing.T, ip string, bySNI bool) (*evidence.Address, map[string]int) {
	t.Helper()
	const host = "dual.example"
	ca, err := smtptest.NewCA("dual test CA")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	issue := func(name, key string) tls.Certificate {
		c, err := ca.Issue([]string{name}, now.Add(-time.Hour), now.Add(90*24*time.Hour), key)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rsaCert, ecCert, other := issue(host, smtptest.KeyRSA2048), issue(host, smtptest.KeyECDSA256), issue("default.invalid", smtptest.KeyRSA2048)
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if bySNI && h.ServerName == "" {
			return &other, nil
		}
		if h.SupportsCertificate(&ecCert) == nil {
			return &ecCert, nil
		}
		return &rsaCert, nil
	}}
	srv, err := smtptest.Start(ip+":0", smtptest.Behavior{Hostname: host, TLS: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	_, portText, _ := net.SplitHostPort(srv.Addr())
	port, _ := strconv.Atoi(portText)
	sc, err := smtp.New(smtp.Config{Port: port, EHLOName: "scanner.mxaudit.test", ConnectTimeout: time.Second,
		BannerTimeout: time.Second, CommandTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.New(audit.Config{Resolver: staticResolver{host: ip}, SMTP: sc, Port: port,
		Verifier: &certs.Verifier{Roots: ca.Pool()}, AllowPrivate: true, StepTimeout: time.Second, Versions: []string{evidence.TLS12, evidence.TLS13}})
	if err != nil {
		t.Fatal(err)
	}
	addr := only(t, a.Domain(context.Background(), host))
	keys := map[string]int{}
	for _, c := range append([]evidence.CertCheck{*addr.Cert}, addr.OtherCerts...) {
		cert, err := x509.ParseCertificate(c.Chain[0].DER)
		if err != nil {
			t.Fatal(err)
		}
		keys[cert.PublicKeyAlgorithm.String()+" "+cert.Subject.CommonName]++
	}
	return addr, keys
}

func TestDualCertificates(t *testing.T) {
	t.Run("with SNI", func(t *testing.T) {
		addr, keys := dualCertAudit(t, "127.0.3.30", false)
		want := map[string]int{"RSA dual.example": 1, "ECDSA dual.example": 1}
		if len(keys) != len(want) || keys["RSA dual.example"] != 1 || keys["ECDSA dual.example"] != 1 {
			t.Fatalf("certificates %v, want %v", keys, want)
		}
		for _, oc := range addr.OtherCerts {
			if oc.Via == "" || oc.Trusted == nil || !*oc.Trusted || oc.NameMatch == nil || !*oc.NameMatch {
				t.Errorf("other certificate not judged: via %q trusted %v name %v", oc.Via, oc.Trusted, oc.NameMatch)
			}
		}
	})
	t.Run("without SNI another certificate", func(t *testing.T) {
		addr, keys := dualCertAudit(t, "127.0.3.31", true)
		if keys["RSA default.invalid"] != 1 || keys["ECDSA dual.example"] != 1 || keys["RSA dual.example"] != 1 {
			t.Fatalf("certificates %v, want RSA and ECDSA for dual.example and the no-SNI one", keys)
		}
		i := slices.IndexFunc(addr.OtherCerts, func(c evidence.CertCheck) bool { return c.Via == "without SNI" })
		if i < 0 {
			t.Fatalf("no certificate marked without SNI: %+v", addr.OtherCerts)
		}
		if nm := addr.OtherCerts[i].NameMatch; nm == nil || *nm {
			t.Errorf("the no-SNI certificate for another name must fail the name check: %v", nm)
		}
	})
}
