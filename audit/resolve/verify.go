package resolve

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

const (
	// maxSigsPerRRset bounds the RRSIGs tried over one RRset, and
	// maxKeysPerSig the keys tried for one RRSIG (key tags collide): with
	// both, a hostile zone cannot make one answer cost thousands of
	// signature checks (the KeyTrap attack, CVE-2023-50387).
	maxSigsPerRRset = 8
	maxKeysPerSig   = 4
	// serialHalf is 2^31 seconds, the window of RFC 1982 serial
	// arithmetic that RRSIG times use (RFC 4034 §3.1.5).
	serialHalf = int64(1) << 31
	// dnssecProtocol is the only valid DNSKEY protocol (RFC 4034 §2.1.2).
	dnssecProtocol = 3
)

// supportedAlgorithm reports whether the signatures of a DNSKEY algorithm
// can be checked: RFC 8624 §3.1's list that miekg/dns implements
// (RSAMD5, DSA, GOST and ED448 are not).
func supportedAlgorithm(alg uint8) bool {
	switch alg {
	case dns.RSASHA1, dns.RSASHA1NSEC3SHA1, dns.RSASHA256, dns.RSASHA512,
		dns.ECDSAP256SHA256, dns.ECDSAP384SHA384, dns.ED25519:
		return true
	}
	return false
}

// supportedDigest reports whether a DS digest type can be checked
// (RFC 8624 §3.3: SHA-1, SHA-256 and SHA-384; not GOST).
func supportedDigest(t uint8) bool {
	return t == dns.SHA1 || t == dns.SHA256 || t == dns.SHA384
}

// rrset is one RRset of a reply and the signatures over it. Records are
// copies with canonical owner names; the reply stays untouched, as it is
// shared through the cache.
type rrset struct {
	owner string
	rtype uint16
	rrs   []dns.RR
	sigs  []*dns.RRSIG
}

// collect returns the RRset owner/rtype (class IN) of section with the
// RRSIGs that cover it.
func collect(section []dns.RR, owner string, rtype uint16) rrset {
	owner = dns.CanonicalName(owner)
	set := rrset{owner: owner, rtype: rtype}
	for _, rr := range section {
		if rr == nil || rr.Header().Class != dns.ClassINET || dns.CanonicalName(rr.Header().Name) != owner {
			continue
		}
		if sig, ok := rr.(*dns.RRSIG); ok {
			if sig.TypeCovered == rtype && rtype != dns.TypeRRSIG {
				sig = dns.Copy(sig).(*dns.RRSIG)
				sig.Hdr.Name = owner
				set.sigs = append(set.sigs, sig)
			}
			continue
		}
		if rr.Header().Rrtype == rtype {
			c := dns.Copy(rr)
			c.Header().Name = owner
			set.rrs = append(set.rrs, c)
		}
	}
	return set
}

// collectAll returns every RRset at owner in section, by type.
func collectAll(section []dns.RR, owner string) []rrset {
	owner = dns.CanonicalName(owner)
	var types []uint16
	for _, rr := range section {
		h := rr.Header()
		if h.Class == dns.ClassINET && h.Rrtype != dns.TypeRRSIG && dns.CanonicalName(h.Name) == owner && !slices.Contains(types, h.Rrtype) {
			types = append(types, h.Rrtype)
		}
	}
	sets := make([]rrset, 0, len(types))
	for _, t := range types {
		sets = append(sets, collect(section, owner, t))
	}
	return sets
}

// scope says which zones may sign an RRset, and whose chain of trust
// decides between insecure and bogus when no signature verifies.
type scope struct {
	// above, when set, is the name only whose proper ancestors may sign:
	// DS records and the denial of DS come from the parent side of a cut.
	above string
	// fallback is the name whose chain of trust decides.
	fallback string
}

// scopeFor is the scope of data about name/qtype.
func scopeFor(name string, qtype uint16) scope {
	name = dns.CanonicalName(name)
	if qtype == dns.TypeDS {
		if p, ok := parentName(name); ok {
			return scope{above: name, fallback: p}
		}
	}
	return scope{fallback: name}
}

// checked is the outcome of validating one RRset.
type checked struct {
	verdict
	// signer is the zone whose key verified the RRset, when secure.
	signer string
	// wildcard is the label count of the wildcard the RRset was expanded
	// from (the RRSIG labels field), or -1 when it was not expanded.
	wildcard int
}

// checkRRset validates set: secure when an RRSIG by a zone allowed by sc
// verifies with an authenticated key of that zone and is within its
// validity period. Otherwise the chain of trust of sc.fallback decides:
// insecure when it is insecure, bogus when it is secure (the data should
// have been signed), and its own status else.
func (r *Resolver) checkRRset(ctx context.Context, set rrset, sc scope) checked {
	what := show(set.owner) + " " + typeName(set.rtype)
	why := "no rrsig over " + what
	tried := 0
	for _, sig := range set.sigs {
		if tried == maxSigsPerRRset {
			break
		}
		signer := dns.CanonicalName(sig.SignerName)
		switch {
		case !dns.IsSubDomain(signer, set.owner):
			why = fmt.Sprintf("rrsig over %s names signer %s, which does not contain it", what, show(signer))
			continue
		case sc.above != "" && (signer == sc.above || !dns.IsSubDomain(signer, sc.above)):
			why = fmt.Sprintf("rrsig over %s is by %s, not by the parent zone", what, show(signer))
			continue
		case int(sig.Labels) > dns.CountLabel(set.owner):
			why = fmt.Sprintf("rrsig over %s has %d labels, more than its owner", what, sig.Labels)
			continue
		case !supportedAlgorithm(sig.Algorithm):
			why = fmt.Sprintf("rrsig over %s uses unsupported algorithm %d", what, sig.Algorithm)
			continue
		}
		tried++
		zk := r.zoneKeys(ctx, signer)
		if zk.status != evidence.DNSSECSecure {
			if zk.status != evidence.DNSSECInsecure {
				why = zk.reason
			}
			continue
		}
		ok, reason := verifyWith(zk.keys, set, sig, r.now())
		if ok {
			return checked{verdict: secure(), signer: signer, wildcard: wildcardLabels(sig, set.owner)}
		}
		why = reason
	}
	if ctx.Err() != nil {
		return checked{verdict: stopped(ctx), wildcard: -1}
	}
	fb, zone := r.chainStatus(ctx, sc.fallback)
	switch fb.status {
	case evidence.DNSSECSecure:
		return checked{verdict: bogus("%s (zone %s is signed)", why, show(zone)), wildcard: -1}
	default:
		return checked{verdict: fb, wildcard: -1}
	}
}

// taggedKey is a zone key with its key tag worked out once.
type taggedKey struct {
	key *dns.DNSKEY
	tag uint16
}

// verifyWith checks sig over set with the keys of its tag and algorithm,
// and its validity period at now. It returns why it failed.
func verifyWith(keys []taggedKey, set rrset, sig *dns.RRSIG, now time.Time) (bool, string) {
	what := show(set.owner) + " " + typeName(set.rtype)
	why := fmt.Sprintf("rrsig over %s names key %d (algorithm %d) of %s, which is not among its keys",
		what, sig.KeyTag, sig.Algorithm, show(sig.SignerName))
	n := 0
	for _, k := range keys {
		if k.tag != sig.KeyTag || k.key.Algorithm != sig.Algorithm {
			continue
		}
		if n == maxKeysPerSig {
			break
		}
		n++
		if err := sig.Verify(k.key, set.rrs); err != nil {
			why = fmt.Sprintf("rrsig over %s by key %d of %s does not verify: %v", what, sig.KeyTag, show(sig.SignerName), err)
			continue
		}
		if !sig.ValidityPeriod(now) {
			why = fmt.Sprintf("rrsig over %s by key %d of %s %s", what, sig.KeyTag, show(sig.SignerName), validityProblem(sig, now))
			continue
		}
		return true, ""
	}
	return false, why
}

// validityProblem says how now falls outside the validity period of sig.
func validityProblem(sig *dns.RRSIG, now time.Time) string {
	inception, expiration := sigTime(sig.Inception, now), sigTime(sig.Expiration, now)
	if now.Before(inception) {
		return "is not valid before " + inception.UTC().Format(time.RFC3339)
	}
	return "expired at " + expiration.UTC().Format(time.RFC3339)
}

// sigTime is the absolute time of an RRSIG time field, the one within
// 2^31 seconds of now (RFC 4034 §3.1.5, RFC 1982).
func sigTime(v uint32, now time.Time) time.Time {
	t := int64(v)
	span := 2 * serialHalf
	d := now.Unix() - t + serialHalf
	k := d / span
	if d%span < 0 {
		k-- // floor, not truncation, for times ahead of now
	}
	return time.Unix(t+k*span, 0)
}

// wildcardLabels returns the labels field of sig when the RRset at owner
// was expanded from a wildcard (RFC 4035 §5.3.4), else -1. A question for
// the wildcard name itself is not an expansion.
func wildcardLabels(sig *dns.RRSIG, owner string) int {
	n := dns.CountLabel(owner)
	if int(sig.Labels) >= n || (int(sig.Labels) == n-1 && strings.HasPrefix(owner, "*.")) {
		return -1
	}
	return int(sig.Labels)
}
