package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Fetch defaults (RFC 8461 §3.3 suggests a one-minute timeout and a
// 64-kilobyte policy).
const (
	DefaultTimeout = time.Minute
	DefaultMaxSize = 64 << 10
)

// maxHeaderBytes caps the response headers of a policy host.
const maxHeaderBytes = 16 << 10

// policyHostPrefix and wellKnownPath make the policy URL (RFC 8461 §3.2).
const (
	policyHostPrefix = "mta-sts."
	wellKnownPath    = "/.well-known/mta-sts.txt"
	httpsPort        = "443"
)

// mediaTypeText is the media type RFC 8461 §3.2 asks the policy to have.
const mediaTypeText = "text/plain"

// userAgent identifies the fetch to the policy host.
const userAgent = "mxaudit (MTA-STS policy check)"

// Step names of fetch failures.
const (
	stepConnect   = "connect"
	stepHandshake = "handshake"
	stepHTTP      = "http"
	stepBody      = "body"
	stepDomain    = "domain"
)

// Fetcher fetches MTA-STS policies over HTTPS as RFC 8461 §3.3 tells
// senders to: SNI and a certificate valid for mta-sts.<domain>, no
// redirects, no proxies, no caching, only status 200, a bounded time and
// size. The zero value is ready to use.
type Fetcher struct {
	// Roots is the trust store for the policy host; nil means the system roots.
	Roots *x509.CertPool
	// Verify, when set, judges the policy host's chain (leaf first, DER)
	// for the host name instead of the built-in check against Roots, so the
	// same judgement as for MX certificates can be used. The policy is
	// refused unless the result is trusted, names the host, and is neither
	// expired nor not yet valid.
	Verify func(name string, chain [][]byte) evidence.CertCheck
	// Timeout bounds the whole fetch (connect, handshake, request, body);
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxSize is the largest policy accepted, in bytes; 0 means DefaultMaxSize.
	MaxSize int64
	// DialContext opens the TCP connection to host:443; nil means a
	// net.Dialer. Tests use it to reach a loopback server.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (f *Fetcher) timeout() time.Duration {
	if f == nil || f.Timeout <= 0 {
		return DefaultTimeout
	}
	return f.Timeout
}

func (f *Fetcher) maxSize() int64 {
	if f == nil || f.MaxSize <= 0 {
		return DefaultMaxSize
	}
	return f.MaxSize
}

func (f *Fetcher) now() time.Time {
	if f == nil || f.Now == nil {
		return time.Now()
	}
	return f.Now()
}

func (f *Fetcher) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if f != nil && f.DialContext != nil {
		return f.DialContext(ctx, network, addr)
	}
	d := net.Dialer{Timeout: f.timeout()}
	return d.DialContext(ctx, network, addr)
}

func (f *Fetcher) judge(name string, chain [][]byte) evidence.CertCheck {
	if f != nil && f.Verify != nil {
		return f.Verify(name, chain)
	}
	var roots *x509.CertPool
	if f != nil {
		roots = f.Roots
	}
	return judgeCert(roots, name, chain, f.now())
}

// PolicyHost returns the policy host of a domain, mta-sts.<domain>.
func PolicyHost(domain string) string {
	return policyHostPrefix + normName(domain)
}

// PolicyURL returns the URL of a domain's MTA-STS policy.
func PolicyURL(domain string) string {
	return "https://" + PolicyHost(domain) + wellKnownPath
}

// certSlot keeps the certificate check made inside the transport's dial,
// which may still run after the request has been abandoned.
type certSlot struct {
	mu    sync.Mutex
	check *evidence.CertCheck
}

func (s *certSlot) set(c evidence.CertCheck) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.check = &c
}

func (s *certSlot) get() *evidence.CertCheck {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.check
}

// Fetch gets https://mta-sts.<domain>/.well-known/mta-sts.txt and records
// what happened. A certificate a sender would refuse aborts the fetch before
// the request is sent (Error has step "certificate", Cert says why). A
// status other than 200 is an error, and a redirect is recorded but not
// followed. A body larger than MaxSize is an error with Truncated set and
// Body holding the first MaxSize bytes. Size is len(Body). The media type is
// recorded, not judged here. The whole fetch is bounded by ctx and Timeout.
func (f *Fetcher) Fetch(ctx context.Context, domain string) *evidence.PolicyFetch {
	start := f.now()
	host := PolicyHost(domain)
	out := &evidence.PolicyFetch{URL: PolicyURL(domain), FetchedAt: start.UTC()}
	defer func() { out.Duration = evidence.Duration(f.now().Sub(start)) }()
	if err := checkDomain(host); err != nil {
		out.Error = evidence.Errorf(evidence.ErrInternal, stepDomain, "cannot fetch a policy for %q: %v", domain, err)
		return out
	}

	ctx, cancel := context.WithTimeout(ctx, f.timeout())
	defer cancel()
	slot := &certSlot{}
	tr := &http.Transport{
		Proxy: nil,
		DialTLSContext: func(_ context.Context, network, addr string) (net.Conn, error) {
			// The fetch's own context, not the transport's: the dial must
			// end with the caller's deadline and our timeout.
			return f.dialTLS(ctx, slot, host, network, addr)
		},
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: maxHeaderBytes,
		ResponseHeaderTimeout:  f.timeout(),
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: f.timeout(),
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, out.URL, nil)
	if err != nil {
		out.Error = evidence.Errorf(evidence.ErrInternal, stepHTTP, "build request: %v", err)
		return out
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	out.Cert = slot.get()
	if err != nil {
		out.Error = evidence.Classify(stepHTTP, err)
		return out
	}
	defer resp.Body.Close()
	out.StatusCode = resp.StatusCode
	out.ContentType = resp.Header.Get("Content-Type")
	out.Location = resp.Header.Get("Location")
	if resp.StatusCode != http.StatusOK {
		if out.Location != "" {
			out.Error = evidence.Errorf(evidence.ErrProtocol, stepHTTP, "status %d redirects to %q: redirects must not be followed", resp.StatusCode, out.Location)
		} else {
			out.Error = evidence.Errorf(evidence.ErrProtocol, stepHTTP, "status %d: a policy is only valid with status 200", resp.StatusCode)
		}
		return out
	}
	limit := f.maxSize()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if int64(len(body)) > limit {
		body = body[:limit]
		out.Truncated = true
	}
	out.Body = string(body)
	out.Size = len(body)
	switch {
	case err != nil:
		out.Error = evidence.Classify(stepBody, err)
	case out.Truncated:
		out.Error = evidence.Errorf(evidence.ErrTooLong, stepBody, "policy larger than %d bytes", limit)
	}
	return out
}

// dialTLS connects to the policy host, shakes hands with SNI = host and
// judges the certificate; a certificate a sender would refuse closes the
// connection before any request is sent.
func (f *Fetcher) dialTLS(ctx context.Context, slot *certSlot, host, network, addr string) (net.Conn, error) {
	raw, err := f.dial(ctx, network, addr)
	if err != nil {
		return nil, evidence.Classify(stepConnect, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		if err := raw.SetDeadline(dl); err != nil {
			raw.Close()
			return nil, evidence.Classify(stepConnect, err)
		}
	}
	// Verification is ours, below, so that a refused certificate is still
	// recorded with every reason at once.
	conn := tls.Client(raw, &tls.Config{ServerName: host, InsecureSkipVerify: true})
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, handshakeError(err)
	}
	var chain [][]byte
	for _, c := range conn.ConnectionState().PeerCertificates {
		chain = append(chain, c.Raw)
	}
	check := f.judge(host, chain)
	slot.set(check)
	if why := rejection(check); why != "" {
		conn.Close()
		return nil, evidence.Errorf(evidence.ErrTLS, stepCertificate, "certificate of %s refused: %s", host, why)
	}
	return conn, nil
}

// handshakeError classifies a TLS handshake failure: network failures keep
// their kind, an alert from the server is ErrTLSAlert, the rest ErrTLS.
func handshakeError(err error) *evidence.Error {
	e := evidence.Classify(stepHandshake, err)
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		e.Kind = evidence.ErrTLSAlert
	} else if e.Kind == evidence.ErrProtocol {
		e.Kind = evidence.ErrTLS
	}
	return e
}

// mediaTypeProblem says what is wrong with a policy's Content-Type, or "".
// RFC 8461 §3.2: senders SHOULD check for text/plain; parameters other than
// the charset are ignored.
func mediaTypeProblem(contentType string) string {
	if contentType == "" {
		return "no Content-Type: senders that check the media type expect " + mediaTypeText
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Sprintf("Content-Type %q does not parse: %v", contentType, err)
	}
	if mt != mediaTypeText {
		return fmt.Sprintf("media type %s, not %s: senders that check it ignore the policy", mt, mediaTypeText)
	}
	return ""
}
