package main

import (
	"slices"
	"sort"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/samples/fleet"
)

// ratioTarget is issue 6's target for connections per address against the
// lower bound.
const ratioTarget = 1.2

// addrStat is what one fleet address saw in one run and what its evidence
// says it should have cost.
type addrStat struct {
	IP   string
	Kind string
	// Domains is the number of domains whose evidence shows the address.
	Domains int
	// Conns is the number of connections the fleet's server accepted.
	Conns int
	// EvidenceConns is what the evidence counts: the probe's connections
	// plus each certificate check's.
	EvidenceConns int
	// Bound is the lower bound: per version tested, accepted suites + 1
	// (SSLv2: 1, its hello lists every spec), plus one per certificate
	// check (MX name); at least 1.
	Bound int
	// Probes is the number of distinct probes of the address in the
	// evidence (1 when the address was probed once for the whole run).
	Probes int
	// CertNames is the number of MX names its certificate was checked for.
	CertNames int
	// Status is the probe's outcome and ProbeTime how long it took.
	Status    evidence.ProbeStatus
	ProbeTime time.Duration
}

// Ratio is Conns over Bound.
func (a addrStat) Ratio() float64 { return float64(a.Conns) / float64(max(a.Bound, 1)) }

// lowerBound is the least number of connections that can learn what the
// probe learnt: for each version tested, one per accepted suite and one to
// see the refusal (SSLv2 answers with every spec at once), plus one per
// certificate checked under its own MX name, plus the connections the
// policy's other checks need (see policyConns). Whatever the outcome, one
// connection is needed to learn anything.
func lowerBound(p *evidence.Probe, certNames int) int {
	n := policyConns(p)
	for _, v := range p.Versions {
		switch {
		case v.Support == evidence.NotTested:
		case v.Version == evidence.SSLv2:
			n++
		default:
			n += len(v.Suites) + 1
		}
	}
	return max(n+certNames, 1)
}

// Connections of the checks beside the enumeration, as the auditor
// schedules them (audit.Auditor.probe and vulns, tlsprobe.Prober.Vulns):
// each needs connections of its own, since a probe that fails a handshake
// on purpose ends its connection.
const (
	// infoAndCCSConns: one hello offering compression and the heartbeat
	// extension (secure renegotiation, CRIME and Heartbleed) and one with
	// early ChangeCipherSpec records, on the newest of TLS 1.2, 1.1 and
	// 1.0 that accepted a suite.
	infoAndCCSConns = 2
	// robotConns: three differently padded RSA key exchanges, when that
	// version accepted an RSA key-exchange suite.
	robotConns = 3
	// injectionConns: the STARTTLS command-injection test, after a full
	// handshake succeeded; noSNIConns: the handshake without a server
	// name (the certificate senders that send none get), likewise.
	injectionConns = 1
	noSNIConns     = 1
)

// policyConns is what the vulnerability checks and the no-SNI handshake
// need on this probe's address, derived from the same evidence the
// auditor decides them on. Client-initiated renegotiation (one TLS 1.2
// session, when TLS 1.2 accepted suites it can protect) counts one
// connection when its check shows it connected: its choice of suites is
// tlsprobe's to make, not this benchmark's.
func policyConns(p *evidence.Probe) int {
	if p.Vulns == nil {
		return 0
	}
	n := 0
	if suites, ok := vulnTarget(p.Versions); ok {
		n += infoAndCCSConns
		if slices.ContainsFunc(suites, func(s evidence.Suite) bool { return s.Kx == "RSA" }) {
			n += robotConns
		}
	}
	if p.Handshake != nil && p.Handshake.OK {
		n += injectionConns
		if p.SNI != "" {
			n += noSNIConns
		}
	}
	if p.Vulns.ClientRenegotiation.Connections > 0 {
		n++
	}
	return n
}

// vulnTarget is the version tlsprobe's vulnerability probes use: the
// newest of TLS 1.2, 1.1 and 1.0 with accepted suites.
func vulnTarget(versions []evidence.VersionResult) ([]evidence.Suite, bool) {
	for _, name := range []string{evidence.TLS12, evidence.TLS11, evidence.TLS10} {
		for _, v := range versions {
			if v.Version == name && v.Support == evidence.Supported && len(v.Suites) > 0 {
				return v.Suites, true
			}
		}
	}
	return nil, false
}

// kindOf names a fleet server's kind for the tables: "provider" for the
// pools of shared providers, the long-tail kind otherwise.
func kindOf(s fleet.Server) string {
	switch {
	case len(s.Names) > 1:
		return "provider"
	case s.BannerDelayMS >= fleet.TarpitDelayMS:
		return "tarpit"
	}
	return s.Profile
}

// addrEvidence gathers one address's observations across every domain:
// bounded by what the address shows (its probes and MX names), never by
// the domains that use it, so a 100,000-domain run is read in constant
// memory per address.
type addrEvidence struct {
	domains    int
	lastDomain string
	probes     map[time.Time]*evidence.Probe
	certs      map[string]*evidence.CertCheck
}

// collector reads the stored domains one at a time (see add) and then
// combines them with the fleet's counts (see stats).
type collector struct {
	seen map[string]*addrEvidence
}

func newCollector() *collector { return &collector{seen: map[string]*addrEvidence{}} }

// add records what domain d's evidence shows of each of its addresses.
// Each domain is added once.
func (c *collector) add(d *evidence.Domain) {
	for _, h := range d.Hosts {
		for _, a := range h.Addresses {
			e := c.seen[a.IP]
			if e == nil {
				e = &addrEvidence{probes: map[time.Time]*evidence.Probe{}, certs: map[string]*evidence.CertCheck{}}
				c.seen[a.IP] = e
			}
			if e.lastDomain != d.Domain || e.domains == 0 {
				// An address under two MX names of one domain is one use.
				e.domains++
				e.lastDomain = d.Domain
			}
			if a.Probe != nil && a.Probe.Status != evidence.ProbeNotTested {
				e.probes[a.Probe.StartedAt] = a.Probe
			}
			if a.Cert != nil {
				e.certs[h.Name] = a.Cert
			}
		}
	}
}

// analyze combines the fleet's connection counts (conns, per address) with
// the stored evidence of every domain into one addrStat per fleet server,
// in address order.
func analyze(def *fleet.Definition, conns map[string]int, domains []*evidence.Domain) []addrStat {
	c := newCollector()
	for _, d := range domains {
		c.add(d)
	}
	return c.stats(def, conns)
}

// stats is analyze over the domains added.
func (c *collector) stats(def *fleet.Definition, conns map[string]int) []addrStat {
	out := make([]addrStat, 0, len(def.Servers))
	for _, s := range def.Servers {
		st := addrStat{IP: s.IP, Kind: kindOf(s), Conns: conns[s.IP], Status: evidence.ProbeNotTested}
		if e := c.seen[s.IP]; e != nil {
			st.Domains = e.domains
			st.Probes = len(e.probes)
			st.CertNames = len(e.certs)
			for _, c := range e.certs {
				st.EvidenceConns += c.Connections
			}
			// With several probes (a defect the table reports), the
			// earliest stands for the address.
			keys := make([]time.Time, 0, len(e.probes))
			for k := range e.probes {
				keys = append(keys, k)
			}
			slices.SortFunc(keys, time.Time.Compare)
			for i, k := range keys {
				p := e.probes[k]
				st.EvidenceConns += p.Connections
				if i == 0 {
					st.Status, st.ProbeTime = p.Status, time.Duration(p.Duration)
					st.Bound = lowerBound(p, st.CertNames)
				}
			}
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return ipLess(out[i].IP, out[j].IP) })
	return out
}

// ipLess orders dotted IPv4 addresses numerically.
func ipLess(a, b string) bool {
	pa, pb := ipKey(a), ipKey(b)
	return pa < pb
}

func ipKey(s string) uint32 {
	var k, part uint32
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			k, part = k<<8|part, 0
			continue
		}
		part = part*10 + uint32(s[i]-'0')
	}
	return k<<8 | part
}

// summary is the connection figures of one run.
type summary struct {
	Addresses    int // fleet addresses
	Seen         int // addresses that appear in the evidence
	TotalConns   int
	TotalBound   int
	EvidenceSum  int
	Mismatched   int // addresses whose fleet count differs from the evidence's
	ProbedTwice  int // addresses with more than one probe
	Unprobed     int // addresses in the evidence with no probe
	Shared       int // addresses used by more than one domain
	SharedOnce   int // of those, probed exactly once
	OverTarget   int // addresses above ratioTarget
	ConnsMin     int
	ConnsMedian  int
	ConnsMax     int
	RatioMin     float64
	RatioMedian  float64
	RatioMax     float64
	OKConns      int // connections and bound of the addresses whose probe succeeded
	OKBound      int
	OKAddresses  int
	OKOverTarget int
	// Slowest is the address whose probe took longest: an address is
	// probed once, at most --per-host connections at a time, so it sets a
	// floor under the wall time.
	Slowest addrStat
}

// Ratio is the overall ratio of connections to the lower bound.
func (s summary) Ratio() float64 { return float64(s.TotalConns) / float64(max(s.TotalBound, 1)) }

// OKRatio is the ratio over the addresses whose probe succeeded.
func (s summary) OKRatio() float64 { return float64(s.OKConns) / float64(max(s.OKBound, 1)) }

func summarize(stats []addrStat) summary {
	s := summary{Addresses: len(stats)}
	var conns []int
	var ratios []float64
	for _, a := range stats {
		if a.Domains == 0 {
			continue
		}
		s.Seen++
		s.TotalConns += a.Conns
		s.TotalBound += a.Bound
		s.EvidenceSum += a.EvidenceConns
		conns = append(conns, a.Conns)
		ratios = append(ratios, a.Ratio())
		if a.Conns != a.EvidenceConns {
			s.Mismatched++
		}
		switch {
		case a.Probes == 0:
			s.Unprobed++
		case a.Probes > 1:
			s.ProbedTwice++
		}
		if a.Domains > 1 {
			s.Shared++
			if a.Probes == 1 {
				s.SharedOnce++
			}
		}
		if a.ProbeTime > s.Slowest.ProbeTime {
			s.Slowest = a
		}
		over := a.Ratio() > ratioTarget
		if over {
			s.OverTarget++
		}
		if a.Status == evidence.ProbeOK {
			s.OKAddresses++
			s.OKConns += a.Conns
			s.OKBound += a.Bound
			if over {
				s.OKOverTarget++
			}
		}
	}
	if len(conns) > 0 {
		slices.Sort(conns)
		slices.Sort(ratios)
		s.ConnsMin, s.ConnsMedian, s.ConnsMax = conns[0], conns[len(conns)/2], conns[len(conns)-1]
		s.RatioMin, s.RatioMedian, s.RatioMax = ratios[0], ratios[len(ratios)/2], ratios[len(ratios)-1]
	}
	return s
}

// kindRow is one line of the per-kind table.
type kindRow struct {
	Kind              string
	Addresses         int
	Domains           int
	Conns, Bound      int
	MinConns, MaxConn int
	// ProbeTime is the total and MaxProbe the longest probe time.
	ProbeTime, MaxProbe time.Duration
}

// Ratio is the kind's connections over its bound.
func (k kindRow) Ratio() float64 { return float64(k.Conns) / float64(max(k.Bound, 1)) }

// byKind totals the addresses of each kind, providers first, then by name.
func byKind(stats []addrStat) []kindRow {
	rows := map[string]*kindRow{}
	for _, a := range stats {
		if a.Domains == 0 {
			continue
		}
		r := rows[a.Kind]
		if r == nil {
			r = &kindRow{Kind: a.Kind, MinConns: a.Conns}
			rows[a.Kind] = r
		}
		r.Addresses++
		r.Domains += a.Domains
		r.Conns += a.Conns
		r.Bound += a.Bound
		r.MinConns = min(r.MinConns, a.Conns)
		r.MaxConn = max(r.MaxConn, a.Conns)
		r.ProbeTime += a.ProbeTime
		r.MaxProbe = max(r.MaxProbe, a.ProbeTime)
	}
	out := make([]kindRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Kind == "provider") != (out[j].Kind == "provider") {
			return out[i].Kind == "provider"
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}
