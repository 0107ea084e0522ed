package tlsprobe_test

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/tlsprobe"
)

// goHandshakeTimeout bounds the real server's side of each connection.
const goHandshakeTimeout = 5 * time.Second

// startGoTLS runs a crypto/tls server on a loopback port; every connection
// gets a handshake attempt (which our probes always abandon).
func startGoTLS(t *testing.T, cfg *tls.Config) (string, func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted++
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				ctx, cancel := context.WithTimeout(context.Background(), goHandshakeTimeout)
				defer cancel()
				_ = tls.Server(c, cfg).HandshakeContext(ctx)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String(), func() int {
		mu.Lock()
		defer mu.Unlock()
		return accepted
	}
}

// TestProbeGoTLS probes a real crypto/tls server: Go picks suites by its
// own preference (which also depends on the client's first suites), and
// ignores CipherSuites for TLS 1.3.
func TestProbeGoTLS(t *testing.T) {
	der, key := newCert(t, "mx.example.com", false)
	rsaSuites := []uint16{
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
		MaxVersion:   tls.VersionTLS13,
		// An ECDSA suite the RSA certificate cannot serve: never accepted.
		CipherSuites: append(slices.Clone(rsaSuites), tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
	}
	addr, accepted := startGoTLS(t, cfg)
	dial, _ := dialTo(addr)
	p := &tlsprobe.Prober{Dial: dial, Config: tlsprobe.Config{SNI: "mx.example.com"}}
	got := p.Run(context.Background())

	sorted := func(s []evidence.Suite) []string {
		c := suiteCodes(s)
		slices.Sort(c)
		return c
	}
	want12 := codesOf(rsaSuites...)
	slices.Sort(want12)
	tests := []struct {
		version string
		support evidence.Support
		suites  []string
		pref    evidence.Preference
		conns   int
	}{
		{evidence.SSLv2, evidence.NotSupported, []string{}, "", 1},
		{evidence.SSLv3, evidence.NotSupported, []string{}, "", 1},
		{evidence.TLS10, evidence.NotSupported, []string{}, "", 1},
		{evidence.TLS11, evidence.NotSupported, []string{}, "", 1},
		// 6 suites: 7 connections, server order shown by the first pick.
		{evidence.TLS12, evidence.Supported, want12, evidence.PreferServer, 7},
		{evidence.TLS13, evidence.Supported, codesOf(0x1301, 0x1302, 0x1303), evidence.PreferServer, 4},
	}
	total := 0
	for i, tt := range tests {
		r := got[i]
		total += r.Connections
		t.Run(tt.version, func(t *testing.T) {
			if r.Version != tt.version || r.Support != tt.support || r.Preference != tt.pref || r.Connections != tt.conns {
				t.Errorf("%s: support %s, preference %q, %d connections (%s); want %s, %q, %d",
					r.Version, r.Support, r.Preference, r.Connections, r.Reason, tt.support, tt.pref, tt.conns)
			}
			if gs := sorted(r.Suites); !slices.Equal(gs, tt.suites) {
				t.Errorf("suites %v, want %v", gs, tt.suites)
			}
			if tt.support == evidence.Supported && !r.Complete {
				t.Errorf("not complete: %s", r.Reason)
			}
		})
	}
	if accepted() != total {
		t.Errorf("server accepted %d connections, results count %d", accepted(), total)
	}
	for _, s := range got[4].Suites {
		if s.Kx == "ECDHE" && (s.KeyExchange == nil || s.KeyExchange.Group != "x25519") {
			t.Errorf("%s key exchange %+v, want x25519 (our first group)", s.Name, s.KeyExchange)
		}
	}
}
