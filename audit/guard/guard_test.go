package guard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
)

func TestSpecial(t *testing.T) {
	refused := []struct{ ip, block string }{
		{"0.0.0.0", "0.0.0.0/8"},
		{"0.1.2.3", "0.0.0.0/8"},
		{"10.0.0.1", "10.0.0.0/8"},
		{"10.255.255.255", "10.0.0.0/8"},
		{"100.64.0.1", "100.64.0.0/10"},
		{"100.127.255.254", "100.64.0.0/10"},
		{"127.0.0.1", "127.0.0.0/8"},
		{"127.9.9.9", "127.0.0.0/8"},
		{"169.254.169.254", "169.254.0.0/16"},
		{"169.254.0.1", "169.254.0.0/16"},
		{"172.16.0.1", "172.16.0.0/12"},
		{"172.31.255.255", "172.16.0.0/12"},
		{"192.0.0.8", "192.0.0.0/24"},
		{"192.0.2.25", "192.0.2.0/24"},
		{"192.88.99.1", "192.88.99.0/24"},
		{"192.168.1.1", "192.168.0.0/16"},
		{"198.18.0.1", "198.18.0.0/15"},
		{"198.19.255.1", "198.18.0.0/15"},
		{"198.51.100.7", "198.51.100.0/24"},
		{"203.0.113.9", "203.0.113.0/24"},
		{"224.0.0.1", "224.0.0.0/4"},
		{"239.255.255.250", "224.0.0.0/4"},
		{"240.0.0.1", "240.0.0.0/4"},
		{"255.255.255.255", "255.255.255.255/32"},
		{"::", "::/128"},
		{"::1", "::1/128"},
		{"::a00:1", "::/96"},
		{"::ffff:10.0.0.1", "10.0.0.0/8"},
		{"::ffff:127.0.0.1", "127.0.0.0/8"},
		{"::ffff:169.254.169.254", "169.254.0.0/16"},
		{"64:ff9b::808:808", "64:ff9b::/96"},
		{"64:ff9b:1::1", "64:ff9b:1::/48"},
		{"100::1", "100::/64"},
		{"2001::1", "2001::/23"},
		{"2001:2::1", "2001::/23"},
		{"2001:10::1", "2001::/23"},
		{"2001:1::4", "2001::/23"},
		{"2001:db8::25", "2001:db8::/32"},
		{"2002:a00:1::1", "10.0.0.0/8"},
		{"2002:a9fe:a9fe::1", "169.254.0.0/16"},
		{"2002:7f00:1::", "127.0.0.0/8"},
		{"fc00::1", "fc00::/7"},
		{"fd12:3456::1", "fc00::/7"},
		{"fe80::1", "fe80::/10"},
		{"fe80::1%eth0", "fe80::/10"},
		{"febf::1", "fe80::/10"},
		{"ff02::1", "ff00::/8"},
		{"ff05::2", "ff00::/8"},
		{"3fff::1", "3fff::/20"},
		{"5f00::1", "5f00::/16"},
	}
	for _, tt := range refused {
		t.Run(tt.ip, func(t *testing.T) {
			b, ok := Special(netip.MustParseAddr(tt.ip))
			if !ok {
				t.Fatalf("Special(%s) = not special, want the %s block", tt.ip, tt.block)
			}
			if b.Prefix.String() != tt.block {
				t.Errorf("Special(%s) = %s, want %s", tt.ip, b, tt.block)
			}
			if b.Name == "" || b.RFC == "" {
				t.Errorf("Special(%s) = %+v: block without name or RFC", tt.ip, b)
			}
		})
	}
	global := []string{
		"8.8.8.8", "1.1.1.1", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0",
		"126.255.255.255", "128.0.0.1", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0",
		"192.0.1.255", "192.0.3.0", "192.167.255.255", "192.169.0.0", "198.17.255.255", "198.20.0.0",
		"223.255.255.255", "::ffff:8.8.8.8", "2002:808:808::1", "2a00:1450:400c:c0b::1a", "2001:4860:4860::8888",
		"2001:1::1", "2001:1::2", "2001:1::3", "2001:3::1", "2001:4:112::1", "2001:20::1", "2001:30::1",
		"2001:200::1", "64:ff9b:2::1", "fbff::1", "fec0::1",
	}
	for _, ip := range global {
		t.Run(ip, func(t *testing.T) {
			if b, ok := Special(netip.MustParseAddr(ip)); ok {
				t.Errorf("Special(%s) = %s, want globally reachable", ip, b)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	var g Guard
	err := g.Check(netip.MustParseAddr("169.254.169.254"))
	var re *RefusedError
	if !errors.As(err, &re) || !errors.Is(err, ErrRefused) {
		t.Fatalf("Check(169.254.169.254) = %v, want a *RefusedError matching ErrRefused", err)
	}
	if !strings.Contains(err.Error(), "169.254.169.254") || !strings.Contains(err.Error(), "link-local") {
		t.Errorf("message %q does not name the address and its block", err)
	}
	if err := g.Check(netip.MustParseAddr("8.8.8.8")); err != nil {
		t.Errorf("Check(8.8.8.8) = %v, want nil", err)
	}
	open := Guard{AllowPrivate: true}
	for _, ip := range []string{"127.0.0.1", "10.0.0.1", "fe80::1", "::1"} {
		if err := open.Check(netip.MustParseAddr(ip)); err != nil {
			t.Errorf("AllowPrivate: Check(%s) = %v, want nil", ip, err)
		}
	}
	for _, addr := range []string{"mx.example.com:25", "[fe80::1%eth0]:25", "no-port"} {
		if err := g.CheckAddress(addr); err == nil {
			t.Errorf("CheckAddress(%q) = nil, want a refusal", addr)
		}
	}
	if err := g.CheckAddress("[2a00:1450:400c:c0b::1a]:25"); err != nil {
		t.Errorf("CheckAddress(global v6) = %v", err)
	}
}

// TestWrapNeverDialsRefused dials through a recording stub: the stub never
// opens a socket, so no packet leaves even when the guard is broken.
func TestWrapNeverDialsRefused(t *testing.T) {
	var dialled []string
	stub := func(_ context.Context, _, address string) (net.Conn, error) {
		dialled = append(dialled, address)
		c, s := net.Pipe()
		_ = s.Close()
		return c, nil
	}
	for _, tt := range []struct {
		guard   Guard
		address string
		want    bool
	}{
		{Guard{}, "10.1.2.3:25", false},
		{Guard{}, "169.254.169.254:443", false},
		{Guard{}, "[fe80::1]:25", false},
		{Guard{}, "[::ffff:192.168.0.1]:25", false},
		{Guard{}, "[2001:4860:4860::8888]:25", true},
		{Guard{}, "8.8.8.8:25", true},
		{Guard{AllowPrivate: true}, "10.1.2.3:25", true},
	} {
		dialled = nil
		conn, err := tt.guard.Wrap(stub)(context.Background(), "tcp", tt.address)
		if conn != nil {
			_ = conn.Close()
		}
		if got := len(dialled) == 1; got != tt.want {
			t.Errorf("%+v %s: dialled %v, want dialled=%v", tt.guard, tt.address, dialled, tt.want)
		}
		if !tt.want && !errors.Is(err, ErrRefused) {
			t.Errorf("%s: err %v, want ErrRefused", tt.address, err)
		}
	}
}

// TestControl checks the net.Dialer hook on loopback only: 127.0.0.1 is
// refused before connect unless private addresses are allowed.
func TestControl(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	d := net.Dialer{ControlContext: Guard{}.Control}
	if c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String()); err == nil || !errors.Is(err, ErrRefused) {
		if c != nil {
			_ = c.Close()
		}
		t.Fatalf("guarded dial of %s: %v, want ErrRefused", ln.Addr(), err)
	}
	d = net.Dialer{ControlContext: Guard{AllowPrivate: true}.Control}
	c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("allowed dial: %v", err)
	}
	_ = c.Close()
	// The hook itself, for addresses a test must never connect to.
	for _, a := range []string{"10.0.0.1:443", "[fd00::1]:443", "169.254.169.254:80"} {
		if err := (Guard{}).Control(context.Background(), "tcp4", a, nil); !errors.Is(err, ErrRefused) {
			t.Errorf("Control(%s) = %v, want ErrRefused", a, err)
		}
	}
}
