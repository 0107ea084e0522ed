package mtasts

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// stepCertificate is the step name of certificate failures.
const stepCertificate = "certificate"

// bitsPerByte turns key sizes in bytes into bits.
const bitsPerByte = 8

// hoursPerDay turns the remaining validity into whole days.
const hoursPerDay = 24 * time.Hour

// judgeCert is the default certificate judgement of the policy host
// (RFC 8461 §3.3): the chain must verify to roots (nil: the system roots),
// the leaf must carry a SAN DNS-ID for name (no common-name fallback) and be
// within its validity window. Trust is judged apart from the leaf's dates, as
// of the edge of its window, so an expired leaf from a trusted CA reads
// "expired", not "untrusted".
func judgeCert(roots *x509.CertPool, name string, chain [][]byte, now time.Time) evidence.CertCheck {
	out := evidence.CertCheck{Name: name, CheckedAt: now.UTC(), Connections: 1}
	if len(chain) == 0 {
		out.Error = evidence.Errorf(evidence.ErrProtocol, stepCertificate, "no certificate presented")
		return out
	}
	parsed := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		out.Chain = append(out.Chain, decodeCert(der))
		if c, err := x509.ParseCertificate(der); err == nil {
			parsed[i] = c
		}
	}
	leaf := parsed[0]
	if leaf == nil {
		out.Error = evidence.Errorf(evidence.ErrProtocol, stepCertificate, "leaf certificate cannot be parsed: %s", out.Chain[0].ParseError)
		return out
	}
	expired := now.After(leaf.NotAfter)
	out.Expired = &expired
	out.NotYetValid = now.Before(leaf.NotBefore)
	out.DaysToExpiry = daysUntil(now, leaf.NotAfter)
	out.SelfSigned = out.Chain[0].SelfSigned

	match := false
	for _, san := range leaf.DNSNames {
		if matchDNSID(san, name) {
			match = true
			out.MatchedBy = san
			break
		}
	}
	out.NameMatch = &match

	if roots == nil {
		pool, err := x509.SystemCertPool()
		if err != nil {
			out.TrustError = fmt.Sprintf("load system roots: %v", err)
			return out
		}
		roots = pool
	}
	inter := x509.NewCertPool()
	for _, c := range parsed[1:] {
		if c != nil {
			inter.AddCert(c)
		}
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now}
	chains, err := leaf.Verify(opts)
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) && inv.Reason == x509.Expired && inv.Cert == leaf {
		opts.CurrentTime = leaf.NotAfter
		if now.Before(leaf.NotBefore) {
			opts.CurrentTime = leaf.NotBefore
		}
		chains, err = leaf.Verify(opts)
	}
	trusted := err == nil
	out.Trusted = &trusted
	if err != nil {
		out.TrustError = err.Error()
		return out
	}
	for _, c := range chains[0] {
		out.VerifiedChain = append(out.VerifiedChain, c.Subject.String())
	}
	return out
}

// rejection says why a sender would refuse the policy host's certificate
// (RFC 8461 §3.3), or "" when it would accept it.
func rejection(c evidence.CertCheck) string {
	if c.Error != nil {
		return c.Error.Message
	}
	var why []string
	switch {
	case c.Trusted == nil:
		why = append(why, "trust could not be judged: "+c.TrustError)
	case !*c.Trusted:
		why = append(why, "not trusted: "+c.TrustError)
	}
	if c.NameMatch == nil || !*c.NameMatch {
		why = append(why, "no SAN DNS-ID matches "+c.Name)
	}
	if c.Expired != nil && *c.Expired {
		why = append(why, "expired")
	}
	if c.NotYetValid {
		why = append(why, "not yet valid")
	}
	return strings.Join(why, "; ")
}

// matchDNSID matches a SAN DNS name against a host name: exactly, or as a
// wildcard "*." that stands for the whole left-most label (RFC 6125 §6.4.3
// as restricted by RFC 8461 §3.3). Case and one trailing dot are ignored.
func matchDNSID(san, host string) bool {
	s, h := normName(san), normName(host)
	if s == "" || h == "" {
		return false
	}
	if s == h {
		return true
	}
	rest, ok := strings.CutPrefix(s, "*.")
	if !ok || rest == "" {
		return false
	}
	first, parent, ok := strings.Cut(h, ".")
	return ok && first != "" && parent == rest
}

// daysUntil is the floor of (t-now)/24h, negative once t has passed.
func daysUntil(now, t time.Time) int {
	d := t.Sub(now)
	days := d / hoursPerDay
	if d < 0 && d%hoursPerDay != 0 {
		days--
	}
	return int(days)
}

// decodeCert turns DER into the evidence fields an auditor reads.
func decodeCert(der []byte) evidence.Certificate {
	sum := sha256.Sum256(der)
	out := evidence.Certificate{SHA256: hex.EncodeToString(sum[:]), DER: bytes.Clone(der), KeyType: "unknown"}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		out.ParseError = err.Error()
		return out
	}
	spki := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	out.SPKISHA256 = hex.EncodeToString(spki[:])
	out.Subject = c.Subject.String()
	out.Issuer = c.Issuer.String()
	out.CommonName = c.Subject.CommonName
	out.DNSNames = c.DNSNames
	for _, ip := range c.IPAddresses {
		out.IPs = append(out.IPs, ip.String())
	}
	out.Serial = c.SerialNumber.Text(16)
	out.NotBefore = c.NotBefore.UTC()
	out.NotAfter = c.NotAfter.UTC()
	out.SignatureAlgorithm = c.SignatureAlgorithm.String()
	out.IsCA = c.IsCA
	out.SelfSigned = bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		out.KeyType, out.KeyBits = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		out.KeyType, out.KeyBits, out.Curve = "ECDSA", k.Curve.Params().BitSize, k.Curve.Params().Name
	case ed25519.PublicKey:
		out.KeyType, out.KeyBits = "Ed25519", ed25519.PublicKeySize*bitsPerByte
	}
	return out
}
