package posture

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// maxDKIMRecordLen bounds the key record parsed (an RSA-4096 key is under 800 bytes).
const maxDKIMRecordLen = 8192

// DKIMKeyInfo is a parsed DKIM key record (RFC 6376 §3.6.1).
type DKIMKeyInfo struct {
	// KeyType is k= in lower case ("rsa" when absent).
	KeyType string
	// Revoked is set when p= is empty.
	Revoked bool
	// Bits is the key size: RSA modulus bits, 256 for Ed25519.
	Bits int
}

// ParseDKIMKey parses a DKIM key record: tag=value pairs separated by
// ';', v (if present, first and DKIM1), k (rsa or ed25519, RFC 8463) and
// p (base64; empty means revoked). An RSA key is a SubjectPublicKeyInfo
// (§3.6.1) or, as some signers publish it, a bare PKCS#1 RSAPublicKey.
func ParseDKIMKey(txt string) (DKIMKeyInfo, error) {
	info := DKIMKeyInfo{KeyType: "rsa"}
	if len(txt) > maxDKIMRecordLen {
		return info, fmt.Errorf("record longer than %d bytes", maxDKIMRecordLen)
	}
	var p *string
	seen := map[string]bool{}
	for i, part := range strings.Split(txt, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return info, fmt.Errorf("%q is not a tag=value pair", part)
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if seen[name] {
			return info, fmt.Errorf("tag %s given more than once", name)
		}
		seen[name] = true
		switch name {
		case "v":
			if i != 0 || value != "DKIM1" {
				return info, fmt.Errorf("v=%s: must be DKIM1 and first", value)
			}
		case "k":
			info.KeyType = strings.ToLower(value)
		case "p":
			// Base64 in a TXT record may carry folding whitespace (§3.6.1).
			v := strings.Join(strings.Fields(value), "")
			p = &v
		}
	}
	if p == nil {
		return info, fmt.Errorf("no p= tag")
	}
	if *p == "" {
		info.Revoked = true
		return info, nil
	}
	der, err := base64.StdEncoding.DecodeString(*p)
	if err != nil {
		return info, fmt.Errorf("p= is not base64: %v", err)
	}
	switch info.KeyType {
	case "rsa":
		if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
			k, ok := pub.(*rsa.PublicKey)
			if !ok {
				return info, fmt.Errorf("k=rsa but p= holds a %T key", pub)
			}
			info.Bits = k.N.BitLen()
			return info, nil
		}
		k, err := x509.ParsePKCS1PublicKey(der)
		if err != nil {
			return info, fmt.Errorf("p= is not an RSA public key")
		}
		info.Bits = k.N.BitLen()
	case "ed25519":
		// RFC 8463 §4.2: the raw 32-byte public key.
		if len(der) != ed25519.PublicKeySize {
			return info, fmt.Errorf("an Ed25519 key is %d bytes, p= holds %d", ed25519.PublicKeySize, len(der))
		}
		info.Bits = 8 * ed25519.PublicKeySize
	default:
		return info, fmt.Errorf("unknown key type k=%s", info.KeyType)
	}
	return info, nil
}

// CheckDKIM looks up the key of each selector at SELECTOR._domainkey.DOMAIN
// (at most MaxSelectors) and parses it.
func CheckDKIM(ctx context.Context, r Resolver, domain string, selectors []string) []evidence.DKIMKey {
	var out []evidence.DKIMKey
	for _, sel := range selectors {
		if len(out) >= MaxSelectors {
			break
		}
		k := evidence.DKIMKey{Selector: sel}
		l, txts := r.TXT(ctx, sel+"._domainkey."+domain)
		k.Lookup = l
		switch l.Status {
		case evidence.DNSOK:
		case evidence.DNSNoData, evidence.DNSNXDomain:
			k.Status, k.Reason = evidence.DKIMMissing, "no key record ("+string(l.Status)+")"
			out = append(out, k)
			continue
		default:
			k.Status, k.Reason = evidence.DKIMTempError, "the lookup failed ("+string(l.Status)+")"
			out = append(out, k)
			continue
		}
		switch len(txts) {
		case 0:
			k.Status, k.Reason = evidence.DKIMMissing, "no key record"
		case 1:
			k.Record = txts[0]
			info, err := ParseDKIMKey(txts[0])
			switch {
			case err != nil:
				k.Status, k.Reason = evidence.DKIMInvalid, err.Error()
			case info.Revoked:
				k.Status, k.KeyType, k.Reason = evidence.DKIMRevoked, info.KeyType, "p= is empty: the key is revoked"
			default:
				k.Status, k.KeyType, k.Bits = evidence.DKIMKeyOK, info.KeyType, info.Bits
			}
		default:
			k.Status, k.Reason = evidence.DKIMInvalid, fmt.Sprintf("%d TXT records at the selector; verifiers may pick any", len(txts))
		}
		out = append(out, k)
	}
	return out
}
