package resolve

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// The chain of trust. Three functions call each other, always on proper
// ancestors, so the recursion ends and cached work never waits on itself:
//   - zoneKeys(Z): Z's DNSKEY RRset, authenticated by a trust anchor or by
//     the DS RRset that cut(Z) authenticated;
//   - cut(N): what the parent side says of N: a secure delegation (DS),
//     an insecure one (no DS, proven), no delegation, or no such name;
//     its proofs are signed by zones above N, so it needs zoneKeys only of
//     proper ancestors, and chainStatus only of N's parent;
//   - chainStatus(N): the walk from the closest trust anchor down to N,
//     cut by cut: the status of the zone holding N.

// What authenticates a zone's keys, as reasons name it.
const (
	sourceAnchor = "trust anchor"
	sourceDS     = "ds"
)

// zoneKeys is the outcome of authenticating a zone's DNSKEY RRset.
type zoneKeys struct {
	verdict
	// keys are the zone's keys usable to verify, when secure.
	keys []taggedKey
}

// zoneKeys returns the authenticated keys of zone, cached for the life
// of the Resolver.
func (r *Resolver) zoneKeys(ctx context.Context, zone string) zoneKeys {
	return r.zones.do(ctx, zone, func() (zoneKeys, bool) {
		zk := r.fetchZoneKeys(ctx, zone)
		return zk, ctx.Err() == nil
	}, func() zoneKeys { return zoneKeys{verdict: stopped(ctx)} })
}

func (r *Resolver) fetchZoneKeys(ctx context.Context, zone string) zoneKeys {
	if a, ok := r.anchors[zone]; ok {
		return r.authenticateKeys(ctx, zone, a.ds, a.keys, sourceAnchor)
	}
	if r.anchors.closest(zone) == "" {
		return zoneKeys{verdict: insecure()}
	}
	c := r.cut(ctx, zone)
	switch c.kind {
	case cutSecure:
		return r.authenticateKeys(ctx, zone, c.ds, nil, sourceDS)
	case cutInsecure:
		return zoneKeys{verdict: insecure()}
	case cutNone:
		return zoneKeys{verdict: bogus("%s signs records but its parent proves it is no delegation", show(zone))}
	case cutNXDomain:
		return zoneKeys{verdict: bogus("%s signs records but its parent proves it does not exist", show(zone))}
	}
	return zoneKeys{verdict: c.verdict}
}

// authenticateKeys fetches the DNSKEY RRset of zone and accepts it when a
// key that matches one of ds, or equals one of trusted, signs it. A zone
// whose DS records and anchors all use unsupported algorithms or digests
// is insecure (RFC 4035 §5.2, RFC 6840 §5.2).
func (r *Resolver) authenticateKeys(ctx context.Context, zone string, ds []*dns.DS, trusted []*dns.DNSKEY, source string) zoneKeys {
	ds = usableDS(ds)
	var anchors []*dns.DNSKEY
	for _, k := range trusted {
		if supportedAlgorithm(k.Algorithm) && k.Protocol == dnssecProtocol && k.Flags&dns.ZONE != 0 {
			anchors = append(anchors, k)
		}
	}
	if len(ds) == 0 && len(anchors) == 0 {
		return zoneKeys{verdict: insecure()}
	}
	rep := r.ask(ctx, zone, dns.TypeDNSKEY)
	if rep.msg == nil {
		return zoneKeys{verdict: indeterminate("dnskey query for %s: %s", show(zone), failure(rep))}
	}
	if rc := rep.msg.Rcode; rc != dns.RcodeSuccess && rc != dns.RcodeNameError {
		return zoneKeys{verdict: indeterminate("dnskey query for %s answered %s", show(zone), rcodeName(rc))}
	}
	set := collect(rep.msg.Answer, zone, dns.TypeDNSKEY)
	var keys []taggedKey
	for _, rr := range set.rrs {
		if k, ok := rr.(*dns.DNSKEY); ok {
			keys = append(keys, taggedKey{key: k, tag: k.KeyTag()})
		}
	}
	if len(keys) == 0 {
		if source == sourceAnchor {
			// The anchored zone (the root, normally) has no DNSKEY at our
			// servers: they do not serve DNSSEC (a lab DNS, a stripping
			// forwarder). That is our vantage point's problem, not the
			// audited domain's, so it must not read as bogus for every vendor.
			return zoneKeys{verdict: indeterminate("the dns servers return no dnskey for %s (the trust anchor's zone): they do not serve dnssec; use a dnssec-aware resolver, --dnssec=resolver or --dnssec=off", show(zone))}
		}
		return zoneKeys{verdict: bogus("%s has a %s but no dnskey records", show(zone), source)}
	}
	if len(set.sigs) == 0 && source == sourceAnchor {
		// No signatures at all over the anchored keys: the servers do not
		// hand out DNSSEC data (a stub or proxy that drops the DO bit).
		// That says nothing about the zones, so no zone is called bogus.
		return zoneKeys{verdict: indeterminate("no rrsig over %s DNSKEY: the dns servers return no dnssec signatures", show(zone))}
	}
	entry := matchKeys(keys, ds, anchors)
	if len(entry) == 0 {
		return zoneKeys{verdict: bogus("no dnskey of %s matches its %s (%s)", show(zone), source, describeDS(ds, anchors))}
	}
	why := fmt.Sprintf("no rrsig over %s DNSKEY by a key its %s names", show(zone), source)
	tried := 0
	for _, sig := range set.sigs {
		if dns.CanonicalName(sig.SignerName) != zone || !supportedAlgorithm(sig.Algorithm) {
			continue
		}
		if tried == maxSigsPerRRset {
			break
		}
		tried++
		ok, reason := verifyWith(entry, set, sig, r.now())
		if ok {
			return zoneKeys{verdict: secure(), keys: usableKeys(keys)}
		}
		why = reason
	}
	return zoneKeys{verdict: bogus("%s", why)}
}

// usableDS keeps the DS records of supported algorithm and digest type,
// and drops SHA-1 digests when stronger ones are present (RFC 4509 §3).
func usableDS(ds []*dns.DS) []*dns.DS {
	var out []*dns.DS
	strong := false
	for _, d := range ds {
		if supportedAlgorithm(d.Algorithm) && supportedDigest(d.DigestType) {
			out = append(out, d)
			strong = strong || d.DigestType != dns.SHA1
		}
	}
	if !strong {
		return out
	}
	kept := out[:0]
	for _, d := range out {
		if d.DigestType != dns.SHA1 {
			kept = append(kept, d)
		}
	}
	return kept
}

// usableKeys keeps the zone keys that may verify signatures: protocol 3,
// zone flag set, not revoked (RFC 5011 §2.1), of a supported algorithm.
func usableKeys(keys []taggedKey) []taggedKey {
	var out []taggedKey
	for _, k := range keys {
		if k.key.Protocol == dnssecProtocol && k.key.Flags&dns.ZONE != 0 && k.key.Flags&dns.REVOKE == 0 && supportedAlgorithm(k.key.Algorithm) {
			out = append(out, k)
		}
	}
	return out
}

// matchKeys returns the usable keys that a DS record names (tag,
// algorithm and digest) or that equal a trusted key.
func matchKeys(keys []taggedKey, ds []*dns.DS, trusted []*dns.DNSKEY) []taggedKey {
	var out []taggedKey
	for _, k := range usableKeys(keys) {
		match := false
		for _, d := range ds {
			if d.KeyTag != k.tag || d.Algorithm != k.key.Algorithm {
				continue
			}
			if got := k.key.ToDS(d.DigestType); got != nil && strings.EqualFold(got.Digest, d.Digest) {
				match = true
				break
			}
		}
		for _, t := range trusted {
			if !match && sameKey(k.key, t) {
				match = true
			}
		}
		if match {
			out = append(out, k)
		}
	}
	return out
}

// sameKey reports whether two DNSKEYs hold the same key data.
func sameKey(a, b *dns.DNSKEY) bool {
	if a.Flags != b.Flags || a.Protocol != b.Protocol || a.Algorithm != b.Algorithm {
		return false
	}
	ka, erra := base64.StdEncoding.DecodeString(a.PublicKey)
	kb, errb := base64.StdEncoding.DecodeString(b.PublicKey)
	return erra == nil && errb == nil && len(ka) > 0 && bytes.Equal(ka, kb)
}

// describeDS lists the key tags a zone's DS records or anchors name.
func describeDS(ds []*dns.DS, keys []*dns.DNSKEY) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("ds key %d algorithm %d", d.KeyTag, d.Algorithm))
	}
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("dnskey %d algorithm %d", k.KeyTag(), k.Algorithm))
	}
	return strings.Join(parts, ", ")
}

// failure describes a question that got no reply.
func failure(rep reply) string {
	if rep.err != "" {
		return string(rep.status) + ": " + rep.err
	}
	return string(rep.status)
}

// cutKind is what the parent side says about a name.
type cutKind int

const (
	// cutFailed: the verdict says why nothing could be learnt (insecure
	// parent, bogus or missing data).
	cutFailed cutKind = iota
	// cutSecure: an authenticated DS RRset; a signed zone starts here.
	cutSecure
	// cutInsecure: a delegation whose lack of DS is proven (or covered by
	// NSEC3 opt-out): everything below is insecure.
	cutInsecure
	// cutNone: the name exists (or is an empty non-terminal) and is no delegation.
	cutNone
	// cutNXDomain: the name is proven not to exist.
	cutNXDomain
)

// cutInfo is the authenticated answer to the DS question of a name.
type cutInfo struct {
	kind cutKind
	verdict
	ds []*dns.DS
}

// cut returns what the DS question says of name, cached for the life of the Resolver.
func (r *Resolver) cut(ctx context.Context, name string) cutInfo {
	return r.cuts.do(ctx, name, func() (cutInfo, bool) {
		c := r.fetchCut(ctx, name)
		return c, ctx.Err() == nil
	}, func() cutInfo { return cutInfo{verdict: stopped(ctx)} })
}

func (r *Resolver) fetchCut(ctx context.Context, name string) cutInfo {
	rep := r.ask(ctx, name, dns.TypeDS)
	if rep.msg == nil {
		return cutInfo{kind: cutFailed, verdict: indeterminate("ds query for %s: %s", show(name), failure(rep))}
	}
	if rc := rep.msg.Rcode; rc != dns.RcodeSuccess && rc != dns.RcodeNameError {
		return cutInfo{verdict: indeterminate("ds query for %s answered %s", show(name), rcodeName(rc))}
	}
	sc := scopeFor(name, dns.TypeDS)
	if set := collect(rep.msg.Answer, name, dns.TypeDS); len(set.rrs) > 0 {
		c := r.checkRRset(ctx, set, sc)
		if c.status != evidence.DNSSECSecure {
			return cutInfo{verdict: c.verdict}
		}
		var ds []*dns.DS
		for _, rr := range set.rrs {
			if d, ok := rr.(*dns.DS); ok {
				ds = append(ds, d)
			}
		}
		return cutInfo{kind: cutSecure, verdict: c.verdict, ds: ds}
	}
	if cn := collect(rep.msg.Answer, name, dns.TypeCNAME); len(cn.rrs) > 0 {
		// An alias is no delegation. Taking the claim unchecked can only
		// turn an insecure answer below into a bogus one, never make
		// anything secure or insecure.
		return cutInfo{kind: cutNone, verdict: secure()}
	}
	d := r.checkDenial(ctx, name, dns.TypeDS, rep.msg, sc)
	switch {
	case d.status != evidence.DNSSECSecure:
		return cutInfo{verdict: d.verdict}
	case d.nx:
		return cutInfo{kind: cutNXDomain, verdict: d.verdict}
	case d.delegation:
		return cutInfo{kind: cutInsecure, verdict: d.verdict}
	}
	return cutInfo{kind: cutNone, verdict: d.verdict}
}

// chainStatus walks from the closest trust anchor above name down to it,
// asking the DS question at every name on the way, and returns the status
// of the zone that holds name, and that zone: insecure below a delegation
// without DS (or without any anchor above), secure when every zone on the
// way has authenticated keys, else the first failure.
func (r *Resolver) chainStatus(ctx context.Context, name string) (verdict, string) {
	name = dns.CanonicalName(name)
	zone := r.anchors.closest(name)
	if zone == "" {
		return insecure(), ""
	}
	if zk := r.zoneKeys(ctx, zone); zk.status != evidence.DNSSECSecure {
		return zk.verdict, zone
	}
	starts := dns.Split(name)
	depth := dns.CountLabel(zone)
	for i := len(starts) - 1 - depth; i >= 0; i-- {
		n := dns.CanonicalName(name[starts[i]:])
		c := r.cut(ctx, n)
		switch c.kind {
		case cutSecure:
			if zk := r.zoneKeys(ctx, n); zk.status != evidence.DNSSECSecure {
				return zk.verdict, n
			}
			zone = n
		case cutNone:
		case cutInsecure:
			return insecure(), n
		case cutNXDomain:
			return secure(), zone
		default:
			return c.verdict, zone
		}
	}
	return secure(), zone
}
