// Package dnstest is an in-process authoritative DNS server for tests and
// the demo fleet: it serves a set of records on one loopback address over
// UDP and TCP, and can be told to fail in the ways real servers fail
// (SERVFAIL, silence, truncation).
//
// It answers like an authoritative server: the AA bit, NXDOMAIN when no
// record of any type exists at or below the name, NODATA otherwise (empty
// non-terminals included), CNAMEs followed within the data, the SOA of
// the enclosing zone in negative answers. There is no wildcard expansion.
// RRSIG records stored beside their RRsets are returned when the query
// sets the DO bit.
//
// A Server serves either one flat set of records (Start, StartZone,
// SetRecords) or several zones with correct authority (StartZones,
// SetZones): DS questions at a zone cut are answered by the parent zone,
// everything else by the deepest zone that holds the name, delegations to
// zones it does not hold get referrals, and, with the DO bit, negative
// answers of signed zones carry their NSEC or NSEC3 proofs. Zones, unlike
// the flat set, expand wildcards (RFC 4592), with the proof that the name
// asked does not exist. SignZone signs a zone with keys generated at run
// time.
package dnstest

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
)

const (
	// maxPortTries bounds the search for a port free on both UDP and TCP.
	maxPortTries = 16
	// maxChase bounds the CNAME hops followed within the data.
	maxChase = 16
	// serverUDPSize is the EDNS0 buffer size announced in replies.
	serverUDPSize = 1232
)

// fault is an injected failure for one owner name.
type fault int

const (
	faultNone fault = iota
	faultServFail
	faultDrop
	faultTruncate
)

// Server is a running test DNS server. Its methods are safe for concurrent use.
type Server struct {
	addr    string
	udp     *dns.Server
	tcp     *dns.Server
	data    atomic.Pointer[snapshot]
	queries atomic.Int64

	mu     sync.Mutex
	faults map[string]fault
	// drops are the questions (name and type) left unanswered.
	drops map[question]bool
	// ad are the names whose answers carry the AD bit.
	ad map[string]bool

	closeOnce sync.Once
	closeErr  error
}

// Start serves records on addr ("127.0.0.53:0"): one port, taken free on
// both UDP and TCP when addr's port is 0.
func Start(addr string, records []dns.RR) (*Server, error) {
	s := newServer()
	s.SetRecords(records)
	if err := s.listenAndServe(addr); err != nil {
		return nil, err
	}
	return s, nil
}

// StartZones serves zones on addr ("127.0.0.53:0"), like Start.
func StartZones(addr string, zones ...*Zone) (*Server, error) {
	s := newServer()
	if err := s.SetZones(zones...); err != nil {
		return nil, err
	}
	if err := s.listenAndServe(addr); err != nil {
		return nil, err
	}
	return s, nil
}

func newServer() *Server {
	return &Server{faults: make(map[string]fault), drops: make(map[question]bool), ad: make(map[string]bool)}
}

// listenAndServe binds addr and starts serving on it.
func (s *Server) listenAndServe(addr string) error {
	pc, l, err := listen(addr)
	if err != nil {
		return err
	}
	s.addr = pc.LocalAddr().String()
	h := dns.HandlerFunc(s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: h}
	s.tcp = &dns.Server{Listener: l, Handler: h}
	if err := run(s.udp); err != nil {
		pc.Close()
		l.Close()
		return fmt.Errorf("serve udp on %s: %w", s.addr, err)
	}
	if err := run(s.tcp); err != nil {
		_ = s.udp.Shutdown()
		l.Close()
		return fmt.Errorf("serve tcp on %s: %w", s.addr, err)
	}
	return nil
}

// StartZone serves the records of zoneText, master-file text (RFC 1035
// §5) whose names are absolute or follow an $ORIGIN line.
func StartZone(addr string, zoneText string) (*Server, error) {
	records, err := ParseZone(zoneText)
	if err != nil {
		return nil, err
	}
	return Start(addr, records)
}

// ParseZone parses master-file text into records; $INCLUDE is refused.
func ParseZone(zoneText string) ([]dns.RR, error) {
	zp := dns.NewZoneParser(strings.NewReader(zoneText), "", "")
	var records []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		records = append(records, rr)
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("parse zone: %w", err)
	}
	return records, nil
}

// listen binds UDP and TCP on the same address.
func listen(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen address %q: %w", addr, err)
	}
	tries := 1
	if port == "0" {
		tries = maxPortTries
	}
	var lastErr error
	for range tries {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen udp %s: %w", addr, err)
		}
		_, p, _ := net.SplitHostPort(pc.LocalAddr().String())
		l, err := net.Listen("tcp", net.JoinHostPort(host, p))
		if err == nil {
			return pc, l, nil
		}
		pc.Close()
		lastErr = err
	}
	return nil, nil, fmt.Errorf("listen tcp beside udp on %s: %w", addr, lastErr)
}

// run starts srv and returns once it serves, or with its start error.
func run(srv *dns.Server) error {
	started := make(chan struct{})
	failed := make(chan error, 1)
	srv.NotifyStartedFunc = func() { close(started) }
	go func() { failed <- srv.ActivateAndServe() }()
	select {
	case <-started:
		return nil
	case err := <-failed:
		if err == nil {
			err = errors.New("server stopped at once")
		}
		return err
	}
}

// Addr is the address served, host:port, the same for UDP and TCP.
func (s *Server) Addr() string { return s.addr }

// Close stops both listeners. It may be called more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = errors.Join(s.udp.Shutdown(), s.tcp.Shutdown())
	})
	return s.closeErr
}

// SetRecords replaces the data served, atomically: a query sees either the
// old or the new data, never a mix. The records are copied.
func (s *Server) SetRecords(records []dns.RR) {
	s.data.Store(&snapshot{flat: newStore(records)})
}

// snapshot is the data served: a flat record set or a set of zones.
type snapshot struct {
	flat  *store
	zones *zoneSet
}

// answer fills resp for the question name/qtype from the snapshot.
func (sn *snapshot) answer(resp *dns.Msg, name string, qtype uint16, do bool) {
	if sn.zones != nil {
		sn.zones.answer(resp, name, qtype, do)
		return
	}
	sn.flat.answer(resp, name, qtype, do)
}

// Queries is the number of queries received, answered or not.
func (s *Server) Queries() int { return int(s.queries.Load()) }

// ServFail makes every query for owner name answer SERVFAIL.
func (s *Server) ServFail(name string) { s.setFault(name, faultServFail) }

// Drop makes every query for owner name go unanswered, so the client times out.
func (s *Server) Drop(name string) { s.setFault(name, faultDrop) }

// Truncate makes UDP answers for owner name set TC and carry no records;
// TCP answers stay whole.
func (s *Server) Truncate(name string) { s.setFault(name, faultTruncate) }

// DropQuestion makes queries for owner name and type qtype alone go
// unanswered, so the client times out.
func (s *Server) DropQuestion(name string, qtype uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.drops[question{dns.CanonicalName(name), qtype}] = true
}

// SetAD makes answers to questions for the given owner names carry the AD
// bit, as a validating resolver sets it on secure answers; it replaces the
// previous list, and no names clears it.
func (s *Server) SetAD(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.ad)
	for _, n := range names {
		s.ad[dns.CanonicalName(n)] = true
	}
}

// ClearFaults removes every injected failure (ServFail, Drop, Truncate,
// DropQuestion); the AD list stays.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
	clear(s.drops)
}

// question is one question: a canonical owner name and a type.
type question struct {
	name  string
	qtype uint16
}

func (s *Server) setFault(name string, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[dns.CanonicalName(name)] = f
}

// faultFor returns the failure injected for name/qtype.
func (s *Server) faultFor(name string, qtype uint16) fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.drops[question{name, qtype}] {
		return faultDrop
	}
	return s.faults[name]
}

func (s *Server) adFor(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ad[name]
}

// serve answers one query.
func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	s.queries.Add(1)
	resp := new(dns.Msg)
	switch {
	case req.Opcode != dns.OpcodeQuery:
		resp.SetRcode(req, dns.RcodeNotImplemented)
		_ = w.WriteMsg(resp)
		return
	case len(req.Question) != 1:
		resp.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(resp)
		return
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	_, udp := w.RemoteAddr().(*net.UDPAddr)
	opt := req.IsEdns0()
	switch s.faultFor(name, q.Qtype) {
	case faultDrop:
		return
	case faultServFail:
		resp.SetRcode(req, dns.RcodeServerFailure)
		writeReply(w, resp, opt, udp)
		return
	case faultTruncate:
		if udp {
			resp.SetReply(req)
			resp.Authoritative = true
			resp.Truncated = true
			writeReply(w, resp, opt, udp)
			return
		}
	}
	if q.Qclass != dns.ClassINET {
		resp.SetRcode(req, dns.RcodeRefused)
		writeReply(w, resp, opt, udp)
		return
	}
	resp.SetReply(req)
	resp.Authoritative = true
	s.data.Load().answer(resp, name, q.Qtype, opt != nil && opt.Do())
	if resp.Rcode == dns.RcodeSuccess || resp.Rcode == dns.RcodeNameError {
		resp.AuthenticatedData = s.adFor(name)
	}
	writeReply(w, resp, opt, udp)
}

// writeReply adds the OPT record when the query had one and, over UDP,
// truncates the reply to the client's buffer size.
func writeReply(w dns.ResponseWriter, resp *dns.Msg, opt *dns.OPT, udp bool) {
	size := dns.MinMsgSize
	if opt != nil {
		resp.SetEdns0(serverUDPSize, opt.Do())
		size = max(int(opt.UDPSize()), dns.MinMsgSize)
	}
	if udp {
		resp.Truncate(size)
	}
	_ = w.WriteMsg(resp)
}

// store is an immutable snapshot of the data, indexed by owner and type.
type store struct {
	// names maps a canonical owner name to its records by type; RRSIGs are
	// kept under TypeRRSIG beside the sets they cover.
	names map[string]map[uint16][]dns.RR
	// parents holds every proper ancestor of an owner name: those names
	// exist (as empty non-terminals when they own nothing).
	parents map[string]bool
}

func newStore(records []dns.RR) *store {
	st := &store{names: make(map[string]map[uint16][]dns.RR), parents: make(map[string]bool)}
	for _, rr := range records {
		if rr == nil {
			continue
		}
		rr = dns.Copy(rr)
		owner := dns.CanonicalName(rr.Header().Name)
		byType := st.names[owner]
		if byType == nil {
			byType = make(map[uint16][]dns.RR)
			st.names[owner] = byType
		}
		t := rr.Header().Rrtype
		byType[t] = append(byType[t], rr)
		for n, ok := parent(owner); ok; n, ok = parent(n) {
			st.parents[n] = true
		}
	}
	return st
}

// exists reports whether name owns records or has names below it.
func (st *store) exists(name string) bool {
	return st.names[name] != nil || st.parents[name]
}

// answer fills resp for the question name/qtype.
func (st *store) answer(resp *dns.Msg, name string, qtype uint16, do bool) {
	cur := name
	seen := map[string]bool{cur: true}
	for hop := 0; hop < maxChase; hop++ {
		node := st.names[cur]
		if node == nil {
			switch {
			case hop > 0 && st.soa(cur) == nil:
				// The alias leaves the data: a real server would stop here too.
			case !st.exists(cur):
				resp.Rcode = dns.RcodeNameError
				st.negative(resp, cur, do)
			default:
				st.negative(resp, cur, do)
			}
			return
		}
		if qtype == dns.TypeANY {
			for _, t := range slices.Sorted(maps.Keys(node)) {
				if t != dns.TypeRRSIG || do {
					resp.Answer = append(resp.Answer, node[t]...)
				}
			}
			return
		}
		if rrs := node[qtype]; len(rrs) > 0 {
			resp.Answer = append(resp.Answer, rrs...)
			resp.Answer = append(resp.Answer, sigs(node, qtype, do)...)
			return
		}
		cn := node[dns.TypeCNAME]
		alias, ok := firstCNAME(cn)
		if !ok {
			st.negative(resp, cur, do)
			return
		}
		resp.Answer = append(resp.Answer, cn...)
		resp.Answer = append(resp.Answer, sigs(node, dns.TypeCNAME, do)...)
		target := dns.CanonicalName(alias.Target)
		if seen[target] {
			return
		}
		seen[target] = true
		cur = target
	}
}

// firstCNAME returns the first CNAME record of rrs.
func firstCNAME(rrs []dns.RR) (*dns.CNAME, bool) {
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok {
			return c, true
		}
	}
	return nil, false
}

// negative adds the SOA of the zone enclosing name, when the data has one.
func (st *store) negative(resp *dns.Msg, name string, do bool) {
	if soa := st.soa(name); soa != nil {
		resp.Ns = append(resp.Ns, soa...)
		resp.Ns = append(resp.Ns, sigs(st.names[dns.CanonicalName(soa[0].Header().Name)], dns.TypeSOA, do)...)
	}
}

// soa returns the SOA set of the closest enclosing zone of name, or nil.
func (st *store) soa(name string) []dns.RR {
	for n, ok := name, true; ok; n, ok = parent(n) {
		if rrs := st.names[n][dns.TypeSOA]; len(rrs) > 0 {
			return rrs
		}
	}
	return nil
}

// parent returns the parent of a canonical name; false for the root.
func parent(name string) (string, bool) {
	if name == "." {
		return "", false
	}
	next, end := dns.NextLabel(name, 0)
	if end {
		return ".", true
	}
	return name[next:], true
}

// sigs returns the RRSIGs in node covering type t, when DO is set.
func sigs(node map[uint16][]dns.RR, t uint16, do bool) []dns.RR {
	if !do {
		return nil
	}
	var out []dns.RR
	for _, rr := range node[dns.TypeRRSIG] {
		if sig, ok := rr.(*dns.RRSIG); ok && sig.TypeCovered == t {
			out = append(out, sig)
		}
	}
	return out
}
