package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/samples/fleet"
)

// suites makes n accepted suites (only their count matters here).
func suites(n int) []evidence.Suite {
	out := make([]evidence.Suite, n)
	for i := range out {
		out[i] = evidence.Suite{Code: "0x00,0x" + string(rune('A'+i))}
	}
	return out
}

// modernVersions is what a TLS 1.2 + 1.3 server shows: 5 and 3 suites.
func modernVersions() []evidence.VersionResult {
	return []evidence.VersionResult{
		{Version: evidence.SSLv2, Support: evidence.NotSupported},
		{Version: evidence.SSLv3, Support: evidence.NotSupported},
		{Version: evidence.TLS10, Support: evidence.NotSupported},
		{Version: evidence.TLS11, Support: evidence.NotSupported},
		{Version: evidence.TLS12, Support: evidence.Supported, Suites: suites(5)},
		{Version: evidence.TLS13, Support: evidence.Supported, Suites: suites(3)},
	}
}

func TestLowerBound(t *testing.T) {
	tests := []struct {
		name      string
		versions  []evidence.VersionResult
		certNames int
		want      int
	}{
		// 4 refused versions, 5+1 and 3+1, one certificate.
		{"modern, one name", modernVersions(), 1, 4 + 6 + 4 + 1},
		{"modern, two names", modernVersions(), 2, 4 + 6 + 4 + 2},
		{
			name: "sslv2 lists every spec in one answer",
			versions: []evidence.VersionResult{
				{Version: evidence.SSLv2, Support: evidence.Supported, Suites: suites(3)},
				{Version: evidence.SSLv3, Support: evidence.Supported, Suites: suites(2)},
			},
			certNames: 1,
			want:      1 + 3 + 1,
		},
		{
			name: "versions not tested cost nothing",
			versions: []evidence.VersionResult{
				{Version: evidence.SSLv2, Support: evidence.NotTested},
				{Version: evidence.TLS12, Support: evidence.Supported, Suites: suites(2)},
				{Version: evidence.TLS13, Support: evidence.NotTested},
			},
			want: 3,
		},
		{"no starttls: one connection", nil, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lowerBound(&evidence.Probe{Versions: tt.versions}, tt.certNames); got != tt.want {
				t.Fatalf("lowerBound = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestLowerBoundPolicyChecks holds the connections of the checks beside
// the enumeration to the auditor's schedule.
func TestLowerBoundPolicyChecks(t *testing.T) {
	rsa := func(vs []evidence.VersionResult) []evidence.VersionResult {
		out := slices.Clone(vs)
		for i := range out {
			if out[i].Version == evidence.TLS12 {
				out[i].Suites = append(slices.Clone(out[i].Suites), evidence.Suite{Code: "0x00,0x2F", Kx: "RSA"})
			}
		}
		return out
	}
	ok := &evidence.Handshake{OK: true}
	tests := []struct {
		name  string
		probe evidence.Probe
		want  int
	}{
		// Enumeration 4 + 6 + 4, one certificate; then 2 vulnerability
		// hellos, the injection test and the handshake without SNI.
		{"modern", evidence.Probe{SNI: "mx.example", Versions: modernVersions(), Handshake: ok, Vulns: &evidence.Vulns{}}, 15 + 2 + 1 + 1},
		{"rsa key exchange adds ROBOT", evidence.Probe{SNI: "mx.example", Versions: rsa(modernVersions()), Handshake: ok, Vulns: &evidence.Vulns{}}, 16 + 2 + 3 + 1 + 1},
		{"no full handshake: raw checks only", evidence.Probe{SNI: "mx.example", Versions: rsa(modernVersions()), Handshake: &evidence.Handshake{}, Vulns: &evidence.Vulns{}}, 16 + 2 + 3},
		{"no server name: no second handshake", evidence.Probe{Versions: modernVersions(), Handshake: ok, Vulns: &evidence.Vulns{}}, 15 + 2 + 1},
		{"client renegotiation when it connected", evidence.Probe{SNI: "mx.example", Versions: modernVersions(), Handshake: ok,
			Vulns: &evidence.Vulns{ClientRenegotiation: evidence.VulnCheck{Status: evidence.VulnNotVulnerable, Connections: 1}}}, 15 + 2 + 1 + 1 + 1},
		{"tls 1.3 only: no vulnerability hellos", evidence.Probe{SNI: "mx.example", Handshake: ok, Vulns: &evidence.Vulns{}, Versions: []evidence.VersionResult{
			{Version: evidence.TLS12, Support: evidence.NotSupported},
			{Version: evidence.TLS13, Support: evidence.Supported, Suites: suites(3)},
		}}, 1 + 4 + 1 + 1 + 1},
		{"no vulnerability checks ran", evidence.Probe{SNI: "mx.example", Versions: modernVersions(), Handshake: ok}, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lowerBound(&tt.probe, 1); got != tt.want {
				t.Fatalf("lowerBound = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAnalyze(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	def := &fleet.Definition{Servers: []fleet.Server{
		{IP: "127.20.0.10", Names: []string{"mx1.p.example", "mx2.p.example"}, Profile: "modern"},
		{IP: "127.20.0.2", Names: []string{"mail.self.example"}, Profile: "no-starttls"},
		{IP: "127.20.0.3", Names: []string{"mail.tarpit.example"}, Profile: "modern", BannerDelayMS: fleet.TarpitDelayMS + 3},
		{IP: "127.20.0.4", Names: []string{"mail.unused.example"}, Profile: "legacy"},
	}}
	provider := &evidence.Probe{IP: "127.20.0.10", Status: evidence.ProbeOK, StartedAt: t0, Connections: 15,
		Duration: evidence.Duration(4 * time.Second), Versions: modernVersions()}
	providerDomain := func(name string) *evidence.Domain {
		return &evidence.Domain{Domain: name, Hosts: []evidence.Host{
			{Name: "mx1.p.example", Addresses: []evidence.Address{{IP: "127.20.0.10", Probe: provider, Cert: &evidence.CertCheck{Connections: 0}}}},
			{Name: "mx2.p.example", Addresses: []evidence.Address{{IP: "127.20.0.10", Probe: provider, Cert: &evidence.CertCheck{Connections: 1}}}},
		}}
	}
	selfProbe := func(at time.Time) *evidence.Probe {
		return &evidence.Probe{Status: evidence.ProbeNoSTARTTLS, StartedAt: at, Connections: 1, Duration: evidence.Duration(time.Second)}
	}
	tarpit := &evidence.Probe{Status: evidence.ProbeOK, StartedAt: t0, Connections: 15, Duration: evidence.Duration(75 * time.Second), Versions: modernVersions()}
	domains := []*evidence.Domain{
		providerDomain("a.example"),
		providerDomain("b.example"),
		{Domain: "self.example", Hosts: []evidence.Host{{Name: "mail.self.example", Addresses: []evidence.Address{{IP: "127.20.0.2", Probe: selfProbe(t0)}}}}},
		// A second, distinct probe of the same address: a dedupe defect.
		{Domain: "self2.example", Hosts: []evidence.Host{{Name: "mail.self.example", Addresses: []evidence.Address{{IP: "127.20.0.2", Probe: selfProbe(t0.Add(time.Second))}}}}},
		{Domain: "tarpit.example", Hosts: []evidence.Host{{Name: "mail.tarpit.example", Addresses: []evidence.Address{{IP: "127.20.0.3", Probe: tarpit, Cert: &evidence.CertCheck{}}}}}},
		// Cancelled before its probe: not a probe.
		{Domain: "cancelled.example", Hosts: []evidence.Host{{Name: "mail.tarpit.example", Addresses: []evidence.Address{{IP: "127.20.0.3", Probe: &evidence.Probe{Status: evidence.ProbeNotTested, StartedAt: t0.Add(time.Hour)}}}}}},
	}
	conns := map[string]int{"127.20.0.10": 17, "127.20.0.2": 2, "127.20.0.3": 15}
	got := analyze(def, conns, domains)
	want := []addrStat{
		{IP: "127.20.0.2", Kind: "no-starttls", Domains: 2, Conns: 2, EvidenceConns: 2, Bound: 1, Probes: 2, Status: evidence.ProbeNoSTARTTLS, ProbeTime: time.Second},
		{IP: "127.20.0.3", Kind: "tarpit", Domains: 2, Conns: 15, EvidenceConns: 15, Bound: 15, Probes: 1, CertNames: 1, Status: evidence.ProbeOK, ProbeTime: 75 * time.Second},
		{IP: "127.20.0.4", Kind: "legacy", Status: evidence.ProbeNotTested},
		{IP: "127.20.0.10", Kind: "provider", Domains: 2, Conns: 17, EvidenceConns: 16, Bound: 16, Probes: 1, CertNames: 2, Status: evidence.ProbeOK, ProbeTime: 4 * time.Second},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("analyze:\n got %+v\nwant %+v", got, want)
	}

	s := summarize(got)
	wantSum := summary{
		Addresses: 4, Seen: 3, TotalConns: 34, TotalBound: 32, EvidenceSum: 33, Mismatched: 1,
		ProbedTwice: 1, Shared: 3, SharedOnce: 2, OverTarget: 1,
		ConnsMin: 2, ConnsMedian: 15, ConnsMax: 17,
		RatioMin: 1, RatioMedian: 17.0 / 16, RatioMax: 2,
		OKConns: 32, OKBound: 31, OKAddresses: 2, Slowest: want[1],
	}
	if !reflect.DeepEqual(s, wantSum) {
		t.Fatalf("summarize:\n got %+v\nwant %+v", s, wantSum)
	}
	if r := s.Ratio(); r != 34.0/32 {
		t.Fatalf("overall ratio %v, want %v", r, 34.0/32)
	}

	kinds := byKind(got)
	wantKinds := []kindRow{
		{Kind: "provider", Addresses: 1, Domains: 2, Conns: 17, Bound: 16, MinConns: 17, MaxConn: 17, ProbeTime: 4 * time.Second, MaxProbe: 4 * time.Second},
		{Kind: "no-starttls", Addresses: 1, Domains: 2, Conns: 2, Bound: 1, MinConns: 2, MaxConn: 2, ProbeTime: time.Second, MaxProbe: time.Second},
		{Kind: "tarpit", Addresses: 1, Domains: 2, Conns: 15, Bound: 15, MinConns: 15, MaxConn: 15, ProbeTime: 75 * time.Second, MaxProbe: 75 * time.Second},
	}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Fatalf("byKind:\n got %+v\nwant %+v", kinds, wantKinds)
	}
}

func TestIPLess(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"127.20.0.2", "127.20.0.10", true},
		{"127.20.0.10", "127.20.0.2", false},
		{"127.20.1.1", "127.20.0.254", false},
		{"127.20.0.1", "127.20.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+" < "+tt.b, func(t *testing.T) {
			if got := ipLess(tt.a, tt.b); got != tt.want {
				t.Fatalf("ipLess = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReplaceSection(t *testing.T) {
	const one = "=== 1k ===\nold 1k\n"
	const ten = "=== 10k ===\nold 10k\n"
	tests := []struct {
		name, doc, section, body, want string
	}{
		{"empty file", "", "1k", "=== 1k ===\nnew\n", "=== 1k ===\nnew\n"},
		{"duplicate sections become one", one + one + ten, "1k", "=== 1k ===\nnew\n", "=== 1k ===\nnew\n\n" + ten},
		{"after the header", resultsHeader, "1k", "=== 1k ===\nnew\n", resultsHeader + "\n=== 1k ===\nnew\n"},
		{"replace the first, keep the second", "# h\n\n" + one + "\n" + ten, "1k", "=== 1k ===\nnew\n", "# h\n\n=== 1k ===\nnew\n\n" + ten},
		{"replace the last", "# h\n\n" + one + "\n" + ten, "10k", "=== 10k ===\nnew\n", "# h\n\n" + one + "\n=== 10k ===\nnew\n"},
		{"append a new one", "# h\n\n" + one, "10k", "=== 10k ===\nnew\n", "# h\n\n" + one + "\n=== 10k ===\nnew\n"},
		{"a prefix of a name is another name", one + "\n" + ten, "1", "=== 1 ===\nx\n", one + "\n" + ten + "\n=== 1 ===\nx\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := replaceSection(tt.doc, tt.section, tt.body); got != tt.want {
				t.Fatalf("replaceSection:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestShellJoin(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"bin/mxbench", "-domains", "1000"}, "bin/mxbench -domains 1000"},
		{[]string{"-mxaudit-args", "--retries 1"}, "-mxaudit-args '--retries 1'"},
		{[]string{"it's"}, `'it'\''s'`},
		{[]string{""}, "''"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := shellJoin(tt.args); got != tt.want {
				t.Fatalf("shellJoin = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{
			name: "defaults",
			check: func(t *testing.T, c *config) {
				if c.name != "1k" || c.domains != 1000 || !reflect.DeepEqual(c.concurrency, []int{32}) || c.mtasts != 10 || c.latency != 50*time.Millisecond {
					t.Fatalf("defaults %+v", c)
				}
				// Peak RSS is reported with and without a memory limit doing the work.
				if !reflect.DeepEqual(c.memLimits, []string{memLimitDefault, memLimitOff}) || c.sharedKeys != defaultSharedKeys || c.heapEvery != 250 {
					t.Fatalf("defaults %+v", c)
				}
			},
		},
		{
			name: "ten thousand",
			args: []string{"-domains", "10000", "-concurrency", "64, 128", "-mxaudit-args", "--retries 1  --timeout 5s"},
			check: func(t *testing.T, c *config) {
				if c.name != "10k" || c.mtasts != 100 || !reflect.DeepEqual(c.concurrency, []int{64, 128}) ||
					!reflect.DeepEqual(c.extra, []string{"--retries", "1", "--timeout", "5s"}) {
					t.Fatalf("parsed %+v", c)
				}
			},
		},
		{
			name: "odd count names itself",
			args: []string{"-domains", "250", "-mta-sts", "0"},
			check: func(t *testing.T, c *config) {
				if c.name != "250" || c.mtasts != 0 {
					t.Fatalf("parsed %+v", c)
				}
			},
		},
		{
			name: "memory limits and profiles",
			args: []string{"-domains", "100000", "-memlimit", "off, 512MiB", "-profile", "/tmp/p", "-heap-every", "5000", "-shared-keys", "0"},
			check: func(t *testing.T, c *config) {
				if c.name != "100k" || !reflect.DeepEqual(c.memLimits, []string{"off", "512MiB"}) || c.profileDir != "/tmp/p" || c.heapEvery != 5000 || c.sharedKeys != 0 {
					t.Fatalf("parsed %+v", c)
				}
			},
		},
		{name: "empty memory limit", args: []string{"-memlimit", "default,"}, wantErr: "-memlimit: empty value"},
		{name: "bad concurrency", args: []string{"-concurrency", "8,x"}, wantErr: `"x" is not a positive number`},
		{name: "zero concurrency", args: []string{"-concurrency", "0"}, wantErr: `"0" is not a positive number`},
		{name: "too many domains", args: []string{"-domains", "1000000"}, wantErr: "-domains must be between"},
		{name: "stray argument", args: []string{"extra"}, wantErr: "unexpected arguments: extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFlags(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name   string
		status string
		want   int64
		ok     bool
	}{
		{"linux status", "Name:\tmxaudit\nVmPeak:\t  900 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 1 kB\n", 123456, true},
		{"no VmRSS (a zombie)", "Name:\tmxaudit\nState:\tZ (zombie)\n", 0, false},
		{"unexpected unit", "VmRSS:\t12 MB\n", 0, false},
		{"not a number", "VmRSS:\tlots kB\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseVmRSS(tt.status)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("parseVmRSS = %d, %v; want %d, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRSSPhases(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	samples := []rssSample{{t0, 10}, {t0.Add(time.Second), 30}, {t0.Add(2 * time.Second), 20}, {t0.Add(3 * time.Second), 90}, {t0.Add(4 * time.Second), 40}}
	tests := []struct {
		name          string
		end           time.Time
		auditing, aft int64
	}{
		{"peak after the audit", t0.Add(2 * time.Second), 30, 90},
		{"everything while auditing", t0.Add(time.Hour), 90, 0},
		{"everything after", t0.Add(-time.Second), 0, 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := rssPhases(samples, tt.end)
			if a != tt.auditing || b != tt.aft {
				t.Fatalf("rssPhases = %d, %d; want %d, %d", a, b, tt.auditing, tt.aft)
			}
		})
	}
}
