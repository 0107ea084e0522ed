package mtasts

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

const validPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mail.good.example\r\nmx: *.mx.good.example\r\nmax_age: 604800\r\n"

// fixture is one fake policy host serving every test domain.
type fixture struct {
	ca, other *testCA
	server    *policyServer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ca := newCA(t, "mxaudit test CA")
	other := newCA(t, "unrelated CA")
	valid := func(names ...string) tls.Certificate {
		return ca.leaf(t, names, testNow.Add(-time.Hour), testNow.Add(30*24*time.Hour))
	}
	replies := map[string]reply{
		"mta-sts.good.example":      {status: 200, contentType: "text/plain; charset=utf-8", body: validPolicy},
		"mta-sts.testing.example":   {status: 200, contentType: "text/plain", body: "version: STSv1\nmode: testing\nmx: mx.testing.example\nmax_age: 86400\n"},
		"mta-sts.none.example":      {status: 200, contentType: "text/plain", body: "version: STSv1\nmode: none\nmax_age: 300\n"},
		"mta-sts.wildcard.example":  {status: 200, contentType: "text/plain", body: validPolicy},
		"mta-sts.notfound.example":  {status: 404, contentType: "text/plain", body: validPolicy},
		"mta-sts.redirect.example":  {status: 301, location: "https://mta-sts.good.example/.well-known/mta-sts.txt"},
		"mta-sts.html.example":      {status: 200, contentType: "text/html", body: validPolicy},
		"mta-sts.big.example":       {status: 200, contentType: "text/plain", body: validPolicy + strings.Repeat("x-pad: 0123456789\n", 100)},
		"mta-sts.wrongname.example": {status: 200, contentType: "text/plain", body: validPolicy},
		"mta-sts.untrusted.example": {status: 200, contentType: "text/plain", body: validPolicy},
		"mta-sts.expired.example":   {status: 200, contentType: "text/plain", body: validPolicy},
		"mta-sts.maxage.example":    {status: 200, contentType: "text/plain", body: "version: STSv1\nmode: enforce\nmx: mx.maxage.example\nmax_age: 31557601\n"},
		"mta-sts.nomx.example":      {status: 200, contentType: "text/plain", body: "version: STSv1\nmode: enforce\nmax_age: 604800\n"},
		"mta-sts.hang.example":      {hang: true},
	}
	certs := map[string]tls.Certificate{
		"mta-sts.wildcard.example":  valid("*.wildcard.example"),
		"mta-sts.wrongname.example": valid("mta-sts.other.example"),
		"mta-sts.untrusted.example": other.leaf(t, []string{"mta-sts.untrusted.example"}, testNow.Add(-time.Hour), testNow.Add(time.Hour)),
		"mta-sts.expired.example":   ca.leaf(t, []string{"mta-sts.expired.example"}, testNow.Add(-48*time.Hour), testNow.Add(-24*time.Hour)),
	}
	for host := range replies {
		if _, ok := certs[host]; !ok {
			certs[host] = valid(host)
		}
	}
	return &fixture{ca: ca, other: other, server: newPolicyServer(t, certs, replies)}
}

func TestFetch(t *testing.T) {
	fx := newFixture(t)
	bigBody := fx.server.replies["mta-sts.big.example"].body
	tests := []struct {
		name    string
		domain  string
		maxSize int64
		timeout time.Duration
		check   func(t *testing.T, got *evidence.PolicyFetch)
	}{
		{
			name:   "valid",
			domain: "good.example",
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				wantOK(t, got, 200, "text/plain; charset=utf-8", validPolicy)
				wantCert(t, got.Cert, "mta-sts.good.example", true, true, false)
				if got.Cert.MatchedBy != "mta-sts.good.example" || got.Cert.DaysToExpiry != 30 || len(got.Cert.Chain) != 1 {
					t.Fatalf("cert = %+v", got.Cert)
				}
				if got.Cert.Chain[0].DNSNames[0] != "mta-sts.good.example" || got.Cert.Chain[0].Issuer != "CN=mxaudit test CA" {
					t.Fatalf("chain[0] = %+v", got.Cert.Chain[0])
				}
				if len(got.Cert.VerifiedChain) != 2 || got.Cert.VerifiedChain[1] != "CN=mxaudit test CA" {
					t.Fatalf("verified chain = %q", got.Cert.VerifiedChain)
				}
			},
		},
		{
			name:   "wildcard certificate",
			domain: "wildcard.example",
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				wantOK(t, got, 200, "text/plain", validPolicy)
				wantCert(t, got.Cert, "mta-sts.wildcard.example", true, true, false)
				if got.Cert.MatchedBy != "*.wildcard.example" {
					t.Fatalf("MatchedBy = %q", got.Cert.MatchedBy)
				}
			},
		},
		{
			name:   "not found",
			domain: "notfound.example",
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				wantError(t, got, evidence.ErrProtocol, stepHTTP, "status 404: a policy is only valid with status 200")
				if got.StatusCode != 404 || got.Body != "" || got.Size != 0 {
					t.Fatalf("status %d body %q size %d", got.StatusCode, got.Body, got.Size)
				}
			},
		},
		{
			name:   "redirect not followed",
			domain: "redirect.example",
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				wantError(t, got, evidence.ErrProtocol, stepHTTP, `status 301 redirects to "https://mta-sts.good.example/.well-known/mta-sts.txt": redirects must not be followed`)
				if got.StatusCode != 301 || got.Location != "https://mta-sts.good.example/.well-known/mta-sts.txt" || got.Body != "" {
					t.Fatalf("status %d location %q body %q", got.StatusCode, got.Location, got.Body)
				}
			},
		},
		{
			name:   "wrong media type is recorded",
			domain: "html.example",
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				wantOK(t, got, 200, "text/html", validPolicy)
			},
		},
		{
			name:    "oversize",
			domain:  "big.example",
			maxSize: 200,
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				wantError(t, got, evidence.ErrTooLong, stepBody, "policy larger than 200 bytes")
				if !got.Truncated || got.Size != 200 || got.Body != bigBody[:200] || got.StatusCode != 200 {
					t.Fatalf("truncated %v size %d status %d body %q", got.Truncated, got.Size, got.StatusCode, got.Body)
				}
			},
		},
		{
			name:    "exactly max size",
			domain:  "big.example",
			maxSize: int64(len(bigBody)),
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				wantOK(t, got, 200, "text/plain", bigBody)
			},
		},
		{
			name:   "certificate for the wrong name",
			domain: "wrongname.example",
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				wantError(t, got, evidence.ErrTLS, stepCertificate, "certificate of mta-sts.wrongname.example refused: no SAN DNS-ID matches mta-sts.wrongname.example")
				wantCert(t, got.Cert, "mta-sts.wrongname.example", true, false, false)
				if got.StatusCode != 0 || got.Body != "" {
					t.Fatalf("a request was answered: status %d", got.StatusCode)
				}
			},
		},
		{
			name:   "untrusted certificate",
			domain: "untrusted.example",
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				wantError(t, got, evidence.ErrTLS, stepCertificate, "certificate of mta-sts.untrusted.example refused: not trusted: x509: certificate signed by unknown authority")
				wantCert(t, got.Cert, "mta-sts.untrusted.example", false, true, false)
			},
		},
		{
			name:   "expired certificate",
			domain: "expired.example",
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				wantError(t, got, evidence.ErrTLS, stepCertificate, "certificate of mta-sts.expired.example refused: expired")
				wantCert(t, got.Cert, "mta-sts.expired.example", true, true, true)
				if got.Cert.DaysToExpiry != -1 {
					t.Fatalf("DaysToExpiry = %d", got.Cert.DaysToExpiry)
				}
			},
		},
		{
			name:    "server hangs",
			domain:  "hang.example",
			timeout: 200 * time.Millisecond,
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				if got.Error == nil || got.Error.Kind != evidence.ErrTimeout || got.Error.Step != stepHTTP {
					t.Fatalf("error = %+v, want a timeout", got.Error)
				}
				wantCert(t, got.Cert, "mta-sts.hang.example", true, true, false)
			},
		},
		{
			name:   "no certificate for the name",
			domain: "unknown.example",
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				if got.Error == nil || got.Error.Kind != evidence.ErrTLSAlert || got.Error.Step != stepHandshake {
					t.Fatalf("error = %+v, want a TLS alert in the handshake", got.Error)
				}
				if a := got.Error.Alert; a == nil || a.Code != got.Error.Code || a.Code != 80 || a.Name != "internal_error" {
					t.Fatalf("alert = %+v (code %d), want internal_error (80), Go's answer to a name it has no certificate for", a, got.Error.Code)
				}
				if got.Cert != nil {
					t.Fatalf("cert = %+v without a handshake", got.Cert)
				}
			},
		},
		{
			name:   "invalid domain",
			domain: "bad domain/x",
			check: func(t *testing.T, got *evidence.PolicyFetch) {
				wantError(t, got, evidence.ErrInternal, stepDomain, `cannot fetch a policy for "bad domain/x": label "bad domain/x" has ' ', not a letter, digit or hyphen`)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fx.server.fetcher(fx.ca.pool())
			f.MaxSize = tc.maxSize
			if tc.timeout > 0 {
				f.Timeout = tc.timeout
			}
			got := f.Fetch(context.Background(), tc.domain)
			if want := "https://mta-sts." + tc.domain + "/.well-known/mta-sts.txt"; got.URL != want {
				t.Fatalf("URL = %q, want %q", got.URL, want)
			}
			if !got.FetchedAt.Equal(testNow) {
				t.Fatalf("FetchedAt = %v", got.FetchedAt)
			}
			tc.check(t, got)
		})
	}
	// Each fetch dialled once, to its own policy host: nothing was followed.
	dials := fx.server.dialed()
	want := len(tests) - 1 // the invalid domain is never dialled
	if len(dials) != want {
		t.Fatalf("dials = %q, want %d", dials, want)
	}
	for _, d := range dials {
		if strings.Contains(d, "good.example") && !strings.HasSuffix(d, "mta-sts.good.example:443") {
			t.Fatalf("unexpected dial %q", d)
		}
	}
	if n := strings.Count(strings.Join(dials, "\n"), "mta-sts.good.example:443"); n != 1 {
		t.Fatalf("mta-sts.good.example dialled %d times (the redirect was followed?)", n)
	}
}

func TestFetchCanceled(t *testing.T) {
	fx := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	got := fx.server.fetcher(fx.ca.pool()).Fetch(ctx, "good.example")
	if got.Error == nil || got.Error.Kind != evidence.ErrCanceled {
		t.Fatalf("error = %+v, want canceled", got.Error)
	}
	if got.Body != "" || got.StatusCode != 0 {
		t.Fatalf("fetched despite cancellation: %+v", got)
	}
}

func TestFetchRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.81:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f := &Fetcher{
		Timeout: 5 * time.Second,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	got := f.Fetch(context.Background(), "good.example")
	if got.Error == nil || got.Error.Kind != evidence.ErrRefused || got.Error.Step != stepConnect {
		t.Fatalf("error = %+v, want refused at connect", got.Error)
	}
}

func TestFetchVerifyCallback(t *testing.T) {
	fx := newFixture(t)
	tests := []struct {
		name    string
		check   evidence.CertCheck
		wantErr string
	}{
		{
			name:  "accepted",
			check: evidence.CertCheck{Trusted: boolp(true), NameMatch: boolp(true), Expired: boolp(false)},
		},
		{
			name:    "every reason",
			check:   evidence.CertCheck{Name: "mta-sts.good.example", Trusted: boolp(false), TrustError: "private CA", NameMatch: boolp(false), Expired: boolp(true), NotYetValid: true},
			wantErr: "certificate of mta-sts.good.example refused: not trusted: private CA; no SAN DNS-ID matches mta-sts.good.example; expired; not yet valid",
		},
		{
			name:    "unknown trust",
			check:   evidence.CertCheck{Name: "mta-sts.good.example", TrustError: "no roots", NameMatch: boolp(true), Expired: boolp(false)},
			wantErr: "certificate of mta-sts.good.example refused: trust could not be judged: no roots",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fx.server.fetcher(nil)
			var gotName string
			var gotChain int
			f.Verify = func(name string, chain [][]byte) evidence.CertCheck {
				gotName, gotChain = name, len(chain)
				return tc.check
			}
			got := f.Fetch(context.Background(), "good.example")
			if gotName != "mta-sts.good.example" || gotChain != 1 {
				t.Fatalf("Verify called with %q and %d certificates", gotName, gotChain)
			}
			if tc.wantErr == "" {
				wantOK(t, got, 200, "text/plain; charset=utf-8", validPolicy)
				return
			}
			wantError(t, got, evidence.ErrTLS, stepCertificate, tc.wantErr)
		})
	}
}

func wantOK(t *testing.T, got *evidence.PolicyFetch, status int, ct, body string) {
	t.Helper()
	if got.Error != nil {
		t.Fatalf("error %+v", got.Error)
	}
	if got.StatusCode != status || got.ContentType != ct || got.Body != body || got.Size != len(body) || got.Truncated || got.Location != "" {
		t.Fatalf("fetch = status %d type %q size %d truncated %v location %q body %q", got.StatusCode, got.ContentType, got.Size, got.Truncated, got.Location, got.Body)
	}
}

func wantError(t *testing.T, got *evidence.PolicyFetch, kind evidence.ErrorKind, step, msg string) {
	t.Helper()
	if got.Error == nil {
		t.Fatalf("no error; fetch %+v", got)
	}
	if got.Error.Kind != kind || got.Error.Step != step || got.Error.Message != msg {
		t.Fatalf("error = %s/%s/%q, want %s/%s/%q", got.Error.Kind, got.Error.Step, got.Error.Message, kind, step, msg)
	}
}

func wantCert(t *testing.T, c *evidence.CertCheck, name string, trusted, nameMatch, expired bool) {
	t.Helper()
	if c == nil {
		t.Fatal("no certificate check")
	}
	if c.Name != name || c.Trusted == nil || *c.Trusted != trusted || c.NameMatch == nil || *c.NameMatch != nameMatch || c.Expired == nil || *c.Expired != expired {
		t.Fatalf("cert check = name %q trusted %v name match %v expired %v (%s)", c.Name, deref(c.Trusted), deref(c.NameMatch), deref(c.Expired), c.TrustError)
	}
	if !c.CheckedAt.Equal(testNow) || c.Connections != 1 || c.Error != nil {
		t.Fatalf("cert check = %+v", c)
	}
}

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}
