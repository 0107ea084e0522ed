package tlsprobe_test

import (
	"context"
	"errors"
	"io"
	"net"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/tlsprobe"
	"github.com/mxaudit/mxaudit/audit/tlsprobe/tlstest"
)

// Test timings: short, so failures are quick; no test asserts a duration.
const (
	shortStep    = 300 * time.Millisecond
	shortBackoff = 10 * time.Millisecond
	dripInterval = 50 * time.Millisecond
	dripMaxBytes = 100
)

var (
	ssl3Only  = []uint16{tlsprobe.VersionSSL30}
	tls12Only = []uint16{tlsprobe.VersionTLS12}
	tls13Only = []uint16{tlsprobe.VersionTLS13}
)

func startFake(t *testing.T, cfg tlstest.Config) *tlstest.Server {
	t.Helper()
	s, err := tlstest.Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// dialTo returns a DialFunc for a plain TCP connection to addr (no SMTP:
// the fake expects the hello at once) and a counter of its calls.
func dialTo(addr string) (tlsprobe.DialFunc, *atomic.Int32) {
	var n atomic.Int32
	return func(ctx context.Context) (net.Conn, error) {
		n.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}, &n
}

// rawServer runs handle for each connection accepted on a loopback port.
func rawServer(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func suiteCodes(suites []evidence.Suite) []string {
	out := []string{}
	for _, s := range suites {
		out = append(out, s.Code)
	}
	return out
}

func codesOf(c ...uint16) []string {
	out := []string{}
	for _, x := range c {
		out = append(out, tlsprobe.SuiteCode(x))
	}
	return out
}

// want is the expected shape of one VersionResult.
type want struct {
	support   evidence.Support
	suites    []string
	pref      evidence.Preference
	conns     int
	complete  bool
	chunked   bool
	offered   int
	errKind   evidence.ErrorKind
	reasonHas string
}

func check(t *testing.T, got evidence.VersionResult, w want) {
	t.Helper()
	if got.Support != w.support {
		t.Errorf("Support = %q, want %q (reason %q)", got.Support, w.support, got.Reason)
	}
	if gs := suiteCodes(got.Suites); !slices.Equal(gs, w.suites) {
		t.Errorf("Suites = %v, want %v", gs, w.suites)
	}
	if got.Preference != w.pref {
		t.Errorf("Preference = %q, want %q (reason %q)", got.Preference, w.pref, got.Reason)
	}
	if got.Connections != w.conns {
		t.Errorf("Connections = %d, want %d (reason %q)", got.Connections, w.conns, got.Reason)
	}
	if got.Complete != w.complete || got.Chunked != w.chunked {
		t.Errorf("Complete, Chunked = %v, %v; want %v, %v", got.Complete, got.Chunked, w.complete, w.chunked)
	}
	if got.Offered != w.offered {
		t.Errorf("Offered = %d, want %d", got.Offered, w.offered)
	}
	switch {
	case w.errKind == "" && got.Error != nil:
		t.Errorf("Error = %v, want none", got.Error)
	case w.errKind != "" && (got.Error == nil || got.Error.Kind != w.errKind):
		t.Errorf("Error = %v, want kind %q", got.Error, w.errKind)
	}
	if !strings.Contains(got.Reason, w.reasonHas) {
		t.Errorf("Reason = %q, want it to contain %q", got.Reason, w.reasonHas)
	}
}

func TestProbeFake(t *testing.T) {
	rsaCert, _ := newCert(t, "mx.example.com", false)
	chain := [][]byte{rsaCert}
	tests := []struct {
		name    string
		cfg     tlstest.Config
		version string
		chunk   int
		want    want
	}{
		{
			// The first pick (C02F) is not the first accepted suite offered
			// (002F): server order shown for free. 4 suites, 5 connections.
			name:    "server order shown free",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0xC02F, 0xC030, 0x009C, 0x002F}, CertDER: chain},
			version: evidence.TLS12,
			want: want{support: evidence.Supported, suites: codesOf(0xC02F, 0xC030, 0x009C, 0x002F),
				pref: evidence.PreferServer, conns: 5, complete: true, offered: 363, reasonHas: "4 suites accepted"},
		},
		{
			// Every pick follows our order; the reverse offer draws its first
			// suite: client order, one extra connection, conventional order.
			name:    "client order",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0x002F, 0xC030, 0x009C, 0xC02F}, ClientOrder: true, CertDER: chain},
			version: evidence.TLS12,
			want: want{support: evidence.Supported, suites: codesOf(0xC02F, 0xC030, 0x009C, 0x002F),
				pref: evidence.PreferClient, conns: 6, complete: true, offered: 363},
		},
		{
			// More accepted suites than the chunk size, but the full list
			// was never refused: the reverse check still offers them all.
			name:    "client order beyond the chunk size",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0x0005, 0x002F, 0x009C, 0x009E, 0xC030, 0xC02F, 0xC02B}, ClientOrder: true},
			version: evidence.TLS12,
			chunk:   5,
			want: want{support: evidence.Supported, suites: codesOf(0xC02B, 0xC02F, 0xC030, 0x009E, 0x009C, 0x002F, 0x0005),
				pref: evidence.PreferClient, conns: 9, complete: true, offered: 363},
		},
		{
			// The server's order happens to match ours: the reverse offer
			// draws the favourite again.
			name:    "server order needs the reverse check",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0x002F, 0x009C}, CertDER: chain},
			version: evidence.TLS12,
			want: want{support: evidence.Supported, suites: codesOf(0x002F, 0x009C),
				pref: evidence.PreferServer, conns: 4, complete: true, offered: 363},
		},
		{
			name:    "one suite",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0xC02F}, CertDER: chain},
			version: evidence.TLS12,
			want: want{support: evidence.Supported, suites: codesOf(0xC02F),
				pref: evidence.PreferUnknown, conns: 2, complete: true, offered: 363},
		},
		{
			name:    "version not supported",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0x002F}, CertDER: chain},
			version: evidence.TLS10,
			want: want{support: evidence.NotSupported, suites: []string{}, conns: 1, complete: true, offered: 179,
				reasonHas: "fatal protocol_version (70) alert to a hello for TLSv1.0"},
		},
		{
			name:    "tls13 not supported",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0x002F}, CertDER: chain},
			version: evidence.TLS13,
			want:    want{support: evidence.NotSupported, suites: []string{}, conns: 1, complete: true, offered: 15},
		},
		{
			// A short list refused without protocol_version: no chunking.
			name:    "tls13 no common suite",
			cfg:     tlstest.Config{Versions: tls13Only, Suites: []uint16{0x1399}},
			version: evidence.TLS13,
			want: want{support: evidence.NotSupported, suites: []string{}, conns: 1, complete: true, offered: 15,
				reasonHas: "handshake_failure"},
		},
		{
			// Answering 1.0 to a 1.2 hello: the server does not do 1.2.
			name:    "lower version",
			cfg:     tlstest.Config{Versions: []uint16{tlsprobe.VersionTLS10}, Suites: []uint16{0x002F}, CertDER: chain},
			version: evidence.TLS12,
			want: want{support: evidence.NotSupported, suites: []string{}, conns: 1, complete: true, offered: 363,
				reasonHas: "server answered a hello for TLSv1.2 with TLSv1.0"},
		},
		{
			// RC4 and export in SSLv3: the first pick (0005) is not the first
			// accepted suite offered (0003, export first): server order free.
			name:    "sslv3 rc4 and export",
			cfg:     tlstest.Config{Versions: ssl3Only, Suites: []uint16{0x0005, 0x0003, 0x000A}, CertDER: chain},
			version: evidence.SSLv3,
			want: want{support: evidence.Supported, suites: codesOf(0x0005, 0x0003, 0x000A),
				pref: evidence.PreferServer, conns: 4, complete: true, offered: 141},
		},
		{
			// MaxHelloSuites 50: the full list and a 100-suite chunk draw
			// decode_error; chunks halve to 50. Of the 363 candidates, 009C
			// (index 246) and C02F (index 361) are accepted: 8 refused
			// windows + 2 picks + 2 decode_errors = 12. The two picks came
			// from different windows, so one hello offering both shows the
			// server's favourite (C02F, not our first): 13.
			name:    "hello length intolerance",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0xC02F, 0x009C}, CertDER: chain, MaxHelloSuites: 50},
			version: evidence.TLS12,
			want: want{support: evidence.Supported, suites: codesOf(0xC02F, 0x009C),
				pref: evidence.PreferServer, conns: 13, complete: true, chunked: true, offered: 363,
				reasonHas: "chunks halved to 50"},
		},
		{
			// As above, in client order: the picks follow our offer, so one
			// hello offering both (drawing 009C, our first) and one offering
			// them reversed (drawing C02F) decide: 12 + 2.
			name:    "hello length intolerance client order",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0xC02F, 0x009C}, ClientOrder: true, MaxHelloSuites: 50},
			version: evidence.TLS12,
			want: want{support: evidence.Supported, suites: codesOf(0xC02F, 0x009C),
				pref: evidence.PreferClient, conns: 14, complete: true, chunked: true, offered: 363},
		},
		{
			// Server order C02F, 002F, 009C; 002F (227) and 009C (246) share
			// a window, C02F (361) comes later: every pick looks like client
			// order. 2 decode_errors + 8 refused windows + 3 picks = 13; one
			// hello offering all three draws C02F (server order), and one
			// more orders 002F before 009C: 15.
			name:    "hello length intolerance server order across chunks",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0xC02F, 0x002F, 0x009C}, MaxHelloSuites: 50},
			version: evidence.TLS12,
			want: want{support: evidence.Supported, suites: codesOf(0xC02F, 0x002F, 0x009C),
				pref: evidence.PreferServer, conns: 15, complete: true, chunked: true, offered: 363},
		},
		{
			// decode_error to the full list and to chunks of 100, 50 and
			// 25: no hello of ours gets through, which says nothing about
			// the version. 4 connections.
			name:    "hello never parsed",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0xC02F}, MaxHelloSuites: 10},
			version: evidence.TLS12,
			want: want{support: evidence.Inconclusive, suites: []string{}, conns: 4, chunked: true, offered: 363,
				errKind: evidence.ErrProtocol, reasonHas: "decode_error to every hello down to 25 suites"},
		},
		{
			// Chunk size 40 from the start: 363 = 2 picks + 9 windows of 40
			// + 1 of 1; windows 6 (200..239, then 201..240 refill) and 9
			// (then 361 alone) hold the picks: 1 + 10 + 2 + 1 = 14.
			name:    "configured chunk size",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0xC02F, 0x009C}, CertDER: chain, MaxHelloSuites: 50},
			version: evidence.TLS12,
			chunk:   40,
			want: want{support: evidence.Supported, suites: codesOf(0xC02F, 0x009C),
				pref: evidence.PreferServer, conns: 14, complete: true, chunked: true, offered: 363},
		},
		{
			name:    "warning alert before the hello",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0x002F}, CertDER: chain, WarnUnrecognizedName: true},
			version: evidence.TLS12,
			want: want{support: evidence.Supported, suites: codesOf(0x002F), pref: evidence.PreferUnknown,
				conns: 2, complete: true, offered: 363, reasonHas: "warning unrecognized_name (112)"},
		},
		{
			name:    "fragmented answers",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0xC02F, 0x002F}, CertDER: chain, FragmentSize: 3},
			version: evidence.TLS12,
			want: want{support: evidence.Supported, suites: codesOf(0xC02F, 0x002F), pref: evidence.PreferServer,
				conns: 3, complete: true, offered: 363},
		},
		{
			name:    "anomaly suite not offered",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0x002F}, CertDER: chain, ForceSuite: 0x1301},
			version: evidence.TLS12,
			want: want{support: evidence.Supported, suites: []string{}, conns: 1, offered: 363,
				reasonHas: "anomaly: server chose suite 0x13,0x01 (TLS_AES_128_GCM_SHA256), which was not offered"},
		},
		{
			name:    "anomaly version above the offer",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0x002F}, CertDER: chain, ForceVersion: tlsprobe.VersionTLS12},
			version: evidence.TLS11,
			want: want{support: evidence.NotSupported, suites: []string{}, conns: 1, offered: 179,
				reasonHas: "anomaly: server chose TLSv1.2 in answer to a hello offering at most TLSv1.1"},
		},
		{
			name:    "sslv2-only server answers tls with sslv2",
			cfg:     tlstest.Config{SSLv2Specs: [][3]byte{{1, 0, 0x80}}},
			version: evidence.TLS12,
			want: want{support: evidence.NotSupported, suites: []string{}, conns: 1, complete: true, offered: 363,
				reasonHas: "SSLv2 message (ERROR NO-CIPHER-ERROR)"},
		},
		{
			// The seeded garbage begins with a byte with the high bit set,
			// read as an SSLv2 header declaring more bytes than the server
			// sends before it closes: a truncated answer, inconclusive.
			name:    "garbage",
			cfg:     tlstest.Config{Garbage: true},
			version: evidence.TLS12,
			want: want{support: evidence.Inconclusive, suites: []string{}, conns: 1, offered: 363,
				errKind: evidence.ErrClosed, reasonHas: "truncated SSLv2 record"},
		},
		{
			name:    "sslv2 supported",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0x002F}, SSLv2Specs: [][3]byte{{0x07, 0x00, 0xC0}, {0x02, 0x00, 0x80}}, CertDER: chain},
			version: evidence.SSLv2,
			want: want{support: evidence.Supported, suites: []string{"0x07,0x00,0xC0", "0x02,0x00,0x80"},
				conns: 1, complete: true, offered: 13, reasonHas: "SSLv2 SERVER-HELLO with 2 cipher specs"},
		},
		{
			name:    "sslv2 no common spec",
			cfg:     tlstest.Config{SSLv2Specs: [][3]byte{{0x77, 0x00, 0x00}}},
			version: evidence.SSLv2,
			want: want{support: evidence.Supported, suites: []string{"0x77,0x00,0x00"},
				conns: 1, complete: true, offered: 13, reasonHas: "anomaly: specs not offered: 0x77,0x00,0x00"},
		},
		{
			name:    "sslv2 refused with tls alert",
			cfg:     tlstest.Config{Versions: tls12Only, Suites: []uint16{0x002F}},
			version: evidence.SSLv2,
			want: want{support: evidence.NotSupported, suites: []string{}, conns: 1, complete: true, offered: 13,
				reasonHas: "TLS fatal protocol_version (70) alert"},
		},
		{
			name:    "sslv2 garbage",
			cfg:     tlstest.Config{Garbage: true},
			version: evidence.SSLv2,
			want: want{support: evidence.NotSupported, suites: []string{}, conns: 1, complete: true, offered: 13,
				reasonHas: "not SSLv2"},
		},
		{
			// 1301 is drawn first while 1303 comes first in our offer.
			name:    "tls13",
			cfg:     tlstest.Config{Versions: tls13Only, Suites: []uint16{0x1301, 0x1302, 0x1303}},
			version: evidence.TLS13,
			want: want{support: evidence.Supported, suites: codesOf(0x1301, 0x1302, 0x1303),
				pref: evidence.PreferServer, conns: 4, complete: true, offered: 15},
		},
		{
			// Every hello draws a HelloRetryRequest naming the suite. The
			// server's order (1302, 1301) is also our offer order, so the
			// reverse check is needed: 2 + 1 + 1.
			name:    "tls13 hello retry",
			cfg:     tlstest.Config{Versions: tls13Only, Suites: []uint16{0x1302, 0x1301}, TLS13Group: 23},
			version: evidence.TLS13,
			want: want{support: evidence.Supported, suites: codesOf(0x1302, 0x1301),
				pref: evidence.PreferServer, conns: 4, complete: true, offered: 15},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startFake(t, tt.cfg)
			dial, dials := dialTo(srv.Addr())
			p := &tlsprobe.Prober{Dial: dial, Config: tlsprobe.Config{SNI: "mx.example.com", ChunkSize: tt.chunk, RetryBackoff: shortBackoff}}
			got := p.Probe(context.Background(), tt.version)
			check(t, got, tt.want)
			if int(dials.Load()) != got.Connections {
				t.Errorf("Connections = %d, Dial called %d times", got.Connections, dials.Load())
			}
			if got.Version != tt.version {
				t.Errorf("Version = %q", got.Version)
			}
		})
	}
}

func TestProbeKeyExchange(t *testing.T) {
	rsaCert, _ := newCert(t, "mx.example.com", false)
	tests := []struct {
		name    string
		cfg     tlstest.Config
		version string
		want    []*evidence.KeyExchange
	}{
		{"dhe 1024", tlstest.Config{Versions: tls12Only, Suites: []uint16{0x009E}, DHPrimeBits: 1024}, evidence.TLS12,
			[]*evidence.KeyExchange{{Type: "DHE", Bits: 1024}}},
		{"ecdhe secp384r1 and static rsa", tlstest.Config{Versions: tls12Only, Suites: []uint16{0xC030, 0x009C}, ECGroup: 24}, evidence.TLS12,
			[]*evidence.KeyExchange{{Type: "ECDHE", Group: "secp384r1", Bits: 384}, nil}},
		{"ecdhe x25519", tlstest.Config{Versions: tls12Only, Suites: []uint16{0xC02F}, ECGroup: 29}, evidence.TLS12,
			[]*evidence.KeyExchange{{Type: "ECDHE", Group: "x25519", Bits: 253}}},
		{"export rsa and dhe", tlstest.Config{Versions: ssl3Only, Suites: []uint16{0x0003, 0x0014}}, evidence.SSLv3,
			[]*evidence.KeyExchange{{Type: "RSA_EXPORT", Bits: 512}, {Type: "DHE_EXPORT", Bits: 512}}},
		{"tls13 x25519", tlstest.Config{Versions: tls13Only, Suites: []uint16{0x1301}}, evidence.TLS13,
			[]*evidence.KeyExchange{{Type: "ECDHE", Group: "x25519", Bits: 253}}},
		{"tls13 hello retry", tlstest.Config{Versions: tls13Only, Suites: []uint16{0x1301}, TLS13Group: 23}, evidence.TLS13,
			[]*evidence.KeyExchange{{Type: "ECDHE", Group: "secp256r1", Bits: 256, HelloRetry: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.CertDER = [][]byte{rsaCert}
			srv := startFake(t, tt.cfg)
			dial, _ := dialTo(srv.Addr())
			got := (&tlsprobe.Prober{Dial: dial}).Probe(context.Background(), tt.version)
			if len(got.Suites) != len(tt.want) {
				t.Fatalf("suites %v, want %d", suiteCodes(got.Suites), len(tt.want))
			}
			for i, s := range got.Suites {
				if !reflect.DeepEqual(s.KeyExchange, tt.want[i]) {
					t.Errorf("suite %s KeyExchange = %+v, want %+v", s.Code, s.KeyExchange, tt.want[i])
				}
			}
		})
	}
}

func TestProbeSuiteFlags(t *testing.T) {
	srv := startFake(t, tlstest.Config{Versions: ssl3Only, Suites: []uint16{0x0005, 0x0003}})
	dial, _ := dialTo(srv.Addr())
	got := (&tlsprobe.Prober{Dial: dial}).Probe(context.Background(), evidence.SSLv3)
	want := []evidence.SuiteFlags{
		{RC4: true, SHA1MAC: true},
		{Export: true, RC4: true, MD5: true},
	}
	if len(got.Suites) != len(want) {
		t.Fatalf("suites %v", suiteCodes(got.Suites))
	}
	for i, s := range got.Suites {
		if s.Flags != want[i] {
			t.Errorf("%s flags %+v, want %+v", s.Code, s.Flags, want[i])
		}
	}
}

// TestProbeUnreliable covers servers that do not answer properly: none of
// these is a refusal except the close and the reset.
func TestProbeUnreliable(t *testing.T) {
	stall := func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }
	// closeNow reads the hello before closing: closing with the hello
	// unread would make the kernel send a reset instead of a clean close,
	// and the test would depend on timing.
	closeNow := func(c net.Conn) {
		_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, _ = io.Copy(io.Discard, c)
	}
	reset := func(c net.Conn) {
		buf := make([]byte, 1)
		_, _ = c.Read(buf)
		_ = c.(*net.TCPConn).SetLinger(0)
	}
	// A valid record header, then a byte every 50ms: the step deadline
	// must cover the whole answer, not each read.
	drip := func(c net.Conn) {
		buf := make([]byte, 1)
		_, _ = c.Read(buf)
		head := []byte{22, 3, 3, 0x3F, 0xFF}
		for i := 0; i < dripMaxBytes; i++ {
			b := byte(0)
			if i < len(head) {
				b = head[i]
			}
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(dripInterval)
		}
	}
	tests := []struct {
		name    string
		handle  func(net.Conn)
		version string
		want    want
	}{
		{"stall", stall, evidence.TLS12, want{support: evidence.Inconclusive, suites: []string{}, conns: 2, offered: 363,
			errKind: evidence.ErrTimeout}},
		{"drip", drip, evidence.TLS13, want{support: evidence.Inconclusive, suites: []string{}, conns: 2, offered: 15,
			errKind: evidence.ErrTimeout}},
		{"sslv2 stall", stall, evidence.SSLv2, want{support: evidence.Inconclusive, suites: []string{}, conns: 2, offered: 13,
			errKind: evidence.ErrTimeout}},
		// A close right after the hello is a refusal; for TLS 1.2 the long
		// list is then retried in 4 chunks of at most 100.
		{"close tls12", closeNow, evidence.TLS12, want{support: evidence.NotSupported, suites: []string{}, conns: 5,
			complete: true, chunked: true, offered: 363, reasonHas: "closed the connection"}},
		{"close tls13", closeNow, evidence.TLS13, want{support: evidence.NotSupported, suites: []string{}, conns: 1,
			complete: true, offered: 15}},
		{"reset tls13", reset, evidence.TLS13, want{support: evidence.NotSupported, suites: []string{}, conns: 1,
			complete: true, offered: 15, reasonHas: "reset the connection"}},
		{"close sslv2", closeNow, evidence.SSLv2, want{support: evidence.NotSupported, suites: []string{}, conns: 1,
			complete: true, offered: 13}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := rawServer(t, tt.handle)
			dial, _ := dialTo(addr)
			p := &tlsprobe.Prober{Dial: dial, Config: tlsprobe.Config{StepTimeout: shortStep, RetryBackoff: shortBackoff}}
			check(t, p.Probe(context.Background(), tt.version), tt.want)
		})
	}
}

// TestProbeTimeoutMidway: suites found before a timeout are kept, the
// version is Supported (a ServerHello proved it) and not Complete.
func TestProbeTimeoutMidway(t *testing.T) {
	srv := startFake(t, tlstest.Config{Versions: tls12Only, Suites: []uint16{0xC02F, 0xC030, 0x002F}})
	stallAddr := rawServer(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	var n atomic.Int32
	dial := func(ctx context.Context) (net.Conn, error) {
		addr := srv.Addr()
		if n.Add(1) > 2 {
			addr = stallAddr
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	p := &tlsprobe.Prober{Dial: dial, Config: tlsprobe.Config{StepTimeout: shortStep, RetryBackoff: shortBackoff}}
	check(t, p.Probe(context.Background(), evidence.TLS12), want{
		support: evidence.Supported, suites: codesOf(0xC02F, 0xC030), pref: evidence.PreferServer,
		conns: 4, offered: 363, errKind: evidence.ErrTimeout, reasonHas: "2 suites found before",
	})
}

func TestProbeDialErrors(t *testing.T) {
	smtpReject := evidence.Errorf(evidence.ErrSMTPReject, "banner", "554 no")
	smtpReject.Code = 554
	tests := []struct {
		name  string
		err   error
		conns int
		kind  evidence.ErrorKind
	}{
		{"refused is retried once", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, 2, evidence.ErrRefused},
		{"421 is retried once", &evidence.Error{Kind: evidence.ErrSMTPReject, Step: "banner", Code: 421, Message: "421 busy"}, 2, evidence.ErrSMTPReject},
		{"554 is not retried", smtpReject, 1, evidence.ErrSMTPReject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			dial := func(context.Context) (net.Conn, error) {
				n.Add(1)
				return nil, tt.err
			}
			p := &tlsprobe.Prober{Dial: dial, Config: tlsprobe.Config{RetryBackoff: shortBackoff}}
			for _, v := range []string{evidence.SSLv2, evidence.TLS12} {
				n.Store(0)
				got := p.Probe(context.Background(), v)
				if got.Support != evidence.Inconclusive || got.Connections != tt.conns || int(n.Load()) != tt.conns ||
					got.Error == nil || got.Error.Kind != tt.kind || got.Complete || got.Suites != nil {
					t.Errorf("%s: %+v (dials %d), want inconclusive %s after %d connections", v, got, n.Load(), tt.kind, tt.conns)
				}
			}
		})
	}
}

func TestProbeCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var n atomic.Int32
	dial := func(context.Context) (net.Conn, error) { n.Add(1); return nil, errors.New("must not be called") }
	for _, v := range evidence.Versions {
		got := (&tlsprobe.Prober{Dial: dial}).Probe(ctx, v)
		if got.Support != evidence.Inconclusive || got.Error == nil || got.Error.Kind != evidence.ErrCanceled || got.Connections != 0 {
			t.Errorf("%s: %+v", v, got)
		}
	}
	if n.Load() != 0 {
		t.Errorf("Dial called %d times", n.Load())
	}
}

// TestProbeCanceledMidway: cancelling the context interrupts a read at once.
func TestProbeCanceledMidway(t *testing.T) {
	accepted := make(chan struct{}, 1)
	addr := rawServer(t, func(c net.Conn) {
		accepted <- struct{}{}
		_, _ = io.Copy(io.Discard, c)
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-accepted
		cancel()
	}()
	dial, _ := dialTo(addr)
	// A step timeout far beyond the test: only the cancel can end the read.
	p := &tlsprobe.Prober{Dial: dial, Config: tlsprobe.Config{StepTimeout: time.Hour}}
	got := p.Probe(ctx, evidence.TLS13)
	if got.Support != evidence.Inconclusive || got.Error == nil || got.Error.Kind != evidence.ErrCanceled || got.Connections != 1 {
		t.Errorf("%+v", got)
	}
}

func TestRun(t *testing.T) {
	srv := startFake(t, tlstest.Config{
		Versions: []uint16{tlsprobe.VersionTLS10, tlsprobe.VersionTLS12, tlsprobe.VersionTLS13},
		Suites:   []uint16{0xC02F, 0x1301, 0x002F},
	})
	dial, dials := dialTo(srv.Addr())
	got := (&tlsprobe.Prober{Dial: dial}).Run(context.Background())
	type row struct {
		version string
		support evidence.Support
		suites  []string
		conns   int
	}
	want := []row{
		{evidence.SSLv2, evidence.NotSupported, []string{}, 1},
		{evidence.SSLv3, evidence.NotSupported, []string{}, 1},
		{evidence.TLS10, evidence.Supported, codesOf(0x002F), 2},
		{evidence.TLS11, evidence.NotSupported, []string{}, 1}, // answered with 1.0
		{evidence.TLS12, evidence.Supported, codesOf(0xC02F, 0x002F), 3},
		{evidence.TLS13, evidence.Supported, codesOf(0x1301), 2},
	}
	if len(got) != len(want) {
		t.Fatalf("%d results", len(got))
	}
	total := 0
	for i, w := range want {
		g := got[i]
		total += g.Connections
		if g.Version != w.version || g.Support != w.support || !slices.Equal(suiteCodes(g.Suites), w.suites) || g.Connections != w.conns {
			t.Errorf("result %d = %s %s %v %d conns (%s); want %s %s %v %d", i, g.Version, g.Support, suiteCodes(g.Suites), g.Connections, g.Reason,
				w.version, w.support, w.suites, w.conns)
		}
	}
	if int(dials.Load()) != total || srv.Accepted() != total {
		t.Errorf("dials %d, accepted %d, counted %d", dials.Load(), srv.Accepted(), total)
	}
}

func TestRunSubset(t *testing.T) {
	srv := startFake(t, tlstest.Config{Versions: tls13Only, Suites: []uint16{0x1301}})
	dial, dials := dialTo(srv.Addr())
	got := (&tlsprobe.Prober{Dial: dial, Config: tlsprobe.Config{Versions: []string{evidence.TLS13}}}).Run(context.Background())
	var supports []evidence.Support
	for _, r := range got {
		supports = append(supports, r.Support)
	}
	want := []evidence.Support{evidence.NotTested, evidence.NotTested, evidence.NotTested, evidence.NotTested, evidence.NotTested, evidence.Supported}
	if !slices.Equal(supports, want) || dials.Load() != 2 {
		t.Errorf("supports %v, dials %d", supports, dials.Load())
	}
}

func TestProbeMisuse(t *testing.T) {
	got := (&tlsprobe.Prober{}).Probe(context.Background(), evidence.TLS12)
	if got.Support != evidence.Inconclusive || got.Error == nil || got.Error.Kind != evidence.ErrInternal {
		t.Errorf("no dial: %+v", got)
	}
	dial, _ := dialTo("127.0.0.1:1")
	got = (&tlsprobe.Prober{Dial: dial}).Probe(context.Background(), "TLSv9")
	if got.Support != evidence.Inconclusive || got.Error == nil || got.Error.Kind != evidence.ErrInternal || got.Connections != 0 {
		t.Errorf("unknown version: %+v", got)
	}
}

// countedConn tells its tracker when it closes.
type countedConn struct {
	net.Conn
	once  sync.Once
	close func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.close)
	return c.Conn.Close()
}

// TestRunParallel: with Parallel 2, two versions are probed at once (the
// first two dials meet at a barrier before either connects), never more
// than two connections are open, and the results are those of one lane.
func TestRunParallel(t *testing.T) {
	srv := startFake(t, tlstest.Config{
		Versions: []uint16{tlsprobe.VersionTLS10, tlsprobe.VersionTLS11, tlsprobe.VersionTLS12, tlsprobe.VersionTLS13},
		Suites:   []uint16{0xC02F, 0xC030, 0x1301, 0x1302, 0x002F, 0x0035},
	})
	serial, _ := dialTo(srv.Addr())
	want := (&tlsprobe.Prober{Dial: serial}).Run(context.Background())

	var mu sync.Mutex
	open, peak := 0, 0
	barrier := make(chan struct{})
	var arrived atomic.Int32
	parallel := func(ctx context.Context) (net.Conn, error) {
		if n := arrived.Add(1); n == 2 {
			close(barrier)
		} else if n == 1 {
			select {
			case <-barrier:
			case <-time.After(5 * time.Second):
				return nil, errors.New("no second connection was dialled while the first waited")
			}
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", srv.Addr())
		if err != nil {
			return nil, err
		}
		mu.Lock()
		open++
		peak = max(peak, open)
		mu.Unlock()
		return &countedConn{Conn: c, close: func() {
			mu.Lock()
			open--
			mu.Unlock()
		}}, nil
	}
	got := (&tlsprobe.Prober{Dial: parallel, Config: tlsprobe.Config{Parallel: 2}}).Run(context.Background())
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Version != w.Version || g.Support != w.Support || !slices.Equal(suiteCodes(g.Suites), suiteCodes(w.Suites)) ||
			g.Preference != w.Preference || g.Connections != w.Connections {
			t.Errorf("parallel %s: %s %v %s %d conns (%s); one lane: %s %v %s %d conns", g.Version, g.Support, suiteCodes(g.Suites),
				g.Preference, g.Connections, g.Reason, w.Support, suiteCodes(w.Suites), w.Preference, w.Connections)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if peak > 2 || open != 0 {
		t.Errorf("peak %d connections open at once (want at most 2), %d left open", peak, open)
	}
}
