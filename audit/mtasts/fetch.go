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
	"net/url"
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
// redirects, no caching, only status 200, a bounded time and size. The
// zero value is ready to use and connects directly.
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
	// DialContext opens the TCP connection to host:443, or to the proxy
	// when Proxy names one; nil means a net.Dialer. Tests use it to reach a
	// loopback server.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Proxy, when set, chooses the proxy for the policy request, as
	// http.Transport's Proxy does (http.ProxyFromEnvironment or
	// http.ProxyURL fit); nil, or a nil URL, means a direct connection. Only
	// http:// proxy URLs are supported, optionally with user:password
	// (sent as Proxy-Authorization Basic); the TLS handshake and the
	// certificate judgement stay ours, end to end through a CONNECT tunnel.
	// The environment is never read unless this function reads it.
	Proxy func(*http.Request) (*url.URL, error)
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

// handover gives the transport the connection Fetch has already opened,
// once. Dialling before the request, not inside the transport, makes every
// connect, proxy, handshake and certificate failure come back as it
// happened rather than as the request's deadline.
type handover struct {
	mu   sync.Mutex
	addr string
	conn net.Conn
}

// take is the transport's DialTLSContext.
func (h *handover) take(_ context.Context, _, addr string) (net.Conn, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if addr != h.addr {
		return nil, evidence.Errorf(evidence.ErrInternal, stepHTTP, "transport asked for %s, not %s", addr, h.addr)
	}
	if h.conn == nil {
		return nil, evidence.Errorf(evidence.ErrInternal, stepHTTP, "transport asked for a second connection to %s", addr)
	}
	c := h.conn
	h.conn = nil
	return c, nil
}

// close closes the connection if the transport never took it.
func (h *handover) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn != nil {
		h.conn.Close()
		h.conn = nil
	}
}

// Fetch gets https://mta-sts.<domain>/.well-known/mta-sts.txt and records
// what happened. A certificate a sender would refuse aborts the fetch before
// the request is sent (Error has step "certificate", Cert says why). A
// status other than 200 is an error, and a redirect is recorded but not
// followed. A body larger than MaxSize is an error with Truncated set and
// Body holding the first MaxSize bytes. Size is len(Body). The media type is
// recorded, not judged here. The whole fetch is bounded by ctx and Timeout.
//
// When Proxy names a proxy, the connection goes through it with CONNECT and
// everything else is as above; a failure to reach or talk to the proxy has
// step "proxy" and a message that names it.
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, out.URL, nil)
	if err != nil {
		out.Error = evidence.Errorf(evidence.ErrInternal, stepHTTP, "build request: %v", err)
		return out
	}
	req.Header.Set("User-Agent", userAgent)
	proxy, perr := f.proxyFor(req)
	if perr != nil {
		out.Error = perr
		return out
	}
	if proxy != nil {
		out.Proxy = proxy.addr
	}
	addr := net.JoinHostPort(host, httpsPort)
	conn, check, derr := f.dialTLS(ctx, proxy, host, addr)
	out.Cert = check
	if derr != nil {
		out.Error = derr
		return out
	}
	h := &handover{addr: addr, conn: conn}
	defer h.close()
	tr := &http.Transport{
		// Proxying, if any, was done by dialTLS: the transport only
		// speaks HTTP over the connection it is handed.
		Proxy:                  nil,
		DialTLSContext:         h.take,
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
	resp, err := client.Do(req)
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

// dialTLS connects to the policy host at addr, directly or through proxy
// (nil: direct), shakes hands with SNI = host and judges the certificate.
// The check is returned whenever a chain was received; a certificate a
// sender would refuse closes the connection before any request is sent.
func (f *Fetcher) dialTLS(ctx context.Context, proxy *proxyTarget, host, addr string) (net.Conn, *evidence.CertCheck, *evidence.Error) {
	var raw net.Conn
	if proxy != nil {
		c, e := f.dialProxy(ctx, proxy, addr)
		if e != nil {
			return nil, nil, e
		}
		raw = c
	} else {
		c, err := f.dial(ctx, "tcp", addr)
		if err != nil {
			return nil, nil, evidence.Classify(stepConnect, err)
		}
		raw = c
		if dl, ok := ctx.Deadline(); ok {
			if err := raw.SetDeadline(dl); err != nil {
				raw.Close()
				return nil, nil, evidence.Classify(stepConnect, err)
			}
		}
	}
	// Verification is ours, below, so that a refused certificate is still
	// recorded with every reason at once.
	conn := tls.Client(raw, &tls.Config{ServerName: host, InsecureSkipVerify: true})
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, nil, handshakeError(err)
	}
	var chain [][]byte
	for _, c := range conn.ConnectionState().PeerCertificates {
		chain = append(chain, c.Raw)
	}
	check := f.judge(host, chain)
	if why := rejection(check); why != "" {
		conn.Close()
		return nil, &check, evidence.Errorf(evidence.ErrTLS, stepCertificate, "certificate of %s refused: %s", host, why)
	}
	return conn, &check, nil
}

// handshakeError classifies a TLS handshake failure: network failures keep
// their kind, an alert from the server is ErrTLSAlert with its number and
// name, the rest ErrTLS.
func handshakeError(err error) *evidence.Error {
	e := evidence.Classify(stepHandshake, err)
	var op *net.OpError
	if errors.As(err, &op) && op.Op == evidence.GoRemoteError {
		if a, ok := evidence.RemoteAlert(op.Op, op.Err); ok {
			return evidence.AlertError(stepHandshake, a)
		}
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
