package resolve

import (
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// maxCNAMEHops is the longest CNAME chain followed for one question, across
// re-queries; a longer chain is an error.
const maxCNAMEHops = 8

// lookupFromMsg reads reply m to the question qname/qtype into a Lookup
// (Name, Type, Status, Rcode, CNAMEs, Records, TTL, AD, Error) and returns
// the answer records of type qtype at the end of the CNAME chain.
//
// The chain is followed inside the answer section from qname. When it ends
// at a name that has neither records nor a CNAME in the answer and the
// reply carries no SOA covering that name (no proof that it is empty, as
// when an authoritative server's alias leaves its zone), next is that name,
// fully qualified, for the caller to ask again.
//
// TTL is the smallest TTL of the chain and the records; for a negative
// answer it is the negative-caching TTL of the SOA in the authority section
// (RFC 2308 §5), 0 when there is none. m comes from the network: nothing in
// it is trusted, and every loop is bounded by its size.
func lookupFromMsg(qname string, qtype uint16, m *dns.Msg) (l evidence.Lookup, rrs []dns.RR, next string) {
	cur := dns.CanonicalName(qname)
	l = evidence.Lookup{Name: presentName(cur), Type: typeName(qtype)}
	if m == nil {
		l.Status, l.Error = evidence.DNSError, "no reply"
		return l, nil, ""
	}
	l.Rcode = rcodeName(m.Rcode)
	l.AD = m.AuthenticatedData
	switch m.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	case dns.RcodeServerFailure:
		l.Status = evidence.DNSServFail
		return l, nil, ""
	case dns.RcodeRefused:
		l.Status = evidence.DNSRefused
		return l, nil, ""
	default:
		l.Status, l.Error = evidence.DNSError, "server answered "+l.Rcode
		return l, nil, ""
	}

	owners := make([]string, len(m.Answer))
	for i, rr := range m.Answer {
		if rr != nil {
			owners[i] = dns.CanonicalName(rr.Header().Name)
		}
	}
	var (
		ttl    uint32
		hasTTL bool
		seen   = map[string]bool{cur: true}
	)
	minTTL := func(t uint32) {
		if !hasTTL || t < ttl {
			ttl, hasTTL = t, true
		}
	}
	chase := qtype != dns.TypeCNAME && qtype != dns.TypeANY
	for hop := 0; ; hop++ {
		var alias *dns.CNAME
		for i, rr := range m.Answer {
			if rr == nil || owners[i] != cur || rr.Header().Class != dns.ClassINET {
				continue
			}
			t := rr.Header().Rrtype
			switch {
			case t == qtype || qtype == dns.TypeANY:
				rrs = append(rrs, rr)
			case t == dns.TypeCNAME && alias == nil && chase:
				alias, _ = rr.(*dns.CNAME)
			}
		}
		if len(rrs) > 0 || alias == nil {
			break
		}
		if hop == maxCNAMEHops {
			return chainError(l, fmt.Sprintf("cname chain longer than %d hops", maxCNAMEHops))
		}
		minTTL(alias.Hdr.Ttl)
		target := dns.CanonicalName(alias.Target)
		l.CNAMEs = append(l.CNAMEs, presentName(target))
		if seen[target] {
			return chainError(l, "cname loop: "+presentName(l.Name)+" -> "+strings.Join(l.CNAMEs, " -> "))
		}
		seen[target] = true
		cur = target
	}
	for _, rr := range rrs {
		minTTL(rr.Header().Ttl)
		l.Records = append(l.Records, rr.String())
	}
	soa := coveringSOA(m.Ns, cur)
	switch {
	case m.Rcode == dns.RcodeNameError:
		l.Status = evidence.DNSNXDomain
	case len(rrs) > 0:
		l.Status = evidence.DNSOK
	default:
		l.Status = evidence.DNSNoData
		if len(l.CNAMEs) > 0 && soa == nil {
			next = cur
		}
	}
	if len(rrs) == 0 && soa != nil {
		minTTL(min(soa.Hdr.Ttl, soa.Minttl))
	}
	l.TTL = ttl
	return l, rrs, next
}

// chainError turns l into the error for a broken CNAME chain.
func chainError(l evidence.Lookup, msg string) (evidence.Lookup, []dns.RR, string) {
	l.Status, l.Error = evidence.DNSError, msg
	l.Records, l.TTL = nil, 0
	return l, nil, ""
}

// coveringSOA returns the first SOA of the authority section whose owner is
// name or one of its ancestors: the proof of a negative answer for name.
func coveringSOA(ns []dns.RR, name string) *dns.SOA {
	for _, rr := range ns {
		soa, ok := rr.(*dns.SOA)
		if ok && soa.Hdr.Class == dns.ClassINET && dns.IsSubDomain(dns.CanonicalName(soa.Hdr.Name), name) {
			return soa
		}
	}
	return nil
}

// presentName is a canonical name as evidence shows it: lower case, no
// trailing dot ("" for the root).
func presentName(fqdn string) string {
	return strings.TrimSuffix(dns.CanonicalName(fqdn), ".")
}
