package dnstest

import (
	"cmp"
	"crypto"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/resolve/internal/canon"
)

// Key flags and protocol (RFC 4034 §2.1).
const (
	// FlagsKSK marks a key-signing key: zone key and secure entry point.
	FlagsKSK = dns.ZONE | dns.SEP
	// FlagsZSK marks a zone-signing key.
	FlagsZSK = dns.ZONE
	// dnssecProtocol is the only valid DNSKEY protocol value.
	dnssecProtocol = 3
)

// Signing defaults, used when a SignOptions field is zero.
const (
	// DefaultAlgorithm is the signing algorithm (RFC 8624 recommends it).
	DefaultAlgorithm = dns.ECDSAP256SHA256
	// DefaultValidity is how long signatures stay valid after signing.
	DefaultValidity = 30 * 24 * time.Hour
	// defaultBackdate is how far inception lies before the signing time,
	// so that clocks a little behind still accept the signatures.
	defaultBackdate = time.Hour
	// Key sizes generated per algorithm family.
	rsaBits     = 2048
	p256Bits    = 256
	p384Bits    = 384
	ed25519Bits = 256
	// keyTTL is the TTL of generated keys; SignZone gives them the SOA's.
	keyTTL = 3600
	// nsec3HashSHA1 is the only NSEC3 hash algorithm (RFC 5155 §11).
	nsec3HashSHA1 = 1
	// nsec3FlagOptOut is the opt-out flag of NSEC3 records (RFC 5155 §3.1.2.1).
	nsec3FlagOptOut = 1
)

// Keys is the key pair that signs a zone: the KSK signs the DNSKEY RRset
// and is what the parent's DS names; the ZSK signs everything else.
type Keys struct {
	KSK       *dns.DNSKEY
	ZSK       *dns.DNSKEY
	KSKSigner crypto.Signer
	ZSKSigner crypto.Signer
}

// DS returns the SHA-256 DS record of the KSK, for the parent zone.
func (k *Keys) DS() *dns.DS {
	return k.KSK.ToDS(dns.SHA256)
}

// GenerateKeys makes a fresh KSK and ZSK for origin with algorithm alg
// (DefaultAlgorithm when 0).
func GenerateKeys(origin string, alg uint8) (*Keys, error) {
	if alg == 0 {
		alg = DefaultAlgorithm
	}
	ksk, kskSigner, err := generateKey(origin, alg, FlagsKSK)
	if err != nil {
		return nil, err
	}
	zsk, zskSigner, err := generateKey(origin, alg, FlagsZSK)
	if err != nil {
		return nil, err
	}
	return &Keys{KSK: ksk, ZSK: zsk, KSKSigner: kskSigner, ZSKSigner: zskSigner}, nil
}

func generateKey(origin string, alg uint8, flags uint16) (*dns.DNSKEY, crypto.Signer, error) {
	bits := 0
	switch alg {
	case dns.RSASHA1, dns.RSASHA1NSEC3SHA1, dns.RSASHA256, dns.RSASHA512:
		bits = rsaBits
	case dns.ECDSAP256SHA256:
		bits = p256Bits
	case dns.ED25519:
		bits = ed25519Bits
	case dns.ECDSAP384SHA384:
		bits = p384Bits
	default:
		return nil, nil, fmt.Errorf("cannot generate keys for algorithm %d", alg)
	}
	k := &dns.DNSKEY{
		Hdr:       dns.RR_Header{Name: dns.CanonicalName(origin), Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: keyTTL},
		Flags:     flags,
		Protocol:  dnssecProtocol,
		Algorithm: alg,
	}
	priv, err := k.Generate(bits)
	if err != nil {
		return nil, nil, fmt.Errorf("generate %s key: %w", dns.AlgorithmToString[alg], err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("key for algorithm %d cannot sign", alg)
	}
	return k, signer, nil
}

// NSEC3Options asks SignZone for an NSEC3 chain (RFC 5155) instead of NSEC.
type NSEC3Options struct {
	// Iterations is the number of extra hash iterations (RFC 9276 advises 0).
	Iterations uint16
	// Salt is the salt in hex; empty for none.
	Salt string
	// OptOut leaves delegations without DS out of the chain and sets the
	// opt-out flag on every NSEC3 record.
	OptOut bool
}

// SignOptions tunes SignZone. The zero value signs with fresh ECDSA P-256
// keys, valid from an hour ago for DefaultValidity, with an NSEC chain.
type SignOptions struct {
	// Algorithm is the DNSKEY algorithm; DefaultAlgorithm when 0. Ignored
	// when Keys is set.
	Algorithm uint8
	// Keys signs the zone; fresh keys are generated when nil.
	Keys *Keys
	// Inception and Expiration bound the signatures' validity; zero means
	// an hour before now and DefaultValidity after now. An Expiration in
	// the past makes expired signatures.
	Inception  time.Time
	Expiration time.Time
	// NoDenial leaves the zone without NSEC or NSEC3 records, so that its
	// negative answers carry no proof.
	NoDenial bool
	// NSEC3 makes an NSEC3 chain instead of an NSEC chain.
	NSEC3 *NSEC3Options
	// Corrupt breaks the signatures over every RRset that holds a record
	// for which it returns true (the RRset stays as it is).
	Corrupt func(rr dns.RR) bool
	// Unsigned drops the signatures over every RRset that holds a record
	// for which it returns true.
	Unsigned func(rr dns.RR) bool
}

// rrsetKey names one RRset of a zone.
type rrsetKey struct {
	owner string
	rtype uint16
}

// SignZone signs the records of the zone at origin: it adds the DNSKEY
// RRset, the NSEC (or NSEC3) chain and an RRSIG over every authoritative
// RRset, and returns the whole signed zone, the DS RRset the parent must
// publish, and the keys. Delegation NS records and glue are not signed;
// DS records at delegations are. Every record must lie in the zone and
// the apex must hold an SOA record, whose TTL the DNSKEY RRset takes.
func SignZone(origin string, records []dns.RR, opts SignOptions) (signed []dns.RR, ds []dns.RR, keys *Keys, err error) {
	origin = dns.CanonicalName(origin)
	if _, ok := dns.IsDomainName(origin); !ok {
		return nil, nil, nil, fmt.Errorf("invalid zone origin %q", origin)
	}
	keys = opts.Keys
	if keys == nil {
		if keys, err = GenerateKeys(origin, opts.Algorithm); err != nil {
			return nil, nil, nil, err
		}
	}
	sets, order, err := groupZone(origin, records)
	if err != nil {
		return nil, nil, nil, err
	}
	soa, ok := sets[rrsetKey{origin, dns.TypeSOA}]
	if !ok {
		return nil, nil, nil, fmt.Errorf("zone %s has no soa record at its apex", origin)
	}
	soaRR, _ := soa[0].(*dns.SOA)
	negTTL := min(soaRR.Hdr.Ttl, soaRR.Minttl)

	ksk, zsk := dns.Copy(keys.KSK).(*dns.DNSKEY), dns.Copy(keys.ZSK).(*dns.DNSKEY)
	for _, k := range []*dns.DNSKEY{ksk, zsk} {
		k.Hdr.Name, k.Hdr.Ttl = origin, soaRR.Hdr.Ttl
	}
	add := func(rr dns.RR) {
		k := rrsetKey{dns.CanonicalName(rr.Header().Name), rr.Header().Rrtype}
		if _, ok := sets[k]; !ok {
			order = append(order, k)
		}
		sets[k] = append(sets[k], rr)
	}
	add(ksk)
	add(zsk)

	cuts := delegations(origin, sets)
	switch {
	case opts.NoDenial:
	case opts.NSEC3 != nil:
		nsec3Chain(origin, sets, cuts, negTTL, *opts.NSEC3, add)
	default:
		nsecChain(origin, sets, cuts, negTTL, add)
	}

	inception, expiration := opts.Inception, opts.Expiration
	now := time.Now()
	if inception.IsZero() {
		inception = now.Add(-defaultBackdate)
	}
	if expiration.IsZero() {
		expiration = now.Add(DefaultValidity)
	}
	for _, k := range order {
		signed = append(signed, sets[k]...)
	}
	for _, k := range order {
		rrset := sets[k]
		if !authoritative(k, origin, cuts) || (opts.Unsigned != nil && slices.ContainsFunc(rrset, opts.Unsigned)) {
			continue
		}
		key, signer := zsk, keys.ZSKSigner
		if k.rtype == dns.TypeDNSKEY {
			key, signer = ksk, keys.KSKSigner
		}
		sig := &dns.RRSIG{
			Hdr:         dns.RR_Header{Name: rrset[0].Header().Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: rrset[0].Header().Ttl},
			TypeCovered: k.rtype,
			Algorithm:   key.Algorithm,
			Labels:      uint8(dns.CountLabel(k.owner)),
			OrigTtl:     rrset[0].Header().Ttl,
			Expiration:  uint32(expiration.Unix()),
			Inception:   uint32(inception.Unix()),
			KeyTag:      key.KeyTag(),
			SignerName:  origin,
		}
		if err := sig.Sign(signer, rrset); err != nil {
			return nil, nil, nil, fmt.Errorf("sign %s %s: %w", k.owner, dns.TypeToString[k.rtype], err)
		}
		if opts.Corrupt != nil && slices.ContainsFunc(rrset, opts.Corrupt) {
			if err := corrupt(sig); err != nil {
				return nil, nil, nil, err
			}
		}
		signed = append(signed, sig)
	}
	return signed, []dns.RR{keys.DS()}, keys, nil
}

// groupZone copies records into RRsets, checking that each lies in the zone.
func groupZone(origin string, records []dns.RR) (map[rrsetKey][]dns.RR, []rrsetKey, error) {
	sets := make(map[rrsetKey][]dns.RR)
	var order []rrsetKey
	for _, rr := range records {
		if rr == nil {
			continue
		}
		rr = dns.Copy(rr)
		owner := dns.CanonicalName(rr.Header().Name)
		if !dns.IsSubDomain(origin, owner) {
			return nil, nil, fmt.Errorf("record %q is outside zone %s", rr.String(), origin)
		}
		if rr.Header().Rrtype == dns.TypeRRSIG {
			return nil, nil, fmt.Errorf("record %q: the zone to sign must not hold signatures", rr.String())
		}
		rr.Header().Name = owner
		k := rrsetKey{owner, rr.Header().Rrtype}
		if _, ok := sets[k]; !ok {
			order = append(order, k)
		}
		sets[k] = append(sets[k], rr)
	}
	return sets, order, nil
}

// delegations returns the owners other than the apex that hold NS records.
func delegations(origin string, sets map[rrsetKey][]dns.RR) map[string]bool {
	cuts := make(map[string]bool)
	for k := range sets {
		if k.rtype == dns.TypeNS && k.owner != origin {
			cuts[k.owner] = true
		}
	}
	return cuts
}

// below reports whether name lies strictly below one of the cuts (glue
// or occluded data, which the zone is not authoritative for).
func below(name string, cuts map[string]bool) bool {
	for n, ok := parent(name); ok; n, ok = parent(n) {
		if cuts[n] {
			return true
		}
	}
	return false
}

// authoritative reports whether the RRset k is signed: not below a cut,
// and at a cut only DS, NSEC and NSEC3.
func authoritative(k rrsetKey, origin string, cuts map[string]bool) bool {
	if below(k.owner, cuts) {
		return false
	}
	if cuts[k.owner] {
		return k.rtype == dns.TypeDS || k.rtype == dns.TypeNSEC
	}
	return true
}

// ownerTypes maps each authoritative owner name to the types it holds.
func ownerTypes(origin string, sets map[rrsetKey][]dns.RR, cuts map[string]bool) map[string][]uint16 {
	types := make(map[string][]uint16)
	for k := range sets {
		if below(k.owner, cuts) {
			continue
		}
		types[k.owner] = append(types[k.owner], k.rtype)
	}
	return types
}

// nsecChain adds an NSEC record at every authoritative owner name (RFC 4035 §2.3).
func nsecChain(origin string, sets map[rrsetKey][]dns.RR, cuts map[string]bool, ttl uint32, add func(dns.RR)) {
	types := ownerTypes(origin, sets, cuts)
	owners := slices.SortedFunc(maps.Keys(types), canon.Compare)
	for i, owner := range owners {
		next := owners[(i+1)%len(owners)]
		bitmap := append(types[owner], dns.TypeNSEC, dns.TypeRRSIG)
		slices.Sort(bitmap)
		add(&dns.NSEC{
			Hdr:        dns.RR_Header{Name: owner, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: ttl},
			NextDomain: next,
			TypeBitMap: slices.Compact(bitmap),
		})
	}
}

// nsec3Chain adds NSEC3PARAM at the apex and an NSEC3 record for every
// authoritative owner and empty non-terminal (RFC 5155 §7.1); with opt-out,
// delegations without DS are left out.
func nsec3Chain(origin string, sets map[rrsetKey][]dns.RR, cuts map[string]bool, ttl uint32, o NSEC3Options, add func(dns.RR)) {
	var flags uint8
	if o.OptOut {
		flags = nsec3FlagOptOut
	}
	add(&dns.NSEC3PARAM{
		// TTL 0, as BIND publishes it: only servers read NSEC3PARAM.
		Hdr:        dns.RR_Header{Name: origin, Rrtype: dns.TypeNSEC3PARAM, Class: dns.ClassINET},
		Hash:       nsec3HashSHA1,
		Iterations: o.Iterations,
		SaltLength: uint8(hex.DecodedLen(len(o.Salt))),
		Salt:       o.Salt,
	})
	types := ownerTypes(origin, sets, cuts)
	names := make(map[string][]uint16)
	for owner, ts := range types {
		if o.OptOut && cuts[owner] && !slices.Contains(ts, dns.TypeDS) {
			continue
		}
		bitmap := slices.Clone(ts)
		if !cuts[owner] || slices.Contains(ts, dns.TypeDS) {
			bitmap = append(bitmap, dns.TypeRRSIG)
		}
		names[owner] = bitmap
		for n, ok := parent(owner); ok && dns.IsSubDomain(origin, n); n, ok = parent(n) {
			if _, seen := names[n]; !seen {
				if _, own := types[n]; !own {
					names[n] = nil // an empty non-terminal
				}
			}
		}
	}
	type hashed struct {
		hash  string
		types []uint16
	}
	var chain []hashed
	for n, ts := range names {
		slices.Sort(ts)
		chain = append(chain, hashed{dns.HashName(n, nsec3HashSHA1, o.Iterations, o.Salt), slices.Compact(ts)})
	}
	slices.SortFunc(chain, func(a, b hashed) int { return cmp.Compare(a.hash, b.hash) })
	for i, h := range chain {
		next := chain[(i+1)%len(chain)].hash
		add(&dns.NSEC3{
			Hdr:        dns.RR_Header{Name: strings.ToLower(h.hash) + "." + origin, Rrtype: dns.TypeNSEC3, Class: dns.ClassINET, Ttl: ttl},
			Hash:       nsec3HashSHA1,
			Flags:      flags,
			Iterations: o.Iterations,
			SaltLength: uint8(hex.DecodedLen(len(o.Salt))),
			Salt:       o.Salt,
			HashLength: sha1.Size,
			NextDomain: next,
			TypeBitMap: h.types,
		})
	}
}

// corrupt flips one bit of the signature so that it no longer verifies.
func corrupt(sig *dns.RRSIG) error {
	b, err := base64.StdEncoding.DecodeString(sig.Signature)
	if err != nil || len(b) == 0 {
		return errors.Join(errors.New("corrupt signature: cannot decode it"), err)
	}
	b[len(b)/2] ^= 1
	sig.Signature = base64.StdEncoding.EncodeToString(b)
	return nil
}
