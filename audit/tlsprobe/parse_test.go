package tlsprobe_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"io"
	"math/big"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/tlsprobe"
	"github.com/mxaudit/mxaudit/audit/tlsprobe/tlstest"
)

// newCert returns a self-signed certificate for name, generated now.
func newCert(t testing.TB, name string, ecKey bool) ([]byte, any) {
	t.Helper()
	var pub, priv any
	if ecKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pub, priv = &k.PublicKey, k
	} else {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		pub, priv = &k.PublicKey, k
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return der, priv
}

// respond is the fake server's answer to a hello of version v offering suites.
func respond(t testing.TB, cfg tlstest.Config, v uint16, suites []uint16) []byte {
	t.Helper()
	b, err := tlstest.Respond(tlsprobe.BuildClientHello(tlsprobe.HelloOptions{Version: v, Suites: suites, SNI: "mx.example.com"}), cfg)
	if err != nil {
		t.Fatalf("Respond: %v", err)
	}
	return b
}

func TestParseServerResponse(t *testing.T) {
	cert := []byte("not really a certificate, but bytes") // the parser keeps DER as bytes
	v12 := []uint16{tlsprobe.VersionTLS12}
	tests := []struct {
		name    string
		cfg     tlstest.Config
		version uint16
		suites  []uint16
		check   func(t *testing.T, r *tlsprobe.ServerResponse)
	}{
		{"ecdhe flight in one record", tlstest.Config{Versions: v12, Suites: []uint16{0xC02F}, CertDER: [][]byte{cert, cert}},
			tlsprobe.VersionTLS12, []uint16{0x002F, 0xC02F}, func(t *testing.T, r *tlsprobe.ServerResponse) {
				if r.Hello.Version != tlsprobe.VersionTLS12 || r.Hello.Suite != 0xC02F || len(r.Hello.SessionID) != 32 {
					t.Errorf("hello %+v", r.Hello)
				}
				if len(r.Chain) != 2 || !bytes.Equal(r.Chain[0], cert) {
					t.Errorf("chain of %d certificates", len(r.Chain))
				}
				want := &tlsprobe.ServerKeyExchange{Format: tlsprobe.SKEEC, CurveType: 3, Group: 23, PointLen: 65}
				if !reflect.DeepEqual(r.KeyExchange, want) {
					t.Errorf("key exchange %+v, want %+v", r.KeyExchange, want)
				}
				if !r.HelloDone || r.Alert != nil {
					t.Errorf("done %v, alert %v", r.HelloDone, r.Alert)
				}
			}},
		{"one byte per record", tlstest.Config{Versions: v12, Suites: []uint16{0xC02F}, CertDER: [][]byte{cert}, FragmentSize: 1},
			tlsprobe.VersionTLS12, []uint16{0xC02F}, func(t *testing.T, r *tlsprobe.ServerResponse) {
				if r.Hello.Suite != 0xC02F || len(r.Chain) != 1 || r.KeyExchange.Group != 23 || !r.HelloDone {
					t.Errorf("fragmented flight parsed as %+v", r)
				}
			}},
		{"dhe 1024", tlstest.Config{Versions: v12, Suites: []uint16{0x009E}, DHPrimeBits: 1024},
			tlsprobe.VersionTLS12, []uint16{0x009E}, func(t *testing.T, r *tlsprobe.ServerResponse) {
				if r.KeyExchange.Format != tlsprobe.SKEDH || r.KeyExchange.DHPrimeBits != 1024 ||
					!bytes.Equal(r.KeyExchange.DHGenerator, []byte{2}) || r.KeyExchange.DHPublicLen != 128 {
					t.Errorf("key exchange %+v", r.KeyExchange)
				}
			}},
		{"rsa export", tlstest.Config{Versions: []uint16{tlsprobe.VersionSSL30}, Suites: []uint16{0x0003}},
			tlsprobe.VersionSSL30, []uint16{0x0003}, func(t *testing.T, r *tlsprobe.ServerResponse) {
				if r.Hello.Version != tlsprobe.VersionSSL30 || r.Hello.Extensions != nil {
					t.Errorf("SSLv3 hello %+v", r.Hello)
				}
				if r.KeyExchange.Format != tlsprobe.SKERSA || r.KeyExchange.RSAModulusBits != 512 {
					t.Errorf("key exchange %+v", r.KeyExchange)
				}
			}},
		{"anon has no certificate", tlstest.Config{Versions: v12, Suites: []uint16{0x0034}, CertDER: [][]byte{cert}},
			tlsprobe.VersionTLS12, []uint16{0x0034}, func(t *testing.T, r *tlsprobe.ServerResponse) {
				if r.Chain != nil || r.KeyExchange.DHPrimeBits != 2048 || !r.HelloDone {
					t.Errorf("anon flight %+v", r)
				}
			}},
		{"warning before hello", tlstest.Config{Versions: v12, Suites: []uint16{0x002F}, WarnUnrecognizedName: true},
			tlsprobe.VersionTLS12, []uint16{0x002F}, func(t *testing.T, r *tlsprobe.ServerResponse) {
				if !slices.Equal(r.Warnings, []tlsprobe.Alert{{Level: 1, Description: 112}}) || r.Hello == nil || r.Alert != nil {
					t.Errorf("warnings %v, hello %v, alert %v", r.Warnings, r.Hello, r.Alert)
				}
			}},
		{"protocol version alert", tlstest.Config{Versions: v12, Suites: []uint16{0x002F}},
			tlsprobe.VersionTLS10, []uint16{0x002F}, func(t *testing.T, r *tlsprobe.ServerResponse) {
				if r.Alert == nil || *r.Alert != (tlsprobe.Alert{Level: 2, Description: 70}) || r.Hello != nil {
					t.Errorf("alert %v, hello %v", r.Alert, r.Hello)
				}
				if got := r.Alert.String(); got != "fatal protocol_version (70)" {
					t.Errorf("alert string %q", got)
				}
			}},
		{"tls13 stops at server hello", tlstest.Config{Versions: []uint16{tlsprobe.VersionTLS13}, Suites: []uint16{0x1302}},
			tlsprobe.VersionTLS13, []uint16{0x1301, 0x1302}, func(t *testing.T, r *tlsprobe.ServerResponse) {
				h := r.Hello
				if h.Version != tlsprobe.VersionTLS13 || h.LegacyVersion != tlsprobe.VersionTLS12 || h.Suite != 0x1302 ||
					h.KeyShareGroup != 29 || h.KeyShareLen != 32 || h.HelloRetry || r.HelloDone {
					t.Errorf("hello %+v", h)
				}
			}},
		{"hello retry request", tlstest.Config{Versions: []uint16{tlsprobe.VersionTLS13}, Suites: []uint16{0x1301}, TLS13Group: 23},
			tlsprobe.VersionTLS13, []uint16{0x1301}, func(t *testing.T, r *tlsprobe.ServerResponse) {
				h := r.Hello
				if !h.HelloRetry || h.Version != tlsprobe.VersionTLS13 || h.Suite != 0x1301 || h.KeyShareGroup != 23 || h.KeyShareLen != 0 {
					t.Errorf("hello retry %+v", h)
				}
			}},
		{"sslv2 error to a tls hello", tlstest.Config{SSLv2Specs: [][3]byte{{1, 0, 0x80}}},
			tlsprobe.VersionTLS12, []uint16{0x002F}, func(t *testing.T, r *tlsprobe.ServerResponse) {
				if r.SSLv2 == nil || !r.SSLv2.Error || r.SSLv2.ErrorCode != 1 || r.Hello != nil {
					t.Errorf("SSLv2 answer %+v", r.SSLv2)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tlsprobe.ParseServerResponse(respond(t, tt.cfg, tt.version, tt.suites))
			if err != nil {
				t.Fatalf("ParseServerResponse: %v", err)
			}
			if r.Hello == nil && r.Alert == nil && r.SSLv2 == nil {
				t.Fatalf("empty response %+v", r)
			}
			tt.check(t, r)
		})
	}
}

func TestParseSSLv2ServerHello(t *testing.T) {
	cert := []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	specs := [][3]byte{{0x07, 0x00, 0xC0}, {0x01, 0x00, 0x80}}
	b, err := tlstest.Respond(tlsprobe.BuildSSLv2ClientHello(), tlstest.Config{SSLv2Specs: specs, CertDER: [][]byte{cert}})
	if err != nil {
		t.Fatal(err)
	}
	sh, err := tlsprobe.ParseSSLv2ServerHello(b)
	if err != nil {
		t.Fatalf("ParseSSLv2ServerHello: %v", err)
	}
	if !slices.Equal(sh.Specs, specs) || !bytes.Equal(sh.Certificate, cert) || sh.Version != 2 ||
		sh.CertificateType != 1 || sh.ConnectionIDLen != 16 || sh.Error {
		t.Errorf("SERVER-HELLO %+v", sh)
	}
	r, err := tlsprobe.ParseServerResponse(b)
	if err != nil || r.SSLv2 == nil || !slices.Equal(r.SSLv2.Specs, specs) {
		t.Errorf("ParseServerResponse = %+v, %v", r, err)
	}

	bad := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"no high bit", []byte{0x00, 0x03, 0x00, 0x00, 0x01}},
		{"length mismatch", []byte{0x80, 0x05, 0x00, 0x00, 0x01}},
		{"error too long", []byte{0x80, 0x04, 0x00, 0x00, 0x01, 0x00}},
		{"unknown type", []byte{0x80, 0x03, 0x07, 0x00, 0x01}},
		{"wrong version", sslv2Hello(0x0300, 1, nil, nil, 16)},
		{"spec list not a multiple of three", sslv2Hello(2, 1, nil, []byte{1, 0}, 16)},
		{"short connection id", sslv2Hello(2, 1, nil, []byte{1, 0, 0x80}, 4)},
		{"bad certificate type", sslv2Hello(2, 9, []byte{1}, []byte{1, 0, 0x80}, 16)},
		{"lengths past the end", []byte{0x80, 0x0B, 4, 0, 1, 0, 2, 0xFF, 0xFF, 0, 3, 0, 16}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tlsprobe.ParseSSLv2ServerHello(tt.b); !errors.Is(err, tlsprobe.ErrMalformed) {
				t.Errorf("error %v, want ErrMalformed", err)
			}
		})
	}
}

// sslv2Hello builds a SERVER-HELLO record by hand.
func sslv2Hello(version uint16, certType byte, cert, specs []byte, connLen int) []byte {
	body := []byte{4, 0, certType}
	body = binary.BigEndian.AppendUint16(body, version)
	body = binary.BigEndian.AppendUint16(body, uint16(len(cert)))
	body = binary.BigEndian.AppendUint16(body, uint16(len(specs)))
	body = binary.BigEndian.AppendUint16(body, uint16(connLen))
	body = append(body, cert...)
	body = append(body, specs...)
	body = append(body, make([]byte, connLen)...)
	return append(binary.BigEndian.AppendUint16(nil, 0x8000|uint16(len(body))), body...)
}

// rec builds a TLS record.
func rec(typ byte, payload []byte) []byte {
	b := []byte{typ, 3, 3}
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	return append(b, payload...)
}

// hs builds a handshake message with a declared length.
func hs(typ byte, declared int, body []byte) []byte {
	return append([]byte{typ, byte(declared >> 16), byte(declared >> 8), byte(declared)}, body...)
}

// minimalServerHello is a TLS 1.2 ServerHello body choosing suite.
func minimalServerHello(suite uint16) []byte {
	b := []byte{3, 3}
	b = append(b, make([]byte, 32)...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, suite)
	return append(b, 0)
}

func TestParseServerResponseMalformed(t *testing.T) {
	sh := minimalServerHello(0x002F)
	shMsg := hs(2, len(sh), sh)
	zeroRecords := bytes.Repeat(rec(22, nil), 70000/5)
	tests := []struct {
		name    string
		b       []byte
		wantErr []error
		hello   bool // a ServerHello was read before the error
	}{
		{"empty", nil, []error{io.EOF}, false},
		{"truncated header", []byte{22, 3}, []error{tlsprobe.ErrMalformed, io.ErrUnexpectedEOF}, false},
		{"truncated record", rec(22, shMsg)[:20], []error{tlsprobe.ErrMalformed, io.ErrUnexpectedEOF}, false},
		{"record over 16 KiB", []byte{22, 3, 3, 0x40, 0x01}, []error{tlsprobe.ErrTooLarge}, false},
		{"huge handshake length", rec(22, hs(2, 0xFFFFFF, nil)), []error{tlsprobe.ErrTooLarge}, false},
		{"message cut by close", rec(22, hs(2, len(sh), sh[:10])), []error{tlsprobe.ErrMalformed, io.ErrUnexpectedEOF}, false},
		{"application data first", rec(23, []byte{1, 2, 3}), []error{tlsprobe.ErrMalformed}, false},
		{"unknown record type", rec(99, []byte{1}), []error{tlsprobe.ErrMalformed}, false},
		{"odd alert", rec(21, []byte{2}), []error{tlsprobe.ErrMalformed}, false},
		{"certificate before hello", rec(22, hs(11, 3, []byte{0, 0, 0})), []error{tlsprobe.ErrMalformed}, false},
		{"session id too long", rec(22, hs(2, 38+33, append(append([]byte{3, 3}, make([]byte, 32)...), append([]byte{33}, make([]byte, 36)...)...))), []error{tlsprobe.ErrMalformed}, false},
		{"extensions past the end", rec(22, hs(2, len(sh)+2, append(slices.Clone(sh), 0x00, 0x10))), []error{tlsprobe.ErrMalformed}, false},
		{"certificate past the end", rec(22, append(slices.Clone(shMsg), hs(11, 6, []byte{0, 0, 3, 0, 0, 9})...)), []error{tlsprobe.ErrMalformed}, true},
		{"empty certificate entry", rec(22, append(slices.Clone(shMsg), hs(11, 6, []byte{0, 0, 3, 0, 0, 0})...)), []error{tlsprobe.ErrMalformed}, true},
		{"second server hello", rec(22, append(slices.Clone(shMsg), shMsg...)), []error{tlsprobe.ErrMalformed}, true},
		{"endless empty records", zeroRecords, []error{tlsprobe.ErrTooLarge}, false},
		{"sslv2 after tls", append(rec(21, []byte{1, 112}), 0x80, 3, 0, 0, 1), []error{tlsprobe.ErrMalformed}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tlsprobe.ParseServerResponse(tt.b)
			for _, want := range tt.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("error %v, want it to wrap %v", err, want)
				}
			}
			if (r.Hello != nil) != tt.hello {
				t.Errorf("hello read = %v, want %v", r.Hello != nil, tt.hello)
			}
		})
	}
}

func TestParseServerResponseTraps(t *testing.T) {
	sh := minimalServerHello(0x002F)
	shMsg := hs(2, len(sh), sh)
	done := hs(14, 0, nil)
	tests := []struct {
		name     string
		b        []byte
		warnings int
		done     bool
	}{
		{"hello split over two records", append(rec(22, shMsg[:3]), rec(22, append(slices.Clone(shMsg[3:]), done...))...), 0, true},
		{"warning between fragments", append(append(rec(22, shMsg[:10]), rec(21, []byte{1, 112})...), rec(22, append(slices.Clone(shMsg[10:]), done...))...), 1, true},
		{"hello request ignored", rec(22, append(append(hs(0, 0, nil), shMsg...), done...)), 0, true},
		{"certificate request ignored", rec(22, append(append(slices.Clone(shMsg), hs(13, 2, []byte{0, 0})...), done...)), 0, true},
		{"stops at hello done", append(rec(22, append(slices.Clone(shMsg), done...)), 0xFF, 0xFF), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tlsprobe.ParseServerResponse(tt.b)
			if err != nil {
				t.Fatalf("ParseServerResponse: %v", err)
			}
			if r.Hello == nil || r.Hello.Suite != 0x002F || len(r.Warnings) != tt.warnings || r.HelloDone != tt.done {
				t.Errorf("response %+v", r)
			}
		})
	}
}
