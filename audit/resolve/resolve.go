// Package resolve does all of mxaudit's DNS through github.com/miekg/dns:
// the MX question of a domain and what it means (explicit, implicit or null
// MX), the A and AAAA questions of every mail host, TLSA questions for DANE
// and TXT questions for MTA-STS and TLS-RPT. It records every question as
// an evidence.Lookup.
//
// miekg's Client neither retries nor falls back to TCP when a UDP answer is
// truncated; this package does both, follows CNAME chains, and keeps every
// answer for the life of a Resolver so that a run sees one consistent view
// of the DNS and asks each question once.
//
// Every answer gets a DNSSEC status (RFC 4035 §4.3: secure, insecure,
// bogus or indeterminate). By default the Resolver validates itself, from
// the IANA root trust anchors down: it asks the same servers for the DS
// and DNSKEY RRsets of every zone on the way, checks RRSIGs, and checks
// the NSEC and NSEC3 proofs of negative answers, of wildcard expansions
// and of delegations without DS. It can instead trust the AD bit of a
// validating resolver, or not look at DNSSEC at all.
package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Defaults used when a Config field is left at its zero value.
const (
	// DefaultResolvConf is read when Config.Servers is empty.
	DefaultResolvConf = "/etc/resolv.conf"
	// DefaultTimeout bounds one attempt of one question to one server.
	DefaultTimeout = 3 * time.Second
	// DefaultAttempts is how often each server is tried after timeouts and network errors.
	DefaultAttempts = 2
	// dnsPort is the port added to a server given without one.
	dnsPort = "53"
)

// Exchanger sends one query to one server over one network ("udp" or "tcp")
// and returns the reply. It must honour ctx, which carries the deadline of
// the attempt.
type Exchanger func(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error)

// Config configures a Resolver. The zero value reads /etc/resolv.conf and
// uses the defaults above.
type Config struct {
	// Servers are the recursive resolvers to ask, as "host:port" (a bare IP
	// gets port 53). When empty they are read from ResolvConf.
	Servers []string
	// ResolvConf is the resolv.conf file read when Servers is empty;
	// DefaultResolvConf when empty.
	ResolvConf string
	// Timeout bounds one attempt (one query to one server, plus its TCP
	// retry after truncation); DefaultTimeout when zero or negative.
	Timeout time.Duration
	// Attempts is how many times each server is tried after a timeout or a
	// network error; DefaultAttempts when zero or negative. Answers
	// (NXDOMAIN, NODATA) are never retried; SERVFAIL and REFUSED move on to
	// the next server.
	Attempts int
	// DNSSECOK sets the DO and AD bits in queries, so that a validating
	// resolver returns signatures and reports the AD bit. The zero value
	// (false) sends plain queries; the AD bit of replies is recorded either
	// way. It is forced on unless DNSSEC is DNSSECOff.
	DNSSECOK bool
	// DNSSEC is how the DNSSEC status of answers (Lookup.DNSSEC) is
	// decided; the empty value means DNSSECValidate. In that mode queries
	// also set CD, so that a validating resolver returns bogus data for us
	// to judge instead of SERVFAIL.
	DNSSEC DNSSECMode
	// TrustAnchors are the DS or DNSKEY records the validation starts from,
	// for "." or any other zone; nil means RootAnchors(). Names below no
	// anchor are insecure.
	TrustAnchors []dns.RR
	// Now is the clock that RRSIG validity periods are checked against;
	// nil means time.Now.
	Now func() time.Time
	// Exchange is the seam for tests; nil means a miekg/dns client that
	// honours ctx cancellation while it waits.
	Exchange Exchanger
	// MaxHosts is the most MX targets of one domain that Domain resolves,
	// by preference; the others are listed in MXLookup.Omitted and cost
	// no query. DefaultMaxHosts when zero or negative.
	MaxHosts int
	// MaxAddresses is the most addresses of one mail host that Domain
	// keeps; the others are listed in Host.OmittedAddresses.
	// DefaultMaxAddresses when zero or negative.
	MaxAddresses int
	// CacheSize is how many replies the Resolver keeps, the least
	// recently used dropped first; DefaultCacheSize when zero or negative.
	CacheSize int
}

// Caps of Domain: a domain with more MX targets is a misconfiguration or
// an attempt to make the scanner work for someone else, and a name with
// more addresses is a pool, not a server.
const (
	DefaultMaxHosts     = 20
	DefaultMaxAddresses = 16
)

// Resolver answers DNS questions for one run. It is safe for concurrent use;
// it remembers the answers it was asked for most recently, at most
// Config.CacheSize of them (the names many domains share are asked all the
// time, so every domain in a report sees the same DNS for them, while a
// batch's memory does not grow with its list) and asks concurrent
// identical questions only once.
type Resolver struct {
	servers  []string
	timeout  time.Duration
	attempts int
	dnssecOK bool
	exchange Exchanger
	cache    *cache

	mode    DNSSECMode
	anchors anchorSet
	now     func() time.Time
	// zones holds the authenticated keys of every zone met, cuts the
	// answer to the DS question of every name walked.
	zones *group[string, zoneKeys]
	cuts  *group[string, cutInfo]

	maxHosts, maxAddresses int
}

// New returns a Resolver for cfg. It fails when no server is configured and
// none can be read from the resolv.conf file.
func New(cfg Config) (*Resolver, error) {
	servers := cfg.Servers
	if len(servers) == 0 {
		path := cfg.ResolvConf
		if path == "" {
			path = DefaultResolvConf
		}
		var err error
		servers, err = readResolvConf(path)
		if err != nil {
			return nil, err
		}
		if len(servers) == 0 {
			return nil, fmt.Errorf("no dns servers configured and no nameserver line in %s", path)
		}
	}
	norm := make([]string, 0, len(servers))
	for _, s := range servers {
		hp, err := normaliseServer(s)
		if err != nil {
			return nil, err
		}
		norm = append(norm, hp)
	}
	mode, err := ParseDNSSECMode(string(cfg.DNSSEC))
	if err != nil {
		return nil, err
	}
	anchorRRs := cfg.TrustAnchors
	if anchorRRs == nil {
		anchorRRs = RootAnchors()
	}
	anchors, err := newAnchorSet(anchorRRs)
	if err != nil {
		return nil, err
	}
	cacheSize := cfg.CacheSize
	if cacheSize <= 0 {
		cacheSize = DefaultCacheSize
	}
	r := &Resolver{
		servers:  norm,
		timeout:  cfg.Timeout,
		attempts: cfg.Attempts,
		dnssecOK: cfg.DNSSECOK || mode != DNSSECOff,
		exchange: cfg.Exchange,
		cache:    newCache(cacheSize),
		mode:     mode,
		anchors:  anchors,
		now:      cfg.Now,
		zones:    newGroup[string, zoneKeys](chainCacheSize),
		cuts:     newGroup[string, cutInfo](chainCacheSize),
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.attempts <= 0 {
		r.attempts = DefaultAttempts
	}
	if r.exchange == nil {
		r.exchange = exchangeConn
	}
	r.maxHosts, r.maxAddresses = cfg.MaxHosts, cfg.MaxAddresses
	if r.maxHosts <= 0 {
		r.maxHosts = DefaultMaxHosts
	}
	if r.maxAddresses <= 0 {
		r.maxAddresses = DefaultMaxAddresses
	}
	return r, nil
}

// Servers returns the servers the Resolver asks, in order, as host:port.
func (r *Resolver) Servers() []string {
	return append([]string(nil), r.servers...)
}

func readResolvConf(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("no dns servers configured and cannot read %s: %w", path, err)
	}
	defer f.Close()
	servers, err := ParseResolvConf(f)
	if err != nil {
		return nil, fmt.Errorf("read dns servers from %s: %w", path, err)
	}
	return servers, nil
}

// normaliseServer turns "ip", "ip:port" or "[ip6]:port" into host:port.
func normaliseServer(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty dns server address")
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return net.JoinHostPort(a.String(), dnsPort), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("dns server %q is not host:port: %w", s, err)
	}
	if host == "" || port == "" {
		return "", fmt.Errorf("dns server %q is not host:port", s)
	}
	return net.JoinHostPort(host, port), nil
}

// ErrUnreachable is returned by Probe when no configured server answered.
var ErrUnreachable = errors.New("no dns server answered")

// Probe asks the configured servers one question (the root zone's NS set)
// within ctx's deadline and fails with ErrUnreachable when none of them
// answers at all: the resolver is dead, blocked or not a DNS server, and
// every domain of a run would come out inconclusive. Any reply, whatever
// its rcode, proves the transport works. Nothing is cached.
func (r *Resolver) Probe(ctx context.Context) error {
	rep := r.exchangeAll(ctx, ".", dns.TypeNS)
	if rep.msg != nil {
		return nil
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w (%s): %s", ErrUnreachable, strings.Join(r.servers, ", "), rep.err)
}
