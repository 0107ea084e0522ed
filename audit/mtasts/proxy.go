package mtasts

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// stepProxy is the step name of every failure to reach or talk to the
// proxy; it equals evidence.StepProxy in the evidence contract.
const stepProxy = "proxy"

// schemeHTTP is the only proxy scheme supported: a plain-HTTP proxy that
// opens a tunnel with CONNECT, inside which the TLS handshake stays ours.
const schemeHTTP = "http"

// defaultProxyPort is the port of an http:// proxy URL that names none.
const defaultProxyPort = "80"

// maxProxyAnswerBytes caps what is read of the proxy's answer to CONNECT
// (status line and headers).
const maxProxyAnswerBytes = 16 << 10

// proxyReadBuffer is the read buffer for the proxy's answer; bytes read past
// the answer are handed to the TLS client, so it may be small.
const proxyReadBuffer = 4 << 10

// Caps on text from the proxy (or about it) copied into the evidence.
const (
	maxProxyStatusLen = 100
	maxProxyDetailLen = 200
	capMarker         = "..."
)

// pastDeadlineUnix is a deadline (Unix seconds) long passed: setting it
// interrupts a blocked read or write at once.
const pastDeadlineUnix = 1

// answerTooLongError reports a CONNECT answer longer than maxProxyAnswerBytes.
type answerTooLongError struct{}

func (answerTooLongError) Error() string { return "answer to CONNECT too long" }

// proxyTarget is a validated proxy: where to dial it and what to send.
type proxyTarget struct {
	addr string // host:port of the proxy
	auth string // Proxy-Authorization value, "" for none
}

// proxyFor asks f.Proxy which proxy the request goes through; nil means
// direct. A proxy that cannot be used is an ErrInternal at step "proxy":
// the scanner's configuration, not the domain, is at fault.
func (f *Fetcher) proxyFor(req *http.Request) (*proxyTarget, *evidence.Error) {
	if f == nil || f.Proxy == nil {
		return nil, nil
	}
	u, err := f.Proxy(req)
	if err != nil {
		return nil, evidence.Errorf(evidence.ErrInternal, stepProxy, "proxy for %s: %s", req.URL, sanitize(err.Error(), maxProxyDetailLen))
	}
	if u == nil {
		return nil, nil
	}
	return parseProxyURL(u)
}

// parseProxyURL checks a proxy URL and turns it into a proxyTarget. The
// password never appears in an error message.
func parseProxyURL(u *url.URL) (*proxyTarget, *evidence.Error) {
	shown := sanitize(u.Redacted(), maxProxyDetailLen)
	if !strings.EqualFold(u.Scheme, schemeHTTP) {
		return nil, evidence.Errorf(evidence.ErrInternal, stepProxy,
			"proxy %s: scheme %q is not supported: only http:// proxies, which tunnel with CONNECT", shown, sanitize(u.Scheme, maxProxyDetailLen))
	}
	if u.Hostname() == "" {
		return nil, evidence.Errorf(evidence.ErrInternal, stepProxy, "proxy %s: no host", shown)
	}
	port := u.Port()
	if port == "" {
		port = defaultProxyPort
	}
	p := &proxyTarget{addr: net.JoinHostPort(u.Hostname(), port)}
	if u.User != nil {
		pass, _ := u.User.Password()
		p.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass))
	}
	return p, nil
}

// dialProxy connects to the proxy and opens a tunnel to target (host:port)
// with CONNECT. The connection's deadline is that of ctx; cancelling ctx
// interrupts the exchange. Every failure has step "proxy" and names the
// proxy.
func (f *Fetcher) dialProxy(ctx context.Context, p *proxyTarget, target string) (net.Conn, *evidence.Error) {
	raw, err := f.dial(ctx, "tcp", p.addr)
	if err != nil {
		e := proxyError(p.addr, "connect", ctxErrOr(ctx, err))
		var dnsErr *net.DNSError
		if e.Kind == evidence.ErrProtocol && errors.As(err, &dnsErr) {
			// A proxy name that does not resolve is a proxy we cannot
			// reach, whatever the domain.
			e.Kind = evidence.ErrUnreach
		}
		return nil, e
	}
	conn, e := tunnel(ctx, raw, p, target)
	if e != nil {
		raw.Close()
		return nil, e
	}
	return conn, nil
}

// tunnel sends CONNECT target over raw and reads the proxy's answer; on
// status 200 the returned connection carries the tunnel, starting with any
// bytes the proxy sent after its answer.
func tunnel(ctx context.Context, raw net.Conn, p *proxyTarget, target string) (net.Conn, *evidence.Error) {
	if dl, ok := ctx.Deadline(); ok {
		if err := raw.SetDeadline(dl); err != nil {
			return nil, proxyError(p.addr, "connect", err)
		}
	}
	stop := context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(pastDeadlineUnix, 0)) })
	defer stop()
	req := connectRequest(target, p.auth)
	if err := req.Write(raw); err != nil {
		return nil, proxyError(p.addr, "send CONNECT "+target, ctxErrOr(ctx, err))
	}
	ans, err := readConnectAnswer(raw, req)
	switch {
	case errors.As(err, new(answerTooLongError)):
		return nil, evidence.Errorf(evidence.ErrTooLong, stepProxy, "proxy %s: answer to CONNECT %s longer than %d bytes", p.addr, target, maxProxyAnswerBytes)
	case err != nil:
		return nil, proxyError(p.addr, "answer to CONNECT "+target, ctxErrOr(ctx, err))
	case ans.code != http.StatusOK:
		return nil, evidence.Errorf(proxyStatusKind(ans.code), stepProxy, "proxy %s answered CONNECT %s with %q", p.addr, target, ans.status)
	}
	if !stop() {
		// ctx ended during the exchange and the deadline is now past.
		return nil, proxyError(p.addr, "answer to CONNECT "+target, ctx.Err())
	}
	if len(ans.leftover) == 0 {
		return raw, nil
	}
	return &prefixedConn{Conn: raw, r: io.MultiReader(bytes.NewReader(ans.leftover), raw)}, nil
}

// connectRequest is the CONNECT request for target, with a
// Proxy-Authorization header when auth is not "".
func connectRequest(target, auth string) *http.Request {
	h := http.Header{"User-Agent": {userAgent}}
	if auth != "" {
		h.Set("Proxy-Authorization", auth)
	}
	return &http.Request{
		Method:     http.MethodConnect,
		URL:        &url.URL{Opaque: target},
		Host:       target,
		Header:     h,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
	}
}

// connectAnswer is the proxy's answer to CONNECT.
type connectAnswer struct {
	code     int    // status code
	status   string // status code and reason, sanitized and capped
	leftover []byte // bytes read past the answer: the start of the tunnel
}

// readConnectAnswer reads the proxy's answer to req from r, reading at most
// maxProxyAnswerBytes; a longer answer is an answerTooLongError. The body of
// the answer is never read.
func readConnectAnswer(r io.Reader, req *http.Request) (*connectAnswer, error) {
	lr := &io.LimitedReader{R: r, N: maxProxyAnswerBytes}
	br := bufio.NewReaderSize(lr, proxyReadBuffer)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		if lr.N <= 0 {
			return nil, answerTooLongError{}
		}
		return nil, err
	}
	if resp.ProtoMajor != 1 {
		return nil, fmt.Errorf("answer in %s, not HTTP/1.x", sanitize(resp.Proto, maxProxyStatusLen))
	}
	ans := &connectAnswer{code: resp.StatusCode, status: sanitize(resp.Status, maxProxyStatusLen)}
	if n := br.Buffered(); n > 0 {
		buf, _ := br.Peek(n)
		ans.leftover = bytes.Clone(buf)
	}
	return ans, nil
}

// proxyStatusKind classifies a proxy's refusal of CONNECT. 403 and 407 come
// from the scanner's own proxy whatever the domain (its rules, our
// credentials): ErrInternal, so no finding blames the domain. 502, 503 and
// 504 say the proxy could not reach the policy host, as a failed direct
// connection would. Anything else breaks the protocol.
func proxyStatusKind(code int) evidence.ErrorKind {
	switch code {
	case http.StatusForbidden, http.StatusProxyAuthRequired:
		return evidence.ErrInternal
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return evidence.ErrUnreach
	case http.StatusGatewayTimeout:
		return evidence.ErrTimeout
	}
	return evidence.ErrProtocol
}

// proxyError classifies a failure to reach or talk to the proxy at the
// given stage. Timeouts and cancellations read the same whatever the
// socket said, so the message does not carry local port numbers.
func proxyError(addr, stage string, err error) *evidence.Error {
	e := evidence.Classify(stepProxy, err)
	detail := err.Error()
	switch e.Kind {
	case evidence.ErrTimeout:
		detail = "timed out"
	case evidence.ErrCanceled:
		detail = "canceled"
	}
	e.Step = stepProxy
	e.Message = fmt.Sprintf("proxy %s: %s: %s", addr, stage, sanitize(detail, maxProxyDetailLen))
	return e
}

// ctxErrOr returns ctx's error once ctx has ended (the deadline set from it
// or our interruption caused err), else err.
func ctxErrOr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

// sanitize makes remote or configured text safe for the evidence: bytes
// outside printable ASCII become '?', and text longer than limit bytes is
// cut and marked.
func sanitize(s string, limit int) string {
	cut := len(s) > limit
	if cut {
		s = s[:limit]
	}
	b := []byte(s)
	for i, c := range b {
		if c < ' ' || c > '~' {
			b[i] = '?'
		}
	}
	if cut {
		return string(b) + capMarker
	}
	return string(b)
}

// prefixedConn is a connection whose reads start with bytes already read
// from it.
type prefixedConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixedConn) Read(p []byte) (int, error) {
	return c.r.Read(p)
}
