// Package fleet serves a simulated fleet of vendor mail domains on loopback:
// an authoritative DNS server for the zones and one fake SMTP server per
// address, each with a profile (modern, legacy, expired certificate, 421
// refuser...). Tests, `make demo` and the benchmarks audit it; it never binds
// anything but 127.0.0.0/8.
package fleet

import (
	"crypto"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/resolve/dnstest"
	"github.com/mxaudit/mxaudit/audit/smtp/smtptest"
	"github.com/mxaudit/mxaudit/audit/tlsprobe/tlstest"
)

// Definition is a fleet: its servers and the DNS data of its domains.
type Definition struct {
	Comment string `json:"comment,omitempty"`
	// Resolver is where the fleet's DNS server listens ("127.0.0.53:5353").
	Resolver string `json:"resolver"`
	// SMTPPort is the port every fake SMTP server listens on.
	SMTPPort int `json:"smtp_port"`
	// DNSSEC signs the fleet's zones under a signed test root; the
	// running fleet's TrustAnchors validate them.
	DNSSEC bool `json:"dnssec,omitempty"`
	// HTTPS is the address of the MTA-STS policy server ("127.0.0.80") and
	// HTTPSPort its port (443 needs root; the demo uses another).
	HTTPS     string `json:"https,omitempty"`
	HTTPSPort int    `json:"https_port,omitempty"`
	// Servers are the fake SMTP servers, one per address.
	Servers []Server `json:"servers"`
	// Domains are the mail domains published in DNS.
	Domains []Domain `json:"domains"`
}

// Server is one fake SMTP server: an address, the MX names it serves (they
// get A records pointing at it and appear in its certificate) and a profile.
type Server struct {
	IP      string   `json:"ip"`
	Names   []string `json:"names"`
	Profile string   `json:"profile"`
	// BannerDelayMS, when set, delays the greeting by that many
	// milliseconds, replacing the profile's own delay (a slow or distant server).
	BannerDelayMS int `json:"banner_delay_ms,omitempty"`
	// Banner, when set, replaces the greeting lines (tests of hostile text).
	Banner []string `json:"banner,omitempty"`
	// LatencyMS, when set, simulates a network round trip of that many
	// milliseconds: the greeting comes two round trips after the connection
	// and every answer (SMTP reply, TLS flight) one round trip after the
	// client's bytes (smtptest.Behavior.Latency).
	LatencyMS int `json:"latency_ms,omitempty"`
	// TLSA are TLSA records published at _25._tcp.<name> for every name of
	// the server: "U S M self" (computed from the server's certificate),
	// "U S M wrong" (a digest that matches nothing) or "U S M <hex>".
	TLSA []string `json:"tlsa,omitempty"`
}

// Domain is one mail domain's DNS data.
type Domain struct {
	Name string `json:"name"`
	MX   []MX   `json:"mx,omitempty"`
	// NullMX publishes "0 ." (RFC 7505).
	NullMX bool `json:"null_mx,omitempty"`
	// A are addresses of the domain name itself (implicit MX when MX is empty).
	A []string `json:"a,omitempty"`
	// MTASTS publishes an MTA-STS record and serves its policy.
	MTASTS *STS `json:"mta_sts,omitempty"`
	// TLSRPT is the _smtp._tls TXT record text, if any.
	TLSRPT string `json:"tls_rpt,omitempty"`
	// TXT are further TXT records of the domain: SPF, DMARC, DKIM keys,
	// report authorisations.
	TXT []TXTRecord `json:"txt,omitempty"`
	// Unsigned keeps the domain's zone unsigned in a DNSSEC fleet (its
	// delegation carries no DS: insecure).
	Unsigned bool `json:"unsigned,omitempty"`
}

// STS is a domain's MTA-STS setup: the TXT record(s) and how the policy
// host answers.
type STS struct {
	// TXT are the _mta-sts TXT records (several to test duplicates).
	TXT []string `json:"txt"`
	// Policy is the policy text served at /.well-known/mta-sts.txt.
	Policy string `json:"policy,omitempty"`
	// Status is the HTTP status (default 200); a 3xx redirects to Location.
	Status   int    `json:"status,omitempty"`
	Location string `json:"location,omitempty"`
	// ContentType defaults to "text/plain".
	ContentType string `json:"content_type,omitempty"`
	// Cert is "valid" (default), "wrong-name" or "self-signed".
	Cert string `json:"cert,omitempty"`
}

// TXTRecord is one TXT record. Name is relative to the domain ("" for
// the domain itself, "_dmarc", "s1._domainkey") or, ending in a dot,
// absolute (a report authorisation published by another domain).
type TXTRecord struct {
	Name string `json:"name,omitempty"`
	Text string `json:"text"`
}

// Owner returns the record's absolute owner name under domain, without the final dot.
func (r TXTRecord) Owner(domain string) string {
	switch {
	case r.Name == "":
		return domain
	case strings.HasSuffix(r.Name, "."):
		return strings.TrimSuffix(r.Name, ".")
	}
	return r.Name + "." + domain
}

// MX is one MX record.
type MX struct {
	Preference uint16 `json:"preference"`
	Host       string `json:"host"`
}

// Load reads a definition from a JSON file.
func Load(path string) (*Definition, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read fleet definition: %w", err)
	}
	var d Definition
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("parse fleet definition %s: %w", path, err)
	}
	return &d, d.Validate()
}

// Validate checks that every address is loopback and every profile known.
func (d *Definition) Validate() error {
	for _, s := range d.Servers {
		ip, err := netip.ParseAddr(s.IP)
		if err != nil || !ip.IsLoopback() {
			return fmt.Errorf("server %q: the fleet binds loopback addresses only", s.IP)
		}
		if s.Profile == "" {
			return fmt.Errorf("server %s: no profile", s.IP)
		}
		if _, ok := profiles[s.Profile]; !ok {
			return fmt.Errorf("server %s: unknown profile %q (known: %s)", s.IP, s.Profile, strings.Join(Profiles(), ", "))
		}
	}
	if d.HTTPS != "" {
		if ip, err := netip.ParseAddr(d.HTTPS); err != nil || !ip.IsLoopback() {
			return fmt.Errorf("https %q: the fleet binds loopback addresses only", d.HTTPS)
		}
	}
	for _, dom := range d.Domains {
		if dom.MTASTS != nil && d.HTTPS == "" {
			return fmt.Errorf("domain %s publishes MTA-STS but the fleet has no \"https\" address", dom.Name)
		}
		for _, a := range dom.A {
			if ip, err := netip.ParseAddr(a); err != nil || !ip.IsLoopback() {
				return fmt.Errorf("domain %s: address %q is not loopback", dom.Name, a)
			}
		}
	}
	return nil
}

// DomainNames lists the domain names of the definition.
func (d *Definition) DomainNames() []string {
	names := make([]string, 0, len(d.Domains))
	for _, dom := range d.Domains {
		names = append(names, dom.Name)
	}
	return names
}

// Options adjust where a fleet is served.
type Options struct {
	// Resolver overrides Definition.Resolver ("127.0.0.53:0" picks a port).
	Resolver string
	// SMTPPort overrides Definition.SMTPPort; -1 picks a free port.
	SMTPPort int
	// HTTPSPort overrides Definition.HTTPSPort for the MTA-STS policy
	// server; -1 picks a free port.
	HTTPSPort int
	// RemapPrefix, when set (e.g. "127.77"), replaces the first two octets
	// of every address, so parallel tests do not collide.
	RemapPrefix string
	// Now is the clock for certificate validity (default time.Now).
	Now func() time.Time
	// SharedKeys, when positive, is how many RSA keys the servers' RSA
	// certificates share (each server still has a certificate of its
	// own, for its names). Generating an RSA-2048 key per server is most
	// of the start-up of a fleet of thousands (the benchmarks share keys);
	// zero gives each certificate its own key.
	SharedKeys int
}

// Fleet is a running fleet.
type Fleet struct {
	// Resolver is the DNS server's host:port; Port the SMTP port;
	// HTTPSPort the MTA-STS policy server's port (0 when none runs).
	Resolver  string
	Port      int
	HTTPSPort int
	// CA is the test CA that signed the fleet's "trusted" certificates.
	CA *smtptest.CA
	// TrustAnchors validate the fleet's zones when Definition.DNSSEC is set.
	TrustAnchors []dns.RR
	// Servers maps each address to its running fake.
	Servers map[string]*smtptest.Server

	def   *Definition
	dns   *dnstest.Server
	https *httpsServer
}

// Start serves the definition and returns the running fleet. On error,
// whatever was started is stopped.
func Start(def *Definition, opt Options) (f *Fleet, err error) {
	if err := def.Validate(); err != nil {
		return nil, err
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	d := remap(def, opt.RemapPrefix)
	ca, err := smtptest.NewCA("mxaudit sample fleet CA")
	if err != nil {
		return nil, err
	}
	f = &Fleet{CA: ca, Servers: make(map[string]*smtptest.Server), def: d}
	// Returns below set f to nil on error; close what was started through
	// a reference of our own.
	started := f
	defer func() {
		if err != nil {
			started.Close()
			f = nil
		}
	}()
	port := d.SMTPPort
	if opt.SMTPPort != 0 {
		port = opt.SMTPPort
	}
	if port < 0 {
		if port, err = freePort(d.Servers); err != nil {
			return nil, err
		}
	}
	f.Port = port
	is := &issuer{ca: ca}
	if is.keys, err = sharedKeys(opt.SharedKeys); err != nil {
		return nil, err
	}
	behaviors, err := makeBehaviors(d.Servers, is, now())
	if err != nil {
		return nil, err
	}
	tlsa := map[string][]string{} // _25._tcp owner → records
	for i, s := range d.Servers {
		b := behaviors[i]
		if err := addTLSA(tlsa, s, b); err != nil {
			return nil, err
		}
		if len(s.Banner) > 0 {
			b.Banner = s.Banner
		}
		if s.BannerDelayMS > 0 {
			b.BannerDelay = time.Duration(s.BannerDelayMS) * time.Millisecond
		}
		if s.LatencyMS > 0 {
			b.Latency = time.Duration(s.LatencyMS) * time.Millisecond
		}
		srv, err := smtptest.Start(net.JoinHostPort(s.IP, fmt.Sprint(port)), b)
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", s.IP, err)
		}
		f.Servers[s.IP] = srv
	}
	if f.https, err = startHTTPS(d, is, opt, now()); err != nil {
		return nil, err
	}
	if f.https != nil {
		f.HTTPSPort = f.https.port
	}
	resolver := d.Resolver
	if opt.Resolver != "" {
		resolver = opt.Resolver
	}
	rrs, err := d.Records()
	if err != nil {
		return nil, err
	}
	for owner, recs := range tlsa {
		for _, r := range recs {
			rr, err := dns.NewRR(fmt.Sprintf("%s 300 IN TLSA %s", owner, r))
			if err != nil {
				return nil, fmt.Errorf("tlsa %s: %w", owner, err)
			}
			rrs = append(rrs, rr)
		}
	}
	if d.DNSSEC {
		zones, anchors, err := signedZones(d, rrs, now())
		if err != nil {
			return nil, err
		}
		f.TrustAnchors = anchors
		if f.dns, err = dnstest.StartZones(resolver, zones...); err != nil {
			return nil, fmt.Errorf("start dns on %s: %w", resolver, err)
		}
	} else if f.dns, err = dnstest.Start(resolver, rrs); err != nil {
		return nil, fmt.Errorf("start dns on %s: %w", resolver, err)
	}
	f.Resolver = f.dns.Addr()
	return f, nil
}

// makeBehaviors makes each server's behaviour from its profile, with one
// worker per CPU: RSA key generation dominates the start-up of a fleet of
// thousands of servers.
func makeBehaviors(servers []Server, ca *issuer, now time.Time) ([]smtptest.Behavior, error) {
	out := make([]smtptest.Behavior, len(servers))
	errs := make([]error, len(servers))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(servers)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := servers[i]
				if out[i], errs[i] = profiles[s.Profile](ca, s.Names, now); errs[i] != nil {
					errs[i] = fmt.Errorf("server %s (%s): %w", s.IP, s.Profile, errs[i])
				}
			}
		}()
	}
	for i := range servers {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sharedKeys generates n RSA-2048 keys, one worker per CPU.
func sharedKeys(n int) ([]crypto.Signer, error) {
	if n <= 0 {
		return nil, nil
	}
	keys := make([]crypto.Signer, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := range next {
				keys[i], errs[i] = smtptest.NewKey(smtptest.KeyRSA2048)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return keys, errors.Join(errs...)
}

// Definition returns the (possibly remapped) definition being served.
func (f *Fleet) Definition() *Definition { return f.def }

// DNS returns the fleet's DNS server, for fault injection in tests.
func (f *Fleet) DNS() *dnstest.Server { return f.dns }

// Close stops every server of the fleet.
func (f *Fleet) Close() {
	if f.dns != nil {
		_ = f.dns.Close()
	}
	if f.https != nil {
		f.https.close()
	}
	for _, s := range f.Servers {
		_ = s.Close()
	}
}

// freePort finds a port that is free on every server address, so one SMTP
// port serves the whole fleet. Bounded: a few random tries.
func freePort(servers []Server) (int, error) {
	const tries = 20
	for i := 0; i < tries; i++ {
		l, err := net.Listen("tcp", net.JoinHostPort(servers[0].IP, "0"))
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		ok := true
		for _, s := range servers[1:] {
			l, err := net.Listen("tcp", net.JoinHostPort(s.IP, fmt.Sprint(port)))
			if err != nil {
				ok = false
				break
			}
			_ = l.Close()
		}
		if ok {
			return port, nil
		}
	}
	return 0, errors.New("no port free on every fleet address")
}

func remap(def *Definition, prefix string) *Definition {
	d := *def
	if prefix == "" {
		return &d
	}
	swap := func(ip string) string {
		parts := strings.SplitN(ip, ".", 3)
		if len(parts) != 3 {
			return ip
		}
		return prefix + "." + parts[2]
	}
	d.Servers = make([]Server, len(def.Servers))
	for i, s := range def.Servers {
		s.IP = swap(s.IP)
		d.Servers[i] = s
	}
	d.Domains = make([]Domain, len(def.Domains))
	for i, dom := range def.Domains {
		a := make([]string, len(dom.A))
		for j, ip := range dom.A {
			a[j] = swap(ip)
		}
		dom.A = a
		d.Domains[i] = dom
	}
	if host, port, err := net.SplitHostPort(def.Resolver); err == nil {
		d.Resolver = net.JoinHostPort(swap(host), port)
	}
	if d.HTTPS != "" {
		d.HTTPS = swap(d.HTTPS)
	}
	return &d
}

// quoteTXT writes a TXT value as master-file strings of at most 255 bytes.
func quoteTXT(s string) string {
	const maxString = 255
	var parts []string
	for len(s) > maxString {
		parts = append(parts, s[:maxString])
		s = s[maxString:]
	}
	parts = append(parts, s)
	for i, p := range parts {
		p = strings.ReplaceAll(p, `\`, `\\`)
		parts[i] = `"` + strings.ReplaceAll(p, `"`, `\"`) + `"`
	}
	return strings.Join(parts, " ")
}

// Records builds the DNS data of the fleet: MX records of each domain, A
// records of every server name, A records of domains with addresses.
func (d *Definition) Records() ([]dns.RR, error) {
	var lines []string
	const ttl = 300
	hostIPs := map[string][]string{}
	for _, s := range d.Servers {
		for _, n := range s.Names {
			hostIPs[n] = append(hostIPs[n], s.IP)
		}
	}
	hosts := make([]string, 0, len(hostIPs))
	for h := range hostIPs {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	for _, h := range hosts {
		for _, ip := range hostIPs[h] {
			lines = append(lines, fmt.Sprintf("%s. %d IN A %s", h, ttl, ip))
		}
	}
	for _, dom := range d.Domains {
		if dom.NullMX {
			lines = append(lines, fmt.Sprintf("%s. %d IN MX 0 .", dom.Name, ttl))
		}
		for _, mx := range dom.MX {
			lines = append(lines, fmt.Sprintf("%s. %d IN MX %d %s.", dom.Name, ttl, mx.Preference, mx.Host))
		}
		for _, ip := range dom.A {
			if _, served := hostIPs[dom.Name]; served {
				continue // already published as a server name
			}
			lines = append(lines, fmt.Sprintf("%s. %d IN A %s", dom.Name, ttl, ip))
		}
		if dom.MTASTS != nil {
			for _, txt := range dom.MTASTS.TXT {
				lines = append(lines, fmt.Sprintf("_mta-sts.%s. %d IN TXT %s", dom.Name, ttl, quoteTXT(txt)))
			}
			if d.HTTPS != "" {
				lines = append(lines, fmt.Sprintf("mta-sts.%s. %d IN A %s", dom.Name, ttl, d.HTTPS))
			}
		}
		if dom.TLSRPT != "" {
			lines = append(lines, fmt.Sprintf("_smtp._tls.%s. %d IN TXT %s", dom.Name, ttl, quoteTXT(dom.TLSRPT)))
		}
		for _, r := range dom.TXT {
			lines = append(lines, fmt.Sprintf("%s. %d IN TXT %s", r.Owner(dom.Name), ttl, quoteTXT(r.Text)))
		}
	}
	rrs := make([]dns.RR, 0, len(lines))
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			return nil, fmt.Errorf("fleet record %q: %w", l, err)
		}
		rrs = append(rrs, rr)
	}
	return rrs, nil
}

// profile builds the behaviour of a fake server for its names.
type profile func(ca *issuer, names []string, now time.Time) (smtptest.Behavior, error)

// Profiles lists the known profile names.
func Profiles() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

const (
	year          = 365 * 24 * time.Hour
	slowBanner    = 2 * time.Second
	dhPrimeLegacy = 1024
)

func validCert(ca *issuer, names []string, now time.Time) (tls.Certificate, error) {
	return ca.rsa(names, now.Add(-30*24*time.Hour), now.Add(year))
}

// issuer issues the fleet's certificates: with keys, its RSA certificates
// share those keys (chosen by the first name, so the choice does not
// depend on the order of the parallel start-up); without, each gets a new one.
type issuer struct {
	ca   *smtptest.CA
	keys []crypto.Signer
}

// rsa issues an RSA-2048 certificate for names.
func (is *issuer) rsa(names []string, notBefore, notAfter time.Time) (tls.Certificate, error) {
	if len(is.keys) == 0 || len(names) == 0 {
		return is.ca.Issue(names, notBefore, notAfter, smtptest.KeyRSA2048)
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(names[0]))
	return is.ca.IssueWithKey(names, notBefore, notAfter, is.keys[h.Sum32()%uint32(len(is.keys))])
}

func tlsBehavior(cert tls.Certificate, minV, maxV uint16, suites []uint16) smtptest.Behavior {
	return smtptest.Behavior{TLS: &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   minV,
		MaxVersion:   maxV,
		CipherSuites: suites,
	}}
}

// TwelveSuites is the suite list of the "modern-12" profile: nine TLS 1.2
// suites (crypto/tls picks from these by its own order) plus TLS 1.3's three.
var TwelveSuites = []uint16{
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_RSA_WITH_AES_256_CBC_SHA,
}

var profiles = map[string]profile{
	"modern": func(ca *issuer, names []string, now time.Time) (smtptest.Behavior, error) {
		c, err := validCert(ca, names, now)
		return tlsBehavior(c, tls.VersionTLS12, tls.VersionTLS13, nil), err
	},
	"modern-12": func(ca *issuer, names []string, now time.Time) (smtptest.Behavior, error) {
		c, err := validCert(ca, names, now)
		return tlsBehavior(c, tls.VersionTLS12, tls.VersionTLS13, TwelveSuites), err
	},
	"tls12-only": func(ca *issuer, names []string, now time.Time) (smtptest.Behavior, error) {
		c, err := validCert(ca, names, now)
		return tlsBehavior(c, tls.VersionTLS12, tls.VersionTLS12, nil), err
	},
	"legacy": func(ca *issuer, names []string, now time.Time) (smtptest.Behavior, error) {
		c, err := validCert(ca, names, now)
		return tlsBehavior(c, tls.VersionTLS10, tls.VersionTLS12, []uint16{
			tls.TLS_RSA_WITH_RC4_128_SHA,
			tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
			tls.TLS_RSA_WITH_AES_128_CBC_SHA,
			tls.TLS_RSA_WITH_AES_256_CBC_SHA,
			tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		}), err
	},
	"self-signed": func(_ *issuer, names []string, now time.Time) (smtptest.Behavior, error) {
		c, err := smtptest.SelfSignedCert(names, now.Add(-24*time.Hour), now.Add(year))
		return tlsBehavior(c, tls.VersionTLS12, tls.VersionTLS13, nil), err
	},
	"expired": func(ca *issuer, names []string, now time.Time) (smtptest.Behavior, error) {
		c, err := ca.rsa(names, now.Add(-2*year), now.Add(-10*24*time.Hour))
		return tlsBehavior(c, tls.VersionTLS12, tls.VersionTLS13, nil), err
	},
	"name-mismatch": func(ca *issuer, _ []string, now time.Time) (smtptest.Behavior, error) {
		c, err := validCert(ca, []string{"wrong-host.invalid"}, now)
		return tlsBehavior(c, tls.VersionTLS12, tls.VersionTLS13, nil), err
	},
	"no-starttls": func(*issuer, []string, time.Time) (smtptest.Behavior, error) {
		return smtptest.Behavior{NoSTARTTLS: true}, nil
	},
	"broken-tls": func(*issuer, []string, time.Time) (smtptest.Behavior, error) {
		return smtptest.Behavior{BrokenTLS: true}, nil
	},
	"slow-banner": func(ca *issuer, names []string, now time.Time) (smtptest.Behavior, error) {
		c, err := validCert(ca, names, now)
		b := tlsBehavior(c, tls.VersionTLS12, tls.VersionTLS13, nil)
		b.BannerDelay = slowBanner
		return b, err
	},
	"refuse-421": func(*issuer, []string, time.Time) (smtptest.Behavior, error) {
		return smtptest.Behavior{BannerCode: 421, Banner: []string{"too many connections, try again later"}}, nil
	},
	"garbage": func(*issuer, []string, time.Time) (smtptest.Behavior, error) {
		return smtptest.Behavior{Garbage: true}, nil
	},
	"raw-sslv3-export": rawProfile(tlstest.Config{
		Versions: []uint16{0x0300, 0x0301},
		// EXP-RC4-MD5, RC4-MD5, RC4-SHA, EXP-DES-CBC-SHA, DES-CBC3-SHA
		Suites: []uint16{0x0003, 0x0004, 0x0005, 0x0008, 0x000A},
	}),
	"raw-sslv2": rawProfile(tlstest.Config{
		SSLv2Specs: [][3]byte{{0x01, 0x00, 0x80}, {0x02, 0x00, 0x80}, {0x07, 0x00, 0xC0}},
		Versions:   []uint16{0x0300, 0x0301},
		Suites:     []uint16{0x0005, 0x000A, 0x002F},
	}),
	"raw-dhe1024": rawProfile(tlstest.Config{
		Versions: []uint16{0x0301, 0x0302, 0x0303},
		// DHE-RSA-AES256-GCM-SHA384, DHE-RSA-AES128-GCM-SHA256, DHE-RSA-AES256-SHA, DHE-RSA-AES128-SHA
		Suites:      []uint16{0x009F, 0x009E, 0x0039, 0x0033},
		DHPrimeBits: dhPrimeLegacy,
	}),
}

// rawProfile serves TLS with the raw legacy fake instead of crypto/tls,
// for what crypto/tls cannot serve (SSLv2, SSLv3, export, RC4, DHE).
func rawProfile(cfg tlstest.Config) profile {
	return func(ca *issuer, names []string, now time.Time) (smtptest.Behavior, error) {
		c, err := validCert(ca, names, now)
		if err != nil {
			return smtptest.Behavior{}, err
		}
		cfg := cfg
		cfg.CertDER = c.Certificate
		return smtptest.Behavior{TLSHandler: func(conn net.Conn) { _ = tlstest.Serve(conn, cfg) }}, nil
	}
}
