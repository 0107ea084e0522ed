package mtasts

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/certs"
	"github.com/mxaudit/mxaudit/audit/evidence"
)

// issueLeaf issues a leaf from ca with the template's names and flags; tmpl
// gets a serial, a key and a validity window around testNow.
func issueLeaf(t *testing.T, ca *testCA, tmpl *x509.Certificate) []byte {
	t.Helper()
	key := newKey(t)
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = testNow.Add(-time.Hour), testNow.Add(90*24*time.Hour)
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("create leaf: %v", err)
	}
	return der
}

// TestJudgeCertIsCertsJudgement checks that the policy host's certificate
// is judged by audit/certs, the judge of the MX hosts, on the cases where
// the copy mtasts used to keep had drifted from it, and that the only
// difference left is the one RFC 8461 §3.3 makes (no common-name match).
func TestJudgeCertIsCertsJudgement(t *testing.T) {
	ca := newCA(t, "Test CA")
	weakKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatalf("rsa key: %v", err)
	}
	weakTmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "mta-sts.example.com"},
		DNSNames: []string{"mta-sts.example.com"}, NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	weakDER, err := x509.CreateCertificate(rand.Reader, weakTmpl, ca.cert, &weakKey.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("weak leaf: %v", err)
	}

	for _, tc := range []struct {
		name      string
		host      string
		chain     [][]byte
		wantMatch bool
		check     func(t *testing.T, c evidence.CertCheck)
	}{
		{
			// The copy accepted "*.com" for any name under com.
			name: "wildcard over a top-level domain", host: "example.com",
			chain:     [][]byte{issueLeaf(t, ca, &x509.Certificate{Subject: pkix.Name{CommonName: "x"}, DNSNames: []string{"*.com"}})},
			wantMatch: false,
		},
		{
			name: "wildcard over one label", host: "mta-sts.example.com",
			chain:     [][]byte{issueLeaf(t, ca, &x509.Certificate{Subject: pkix.Name{CommonName: "x"}, DNSNames: []string{"*.example.com"}})},
			wantMatch: true,
		},
		{
			// The copy reported IsCA without looking at BasicConstraintsValid.
			name: "CA flag without valid basic constraints", host: "mta-sts.example.com",
			chain: [][]byte{issueLeaf(t, ca, &x509.Certificate{Subject: pkix.Name{CommonName: "x"},
				DNSNames: []string{"mta-sts.example.com"}, IsCA: true, BasicConstraintsValid: false})},
			wantMatch: true,
			check: func(t *testing.T, c evidence.CertCheck) {
				if c.Chain[0].IsCA {
					t.Errorf("IsCA set on a certificate without valid basic constraints")
				}
			},
		},
		{
			// The copy never judged key strength.
			name: "weak RSA key", host: "mta-sts.example.com", chain: [][]byte{weakDER}, wantMatch: true,
			check: func(t *testing.T, c evidence.CertCheck) {
				if c.WeakKey == "" {
					t.Errorf("a 1024-bit RSA key is not reported weak")
				}
			},
		},
		{
			// RFC 8461 §3.3: a SAN DNS-ID is required; certs would accept the CN.
			name: "common name only", host: "mta-sts.example.com",
			chain:     [][]byte{issueLeaf(t, ca, &x509.Certificate{Subject: pkix.Name{CommonName: "mta-sts.example.com"}})},
			wantMatch: false,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := judgeCert(ca.pool(), tc.host, tc.chain, testNow)
			if got.NameMatch == nil || *got.NameMatch != tc.wantMatch {
				t.Fatalf("NameMatch = %v, want %v (matched by %q)", got.NameMatch, tc.wantMatch, got.MatchedBy)
			}
			if got.Trusted == nil || !*got.Trusted {
				t.Errorf("chain from the test CA not trusted: %s", got.TrustError)
			}
			if tc.check != nil {
				tc.check(t, got)
			}
			// Apart from the connection count and the common-name rule, the
			// judgement is certs' own.
			want := (&certs.Verifier{Roots: ca.pool(), Now: func() time.Time { return testNow }}).Check(tc.host, tc.chain)
			want.Connections = got.Connections
			if !tc.wantMatch && want.NameMatch != nil && *want.NameMatch {
				want.NameMatch, want.MatchedBy = got.NameMatch, got.MatchedBy
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("judgement differs from audit/certs:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}
