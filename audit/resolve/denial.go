package resolve

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/resolve/internal/canon"
)

const (
	// maxProofRRsets bounds the NSEC or NSEC3 RRsets of one reply that are
	// validated; a proof needs at most three.
	maxProofRRsets = 8
	// maxNSEC3Iterations is the iteration count above which NSEC3 proofs
	// are treated as insecure (RFC 9276 §3.2 lets validators do so above
	// 100 and suggests 150 as a limit in practice; we take 150).
	maxNSEC3Iterations = 150
	// nsec3SHA1 is the only NSEC3 hash algorithm (RFC 5155 §11).
	nsec3SHA1 = 1
	// nsec3OptOut is the opt-out flag (RFC 5155 §3.1.2.1).
	nsec3OptOut = 1
)

// denial is the outcome of validating a negative answer.
type denial struct {
	verdict
	// nx is set when the name is proven not to exist, else the type is
	// proven absent at an existing name.
	nx bool
	// delegation is set when the name is proven to be a delegation
	// without DS, or an NSEC3 opt-out span covers it.
	delegation bool
}

// checkDenial validates the negative answer msg gives to qname/qtype
// (NXDOMAIN or NODATA by its rcode): the NSEC or NSEC3 RRsets of its
// authority section must be authenticated and must prove it. Without
// any, the chain of trust of sc.fallback decides between insecure and
// bogus.
func (r *Resolver) checkDenial(ctx context.Context, qname string, qtype uint16, msg *dns.Msg, sc scope) denial {
	qname = dns.CanonicalName(qname)
	nx := msg.Rcode == dns.RcodeNameError
	what := "nodata for " + show(qname) + " " + typeName(qtype)
	if nx {
		what = "nxdomain for " + show(qname)
	}
	nsecs, nsec3s, zone, v, found := r.proofRecords(ctx, qname, msg.Ns, sc)
	if v.status != evidence.DNSSECSecure {
		return denial{verdict: v}
	}
	if !found {
		fb, z := r.chainStatus(ctx, sc.fallback)
		if fb.status == evidence.DNSSECSecure {
			return denial{verdict: bogus("no nsec or nsec3 proves %s (zone %s is signed)", what, show(z))}
		}
		return denial{verdict: fb}
	}
	var p proof
	if len(nsecs) > 0 {
		p = nsecDenial(qname, qtype, nx, nsecs)
	} else {
		p = nsec3Denial(qname, qtype, nx, zone, nsec3s)
	}
	switch {
	case p.insecure:
		return denial{verdict: insecure()}
	case !p.ok:
		return denial{verdict: bogus("%s: %s", what, p.why)}
	case p.optOut && nx:
		// The name may exist as an unsigned delegation inside the opt-out span.
		return denial{verdict: insecure()}
	}
	return denial{verdict: secure(), nx: p.nx, delegation: p.delegation}
}

// proofRecords validates the NSEC and NSEC3 RRsets of section that come
// from a zone holding qname. It returns them (NSEC3 only from the first
// such zone), that zone, and a verdict that is secure unless one RRset
// was not; found is set when there was at least one.
func (r *Resolver) proofRecords(ctx context.Context, qname string, section []dns.RR, sc scope) (nsecs []*dns.NSEC, nsec3s []*dns.NSEC3, zone string, v verdict, found bool) {
	var owners []key
	for _, rr := range section {
		t := rr.Header().Rrtype
		if t != dns.TypeNSEC && t != dns.TypeNSEC3 || rr.Header().Class != dns.ClassINET {
			continue
		}
		k := key{name: dns.CanonicalName(rr.Header().Name), qtype: t}
		if !slices.Contains(owners, k) {
			owners = append(owners, k)
		}
	}
	v = secure()
	for i, k := range owners {
		if i == maxProofRRsets {
			break
		}
		set := collect(section, k.name, k.qtype)
		c := r.checkRRset(ctx, set, sc)
		if c.status != evidence.DNSSECSecure {
			return nil, nil, "", c.verdict, true
		}
		if !dns.IsSubDomain(c.signer, qname) {
			continue // about another zone: proves nothing here
		}
		found = true
		for _, rr := range set.rrs {
			switch x := rr.(type) {
			case *dns.NSEC:
				nsecs = append(nsecs, x)
			case *dns.NSEC3:
				if zone != "" && c.signer != zone {
					continue
				}
				zone = c.signer
				nsec3s = append(nsec3s, x)
			}
		}
	}
	return nsecs, nsec3s, zone, v, found
}

// proof is what authenticated NSEC or NSEC3 records prove about a name.
type proof struct {
	// ok is set when the denial claimed is proven.
	ok bool
	// nx, delegation: as in denial.
	nx         bool
	delegation bool
	// optOut is set when an opt-out NSEC3 covers the next closer name.
	optOut bool
	// insecure is set when the records cannot be used securely (NSEC3
	// iterations above the limit).
	insecure bool
	// why says why the proof fails.
	why string
}

func unproven(format string, args ...any) proof { return proof{why: fmt.Sprintf(format, args...)} }

// hasType reports whether an NSEC or NSEC3 type bitmap lists t.
func hasType(bitmap []uint16, t uint16) bool { return slices.Contains(bitmap, t) }

// nodataBitmap checks that a matching NSEC or NSEC3 type bitmap at qname
// proves the absence of qtype: it lists neither the type nor a CNAME, and
// it comes from the right side of a zone cut (RFC 4035 §5.4, RFC 6840 §4.1).
func nodataBitmap(bitmap []uint16, qtype uint16, what string) (bool, string) {
	switch {
	case hasType(bitmap, qtype):
		return false, fmt.Sprintf("%s lists %s", what, typeName(qtype))
	case qtype != dns.TypeCNAME && hasType(bitmap, dns.TypeCNAME):
		return false, what + " lists CNAME"
	case qtype == dns.TypeDS && hasType(bitmap, dns.TypeSOA):
		return false, what + " is from the child zone's apex and cannot deny DS"
	case qtype != dns.TypeDS && hasType(bitmap, dns.TypeNS) && !hasType(bitmap, dns.TypeSOA):
		return false, what + " is from the parent side of a delegation and cannot deny child data"
	}
	return true, ""
}

// nsecDenial reads authenticated NSEC records (RFC 4035 §5.4).
func nsecDenial(qname string, qtype uint16, nx bool, nsecs []*dns.NSEC) proof {
	if !nx {
		if m := nsecMatching(nsecs, qname); m != nil {
			if ok, why := nodataBitmap(m.TypeBitMap, qtype, "nsec at "+show(qname)); !ok {
				return unproven("%s", why)
			}
			return proof{ok: true, delegation: hasType(m.TypeBitMap, dns.TypeNS) && !hasType(m.TypeBitMap, dns.TypeSOA)}
		}
		for _, n := range nsecs {
			next := dns.CanonicalName(n.NextDomain)
			if nsecCovers(n, qname) && next != qname && dns.IsSubDomain(qname, next) {
				return proof{ok: true} // an empty non-terminal
			}
		}
		if c := nsecCovering(nsecs, qname); c != nil {
			wild := "*." + nsecEncloser(qname, c)
			if m := nsecMatching(nsecs, wild); m != nil {
				if ok, why := nodataBitmap(m.TypeBitMap, qtype, "nsec at "+show(wild)); !ok {
					return unproven("%s", why)
				}
				return proof{ok: true}
			}
		}
		return unproven("no nsec matches %s or proves a wildcard nodata", show(qname))
	}
	if nsecMatching(nsecs, qname) != nil {
		return unproven("an nsec record at %s says it exists", show(qname))
	}
	c := nsecCovering(nsecs, qname)
	if c == nil {
		return unproven("no nsec covers %s", show(qname))
	}
	wild := "*." + nsecEncloser(qname, c)
	if nsecMatching(nsecs, wild) != nil {
		return unproven("wildcard %s exists", show(wild))
	}
	if nsecCovering(nsecs, wild) == nil {
		return unproven("no nsec proves that wildcard %s does not exist", show(wild))
	}
	return proof{ok: true, nx: true}
}

// nsecMatching returns the NSEC record owned by name.
func nsecMatching(nsecs []*dns.NSEC, name string) *dns.NSEC {
	for _, n := range nsecs {
		if canon.Compare(n.Hdr.Name, name) == 0 {
			return n
		}
	}
	return nil
}

// nsecCovering returns an NSEC record that may prove name absent: it
// covers name, its next name is not below name (else name is an empty
// non-terminal), and it is not owned by an ancestor delegation or DNAME,
// whose NSEC cannot speak for names below it (RFC 6840 §4.1).
func nsecCovering(nsecs []*dns.NSEC, name string) *dns.NSEC {
	for _, n := range nsecs {
		if !nsecCovers(n, name) || dns.IsSubDomain(name, dns.CanonicalName(n.NextDomain)) {
			continue
		}
		owner := dns.CanonicalName(n.Hdr.Name)
		if dns.IsSubDomain(owner, name) && (hasType(n.TypeBitMap, dns.TypeDNAME) ||
			hasType(n.TypeBitMap, dns.TypeNS) && !hasType(n.TypeBitMap, dns.TypeSOA)) {
			continue
		}
		return n
	}
	return nil
}

// nsecCovers reports whether name sorts strictly between the owner and
// the next name of n; the last NSEC of a zone (next is the apex) covers
// every name after its owner.
func nsecCovers(n *dns.NSEC, name string) bool {
	if canon.Compare(n.Hdr.Name, name) >= 0 {
		return false
	}
	if canon.Compare(n.Hdr.Name, n.NextDomain) < 0 {
		return canon.Compare(name, n.NextDomain) < 0
	}
	return true
}

// nsecEncloser returns the closest encloser of a name that n covers: the
// longest of its common ancestors with n's owner and next name.
func nsecEncloser(name string, n *dns.NSEC) string {
	k := max(dns.CompareDomainName(name, n.Hdr.Name), dns.CompareDomainName(name, n.NextDomain))
	return ancestor(name, k)
}

// ancestor returns the ancestor of name with k labels ("." for 0).
func ancestor(name string, k int) string {
	starts := dns.Split(name)
	if k <= 0 || len(starts) == 0 {
		return "."
	}
	if k >= len(starts) {
		return dns.CanonicalName(name)
	}
	return dns.CanonicalName(name[starts[len(starts)-k]:])
}

// nsec3Set is the usable NSEC3 records of one zone with one parameter
// set, and memoised hashes.
type nsec3Set struct {
	zone    string
	records []*dns.NSEC3
	hashes  map[string]string
}

// hash returns the NSEC3 hash of name, upper-case base32hex.
func (s *nsec3Set) hash(name string) string {
	if h, ok := s.hashes[name]; ok {
		return h
	}
	p := s.records[0]
	h := dns.HashName(name, p.Hash, p.Iterations, p.Salt)
	s.hashes[name] = h
	return h
}

// ownerHash is the hashed label of an NSEC3 owner, upper case.
func ownerHash(rr *dns.NSEC3) string {
	label, _, _ := strings.Cut(rr.Hdr.Name, ".")
	return strings.ToUpper(label)
}

func (s *nsec3Set) matching(name string) *dns.NSEC3 {
	h := s.hash(name)
	if h == "" {
		return nil
	}
	for _, rr := range s.records {
		if ownerHash(rr) == h {
			return rr
		}
	}
	return nil
}

func (s *nsec3Set) covering(name string) *dns.NSEC3 {
	h := s.hash(name)
	if h == "" {
		return nil
	}
	for _, rr := range s.records {
		owner, next := ownerHash(rr), strings.ToUpper(rr.NextDomain)
		var in bool
		switch {
		case h == owner:
		case owner < next:
			in = owner < h && h < next
		default:
			// The last record of the chain (or the only one).
			in = h > owner || h < next
		}
		if in {
			return rr
		}
	}
	return nil
}

// encloser finds the closest provable encloser of name (RFC 5155 §8.3):
// the closest ancestor with a matching NSEC3 whose child on the way to
// name (the next closer name) is covered. It fails when name itself
// matches.
func (s *nsec3Set) encloser(name string) (ce, nextCloser string, cover *dns.NSEC3, why string) {
	for n, ok := name, true; ok && dns.IsSubDomain(s.zone, n); n, ok = parentName(n) {
		m := s.matching(n)
		if m == nil {
			nextCloser = n
			continue
		}
		if n == name {
			return "", "", nil, "an nsec3 record says " + show(name) + " exists"
		}
		if hasType(m.TypeBitMap, dns.TypeDNAME) || hasType(m.TypeBitMap, dns.TypeNS) && !hasType(m.TypeBitMap, dns.TypeSOA) {
			return "", "", nil, "the closest encloser " + show(n) + " is a delegation or dname"
		}
		c := s.covering(nextCloser)
		if c == nil {
			return "", "", nil, "no nsec3 covers the next closer name " + show(nextCloser)
		}
		return n, nextCloser, c, ""
	}
	return "", "", nil, "no nsec3 proves a closest encloser of " + show(name)
}

// nsec3Denial reads authenticated NSEC3 records of zone (RFC 5155 §8).
func nsec3Denial(qname string, qtype uint16, nx bool, zone string, records []*dns.NSEC3) proof {
	s := &nsec3Set{zone: dns.CanonicalName(zone), hashes: make(map[string]string)}
	for _, rr := range records {
		// RFC 5155 §8.2: ignore unknown hash algorithms and flags.
		if rr.Hash != nsec3SHA1 || rr.Flags&^nsec3OptOut != 0 {
			continue
		}
		if p, ok := parentName(dns.CanonicalName(rr.Hdr.Name)); !ok || p != s.zone {
			continue
		}
		if len(s.records) > 0 && (rr.Iterations != s.records[0].Iterations || !strings.EqualFold(rr.Salt, s.records[0].Salt)) {
			continue
		}
		s.records = append(s.records, rr)
	}
	if len(s.records) == 0 {
		return unproven("no usable nsec3 records from %s", show(s.zone))
	}
	if it := s.records[0].Iterations; it > maxNSEC3Iterations {
		return proof{insecure: true, why: fmt.Sprintf("nsec3 uses %d iterations, above %d (RFC 9276)", it, maxNSEC3Iterations)}
	}
	if !nx {
		if m := s.matching(qname); m != nil {
			if ok, why := nodataBitmap(m.TypeBitMap, qtype, "nsec3 for "+show(qname)); !ok {
				return unproven("%s", why)
			}
			return proof{ok: true, delegation: hasType(m.TypeBitMap, dns.TypeNS) && !hasType(m.TypeBitMap, dns.TypeSOA)}
		}
		ce, _, cover, why := s.encloser(qname)
		if cover == nil {
			return unproven("%s", why)
		}
		if qtype == dns.TypeDS && cover.Flags&nsec3OptOut != 0 {
			// RFC 5155 §8.6: an unsigned delegation inside an opt-out span.
			return proof{ok: true, delegation: true, optOut: true}
		}
		wild := "*." + ce
		if m := s.matching(wild); m != nil {
			if ok, why := nodataBitmap(m.TypeBitMap, qtype, "nsec3 for "+show(wild)); !ok {
				return unproven("%s", why)
			}
			return proof{ok: true}
		}
		return unproven("no nsec3 matches %s", show(qname))
	}
	ce, _, cover, why := s.encloser(qname)
	if cover == nil {
		return unproven("%s", why)
	}
	wild := "*." + ce
	if s.matching(wild) != nil {
		return unproven("wildcard %s exists", show(wild))
	}
	if s.covering(wild) == nil {
		return unproven("no nsec3 proves that wildcard %s does not exist", show(wild))
	}
	return proof{ok: true, nx: true, optOut: cover.Flags&nsec3OptOut != 0}
}

// checkWildcard validates the proof that the owner of an RRset expanded
// from a wildcard does not exist itself (RFC 4035 §5.3.4, RFC 5155 §8.8).
func (r *Resolver) checkWildcard(ctx context.Context, set rrset, c checked, msg *dns.Msg) verdict {
	sc := scopeFor(set.owner, set.rtype)
	nsecs, nsec3s, zone, v, found := r.proofRecords(ctx, set.owner, msg.Ns, sc)
	if v.status != evidence.DNSSECSecure {
		return v
	}
	what := show(set.owner) + " " + typeName(set.rtype)
	if !found {
		return bogus("%s was expanded from a wildcard without proof that the name does not exist", what)
	}
	if len(nsecs) > 0 {
		if nsecCovering(nsecs, set.owner) == nil {
			return bogus("%s was expanded from a wildcard but no nsec covers the name", what)
		}
		return c.verdict
	}
	s := &nsec3Set{zone: zone, hashes: make(map[string]string)}
	for _, rr := range nsec3s {
		if rr.Hash == nsec3SHA1 && rr.Flags&^nsec3OptOut == 0 {
			s.records = append(s.records, rr)
		}
	}
	if len(s.records) == 0 {
		return bogus("%s was expanded from a wildcard without usable nsec3 records", what)
	}
	if s.records[0].Iterations > maxNSEC3Iterations {
		return insecure()
	}
	nextCloser := ancestor(set.owner, c.wildcard+1)
	if s.covering(nextCloser) == nil {
		return bogus("%s was expanded from a wildcard but no nsec3 covers %s", what, show(nextCloser))
	}
	return c.verdict
}
