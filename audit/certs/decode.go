// Package certs turns the certificate chain an MX host presented into
// auditable facts: what each certificate says (Decode), whether the chain is
// trusted, valid now and issued for the MX name, and whether its keys and
// signatures are strong enough (Verifier.Check). It does no network I/O.
package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/md5" // #nosec G501 -- only to recognise legacy MD5 self-signatures
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Key type names as recorded in evidence.Certificate.KeyType.
const (
	KeyRSA     = "RSA"
	KeyECDSA   = "ECDSA"
	KeyEd25519 = "Ed25519"
	KeyDSA     = "DSA"
	KeyUnknown = "unknown"
)

// ed25519Bits is the size of an Ed25519 public key in bits.
const ed25519Bits = 256

// Decode parses one DER certificate into the facts an auditor reads. It never
// fails: bytes that are not a certificate come back with ParseError set and
// only the DER and its SHA-256 fingerprint filled in.
func Decode(der []byte) evidence.Certificate {
	sum := sha256.Sum256(der)
	out := evidence.Certificate{
		DER:    bytes.Clone(der),
		SHA256: hex.EncodeToString(sum[:]),
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		out.ParseError = err.Error()
		return out
	}
	fillFrom(&out, c)
	return out
}

// fillFrom copies the facts of a parsed certificate into out.
func fillFrom(out *evidence.Certificate, c *x509.Certificate) {
	out.Subject = c.Subject.String()
	out.Issuer = c.Issuer.String()
	out.CommonName = c.Subject.CommonName
	out.DNSNames = append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out.IPs = append(out.IPs, ip.String())
	}
	if c.SerialNumber != nil {
		out.Serial = c.SerialNumber.Text(16)
	}
	out.NotBefore = c.NotBefore.UTC()
	out.NotAfter = c.NotAfter.UTC()
	out.KeyType, out.KeyBits, out.Curve = keyFacts(c)
	out.SignatureAlgorithm = c.SignatureAlgorithm.String()
	out.SelfSigned = selfSigned(c)
	out.IsCA = c.BasicConstraintsValid && c.IsCA
	spki := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	out.SPKISHA256 = hex.EncodeToString(spki[:])
}

// keyFacts names the public key's type, size in bits and (ECDSA) curve.
func keyFacts(c *x509.Certificate) (keyType string, bits int, curve string) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return KeyRSA, k.N.BitLen(), ""
	case *ecdsa.PublicKey:
		p := k.Curve.Params()
		return KeyECDSA, p.BitSize, p.Name
	case ed25519.PublicKey:
		return KeyEd25519, ed25519Bits, ""
	}
	if c.PublicKeyAlgorithm == x509.DSA {
		// Read the prime from the SPKI parameters rather than through
		// crypto/dsa, which is deprecated.
		if b, err := dsaPrimeBits(c.RawSubjectPublicKeyInfo); err == nil {
			return KeyDSA, b, ""
		}
		return KeyDSA, 0, ""
	}
	return KeyUnknown, 0, ""
}

// dsaPrimeBits returns the length of the prime p in a DSA SubjectPublicKeyInfo.
func dsaPrimeBits(spki []byte) (int, error) {
	var info struct {
		Algorithm struct {
			OID    asn1.ObjectIdentifier
			Params struct{ P, Q, G *big.Int }
		}
		Key asn1.BitString
	}
	rest, err := asn1.Unmarshal(spki, &info)
	if err != nil {
		return 0, err
	}
	if len(rest) != 0 {
		return 0, errors.New("trailing data after subject public key info")
	}
	if info.Algorithm.Params.P == nil {
		return 0, errors.New("dsa parameters without a prime")
	}
	return info.Algorithm.Params.P.BitLen(), nil
}

// selfSigned reports whether c names itself as issuer and its signature
// verifies with its own key. Go refuses MD5 signatures, so those are checked
// by hand: an MD5 self-signed root is still self-signed.
func selfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawSubject, c.RawIssuer) {
		return false
	}
	err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
	if err == nil {
		return true
	}
	if c.SignatureAlgorithm == x509.MD5WithRSA {
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return false
		}
		sum := md5.Sum(c.RawTBSCertificate) // #nosec G401 -- verifying a legacy signature, not creating one
		return rsa.VerifyPKCS1v15(pub, crypto.MD5, sum[:], c.Signature) == nil
	}
	return false
}
