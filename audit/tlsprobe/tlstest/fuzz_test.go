package tlstest_test

import (
	"testing"

	"github.com/mxaudit/mxaudit/audit/tlsprobe"
	"github.com/mxaudit/mxaudit/audit/tlsprobe/tlstest"
)

func FuzzParseClientHello(f *testing.F) {
	for _, v := range []uint16{tlsprobe.VersionSSL30, tlsprobe.VersionTLS12, tlsprobe.VersionTLS13} {
		f.Add(tlsprobe.BuildClientHello(tlsprobe.HelloOptions{Version: v, Suites: []uint16{0x1301, 0xC02F}, SNI: "mx.example.com"}))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := tlstest.ParseClientHello(b)
		if err != nil {
			return
		}
		if len(h.SessionID) > 32 || len(h.Random) != 32 {
			t.Fatalf("accepted %+v", h)
		}
		// The fake must answer whatever parses, without panicking.
		if _, err := tlstest.Respond(b, tlstest.Config{Versions: []uint16{tlsprobe.VersionTLS12, tlsprobe.VersionTLS13}, Suites: h.Suites}); err != nil {
			t.Fatalf("Respond to a parsed hello: %v", err)
		}
	})
}
