package resolve

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

const (
	// maxNameLen is the longest name in text form without the final dot
	// (RFC 1035 §2.3.4: 255 octets on the wire).
	maxNameLen = 253
	// maxLabelLen is the longest label (RFC 1035 §2.3.4).
	maxLabelLen = 63
)

// Domain finds the mail hosts of domain, which must be an A-label (ASCII,
// letters, digits and hyphens); it is lower-cased and a trailing dot is
// removed. A name that is not a valid host name gives Kind error with the
// reason in Lookup.Error, and no query is sent.
//
// The MX answer (CNAMEs followed) decides the Kind:
//   - explicit: MX records; Records are sorted by preference, then host.
//   - null: every MX record has the root "." as target (RFC 7505); "0 ."
//     beside other records sets NullMXConflict and stays explicit, its
//     hosts taken from the other records.
//   - implicit: NODATA for MX and the domain has an A or AAAA record
//     (RFC 5321 §5.1); the one Host is the domain itself, preference 0. It
//     is also implicit, with the failed lookups in the Host, when the
//     address lookups fail so that "no address" cannot be proved.
//   - none: NXDOMAIN (Lookup.Status tells), or NODATA for MX and no A or
//     AAAA record.
//   - error: the MX lookup failed (servfail, refused, timeout, error).
//
// Hosts has one entry per distinct MX target, by preference then name, up
// to Config.MaxHosts (the rest go to Omitted unresolved); an
// IP-literal target gets IPLiteral and that address without lookups; any
// other its A and AAAA lookups, CNAME when either went through an alias,
// and Addresses, one per IP, A before AAAA in the order received, up to
// Config.MaxAddresses (the rest go to OmittedAddresses).
func (r *Resolver) Domain(ctx context.Context, domain string) (evidence.MXLookup, []evidence.Host) {
	name, err := normaliseDomain(domain)
	if err != nil {
		return evidence.MXLookup{
			Kind: evidence.MXError,
			Lookup: evidence.Lookup{
				Name:   domain,
				Type:   typeName(dns.TypeMX),
				Status: evidence.DNSError,
				Error:  fmt.Sprintf("invalid domain name %q: %v: no query sent", domain, err),
			},
		}, nil
	}
	l, rrs := r.query(ctx, name, dns.TypeMX)
	mx := evidence.MXLookup{Lookup: l}
	switch l.Status {
	case evidence.DNSOK:
		return r.explicit(ctx, mx, rrs)
	case evidence.DNSNoData:
		return r.implicit(ctx, mx, name)
	case evidence.DNSNXDomain:
		mx.Kind = evidence.MXNone
	default:
		mx.Kind = evidence.MXError
	}
	return mx, nil
}

// explicit classifies an MX answer with records and resolves its hosts.
func (r *Resolver) explicit(ctx context.Context, mx evidence.MXLookup, rrs []dns.RR) (evidence.MXLookup, []evidence.Host) {
	var null, other bool
	for _, rr := range rrs {
		m, ok := rr.(*dns.MX)
		if !ok {
			continue
		}
		rec := evidence.MXRecord{Preference: m.Preference, Host: presentName(m.Mx)}
		mx.Records = append(mx.Records, rec)
		if rec.Host == "" {
			null = true
		} else {
			other = true
		}
	}
	slices.SortStableFunc(mx.Records, func(a, b evidence.MXRecord) int {
		return cmp.Or(cmp.Compare(a.Preference, b.Preference), strings.Compare(a.Host, b.Host))
	})
	if null && !other {
		mx.Kind = evidence.MXNull
		return mx, nil
	}
	mx.NullMXConflict = null
	mx.Kind = evidence.MXExplicit
	var hosts []evidence.Host
	seen := make(map[string]bool, len(mx.Records))
	for _, rec := range mx.Records {
		if rec.Host == "" || seen[rec.Host] {
			continue
		}
		seen[rec.Host] = true
		if len(hosts) >= r.maxHosts {
			// Past the cap: listed, never queried.
			mx.Omitted = append(mx.Omitted, rec)
			continue
		}
		hosts = append(hosts, r.host(ctx, rec.Host, rec.Preference))
	}
	return mx, hosts
}

// implicit decides between an implicit MX and none after NODATA for MX.
func (r *Resolver) implicit(ctx context.Context, mx evidence.MXLookup, name string) (evidence.MXLookup, []evidence.Host) {
	h := r.host(ctx, name, 0)
	h.Implicit = true
	if negative(h.A) && negative(h.AAAA) {
		mx.Kind = evidence.MXNone
		return mx, nil
	}
	mx.Kind = evidence.MXImplicit
	return mx, []evidence.Host{h}
}

// negative reports whether a lookup proved that there is no record.
func negative(l *evidence.Lookup) bool {
	return l != nil && (l.Status == evidence.DNSNoData || l.Status == evidence.DNSNXDomain)
}

// host resolves one mail host's addresses.
func (r *Resolver) host(ctx context.Context, name string, pref uint16) evidence.Host {
	h := evidence.Host{Name: name, Preference: pref, Addresses: []evidence.Address{}}
	if ip, ok := ipLiteral(name); ok {
		h.IPLiteral = true
		h.Addresses = append(h.Addresses, evidence.Address{IP: ip})
		return h
	}
	a, arrs := r.query(ctx, name, dns.TypeA)
	aaaa, aaaarrs := r.query(ctx, name, dns.TypeAAAA)
	h.A, h.AAAA = &a, &aaaa
	h.CNAME = len(a.CNAMEs) > 0 || len(aaaa.CNAMEs) > 0
	seen := make(map[string]bool, len(arrs)+len(aaaarrs))
	add := func(ip netip.Addr, ok bool) {
		if !ok || seen[ip.String()] {
			return
		}
		seen[ip.String()] = true
		h.Addresses = append(h.Addresses, evidence.Address{IP: ip.String()})
	}
	for _, rr := range arrs {
		if v, ok := rr.(*dns.A); ok {
			add(netip.AddrFromSlice(v.A.To4()))
		}
	}
	for _, rr := range aaaarrs {
		if v, ok := rr.(*dns.AAAA); ok {
			// Not unmapped: an IPv4-mapped AAAA is an IPv6 address to dial.
			add(netip.AddrFromSlice(v.AAAA.To16()))
		}
	}
	if len(h.Addresses) > r.maxAddresses {
		for _, a := range h.Addresses[r.maxAddresses:] {
			h.OmittedAddresses = append(h.OmittedAddresses, a.IP)
		}
		h.Addresses = h.Addresses[:r.maxAddresses]
	}
	return h
}

// ipLiteral reports whether an MX target is an IP address ("192.0.2.1",
// "[192.0.2.1]", "2001:db8::1") and returns it in canonical form.
func ipLiteral(name string) (string, bool) {
	s := strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	return a.String(), true
}

// normaliseDomain lower-cases s, drops one trailing dot and checks that
// the result is a host name made of A-labels.
func normaliseDomain(s string) (string, error) {
	name := strings.ToLower(strings.TrimSuffix(s, "."))
	switch {
	case name == "":
		return "", errors.New("empty name")
	case len(name) > maxNameLen:
		return "", fmt.Errorf("longer than %d characters", maxNameLen)
	}
	for i := range len(name) {
		if name[i] >= 0x80 {
			return "", errors.New("not an a-label: non-ascii characters must be converted to punycode first")
		}
	}
	labels := strings.Split(name, ".")
	for _, label := range labels {
		if err := checkLabel(label); err != nil {
			return "", err
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return "", fmt.Errorf("top-level label %q is numeric (an ip address is not a domain)", tld)
	}
	return name, nil
}

// checkLabel checks one lower-case label against the host name rules
// (RFC 1123 §2.1: letters, digits and inner hyphens, 1 to 63 characters).
func checkLabel(label string) error {
	switch {
	case label == "":
		return errors.New("empty label")
	case len(label) > maxLabelLen:
		return fmt.Errorf("label %q longer than %d characters", label, maxLabelLen)
	case label[0] == '-' || label[len(label)-1] == '-':
		return fmt.Errorf("label %q starts or ends with a hyphen", label)
	}
	for i := range len(label) {
		c := label[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return fmt.Errorf("label %q has invalid character %q", label, c)
		}
	}
	return nil
}
