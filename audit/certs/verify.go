package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Minimum key sizes in bits below which a key is reported weak: 112-bit
// security as NIST SP 800-52 Rev. 2 asks of server certificates (RSA and DSA
// 2048, ECC 224).
const (
	MinRSABits = 2048
	MinDSABits = 2048
	MinECBits  = 224
)

// hoursPerDay turns the remaining validity into whole days.
const hoursPerDay = 24 * time.Hour

// CNMatchPrefix marks in CertCheck.MatchedBy a match on the subject common
// name (the RFC 6125 fallback for certificates without SAN DNS names), so
// callers whose standard forbids the fallback (MTA-STS) can refuse it.
const CNMatchPrefix = "CN:"

// stepCertificate is the step name of certificate errors.
const stepCertificate = "certificate"

// Verifier judges presented certificate chains against a trust store at a
// moment in time. The zero value uses the system roots and the clock.
type Verifier struct {
	// Roots is the trust store. When nil, the system roots are used
	// (x509.SystemCertPool); if they cannot be loaded, trust is not judged.
	Roots *x509.CertPool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (v *Verifier) now() time.Time {
	if v == nil || v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

func (v *Verifier) roots() (*x509.CertPool, error) {
	if v != nil && v.Roots != nil {
		return v.Roots, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		return nil, fmt.Errorf("load system roots: %w", err)
	}
	return pool, nil
}

// Check judges the chain a server presented (leaf first, DER) for the MX host
// name. Trust, name match and validity are separate facts: trust is verified
// without a host name, and a leaf that is merely expired or not yet valid has
// its chain judged at the edge of its own validity window, so an expired
// certificate from a trusted CA reads "expired", not "untrusted".
//
// Go's verifier refuses MD5 and SHA-1 signatures, so a chain that relies on
// one is reported untrusted (and WeakSignature names it). ChainIncomplete is
// a heuristic: the chain is not trusted because no issuer of the leaf could
// be found, the leaf is not self-signed, and the server did not send its
// issuer; it cannot tell a missing intermediate from a private CA.
//
// An empty chain, or a leaf that cannot be parsed, sets Error and leaves the
// Trusted, NameMatch and Expired pointers nil.
func (v *Verifier) Check(name string, chain [][]byte) evidence.CertCheck {
	now := v.now()
	out := evidence.CertCheck{Name: name, CheckedAt: now.UTC()}
	if len(chain) == 0 {
		out.Error = evidence.Errorf(evidence.ErrProtocol, stepCertificate, "no certificate presented")
		return out
	}
	parsed := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		out.Chain = append(out.Chain, Decode(der))
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

	if name != "" {
		by, ok := matchLeaf(leaf, name)
		out.NameMatch = &ok
		out.MatchedBy = by
	}

	v.judgeTrust(&out, leaf, parsed, now)
	out.WeakSignature = weakSignature(parsed, out.Chain)
	out.WeakKey = weakKey(parsed, out.Chain)
	return out
}

// judgeTrust fills Trusted, TrustError, VerifiedChain and ChainIncomplete.
func (v *Verifier) judgeTrust(out *evidence.CertCheck, leaf *x509.Certificate, parsed []*x509.Certificate, now time.Time) {
	roots, err := v.roots()
	if err != nil {
		out.TrustError = err.Error()
		return
	}
	inter := x509.NewCertPool()
	for _, c := range parsed[1:] {
		if c != nil {
			inter.AddCert(c)
		}
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now}
	chains, err := leaf.Verify(opts)
	if when, ok := leafWindowEdge(err, leaf, now); ok {
		// Only the leaf's own dates failed: judge the chain as of the edge of
		// the leaf's validity window, so trust stays a separate fact.
		opts.CurrentTime = when
		chains, err = leaf.Verify(opts)
	}
	trusted := err == nil
	out.Trusted = &trusted
	if err != nil {
		out.TrustError = err.Error()
		out.ChainIncomplete = issuerMissing(err) && !out.SelfSigned && !issuerPresented(leaf, parsed)
		return
	}
	for _, c := range chains[0] {
		out.VerifiedChain = append(out.VerifiedChain, c.Subject.String())
	}
}

// leafWindowEdge reports whether err says only that the leaf is outside its
// validity window, and returns the moment at its edge to judge trust at.
func leafWindowEdge(err error, leaf *x509.Certificate, now time.Time) (time.Time, bool) {
	var inv x509.CertificateInvalidError
	if !errors.As(err, &inv) || inv.Reason != x509.Expired || inv.Cert != leaf {
		return time.Time{}, false
	}
	if now.After(leaf.NotAfter) {
		return leaf.NotAfter, true
	}
	return leaf.NotBefore, true
}

// candidateHint is how x509.UnknownAuthorityError says it found a candidate
// issuer but rejected its signature (an insecure algorithm, a bad signature).
// The hint is not exported, so its text is the only way to read it.
const candidateHint = " (possibly because of "

// issuerMissing reports whether err says that no issuer of the leaf could be
// found at all, as opposed to an issuer found and rejected.
func issuerMissing(err error) bool {
	var unknown x509.UnknownAuthorityError
	return errors.As(err, &unknown) && !strings.Contains(unknown.Error(), candidateHint)
}

// issuerPresented reports whether a certificate other than the leaf names
// the leaf's issuer as its subject.
func issuerPresented(leaf *x509.Certificate, parsed []*x509.Certificate) bool {
	for _, c := range parsed[1:] {
		if c != nil && bytes.Equal(c.RawSubject, leaf.RawIssuer) {
			return true
		}
	}
	return false
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

// matchLeaf matches name against the leaf's SAN DNS names, or against its
// common name when it has none (RFC 6125 §6.4.4, RFC 7672 §3.2.3).
func matchLeaf(leaf *x509.Certificate, name string) (string, bool) {
	if len(leaf.DNSNames) > 0 {
		for _, san := range leaf.DNSNames {
			if MatchName(san, name) {
				return san, true
			}
		}
		return "", false
	}
	if cn := leaf.Subject.CommonName; cn != "" && MatchName(cn, name) {
		return CNMatchPrefix + cn, true
	}
	return "", false
}

// weakSignature names the worst weak signature (MD2/MD5 before SHA-1) on a
// presented certificate, skipping self-signed roots whose own signature no
// one relies on. Unparsable certificates are skipped.
func weakSignature(parsed []*x509.Certificate, decoded []evidence.Certificate) string {
	worst, worstRank := "", 0
	for i, c := range parsed {
		if c == nil || decoded[i].SelfSigned && i > 0 {
			continue
		}
		if r := sigWeakness(c.SignatureAlgorithm); r > worstRank {
			worst, worstRank = c.SignatureAlgorithm.String(), r
		}
	}
	return worst
}

// Weakness ranks of signature algorithms; higher is worse.
const (
	sigStrong = iota
	sigSHA1
	sigMD5
)

func sigWeakness(a x509.SignatureAlgorithm) int {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA:
		return sigMD5
	case x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return sigSHA1
	}
	return sigStrong
}

// weakKey describes the first key below policy strength: the leaf's as
// "RSA 1024", an intermediate's as "RSA 1024 (intermediate <subject>)".
// Self-signed roots presented by the server are skipped.
func weakKey(parsed []*x509.Certificate, decoded []evidence.Certificate) string {
	for i, c := range parsed {
		if c == nil || i > 0 && decoded[i].SelfSigned {
			continue
		}
		d := decoded[i]
		if !keyIsWeak(d.KeyType, d.KeyBits) {
			continue
		}
		desc := fmt.Sprintf("%s %d", d.KeyType, d.KeyBits)
		if i > 0 {
			desc += " (intermediate " + d.Subject + ")"
		}
		return desc
	}
	return ""
}

func keyIsWeak(keyType string, bits int) bool {
	switch keyType {
	case KeyRSA:
		return bits < MinRSABits
	case KeyDSA:
		return bits < MinDSABits
	case KeyECDSA:
		return bits < MinECBits
	}
	return false
}

// LoadCAFile reads a PEM bundle of trusted roots. It fails when the file
// holds no certificate, or when a CERTIFICATE block cannot be parsed.
func LoadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ca file: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for block := 0; ; block++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("ca file %s: pem block %d: %w", path, block+1, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("ca file %s: no PEM certificate found", path)
	}
	return pool, nil
}

// normalizeName lower-cases a DNS name and drops one trailing dot.
func normalizeName(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
}
