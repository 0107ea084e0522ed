package tlsprobe_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/tlsprobe"
	"github.com/mxaudit/mxaudit/audit/tlsprobe/tlstest"
)

// testRSAKeyBits keeps key generation quick; the probe only needs room
// for a PKCS #1 block around a 48-byte secret.
const testRSAKeyBits = 1024

func rsaCert(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, testRSAKeyBits)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return key, der
}

func TestVulns(t *testing.T) {
	key, der := rsaCert(t)
	ecdhe, static := uint16(0xC02F), uint16(0x009C) // ECDHE-RSA-AES128-GCM-SHA256, AES128-GCM-SHA256
	base := tlstest.Config{Versions: tls12Only, Suites: []uint16{ecdhe, static}, CertDER: [][]byte{der}, RSAKey: key}
	with := func(mod func(*tlstest.Config)) tlstest.Config {
		c := base
		mod(&c)
		return c
	}
	type want struct {
		reneg, comp, hb, ccs, robot evidence.VulnStatus
		conns                       int
	}
	fixed := want{evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, evidence.VulnNotApplicable,
		evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, 6}
	cases := []struct {
		name string
		cfg  tlstest.Config
		want want
	}{
		{"fixed server", base, fixed},
		{"no secure renegotiation", with(func(c *tlstest.Config) { c.NoSecureRenegotiation = true }),
			want{evidence.VulnVulnerable, evidence.VulnNotVulnerable, evidence.VulnNotApplicable, evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, 6}},
		{"compression", with(func(c *tlstest.Config) { c.Compression = true }),
			want{evidence.VulnNotVulnerable, evidence.VulnVulnerable, evidence.VulnNotApplicable, evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, 6}},
		{"heartbeat, fixed", with(func(c *tlstest.Config) { c.Heartbeat = true }),
			want{evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, 6}},
		{"heartbleed", with(func(c *tlstest.Config) { c.Heartbeat, c.Heartbleed = true, true }),
			want{evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, evidence.VulnVulnerable, evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, 6}},
		{"ccs injection", with(func(c *tlstest.Config) { c.CCSInjection = true }),
			want{evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, evidence.VulnNotApplicable, evidence.VulnVulnerable, evidence.VulnNotVulnerable, 6}},
		{"robot oracle", with(func(c *tlstest.Config) { c.ROBOTOracle = true }),
			want{evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, evidence.VulnNotApplicable, evidence.VulnNotVulnerable, evidence.VulnVulnerable, 6}},
		{"no RSA key exchange", with(func(c *tlstest.Config) { c.Suites = []uint16{ecdhe}; c.ROBOTOracle = true }),
			want{evidence.VulnNotVulnerable, evidence.VulnNotVulnerable, evidence.VulnNotApplicable, evidence.VulnNotVulnerable, evidence.VulnNotApplicable, 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startFake(t, tc.cfg)
			dial, n := dialTo(s.Addr())
			p := &tlsprobe.Prober{Dial: dial, Config: tlsprobe.Config{StepTimeout: time.Second, Versions: []string{evidence.TLS12}}}
			ctx := context.Background()
			versions := p.Run(ctx)
			before := int(n.Load())
			v := p.Vulns(ctx, versions)
			got := want{v.SecureRenegotiation.Status, v.Compression.Status, v.Heartbleed.Status, v.CCSInjection.Status, v.ROBOT.Status, int(n.Load()) - before}
			if got != tc.want {
				t.Errorf("got %+v, want %+v\nrobot: %s\nccs: %s\nheartbleed: %s", got, tc.want, v.ROBOT.Detail, v.CCSInjection.Detail, v.Heartbleed.Detail)
			}
			sum := v.SecureRenegotiation.Connections + v.Compression.Connections + v.Heartbleed.Connections + v.CCSInjection.Connections + v.ROBOT.Connections +
				v.ClientRenegotiation.Connections
			if sum != got.conns {
				t.Errorf("checks count %d connections, the dialer saw %d", sum, got.conns)
			}
			if v.STARTTLSInjection.Status != evidence.VulnNotTested {
				t.Errorf("the check the TLS prober does not run must be not_tested: %+v", v.STARTTLSInjection)
			}
			// These raw fakes never complete a handshake: the
			// renegotiation probe (reneg_test.go has real sessions) has
			// no session to renegotiate, which decides nothing.
			if c := v.ClientRenegotiation; c.Status != evidence.VulnInconclusive || c.Connections != 1 {
				t.Errorf("client renegotiation: %+v, want inconclusive after one connection", c)
			}
		})
	}
}

func TestVulnsWithoutOldTLS(t *testing.T) {
	s := startFake(t, tlstest.Config{Versions: tls13Only, Suites: []uint16{0x1301}})
	dial, n := dialTo(s.Addr())
	p := &tlsprobe.Prober{Dial: dial, Config: tlsprobe.Config{StepTimeout: time.Second, Versions: []string{evidence.TLS12, evidence.TLS13}}}
	versions := p.Run(context.Background())
	before := n.Load()
	v := p.Vulns(context.Background(), versions)
	if n.Load() != before {
		t.Errorf("%d connections for a TLS 1.3-only server", n.Load()-before)
	}
	for name, c := range map[string]evidence.VulnCheck{"heartbleed": v.Heartbleed, "ccs": v.CCSInjection, "reneg": v.SecureRenegotiation, "robot": v.ROBOT} {
		if c.Status != evidence.VulnNotTested || !strings.Contains(c.Detail, "no TLS 1.0") {
			t.Errorf("%s: %+v, want not tested", name, c)
		}
	}
	if c := v.ClientRenegotiation; c.Status != evidence.VulnNotApplicable || c.Connections != 0 {
		t.Errorf("client renegotiation on a TLS 1.3-only server: %+v, want not applicable", c)
	}
}

func TestVulnsClosingServer(t *testing.T) {
	// A server that closes every connection at once, after an enumeration
	// that found a suite: nothing is vulnerable and nothing is a pass.
	addr := rawServer(t, func(net.Conn) {})
	dial, _ := dialTo(addr)
	p := &tlsprobe.Prober{Dial: dial, Config: tlsprobe.Config{StepTimeout: time.Second}}
	s, _ := tlsprobe.SuiteByCode(0x009C)
	versions := []evidence.VersionResult{{Version: evidence.TLS12, Support: evidence.Supported, Suites: []evidence.Suite{s}, Complete: true}}
	v := p.Vulns(context.Background(), versions)
	for name, c := range map[string]evidence.VulnCheck{"heartbleed": v.Heartbleed, "ccs": v.CCSInjection, "reneg": v.SecureRenegotiation,
		"compression": v.Compression, "robot": v.ROBOT, "client renegotiation": v.ClientRenegotiation} {
		if c.Status != evidence.VulnInconclusive {
			t.Errorf("%s: %+v, want inconclusive", name, c)
		}
	}
}

func FuzzReadProbeReply(f *testing.F) {
	f.Add([]byte{24, 3, 3, 0x40, 0x03, 2, 0x40, 0})
	f.Add([]byte{21, 3, 3, 0, 2, 2, 20})
	f.Add([]byte{21, 3, 1, 0, 2})
	f.Add([]byte{22, 3, 3, 0xff, 0xff})
	f.Add([]byte{0x80, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		pr, err := tlsprobe.ReadProbeReply(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		if pr.Type == 21 && pr.Alert == nil {
			t.Fatal("alert record without its alert")
		}
		if pr.Alert != nil && len(b) < 7 {
			t.Fatalf("alert from %d bytes", len(b))
		}
	})
}

func TestVulnsDetailShown(t *testing.T) {
	key, der := rsaCert(t)
	s := startFake(t, tlstest.Config{Versions: tls12Only, Suites: []uint16{0x009C}, CertDER: [][]byte{der}, RSAKey: key, ROBOTOracle: true})
	dial, _ := dialTo(s.Addr())
	p := &tlsprobe.Prober{Dial: dial, Config: tlsprobe.Config{StepTimeout: time.Second, Versions: []string{evidence.TLS12}}}
	v := p.Vulns(context.Background(), p.Run(context.Background()))
	for _, w := range []string{"well-formed padding → fatal bad_record_mac (20) alert", "wrong first bytes → fatal decrypt_error (51) alert"} {
		if !strings.Contains(v.ROBOT.Detail, w) {
			t.Errorf("ROBOT detail %q lacks %q", v.ROBOT.Detail, w)
		}
	}
}
