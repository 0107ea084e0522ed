package resolve

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Query asks one question (name in any case, with or without the trailing
// dot) and returns its Lookup and the answer records of type qtype. It
// follows CNAME chains inside an answer and asks again when an answer
// holds only the alias, up to 8 hops with loop detection; it retries on
// timeouts across servers and attempts, moves to the next server on
// SERVFAIL or REFUSED, and repeats a truncated UDP query over TCP
// (Lookup.TCP). A cancelled ctx stops it at once.
//
// Status tells the outcome apart: ok (records of the type), nodata, nxdomain,
// servfail, refused, timeout or error (a malformed reply, a broken CNAME
// chain, an invalid name: then no query is sent). Records holds only the
// answer records of the asked type, in presentation format; TTL is the
// smallest TTL along the chain; AD is set only when every reply on the
// chain had it. Answers are cached for the life of the Resolver.
//
// Unless the mode is DNSSECOff, DNSSEC holds the security status of the
// whole answer (every link of the chain and the records, or the proof of
// their absence) and DNSSECReason explains a bogus or indeterminate one.
// Duration does not include the validation's own questions.
func (r *Resolver) Query(ctx context.Context, name string, qtype uint16) (evidence.Lookup, []dns.RR) {
	l, rrs := r.query(ctx, name, qtype)
	var out []dns.RR
	for _, rr := range rrs {
		out = append(out, dns.Copy(rr))
	}
	return l, out
}

// query is Query without copying the records; the slices of the returned
// Lookup are its own.
func (r *Resolver) query(ctx context.Context, name string, qtype uint16) (evidence.Lookup, []dns.RR) {
	fqdn := dns.CanonicalName(name)
	if _, ok := dns.IsDomainName(fqdn); !ok || name == "" {
		return evidence.Lookup{
			Name:   name,
			Type:   typeName(qtype),
			Status: evidence.DNSError,
			Error:  fmt.Sprintf("invalid dns name %q: no query sent", name),
		}, nil
	}
	var (
		res    evidence.Lookup
		rrs    []dns.RR
		total  time.Duration
		seen   = map[string]bool{fqdn: true}
		cur    = fqdn
		rounds []round
	)
	res.AD = true
	hasTTL := false
	// Every round but the last adds at least one CNAME hop, so
	// maxCNAMEHops+1 rounds cover the longest chain allowed.
	for range maxCNAMEHops + 1 {
		rep := r.ask(ctx, cur, qtype)
		total += rep.dur
		res.Server = rep.server
		res.TCP = res.TCP || rep.tcp
		if rep.msg == nil {
			res.Status, res.Error, res.Rcode = rep.status, rep.err, ""
			res.AD, res.Records, rrs, res.TTL = false, nil, nil, 0
			break
		}
		part, partRRs, next := lookupFromMsg(cur, qtype, rep.msg)
		rounds = append(rounds, round{name: cur, msg: rep.msg, partial: next != ""})
		res.Status, res.Rcode, res.Error = part.Status, part.Rcode, part.Error
		res.AD = res.AD && part.AD
		res.Records, rrs = part.Records, partRRs
		if part.TTL > 0 || len(part.CNAMEs) > 0 || len(partRRs) > 0 {
			if !hasTTL || part.TTL < res.TTL {
				res.TTL, hasTTL = part.TTL, true
			}
		}
		if part.Status == evidence.DNSError {
			res.CNAMEs = append(res.CNAMEs, part.CNAMEs...)
			res.TTL = 0
			break
		}
		res.CNAMEs = append(res.CNAMEs, part.CNAMEs...)
		if msg := chainProblem(presentName(fqdn), res.CNAMEs, part.CNAMEs, seen); msg != "" {
			res.Status, res.Error = evidence.DNSError, msg
			res.Records, rrs, res.TTL = nil, nil, 0
			break
		}
		if next == "" {
			break
		}
		cur = next
	}
	res.Name = presentName(fqdn)
	res.Type = typeName(qtype)
	r.security(ctx, &res, qtype, rounds)
	res.Duration = evidence.Duration(total)
	return res, rrs
}

// chainProblem checks the chain gathered across re-queries for a loop
// (a name met in an earlier round) or excess length; it adds part to seen.
func chainProblem(qname string, chain, part []string, seen map[string]bool) string {
	if len(chain) > maxCNAMEHops {
		return fmt.Sprintf("cname chain longer than %d hops", maxCNAMEHops)
	}
	for _, n := range part {
		fq := dns.Fqdn(n)
		if seen[fq] {
			return "cname loop: " + qname + " -> " + strings.Join(chain, " -> ")
		}
		seen[fq] = true
	}
	return ""
}

// ask returns the cached reply to name/qtype, asking the servers when it
// is not known yet.
func (r *Resolver) ask(ctx context.Context, name string, qtype uint16) reply {
	start := time.Now()
	return r.cache.do(ctx, key{name: name, qtype: qtype}, func() (reply, bool) {
		rep := r.exchangeAll(ctx, name, qtype)
		return rep, ctx.Err() == nil
	}, func() reply { return cancelled(ctx, start) })
}

// TXT asks for the TXT records of name and returns the Lookup and, per
// record, its character-strings concatenated without separators (the
// RFC 8461 §3.1 and RFC 8460 §3 rule), as the raw bytes that were sent.
func (r *Resolver) TXT(ctx context.Context, name string) (evidence.Lookup, []string) {
	l, rrs := r.query(ctx, name, dns.TypeTXT)
	var out []string
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, joinTXT(t.Txt))
		}
	}
	return l, out
}

// joinTXT concatenates TXT character-strings as miekg/dns holds them
// (escaped presentation: \" \\ and \DDD) back into their raw bytes.
func joinTXT(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(unescapeTXT(p))
	}
	return b.String()
}

// unescapeTXT undoes miekg/dns's escaping of a TXT character-string: \DDD
// is the byte with that decimal value, \X is X, a dangling \ ends the string.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			b = append(b, s[i])
			i++
			continue
		}
		if i+1 >= len(s) {
			break
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if v <= 255 {
				b = append(b, byte(v))
				i += 4
				continue
			}
		}
		b = append(b, s[i+1])
		i += 2
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
