package fleet

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Defaults and bounds of Generate.
const (
	// DefaultGenDomains is the number of domains Generate makes by default.
	DefaultGenDomains = 1000
	// DefaultDomainsPerAddress sets the default address target: one
	// distinct address per five domains (1,000 domains on about 200
	// addresses, as in the batch benchmark).
	DefaultDomainsPerAddress = 5
	// MaxGenDomains bounds the domains of a generated fleet.
	MaxGenDomains = 100_000
	// MaxGenAddresses bounds its addresses: one listener each, and all of
	// them inside one /16 of 127.0.0.0/8.
	MaxGenAddresses = 20_000
	// DefaultGenPrefix is the /16 a generated fleet lives in, clear of
	// 127.0.0.53 (the system resolver stub) and the demo's 127.0.1.x.
	DefaultGenPrefix = "127.20"
	// GenSMTPPort, GenDNSPort and GenHTTPSPort are the ports of a generated
	// definition; Options can override them.
	GenSMTPPort  = 2525
	GenDNSPort   = 5353
	GenHTTPSPort = 8443
	// TarpitDelayMS is the greeting delay of the "tarpit" servers of the
	// long tail, on every connection.
	TarpitDelayMS = 5000
	// SlowBannerMS is the greeting delay of the "slow-banner" servers.
	SlowBannerMS = int(slowBanner / time.Millisecond)
)

// Shapes of a generated fleet.
const (
	minPool = 2 // addresses of the smallest provider pool
	maxPool = 8 // and of the largest
	// addressesPerProvider derives the default number of providers from
	// the address target; maxProviders caps it.
	addressesPerProvider = 25
	maxProviders         = 64
	// nullMXPerMille of the domains publish a null MX; implicitPerMille of
	// the self-hosted ones have no MX and receive mail on their A record.
	nullMXPerMille   = 5
	implicitPerMille = 30
	perMille         = 1000
	// infraOctet is the third octet of the fleet's DNS and HTTPS servers,
	// never used by an SMTP server.
	infraOctet = 255
	hostsPerY  = 254 // .1 to .254 in the last octet
	dnsHost    = 53
	httpsHost  = 80
	stsMaxAge  = 86400
)

// GenOptions says what fleet Generate makes. Zero fields take defaults;
// out-of-range values are brought within bounds.
type GenOptions struct {
	// Seed makes the fleet: the same options always give the same fleet.
	Seed uint64
	// Domains is the number of mail domains (default DefaultGenDomains, at
	// most MaxGenDomains).
	Domains int
	// Addresses is the target number of distinct server addresses (default
	// Domains/DefaultDomainsPerAddress, at least 4, at most MaxGenAddresses).
	// The fleet has exactly this many unless there are too few domains to
	// use them all: every self-hosted domain has one address of its own.
	Addresses int
	// Providers is the number of large shared providers (default one per
	// 25 addresses, between 1 and 64; providers use at most half the
	// addresses).
	Providers int
	// LatencyMS is the simulated network round trip of every server.
	LatencyMS int
	// GreetingMS bounds each server's greeting delay: a random delay from 0
	// to GreetingMS milliseconds, fixed per server by the seed.
	GreetingMS int
	// MTASTS is the number of provider-hosted domains that publish an
	// MTA-STS policy (mode enforce) and a TLS-RPT record.
	MTASTS int
	// Prefix is the /16 of the fleet ("127.20" by default); anything that
	// is not "127.N" with N from 1 to 254 falls back to the default.
	Prefix string
}

// tailKind is one quality of self-hosted server in the long tail.
type tailKind struct {
	name    string // for the fleet's comment and tests
	profile string
	weight  int // per mille of the long tail
	delayMS int // extra greeting delay on every connection
}

// tailKinds is the spread of the long tail. Weights sum to perMille.
var tailKinds = []tailKind{
	{"modern", "modern", 400, 0},
	{"modern-12", "modern-12", 50, 0},
	{"tls12-only", "tls12-only", 180, 0},
	{"legacy", "legacy", 70, 0},
	{"self-signed", "self-signed", 60, 0},
	{"expired", "expired", 40, 0},
	{"name-mismatch", "name-mismatch", 40, 0},
	{"no-starttls", "no-starttls", 50, 0},
	{"raw-sslv3-export", "raw-sslv3-export", 10, 0},
	{"raw-sslv2", "raw-sslv2", 10, 0},
	{"raw-dhe1024", "raw-dhe1024", 20, 0},
	// Server.BannerDelayMS replaces the profile's own delay, so the slow
	// banner's is restated here, with the random greeting added to it.
	{"slow-banner", "slow-banner", 20, SlowBannerMS},
	{"tarpit", "modern", 10, TarpitDelayMS},
	{"refuse-421", "refuse-421", 20, 0},
	{"broken-tls", "broken-tls", 10, 0},
	{"garbage", "garbage", 10, 0},
}

// TailKinds lists the kinds of self-hosted server Generate puts in the
// long tail: profile names, and "tarpit" (a modern server that greets
// TarpitDelayMS late).
func TailKinds() []string {
	names := make([]string, 0, len(tailKinds))
	for _, k := range tailKinds {
		names = append(names, k.name)
	}
	return names
}

// Words for readable generated names.
var (
	providerWords = []string{"mailharbor", "postgate", "inboxcloud", "relaywise", "mxguard", "sendshield",
		"letterbox", "courierhub", "mailfort", "postline", "quillmail", "envelope"}
	domainFirst = []string{"north", "blue", "summit", "river", "cedar", "granite", "silver", "harbor",
		"pioneer", "lumen", "atlas", "crescent", "vertex", "maple", "orion", "coastal"}
	domainSecond = []string{"logistics", "health", "labs", "billing", "foods", "legal", "systems",
		"freight", "energy", "media", "capital", "works", "supply", "analytics", "dental", "print"}
	mailHostWords = []string{"mail", "mx", "smtp", "mx1"}
)

// gen is the state of one Generate call.
type gen struct {
	opt     GenOptions
	rng     *rand.Rand
	nextIP  int
	servers []Server
	domains []Domain
}

// Generate makes a fleet of opt.Domains mail domains deterministically from
// opt.Seed: most domains on a few large shared providers (each a pool of 2
// to 8 modern addresses behind two MX names, with a Zipf-like spread of
// customers), and a long tail of self-hosted single-server domains of every
// quality (see TailKinds), plus a few null-MX and implicit-MX domains. The
// domains come in random order, like a real vendor list. Every address is
// in opt.Prefix's /16 of 127.0.0.0/8, and the definition passes Validate.
func Generate(opt GenOptions) *Definition {
	opt = opt.normalised()
	g := &gen{opt: opt, rng: rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x6d78617564697421))}

	pools := g.poolSizes()
	providerAddrs := 0
	for _, n := range pools {
		providerAddrs += n
	}
	nullMX := opt.Domains * nullMXPerMille / perMille
	// Every provider needs a customer; the rest of the domains are
	// self-hosted, one address each, up to the address target.
	selfHosted := min(opt.Addresses-providerAddrs, opt.Domains-len(pools)-nullMX)
	selfHosted = max(selfHosted, 0)
	customers := opt.Domains - selfHosted - nullMX

	g.providers(pools, customers)
	g.longTail(selfHosted)
	for range nullMX {
		g.domains = append(g.domains, Domain{Name: g.domainName(), NullMX: true})
	}
	g.rng.Shuffle(len(g.domains), func(i, j int) { g.domains[i], g.domains[j] = g.domains[j], g.domains[i] })

	d := &Definition{
		Comment: fmt.Sprintf("generated by fleet.Generate: seed %d, %d domains, %d addresses (%d on %d providers), latency %d ms, greeting up to %d ms",
			opt.Seed, len(g.domains), len(g.servers), providerAddrs, len(pools), opt.LatencyMS, opt.GreetingMS),
		Resolver: fmt.Sprintf("%s.%d.%d:%d", opt.Prefix, infraOctet, dnsHost, GenDNSPort),
		SMTPPort: GenSMTPPort,
		Servers:  g.servers,
		Domains:  g.domains,
	}
	if opt.MTASTS > 0 {
		d.HTTPS = fmt.Sprintf("%s.%d.%d", opt.Prefix, infraOctet, httpsHost)
		d.HTTPSPort = GenHTTPSPort
	}
	return d
}

// normalised applies the defaults and bounds of GenOptions.
func (o GenOptions) normalised() GenOptions {
	// Four addresses leave room for one provider pool of minPool.
	const minAddresses = 4
	if o.Domains <= 0 {
		o.Domains = DefaultGenDomains
	}
	o.Domains = min(o.Domains, MaxGenDomains)
	if o.Addresses <= 0 {
		o.Addresses = o.Domains / DefaultDomainsPerAddress
	}
	o.Addresses = min(max(o.Addresses, minAddresses), MaxGenAddresses)
	if o.Providers <= 0 {
		o.Providers = min(max(o.Addresses/addressesPerProvider, 1), maxProviders)
	}
	// Providers hold at most half the addresses, each at least minPool,
	// and each needs at least one customer.
	o.Providers = min(o.Providers, o.Addresses/2/minPool, o.Domains)
	o.Providers = max(o.Providers, 0)
	o.LatencyMS = max(o.LatencyMS, 0)
	o.GreetingMS = max(o.GreetingMS, 0)
	o.MTASTS = max(o.MTASTS, 0)
	if !validPrefix(o.Prefix) {
		o.Prefix = DefaultGenPrefix
	}
	return o
}

// validPrefix accepts "127.N" with N from 1 to 254.
func validPrefix(p string) bool {
	rest, ok := strings.CutPrefix(p, "127.")
	if !ok {
		return false
	}
	n, err := strconv.Atoi(rest)
	return err == nil && strconv.Itoa(n) == rest && n >= 1 && n <= 254
}

// poolSizes draws each provider's pool size, then shrinks the largest
// pools until the providers use at most half the addresses.
func (g *gen) poolSizes() []int {
	pools := make([]int, g.opt.Providers)
	total := 0
	for i := range pools {
		pools[i] = minPool + g.rng.IntN(maxPool-minPool+1)
		total += pools[i]
	}
	budget := g.opt.Addresses / 2
	// Bounded: each pass takes one address from a pool above minPool, and
	// there are at most Providers*(maxPool-minPool) such addresses.
	for pass := 0; total > budget && pass < len(pools)*(maxPool-minPool); pass++ {
		big := 0
		for i, n := range pools {
			if n > pools[big] {
				big = i
			}
		}
		if pools[big] <= minPool {
			break
		}
		pools[big]--
		total--
	}
	return pools
}

// ip allocates the next address of the fleet: prefix.Y.Z with Z from 1 to
// 254 and Y below infraOctet.
func (g *gen) ip() string {
	i := g.nextIP
	g.nextIP++
	return fmt.Sprintf("%s.%d.%d", g.opt.Prefix, i/hostsPerY, i%hostsPerY+1)
}

// greeting is a server's random greeting delay.
func (g *gen) greeting() int {
	if g.opt.GreetingMS == 0 {
		return 0
	}
	return g.rng.IntN(g.opt.GreetingMS + 1)
}

// domainName makes the next domain name; the index keeps names unique.
func (g *gen) domainName() string {
	n := len(g.domains)
	return fmt.Sprintf("%s-%s-%d.example",
		domainFirst[g.rng.IntN(len(domainFirst))], domainSecond[g.rng.IntN(len(domainSecond))], n)
}

func providerName(i int) string {
	w := providerWords[i%len(providerWords)]
	if i >= len(providerWords) {
		w += strconv.Itoa(i / len(providerWords))
	}
	return w + ".example"
}

// providers makes the provider pools and spreads customers over them: one
// each, the rest in proportion to 1/rank (a few very large providers and
// smaller ones after them). The first opt.MTASTS customers publish MTA-STS.
func (g *gen) providers(pools []int, customers int) {
	if len(pools) == 0 {
		return
	}
	type provider struct{ mx1, mx2 string }
	ps := make([]provider, len(pools))
	cum := make([]float64, len(pools))
	var sum float64
	for i, n := range pools {
		base := providerName(i)
		ps[i] = provider{mx1: "mx1." + base, mx2: "mx2." + base}
		for range n {
			g.servers = append(g.servers, Server{IP: g.ip(), Names: []string{ps[i].mx1, ps[i].mx2},
				Profile: "modern", BannerDelayMS: g.greeting(), LatencyMS: g.opt.LatencyMS})
		}
		sum += 1 / float64(i+1)
		cum[i] = sum
	}
	sts := min(g.opt.MTASTS, customers)
	for c := range customers {
		k := c // the first customer of each provider
		if c >= len(pools) {
			k = sort.SearchFloat64s(cum, g.rng.Float64()*sum)
			k = min(k, len(pools)-1)
		}
		p := ps[k]
		d := Domain{Name: g.domainName(), MX: []MX{{Preference: 10, Host: p.mx1}, {Preference: 20, Host: p.mx2}}}
		if c < sts {
			d.MTASTS = &STS{
				TXT:    []string{fmt.Sprintf("v=STSv1; id=gen%d", g.opt.Seed)},
				Policy: fmt.Sprintf("version: STSv1\nmode: enforce\nmx: %s\nmx: %s\nmax_age: %d\n", p.mx1, p.mx2, stsMaxAge),
			}
			d.TLSRPT = "v=TLSRPTv1; rua=mailto:tlsrpt@" + d.Name
		}
		g.domains = append(g.domains, d)
	}
}

// longTail makes n self-hosted domains, one server each: one of every kind
// first when n allows, the rest drawn by weight.
func (g *gen) longTail(n int) {
	implicit := n * implicitPerMille / perMille
	for i := range n {
		var k tailKind
		if i < len(tailKinds) && n >= len(tailKinds) {
			k = tailKinds[i]
		} else {
			k = g.pickKind()
		}
		name := g.domainName()
		ip := g.ip()
		d := Domain{Name: name}
		host := mailHostWords[g.rng.IntN(len(mailHostWords))] + "." + name
		// The last few are implicit MX: mail goes to the domain's own A record.
		if i >= n-implicit {
			host = name
			d.A = []string{ip}
		} else {
			d.MX = []MX{{Preference: 10, Host: host}}
		}
		g.servers = append(g.servers, Server{IP: ip, Names: []string{host}, Profile: k.profile,
			BannerDelayMS: g.greeting() + k.delayMS, LatencyMS: g.opt.LatencyMS})
		g.domains = append(g.domains, d)
	}
}

func (g *gen) pickKind() tailKind {
	r := g.rng.IntN(perMille)
	for _, k := range tailKinds {
		if r < k.weight {
			return k
		}
		r -= k.weight
	}
	return tailKinds[0]
}
