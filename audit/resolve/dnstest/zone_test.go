package dnstest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// signNow() is the clock of the signed test zones.
func signNow() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

const (
	parentText = `
example.test.       300 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 60
example.test.       300 IN NS  ns.example.test.
ns.example.test.    300 IN A   192.0.2.53
www.example.test.   300 IN A   192.0.2.1
signed.example.test. 300 IN NS ns.signed.example.test.
ns.signed.example.test. 300 IN A 192.0.2.54
plain.example.test. 300 IN NS  ns.plain.example.test.
ns.plain.example.test. 300 IN A 192.0.2.55
away.example.test.  300 IN NS  ns.away.example.test.
ns.away.example.test. 300 IN A 192.0.2.56
*.wild.example.test. 300 IN A  192.0.2.9
`
	signedText = `
signed.example.test. 300 IN SOA ns.signed.example.test. hostmaster.signed.example.test. 1 3600 600 86400 60
signed.example.test. 300 IN NS  ns.signed.example.test.
ns.signed.example.test. 300 IN A 192.0.2.54
signed.example.test. 300 IN MX  10 mx.signed.example.test.
mx.signed.example.test. 300 IN A 192.0.2.10
`
	plainText = `
plain.example.test. 300 IN SOA ns.plain.example.test. hostmaster.plain.example.test. 1 3600 600 86400 60
plain.example.test. 300 IN NS  ns.plain.example.test.
ns.plain.example.test. 300 IN A 192.0.2.55
plain.example.test. 300 IN MX  10 mx.plain.example.test.
`
)

func signOpts() SignOptions {
	return SignOptions{Inception: signNow().Add(-time.Hour), Expiration: signNow().Add(24 * time.Hour)}
}

func mustParse(t *testing.T, text string) []dns.RR {
	t.Helper()
	rrs, err := ParseZone(text)
	if err != nil {
		t.Fatalf("ParseZone: %v", err)
	}
	return rrs
}

// startSigned serves example.test. (signed, NSEC or NSEC3 by parentOpts)
// with a signed and an unsigned child it holds, and a delegation to a
// zone it does not hold.
func startSigned(t *testing.T, parentOpts SignOptions) (*Server, map[string]*Zone) {
	t.Helper()
	child, err := NewSignedZone("signed.example.test.", mustParse(t, signedText), signOpts())
	if err != nil {
		t.Fatalf("sign child: %v", err)
	}
	parentRecords := append(mustParse(t, parentText), child.DS...)
	parent, err := NewSignedZone("example.test.", parentRecords, parentOpts)
	if err != nil {
		t.Fatalf("sign parent: %v", err)
	}
	plain := &Zone{Origin: "plain.example.test.", Records: mustParse(t, plainText)}
	s, err := StartZones("127.0.0.1:0", parent, child, plain)
	if err != nil {
		t.Fatalf("StartZones: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, map[string]*Zone{"parent": parent, "child": child, "plain": plain}
}

// zsummary is a reply with every record's owner and type, and the types
// an RRSIG covers, in order, plus the glue.
type zsummary struct {
	summary
	extra string
}

func zsummarise(m *dns.Msg) zsummary {
	list := func(rrs []dns.RR) string {
		var parts []string
		for _, rr := range rrs {
			p := strings.ToLower(rr.Header().Name) + "/" + dns.TypeToString[rr.Header().Rrtype]
			if sig, ok := rr.(*dns.RRSIG); ok {
				p += "(" + dns.TypeToString[sig.TypeCovered] + ")"
			}
			if _, ok := rr.(*dns.NSEC3); ok {
				p = "nsec3/NSEC3"
			}
			parts = append(parts, p)
		}
		return strings.Join(parts, " ")
	}
	s := summarise(m)
	s.answer, s.authority = list(m.Answer), list(m.Ns)
	var extra []string
	for _, rr := range m.Extra {
		if rr.Header().Rrtype != dns.TypeOPT {
			extra = append(extra, strings.ToLower(rr.Header().Name)+"/"+dns.TypeToString[rr.Header().Rrtype])
		}
	}
	return zsummary{summary: s, extra: strings.Join(extra, " ")}
}

func TestZonesNSEC(t *testing.T) {
	s, _ := startSigned(t, signOpts())
	tests := []struct {
		name  string
		qname string
		qtype uint16
		do    bool
		want  zsummary
	}{
		{"child data from the child", "mx.signed.example.test.", dns.TypeA, true, zsummary{summary: summary{rcode: "NOERROR", aa: true,
			answer: "mx.signed.example.test./A mx.signed.example.test./RRSIG(A)"}}},
		{"no rrsig without do", "mx.signed.example.test.", dns.TypeA, false, zsummary{summary: summary{rcode: "NOERROR", aa: true,
			answer: "mx.signed.example.test./A"}}},
		{"ds from the parent", "signed.example.test.", dns.TypeDS, true, zsummary{summary: summary{rcode: "NOERROR", aa: true,
			answer: "signed.example.test./DS signed.example.test./RRSIG(DS)"}}},
		{"dnskey from the child", "signed.example.test.", dns.TypeDNSKEY, true, zsummary{summary: summary{rcode: "NOERROR", aa: true,
			answer: "signed.example.test./DNSKEY signed.example.test./DNSKEY signed.example.test./RRSIG(DNSKEY)"}}},
		{"no ds proven by the parent", "plain.example.test.", dns.TypeDS, true, zsummary{summary: summary{rcode: "NOERROR", aa: true,
			authority: "example.test./SOA example.test./RRSIG(SOA) plain.example.test./NSEC plain.example.test./RRSIG(NSEC)"}}},
		{"unsigned child data", "plain.example.test.", dns.TypeMX, true, zsummary{summary: summary{rcode: "NOERROR", aa: true,
			answer: "plain.example.test./MX"}}},
		{"referral to a zone not held", "x.away.example.test.", dns.TypeA, true, zsummary{summary: summary{rcode: "NOERROR",
			authority: "away.example.test./NS away.example.test./NSEC away.example.test./RRSIG(NSEC)"}, extra: "ns.away.example.test./A"}},
		{"nxdomain with proof", "nope.example.test.", dns.TypeA, true, zsummary{summary: summary{rcode: "NXDOMAIN", aa: true,
			authority: "example.test./SOA example.test./RRSIG(SOA) away.example.test./NSEC away.example.test./RRSIG(NSEC) example.test./NSEC example.test./RRSIG(NSEC)"}}},
		{"nodata with proof", "www.example.test.", dns.TypeMX, true, zsummary{summary: summary{rcode: "NOERROR", aa: true,
			authority: "example.test./SOA example.test./RRSIG(SOA) www.example.test./NSEC www.example.test./RRSIG(NSEC)"}}},
		{"nodata without do", "www.example.test.", dns.TypeMX, false, zsummary{summary: summary{rcode: "NOERROR", aa: true,
			authority: "example.test./SOA"}}},
		{"wildcard expanded", "host.wild.example.test.", dns.TypeA, true, zsummary{summary: summary{rcode: "NOERROR", aa: true,
			answer: "host.wild.example.test./A host.wild.example.test./RRSIG(A)", authority: "*.wild.example.test./NSEC *.wild.example.test./RRSIG(NSEC)"}}},
		{"wildcard nodata", "host.wild.example.test.", dns.TypeMX, true, zsummary{summary: summary{rcode: "NOERROR", aa: true,
			authority: "example.test./SOA example.test./RRSIG(SOA) *.wild.example.test./NSEC *.wild.example.test./RRSIG(NSEC)"}}},
		{"outside every zone", "other.test.", dns.TypeA, false, zsummary{summary: summary{rcode: "REFUSED"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := zsummarise(ask(t, s, "tcp", tc.qname, tc.qtype, tc.do))
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestZonesNSEC3(t *testing.T) {
	opts := signOpts()
	opts.NSEC3 = &NSEC3Options{OptOut: true, Salt: "BEEF", Iterations: 1}
	s, _ := startSigned(t, opts)
	tests := []struct {
		name  string
		qname string
		qtype uint16
		rcode string
	}{
		{"no ds under opt-out: closest encloser proof", "plain.example.test.", dns.TypeDS, "NOERROR"},
		{"nodata by match", "www.example.test.", dns.TypeMX, "NOERROR"},
		{"nxdomain", "nope.example.test.", dns.TypeA, "NXDOMAIN"},
		{"wildcard", "host.wild.example.test.", dns.TypeA, "NOERROR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := zsummarise(ask(t, s, "tcp", tc.qname, tc.qtype, true))
			// The number of NSEC3 records depends on the hash order: check
			// that the proof is there and every record is signed.
			if got.rcode != tc.rcode || !strings.Contains(got.authority, "nsec3/NSEC3") {
				t.Errorf("got %+v, want %s with nsec3 proof", got, tc.rcode)
			}
			m := ask(t, s, "tcp", tc.qname, tc.qtype, true)
			var nsec3, sigs int
			for _, rr := range m.Ns {
				switch v := rr.(type) {
				case *dns.NSEC3:
					nsec3++
				case *dns.RRSIG:
					if v.TypeCovered == dns.TypeNSEC3 {
						sigs++
					}
				}
			}
			if nsec3 == 0 || nsec3 != sigs {
				t.Errorf("%d nsec3 records and %d signatures over them", nsec3, sigs)
			}
		})
	}
}

func TestSignZone(t *testing.T) {
	records := mustParse(t, parentText)
	tests := []struct {
		name    string
		opts    SignOptions
		records []dns.RR
		err     string
	}{
		{"nsec", signOpts(), records, ""},
		{"nsec3", SignOptions{Inception: signNow().Add(-time.Hour), Expiration: signNow().Add(time.Hour), NSEC3: &NSEC3Options{}}, records, ""},
		{"rsa", SignOptions{Algorithm: dns.RSASHA256, Inception: signNow().Add(-time.Hour), Expiration: signNow().Add(time.Hour)}, records, ""},
		{"ed25519", SignOptions{Algorithm: dns.ED25519, Inception: signNow().Add(-time.Hour), Expiration: signNow().Add(time.Hour)}, records, ""},
		{"no soa", signOpts(), records[1:], "zone example.test. has no soa record at its apex"},
		{"record outside", signOpts(), append(mustParse(t, "other.test. 300 IN A 192.0.2.1"), records...),
			"record \"other.test.\\t300\\tIN\\tA\\t192.0.2.1\" is outside zone example.test."},
		{"unknown algorithm", SignOptions{Algorithm: dns.ED448}, records, "cannot generate keys for algorithm 16"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signed, ds, keys, err := SignZone("Example.Test", tc.records, tc.opts)
			if errText(err) != tc.err {
				t.Fatalf("error %q, want %q", errText(err), tc.err)
			}
			if err != nil {
				return
			}
			checkSigned(t, signed, ds, keys, tc.opts.NSEC3 != nil)
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkSigned verifies every RRSIG of a signed zone, that every
// authoritative RRset is signed and glue and delegation NS are not, and
// that the DS names the KSK.
func checkSigned(t *testing.T, signed, ds []dns.RR, keys *Keys, nsec3 bool) {
	t.Helper()
	type setKey struct {
		owner string
		rtype uint16
	}
	sets := make(map[setKey][]dns.RR)
	sigs := make(map[setKey][]*dns.RRSIG)
	for _, rr := range signed {
		k := setKey{dns.CanonicalName(rr.Header().Name), rr.Header().Rrtype}
		if sig, ok := rr.(*dns.RRSIG); ok {
			k.rtype = sig.TypeCovered
			sigs[k] = append(sigs[k], sig)
			continue
		}
		sets[k] = append(sets[k], rr)
	}
	wantUnsigned := map[setKey]bool{
		{"signed.example.test.", dns.TypeNS}: true, {"ns.signed.example.test.", dns.TypeA}: true,
		{"plain.example.test.", dns.TypeNS}: true, {"ns.plain.example.test.", dns.TypeA}: true,
		{"away.example.test.", dns.TypeNS}: true, {"ns.away.example.test.", dns.TypeA}: true,
	}
	var nsecs, nsec3s int
	for k, rrs := range sets {
		switch k.rtype {
		case dns.TypeNSEC:
			nsecs += len(rrs)
		case dns.TypeNSEC3:
			nsec3s += len(rrs)
		}
		if wantUnsigned[k] {
			if len(sigs[k]) != 0 {
				t.Errorf("%s %s is signed; delegation NS and glue must not be", k.owner, dns.TypeToString[k.rtype])
			}
			continue
		}
		if len(sigs[k]) != 1 {
			t.Errorf("%s %s has %d signatures, want 1", k.owner, dns.TypeToString[k.rtype], len(sigs[k]))
			continue
		}
		sig := sigs[k][0]
		key := keys.ZSK
		if k.rtype == dns.TypeDNSKEY {
			key = keys.KSK
		}
		if err := sig.Verify(key, rrs); err != nil {
			t.Errorf("signature over %s %s: %v", k.owner, dns.TypeToString[k.rtype], err)
		}
		if !sig.ValidityPeriod(signNow()) && !sig.ValidityPeriod(time.Now()) {
			t.Errorf("signature over %s %s not valid now", k.owner, dns.TypeToString[k.rtype])
		}
	}
	if nsec3 && (nsecs != 0 || nsec3s == 0) || !nsec3 && (nsecs == 0 || nsec3s != 0) {
		t.Errorf("%d nsec and %d nsec3 records, want nsec3=%v", nsecs, nsec3s, nsec3)
	}
	if len(ds) != 1 || ds[0].(*dns.DS).KeyTag != keys.KSK.KeyTag() || ds[0].(*dns.DS).Digest != keys.KSK.ToDS(dns.SHA256).Digest {
		t.Errorf("ds %v does not name the ksk %d", ds, keys.KSK.KeyTag())
	}
}

func TestSignZoneNSECChain(t *testing.T) {
	signed, _, _, err := SignZone("example.test.", mustParse(t, parentText), signOpts())
	if err != nil {
		t.Fatalf("SignZone: %v", err)
	}
	var chain []string
	for _, rr := range signed {
		if n, ok := rr.(*dns.NSEC); ok {
			chain = append(chain, n.Hdr.Name+" "+n.NextDomain+" "+typeList(n.TypeBitMap))
		}
	}
	want := []string{
		// Labels compare from the right: *.wild sorts after signed, before www.
		"example.test. away.example.test. NS SOA RRSIG NSEC DNSKEY",
		"away.example.test. ns.example.test. NS RRSIG NSEC",
		"ns.example.test. plain.example.test. A RRSIG NSEC",
		"plain.example.test. signed.example.test. NS RRSIG NSEC",
		"signed.example.test. *.wild.example.test. NS RRSIG NSEC",
		"*.wild.example.test. www.example.test. A RRSIG NSEC",
		"www.example.test. example.test. A RRSIG NSEC",
	}
	if strings.Join(chain, "\n") != strings.Join(want, "\n") {
		t.Errorf("chain\n%s\nwant\n%s", strings.Join(chain, "\n"), strings.Join(want, "\n"))
	}
}

func typeList(types []uint16) string {
	var s []string
	for _, t := range types {
		s = append(s, dns.TypeToString[t])
	}
	return strings.Join(s, " ")
}

func TestSignZoneOptions(t *testing.T) {
	records := mustParse(t, signedText)
	tests := []struct {
		name string
		opts SignOptions
		// check returns what is wrong with the signatures over the MX RRset.
		wantVerify bool
		wantSigs   int
	}{
		{"corrupt", SignOptions{Corrupt: func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeMX }}, false, 1},
		{"unsigned", SignOptions{Unsigned: func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeMX }}, false, 0},
		{"plain", SignOptions{}, true, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			signed, _, keys, err := SignZone("signed.example.test.", records, tc.opts)
			if err != nil {
				t.Fatalf("SignZone: %v", err)
			}
			var mx []dns.RR
			var sigs []*dns.RRSIG
			for _, rr := range signed {
				if rr.Header().Rrtype == dns.TypeMX {
					mx = append(mx, rr)
				}
				if sig, ok := rr.(*dns.RRSIG); ok && sig.TypeCovered == dns.TypeMX {
					sigs = append(sigs, sig)
				}
			}
			if len(sigs) != tc.wantSigs {
				t.Fatalf("%d signatures over MX, want %d", len(sigs), tc.wantSigs)
			}
			for _, sig := range sigs {
				if err := sig.Verify(keys.ZSK, mx); (err == nil) != tc.wantVerify {
					t.Errorf("verify: %v, want success %v", err, tc.wantVerify)
				}
				// The defaults: valid from an hour ago for DefaultValidity.
				if !sig.ValidityPeriod(time.Now()) || sig.ValidityPeriod(time.Now().Add(DefaultValidity+time.Hour)) {
					t.Errorf("default validity %d-%d is not now to now+%v", sig.Inception, sig.Expiration, DefaultValidity)
				}
			}
		})
	}
}

func TestSetZonesErrors(t *testing.T) {
	tests := []struct {
		name  string
		zones []*Zone
		want  string
	}{
		{"record outside", []*Zone{{Origin: "a.test.", Records: mustParse(t, "b.test. 300 IN A 192.0.2.1")}},
			"record \"b.test.\\t300\\tIN\\tA\\t192.0.2.1\" is outside zone a.test."},
		{"twice", []*Zone{{Origin: "a.test."}, {Origin: "A.test"}}, "zone a.test. given twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer()
			if err := s.SetZones(tc.zones...); errText(err) != tc.want {
				t.Errorf("error %q, want %q", errText(err), tc.want)
			}
		})
	}
}

func TestSetADAndDropQuestion(t *testing.T) {
	s, _ := startSigned(t, signOpts())
	s.SetAD("www.example.test.")
	if m := ask(t, s, "udp", "www.example.test.", dns.TypeA, true); !m.AuthenticatedData {
		t.Errorf("AD clear for a name set with SetAD")
	}
	if m := ask(t, s, "udp", "ns.example.test.", dns.TypeA, true); m.AuthenticatedData {
		t.Errorf("AD set for another name")
	}
	s.SetAD()
	if m := ask(t, s, "udp", "www.example.test.", dns.TypeA, true); m.AuthenticatedData {
		t.Errorf("AD set after SetAD()")
	}
	s.DropQuestion("www.example.test.", dns.TypeA)
	if m := ask(t, s, "udp", "www.example.test.", dns.TypeAAAA, false); m.Rcode != dns.RcodeSuccess {
		t.Errorf("another type of a dropped name: rcode %s", dns.RcodeToString[m.Rcode])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	m := new(dns.Msg)
	m.SetQuestion("www.example.test.", dns.TypeA)
	if r, _, err := (&dns.Client{Net: "udp"}).ExchangeContext(ctx, m, s.Addr()); err == nil {
		t.Errorf("dropped question answered: %v", r)
	}
	s.ClearFaults()
	if m := ask(t, s, "udp", "www.example.test.", dns.TypeA, false); len(m.Answer) != 1 {
		t.Errorf("after ClearFaults: %d answers", len(m.Answer))
	}
}
