package resolve

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseResolvConf(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    []string
		wantErr string
	}{
		{"empty", "", nil, ""},
		{"typical", "# generated\nsearch corp.example\nnameserver 127.0.0.53\noptions edns0 trust-ad\n",
			[]string{"127.0.0.53:53"}, ""},
		{"several, ipv6 bracketed", "nameserver 192.0.2.1\nnameserver 2001:db8::53\nnameserver\t192.0.2.2  # trailing\n",
			[]string{"192.0.2.1:53", "[2001:db8::53]:53", "192.0.2.2:53"}, ""},
		{"ipv6 with zone", "nameserver fe80::1%eth0\n", []string{"[fe80::1%eth0]:53"}, ""},
		{"comments ignored", "; nameserver 192.0.2.9\n#nameserver 192.0.2.8\n  nameserver 192.0.2.7\n",
			[]string{"192.0.2.7:53"}, ""},
		{"crlf", "nameserver 192.0.2.1\r\n", []string{"192.0.2.1:53"}, ""},
		{"no newline at end", "nameserver 192.0.2.1", []string{"192.0.2.1:53"}, ""},
		{"keyword is case sensitive", "NAMESERVER 192.0.2.1\n", nil, ""},
		{"host name", "nameserver 192.0.2.1\nnameserver dns.example\n", []string{"192.0.2.1:53"},
			`line 2: nameserver "dns.example" is not an ip address`},
		{"missing address", "nameserver\n", nil, "line 1: nameserver without an address"},
		{"port is not allowed", "nameserver 192.0.2.1:5353\n", nil, `line 1: nameserver "192.0.2.1:5353" is not an ip address`},
		{"line too long", "nameserver 192.0.2.1\nsearch " + strings.Repeat("a", maxResolvConfLine) + "\n",
			[]string{"192.0.2.1:53"}, "line 2: bufio.Scanner: token too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseResolvConf(strings.NewReader(tc.text))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("servers %q, want %q", got, tc.want)
			}
			if gotErr := errString(err); gotErr != tc.wantErr {
				t.Errorf("error %q, want %q", gotErr, tc.wantErr)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNew(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.conf", "nameserver 192.0.2.1\nnameserver ::1\n")
	empty := write("empty.conf", "search example\n")
	bad := write("bad.conf", "nameserver localhost\n")
	missing := filepath.Join(dir, "missing.conf")
	tests := []struct {
		name        string
		cfg         Config
		wantServers []string
		wantErr     string
	}{
		{"explicit servers", Config{Servers: []string{"192.0.2.1:5353", "2001:db8::1", "[2001:db8::2]:53", "192.0.2.9"}},
			[]string{"192.0.2.1:5353", "[2001:db8::1]:53", "[2001:db8::2]:53", "192.0.2.9:53"}, ""},
		{"from resolv.conf", Config{ResolvConf: good}, []string{"192.0.2.1:53", "[::1]:53"}, ""},
		{"resolv.conf without nameserver", Config{ResolvConf: empty}, nil,
			"no dns servers configured and no nameserver line in " + empty},
		{"resolv.conf missing", Config{ResolvConf: missing}, nil,
			"no dns servers configured and cannot read " + missing + ": open " + missing + ": no such file or directory"},
		{"resolv.conf invalid", Config{ResolvConf: bad}, nil,
			"read dns servers from " + bad + `: line 1: nameserver "localhost" is not an ip address`},
		{"server without port", Config{Servers: []string{"dns.example"}}, nil,
			`dns server "dns.example" is not host:port: address dns.example: missing port in address`},
		{"empty server", Config{Servers: []string{""}}, nil, "empty dns server address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.cfg)
			if gotErr := errString(err); gotErr != tc.wantErr {
				t.Fatalf("error %q, want %q", gotErr, tc.wantErr)
			}
			if err != nil {
				return
			}
			if got := r.Servers(); !reflect.DeepEqual(got, tc.wantServers) {
				t.Errorf("servers %q, want %q", got, tc.wantServers)
			}
			if r.timeout != DefaultTimeout || r.attempts != DefaultAttempts || r.exchange == nil {
				t.Errorf("defaults not applied: timeout %v attempts %d", r.timeout, r.attempts)
			}
		})
	}
	r, err := New(Config{Servers: []string{"192.0.2.1"}, Timeout: time.Second, Attempts: 5})
	if err != nil || r.timeout != time.Second || r.attempts != 5 {
		t.Errorf("explicit settings: %v %v %d", err, r.timeout, r.attempts)
	}
}
