package dnstest

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/resolve/internal/canon"
)

// Zone is one zone a Server is authoritative for.
type Zone struct {
	// Origin is the apex ("example.", "." for the root).
	Origin string
	// Records are the zone's records: the apex SOA and NS, the data, the
	// NS, DS and glue of delegations, and for a signed zone the DNSKEY
	// RRset, the NSEC or NSEC3 chain and the RRSIGs.
	Records []dns.RR
	// Signed is set for a zone made by NewSignedZone.
	Signed bool
	// Keys are the keys that signed the zone; nil when unsigned.
	Keys *Keys
	// DS is the DS RRset the parent publishes for a signed zone.
	DS []dns.RR
}

// NewSignedZone signs records with SignZone and returns the signed zone.
func NewSignedZone(origin string, records []dns.RR, opts SignOptions) (*Zone, error) {
	signed, ds, keys, err := SignZone(origin, records, opts)
	if err != nil {
		return nil, err
	}
	return &Zone{Origin: dns.CanonicalName(origin), Records: signed, Signed: true, Keys: keys, DS: ds}, nil
}

// SetZones replaces the data served with zones, atomically. Every record
// must lie in its zone and no two zones may share an origin.
func (s *Server) SetZones(zones ...*Zone) error {
	zs := &zoneSet{zones: make(map[string]*zoneData, len(zones))}
	for _, z := range zones {
		if z == nil {
			continue
		}
		zd, err := newZoneData(z)
		if err != nil {
			return err
		}
		if zs.zones[zd.origin] != nil {
			return fmt.Errorf("zone %s given twice", zd.origin)
		}
		zs.zones[zd.origin] = zd
	}
	s.data.Store(&snapshot{zones: zs})
	return nil
}

// zoneSet is the zones of a Server, by origin.
type zoneSet struct {
	zones map[string]*zoneData
}

// zoneData is one zone's records indexed for answering.
type zoneData struct {
	origin  string
	names   map[string]map[uint16][]dns.RR
	parents map[string]bool
	cuts    map[string]bool
	// nsecOwners are the owners of NSEC records in canonical order.
	nsecOwners []string
	// nsec3 is the zone's NSEC3PARAM; nil for a zone without NSEC3.
	nsec3 *dns.NSEC3PARAM
	// nsec3Hashes are the hashed owners of the NSEC3 records, sorted, and
	// nsec3Owner maps each to its owner name.
	nsec3Hashes []string
	nsec3Owner  map[string]string
}

func newZoneData(z *Zone) (*zoneData, error) {
	origin := dns.CanonicalName(z.Origin)
	zd := &zoneData{origin: origin, names: make(map[string]map[uint16][]dns.RR), parents: make(map[string]bool),
		cuts: make(map[string]bool), nsec3Owner: make(map[string]string)}
	for _, rr := range z.Records {
		if rr == nil {
			continue
		}
		rr = dns.Copy(rr)
		owner := dns.CanonicalName(rr.Header().Name)
		if !dns.IsSubDomain(origin, owner) {
			return nil, fmt.Errorf("record %q is outside zone %s", rr.String(), origin)
		}
		byType := zd.names[owner]
		if byType == nil {
			byType = make(map[uint16][]dns.RR)
			zd.names[owner] = byType
		}
		t := rr.Header().Rrtype
		byType[t] = append(byType[t], rr)
		for n, ok := parent(owner); ok && dns.IsSubDomain(origin, n); n, ok = parent(n) {
			zd.parents[n] = true
		}
		switch v := rr.(type) {
		case *dns.NS:
			if owner != origin {
				zd.cuts[owner] = true
			}
		case *dns.NSEC:
			zd.nsecOwners = append(zd.nsecOwners, owner)
		case *dns.NSEC3PARAM:
			if owner == origin {
				zd.nsec3 = v
			}
		case *dns.NSEC3:
			label, _, _ := strings.Cut(owner, ".")
			h := strings.ToUpper(label)
			zd.nsec3Hashes = append(zd.nsec3Hashes, h)
			zd.nsec3Owner[h] = owner
		}
	}
	slices.SortFunc(zd.nsecOwners, canon.Compare)
	zd.nsecOwners = slices.Compact(zd.nsecOwners)
	slices.Sort(zd.nsec3Hashes)
	zd.nsec3Hashes = slices.Compact(zd.nsec3Hashes)
	return zd, nil
}

// pick returns the zone that answers name/qtype: the deepest zone holding
// name, except that DS at a zone's apex comes from the parent zone when
// the server holds it.
func (zs *zoneSet) pick(name string, qtype uint16) *zoneData {
	var apex *zoneData
	for n, ok := name, true; ok; n, ok = parent(n) {
		z := zs.zones[n]
		if z == nil {
			continue
		}
		if qtype == dns.TypeDS && n == name && apex == nil {
			// The zone's own apex: the parent zone, if held, has the DS.
			apex = z
			continue
		}
		return z
	}
	return apex
}

// answer fills resp for name/qtype, following CNAMEs across the zones.
func (zs *zoneSet) answer(resp *dns.Msg, name string, qtype uint16, do bool) {
	cur := name
	seen := map[string]bool{cur: true}
	for hop := range maxChase {
		z := zs.pick(cur, qtype)
		if z == nil {
			if hop == 0 {
				resp.Rcode = dns.RcodeRefused
				resp.Authoritative = false
			}
			return
		}
		next := z.answer(resp, cur, qtype, do, hop == 0)
		if next == "" || seen[next] {
			return
		}
		seen[next] = true
		cur = next
	}
}

// answer adds the zone's answer for name/qtype to resp and returns the
// CNAME target to chase, if any. first is set for the question's own
// name: only then does a delegation give a referral.
func (z *zoneData) answer(resp *dns.Msg, name string, qtype uint16, do, first bool) string {
	if cut := z.cutAbove(name, qtype); cut != "" {
		if first {
			z.referral(resp, cut, do)
		}
		return ""
	}
	node := z.names[name]
	if node == nil && !z.exists(name) {
		if next, ok := z.wildcard(resp, name, qtype, do); ok {
			return next
		}
		resp.Rcode = dns.RcodeNameError
		z.negative(resp, name, true, do)
		return ""
	}
	if node == nil {
		z.negative(resp, name, false, do)
		return ""
	}
	if qtype == dns.TypeANY {
		for _, t := range slices.Sorted(maps.Keys(node)) {
			if t != dns.TypeRRSIG || do {
				resp.Answer = append(resp.Answer, node[t]...)
			}
		}
		return ""
	}
	if rrs := node[qtype]; len(rrs) > 0 {
		resp.Answer = append(resp.Answer, rrs...)
		resp.Answer = append(resp.Answer, sigs(node, qtype, do)...)
		return ""
	}
	cn := node[dns.TypeCNAME]
	alias, ok := firstCNAME(cn)
	if !ok {
		z.negative(resp, name, false, do)
		return ""
	}
	resp.Answer = append(resp.Answer, cn...)
	resp.Answer = append(resp.Answer, sigs(node, dns.TypeCNAME, do)...)
	return dns.CanonicalName(alias.Target)
}

// exists reports whether name owns records or has names below it.
func (z *zoneData) exists(name string) bool {
	return z.names[name] != nil || z.parents[name]
}

// cutAbove returns the highest delegation point at or above name, below
// the apex; "" when there is none, or when the question is the DS of that
// very cut, which the parent answers itself.
func (z *zoneData) cutAbove(name string, qtype uint16) string {
	cut := ""
	for n, ok := name, true; ok && n != z.origin; n, ok = parent(n) {
		if z.cuts[n] {
			cut = n
		}
	}
	if cut == name && qtype == dns.TypeDS {
		return ""
	}
	return cut
}

// referral fills resp with the delegation to cut: its NS records, with DO
// its DS or the proof that it has none, and the glue.
func (z *zoneData) referral(resp *dns.Msg, cut string, do bool) {
	resp.Authoritative = false
	node := z.names[cut]
	resp.Ns = append(resp.Ns, node[dns.TypeNS]...)
	if do {
		if ds := node[dns.TypeDS]; len(ds) > 0 {
			resp.Ns = append(resp.Ns, ds...)
			resp.Ns = append(resp.Ns, sigs(node, dns.TypeDS, true)...)
		} else {
			resp.Ns = append(resp.Ns, z.proof(cut, false)...)
		}
	}
	for _, rr := range node[dns.TypeNS] {
		ns, ok := rr.(*dns.NS)
		if !ok {
			continue
		}
		target := dns.CanonicalName(ns.Ns)
		if !dns.IsSubDomain(cut, target) {
			continue
		}
		glue := z.names[target]
		resp.Extra = append(resp.Extra, glue[dns.TypeA]...)
		resp.Extra = append(resp.Extra, glue[dns.TypeAAAA]...)
	}
}

// negative adds the zone's SOA and, with DO, the proof of the negative answer.
func (z *zoneData) negative(resp *dns.Msg, name string, nx, do bool) {
	z.addSOA(resp, do)
	if do {
		resp.Ns = append(resp.Ns, z.proof(name, nx)...)
	}
}

// addSOA adds the zone's SOA record, and with DO its signature, to the
// authority section.
func (z *zoneData) addSOA(resp *dns.Msg, do bool) {
	apex := z.names[z.origin]
	resp.Ns = append(resp.Ns, apex[dns.TypeSOA]...)
	resp.Ns = append(resp.Ns, sigs(apex, dns.TypeSOA, do)...)
}

// proof returns the NSEC or NSEC3 records, with their signatures, that
// deny name (nx) or the type asked at name (not nx).
func (z *zoneData) proof(name string, nx bool) []dns.RR {
	var owners []string
	if z.nsec3 != nil {
		owners = z.nsec3Proof(name, nx)
	} else {
		owners = z.nsecProof(name, nx)
	}
	var out []dns.RR
	for _, o := range owners {
		node := z.names[o]
		t := dns.TypeNSEC
		if z.nsec3 != nil {
			t = dns.TypeNSEC3
		}
		out = append(out, node[t]...)
		out = append(out, sigs(node, t, true)...)
	}
	return out
}

// nsecProof returns the owners of the NSEC records of the proof (RFC 4035 §3.1.3).
func (z *zoneData) nsecProof(name string, nx bool) []string {
	if len(z.nsecOwners) == 0 {
		return nil
	}
	if !nx {
		if z.names[name][dns.TypeNSEC] != nil {
			return []string{name}
		}
		// An empty non-terminal: the NSEC that covers it.
		return []string{z.nsecCovering(name)}
	}
	owners := []string{z.nsecCovering(name)}
	if w := z.nsecCovering("*." + z.closestEncloser(name)); w != owners[0] {
		owners = append(owners, w)
	}
	return owners
}

// nsecCovering returns the owner of the NSEC record that covers name: the
// last owner before it in canonical order, or the last of the chain.
func (z *zoneData) nsecCovering(name string) string {
	i := sort.Search(len(z.nsecOwners), func(i int) bool { return canon.Compare(z.nsecOwners[i], name) >= 0 })
	if i == 0 {
		return z.nsecOwners[len(z.nsecOwners)-1]
	}
	return z.nsecOwners[i-1]
}

// closestEncloser returns the closest ancestor of name that exists in the zone.
func (z *zoneData) closestEncloser(name string) string {
	for n, ok := parent(name); ok; n, ok = parent(n) {
		if n == z.origin || z.exists(n) {
			return n
		}
	}
	return z.origin
}

// nsec3Proof returns the owners of the NSEC3 records of the proof (RFC 5155 §7.2).
func (z *zoneData) nsec3Proof(name string, nx bool) []string {
	if len(z.nsec3Hashes) == 0 {
		return nil
	}
	if !nx {
		if o, ok := z.nsec3Owner[z.hash(name)]; ok {
			return []string{o}
		}
		// An opted-out delegation: the closest encloser proof.
	}
	ce, nextCloser := z.nsec3Encloser(name)
	owners := []string{z.nsec3Owner[z.hash(ce)], z.nsec3Covering(z.hash(nextCloser))}
	if nx {
		owners = append(owners, z.nsec3Covering(z.hash("*."+ce)))
	}
	slices.Sort(owners)
	return slices.Compact(owners)
}

// nsec3Encloser returns the closest ancestor of name that has an NSEC3
// record and the next closer name below it.
func (z *zoneData) nsec3Encloser(name string) (ce, nextCloser string) {
	nextCloser = name
	for n, ok := parent(name); ok; n, ok = parent(n) {
		if _, has := z.nsec3Owner[z.hash(n)]; has || n == z.origin {
			return n, nextCloser
		}
		nextCloser = n
	}
	return z.origin, nextCloser
}

func (z *zoneData) hash(name string) string {
	return dns.HashName(name, z.nsec3.Hash, z.nsec3.Iterations, z.nsec3.Salt)
}

// nsec3Covering returns the owner of the NSEC3 record whose interval holds hash h.
func (z *zoneData) nsec3Covering(h string) string {
	i := sort.SearchStrings(z.nsec3Hashes, h)
	if i == 0 {
		return z.nsec3Owner[z.nsec3Hashes[len(z.nsec3Hashes)-1]]
	}
	return z.nsec3Owner[z.nsec3Hashes[i-1]]
}

// wildcard answers name/qtype from the wildcard at the closest encloser
// of name (RFC 4592), when there is one: the records and their RRSIGs
// take name as owner, and with DO the proof that name itself does not
// exist follows in the authority section (RFC 4035 §3.1.3.3). It reports
// false when there is no wildcard.
func (z *zoneData) wildcard(resp *dns.Msg, name string, qtype uint16, do bool) (string, bool) {
	ce := z.closestEncloser(name)
	wild := "*." + ce
	node := z.names[wild]
	if node == nil {
		return "", false
	}
	expand := func(rrs []dns.RR) []dns.RR {
		out := make([]dns.RR, 0, len(rrs))
		for _, rr := range rrs {
			c := dns.Copy(rr)
			c.Header().Name = name
			out = append(out, c)
		}
		return out
	}
	t := qtype
	if len(node[t]) == 0 {
		t = dns.TypeCNAME
	}
	rrs := node[t]
	if len(rrs) == 0 {
		// Wildcard NODATA: the name does not exist, the wildcard lacks the type.
		z.addSOA(resp, do)
		if do {
			resp.Ns = append(resp.Ns, z.wildcardProof(name, ce, true)...)
		}
		return "", true
	}
	resp.Answer = append(resp.Answer, expand(rrs)...)
	resp.Answer = append(resp.Answer, expand(sigs(node, t, do))...)
	if do {
		resp.Ns = append(resp.Ns, z.wildcardProof(name, ce, false)...)
	}
	if alias, ok := firstCNAME(rrs); ok && t == dns.TypeCNAME && qtype != dns.TypeCNAME {
		return dns.CanonicalName(alias.Target), true
	}
	return "", true
}

// wildcardProof returns the records, with signatures, that prove name
// does not exist below its closest encloser ce, and with nodata also the
// wildcard's own NSEC or NSEC3 listing its types.
func (z *zoneData) wildcardProof(name, ce string, nodata bool) []dns.RR {
	var owners []string
	t := dns.TypeNSEC
	switch {
	case z.nsec3 != nil && len(z.nsec3Hashes) > 0:
		t = dns.TypeNSEC3
		nextCloser := name
		for n, ok := parent(name); ok && n != ce; n, ok = parent(n) {
			nextCloser = n
		}
		owners = append(owners, z.nsec3Covering(z.hash(nextCloser)))
		if nodata {
			owners = append(owners, z.nsec3Owner[z.hash(ce)], z.nsec3Owner[z.hash("*."+ce)])
		}
	case len(z.nsecOwners) > 0:
		owners = append(owners, z.nsecCovering(name))
		if nodata {
			owners = append(owners, "*."+ce)
		}
	}
	slices.Sort(owners)
	var out []dns.RR
	for _, o := range slices.Compact(owners) {
		node := z.names[o]
		out = append(out, node[t]...)
		out = append(out, sigs(node, t, true)...)
	}
	return out
}
