package mtasts

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Loopback addresses of the test proxies.
const (
	proxyAddr   = "127.0.0.90:0"
	deadProxyIP = "127.0.0.91"
)

// proxyBehaviour is how the test proxy answers a CONNECT.
type proxyBehaviour int

const (
	proxyForward       proxyBehaviour = iota // 200, then bytes both ways to the policy server
	proxyAnswer                              // the raw answer text, then close
	proxySilent                              // read the CONNECT, never answer
	proxyEndlessHeader                       // a 200 status line, then header lines without end
	proxyEndlessLine                         // a status line without end
	proxyHangUp                              // close without a word
)

// endlessBytes bounds what an "endless" proxy writes: far more than
// maxProxyAnswerBytes, still a bounded loop.
const endlessBytes = 1 << 20

// padLine is one header line of the endless-header proxy.
const padLine = "X-Pad: 0123456789012345678901234567890123456789012345678901234\r\n"

// Answers and credentials of the test proxies.
const (
	answer407   = "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n"
	answer200   = "HTTP/1.1 200 Connection established\r\n\r\n"
	proxyUser   = "audit"
	proxyPass   = "p@ss:word"
	proxyAuthOK = "Basic YXVkaXQ6cEBzczp3b3Jk" // base64("audit:p@ss:word")
	wrongAuth   = "Basic YXVkaXQ6d3Jvbmc="     // base64("audit:wrong")
	goodTarget  = "mta-sts.good.example:443"
)

// proxySpec says how a test proxy behaves.
type proxySpec struct {
	behaviour proxyBehaviour
	answer    string // for proxyAnswer
	needAuth  string // required Proxy-Authorization value; "" for none
}

// connectProxy is a minimal HTTP CONNECT proxy on loopback that forwards
// every tunnel to the fake policy server and records what it was asked.
type connectProxy struct {
	proxySpec
	upstream string // the policy server's address

	ln   net.Listener
	addr string
	wg   sync.WaitGroup

	mu       sync.Mutex
	connects []string // CONNECT targets
	auths    []string // Proxy-Authorization values received
	conns    map[net.Conn]struct{}
	closed   bool
}

func (cp *connectProxy) start(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", proxyAddr)
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
	}
	cp.ln, cp.addr, cp.conns = ln, ln.Addr().String(), map[net.Conn]struct{}{}
	cp.wg.Add(1)
	go cp.accept()
	t.Cleanup(cp.stop)
}

func (cp *connectProxy) stop() {
	cp.ln.Close()
	cp.mu.Lock()
	cp.closed = true
	for c := range cp.conns {
		c.Close()
	}
	cp.mu.Unlock()
	cp.wg.Wait()
}

// track registers a connection to be closed by stop; false once stopped.
func (cp *connectProxy) track(c net.Conn) bool {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.closed {
		return false
	}
	cp.conns[c] = struct{}{}
	return true
}

func (cp *connectProxy) accept() {
	defer cp.wg.Done()
	for {
		c, err := cp.ln.Accept()
		if err != nil {
			return
		}
		if !cp.track(c) {
			c.Close()
			return
		}
		cp.wg.Add(1)
		go func() {
			defer cp.wg.Done()
			defer c.Close()
			cp.serve(c)
		}()
	}
}

func (cp *connectProxy) serve(c net.Conn) {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	cp.mu.Lock()
	cp.connects = append(cp.connects, req.Method+" "+req.RequestURI)
	cp.auths = append(cp.auths, req.Header.Get("Proxy-Authorization"))
	cp.mu.Unlock()
	if cp.needAuth != "" && req.Header.Get("Proxy-Authorization") != cp.needAuth {
		_, _ = io.WriteString(c, answer407)
		return
	}
	switch cp.behaviour {
	case proxyForward:
		cp.forward(c, br, req.RequestURI)
	case proxyAnswer:
		_, _ = io.WriteString(c, cp.answer)
	case proxySilent:
		_, _ = io.Copy(io.Discard, br)
	case proxyEndlessHeader:
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		for n := 0; n < endlessBytes; n += len(padLine) {
			if _, err := io.WriteString(c, padLine); err != nil {
				return
			}
		}
	case proxyEndlessLine:
		_, _ = io.WriteString(c, "HTTP/1.1 200 ")
		chunk := strings.Repeat("x", len(padLine))
		for n := 0; n < endlessBytes; n += len(chunk) {
			if _, err := io.WriteString(c, chunk); err != nil {
				return
			}
		}
	case proxyHangUp:
	}
}

// forward answers 200 and copies bytes both ways between the client and
// the policy server until either side closes.
func (cp *connectProxy) forward(c net.Conn, br *bufio.Reader, target string) {
	if target != goodTarget && !strings.HasPrefix(target, policyHostPrefix) {
		_, _ = io.WriteString(c, "HTTP/1.1 403 Forbidden\r\n\r\n")
		return
	}
	up, err := net.Dial("tcp", cp.upstream)
	if err != nil {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	if !cp.track(up) {
		up.Close()
		return
	}
	defer up.Close()
	if _, err := io.WriteString(c, answer200); err != nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(c, up)
		c.Close()
	}()
	_, _ = io.Copy(up, br)
	up.Close()
	<-done
}

func (cp *connectProxy) seen() (connects, auths []string) {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return append([]string(nil), cp.connects...), append([]string(nil), cp.auths...)
}

// dialLog records the addresses a Fetcher dialled and refuses all but one.
type dialLog struct {
	allow string
	fail  error // returned for every other address; nil: an AddrError
	mu    sync.Mutex
	addrs []string
}

func (d *dialLog) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.addrs = append(d.addrs, addr)
	d.mu.Unlock()
	if addr != d.allow && d.fail != nil {
		return nil, d.fail
	}
	if addr != d.allow {
		return nil, &net.AddrError{Err: "test dialer only reaches the proxy", Addr: addr}
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

func (d *dialLog) dialed() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

// proxiedFetcher returns a Fetcher whose only reachable address is allow
// and whose Proxy always returns u.
func proxiedFetcher(fx *fixture, u *url.URL, allow string) (*Fetcher, *dialLog) {
	f := fx.server.fetcher(fx.ca.pool())
	log := &dialLog{allow: allow}
	f.DialContext = log.dial
	f.Proxy = http.ProxyURL(u)
	return f, log
}

func TestFetchViaProxy(t *testing.T) {
	fx := newFixture(t)
	direct := map[string]*evidence.PolicyFetch{}
	for _, d := range []string{"good.example", "untrusted.example"} {
		direct[d] = fx.server.fetcher(fx.ca.pool()).Fetch(context.Background(), d)
	}
	wantDirectCert := func(t *testing.T, got *evidence.PolicyFetch, domain string) {
		t.Helper()
		if got.Cert == nil || !reflect.DeepEqual(got.Cert, direct[domain].Cert) {
			t.Fatalf("cert via proxy = %+v\ndirect = %+v", got.Cert, direct[domain].Cert)
		}
	}
	tests := []struct {
		name      string
		proxy     proxySpec
		user      *url.Userinfo
		domain    string
		timeout   time.Duration
		wantAuth  string
		wantServe int // requests the policy server answered
		check     func(t *testing.T, got *evidence.PolicyFetch, addr string)
	}{
		{
			name:      "tunnel",
			proxy:     proxySpec{behaviour: proxyForward},
			domain:    "good.example",
			wantServe: 1,
			check: func(t *testing.T, got *evidence.PolicyFetch, _ string) {
				wantOK(t, got, 200, "text/plain; charset=utf-8", validPolicy)
				wantCert(t, got.Cert, "mta-sts.good.example", true, true, false)
				wantDirectCert(t, got, "good.example")
			},
		},
		{
			name:   "refused certificate aborts before the request",
			proxy:  proxySpec{behaviour: proxyForward},
			domain: "untrusted.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, _ string) {
				wantError(t, got, evidence.ErrTLS, stepCertificate, "certificate of mta-sts.untrusted.example refused: not trusted: x509: certificate signed by unknown authority")
				if !reflect.DeepEqual(got.Error, direct["untrusted.example"].Error) {
					t.Fatalf("error via proxy %+v, direct %+v", got.Error, direct["untrusted.example"].Error)
				}
				wantDirectCert(t, got, "untrusted.example")
				if got.StatusCode != 0 || got.Body != "" {
					t.Fatalf("a request was answered: status %d", got.StatusCode)
				}
			},
		},
		{
			name:      "policy host hangs inside the tunnel",
			proxy:     proxySpec{behaviour: proxyForward},
			domain:    "hang.example",
			timeout:   300 * time.Millisecond,
			wantServe: 1,
			check: func(t *testing.T, got *evidence.PolicyFetch, _ string) {
				if got.Error == nil || got.Error.Kind != evidence.ErrTimeout || got.Error.Step != stepHTTP {
					t.Fatalf("error = %+v, want a timeout at step http", got.Error)
				}
				wantCert(t, got.Cert, "mta-sts.hang.example", true, true, false)
			},
		},
		{
			name:      "credentials accepted",
			proxy:     proxySpec{behaviour: proxyForward, needAuth: proxyAuthOK},
			user:      url.UserPassword(proxyUser, proxyPass),
			domain:    "good.example",
			wantAuth:  proxyAuthOK,
			wantServe: 1,
			check: func(t *testing.T, got *evidence.PolicyFetch, _ string) {
				wantOK(t, got, 200, "text/plain; charset=utf-8", validPolicy)
				wantDirectCert(t, got, "good.example")
			},
		},
		{
			name:   "credentials missing",
			proxy:  proxySpec{behaviour: proxyForward, needAuth: proxyAuthOK},
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrInternal, stepProxy, "proxy "+addr+` answered CONNECT mta-sts.good.example:443 with "407 Proxy Authentication Required"`)
			},
		},
		{
			name:     "credentials wrong",
			proxy:    proxySpec{behaviour: proxyForward, needAuth: proxyAuthOK},
			user:     url.UserPassword(proxyUser, "wrong"),
			domain:   "good.example",
			wantAuth: wrongAuth,
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrInternal, stepProxy, "proxy "+addr+` answered CONNECT mta-sts.good.example:443 with "407 Proxy Authentication Required"`)
				if strings.Contains(got.Error.Message, "wrong") {
					t.Fatalf("password in the evidence: %q", got.Error.Message)
				}
			},
		},
		{
			name:   "forbidden",
			proxy:  proxySpec{behaviour: proxyAnswer, answer: "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"},
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrInternal, stepProxy, "proxy "+addr+` answered CONNECT mta-sts.good.example:443 with "403 Forbidden"`)
			},
		},
		{
			name:   "bad gateway",
			proxy:  proxySpec{behaviour: proxyAnswer, answer: "HTTP/1.1 502 Bad Gateway\r\n\r\n"},
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrUnreach, stepProxy, "proxy "+addr+` answered CONNECT mta-sts.good.example:443 with "502 Bad Gateway"`)
			},
		},
		{
			name:   "gateway timeout",
			proxy:  proxySpec{behaviour: proxyAnswer, answer: "HTTP/1.0 504 Gateway Timeout\r\n\r\n"},
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrTimeout, stepProxy, "proxy "+addr+` answered CONNECT mta-sts.good.example:443 with "504 Gateway Timeout"`)
			},
		},
		{
			name:   "other success status",
			proxy:  proxySpec{behaviour: proxyAnswer, answer: "HTTP/1.1 204 No Content\r\n\r\n"},
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrProtocol, stepProxy, "proxy "+addr+` answered CONNECT mta-sts.good.example:443 with "204 No Content"`)
			},
		},
		{
			name:   "control bytes in the status line",
			proxy:  proxySpec{behaviour: proxyAnswer, answer: "HTTP/1.1 403 Den\x1b[31mied\x7f\r\n\r\n"},
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrInternal, stepProxy, "proxy "+addr+` answered CONNECT mta-sts.good.example:443 with "403 Den?[31mied?"`)
			},
		},
		{
			name:   "long status line",
			proxy:  proxySpec{behaviour: proxyAnswer, answer: "HTTP/1.1 400 " + strings.Repeat("y", 500) + "\r\n\r\n"},
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				want := "400 " + strings.Repeat("y", maxProxyStatusLen-len("400 ")) + capMarker
				wantError(t, got, evidence.ErrProtocol, stepProxy, "proxy "+addr+" answered CONNECT mta-sts.good.example:443 with \""+want+"\"")
			},
		},
		{
			name:   "not HTTP",
			proxy:  proxySpec{behaviour: proxyAnswer, answer: "SSH-2.0-OpenSSH_9.6\r\n"},
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrProtocol, stepProxy, "proxy "+addr+`: answer to CONNECT mta-sts.good.example:443: malformed HTTP response "SSH-2.0-OpenSSH_9.6"`)
			},
		},
		{
			name:    "never answers",
			proxy:   proxySpec{behaviour: proxySilent},
			domain:  "good.example",
			timeout: 300 * time.Millisecond,
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrTimeout, stepProxy, "proxy "+addr+": answer to CONNECT mta-sts.good.example:443: timed out")
			},
		},
		{
			name:   "endless header",
			proxy:  proxySpec{behaviour: proxyEndlessHeader},
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrTooLong, stepProxy, fmt.Sprintf("proxy %s: answer to CONNECT mta-sts.good.example:443 longer than %d bytes", addr, maxProxyAnswerBytes))
			},
		},
		{
			name:   "endless status line",
			proxy:  proxySpec{behaviour: proxyEndlessLine},
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrTooLong, stepProxy, fmt.Sprintf("proxy %s: answer to CONNECT mta-sts.good.example:443 longer than %d bytes", addr, maxProxyAnswerBytes))
			},
		},
		{
			name:   "hangs up",
			proxy:  proxySpec{behaviour: proxyHangUp},
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch, addr string) {
				wantError(t, got, evidence.ErrClosed, stepProxy, "proxy "+addr+": answer to CONNECT mta-sts.good.example:443: unexpected EOF")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cp := &connectProxy{proxySpec: tc.proxy, upstream: fx.server.addr}
			cp.start(t)
			served := len(fx.server.served())
			u := &url.URL{Scheme: schemeHTTP, Host: cp.addr, User: tc.user}
			f, log := proxiedFetcher(fx, u, cp.addr)
			if tc.timeout > 0 {
				f.Timeout = tc.timeout
			}
			got := f.Fetch(context.Background(), tc.domain)
			if want := "https://mta-sts." + tc.domain + "/.well-known/mta-sts.txt"; got.URL != want || !got.FetchedAt.Equal(testNow) {
				t.Fatalf("URL = %q, FetchedAt = %v", got.URL, got.FetchedAt)
			}
			tc.check(t, got, cp.addr)
			if got.Error != nil && got.Error.Step == stepProxy && (got.Cert != nil || got.StatusCode != 0) {
				t.Fatalf("proxy failure with cert %+v, status %d", got.Cert, got.StatusCode)
			}
			cp.stop() // every proxy goroutine has finished: its records are complete
			connects, auths := cp.seen()
			target := "CONNECT mta-sts." + tc.domain + ":443"
			if len(connects) != 1 || connects[0] != target || len(auths) != 1 || auths[0] != tc.wantAuth {
				t.Fatalf("proxy saw %q with auth %q, want one %q with %q", connects, auths, target, tc.wantAuth)
			}
			if d := log.dialed(); len(d) != 1 || d[0] != cp.addr {
				t.Fatalf("dialled %q, want only the proxy %s", d, cp.addr)
			}
			if n := len(fx.server.served()) - served; n != tc.wantServe {
				t.Fatalf("policy server answered %d requests, want %d", n, tc.wantServe)
			}
		})
	}
}

func TestFetchProxyConfig(t *testing.T) {
	fx := newFixture(t)
	dead, err := net.Listen("tcp", net.JoinHostPort(deadProxyIP, "0"))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	const policyURL = "https://mta-sts.good.example/.well-known/mta-sts.txt"

	tests := []struct {
		name       string
		proxy      func(*http.Request) (*url.URL, error)
		allow      string // the one address the dialer reaches; "" for the policy server
		dialErr    error  // what dialling any other address returns
		cancel     bool
		wantDials  []string
		wantKind   evidence.ErrorKind
		wantMsg    string
		wantDirect bool
	}{
		{
			name:       "nil URL means direct",
			proxy:      func(*http.Request) (*url.URL, error) { return nil, nil },
			wantDials:  []string{"tcp " + goodTarget},
			wantDirect: true,
		},
		{
			name:      "https scheme",
			proxy:     http.ProxyURL(&url.URL{Scheme: "https", Host: "127.0.0.90:3128", User: url.UserPassword(proxyUser, "secret")}),
			wantKind:  evidence.ErrInternal,
			wantMsg:   `proxy https://audit:xxxxx@127.0.0.90:3128: scheme "https" is not supported: only http:// proxies, which tunnel with CONNECT`,
			wantDials: nil,
		},
		{
			name:     "socks5 scheme",
			proxy:    http.ProxyURL(&url.URL{Scheme: "socks5", Host: "127.0.0.90:1080"}),
			wantKind: evidence.ErrInternal,
			wantMsg:  `proxy socks5://127.0.0.90:1080: scheme "socks5" is not supported: only http:// proxies, which tunnel with CONNECT`,
		},
		{
			name:     "no host",
			proxy:    http.ProxyURL(&url.URL{Scheme: schemeHTTP, Path: "/proxy"}),
			wantKind: evidence.ErrInternal,
			wantMsg:  "proxy http:///proxy: no host",
		},
		{
			name: "proxy function fails",
			proxy: func(r *http.Request) (*url.URL, error) {
				if r.URL.String() != policyURL {
					return nil, fmt.Errorf("asked about %s", r.URL)
				}
				return nil, errors.New("invalid proxy address \"::\"")
			},
			wantKind: evidence.ErrInternal,
			wantMsg:  `proxy for ` + policyURL + `: invalid proxy address "::"`,
		},
		{
			name:      "connection refused",
			proxy:     http.ProxyURL(&url.URL{Scheme: schemeHTTP, Host: deadAddr}),
			allow:     deadAddr,
			wantDials: []string{deadAddr},
			wantKind:  evidence.ErrRefused,
			wantMsg:   "proxy " + deadAddr + ": connect: dial tcp " + deadAddr + ": connect: connection refused",
		},
		{
			name:      "default port",
			proxy:     http.ProxyURL(&url.URL{Scheme: schemeHTTP, Host: deadProxyIP}),
			allow:     "none",
			wantDials: []string{deadProxyIP + ":80"},
			wantKind:  evidence.ErrProtocol,
			wantMsg:   "proxy " + deadProxyIP + ":80: connect: address " + deadProxyIP + ":80: test dialer only reaches the proxy",
		},
		{
			name:      "proxy name does not resolve",
			proxy:     http.ProxyURL(&url.URL{Scheme: schemeHTTP, Host: "proxy.corp.example:3128"}),
			allow:     "none",
			dialErr:   &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "proxy.corp.example", IsNotFound: true}},
			wantDials: []string{"proxy.corp.example:3128"},
			wantKind:  evidence.ErrUnreach,
			wantMsg:   "proxy proxy.corp.example:3128: connect: dial tcp: lookup proxy.corp.example: no such host",
		},
		{
			name:      "canceled",
			proxy:     http.ProxyURL(&url.URL{Scheme: schemeHTTP, Host: deadAddr}),
			allow:     deadAddr,
			cancel:    true,
			wantDials: []string{deadAddr},
			wantKind:  evidence.ErrCanceled,
			wantMsg:   "proxy " + deadAddr + ": connect: canceled",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fx.server.fetcher(fx.ca.pool())
			var log *dialLog
			if tc.allow != "" {
				log = &dialLog{allow: tc.allow, fail: tc.dialErr}
				f.DialContext = log.dial
			}
			f.Proxy = tc.proxy
			before := len(fx.server.dialed())
			ctx, cancel := context.WithCancel(context.Background())
			if tc.cancel {
				cancel()
			}
			defer cancel()
			got := f.Fetch(ctx, "good.example")
			if tc.wantDirect {
				wantOK(t, got, 200, "text/plain; charset=utf-8", validPolicy)
				wantCert(t, got.Cert, "mta-sts.good.example", true, true, false)
			} else {
				wantError(t, got, tc.wantKind, stepProxy, tc.wantMsg)
				if got.Cert != nil || got.StatusCode != 0 {
					t.Fatalf("cert %+v status %d after a proxy failure", got.Cert, got.StatusCode)
				}
			}
			dials := fx.server.dialed()[before:]
			if log != nil {
				dials = log.dialed()
			}
			if !reflect.DeepEqual(dials, tc.wantDials) && (len(dials) != 0 || len(tc.wantDials) != 0) {
				t.Fatalf("dialled %q, want %q", dials, tc.wantDials)
			}
		})
	}
}

func TestReadConnectAnswer(t *testing.T) {
	// A 200 answer padded to exactly n bytes.
	padded := func(n int) string {
		head, tail := "HTTP/1.1 200 OK\r\nX-Pad: ", "\r\n\r\n"
		return head + strings.Repeat("p", n-len(head)-len(tail)) + tail
	}
	tests := []struct {
		name         string
		in           string
		wantCode     int
		wantStatus   string
		wantLeftover string
		wantTooLong  bool
		wantErr      string
	}{
		{name: "plain 200", in: answer200, wantCode: 200, wantStatus: "200 Connection established"},
		{name: "tunnel bytes after the answer", in: "HTTP/1.0 200 OK\r\nVia: test\r\n\r\n\x16\x03\x01tls", wantCode: 200, wantStatus: "200 OK", wantLeftover: "\x16\x03\x01tls"},
		{name: "no reason", in: "HTTP/1.1 407\r\n\r\n", wantCode: 407, wantStatus: "407"},
		{name: "exactly the cap", in: padded(maxProxyAnswerBytes), wantCode: 200, wantStatus: "200 OK"},
		{name: "one byte over the cap", in: padded(maxProxyAnswerBytes + 1), wantTooLong: true},
		{name: "empty", in: "", wantErr: "unexpected EOF"},
		{name: "bad code", in: "HTTP/1.1 2x0 OK\r\n\r\n", wantErr: `malformed HTTP status code "2x0"`},
		{name: "bad version", in: "HTTP/9.9 200 OK\r\n\r\n", wantErr: "answer in HTTP/9.9, not HTTP/1.x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readConnectAnswer(strings.NewReader(tc.in), connectRequest(goodTarget, ""))
			switch {
			case tc.wantTooLong:
				if !errors.As(err, new(answerTooLongError)) {
					t.Fatalf("err = %v, want too long", err)
				}
				return
			case tc.wantErr != "":
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatalf("err = %v", err)
			}
			if got.code != tc.wantCode || got.status != tc.wantStatus || string(got.leftover) != tc.wantLeftover {
				t.Fatalf("answer = %d %q leftover %q", got.code, got.status, got.leftover)
			}
		})
	}
}

func TestConnectRequest(t *testing.T) {
	tests := []struct {
		name string
		auth string
		want string
	}{
		{
			name: "no credentials",
			want: "CONNECT mta-sts.good.example:443 HTTP/1.1\r\nHost: mta-sts.good.example:443\r\nUser-Agent: " + userAgent + "\r\n\r\n",
		},
		{
			name: "basic credentials",
			auth: proxyAuthOK,
			want: "CONNECT mta-sts.good.example:443 HTTP/1.1\r\nHost: mta-sts.good.example:443\r\nUser-Agent: " + userAgent + "\r\nProxy-Authorization: " + proxyAuthOK + "\r\n\r\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := connectRequest(goodTarget, tc.auth).Write(&b); err != nil {
				t.Fatalf("write: %v", err)
			}
			if b.String() != tc.want {
				t.Fatalf("request = %q, want %q", b.String(), tc.want)
			}
		})
	}
}

func TestParseProxyURL(t *testing.T) {
	tests := []struct {
		name     string
		url      string
		wantAddr string
		wantAuth string
	}{
		{name: "host and port", url: "http://127.0.0.90:3128", wantAddr: "127.0.0.90:3128"},
		{name: "default port", url: "http://proxy.corp.example", wantAddr: "proxy.corp.example:80"},
		{name: "upper-case scheme", url: "HTTP://proxy.corp.example:8080/", wantAddr: "proxy.corp.example:8080"},
		{name: "IPv6", url: "http://[::1]:3128", wantAddr: "[::1]:3128"},
		{name: "escaped credentials", url: "http://audit:p%40ss%3Aword@127.0.0.90:3128", wantAddr: "127.0.0.90:3128", wantAuth: proxyAuthOK},
		{name: "user without password", url: "http://audit@127.0.0.90:3128", wantAddr: "127.0.0.90:3128", wantAuth: "Basic YXVkaXQ6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatalf("parse %q: %v", tc.url, err)
			}
			p, e := parseProxyURL(u)
			if e != nil {
				t.Fatalf("error %+v", e)
			}
			if p.addr != tc.wantAddr || p.auth != tc.wantAuth {
				t.Fatalf("proxy = %q auth %q, want %q auth %q", p.addr, p.auth, tc.wantAddr, tc.wantAuth)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{name: "printable", in: "403 Forbidden", limit: 20, want: "403 Forbidden"},
		{name: "control and non-ASCII", in: "a\x00b\tc\xffé", limit: 20, want: "a?b?c???"},
		{name: "at the limit", in: "abcde", limit: 5, want: "abcde"},
		{name: "over the limit", in: "abcdef", limit: 5, want: "abcde" + capMarker},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sanitize(tc.in, tc.limit); got != tc.want {
				t.Fatalf("sanitize(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
		})
	}
}
