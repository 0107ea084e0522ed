package mtasts

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// testNow is the clock of every test: certificates are valid around it.
var testNow = time.Date(2025, time.June, 1, 12, 0, 0, 0, time.UTC)

// testCA is a certificate authority generated at run time.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	return key
}

func newCA(t testing.TB, name string) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             testNow.Add(-24 * time.Hour),
		NotAfter:              testNow.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create CA: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse CA: %v", err)
	}
	return &testCA{cert: cert, key: key}
}

// leaf issues a server certificate for names valid from notBefore to notAfter.
func (ca *testCA) leaf(t testing.TB, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("create leaf: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// reply is what the fake policy host answers for one Host.
type reply struct {
	status      int
	contentType string
	location    string
	body        string
	hang        bool // wait until the client goes away
}

// policyServer is an HTTPS server on a loopback address that serves, per
// SNI name, a certificate and a reply.
type policyServer struct {
	srv     *httptest.Server
	addr    string
	certs   map[string]tls.Certificate
	replies map[string]reply

	mu       sync.Mutex
	dials    []string // the addresses the fetcher asked to dial
	requests []string // the Host of every request served
}

// policyAddr is the loopback address the fake policy host listens on.
const policyAddr = "127.0.0.80:0"

func newPolicyServer(t *testing.T, certs map[string]tls.Certificate, replies map[string]reply) *policyServer {
	t.Helper()
	ps := &policyServer{certs: certs, replies: replies}
	ln, err := net.Listen("tcp", policyAddr)
	if err != nil {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(ps.serve))
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = &tls.Config{
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			c, ok := ps.certs[hello.ServerName]
			if !ok {
				return nil, &net.AddrError{Err: "no certificate for this name", Addr: hello.ServerName}
			}
			return &c, nil
		},
	}
	// Handshakes the tests make fail on purpose are not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ps.srv = srv
	ps.addr = ln.Addr().String()
	return ps
}

func (ps *policyServer) serve(w http.ResponseWriter, r *http.Request) {
	ps.mu.Lock()
	ps.requests = append(ps.requests, r.Host)
	ps.mu.Unlock()
	rep, ok := ps.replies[r.Host]
	if !ok || r.URL.Path != wellKnownPath || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	if rep.hang {
		<-r.Context().Done()
		return
	}
	if rep.contentType != "" {
		w.Header().Set("Content-Type", rep.contentType)
	}
	if rep.location != "" {
		w.Header().Set("Location", rep.location)
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write([]byte(rep.body))
}

// fetcher returns a Fetcher that reaches any mta-sts.*:443 on the fake server.
func (ps *policyServer) fetcher(roots *x509.CertPool) *Fetcher {
	return &Fetcher{
		Roots:   roots,
		Timeout: 5 * time.Second,
		Now:     func() time.Time { return testNow },
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			ps.mu.Lock()
			ps.dials = append(ps.dials, network+" "+addr)
			ps.mu.Unlock()
			host, port, err := net.SplitHostPort(addr)
			if err != nil || port != httpsPort || !strings.HasPrefix(host, policyHostPrefix) {
				return nil, &net.AddrError{Err: "test dialer only reaches mta-sts.*:443", Addr: addr}
			}
			var d net.Dialer
			return d.DialContext(ctx, network, ps.addr)
		},
	}
}

// served returns the Host of every request the server has answered.
func (ps *policyServer) served() []string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]string(nil), ps.requests...)
}

func (ps *policyServer) dialed() []string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return append([]string(nil), ps.dials...)
}

// fakeTXT answers TXT questions from a map; unknown names are NXDOMAIN.
type fakeTXT map[string]fakeAnswer

type fakeAnswer struct {
	status evidence.DNSStatus
	txts   []string
}

func (f fakeTXT) TXT(_ context.Context, name string) (evidence.Lookup, []string) {
	a, ok := f[name]
	if !ok {
		return evidence.Lookup{Name: name, Type: "TXT", Status: evidence.DNSNXDomain}, nil
	}
	return evidence.Lookup{Name: name, Type: "TXT", Status: a.status, Records: a.txts}, a.txts
}

func boolp(b bool) *bool { return &b }
