package smtptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Key types Issue accepts.
const (
	KeyRSA2048  = "rsa2048"
	KeyECDSA256 = "ecdsa256"
	KeyRSA1024  = "rsa1024" // weak, for tests of the key-strength check
)

// serialBits is the size of random certificate serial numbers.
const serialBits = 128

// caBackdate is how far in the past a test CA's validity starts: long-lived,
// like a real CA, so certificates can be judged at dates in the past.
const caBackdate = 10 * 365 * 24 * time.Hour

// RSA key sizes of the key types.
const (
	rsaStrongBits = 2048
	rsaWeakBits   = 1024
)

func newKey(keyType string) (crypto.Signer, error) {
	switch keyType {
	case KeyECDSA256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case KeyRSA2048:
		return rsa.GenerateKey(rand.Reader, rsaStrongBits)
	case KeyRSA1024:
		return rsa.GenerateKey(rand.Reader, rsaWeakBits)
	}
	return nil, fmt.Errorf("smtptest: unknown key type %q", keyType)
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), serialBits))
}

// leafTemplate is a server certificate for names: IP addresses go into the
// IP SANs, anything else into the DNS SANs; the first name is the CN.
func leafTemplate(names []string, notBefore, notAfter time.Time, key crypto.Signer) (*x509.Certificate, error) {
	if len(names) == 0 {
		return nil, errors.New("smtptest: no names for the certificate")
	}
	sn, err := serial()
	if err != nil {
		return nil, fmt.Errorf("smtptest: serial: %w", err)
	}
	t := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if _, ok := key.(*rsa.PrivateKey); ok {
		// RSA key transport (TLS_RSA_* suites) encrypts to the key.
		t.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, n)
		}
	}
	return t, nil
}

// SelfSignedCert makes a self-signed ECDSA P-256 server certificate for
// names, valid from notBefore to notAfter.
func SelfSignedCert(names []string, notBefore, notAfter time.Time) (tls.Certificate, error) {
	key, err := newKey(KeyECDSA256)
	if err != nil {
		return tls.Certificate{}, err
	}
	t, err := leafTemplate(names, notBefore, notAfter, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, t, t, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: self-signed certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: parse certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// CA is a throwaway certificate authority for tests: one self-signed root
// that issues server certificates.
type CA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// caValidity is how long a test CA is valid, from an hour ago.
const caValidity = 10 * 365 * 24 * time.Hour

// NewCA makes a CA whose root has name as its common name.
func NewCA(name string) (*CA, error) {
	key, err := newKey(KeyECDSA256)
	if err != nil {
		return nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, fmt.Errorf("smtptest: serial: %w", err)
	}
	now := time.Now()
	t := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"smtptest"}},
		NotBefore:             now.Add(-caBackdate), // long-lived, like a real CA: certificates may be judged at past dates
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, t, t, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("smtptest: ca certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("smtptest: parse ca certificate: %w", err)
	}
	return &CA{cert: cert, key: key}, nil
}

// Issue makes a server certificate for names signed by the CA, with a key
// of keyType (KeyRSA2048, KeyECDSA256 or KeyRSA1024). The chain it returns
// is the leaf followed by the CA certificate.
func (ca *CA) Issue(names []string, notBefore, notAfter time.Time, keyType string) (tls.Certificate, error) {
	key, err := newKey(keyType)
	if err != nil {
		return tls.Certificate{}, err
	}
	return ca.IssueWithKey(names, notBefore, notAfter, key)
}

// NewKey makes a private key of keyType (KeyRSA2048, KeyECDSA256 or
// KeyRSA1024), for IssueWithKey.
func NewKey(keyType string) (crypto.Signer, error) { return newKey(keyType) }

// IssueWithKey is Issue with a key the caller made: a simulated fleet of
// thousands of servers shares a few keys, since generating an RSA key per
// server takes most of its start-up.
func (ca *CA) IssueWithKey(names []string, notBefore, notAfter time.Time, key crypto.Signer) (tls.Certificate, error) {
	t, err := leafTemplate(names, notBefore, notAfter, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, t, ca.cert, key.Public(), ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: issue certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtptest: parse certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// Pool returns a pool holding only the CA certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// CertPEM returns the CA certificate in PEM.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}
