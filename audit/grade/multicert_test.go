package grade

import (
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// otherCert is a second certificate of the first address, for mx1.
func otherCert(d *evidence.Domain, via string, mod func(*evidence.CertCheck)) {
	oc := *addr1(d).Cert
	oc.Chain = []evidence.Certificate{oc.Chain[0]}
	oc.Chain[0].KeyType, oc.Chain[0].KeyBits = "RSA", 2048
	oc.Via = via
	mod(&oc)
	addr1(d).OtherCerts = append(addr1(d).OtherCerts, oc)
}

func TestOtherCertificates(t *testing.T) {
	t.Run("expired second certificate", func(t *testing.T) {
		d := perfectDomain()
		otherCert(d, "RSA key, in TLSv1.2 hellos", func(c *evidence.CertCheck) { c.Expired, c.DaysToExpiry = yes(), -3 })
		g := GradeDomain(d, policyWithVulns())
		f := findingOf(g.Findings, CodeCertExpired)
		if f == nil || f.Args["certificate"] != "RSA key, in TLSv1.2 hellos" {
			t.Fatalf("CERT_EXPIRED = %+v (findings %v)", f, codes(g.Findings))
		}
		if g.Grade == GradeA {
			t.Errorf("grade A with an expired certificate senders can get")
		}
		if g2 := GradeDomain(d, builtin(PolicyVersion2)); findingOf(g2.Findings, CodeCertExpired) != nil || g2.Grade != GradeA {
			t.Errorf("version 2 changed: %s %v", g2.Grade, codes(g2.Findings))
		}
	})
	t.Run("name mismatch without SNI", func(t *testing.T) {
		d := perfectDomain()
		otherCert(d, "without SNI", func(c *evidence.CertCheck) { c.NameMatch = no() })
		g := GradeDomain(d, policyWithVulns())
		if f := findingOf(g.Findings, CodeCertNameMismatch); f == nil || f.Args["certificate"] != "without SNI" {
			t.Fatalf("CERT_NAME_MISMATCH = %+v", f)
		}
		if got := g.MX[0].Addresses[0].Checks[CheckCertName]; got != Fail {
			t.Errorf("cert name check %s, want fail", got)
		}
	})
	t.Run("TLSA covers only one key", func(t *testing.T) {
		d := perfectDomain()
		rec := tlsaRec(3, 1, "ab")
		withDANE(d, daneMatch(1, rec), rec)
		otherCert(d, "ECDSA key, in TLSv1.2 hellos", func(c *evidence.CertCheck) { c.DANE = daneMatch(1) })
		g := GradeDomain(d, policyWithVulns())
		f := findingOf(g.Findings, CodeDANEInvalid)
		if f == nil || !strings.Contains(message(t, *f), "the certificate served ECDSA key, in TLSv1.2 hellos: ") {
			t.Fatalf("DANE_INVALID = %+v (findings %v)", f, codes(g.Findings))
		}
		if g.Grade != GradeF {
			t.Errorf("grade %s, want F", g.Grade)
		}
		if g2 := GradeDomain(d, builtin(PolicyVersion2)); findingOf(g2.Findings, CodeDANEInvalid) != nil {
			t.Errorf("version 2 changed: %v", codes(g2.Findings))
		}
	})
	t.Run("both keys covered", func(t *testing.T) {
		d := perfectDomain()
		a, b := tlsaRec(3, 1, "ab"), tlsaRec(3, 1, "cd")
		withDANE(d, daneMatch(2, a), a, b)
		otherCert(d, "ECDSA key, in TLSv1.2 hellos", func(c *evidence.CertCheck) { c.DANE = daneMatch(2, b) })
		g := GradeDomain(d, policyWithVulns())
		if f := findingOf(g.Findings, CodeDANEInvalid); f != nil {
			t.Fatalf("DANE_INVALID = %+v", f)
		}
	})
}
