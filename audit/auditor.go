// Package audit runs the audit of mail domains: it resolves each domain's
// mail hosts, probes every address once per run (however many domains share
// it), checks each certificate once per (address, MX name), and returns the
// evidence. It judges nothing: grading is audit/grade's job.
package audit

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mxaudit/mxaudit/audit/certs"
	"github.com/mxaudit/mxaudit/audit/dane"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/guard"
	"github.com/mxaudit/mxaudit/audit/mtasts"
	"github.com/mxaudit/mxaudit/audit/posture"
	"github.com/mxaudit/mxaudit/audit/resolve"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/audit/tlsprobe"
)

// Defaults for Config fields left zero.
const (
	DefaultPerHost      = 2
	DefaultRetries      = 2
	DefaultRetryBackoff = 2 * time.Second
	DefaultStepTimeout  = 15 * time.Second
	DefaultProbeTimeout = 10 * time.Minute
	DefaultPort         = 25
	DefaultHTTPSPort    = 443
	// DefaultDomainTimeout bounds the whole audit of one domain: its DNS,
	// its policies and the probes of its addresses (which run side by
	// side, each within ProbeTimeout).
	DefaultDomainTimeout = 30 * time.Minute
	// maxAddressesPerHost bounds how many addresses of one MX name are
	// probed; a name with hundreds of A records is a pool, not a server.
	maxAddressesPerHost = resolve.DefaultMaxAddresses
	// maxHostsPerDomain bounds how many MX targets of one domain are probed.
	maxHostsPerDomain = resolve.DefaultMaxHosts
)

// Resolver is what the Auditor needs from DNS. *resolve.Resolver implements it.
type Resolver interface {
	Domain(ctx context.Context, domain string) (evidence.MXLookup, []evidence.Host)
}

var _ Resolver = (*resolve.Resolver)(nil)

// TXTResolver is the resolver side of the MTA-STS and TLS-RPT checks.
type TXTResolver interface {
	TXT(ctx context.Context, name string) (evidence.Lookup, []string)
}

// TLSAResolver is the resolver side of the DANE check.
type TLSAResolver interface {
	TLSA(ctx context.Context, host string, port int) *evidence.TLSALookup
}

// danePort is the port of the TLSA owner name for MX delivery: RFC 7672
// §2.2.3 names _25._tcp whatever port a lab probes on.
const danePort = 25

// Config configures an Auditor. Zero fields take the defaults above.
type Config struct {
	// Policies turns on the MTA-STS, TLS-RPT and DANE checks; they need a
	// Resolver that also answers TXT and TLSA questions.
	Policies bool
	// Posture turns on the SPF, DMARC and DKIM checks (audit/posture) of
	// every domain, null MX included; they need a Resolver that also
	// answers TXT and other questions (posture.Resolver).
	Posture bool
	// PostureConfig bounds those checks.
	PostureConfig posture.Config
	// DKIMSelectors names the DKIM selectors to check for a domain (from
	// the vendor list or the config); nil or an empty answer: none.
	DKIMSelectors func(domain string) []string
	// STSFetcher fetches MTA-STS policies (nil: a fetcher that uses Resolver).
	STSFetcher *mtasts.Fetcher
	// HTTPSProxy chooses the proxy for MTA-STS policy fetches
	// (http.ProxyFromEnvironment, http.ProxyURL); nil means direct. Policy
	// hosts are then reached through the proxy on port 443, and the proxy
	// itself through the system's resolver.
	HTTPSProxy func(*http.Request) (*url.URL, error)
	// HTTPSPort is the port MTA-STS policy hosts are fetched from (443 on
	// the internet; other ports for tests and labs).
	HTTPSPort int
	// HTTPSDial opens the TCP connection to one address (IP:port) of an
	// MTA-STS policy host found through Resolver, after the guard passed
	// it; nil means a net.Dialer. Tests give a recording stub.
	HTTPSDial func(ctx context.Context, network, address string) (net.Conn, error)
	// Resolver finds mail hosts; required.
	Resolver Resolver
	// SMTP speaks the dialogue up to STARTTLS; required. Its port is the port probed.
	SMTP *smtp.Client
	// Port is the SMTP port, for the evidence only (SMTP owns the dialling).
	Port int
	// Verifier judges certificates; required.
	Verifier *certs.Verifier
	// PerHost is the most connections open at once to one address; a probe
	// enumerates that many protocol versions at once.
	PerHost int
	// ConnectGap is the least time between two connection starts to one address.
	ConnectGap time.Duration
	// Retries is how often a connection that met 421, a timeout, a reset or a
	// refusal is tried again, with RetryBackoff doubling between tries.
	Retries      int
	RetryBackoff time.Duration
	// StepTimeout bounds one TLS hello → answer exchange.
	StepTimeout time.Duration
	// ProbeTimeout bounds the whole probe of one address.
	ProbeTimeout time.Duration
	// DomainTimeout bounds the whole audit of one domain (DNS, policies,
	// probes); what is not done by then is recorded as unfinished. A
	// probe shared with other domains is cut short with it, so keep it
	// well above ProbeTimeout.
	DomainTimeout time.Duration
	// Versions limits the protocol versions enumerated (default all).
	Versions []string
	// ThrottleBudget is how long, from its first refusal, the probe of an
	// address that limits connections (421, resets after a few accepted
	// ones) may spend pausing and resuming (default
	// tlsprobe.DefaultThrottleBudget, 5 minutes; `scan` uses less).
	// ThrottleBackoff is the first pause, doubling up to a minute (default
	// tlsprobe.DefaultThrottleBackoff).
	ThrottleBudget  time.Duration
	ThrottleBackoff time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// AllowPrivate lets the scanner dial addresses that are not globally
	// reachable (loopback, private, link-local...: audit/guard). Off, such
	// an address of an MX or MTA-STS policy host is recorded and never
	// dialled, so a vendor's DNS cannot aim the scanner at the auditor's
	// own network. Labs, tests and the demo turn it on. The HTTPS proxy is
	// always dialled as configured.
	AllowPrivate bool
}

// certCacheSize bounds the certificate checks an Auditor keeps. They are
// keyed by address and MX name: providers that give each customer domain
// an MX name of its own on a shared pool of addresses (as Microsoft 365
// does) would otherwise add one per domain of the list, each with its
// decoded chain, for the whole run. The checks of names many domains share
// are asked for again and again and stay; a check dropped and asked for
// again costs one more connection. Probes are kept whole (one per address,
// which bounds them), so an address is probed once per run.
const certCacheSize = 4096

// Auditor audits domains. It is safe for concurrent use; one Auditor is one
// run: its caches make each address probed once.
type Auditor struct {
	cfg    Config
	guard  guard.Guard
	limit  *hostLimiter
	probes *onceCache[string, *evidence.Probe]
	certs  *onceCache[[2]string, certSet]
	// chains keeps, per address, the chain the probe's handshake saw under
	// its SNI, so the certificate check for that name costs no connection.
	chainsMu sync.Mutex
	chains   map[string]sniChain
}

type sniChain struct {
	sni   string
	chain [][]byte
	err   *evidence.Error
	// alts are the other certificates the probe saw under sni (the raw
	// hellos of RSA and ECDSA suites); noSNI the one a sender sending no
	// server name gets, when it differs from all of them.
	alts  []altChain
	noSNI *altChain
}

// altChain is one more certificate chain an address presents, and how it
// was obtained.
type altChain struct {
	via   string
	chain [][]byte
}

// certSet is the certificate check of one (address, MX name): the primary
// certificate and the others senders can be given.
type certSet struct {
	primary *evidence.CertCheck
	others  []evidence.CertCheck
}

// New returns an Auditor, or an error when a required field is missing.
func New(cfg Config) (*Auditor, error) {
	if cfg.Resolver == nil || cfg.SMTP == nil || cfg.Verifier == nil {
		return nil, errors.New("audit: resolver, smtp client and verifier are required")
	}
	if cfg.PerHost <= 0 {
		cfg.PerHost = DefaultPerHost
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = DefaultRetryBackoff
	}
	if cfg.StepTimeout <= 0 {
		cfg.StepTimeout = DefaultStepTimeout
	}
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = DefaultProbeTimeout
	}
	if cfg.DomainTimeout <= 0 {
		cfg.DomainTimeout = DefaultDomainTimeout
	}
	if cfg.Port <= 0 {
		cfg.Port = DefaultPort
	}
	if cfg.HTTPSPort <= 0 {
		cfg.HTTPSPort = DefaultHTTPSPort
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Auditor{
		cfg:    cfg,
		guard:  guard.Guard{AllowPrivate: cfg.AllowPrivate},
		limit:  newHostLimiter(cfg.PerHost, cfg.ConnectGap),
		probes: newOnceCache[string, *evidence.Probe](0),
		certs:  newOnceCache[[2]string, certSet](certCacheSize),
		chains: make(map[string]sniChain),
	}, nil
}

// Connections reports how many connections the Auditor has opened to ip.
func (a *Auditor) Connections(ip string) int { return a.limit.connections(ip) }

// PeakConnections reports the most connections the Auditor held open to ip at once.
func (a *Auditor) PeakConnections(ip string) int { return a.limit.peak(ip) }

// restrictedVersions is Config.Versions when it leaves some version out,
// in evidence.Versions order, else nil.
func (a *Auditor) restrictedVersions() []string {
	var out []string
	for _, v := range evidence.Versions {
		if slices.Contains(a.cfg.Versions, v) {
			out = append(out, v)
		}
	}
	if len(a.cfg.Versions) == 0 || len(out) == len(evidence.Versions) {
		return nil
	}
	return out
}

// Domain audits one domain (an A-label) and returns its evidence. It never
// fails: what could not be observed is recorded as such.
func (a *Auditor) Domain(ctx context.Context, domain string) *evidence.Domain {
	d := &evidence.Domain{Domain: domain, StartedAt: a.cfg.Now().UTC(), VersionsTested: a.restrictedVersions()}
	defer func() { d.FinishedAt = a.cfg.Now().UTC() }()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, a.cfg.DomainTimeout)
	defer cancel()

	d.MX, d.Hosts = a.cfg.Resolver.Domain(ctx, domain)
	if len(d.Hosts) > maxHostsPerDomain {
		// A resolver without the cap: what it resolved past it is still
		// left out, and said to be.
		for _, h := range d.Hosts[maxHostsPerDomain:] {
			d.MX.Omitted = append(d.MX.Omitted, evidence.MXRecord{Preference: h.Preference, Host: h.Name})
		}
		d.Hosts = d.Hosts[:maxHostsPerDomain]
	}
	var wg sync.WaitGroup
	a.policies(ctx, d, &wg)
	a.posture(ctx, d, &wg)
	for hi := range d.Hosts {
		h := &d.Hosts[hi]
		if len(h.Addresses) > maxAddressesPerHost {
			for _, addr := range h.Addresses[maxAddressesPerHost:] {
				h.OmittedAddresses = append(h.OmittedAddresses, addr.IP)
			}
			h.Addresses = h.Addresses[:maxAddressesPerHost]
		}
		for ai := range h.Addresses {
			addr := &h.Addresses[ai]
			wg.Add(1)
			go func() {
				defer wg.Done()
				a.address(ctx, h.Name, addr)
			}()
		}
	}
	wg.Wait()
	a.matchDANE(d)
	switch err := ctx.Err(); {
	case err == nil:
	case parent.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		d.Error = evidence.Errorf(evidence.ErrTimeout, "audit", "the domain's deadline of %v passed before its audit finished", a.cfg.DomainTimeout)
	default:
		d.Error = evidence.Classify("audit", err)
	}
	return d
}

// address fills in the probe and certificate check of one address seen
// under MX name host.
func (a *Auditor) address(ctx context.Context, host string, addr *evidence.Address) {
	p, ok := a.probes.get(ctx, addr.IP, func() *evidence.Probe { return a.probe(ctx, addr.IP, host) })
	if !ok {
		addr.Probe = &evidence.Probe{IP: addr.IP, Port: a.cfg.Port, SNI: host, Status: evidence.ProbeNotTested,
			Error: evidence.Classify("probe", ctx.Err())}
		return
	}
	// The probe is shared, not copied: every domain using the address
	// holds the same observation, read-only from here on (the sink
	// stores a shared probe's evidence once, by identity; see db).
	addr.Probe = p
	// A server that answered in TLS without a usable session still showed
	// its certificate (in the handshake or the raw hellos): judged too.
	if p.Status != evidence.ProbeOK && p.Status != evidence.ProbeSessionFailed {
		return
	}
	c, ok := a.certs.get(ctx, [2]string{addr.IP, host}, func() certSet { return a.cert(ctx, addr.IP, host) })
	if ok && c.primary != nil {
		// Shared as the probe is; matchDANE gives a domain its own copy
		// of the other certificates before it writes their DANE match.
		addr.Cert = c.primary
		addr.OtherCerts = c.others
	}
}

// dial opens an SMTP connection to ip under the per-address limit and
// brings it to the point where TLS bytes follow STARTTLS. Every SMTP
// connection of a probe, the raw hellos' included, comes through here, so
// the guard judges each address at the moment it would be dialled.
func (a *Auditor) dial(ctx context.Context, ip string) (net.Conn, *evidence.SMTPSession, error) {
	if err := a.checkAddress(ip); err != nil {
		return nil, nil, err
	}
	release, err := a.limit.acquire(ctx, ip)
	if err != nil {
		return nil, nil, evidence.Classify("connect", err)
	}
	conn, sess, err := a.cfg.SMTP.StartTLS(ctx, ip)
	if err != nil {
		release()
		return nil, sess, err
	}
	return &limitedConn{Conn: conn, release: release}, sess, nil
}

// checkAddress returns an ErrPrivateAddress error when the guard refuses ip.
func (a *Auditor) checkAddress(ip string) error {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return evidence.Errorf(evidence.ErrInternal, "connect", "not an ip address: %q", ip)
	}
	var refused *guard.RefusedError
	if err := a.guard.Check(addr); errors.As(err, &refused) {
		return evidence.Errorf(evidence.ErrPrivateAddress, "connect", "%s", refused.Reason())
	}
	return nil
}

// dialRetry is dial with retries on inconclusive failures (421, timeouts,
// resets, refusals), backing off between tries. failed holds the error of
// every attempt that was repeated, oldest first (so len(failed) is the
// number of retries): when the last attempt got through, they are the
// failures that cleared.
func (a *Auditor) dialRetry(ctx context.Context, ip string) (conn net.Conn, sess *evidence.SMTPSession, failed []*evidence.Error, err error) {
	backoff := a.cfg.RetryBackoff
	refusals := 0 // 4xx replies to STARTTLS in a row, up to this attempt
	for attempt := 0; ; attempt++ {
		conn, sess, err = a.dial(ctx, ip)
		refusal := starttlsTempRefusal(err)
		if refusal != nil {
			refusals++
			refusal.Attempts = refusals
		} else {
			refusals = 0
		}
		limit := a.cfg.Retries
		if refusal != nil {
			// "454 TLS not available" may pass or may be a broken TLS
			// setup: one more attempt after a pause tells them apart,
			// whatever the retry setting.
			limit = max(limit, 1)
		}
		if err == nil || attempt >= limit || !retryable(err) || ctx.Err() != nil {
			return conn, sess, failed, err
		}
		failed = append(failed, evidence.Classify("smtp", err))
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, sess, failed[:len(failed)-1], err
		}
		backoff *= 2
	}
}

// starttlsTempRefusal returns the classified error when err is a 4xx reply
// to STARTTLS, so the attempt count can be recorded on it.
func starttlsTempRefusal(err error) *evidence.Error {
	var ev *evidence.Error
	if errors.As(err, &ev) && ev.Kind == evidence.ErrSMTPReject && ev.Step == evidence.StepSTARTTLS && ev.Code >= 400 && ev.Code < 500 {
		return ev
	}
	return nil
}

func retryable(err error) bool {
	if errors.Is(err, smtp.ErrNoSTARTTLS) {
		return false
	}
	ev := evidence.Classify("", err)
	return ev.Inconclusive() && ev.Kind != evidence.ErrCanceled
}

// probe is the capability probe of one address: the first connection with
// its SMTP dialogue and a full crypto/tls handshake, then the raw
// enumeration of every version.
func (a *Auditor) probe(ctx context.Context, ip, sni string) *evidence.Probe {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.ProbeTimeout)
	defer cancel()
	start := a.cfg.Now()
	p := &evidence.Probe{IP: ip, Port: a.cfg.Port, SNI: sni, StartedAt: start.UTC()}
	before := a.limit.connections(ip)
	defer func() {
		p.Duration = evidence.Duration(a.cfg.Now().Sub(start))
		p.Connections = a.limit.connections(ip) - before
	}()

	conn, sess, failed, err := a.dialRetry(ctx, ip)
	p.SMTP, p.Retries = sess, len(failed)
	if err != nil {
		p.Error = evidence.Classify("smtp", err)
		p.Status = statusOf(err, p.Error)
		return p
	}
	// The attempts repeated before this one got through were temporary.
	for _, e := range failed {
		p.Transient = append(p.Transient, *e)
	}
	throttle := &tlsprobe.Throttle{Budget: a.cfg.ThrottleBudget, Backoff: a.cfg.ThrottleBackoff}
	throttle.Succeeded() // the first connection got through: a refusal from now on is throttling
	defer func() { p.Throttle = throttle.Report() }()
	hs, chain, tc := a.handshake(ctx, conn, sni)
	if tc != nil {
		a.afterTLS(ctx, tc, sess)
		if e := postTLSTempRefusal(sess); e != nil {
			e.Attempts = 1
			hs, chain, sess = a.confirmPostTLS(ctx, ip, sni, hs, chain, sess)
			p.SMTP = sess
			p.Retries++
			if sess != nil && sess.PostTLSError == nil {
				// The second session got through: the first one's
				// refusal was temporary, and is kept as such.
				p.Transient = append(p.Transient, *e)
			}
		}
	}
	p.Handshake = hs
	a.chainsMu.Lock()
	a.chains[ip] = sniChain{sni: sni, chain: chain, err: hs.Error}
	a.chainsMu.Unlock()

	// A server crypto/tls cannot finish a handshake with (SSLv3 only, DHE
	// only, export suites) still shows its certificate in the raw hellos'
	// cleartext answers: keep one for the certificate check, the first
	// chain of the newest version that sent one, so that the choice does
	// not depend on which of the parallel versions answered first.
	var rawMu sync.Mutex
	var rawChain [][]byte
	var rawVersion uint16
	primes := make(map[string]bool)
	// Every distinct certificate the raw hellos drew: a server with an RSA
	// and an ECDSA certificate shows each with the suites that need it.
	seen := make(map[[32]byte]seenChain)
	prober := tlsprobe.Prober{
		Dial: func(ctx context.Context) (net.Conn, error) {
			c, _, err := a.dial(ctx, ip)
			return c, err
		},
		// Versions in parallel up to the per-address limit: the limiter
		// still caps the connections, with any certificate check of
		// another MX name on the same address counted in.
		Config:   tlsprobe.Config{SNI: sni, StepTimeout: a.cfg.StepTimeout, Versions: a.cfg.Versions, Parallel: a.cfg.PerHost},
		Throttle: throttle,
		OnChain: func(version uint16, chain [][]byte) {
			rawMu.Lock()
			defer rawMu.Unlock()
			if rawChain == nil || version > rawVersion {
				rawChain, rawVersion = chain, version
			}
			if len(chain) > 0 {
				k := sha256.Sum256(chain[0])
				if old, ok := seen[k]; !ok || version > old.version {
					seen[k] = seenChain{version: version, chain: chain}
				}
			}
		},
		OnDHPrime: func(prime []byte) {
			n := new(big.Int).SetBytes(prime)
			h := strings.ToUpper(hex.EncodeToString(n.Bytes()))
			rawMu.Lock()
			defer rawMu.Unlock()
			if primes[h] {
				return
			}
			primes[h] = true
			p.DHParams = append(p.DHParams, evidence.DHParams{Bits: n.BitLen(), Prime: h, Known: tlsprobe.KnownDHPrime(prime)})
		},
	}
	p.Versions = prober.Run(ctx)
	p.Vulns = a.vulns(ctx, ip, sni, &prober, p.Versions, hs.OK)
	rawMu.Lock()
	slices.SortFunc(p.DHParams, func(x, y evidence.DHParams) int { return cmp.Or(x.Bits-y.Bits, strings.Compare(x.Prime, y.Prime)) })
	rawMu.Unlock()
	primary := chain
	if primary == nil {
		primary = rawChain
	}
	rawMu.Lock()
	alts := otherChains(primary, seen)
	rawMu.Unlock()
	var noSNI *altChain
	if hs.OK && sni != "" {
		noSNI = a.noSNIChain(ctx, ip, primary, alts)
	}
	a.chainsMu.Lock()
	a.chains[ip] = sniChain{sni: sni, chain: primary, err: hs.Error, alts: alts, noSNI: noSNI}
	a.chainsMu.Unlock()
	p.Status = evidence.ProbeOK
	if !hs.OK && !anySupported(p.Versions) {
		p.Status = evidence.ProbeTLSFailed
		p.Error = hs.Error
		if allInconclusive(p.Versions) && hs.Error.Inconclusive() {
			p.Status = evidence.ProbeInconclusive
		}
	} else if e := noSession(hs, sess, p.Versions); e != nil {
		p.Status, p.Error = evidence.ProbeSessionFailed, e
	}
	for _, v := range p.Versions {
		if strings.HasPrefix(v.Reason, "anomaly:") {
			p.Anomalies = append(p.Anomalies, v.Version+": "+strings.TrimSpace(strings.TrimPrefix(v.Reason, "anomaly:")))
		}
	}
	if sess != nil && sess.STARTTLSAfterTLS != nil && *sess.STARTTLSAfterTLS {
		p.Anomalies = append(p.Anomalies, "STARTTLS advertised again after TLS was established")
	}
	return p
}

// vulns runs the known-vulnerability probes once the enumeration is in:
// the raw TLS ones (tlsprobe) beside the STARTTLS injection test (smtp),
// within the per-address limit like every other connection. Nothing runs
// on an address where no TLS was seen at all.
func (a *Auditor) vulns(ctx context.Context, ip, sni string, prober *tlsprobe.Prober, versions []evidence.VersionResult, handshakeOK bool) *evidence.Vulns {
	if !handshakeOK && !anySupported(versions) {
		return nil
	}
	var inj evidence.VulnCheck
	var wg sync.WaitGroup
	wg.Go(func() {
		if !handshakeOK {
			inj = evidence.VulnCheck{Status: evidence.VulnNotTested, Detail: "no full TLS handshake completed on this address"}
			return
		}
		if err := a.checkAddress(ip); err != nil {
			// This dial bypasses a.dial: the guard is asked here too.
			inj = evidence.VulnCheck{Status: evidence.VulnNotTested, Error: evidence.Classify("connect", err), Detail: "address not dialled"}
			return
		}
		release, err := a.limit.acquire(ctx, ip)
		if err != nil {
			inj = evidence.VulnCheck{Status: evidence.VulnNotTested, Error: evidence.Classify("connect", err), Detail: "cancelled"}
			return
		}
		defer release()
		inj = a.cfg.SMTP.STARTTLSInjection(ctx, ip, func(ctx context.Context, conn net.Conn) (net.Conn, error) {
			tc := tls.Client(conn, a.tlsConfig(sni))
			hctx, cancel := context.WithTimeout(ctx, a.cfg.StepTimeout)
			defer cancel()
			return tc, tc.HandshakeContext(hctx)
		})
	})
	v := prober.Vulns(ctx, versions)
	wg.Wait()
	v.STARTTLSInjection = inj
	return &v
}

func statusOf(err error, ev *evidence.Error) evidence.ProbeStatus {
	switch {
	case ev.Kind == evidence.ErrPrivateAddress:
		return evidence.ProbePrivateAddress
	case errors.Is(err, smtp.ErrNoSTARTTLS):
		return evidence.ProbeNoSTARTTLS
	case ev.Inconclusive():
		return evidence.ProbeInconclusive
	case ev.Kind == evidence.ErrSMTPReject && ev.Step == "starttls":
		return evidence.ProbeSTARTTLSFail
	case ev.Kind == evidence.ErrSMTPReject:
		return evidence.ProbeRejected
	}
	// A server that breaks the SMTP protocol before STARTTLS offers no
	// usable TLS to a sender.
	return evidence.ProbeRejected
}

// noSession returns why no TLS session a sender can use was had on an
// address whose server answered in TLS, or nil when one was: the full
// handshake failed after the server chose, in the raw hellos, a suite this
// handshake offered too (it broke after its ServerHello), by the server's
// doing or for a reason that says nothing about it (a timeout); or the
// handshake completed and the first command inside TLS failed. A failure
// of our own client (a certificate crypto/tls cannot parse) or a handshake
// that offered none of the suites the server accepts (DHE only) is not
// one: the server was never given its chance.
func noSession(hs *evidence.Handshake, sess *evidence.SMTPSession, versions []evidence.VersionResult) *evidence.Error {
	switch {
	case hs == nil:
		return nil
	case hs.OK:
		if sess != nil && sess.PostTLSError != nil {
			return sess.PostTLSError
		}
	case hs.Error != nil && (hs.Error.Inconclusive() || hs.Error.RemoteTLSFailure()) && choseOffered(hs.Offered, versions):
		return hs.Error
	}
	return nil
}

// choseOffered reports whether a raw hello of a TLS version saw the server
// choose one of the suite codes offered.
func choseOffered(offered []string, versions []evidence.VersionResult) bool {
	set := make(map[string]bool, len(offered))
	for _, c := range offered {
		set[normCode(c)] = true
	}
	for _, v := range versions {
		if v.Version == evidence.SSLv2 || v.Support != evidence.Supported {
			continue
		}
		for _, s := range v.Suites {
			if set[normCode(s.Code)] {
				return true
			}
		}
	}
	return false
}

// normCode writes a suite code ("0xc0, 0x2f") one way ("0xC0,0x2F").
func normCode(code string) string {
	return strings.ReplaceAll(strings.ToUpper(strings.ReplaceAll(code, " ", "")), "0X", "0x")
}

func anySupported(vs []evidence.VersionResult) bool {
	for _, v := range vs {
		if v.Support == evidence.Supported && v.Version != evidence.SSLv2 {
			return true
		}
	}
	return false
}

func allInconclusive(vs []evidence.VersionResult) bool {
	for _, v := range vs {
		if v.Support != evidence.Inconclusive && v.Support != evidence.NotTested {
			return false
		}
	}
	return true
}

// clientSuites is every suite crypto/tls can speak, secure and insecure, so
// the full handshake succeeds wherever Go can succeed at all.
func clientSuites() []uint16 {
	var ids []uint16
	for _, s := range tls.CipherSuites() {
		ids = append(ids, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		ids = append(ids, s.ID)
	}
	return ids
}

// tlsConfig is the crypto/tls client configuration of every full handshake.
func (a *Auditor) tlsConfig(sni string) *tls.Config {
	return &tls.Config{
		ServerName:         sni,
		InsecureSkipVerify: true, // the chain is judged by audit/certs, against the MX name
		MinVersion:         tls.VersionTLS10,
		MaxVersion:         tls.VersionTLS13,
		CipherSuites:       clientSuites(),
	}
}

// handshake completes a TLS handshake on conn with crypto/tls, records it,
// runs the post-TLS EHLO and QUIT, and returns the presented chain.
func (a *Auditor) handshake(ctx context.Context, conn net.Conn, sni string) (*evidence.Handshake, [][]byte, net.Conn) {
	hs := &evidence.Handshake{}
	start := time.Now()
	cfg := a.tlsConfig(sni)
	// crypto/tls lists its TLS 1.3 suites among these, and always offers them.
	for _, id := range cfg.CipherSuites {
		hs.Offered = append(hs.Offered, tlsprobe.SuiteCode(id))
	}
	tc := tls.Client(conn, cfg)
	hctx, cancel := context.WithTimeout(ctx, a.cfg.StepTimeout)
	err := tc.HandshakeContext(hctx)
	cancel()
	hs.Duration = evidence.Duration(time.Since(start))
	if err != nil {
		hs.Error = tlsError(err)
		_ = conn.Close()
		return hs, nil, nil
	}
	st := tc.ConnectionState()
	hs.OK = true
	hs.Version = versionName(st.Version)
	if s, ok := tlsprobe.SuiteByCode(st.CipherSuite); ok {
		hs.Suite = &s
	}
	hs.Group = groupName(st.CurveID)
	hs.OCSPStapled = len(st.OCSPResponse) > 0
	chain := make([][]byte, 0, len(st.PeerCertificates))
	for _, c := range st.PeerCertificates {
		chain = append(chain, c.Raw)
		hs.Chain = append(hs.Chain, certs.Decode(c.Raw))
	}
	return hs, chain, tc
}

// afterTLS finishes a TLS session politely: EHLO inside TLS, then QUIT.
func (a *Auditor) afterTLS(ctx context.Context, tc net.Conn, sess *evidence.SMTPSession) {
	if sess == nil {
		sess = &evidence.SMTPSession{}
	}
	if err := a.cfg.SMTP.AfterTLS(ctx, tc, sess); err != nil {
		// The handshake completed but the session did not survive its
		// first command: no sender can deliver over it.
		sess.PostTLSError = evidence.Classify(smtp.StepPostTLSEHLO, err)
	}
}

// postTLSTempRefusal returns the session's post-TLS error when it is a 4xx
// reply to the first command inside TLS, so that it can be confirmed.
func postTLSTempRefusal(sess *evidence.SMTPSession) *evidence.Error {
	if sess == nil {
		return nil
	}
	e := sess.PostTLSError
	if e != nil && e.Kind == evidence.ErrSMTPReject && e.Step == evidence.StepPostTLSEHLO && e.Code >= 400 && e.Code < 500 {
		return e
	}
	return nil
}

// confirmPostTLS repeats, once and after a pause, a session whose first
// command inside TLS got a 4xx reply ("421 4.7.1 Error: No client
// certificate presented" from a Postfix that requires one): refused again,
// the refusal is confirmed (Attempts 2) and the address's TLS fails; a
// refusal that clears was temporary, and the session that worked is the
// one kept. When the second session cannot be had at all, the first stays,
// unconfirmed (inconclusive).
func (a *Auditor) confirmPostTLS(ctx context.Context, ip, sni string, hs *evidence.Handshake, chain [][]byte,
	sess *evidence.SMTPSession) (*evidence.Handshake, [][]byte, *evidence.SMTPSession) {
	if !sleepFor(ctx, a.cfg.RetryBackoff) {
		return hs, chain, sess
	}
	conn, sess2, err := a.dial(ctx, ip)
	if err != nil {
		return hs, chain, sess
	}
	hs2, chain2, tc := a.handshake(ctx, conn, sni)
	if tc == nil {
		return hs, chain, sess
	}
	a.afterTLS(ctx, tc, sess2)
	if e := postTLSTempRefusal(sess2); e != nil {
		e.Attempts = sess.PostTLSError.Attempts + 1
	}
	return hs2, chain2, sess2
}

// sleepFor waits d, reporting false when ctx ended first.
func sleepFor(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// tlsError classifies a failed crypto/tls handshake: an alert from the
// server is ErrTLSAlert with its number and name, network failures keep
// their kind, and the rest is ErrTLS.
func tlsError(err error) *evidence.Error {
	if a, ok := alertOf(err); ok {
		return evidence.AlertError("handshake", a)
	}
	ev := evidence.Classify("handshake", err)
	if ev.Kind == evidence.ErrProtocol {
		ev.Kind = evidence.ErrTLS
	}
	return ev
}

// alertOf finds the alert a server sent in an error of crypto/tls: over
// TCP a *net.OpError "remote error" around the alert (tls.AlertError is
// the QUIC path's form, kept for completeness).
func alertOf(err error) (*evidence.Alert, bool) {
	var op *net.OpError
	if errors.As(err, &op) {
		if a, ok := evidence.RemoteAlert(op.Op, op.Err); ok {
			return a, true
		}
	}
	var qa tls.AlertError
	if errors.As(err, &qa) {
		return evidence.NewAlert(0, uint8(qa)), true
	}
	return nil, false
}

// cert obtains and judges the certificate ip presents for name.
func (a *Auditor) cert(ctx context.Context, ip, name string) certSet {
	a.chainsMu.Lock()
	sc, ok := a.chains[ip]
	a.chainsMu.Unlock()
	var set certSet
	var others []altChain
	if ok && sc.sni == name {
		set.primary = a.judge(name, sc.chain, sc.err, 0)
		others = sc.alts
	} else {
		conn, sess, _, err := a.dialRetry(ctx, ip)
		if err != nil {
			set.primary = &evidence.CertCheck{Name: name, CheckedAt: a.cfg.Now().UTC(), Error: evidence.Classify("smtp", err), Connections: 1}
			return set
		}
		hs, chain, tc := a.handshake(ctx, conn, name)
		if tc != nil {
			a.afterTLS(ctx, tc, sess)
		}
		set.primary = a.judge(name, chain, hs.Error, 1)
	}
	// The certificate a sender sending no server name gets is judged
	// against every MX name of the address: senders still check the name.
	if ok && sc.noSNI != nil && !sameLeaf(sc.noSNI.chain, set.primary) {
		others = append(slices.Clone(others), *sc.noSNI)
	}
	for _, o := range others {
		c := a.cfg.Verifier.Check(name, o.chain)
		c.Via = o.via
		set.others = append(set.others, c)
	}
	return set
}

// sameLeaf reports whether chain's leaf is the checked certificate's.
func sameLeaf(chain [][]byte, c *evidence.CertCheck) bool {
	return c != nil && len(chain) > 0 && len(c.Chain) > 0 && bytes.Equal(chain[0], c.Chain[0].DER)
}

// seenChain is a chain a raw hello drew, with the version of that hello.
type seenChain struct {
	version uint16
	chain   [][]byte
}

// otherChains lists the chains seen whose leaf is not primary's, newest
// version first, then by leaf, so the order does not depend on which
// parallel lane answered first.
func otherChains(primary [][]byte, seen map[[32]byte]seenChain) []altChain {
	var keys [][32]byte
	for k, sc := range seen {
		if len(primary) > 0 && bytes.Equal(sc.chain[0], primary[0]) {
			continue
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y [32]byte) int {
		return cmp.Or(cmp.Compare(seen[y].version, seen[x].version), bytes.Compare(x[:], y[:]))
	})
	var out []altChain
	for _, k := range keys {
		sc := seen[k]
		leaf := certs.Decode(sc.chain[0])
		out = append(out, altChain{via: leaf.KeyType + " key, in " + versionName(sc.version) + " hellos", chain: sc.chain})
	}
	return out
}

// noSNIChain completes one handshake without a server name, as Postfix and
// most MTAs send by default, and returns its chain when its leaf is none of
// those already seen (one connection).
func (a *Auditor) noSNIChain(ctx context.Context, ip string, primary [][]byte, alts []altChain) *altChain {
	conn, sess, err := a.dial(ctx, ip)
	if err != nil {
		return nil
	}
	hs, chain, tc := a.handshake(ctx, conn, "")
	if tc != nil {
		a.afterTLS(ctx, tc, sess)
	}
	if !hs.OK || len(chain) == 0 || (len(primary) > 0 && bytes.Equal(chain[0], primary[0])) {
		return nil
	}
	for _, o := range alts {
		if bytes.Equal(o.chain[0], chain[0]) {
			return nil
		}
	}
	return &altChain{via: "without SNI", chain: chain}
}

func (a *Auditor) judge(name string, chain [][]byte, hsErr *evidence.Error, conns int) *evidence.CertCheck {
	if len(chain) == 0 {
		msg := "no certificate obtained"
		if hsErr != nil {
			msg += ": " + hsErr.Message
		}
		return &evidence.CertCheck{Name: name, CheckedAt: a.cfg.Now().UTC(), Connections: conns,
			Error: &evidence.Error{Kind: evidence.ErrTLS, Step: "handshake", Message: msg}}
	}
	c := a.cfg.Verifier.Check(name, chain)
	c.Connections = conns
	return &c
}

func versionName(v uint16) string {
	switch v {
	case tlsprobe.VersionSSL30:
		return evidence.SSLv3
	case tls.VersionTLS10:
		return evidence.TLS10
	case tls.VersionTLS11:
		return evidence.TLS11
	case tls.VersionTLS12:
		return evidence.TLS12
	case tls.VersionTLS13:
		return evidence.TLS13
	}
	return "0x" + strconv.FormatUint(uint64(v), 16)
}

func groupName(id tls.CurveID) string {
	switch id {
	case 0:
		return ""
	case tls.X25519:
		return "x25519"
	case tls.CurveP256:
		return "secp256r1"
	case tls.CurveP384:
		return "secp384r1"
	case tls.CurveP521:
		return "secp521r1"
	}
	return id.String()
}

// policies starts the domain's MTA-STS and TLS-RPT checks and each host's
// TLSA lookup on wg; they run beside the probes and write only their own
// fields of d.
func (a *Auditor) policies(ctx context.Context, d *evidence.Domain, wg *sync.WaitGroup) {
	if !a.cfg.Policies || d.MX.Kind == evidence.MXNull || d.MX.Kind == evidence.MXError {
		return
	}
	if txt, ok := a.cfg.Resolver.(TXTResolver); ok {
		hosts := make([]string, 0, len(d.Hosts))
		for _, h := range d.Hosts {
			hosts = append(hosts, h.Name)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			d.MTASTS = mtasts.Check(ctx, txt, a.stsFetcher(), d.Domain, hosts)
		}()
		go func() {
			defer wg.Done()
			d.TLSRPT = mtasts.CheckTLSRPT(ctx, txt, d.Domain)
		}()
	}
	if tr, ok := a.cfg.Resolver.(TLSAResolver); ok {
		for hi := range d.Hosts {
			h := &d.Hosts[hi]
			if h.IPLiteral {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.TLSA = tr.TLSA(ctx, h.Name, danePort)
			}()
		}
	}
}

// posture starts the sender-authentication checks of d. They run for
// every domain, null MX and failed MX lookups included: a domain that
// receives no mail can still be forged, and RFC 7505 domains are the ones
// that should publish "v=spf1 -all".
func (a *Auditor) posture(ctx context.Context, d *evidence.Domain, wg *sync.WaitGroup) {
	if !a.cfg.Posture {
		return
	}
	pr, ok := a.cfg.Resolver.(posture.Resolver)
	if !ok {
		return
	}
	var sels []string
	if a.cfg.DKIMSelectors != nil {
		sels = a.cfg.DKIMSelectors(d.Domain)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		res := posture.Check(ctx, pr, d.Domain, sels, a.cfg.PostureConfig)
		d.SPF, d.DMARC, d.DKIM = res.SPF, res.DMARC, res.DKIM
	}()
}

// HostResolver finds the addresses of a name (the MTA-STS policy host).
type HostResolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// stsFetcher is the configured fetcher, or one that finds the policy host
// through the auditor's own resolver (so labs and tests with their own DNS
// work) and dials it on HTTPSPort. The policy host's certificate is judged
// by mtasts itself: RFC 8461 §3.3 wants a SAN match, no CN fallback.
func (a *Auditor) stsFetcher() *mtasts.Fetcher {
	if a.cfg.STSFetcher != nil {
		if a.cfg.STSFetcher.DialContext != nil {
			return a.cfg.STSFetcher // the caller dials, and answers for it
		}
		f := *a.cfg.STSFetcher
		f.DialContext = a.guardedDial
		return &f
	}
	f := &mtasts.Fetcher{Roots: a.cfg.Verifier.Roots, Now: a.cfg.Now, Proxy: a.cfg.HTTPSProxy}
	hr, ok := a.cfg.Resolver.(HostResolver)
	if !ok {
		f.DialContext = a.guardedDial
		return f
	}
	port := strconv.Itoa(a.cfg.HTTPSPort)
	f.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if !isPolicyHost(host) {
			// Not a policy host: the HTTPS proxy, found and dialled as given.
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
		ips, err := hr.LookupHost(ctx, host)
		if err != nil {
			return nil, err
		}
		dial := a.cfg.HTTPSDial
		if dial == nil {
			dial = (&net.Dialer{}).DialContext
		}
		var lastErr, refused error
		for _, ip := range ips {
			if err := a.checkAddress(ip); err != nil {
				var ev *evidence.Error
				if errors.As(err, &ev) {
					ev.Message = host + " resolves to " + ev.Message
				}
				refused = err
				continue
			}
			c, err := dial(ctx, network, net.JoinHostPort(ip, port))
			if err == nil {
				return c, nil
			}
			lastErr = err
		}
		if lastErr == nil {
			lastErr = refused
		}
		return nil, lastErr
	}
	return f
}

// isPolicyHost tells an MTA-STS policy host from the HTTPS proxy, the
// fetcher's only other destination.
func isPolicyHost(host string) bool {
	return strings.HasPrefix(host, mtasts.PolicyHost(""))
}

// guardedDial dials a policy host through the system resolver with the
// guard judging each address after resolution (net.Dialer's control hook),
// and the HTTPS proxy as configured.
func (a *Auditor) guardedDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if !isPolicyHost(host) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	d := net.Dialer{ControlContext: a.guard.Control}
	c, err := d.DialContext(ctx, network, addr)
	var refused *guard.RefusedError
	if errors.As(err, &refused) {
		return nil, evidence.Errorf(evidence.ErrPrivateAddress, "connect", "%s resolves to %s", host, refused.Reason())
	}
	return c, err
}

// matchDANE matches each address's presented chain against its host's TLSA
// records, once probes and TLSA lookups are in.
func (a *Auditor) matchDANE(d *evidence.Domain) {
	now := a.cfg.Now()
	for hi := range d.Hosts {
		h := &d.Hosts[hi]
		if h.TLSA == nil || len(h.TLSA.Records) == 0 {
			continue
		}
		for ai := range h.Addresses {
			addr := &h.Addresses[ai]
			if addr.Cert == nil || len(addr.Cert.Chain) == 0 {
				continue // no chain: DANE not tested for this address
			}
			chain := make([][]byte, 0, len(addr.Cert.Chain))
			for _, c := range addr.Cert.Chain {
				chain = append(chain, c.DER)
			}
			addr.DANE = dane.Match(h.TLSA.Records, h.TLSA.Lookup.DNSSEC, chain, h.Name, now)
			// DANE must hold for every certificate a sender can be given:
			// a TLSA set that covers only the RSA key fails ECDSA senders.
			// The other certificates are shared with every domain using
			// this (address, MX name): the match is this domain's own.
			addr.OtherCerts = slices.Clone(addr.OtherCerts)
			for oi := range addr.OtherCerts {
				oc := &addr.OtherCerts[oi]
				var der [][]byte
				for _, c := range oc.Chain {
					der = append(der, c.DER)
				}
				if len(der) > 0 {
					oc.DANE = dane.Match(h.TLSA.Records, h.TLSA.Lookup.DNSSEC, der, h.Name, now)
				}
			}
		}
	}
}
