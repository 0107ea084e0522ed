package fleet

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// spread is what a generated definition looks like, counted.
type spread struct {
	addresses     int            // distinct server addresses
	providers     map[string]int // customers per provider MX name (mx1.*)
	poolSizes     map[string]int // addresses per provider
	selfHosted    int
	implicit      int
	nullMX        int
	sts           int
	kinds         map[string]int // long-tail kinds (profile, or "tarpit")
	latency       map[int]int    // servers per LatencyMS
	maxGreetingMS int            // largest greeting delay apart from tarpits
}

func measure(t *testing.T, d *Definition) spread {
	t.Helper()
	s := spread{providers: map[string]int{}, poolSizes: map[string]int{}, kinds: map[string]int{}, latency: map[int]int{}}
	ips := map[string]bool{}
	names := map[string]string{} // host name -> profile
	for _, srv := range d.Servers {
		if ips[srv.IP] {
			t.Fatalf("address %s used by two servers", srv.IP)
		}
		ips[srv.IP] = true
		s.latency[srv.LatencyMS]++
		if len(srv.Names) == 2 {
			s.poolSizes[srv.Names[0]]++
		}
		for _, n := range srv.Names {
			names[n] = srv.Profile
		}
		greeting := srv.BannerDelayMS
		if len(srv.Names) == 1 {
			kind := srv.Profile
			switch {
			case srv.BannerDelayMS >= TarpitDelayMS:
				kind = "tarpit"
				greeting -= TarpitDelayMS
			case kind == "slow-banner":
				if greeting < SlowBannerMS {
					t.Fatalf("slow-banner server %s greets after %d ms, want at least %d", srv.IP, greeting, SlowBannerMS)
				}
				greeting -= SlowBannerMS
			}
			s.kinds[kind]++
		}
		s.maxGreetingMS = max(s.maxGreetingMS, greeting)
	}
	s.addresses = len(ips)
	seen := map[string]bool{}
	for _, dom := range d.Domains {
		if seen[dom.Name] {
			t.Fatalf("domain %s generated twice", dom.Name)
		}
		seen[dom.Name] = true
		switch {
		case dom.NullMX:
			s.nullMX++
		case len(dom.A) > 0:
			s.implicit++
			s.selfHosted++
			if _, ok := names[dom.Name]; !ok {
				t.Fatalf("implicit-MX domain %s has no server", dom.Name)
			}
		case len(dom.MX) == 2:
			s.providers[dom.MX[0].Host]++
		case len(dom.MX) == 1:
			s.selfHosted++
		default:
			t.Fatalf("domain %s has %d MX records", dom.Name, len(dom.MX))
		}
		for _, mx := range dom.MX {
			if _, ok := names[mx.Host]; !ok {
				t.Fatalf("domain %s: MX %s served by no server", dom.Name, mx.Host)
			}
		}
		if dom.MTASTS != nil {
			s.sts++
		}
	}
	return s
}

func TestGenerateSpread(t *testing.T) {
	tests := []struct {
		name          string
		opt           GenOptions
		wantDomains   int
		wantAddresses int
		wantProviders int
		wantNullMX    int
		wantImplicit  int
		everyKind     bool
		prefix        string
	}{
		{
			name:          "batch benchmark: 1000 domains on 200 addresses",
			opt:           GenOptions{Seed: 1, Domains: 1000, Addresses: 200, LatencyMS: 50, GreetingMS: 100, MTASTS: 10},
			wantDomains:   1000,
			wantAddresses: 200,
			wantProviders: 8,
			wantNullMX:    5,
			everyKind:     true,
			prefix:        DefaultGenPrefix,
		},
		{
			name:          "defaults",
			opt:           GenOptions{Seed: 7},
			wantDomains:   DefaultGenDomains,
			wantAddresses: DefaultGenDomains / DefaultDomainsPerAddress,
			wantProviders: 8,
			wantNullMX:    5,
			everyKind:     true,
			prefix:        DefaultGenPrefix,
		},
		{
			name:          "small fleet in another prefix",
			opt:           GenOptions{Seed: 3, Domains: 60, Addresses: 20, Prefix: "127.33"},
			wantDomains:   60,
			wantAddresses: 20,
			wantProviders: 1,
			prefix:        "127.33",
		},
		{
			name: "more addresses than domains can use",
			opt:  GenOptions{Seed: 4, Domains: 10, Addresses: 500},
			// 10 domains: providers hold at most half of 500 addresses, but
			// only 10 - providers domains remain to be self-hosted.
			wantDomains:   10,
			wantAddresses: -1, // checked below: fewer than asked
			wantProviders: 10,
			prefix:        DefaultGenPrefix,
		},
		{
			name:          "one domain",
			opt:           GenOptions{Seed: 5, Domains: 1},
			wantDomains:   1,
			wantAddresses: 2,
			wantProviders: 1,
			prefix:        DefaultGenPrefix,
		},
		{
			name:          "bad prefix falls back",
			opt:           GenOptions{Seed: 6, Domains: 30, Addresses: 10, Prefix: "10.0"},
			wantDomains:   30,
			wantAddresses: 10,
			wantProviders: 1,
			prefix:        DefaultGenPrefix,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Generate(tt.opt)
			if err := d.Validate(); err != nil {
				t.Fatalf("generated definition does not validate: %v", err)
			}
			if _, err := d.Records(); err != nil {
				t.Fatalf("generated definition has bad records: %v", err)
			}
			s := measure(t, d)
			if len(d.Domains) != tt.wantDomains {
				t.Fatalf("%d domains, want %d", len(d.Domains), tt.wantDomains)
			}
			switch {
			case tt.wantAddresses >= 0 && s.addresses != tt.wantAddresses:
				t.Fatalf("%d addresses, want %d", s.addresses, tt.wantAddresses)
			case tt.wantAddresses < 0 && s.addresses >= tt.opt.Addresses:
				t.Fatalf("%d addresses, want fewer than the %d asked", s.addresses, tt.opt.Addresses)
			}
			if len(s.poolSizes) != tt.wantProviders || len(s.providers) != tt.wantProviders {
				t.Fatalf("%d provider pools with %d customer MX names, want %d", len(s.poolSizes), len(s.providers), tt.wantProviders)
			}
			if s.nullMX != tt.wantNullMX {
				t.Fatalf("%d null-MX domains, want %d", s.nullMX, tt.wantNullMX)
			}
			for mx, n := range s.poolSizes {
				if n < minPool || n > maxPool {
					t.Fatalf("provider %s has %d addresses, want %d to %d", mx, n, minPool, maxPool)
				}
			}
			for _, srv := range d.Servers {
				ip := netip.MustParseAddr(srv.IP)
				if !ip.IsLoopback() || !strings.HasPrefix(srv.IP, tt.prefix+".") || strings.HasPrefix(srv.IP, "127.0.") {
					t.Fatalf("address %s outside %s.0.0/16", srv.IP, tt.prefix)
				}
				if srv.LatencyMS != tt.opt.LatencyMS {
					t.Fatalf("server %s latency %d ms, want %d", srv.IP, srv.LatencyMS, tt.opt.LatencyMS)
				}
			}
			if !strings.HasPrefix(d.Resolver, tt.prefix+".255.53:") {
				t.Fatalf("resolver %s outside the fleet's prefix", d.Resolver)
			}
			if s.maxGreetingMS > tt.opt.GreetingMS {
				t.Fatalf("greeting delay up to %d ms, want at most %d", s.maxGreetingMS, tt.opt.GreetingMS)
			}
			if s.sts != min(tt.opt.MTASTS, len(d.Domains)) {
				t.Fatalf("%d MTA-STS domains, want %d", s.sts, tt.opt.MTASTS)
			}
			if tt.everyKind {
				for _, k := range TailKinds() {
					if s.kinds[k] == 0 {
						t.Fatalf("no %s server in the long tail (kinds: %v)", k, s.kinds)
					}
				}
			}
		})
	}
}

// TestGenerateShares checks the realistic spread of the benchmark fleet:
// most domains on providers, the largest provider first by far, a long
// tail weighted towards decent servers.
func TestGenerateShares(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			d := Generate(GenOptions{Seed: seed, Domains: 1000, Addresses: 200})
			s := measure(t, d)
			onProviders := 0
			var sizes []int
			for _, n := range s.providers {
				onProviders += n
				sizes = append(sizes, n)
			}
			slices.Sort(sizes)
			// 200 addresses: at most 100 in pools, the rest one domain each.
			if onProviders < 800 || s.selfHosted < 100 || onProviders+s.selfHosted+s.nullMX != 1000 {
				t.Fatalf("%d domains on providers, %d self-hosted, %d null MX", onProviders, s.selfHosted, s.nullMX)
			}
			largest, smallest := sizes[len(sizes)-1], sizes[0]
			if largest < 3*smallest || largest < onProviders/5 {
				t.Fatalf("provider sizes %v: not a few large providers", sizes)
			}
			if s.kinds["modern"] < s.selfHosted/4 || s.kinds["modern"] < s.kinds["legacy"] {
				t.Fatalf("long tail %v: modern servers should lead", s.kinds)
			}
			if want := s.selfHosted * implicitPerMille / perMille; s.implicit != want {
				t.Fatalf("%d implicit-MX domains, want %d", s.implicit, want)
			}
		})
	}
}

func TestGenerateDeterministic(t *testing.T) {
	opt := GenOptions{Seed: 42, Domains: 300, Addresses: 80, LatencyMS: 50, GreetingMS: 20, MTASTS: 3}
	a, b := Generate(opt), Generate(opt)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same options gave two different fleets")
	}
	opt.Seed++
	if c := Generate(opt); reflect.DeepEqual(a.Domains, c.Domains) {
		t.Fatal("another seed gave the same domains")
	}
}

func TestGenerateOrderIsMixed(t *testing.T) {
	d := Generate(GenOptions{Seed: 9, Domains: 1000, Addresses: 200})
	// A vendor list is not sorted by provider: the longest run of
	// consecutive domains on one provider stays short.
	longest, run := 0, 0
	prev := ""
	for _, dom := range d.Domains {
		host := ""
		if len(dom.MX) == 2 {
			host = dom.MX[0].Host
		}
		if host != "" && host == prev {
			run++
		} else {
			run = 1
		}
		prev = host
		longest = max(longest, run)
	}
	const maxRun = 20
	if longest > maxRun {
		t.Fatalf("%d consecutive domains on one provider, want at most %d", longest, maxRun)
	}
}

func TestValidPrefix(t *testing.T) {
	tests := []struct {
		prefix string
		ok     bool
	}{
		{"127.20", true},
		{"127.1", true},
		{"127.254", true},
		{"127.0", false},
		{"127.255", false},
		{"127.020", false},
		{"127.20.1", false},
		{"10.20", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			if got := validPrefix(tt.prefix); got != tt.ok {
				t.Fatalf("validPrefix(%q) = %v, want %v", tt.prefix, got, tt.ok)
			}
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("%d domains", n), func(b *testing.B) {
			for b.Loop() {
				_ = Generate(GenOptions{Seed: 1, Domains: n, LatencyMS: 50})
			}
		})
	}
}

// TestSampleFleetsPublishSenderAuthentication: the demo's two months load,
// their TXT records parse, and the vendors' SPF and DMARC records differ
// between the months (a policy change for the report to show).
func TestSampleFleetsPublishSenderAuthentication(t *testing.T) {
	txt := map[string]map[string]string{}
	for _, name := range []string{"fleet.json", "fleet-next-month.json"} {
		d, err := Load(filepath.Join("..", name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Records(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		txt[name] = map[string]string{}
		for _, dom := range d.Domains {
			for _, r := range dom.TXT {
				txt[name][r.Owner(dom.Name)] += r.Text + "\n"
			}
		}
	}
	if n := len(txt["fleet.json"]); n < 10 {
		t.Errorf("fleet.json publishes %d sender-authentication names", n)
	}
	if a, b := txt["fleet.json"]["_dmarc.contoso-billing.example"], txt["fleet-next-month.json"]["_dmarc.contoso-billing.example"]; a == b || !strings.Contains(b, "p=reject") {
		t.Errorf("contoso-billing's DMARC record does not move to reject: %q -> %q", a, b)
	}
}
