package tlstest_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/tlsprobe"
	"github.com/mxaudit/mxaudit/audit/tlsprobe/tlstest"
)

func hello(v uint16, suites ...uint16) []byte {
	return tlsprobe.BuildClientHello(tlsprobe.HelloOptions{Version: v, Suites: suites})
}

// chosen returns the suite of a ServerHello answer, 0 for anything else.
func chosen(t *testing.T, answer []byte) uint16 {
	t.Helper()
	r, err := tlsprobe.ParseServerResponse(answer)
	if err != nil {
		t.Fatalf("parse answer: %v", err)
	}
	if r.Hello == nil {
		return 0
	}
	return r.Hello.Suite
}

func TestRespond(t *testing.T) {
	v12 := []uint16{tlsprobe.VersionTLS12}
	alert := func(v uint16, desc byte) []byte {
		return append(binary.BigEndian.AppendUint16([]byte{21}, v), 0, 2, 2, desc)
	}
	tests := []struct {
		name       string
		cfg        tlstest.Config
		hello      []byte
		wantSuite  uint16
		wantAnswer []byte // exact bytes, when set
	}{
		{"server order", tlstest.Config{Versions: v12, Suites: []uint16{0xC02F, 0x002F}}, hello(0x0303, 0x002F, 0xC02F), 0xC02F, nil},
		{"client order", tlstest.Config{Versions: v12, Suites: []uint16{0xC02F, 0x002F}, ClientOrder: true}, hello(0x0303, 0x002F, 0xC02F), 0x002F, nil},
		{"no common suite", tlstest.Config{Versions: v12, Suites: []uint16{0xC02F}}, hello(0x0303, 0x002F), 0, alert(0x0303, 40)},
		{"no common version", tlstest.Config{Versions: v12, Suites: []uint16{0x002F}}, hello(0x0301, 0x002F), 0, alert(0x0301, 70)},
		{"too many suites", tlstest.Config{Versions: v12, Suites: []uint16{0x002F}, MaxHelloSuites: 1}, hello(0x0303, 0x002F, 0xC02F), 0, alert(0x0303, 50)},
		{"scsv is not a suite", tlstest.Config{Versions: []uint16{0x0300}, Suites: []uint16{0x0005}, MaxHelloSuites: 2}, hello(0x0300, 0x0005), 0x0005, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tlstest.Respond(tt.hello, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantAnswer != nil && !bytes.Equal(got, tt.wantAnswer) {
				t.Errorf("answer % x, want % x", got, tt.wantAnswer)
			}
			if s := chosen(t, got); s != tt.wantSuite {
				t.Errorf("suite %#04x, want %#04x", s, tt.wantSuite)
			}
		})
	}
	if _, err := tlstest.Respond([]byte{22, 3, 1, 0, 1, 9}, tlstest.Config{}); err == nil {
		t.Error("malformed hello accepted")
	}
}

func TestListen(t *testing.T) {
	s, err := tlstest.Listen("127.0.0.1:0", tlstest.Config{Versions: []uint16{tlsprobe.VersionTLS12}, Suites: []uint16{0x002F}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 2 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(hello(0x0303, 0x002F)); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(c, buf); err != nil || buf[0] != 22 {
			t.Fatalf("answer header % x, %v", buf, err)
		}
		_ = c.Close()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.Accepted() != 2 || len(s.Errors()) != 0 {
		t.Errorf("accepted %d, errors %v", s.Accepted(), s.Errors())
	}
}
