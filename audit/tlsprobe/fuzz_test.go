package tlsprobe_test

import (
	"testing"

	"github.com/mxaudit/mxaudit/audit/tlsprobe"
	"github.com/mxaudit/mxaudit/audit/tlsprobe/tlstest"
)

// maxChainCerts mirrors the parser's cap on certificates kept.
const maxChainCerts = 32

// fuzzSeeds are answers of the fake server to real hellos, plus the
// corpus committed under testdata/fuzz.
func fuzzSeeds(f *testing.F) [][]byte {
	v12 := []uint16{tlsprobe.VersionTLS12}
	cert := []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	cases := []struct {
		cfg    tlstest.Config
		v      uint16
		suites []uint16
	}{
		{tlstest.Config{Versions: v12, Suites: []uint16{0xC02F}, CertDER: [][]byte{cert}}, tlsprobe.VersionTLS12, []uint16{0xC02F}},
		{tlstest.Config{Versions: v12, Suites: []uint16{0x009E}, DHPrimeBits: 1024, FragmentSize: 7}, tlsprobe.VersionTLS12, []uint16{0x009E}},
		{tlstest.Config{Versions: []uint16{tlsprobe.VersionSSL30}, Suites: []uint16{0x0003}}, tlsprobe.VersionSSL30, []uint16{0x0003}},
		{tlstest.Config{Versions: []uint16{tlsprobe.VersionTLS13}, Suites: []uint16{0x1301}}, tlsprobe.VersionTLS13, []uint16{0x1301}},
		{tlstest.Config{Versions: []uint16{tlsprobe.VersionTLS13}, Suites: []uint16{0x1301}, TLS13Group: 23}, tlsprobe.VersionTLS13, []uint16{0x1301}},
		{tlstest.Config{Versions: v12, Suites: []uint16{0x002F}, WarnUnrecognizedName: true}, tlsprobe.VersionTLS10, []uint16{0x002F}},
		{tlstest.Config{SSLv2Specs: [][3]byte{{1, 0, 0x80}}}, tlsprobe.VersionTLS12, []uint16{0x002F}},
	}
	var out [][]byte
	for _, c := range cases {
		b, err := tlstest.Respond(tlsprobe.BuildClientHello(tlsprobe.HelloOptions{Version: c.v, Suites: c.suites}), c.cfg)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func FuzzParseServerResponse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := tlsprobe.ParseServerResponse(b)
		if r == nil {
			t.Fatal("nil response")
		}
		if len(r.Chain) > maxChainCerts {
			t.Fatalf("%d certificates kept", len(r.Chain))
		}
		if err != nil {
			return
		}
		// Without an error the parser stopped at a terminal point.
		tls13 := r.Hello != nil && (r.Hello.HelloRetry || r.Hello.Version >= tlsprobe.VersionTLS13)
		if r.Alert == nil && !r.HelloDone && !tls13 && r.SSLv2 == nil {
			t.Fatalf("no error and no verdict: %+v", r)
		}
		if r.Alert != nil && !r.Alert.Fatal() {
			t.Fatalf("ended on a warning alert %v", r.Alert)
		}
	})
}

func FuzzParseSSLv2ServerHello(f *testing.F) {
	b, err := tlstest.Respond(tlsprobe.BuildSSLv2ClientHello(), tlstest.Config{
		SSLv2Specs: [][3]byte{{0x07, 0x00, 0xC0}, {0x01, 0x00, 0x80}},
		CertDER:    [][]byte{{0x30, 0x03, 0x02, 0x01, 0x01}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{0x80, 0x03, 0x00, 0x00, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		sh, err := tlsprobe.ParseSSLv2ServerHello(b)
		if err != nil {
			return
		}
		if sh.Error {
			if len(b) != 5 {
				t.Fatalf("ERROR message of %d bytes accepted", len(b))
			}
			return
		}
		// Every byte is accounted for: header, fixed part, certificate,
		// specs, connection id.
		if n := 2 + 11 + len(sh.Certificate) + 3*len(sh.Specs) + sh.ConnectionIDLen; n != len(b) {
			t.Fatalf("fields account for %d bytes of %d", n, len(b))
		}
		if sh.Version != 2 || sh.ConnectionIDLen < 16 || sh.ConnectionIDLen > 32 {
			t.Fatalf("accepted %+v", sh)
		}
	})
}
