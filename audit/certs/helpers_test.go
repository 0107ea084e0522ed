package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"testing"
	"time"
)

// epoch is the fixed clock of these tests.
var epoch = time.Date(2025, time.March, 10, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// issued is a generated certificate with its key.
type issued struct {
	der  []byte
	cert *x509.Certificate
	key  crypto.Signer
}

// spec describes a certificate to generate.
type spec struct {
	cn        string
	dns       []string
	ips       []net.IP
	ca        bool
	notBefore time.Time
	notAfter  time.Time
	key       crypto.Signer // nil: a fresh P-256 key
	sigAlg    x509.SignatureAlgorithm
	serial    int64
}

func newKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return k
}

func newRSAKey(t testing.TB, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatalf("generate rsa %d: %v", bits, err)
	}
	return k
}

// issue creates a certificate from s, signed by parent (self-signed when nil).
func issue(t testing.TB, s spec, parent *issued) issued {
	t.Helper()
	key := s.key
	if key == nil {
		key = newKey(t)
	}
	if s.notBefore.IsZero() {
		s.notBefore = epoch.Add(-30 * day)
	}
	if s.notAfter.IsZero() {
		s.notAfter = epoch.Add(90 * day)
	}
	if s.serial == 0 {
		s.serial = 0x1f2e
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(s.serial),
		Subject:               pkix.Name{CommonName: s.cn, Organization: []string{"mxaudit test"}},
		DNSNames:              s.dns,
		IPAddresses:           s.ips,
		NotBefore:             s.notBefore,
		NotAfter:              s.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  s.ca,
		SignatureAlgorithm:    s.sigAlg,
	}
	if s.ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	parentCert, parentKey := tmpl, key
	if parent != nil {
		parentCert, parentKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), parentKey)
	if err != nil {
		t.Fatalf("create certificate %q: %v", s.cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse certificate %q: %v", s.cn, err)
	}
	return issued{der: der, cert: c, key: key}
}

// resignMD5 re-signs a certificate created with an RSA parent so that it
// carries an md5WithRSAEncryption signature: Go refuses to create one.
func resignMD5(t testing.TB, der []byte, parentKey *rsa.PrivateKey) []byte {
	t.Helper()
	var outer struct {
		TBS    asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &outer); err != nil {
		t.Fatalf("unmarshal certificate: %v", err)
	}
	var fields []asn1.RawValue
	rest := outer.TBS.Bytes
	for len(rest) > 0 {
		var f asn1.RawValue
		var err error
		rest, err = asn1.Unmarshal(rest, &f)
		if err != nil {
			t.Fatalf("unmarshal tbs field: %v", err)
		}
		fields = append(fields, f)
	}
	md5Alg, err := asn1.Marshal(struct {
		OID    asn1.ObjectIdentifier
		Params asn1.RawValue
	}{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}, asn1.NullRawValue})
	if err != nil {
		t.Fatalf("marshal md5 algorithm: %v", err)
	}
	// The TBS starts with [0] version, serial, then the signature algorithm.
	const sigAlgIndex = 2
	fields[sigAlgIndex] = asn1.RawValue{FullBytes: md5Alg}
	var body []byte
	for _, f := range fields {
		body = append(body, f.FullBytes...)
	}
	tbs, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	if err != nil {
		t.Fatalf("marshal tbs: %v", err)
	}
	sum := md5.Sum(tbs)
	sig, err := rsa.SignPKCS1v15(rand.Reader, parentKey, crypto.MD5, sum[:])
	if err != nil {
		t.Fatalf("md5 sign: %v", err)
	}
	out, err := asn1.Marshal(struct {
		TBS    asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}{asn1.RawValue{FullBytes: tbs}, asn1.RawValue{FullBytes: md5Alg}, asn1.BitString{Bytes: sig, BitLength: len(sig) * 8}})
	if err != nil {
		t.Fatalf("marshal certificate: %v", err)
	}
	return out
}

// pki is a root, an intermediate under it, and the root's pool.
type pki struct {
	root, inter issued
	pool        *x509.CertPool
}

func newPKI(t testing.TB, name string) pki {
	t.Helper()
	root := issue(t, spec{cn: name + " Root", ca: true, notBefore: epoch.Add(-3650 * day), notAfter: epoch.Add(3650 * day), serial: 1}, nil)
	inter := issue(t, spec{cn: name + " Intermediate", ca: true, notBefore: epoch.Add(-1000 * day), notAfter: epoch.Add(1000 * day), serial: 2}, &root)
	pool := x509.NewCertPool()
	pool.AddCert(root.cert)
	return pki{root: root, inter: inter, pool: pool}
}

// marshalDSASPKI builds a DSA SubjectPublicKeyInfo with prime p; Go cannot
// create DSA certificates, so the key-size reader is tested on its own.
func marshalDSASPKI(t testing.TB, p *big.Int) []byte {
	t.Helper()
	type params struct{ P, Q, G *big.Int }
	type algo struct {
		OID    asn1.ObjectIdentifier
		Params params
	}
	b, err := asn1.Marshal(struct {
		Algorithm algo
		Key       asn1.BitString
	}{algo{asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}, params{p, big.NewInt(3), big.NewInt(2)}}, asn1.BitString{Bytes: []byte{2, 1, 5}, BitLength: 24}})
	if err != nil {
		t.Fatalf("marshal dsa spki: %v", err)
	}
	return b
}
