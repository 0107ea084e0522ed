package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestParseProxy(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, "https://mta-sts.example.com/.well-known/mta-sts.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, value string
		direct      bool   // no proxy function
		want        string // the proxy URL chosen for req
		wantErr     string
	}{
		{name: "none", value: "none", direct: true},
		{name: "url", value: "http://proxy.corp.example:3128", want: "http://proxy.corp.example:3128"},
		{name: "url with credentials", value: "http://u:p@10.0.0.1:8080", want: "http://u:p@10.0.0.1:8080"},
		{name: "https proxy", value: "https://proxy.example:443", wantErr: `"https://proxy.example:443": want env, none or http://`},
		{name: "password hidden", value: "socks5://u:secret@h:1080", wantErr: `"socks5://u:xxxxx@h:1080"`},
		{name: "no host", value: "http://", wantErr: "want env, none"},
		{name: "not a url", value: "http://a b:1", wantErr: "is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseProxy(tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "secret") {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || (f == nil) != tt.direct {
				t.Fatalf("parseProxy(%q) = direct %v, %v", tt.value, f == nil, err)
			}
			if f == nil {
				return
			}
			u, err := f(req)
			if err != nil || u.String() != tt.want {
				t.Fatalf("proxy for the policy = %v, %v; want %s", u, err, tt.want)
			}
		})
	}
	t.Run("env", func(t *testing.T) {
		f, err := parseProxy("env")
		if err != nil || f == nil {
			t.Fatalf("env: %v", err)
		}
		// http.ProxyFromEnvironment reads the environment once per process,
		// so only its identity is checked here.
		if fmt.Sprintf("%p", f) != fmt.Sprintf("%p", http.ProxyFromEnvironment) {
			t.Error("env is not http.ProxyFromEnvironment")
		}
	})
}

// connectProxy is a loopback HTTP CONNECT proxy that sends every tunnel
// to one address (the fleet's policy server) and records the targets.
type connectProxy struct {
	ln      net.Listener
	to      string
	mu      sync.Mutex
	targets []string
}

func startConnectProxy(t *testing.T, ip, to string) *connectProxy {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{ln: ln, to: to}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *connectProxy) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(io.LimitReader(c, 1<<14))
	req, err := http.ReadRequest(br)
	if err != nil || req.Method != http.MethodConnect {
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, req.Host)
	p.mu.Unlock()
	up, err := net.Dial("tcp", p.to)
	if err != nil {
		fmt.Fprint(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		return
	}
	defer up.Close()
	fmt.Fprint(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// TestScanThroughProxy: --https-proxy sends the MTA-STS policy fetch
// through the proxy with CONNECT to the policy host on port 443, and the
// policy is read as over a direct connection.
func TestScanThroughProxy(t *testing.T) {
	c := startCLIFleet(t, smallFleet())
	def := c.f.Definition()
	p := startConnectProxy(t, "127.0.4.99", net.JoinHostPort(def.HTTPS, fmt.Sprint(c.f.HTTPSPort)))
	flags := slices.Clone(c.flags())
	i := slices.Index(flags, "--https-proxy")
	flags[i+1] = "http://" + p.ln.Addr().String()
	code, out, stderr := runCLI(t, append(append([]string{"scan", "--json"}, flags...), "good.example")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Domains []scanResult `json:"domains"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Domains) != 1 {
		t.Fatalf("json: %v", err)
	}
	m := res.Domains[0].Evidence.MTASTS
	if m == nil || m.Policy == nil || m.Policy.Mode != "enforce" || m.Fetch == nil || m.Fetch.Proxy != p.ln.Addr().String() ||
		m.Fetch.Cert == nil || m.Fetch.Cert.Trusted == nil || !*m.Fetch.Cert.Trusted {
		t.Fatalf("MTA-STS through the proxy: %+v", m)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Equal(p.targets, []string{"mta-sts.good.example:443"}) {
		t.Errorf("proxy tunnels %q, want the policy host once", p.targets)
	}
}
