package dane

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// testNow is the clock of every test: certificates are valid around it.
var testNow = time.Date(2025, time.June, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// testCert is a certificate generated at run time and its key.
type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// certSpec describes a certificate to issue.
type certSpec struct {
	cn        string
	dnsNames  []string
	ca        bool
	notBefore time.Time
	notAfter  time.Time
	key       *ecdsa.PrivateKey // nil: a new key
}

// issue creates a certificate signed by parent (self-signed when parent is nil).
func issue(t testing.TB, spec certSpec, parent *testCert) *testCert {
	t.Helper()
	key := spec.key
	if key == nil {
		var err error
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatalf("generate key: %v", err)
		}
	}
	if spec.notBefore.IsZero() {
		spec.notBefore = testNow.Add(-day)
	}
	if spec.notAfter.IsZero() {
		spec.notAfter = testNow.Add(90 * day)
	}
	sn, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatalf("serial: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: spec.cn},
		DNSNames:     spec.dnsNames,
		NotBefore:    spec.notBefore,
		NotAfter:     spec.notAfter,
	}
	if spec.ca {
		tmpl.IsCA = true
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage = x509.KeyUsageCertSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatalf("create %s: %v", spec.cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse %s: %v", spec.cn, err)
	}
	return &testCert{cert: c, key: key}
}

// tlsa builds the TLSA record of usage/selector/matching type for c.
func tlsaRec(usage, selector, mtype uint8, c *testCert) evidence.TLSARecord {
	sel := c.cert.Raw
	if selector == SelectorSPKI {
		sel = c.cert.RawSubjectPublicKeyInfo
	}
	var data []byte
	switch mtype {
	case MatchSHA256:
		s := sha256.Sum256(sel)
		data = s[:]
	case MatchSHA512:
		s := sha512.Sum512(sel)
		data = s[:]
	default:
		data = sel
	}
	return evidence.TLSARecord{Usage: usage, Selector: selector, MatchingType: mtype, Data: hex.EncodeToString(data)}
}

// ders is a presented chain.
func ders(certs ...*testCert) [][]byte {
	out := make([][]byte, len(certs))
	for i, c := range certs {
		out[i] = c.cert.Raw
	}
	return out
}

func boolp(b bool) *bool { return &b }
