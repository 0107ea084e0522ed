package tlsprobe

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// renegWait is the step timeout of the renegotiation tests, which bounds
// the wait for the answer (vulnWait).
const renegWait = 400 * time.Millisecond

// renegFakeTimeout bounds every fake server connection.
const renegFakeTimeout = 5 * time.Second

func renegCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.example"}, DNSNames: []string{"mx.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// writeCapture keeps what a fake server writes (its hello flight).
type writeCapture struct {
	net.Conn
	mu  sync.Mutex
	out []byte
}

func (w *writeCapture) Write(b []byte) (int, error) {
	w.mu.Lock()
	if len(w.out) < maxResponseBytes {
		w.out = append(w.out, b...)
	}
	w.mu.Unlock()
	return w.Conn.Write(b)
}

// fakeSession is a fake server's view of an established TLS 1.2 session:
// its raw connection and the record keys it recovered, as the probe does.
type fakeSession struct {
	raw            net.Conn
	tc             *tls.Conn
	client, server *recordKeys
	verifyData     []byte
}

// readClientRecord reads and opens the client's next record from the raw
// socket: what a server that speaks renegotiation would decrypt.
func (f *fakeSession) readClientRecord(t *testing.T) (uint8, []byte) {
	h := make([]byte, recordHeaderLen)
	if _, err := io.ReadFull(f.raw, h); err != nil {
		t.Errorf("fake: no record from the probe: %v", err)
		return 0, nil
	}
	payload := make([]byte, binary.BigEndian.Uint16(h[3:]))
	if _, err := io.ReadFull(f.raw, payload); err != nil {
		t.Errorf("fake: short record: %v", err)
		return 0, nil
	}
	plain, err := f.client.open(h[0], binary.BigEndian.Uint16(h[1:]), payload)
	if err != nil {
		t.Errorf("fake: the probe's record does not open under the session's client keys: %v", err)
	}
	return h[0], plain
}

// renegFake serves TLS 1.2 with crypto/tls on loopback; after each
// handshake, then(session) plays the server's part.
func renegFake(t *testing.T, cfg *tls.Config, then func(*fakeSession)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(renegFakeTimeout))
				var keyLog bytes.Buffer
				sc := cfg.Clone()
				sc.KeyLogWriter = &keyLog
				wc := &writeCapture{Conn: c}
				tc := tls.Server(wc, sc)
				if tc.Handshake() != nil {
					return
				}
				st := tc.ConnectionState()
				cr, ms, err := parseKeyLog(keyLog.Bytes())
				if err != nil {
					t.Errorf("fake: %v", err)
					return
				}
				wc.mu.Lock()
				resp, _ := ParseServerResponse(wc.out)
				wc.mu.Unlock()
				if resp == nil || resp.Hello == nil {
					t.Error("fake: own ServerHello not captured")
					return
				}
				ck, sk, err := deriveKeys(recordSuites[st.CipherSuite], st.Version, ms, cr, resp.Hello.Random[:])
				if err != nil {
					t.Errorf("fake: %v", err)
					return
				}
				ck.seq, sk.seq = 1, 1
				then(&fakeSession{raw: c, tc: tc, client: ck, server: sk, verifyData: st.TLSUnique})
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func tls12Versions(t *testing.T, codes ...uint16) []evidence.VersionResult {
	t.Helper()
	return versionsOf(t, evidence.TLS12, codes...)
}

func versionsOf(t *testing.T, version string, codes ...uint16) []evidence.VersionResult {
	t.Helper()
	var suites []evidence.Suite
	for _, c := range codes {
		s, ok := SuiteByCode(c)
		if !ok {
			t.Fatalf("unknown suite %04x", c)
		}
		suites = append(suites, s)
	}
	return []evidence.VersionResult{{Version: version, Support: evidence.Supported, Suites: suites, Complete: true}}
}

func renegProber(addr string, dials *int) *Prober {
	var mu sync.Mutex
	return &Prober{
		Dial: func(ctx context.Context) (net.Conn, error) {
			mu.Lock()
			*dials++
			mu.Unlock()
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
		Config: Config{SNI: "mx.example", StepTimeout: renegWait},
	}
}

// checkRenegHello asserts that the probe's record is a renegotiation
// ClientHello for this session: RFC 5746 §3.5, renegotiation_info with
// the client's verify_data, and no SCSV.
func checkRenegHello(t *testing.T, f *fakeSession, typ uint8, plain []byte) {
	t.Helper()
	if typ != recordTypeHandshake || len(plain) < handshakeHeaderLen || plain[0] != typeClientHello {
		t.Errorf("fake: the probe sent record type %d, message %x…, want a ClientHello", typ, plain[:min(len(plain), 4)])
		return
	}
	c := cursor{b: plain[handshakeHeaderLen:]}
	c.u16("version")
	c.bytes(randomLen, "random")
	c.vec8("session id")
	suites := c.vec16("suites")
	c.vec8("compression")
	exts := cursor{b: c.vec16("extensions")}
	if c.err != nil {
		t.Errorf("fake: unreadable ClientHello: %v", c.err)
		return
	}
	for i := 0; i+1 < len(suites); i += 2 {
		if binary.BigEndian.Uint16(suites[i:]) == scsvRenegotiation {
			t.Error("fake: the renegotiation ClientHello carries the SCSV (RFC 5746 §3.5 forbids it)")
		}
	}
	found := map[uint16][]byte{}
	for !exts.empty() && exts.err == nil {
		typ := exts.u16("extension type")
		found[typ] = exts.vec16("extension")
	}
	want := append([]byte{byte(len(f.verifyData))}, f.verifyData...)
	if ri, ok := found[extRenegotiationInfo]; len(f.verifyData) != verifyDataLen || !ok || !bytes.Equal(ri, want) {
		t.Errorf("fake: renegotiation_info %x, want the client verify_data %x", ri, want)
	}
	// crypto/tls negotiates the extended master secret; the renegotiation
	// must offer it again (RFC 7627 §5.2), or OpenSSL aborts it.
	if _, ok := found[extExtendedMaster]; !ok {
		t.Error("fake: no extended_master_secret in the renegotiation ClientHello")
	}
}

func TestClientRenegotiation(t *testing.T) {
	cert := renegCert(t)
	rsaSuites := []uint16{
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	}
	// crypto/tls refuses by itself: a ClientHello it decrypts and parses
	// inside a session draws unexpected_message; one it cannot decrypt
	// bad_record_mac, one it cannot parse decode_error. So this case is
	// the independent check of the record protection, per suite family.
	for _, suite := range rsaSuites {
		t.Run("crypto/tls refuses/"+SuiteCode(suite), func(t *testing.T) {
			cfg := &tls.Config{Certificates: []tls.Certificate{cert}, CipherSuites: []uint16{suite}, MaxVersion: tls.VersionTLS12}
			addr := renegFake(t, cfg, func(f *fakeSession) { _, _ = f.tc.Read(make([]byte, 1)) })
			dials := 0
			got := renegProber(addr, &dials).clientRenegotiation(t.Context(), tls12Versions(t, suite))
			if got.Status != evidence.VulnNotVulnerable || !strings.Contains(got.Detail, "unexpected_message (10)") {
				t.Errorf("got %s %q (%v), want not_vulnerable by unexpected_message", got.Status, got.Detail, got.Error)
			}
			if got.Connections != 1 || dials != 1 || got.Version != evidence.TLS12 {
				t.Errorf("connections %d, dials %d, version %q", got.Connections, dials, got.Version)
			}
		})
	}

	// TLS 1.1 (explicit IVs) and TLS 1.0 (each IV the last cipher block
	// of the record before, the Finished's for the first): CBC only, with
	// the TLS 1.0 PRF; the probe picks the newest version accepted.
	for _, v := range []struct {
		name string
		wire uint16
	}{{evidence.TLS11, tls.VersionTLS11}, {evidence.TLS10, tls.VersionTLS10}} {
		for _, suite := range []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA} {
			t.Run("crypto/tls refuses/"+v.name+"/"+SuiteCode(suite), func(t *testing.T) {
				cfg := &tls.Config{Certificates: []tls.Certificate{cert}, CipherSuites: []uint16{suite}, MinVersion: v.wire, MaxVersion: v.wire}
				addr := renegFake(t, cfg, func(f *fakeSession) { _, _ = f.tc.Read(make([]byte, 1)) })
				dials := 0
				gcm, _ := SuiteByCode(tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)
				versions := append(versionsOf(t, v.name, suite),
					// A TLS 1.2 that accepted nothing: the probe goes down to v.
					evidence.VersionResult{Version: evidence.TLS12, Support: evidence.NotSupported},
					evidence.VersionResult{Version: evidence.TLS13, Support: evidence.Supported, Suites: []evidence.Suite{gcm}})
				got := renegProber(addr, &dials).clientRenegotiation(t.Context(), versions)
				if got.Status != evidence.VulnNotVulnerable || !strings.Contains(got.Detail, "unexpected_message (10)") || got.Version != v.name {
					t.Errorf("got %s %s %q (%v), want not_vulnerable by unexpected_message", got.Version, got.Status, got.Detail, got.Error)
				}
			})
		}
	}

	gcm := tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	cbc := tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
	cases := []struct {
		name   string
		suite  uint16
		then   func(*testing.T, *fakeSession)
		status evidence.VulnStatus
		detail string
	}{
		{"accepts, GCM", gcm, func(t *testing.T, f *fakeSession) {
			typ, plain := f.readClientRecord(t)
			checkRenegHello(t, f, typ, plain)
			// The start of a ServerHello, protected as the next record.
			_, _ = f.raw.Write(f.server.seal(recordTypeHandshake, VersionTLS12, []byte{typeServerHello, 0, 0, 70, 3, 3}))
		}, evidence.VulnVulnerable, "ServerHello"},
		{"accepts, CBC", cbc, func(t *testing.T, f *fakeSession) {
			typ, plain := f.readClientRecord(t)
			checkRenegHello(t, f, typ, plain)
			_, _ = f.raw.Write(f.server.seal(recordTypeHandshake, VersionTLS12, []byte{typeServerHello, 0, 0, 70, 3, 3}))
		}, evidence.VulnVulnerable, "ServerHello"},
		{"accepts, answer not decrypted", gcm, func(t *testing.T, f *fakeSession) {
			f.readClientRecord(t)
			_, _ = f.raw.Write(recordOf(recordTypeHandshake, VersionTLS12, bytes.Repeat([]byte{0x5a}, 64)))
		}, evidence.VulnVulnerable, "not decrypted"},
		{"refuses with no_renegotiation", cbc, func(t *testing.T, f *fakeSession) {
			typ, plain := f.readClientRecord(t)
			checkRenegHello(t, f, typ, plain)
			_, _ = f.raw.Write(f.server.seal(recordTypeAlert, VersionTLS12, []byte{alertLevelWarning, alertNoRenegotiation}))
		}, evidence.VulnNotVulnerable, "warning no_renegotiation (100)"},
		{"alert not decrypted", gcm, func(t *testing.T, f *fakeSession) {
			f.readClientRecord(t)
			_, _ = f.raw.Write(recordOf(recordTypeAlert, VersionTLS12, bytes.Repeat([]byte{1}, 26)))
		}, evidence.VulnInconclusive, "could not be decrypted"},
		{"bad_record_mac", gcm, func(t *testing.T, f *fakeSession) {
			f.readClientRecord(t)
			_, _ = f.raw.Write(f.server.seal(recordTypeAlert, VersionTLS12, []byte{alertLevelFatal, alertBadRecordMAC}))
		}, evidence.VulnInconclusive, "could not read"},
		{"handshake_failure", gcm, func(t *testing.T, f *fakeSession) {
			f.readClientRecord(t)
			_, _ = f.raw.Write(f.server.seal(recordTypeAlert, VersionTLS12, []byte{alertLevelFatal, alertHandshakeFail}))
		}, evidence.VulnInconclusive, "may renegotiate with another hello"},
		{"closes", gcm, func(t *testing.T, f *fakeSession) {
			f.readClientRecord(t)
		}, evidence.VulnNotVulnerable, "closed"},
		{"stalls", gcm, func(t *testing.T, f *fakeSession) {
			f.readClientRecord(t)
			_, _ = io.Copy(io.Discard, f.raw)
		}, evidence.VulnNotVulnerable, "no answer to the renegotiation ClientHello within " + renegWait.String()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &tls.Config{Certificates: []tls.Certificate{cert}, CipherSuites: []uint16{tc.suite}, MaxVersion: tls.VersionTLS12}
			addr := renegFake(t, cfg, func(f *fakeSession) { tc.then(t, f) })
			dials := 0
			start := time.Now()
			got := renegProber(addr, &dials).clientRenegotiation(t.Context(), tls12Versions(t, tc.suite))
			if got.Status != tc.status || !strings.Contains(got.Detail, tc.detail) {
				t.Errorf("got %s %q (%v), want %s containing %q", got.Status, got.Detail, got.Error, tc.status, tc.detail)
			}
			if got.Connections != 1 || dials != 1 {
				t.Errorf("connections %d, dials %d, want 1", got.Connections, dials)
			}
			// The wait is bounded: the handshake, then at most renegWait.
			if d := time.Since(start); d > renegWait+renegFakeTimeout {
				t.Errorf("took %v", d)
			}
		})
	}
}

func TestClientRenegotiationNotRun(t *testing.T) {
	rc4, _ := SuiteByCode(0xC011) // ECDHE-RSA-RC4-SHA: not a suite the probe protects
	s13, _ := SuiteByCode(0x1301)
	s12, _ := SuiteByCode(0xC02F) // AES-GCM: defined for TLS 1.2 only
	cases := []struct {
		name     string
		versions []evidence.VersionResult
		status   evidence.VulnStatus
		detail   string
	}{
		{"TLS 1.3 only", []evidence.VersionResult{{Version: evidence.TLS13, Support: evidence.Supported, Suites: []evidence.Suite{s13}}}, evidence.VulnNotApplicable, "no renegotiation"},
		{"TLS 1.0 with a TLS 1.2-only suite", []evidence.VersionResult{{Version: evidence.TLS10, Support: evidence.Supported, Suites: []evidence.Suite{s12}}}, evidence.VulnNotTested, "none of the accepted"},
		{"RC4 only", []evidence.VersionResult{{Version: evidence.TLS12, Support: evidence.Supported, Suites: []evidence.Suite{rc4}}}, evidence.VulnNotTested, "none of the accepted"},
		{"nothing", nil, evidence.VulnNotTested, "no TLS 1.0, 1.1 or 1.2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dials := 0
			got := renegProber("127.0.0.1:1", &dials).clientRenegotiation(t.Context(), tc.versions)
			if got.Status != tc.status || !strings.Contains(got.Detail, tc.detail) || dials != 0 || got.Connections != 0 {
				t.Errorf("got %+v after %d dials, want %s containing %q and no connection", got, dials, tc.status, tc.detail)
			}
		})
	}
}

// TestPRF12 checks the PRF against crypto/tls's own, through the RFC 5705
// exporter (PRF(master, label, client random + server random)).
func TestPRF12(t *testing.T) {
	cert := renegCert(t)
	for _, tc := range []struct {
		suite   uint16
		version uint16
	}{
		{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.VersionTLS12},
		{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.VersionTLS12},
		{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.VersionTLS11},
		{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.VersionTLS10},
	} {
		suite := tc.suite
		c, s := net.Pipe()
		var keyLog, serverOut bytes.Buffer
		wc := &writeCapture{Conn: s}
		srv := tls.Server(wc, &tls.Config{Certificates: []tls.Certificate{cert}, CipherSuites: []uint16{suite}, MinVersion: tc.version, MaxVersion: tc.version})
		done := make(chan error, 1)
		go func() { done <- srv.Handshake() }()
		cl := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: tc.version, MaxVersion: tc.version, CipherSuites: []uint16{suite}, KeyLogWriter: &keyLog})
		if err := cl.Handshake(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		serverOut.Write(wc.out)
		cr, ms, err := parseKeyLog(keyLog.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := ParseServerResponse(serverOut.Bytes())
		if resp == nil || resp.Hello == nil {
			t.Fatal("no ServerHello captured")
		}
		st := cl.ConnectionState()
		want, err := st.ExportKeyingMaterial("EXPERIMENTAL test", nil, 64)
		if err != nil {
			t.Fatal(err)
		}
		got := recordSuites[suite].prf(tc.version, ms, "EXPERIMENTAL test", append(append([]byte{}, cr...), resp.Hello.Random[:]...), 64)
		if !bytes.Equal(got, want) {
			t.Errorf("%s %s: prf = %x, crypto/tls exporter = %x", VersionName(tc.version), SuiteCode(suite), got, want)
		}
		_ = c.Close()
		_ = s.Close()
	}
}

// FuzzRenegReply feeds arbitrary bytes to the reader of the answer to the
// renegotiation ClientHello and to its verdict: no panic, no read past a
// record, and "vulnerable" only for a handshake record.
func FuzzRenegReply(f *testing.F) {
	f.Add([]byte{21, 3, 3, 0, 2, 1, 100}, uint8(0))
	f.Add([]byte{22, 3, 3, 0, 6, 2, 0, 0, 70, 3, 3}, uint8(1))
	f.Add([]byte{21, 3, 3, 0, 26}, uint8(0))
	f.Add([]byte{23, 3, 3, 0xff, 0xff}, uint8(1))
	f.Add([]byte{22, 3, 3, 0x48, 0x01}, uint8(2))
	master := bytes.Repeat([]byte{7}, masterSecretLen)
	cr, sr := bytes.Repeat([]byte{1}, randomLen), bytes.Repeat([]byte{2}, randomLen)
	var keys []*recordKeys
	for _, k := range []struct {
		suite   uint16
		version uint16
	}{
		{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.VersionTLS12},
		{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, tls.VersionTLS12},
		{tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.VersionTLS10},
	} {
		_, server, err := deriveKeys(recordSuites[k.suite], k.version, master, cr, sr)
		if err != nil {
			f.Fatal(err)
		}
		keys = append(keys, server)
	}
	f.Fuzz(func(t *testing.T, b []byte, mode uint8) {
		k := *keys[int(mode)%len(keys)]
		r := bytes.NewReader(b)
		rr, err := readRenegReply(r, &k)
		if used := len(b) - r.Len(); used > recordHeaderLen+maxCiphertextLen {
			t.Fatalf("read %d bytes", used)
		}
		v := renegVerdict(rr, err, time.Second, false)
		if v.Status == evidence.VulnVulnerable && (err != nil || rr.Type != recordTypeHandshake) {
			t.Fatalf("vulnerable from %+v, %v", rr, err)
		}
		if v.Status == "" || v.Detail == "" {
			t.Fatalf("empty verdict %+v", v)
		}
	})
}
