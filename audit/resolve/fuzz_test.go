package resolve

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// FuzzParseResolvConf checks that any text gives either an error or a list
// of IP:53 servers, one per nameserver line at most.
func FuzzParseResolvConf(f *testing.F) {
	f.Add([]byte("nameserver 192.0.2.1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		servers, _ := ParseResolvConf(bytes.NewReader(data))
		if len(servers) > bytes.Count(data, []byte("nameserver")) {
			t.Fatalf("%d servers from %d nameserver words", len(servers), bytes.Count(data, []byte("nameserver")))
		}
		for _, s := range servers {
			ap, err := netip.ParseAddrPort(s)
			if err != nil || ap.Port() != 53 {
				t.Fatalf("server %q is not ip:53: %v", s, err)
			}
		}
	})
}

// FuzzLookupFromMsg feeds any message that miekg/dns can unpack to the
// reading of answers and checks the invariants of the Lookup it gives.
func FuzzLookupFromMsg(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m := new(dns.Msg)
		if err := m.Unpack(data); err != nil {
			return
		}
		qname, qtype := "x.test.", dns.TypeA
		if len(m.Question) > 0 {
			qname, qtype = m.Question[0].Name, m.Question[0].Qtype
		}
		l, rrs, next := lookupFromMsg(qname, qtype, m)
		if len(l.Records) != len(rrs) {
			t.Fatalf("%d records but %d RRs", len(l.Records), len(rrs))
		}
		if len(l.CNAMEs) > maxCNAMEHops+1 {
			t.Fatalf("chain of %d names", len(l.CNAMEs))
		}
		switch l.Status {
		case evidence.DNSOK:
			if len(rrs) == 0 {
				t.Fatalf("ok without records")
			}
		case evidence.DNSNoData, evidence.DNSServFail, evidence.DNSRefused:
			if len(rrs) != 0 {
				t.Fatalf("%s with %d records", l.Status, len(rrs))
			}
		case evidence.DNSNXDomain:
		case evidence.DNSError:
			if l.Error == "" || len(rrs) != 0 {
				t.Fatalf("error status with message %q and %d records", l.Error, len(rrs))
			}
		default:
			t.Fatalf("unexpected status %q", l.Status)
		}
		for _, rr := range rrs {
			if qtype != dns.TypeANY && rr.Header().Rrtype != qtype {
				t.Fatalf("record of type %d for question type %d", rr.Header().Rrtype, qtype)
			}
		}
		if next != "" && (l.Status != evidence.DNSNoData || len(l.CNAMEs) == 0) {
			t.Fatalf("next %q with status %s and %d cnames", next, l.Status, len(l.CNAMEs))
		}
	})
}

// FuzzUnescapeTXT checks that TXT strings come back as the exact bytes
// sent, whatever miekg/dns escaped on the way.
func FuzzUnescapeTXT(f *testing.F) {
	f.Add([]byte("v=STSv1; id=1"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		const maxString = 255
		var rdata []byte
		for chunk := range chunks(raw, maxString) {
			rdata = append(rdata, byte(len(chunk)))
			rdata = append(rdata, chunk...)
		}
		if len(rdata) == 0 || len(rdata) > 0xffff {
			return
		}
		// Root owner, type TXT, class IN, TTL 0, then the rdata.
		wire := []byte{0, 0, byte(dns.TypeTXT), 0, byte(dns.ClassINET), 0, 0, 0, 0}
		wire = binary.BigEndian.AppendUint16(wire, uint16(len(rdata)))
		wire = append(wire, rdata...)
		rr, _, err := dns.UnpackRR(wire, 0)
		if err != nil {
			t.Fatalf("unpack: %v", err)
		}
		txt, ok := rr.(*dns.TXT)
		if !ok {
			t.Fatalf("got %T, want *dns.TXT", rr)
		}
		if got := joinTXT(txt.Txt); got != string(raw) {
			t.Fatalf("joinTXT = %q, want %q (escaped %q)", got, raw, strings.Join(txt.Txt, "|"))
		}
	})
}

// chunks yields b in pieces of at most n bytes.
func chunks(b []byte, n int) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(b) > 0 {
			k := min(n, len(b))
			if !yield(b[:k]) {
				return
			}
			b = b[k:]
		}
	}
}

// FuzzVerify feeds the DNSKEY, DS, RRSIG, NSEC and NSEC3 records of any
// message miekg/dns can unpack to the validator's own reading of them:
// signature checks, DS matching, and the NSEC and NSEC3 proofs. Nothing
// may panic, and the proofs must keep their invariants.
func FuzzVerify(f *testing.F) {
	f.Add([]byte{})
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		m := new(dns.Msg)
		if err := m.Unpack(data); err != nil {
			return
		}
		qname, qtype := "x.test.", dns.TypeA
		if len(m.Question) > 0 {
			qname, qtype = dns.CanonicalName(m.Question[0].Name), m.Question[0].Qtype
		}
		var (
			keys   []taggedKey
			ds     []*dns.DS
			anchor []*dns.DNSKEY
			nsecs  []*dns.NSEC
			nsec3s []*dns.NSEC3
			owners []string
		)
		for _, section := range [][]dns.RR{m.Answer, m.Ns, m.Extra} {
			for _, rr := range section {
				switch v := rr.(type) {
				case *dns.DNSKEY:
					keys = append(keys, taggedKey{key: v, tag: v.KeyTag()})
					anchor = append(anchor, v)
				case *dns.DS:
					ds = append(ds, v)
				case *dns.NSEC:
					nsecs = append(nsecs, v)
				case *dns.NSEC3:
					nsec3s = append(nsec3s, v)
				}
				owners = append(owners, dns.CanonicalName(rr.Header().Name))
			}
		}
		if got := matchKeys(keys, usableDS(ds), anchor); len(got) > len(keys) {
			t.Fatalf("%d matching keys out of %d", len(got), len(keys))
		}
		for _, owner := range owners {
			for _, set := range collectAll(m.Answer, owner) {
				for _, sig := range set.sigs {
					if ok, why := verifyWith(keys, set, sig, now); !ok && why == "" {
						t.Fatalf("verification failed without a reason")
					}
				}
			}
		}
		zone := qname
		if len(nsec3s) > 0 {
			if p, ok := parentName(dns.CanonicalName(nsec3s[0].Hdr.Name)); ok {
				zone = p
			}
		}
		for _, nx := range []bool{false, true} {
			for _, p := range []proof{nsecDenial(qname, qtype, nx, nsecs), nsec3Denial(qname, qtype, nx, zone, nsec3s)} {
				switch {
				case p.ok && p.insecure:
					t.Fatalf("proof both ok and insecure: %+v", p)
				case p.ok && p.nx != nx:
					t.Fatalf("proof of nx=%v for a claim of nx=%v", p.nx, nx)
				case !p.ok && p.why == "":
					t.Fatalf("failed proof without a reason: %+v", p)
				case p.optOut && !p.ok:
					t.Fatalf("opt-out on a failed proof: %+v", p)
				}
			}
		}
		for _, n := range nsecs {
			if enc := nsecEncloser(qname, n); !dns.IsSubDomain(enc, qname) {
				t.Fatalf("encloser %q is not an ancestor of %q", enc, qname)
			}
		}
	})
}
