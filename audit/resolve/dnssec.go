package resolve

import (
	"context"
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// DNSSECMode says how a Resolver decides the DNSSEC status of its answers.
type DNSSECMode string

// DNSSEC modes.
const (
	// DNSSECValidate validates every answer itself, from the trust anchors
	// down (RFC 4035 §5), asking with DO and CD set so that a validating
	// upstream hands over even bogus data to judge. The default.
	DNSSECValidate DNSSECMode = "validate"
	// DNSSECResolver trusts the AD bit of the configured resolvers, which
	// must validate and be reached over a trusted path: AD set is secure,
	// AD clear insecure, no answer indeterminate.
	DNSSECResolver DNSSECMode = "resolver"
	// DNSSECOff leaves the DNSSEC status of every Lookup empty.
	DNSSECOff DNSSECMode = "off"
)

// ParseDNSSECMode reads a mode by name ("validate", "resolver", "off");
// the empty string is DNSSECValidate.
func ParseDNSSECMode(s string) (DNSSECMode, error) {
	switch m := DNSSECMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return DNSSECValidate, nil
	case DNSSECValidate, DNSSECResolver, DNSSECOff:
		return m, nil
	}
	return "", fmt.Errorf("unknown dnssec mode %q (want validate, resolver or off)", s)
}

// The IANA root zone trust anchors, as DS records with SHA-256 digests,
// from https://data.iana.org/root-anchors/root-anchors.xml: KSK-2017 (key
// tag 20326) and KSK-2024 (key tag 38696), both RSASHA256. The digests
// were checked against the published root KSK public keys (see
// TestRootAnchors, which recomputes them from the keys).
const (
	RootAnchorKSK2017 = ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"
	RootAnchorKSK2024 = ". IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16"
)

// RootAnchors returns fresh copies of the IANA root trust anchors, the
// default of Config.TrustAnchors.
func RootAnchors() []dns.RR {
	var out []dns.RR
	for _, s := range []string{RootAnchorKSK2017, RootAnchorKSK2024} {
		// The constants parse; a failure would be caught by the tests.
		if rr, err := dns.NewRR(s); err == nil && rr != nil {
			out = append(out, rr)
		}
	}
	return out
}

// anchorSet groups trust anchors by zone.
type anchorSet map[string]anchor

// anchor is the trust anchors of one zone.
type anchor struct {
	ds   []*dns.DS
	keys []*dns.DNSKEY
}

// newAnchorSet checks and groups trust anchors: DS or DNSKEY records only.
func newAnchorSet(rrs []dns.RR) (anchorSet, error) {
	set := make(anchorSet)
	for _, rr := range rrs {
		if rr == nil {
			continue
		}
		zone := dns.CanonicalName(rr.Header().Name)
		a := set[zone]
		switch v := dns.Copy(rr).(type) {
		case *dns.DS:
			v.Hdr.Name = zone
			a.ds = append(a.ds, v)
		case *dns.DNSKEY:
			v.Hdr.Name = zone
			a.keys = append(a.keys, v)
		default:
			return nil, fmt.Errorf("trust anchor for %s is a %s record, neither ds nor dnskey", show(zone), typeName(rr.Header().Rrtype))
		}
		set[zone] = a
	}
	if len(set) == 0 {
		return nil, fmt.Errorf("no trust anchors")
	}
	return set, nil
}

// closest returns the deepest anchored zone at or above name; "" when none.
func (a anchorSet) closest(name string) string {
	for n, ok := name, true; ok; n, ok = parentName(n) {
		if _, has := a[n]; has {
			return n
		}
	}
	return ""
}

// verdict is a DNSSEC security status and, for bogus and indeterminate, why.
type verdict struct {
	status evidence.DNSSECStatus
	reason string
}

func secure() verdict   { return verdict{status: evidence.DNSSECSecure} }
func insecure() verdict { return verdict{status: evidence.DNSSECInsecure} }

func bogus(format string, args ...any) verdict {
	return verdict{status: evidence.DNSSECBogus, reason: fmt.Sprintf(format, args...)}
}

func indeterminate(format string, args ...any) verdict {
	return verdict{status: evidence.DNSSECIndeterminate, reason: fmt.Sprintf(format, args...)}
}

// stopped is the verdict when the caller's context ended during validation.
func stopped(ctx context.Context) verdict {
	return indeterminate("validation stopped: %v", ctx.Err())
}

// rank orders statuses from best to worst.
func rank(s evidence.DNSSECStatus) int {
	switch s {
	case evidence.DNSSECSecure:
		return 0
	case evidence.DNSSECInsecure:
		return 1
	case evidence.DNSSECIndeterminate:
		return 2
	}
	return 3
}

// worse returns the worse of two verdicts, a when they rank alike: an
// answer is only as secure as the weakest link of its chain.
func worse(a, b verdict) verdict {
	if rank(b.status) > rank(a.status) {
		return b
	}
	return a
}

// show is a name as reasons print it: no trailing dot, "." for the root.
func show(name string) string {
	if n := presentName(name); n != "" {
		return n
	}
	return "."
}

// parentName returns the parent of a canonical name; false for the root.
func parentName(name string) (string, bool) {
	if name == "." || name == "" {
		return "", false
	}
	next, end := dns.NextLabel(name, 0)
	if end {
		return ".", true
	}
	return name[next:], true
}

// round is one reply of a question's CNAME chase.
type round struct {
	// name is the name asked in this round.
	name string
	msg  *dns.Msg
	// partial is set when the chain leaves the reply unfinished and the
	// next round asks for the rest: the reply proves no negative answer.
	partial bool
}

// security sets l.DNSSEC and l.DNSSECReason for the rounds of a question,
// by the Resolver's mode.
func (r *Resolver) security(ctx context.Context, l *evidence.Lookup, qtype uint16, rounds []round) {
	if r.mode == DNSSECOff {
		return
	}
	var v verdict
	switch {
	case l.Status != evidence.DNSOK && l.Status != evidence.DNSNoData && l.Status != evidence.DNSNXDomain:
		v = indeterminate("no answer to validate: %s", l.Status)
		if l.Status == evidence.DNSServFail && r.mode == DNSSECResolver {
			v.reason = "the resolver answered servfail: bogus data or a server failure"
		}
	case r.mode == DNSSECResolver:
		v = insecure()
		if l.AD {
			v = secure()
		}
	default:
		v = secure()
		for _, rd := range rounds {
			v = worse(v, r.validateReply(ctx, rd.name, qtype, rd.msg, rd.partial))
		}
	}
	l.DNSSEC = v.status
	if v.status == evidence.DNSSECBogus || v.status == evidence.DNSSECIndeterminate {
		l.DNSSECReason = v.reason
	}
}

// validateReply validates what reply msg says about qname/qtype: every
// RRset of the CNAME chain, the answer RRset at its end, or the denial of
// existence when there is none (unless partial).
func (r *Resolver) validateReply(ctx context.Context, qname string, qtype uint16, msg *dns.Msg, partial bool) verdict {
	if msg.Rcode != dns.RcodeSuccess && msg.Rcode != dns.RcodeNameError {
		return indeterminate("server answered %s", rcodeName(msg.Rcode))
	}
	v := secure()
	cur := dns.CanonicalName(qname)
	chase := qtype != dns.TypeCNAME && qtype != dns.TypeANY
	for hop := 0; hop <= maxCNAMEHops; hop++ {
		if qtype == dns.TypeANY {
			sets := collectAll(msg.Answer, cur)
			if len(sets) > 0 {
				for _, set := range sets {
					v = worse(v, r.checkAnswer(ctx, set, msg))
				}
				return v
			}
			break
		}
		if set := collect(msg.Answer, cur, qtype); len(set.rrs) > 0 {
			return worse(v, r.checkAnswer(ctx, set, msg))
		}
		cn := collect(msg.Answer, cur, dns.TypeCNAME)
		if !chase || len(cn.rrs) == 0 {
			break
		}
		v = worse(v, r.checkAlias(ctx, cn, msg))
		c, _ := cn.rrs[0].(*dns.CNAME)
		if c == nil {
			break
		}
		cur = dns.CanonicalName(c.Target)
	}
	if partial {
		return v
	}
	return worse(v, r.checkDenial(ctx, cur, qtype, msg, scopeFor(cur, qtype)).verdict)
}

// checkAnswer validates one RRset of an answer and, when it was expanded
// from a wildcard, the proof that its owner does not exist.
func (r *Resolver) checkAnswer(ctx context.Context, set rrset, msg *dns.Msg) verdict {
	c := r.checkRRset(ctx, set, scopeFor(set.owner, set.rtype))
	if c.status != evidence.DNSSECSecure || c.wildcard < 0 {
		return c.verdict
	}
	return r.checkWildcard(ctx, set, c, msg)
}

// checkAlias validates a CNAME RRset, or the signed DNAME it was
// synthesised from (RFC 6672 §5.3.1: the CNAME is not signed).
func (r *Resolver) checkAlias(ctx context.Context, cn rrset, msg *dns.Msg) verdict {
	if len(cn.sigs) == 0 {
		c, _ := cn.rrs[0].(*dns.CNAME)
		for n, ok := parentName(cn.owner); ok && c != nil; n, ok = parentName(n) {
			dn := collect(msg.Answer, n, dns.TypeDNAME)
			if len(dn.rrs) == 0 {
				continue
			}
			d, _ := dn.rrs[0].(*dns.DNAME)
			prefix := strings.TrimSuffix(cn.owner, n)
			if d != nil && dns.CanonicalName(prefix+dns.CanonicalName(d.Target)) == dns.CanonicalName(c.Target) {
				return r.checkAnswer(ctx, dn, msg)
			}
			break
		}
	}
	return r.checkAnswer(ctx, cn, msg)
}
