// Package guard decides which addresses the scanner may dial. Vendors
// control their DNS: an MX or mta-sts host that resolves to 127.0.0.1,
// 10.0.0.0/8 or 169.254.169.254 (cloud metadata) would turn a vendor list
// into a port scan of the auditor's own network. Every address in an RFC
// 6890 special-purpose block that is not globally reachable is refused
// unless the caller allows private addresses (labs, tests, the demo).
//
// The check is made at dial time on the address actually dialled, after
// any name resolution, so a name that resolves to a public address once
// and to a private one the next time (DNS rebinding) is still caught.
package guard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// Block is one special-purpose address block.
type Block struct {
	// Prefix is the block.
	Prefix netip.Prefix
	// Name says what the block is for ("private-use", "loopback").
	Name string
	// RFC is the document that reserves it ("RFC 1918").
	RFC string
}

func (b Block) String() string { return fmt.Sprintf("%s %s (%s)", b.Name, b.Prefix, b.RFC) }

func block(prefix, name, rfc string) Block {
	return Block{Prefix: netip.MustParsePrefix(prefix), Name: name, RFC: rfc}
}

// blocks4 are the IPv4 blocks of the IANA IPv4 Special-Purpose Address
// Registry (RFC 6890 and its updates) whose addresses are not globally
// reachable, with multicast and the limited broadcast address.
var blocks4 = []Block{
	block("0.0.0.0/8", "this network", "RFC 791"),
	block("10.0.0.0/8", "private-use", "RFC 1918"),
	block("100.64.0.0/10", "shared address space (carrier-grade NAT)", "RFC 6598"),
	block("127.0.0.0/8", "loopback", "RFC 1122"),
	block("169.254.0.0/16", "link-local (includes the 169.254.169.254 cloud metadata service)", "RFC 3927"),
	block("172.16.0.0/12", "private-use", "RFC 1918"),
	block("192.0.0.0/24", "IETF protocol assignments", "RFC 6890"),
	block("192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
	block("192.88.99.0/24", "deprecated 6to4 relay anycast", "RFC 7526"),
	block("192.168.0.0/16", "private-use", "RFC 1918"),
	block("198.18.0.0/15", "benchmarking", "RFC 2544"),
	block("198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
	block("203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
	block("224.0.0.0/4", "multicast", "RFC 5771"),
	block("240.0.0.0/4", "reserved", "RFC 1112"),
	block("255.255.255.255/32", "limited broadcast", "RFC 919"),
}

// blocks6 are the IPv6 blocks of the IANA IPv6 Special-Purpose Address
// Registry that are not globally reachable, with link-local, unique local
// and multicast. IPv4-mapped and 6to4 addresses are judged by the IPv4
// address they carry (embedded), so they are not listed here.
var blocks6 = []Block{
	block("::/128", "unspecified", "RFC 4291"),
	block("::1/128", "loopback", "RFC 4291"),
	block("::/96", "deprecated IPv4-compatible", "RFC 4291"),
	block("64:ff9b::/96", "IPv4/IPv6 translation (NAT64)", "RFC 6052"),
	block("64:ff9b:1::/48", "local-use IPv4/IPv6 translation (NAT64)", "RFC 8215"),
	block("100::/64", "discard-only", "RFC 6666"),
	block("2001::/23", "IETF protocol assignments", "RFC 2928"),
	block("2001:db8::/32", "documentation", "RFC 3849"),
	block("3fff::/20", "documentation", "RFC 9637"),
	block("5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602"),
	block("fc00::/7", "unique local", "RFC 4193"),
	block("fe80::/10", "link-local", "RFC 4291"),
	block("ff00::/8", "multicast", "RFC 4291"),
}

// global6 are the sub-blocks of 2001::/23 that the registry marks globally
// reachable: they pass although 2001::/23 is refused.
var global6 = []netip.Prefix{
	netip.MustParsePrefix("2001:1::1/128"),   // Port Control Protocol anycast, RFC 7723
	netip.MustParsePrefix("2001:1::2/128"),   // TURN anycast, RFC 8155
	netip.MustParsePrefix("2001:1::3/128"),   // DNS-SD service registration anycast, RFC 9665
	netip.MustParsePrefix("2001:3::/32"),     // AMT, RFC 7450
	netip.MustParsePrefix("2001:4:112::/48"), // AS112-v6, RFC 7535
	netip.MustParsePrefix("2001:20::/28"),    // ORCHIDv2, RFC 7343
	netip.MustParsePrefix("2001:30::/28"),    // drone remote ID, RFC 9374
}

// prefix6to4 is 2002::/16 (RFC 3056): the 32 bits after it are an IPv4
// address, and the address is as reachable as that one.
var prefix6to4 = netip.MustParsePrefix("2002::/16")

// Special returns the special-purpose block ip falls in, if it is not
// globally reachable. An IPv4-mapped address (::ffff:0:0/96) and a 6to4
// address (2002::/16) are judged by the IPv4 address they carry.
func Special(ip netip.Addr) (Block, bool) {
	ip = ip.WithZone("")
	if ip.Is4In6() {
		return Special(ip.Unmap())
	}
	if ip.Is4() {
		return mostSpecific(blocks4, ip)
	}
	if !ip.IsValid() {
		return Block{Name: "invalid address"}, true
	}
	if prefix6to4.Contains(ip) {
		b := ip.As16()
		v4 := netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
		if inner, ok := Special(v4); ok {
			inner.Name = "6to4 of " + v4.String() + ", " + inner.Name
			return inner, true
		}
		return Block{}, false
	}
	for _, p := range global6 {
		if p.Contains(ip) {
			return Block{}, false
		}
	}
	return mostSpecific(blocks6, ip)
}

// mostSpecific returns the longest block of bs that holds ip: blocks nest
// (255.255.255.255 in 240.0.0.0/4, 2001:db8::/32 beside 2001::/23), and
// the narrowest says best why the address is refused.
func mostSpecific(bs []Block, ip netip.Addr) (Block, bool) {
	var found Block
	ok := false
	for _, b := range bs {
		if b.Prefix.Contains(ip) && (!ok || b.Prefix.Bits() > found.Prefix.Bits()) {
			found, ok = b, true
		}
	}
	return found, ok
}

// ErrRefused is matched (errors.Is) by every refusal of the guard.
var ErrRefused = errors.New("address is not globally reachable")

// RefusedError is the guard's refusal to dial one address.
type RefusedError struct {
	// IP is the address refused.
	IP netip.Addr
	// Block is the special-purpose block it falls in.
	Block Block
}

func (e *RefusedError) Error() string { return "not dialled: " + e.Reason() }

// Reason says which block the address is in, for evidence and findings:
// "10.0.0.1 is in the private-use block 10.0.0.0/8 (RFC 1918)".
func (e *RefusedError) Reason() string {
	return fmt.Sprintf("%s is in the %s block %s (%s)", e.IP, e.Block.Name, e.Block.Prefix, e.Block.RFC)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// Guard decides whether an address may be dialled. The zero Guard refuses
// every address that is not globally reachable.
type Guard struct {
	// AllowPrivate lets every address through: for labs, tests and demos
	// whose servers live on loopback or private networks.
	AllowPrivate bool
}

// Check returns nil when ip may be dialled, or a *RefusedError.
func (g Guard) Check(ip netip.Addr) error {
	if g.AllowPrivate {
		return nil
	}
	if b, ok := Special(ip); ok {
		return &RefusedError{IP: ip.WithZone(""), Block: b}
	}
	return nil
}

// CheckAddress checks a dial address "host:port" whose host must be an IP
// address: a name would be resolved after the check, which is the very
// hole the guard closes.
func (g Guard) CheckAddress(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("guard: %w", err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if g.AllowPrivate {
			return nil
		}
		return fmt.Errorf("guard: %q is not an ip address: names must be resolved before the guard: %w", host, ErrRefused)
	}
	return g.Check(ip)
}

// DialFunc is the shape of net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Wrap returns a dial function that checks the address before handing it
// to next; next is never called for a refused address. The address must
// be an IP address and port (see CheckAddress).
func (g Guard) Wrap(next DialFunc) DialFunc {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if err := g.CheckAddress(address); err != nil {
			return nil, err
		}
		return next(ctx, network, address)
	}
}

// Control is a net.Dialer ControlContext function: the dialer calls it
// with each address it is about to connect to, after resolving a name, so
// a dialer with Control set can be given names safely.
func (g Guard) Control(_ context.Context, _, address string, _ syscall.RawConn) error {
	return g.CheckAddress(address)
}
