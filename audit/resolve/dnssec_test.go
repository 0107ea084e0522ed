package resolve

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/resolve/dnstest"
)

// testNow() is the clock of the signed test hierarchy.
func testNow() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

const (
	// tlsaHex is the TLSA data of the test zones, upper case on purpose.
	tlsaHex = "8CB0FC6C527506A053F4F14C8464BEBBD6DEDE2738D11468DD953D7D6A3021F1"
	// dnssecTimeout bounds one query in the tests that drop questions.
	dnssecTimeout = 300 * time.Millisecond
)

// zoneSpec is one zone of the test hierarchy, children before parents.
type zoneSpec struct {
	origin string
	parent string
	text   string
	// signed zones get keys; opts tunes their signing.
	signed bool
	opts   dnstest.SignOptions
	// wrongDS publishes the DS of other keys in the parent.
	wrongDS bool
}

// hierarchy is the signed test DNS: root, "example." and zones below it.
type hierarchy struct {
	server *dnstest.Server
	zones  map[string]*dnstest.Zone
}

// child returns label.origin.
func child(label, origin string) string {
	if origin == "." {
		return label + "."
	}
	return label + "." + origin
}

func soaNS(origin string) string {
	ns, mbox := child("ns", origin), child("hostmaster", origin)
	return fmt.Sprintf("%[1]s 300 IN SOA %[2]s %[3]s 1 3600 600 86400 60\n%[1]s 300 IN NS %[2]s\n%[2]s 300 IN A 192.0.2.53\n", origin, ns, mbox)
}

func validOpts() dnstest.SignOptions {
	return dnstest.SignOptions{Inception: testNow().Add(-24 * time.Hour), Expiration: testNow().Add(30 * 24 * time.Hour)}
}

// buildHierarchy signs and serves the test zones on one server.
func buildHierarchy(t *testing.T) *hierarchy {
	t.Helper()
	expired := validOpts()
	expired.Inception, expired.Expiration = testNow().Add(-40*24*time.Hour), testNow().Add(-time.Hour)
	corrupt := validOpts()
	corrupt.Corrupt = func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeMX }
	unsigned := validOpts()
	unsigned.Unsigned = func(rr dns.RR) bool {
		return rr.Header().Rrtype == dns.TypeA && strings.HasPrefix(rr.Header().Name, "unsigned.")
	}
	nsec3 := validOpts()
	nsec3.NSEC3 = &dnstest.NSEC3Options{Salt: "ABCD"}
	optout := validOpts()
	optout.NSEC3 = &dnstest.NSEC3Options{OptOut: true}
	nodenial := validOpts()
	nodenial.NoDenial = true

	specs := []zoneSpec{
		{origin: "secure.example.", parent: "example.", signed: true, opts: validOpts(), text: `
secure.example.              300 IN MX 10 mx.secure.example.
mx.secure.example.           300 IN A 192.0.2.10
mx.secure.example.           300 IN AAAA 2001:db8::10
_25._tcp.mx.secure.example.  300 IN TLSA 3 1 1 ` + tlsaHex + `
mx2.secure.example.          300 IN A 192.0.2.11
_25._tcp.mx2.secure.example. 300 IN CNAME tlsa.nsec3.example.
alias.secure.example.        300 IN CNAME mx.secure.example.
*.wild.secure.example.       300 IN A 192.0.2.77
toplain.secure.example.      300 IN CNAME mx.plain.example.
`},
		{origin: "nsec3.example.", parent: "example.", signed: true, opts: nsec3, text: `
nsec3.example.               300 IN MX 10 mx.nsec3.example.
mx.nsec3.example.            300 IN A 192.0.2.20
tlsa.nsec3.example.          300 IN TLSA 2 0 1 ` + tlsaHex + `
a.b.nsec3.example.           300 IN TXT "deep"
*.wild.nsec3.example.        300 IN A 192.0.2.78
`},
		{origin: "child.optout.example.", parent: "optout.example.", text: `
child.optout.example.        300 IN MX 10 mx.child.optout.example.
mx.child.optout.example.     300 IN A 192.0.2.30
`},
		{origin: "optout.example.", parent: "example.", signed: true, opts: optout, text: `
optout.example.              300 IN MX 10 mx.optout.example.
mx.optout.example.           300 IN A 192.0.2.31
`},
		{origin: "plain.example.", parent: "example.", text: `
plain.example.               300 IN MX 10 mx.plain.example.
mx.plain.example.            300 IN A 192.0.2.40
alias.plain.example.         300 IN CNAME mx.secure.example.
`},
		{origin: "bogus.example.", parent: "example.", signed: true, opts: corrupt, text: `
bogus.example.               300 IN MX 10 mx.bogus.example.
mx.bogus.example.            300 IN A 192.0.2.50
`},
		{origin: "expired.example.", parent: "example.", signed: true, opts: expired, text: `
expired.example.             300 IN MX 10 mx.expired.example.
`},
		{origin: "badds.example.", parent: "example.", signed: true, opts: validOpts(), wrongDS: true, text: `
badds.example.               300 IN MX 10 mx.badds.example.
`},
		{origin: "nodenial.example.", parent: "example.", signed: true, opts: nodenial, text: `
nodenial.example.            300 IN MX 10 mx.nodenial.example.
`},
		{origin: "unsig.secure2.example.", parent: "example.", signed: true, opts: unsigned, text: `
unsigned.unsig.secure2.example. 300 IN A 192.0.2.99
`},
		{origin: "example.", parent: ".", signed: true, opts: validOpts(), text: `
www.example.                 300 IN A 192.0.2.60
`},
		{origin: ".", signed: true, opts: validOpts()},
	}
	h := &hierarchy{zones: make(map[string]*dnstest.Zone)}
	delegations := make(map[string][]dns.RR)
	for _, sp := range specs {
		records, err := dnstest.ParseZone(soaNS(sp.origin) + sp.text)
		if err != nil {
			t.Fatalf("zone %s: %v", sp.origin, err)
		}
		records = append(records, delegations[sp.origin]...)
		z := &dnstest.Zone{Origin: sp.origin, Records: records}
		if sp.signed {
			if z, err = dnstest.NewSignedZone(sp.origin, records, sp.opts); err != nil {
				t.Fatalf("sign %s: %v", sp.origin, err)
			}
		}
		h.zones[sp.origin] = z
		if sp.parent == "" {
			continue
		}
		cut, err := dnstest.ParseZone(fmt.Sprintf("%[1]s 300 IN NS ns.%[1]s\nns.%[1]s 300 IN A 192.0.2.53\n", sp.origin))
		if err != nil {
			t.Fatalf("delegation of %s: %v", sp.origin, err)
		}
		ds := z.DS
		if sp.wrongDS {
			other, err := dnstest.GenerateKeys(sp.origin, 0)
			if err != nil {
				t.Fatalf("keys: %v", err)
			}
			ds = []dns.RR{other.DS()}
		}
		delegations[sp.parent] = append(append(delegations[sp.parent], cut...), ds...)
	}
	var zones []*dnstest.Zone
	for _, z := range h.zones {
		zones = append(zones, z)
	}
	s, err := dnstest.StartZones("127.0.0.1:0", zones...)
	if err != nil {
		t.Fatalf("StartZones: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	h.server = s
	return h
}

// resolver returns a validating Resolver for the hierarchy, anchored at
// the root's KSK, with cfg's other fields.
func (h *hierarchy) resolver(t *testing.T, cfg Config) *Resolver {
	t.Helper()
	cfg.Servers = []string{h.server.Addr()}
	if cfg.TrustAnchors == nil {
		cfg.TrustAnchors = []dns.RR{h.zones["."].Keys.KSK}
	}
	if cfg.Now == nil {
		cfg.Now = testNow
	}
	if cfg.DNSSEC == "" {
		cfg.DNSSEC = DNSSECValidate
	}
	return newResolver(t, cfg)
}

func (h *hierarchy) zskTag(zone string) uint16 { return h.zones[zone].Keys.ZSK.KeyTag() }
func (h *hierarchy) kskTag(zone string) uint16 { return h.zones[zone].Keys.KSK.KeyTag() }

// secView is the part of a Lookup the DNSSEC tables compare.
type secView struct {
	Status evidence.DNSStatus
	DNSSEC evidence.DNSSECStatus
	Reason string
	CNAMEs string
}

func viewSec(l evidence.Lookup) secView {
	return secView{Status: l.Status, DNSSEC: l.DNSSEC, Reason: l.DNSSECReason, CNAMEs: strings.Join(l.CNAMEs, ",")}
}

func TestValidateQuery(t *testing.T) {
	h := buildHierarchy(t)
	r := h.resolver(t, Config{})
	expiredAt := testNow().Add(-time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name  string
		qname string
		qtype uint16
		want  secView
	}{
		{"secure mx", "secure.example", dns.TypeMX, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"secure a", "mx.secure.example", dns.TypeA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"secure aaaa", "MX.Secure.Example.", dns.TypeAAAA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"secure tlsa", "_25._tcp.mx.secure.example", dns.TypeTLSA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"secure cname chain", "alias.secure.example", dns.TypeA,
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure, CNAMEs: "mx.secure.example"}},
		{"secure nxdomain by nsec", "nothere.secure.example", dns.TypeA, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECSecure}},
		{"secure nxdomain below a name", "x.mx.secure.example", dns.TypeA, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECSecure}},
		{"secure nodata by nsec", "mx.secure.example", dns.TypeTXT, secView{Status: evidence.DNSNoData, DNSSEC: evidence.DNSSECSecure}},
		{"secure nodata at an empty non-terminal", "_tcp.mx.secure.example", dns.TypeA, secView{Status: evidence.DNSNoData, DNSSEC: evidence.DNSSECSecure}},
		{"secure nxdomain in the tld", "nothere.example", dns.TypeA, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECSecure}},
		{"secure nxdomain in the root", "nothere", dns.TypeA, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECSecure}},
		{"secure ds", "secure.example", dns.TypeDS, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"secure dnskey", "secure.example", dns.TypeDNSKEY, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"nsec3 positive", "mx.nsec3.example", dns.TypeA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"nsec3 nxdomain", "nothere.nsec3.example", dns.TypeA, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECSecure}},
		{"nsec3 nxdomain two labels down", "x.y.nsec3.example", dns.TypeMX, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECSecure}},
		{"nsec3 nodata", "mx.nsec3.example", dns.TypeTXT, secView{Status: evidence.DNSNoData, DNSSEC: evidence.DNSSECSecure}},
		{"nsec3 nodata at an empty non-terminal", "b.nsec3.example", dns.TypeA, secView{Status: evidence.DNSNoData, DNSSEC: evidence.DNSSECSecure}},
		{"wildcard answer by nsec", "host.wild.secure.example", dns.TypeA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"wildcard answer two labels down", "a.b.wild.secure.example", dns.TypeA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"wildcard nodata by nsec", "host.wild.secure.example", dns.TypeMX, secView{Status: evidence.DNSNoData, DNSSEC: evidence.DNSSECSecure}},
		{"wildcard answer by nsec3", "host.wild.nsec3.example", dns.TypeA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"wildcard answer by nsec3 two labels down", "a.b.wild.nsec3.example", dns.TypeA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"wildcard nodata by nsec3", "host.wild.nsec3.example", dns.TypeTXT, secView{Status: evidence.DNSNoData, DNSSEC: evidence.DNSSECSecure}},
		{"the wildcard name itself", "*.wild.secure.example", dns.TypeA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"insecure alias to a secure name", "alias.plain.example", dns.TypeA,
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECInsecure, CNAMEs: "mx.secure.example"}},
		{"secure alias to an insecure name", "toplain.secure.example", dns.TypeA,
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECInsecure, CNAMEs: "mx.plain.example"}},
		{"insecure delegation by nsec", "plain.example", dns.TypeMX, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECInsecure}},
		{"insecure host", "mx.plain.example", dns.TypeA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECInsecure}},
		{"insecure nxdomain", "nothere.plain.example", dns.TypeA, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECInsecure}},
		{"insecure tlsa absence", "_25._tcp.mx.plain.example", dns.TypeTLSA, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECInsecure}},
		{"insecure delegation by nsec3 opt-out", "child.optout.example", dns.TypeMX, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECInsecure}},
		{"opt-out nxdomain is insecure", "nothere.optout.example", dns.TypeA, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECInsecure}},
		{"opt-out zone data is secure", "mx.optout.example", dns.TypeA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"bad signature", "bogus.example", dns.TypeMX, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus,
			Reason: fmt.Sprintf("rrsig over bogus.example MX by key %d of bogus.example does not verify: dns: bad signature (zone bogus.example is signed)", h.zskTag("bogus.example."))}},
		{"good signature beside a bad one", "mx.bogus.example", dns.TypeA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"expired signatures", "expired.example", dns.TypeMX, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus,
			Reason: fmt.Sprintf("rrsig over expired.example DNSKEY by key %d of expired.example expired at %s", h.kskTag("expired.example."), expiredAt)}},
		{"ds does not match", "badds.example", dns.TypeMX, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus,
			Reason: "no dnskey of badds.example matches its ds (ds key " + dsTag(t, h, "example.", "badds.example.") + " algorithm 13)"}},
		{"missing rrsig", "unsigned.unsig.secure2.example", dns.TypeA, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus,
			Reason: "no rrsig over unsigned.unsig.secure2.example A (zone unsig.secure2.example is signed)"}},
		{"nxdomain without proof", "nothere.nodenial.example", dns.TypeA, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECBogus,
			Reason: "no nsec or nsec3 proves nxdomain for nothere.nodenial.example (zone nodenial.example is signed)"}},
		{"nodata without proof", "nodenial.example", dns.TypeTXT, secView{Status: evidence.DNSNoData, DNSSEC: evidence.DNSSECBogus,
			Reason: "no nsec or nsec3 proves nodata for nodenial.example TXT (zone nodenial.example is signed)"}},
		{"nothing to validate", "bad..name", dns.TypeA, secView{Status: evidence.DNSError}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := r.Query(context.Background(), tc.qname, tc.qtype)
			if got := viewSec(l); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// dsTag returns the key tag of the DS that parent publishes for child.
func dsTag(t *testing.T, h *hierarchy, parent, child string) string {
	t.Helper()
	for _, rr := range h.zones[parent].Records {
		if ds, ok := rr.(*dns.DS); ok && dns.CanonicalName(ds.Hdr.Name) == child {
			return fmt.Sprint(ds.KeyTag)
		}
	}
	t.Fatalf("no ds for %s in %s", child, parent)
	return ""
}

func TestValidateTLSA(t *testing.T) {
	h := buildHierarchy(t)
	r := h.resolver(t, Config{})
	want := []evidence.TLSARecord{{Usage: 3, Selector: 1, MatchingType: 1, Data: strings.ToLower(tlsaHex)}}
	wantTA := []evidence.TLSARecord{{Usage: 2, Selector: 0, MatchingType: 1, Data: strings.ToLower(tlsaHex)}}
	tests := []struct {
		name    string
		host    string
		port    int
		want    secView
		records []evidence.TLSARecord
		lname   string
		errText string
	}{
		{"secure", "mx.secure.example", 25, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}, want, "_25._tcp.mx.secure.example", ""},
		{"trailing dot and case", "MX.secure.example.", 25, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}, want, "_25._tcp.mx.secure.example", ""},
		{"cname to another signed zone", "mx2.secure.example", 25,
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure, CNAMEs: "tlsa.nsec3.example"}, wantTA, "_25._tcp.mx2.secure.example", ""},
		{"secure absence", "mx.secure.example", 465, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECSecure}, nil, "_465._tcp.mx.secure.example", ""},
		{"insecure absence", "mx.plain.example", 25, secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECInsecure}, nil, "_25._tcp.mx.plain.example", ""},
		{"port zero", "mx.secure.example", 0, secView{Status: evidence.DNSError}, nil, "_0._tcp.mx.secure.example", "invalid port 0: no query sent"},
		{"port too high", "mx.secure.example", 65536, secView{Status: evidence.DNSError}, nil, "_65536._tcp.mx.secure.example", "invalid port 65536: no query sent"},
		{"ip literal", "192.0.2.1", 25, secView{Status: evidence.DNSError}, nil, "_25._tcp.192.0.2.1",
			`host "192.0.2.1" is an ip address, which has no tlsa records: no query sent`},
		{"empty host", "", 25, secView{Status: evidence.DNSError}, nil, "_25._tcp.", "empty host name: no query sent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := r.TLSA(context.Background(), tc.host, tc.port)
			if v := viewSec(got.Lookup); v != tc.want {
				t.Errorf("got  %+v\nwant %+v", v, tc.want)
			}
			if fmt.Sprint(got.Records) != fmt.Sprint(tc.records) {
				t.Errorf("records %+v, want %+v", got.Records, tc.records)
			}
			if got.Lookup.Name != tc.lname || got.Lookup.Type != "TLSA" || got.Lookup.Error != tc.errText {
				t.Errorf("name %q type %q error %q, want %q TLSA %q", got.Lookup.Name, got.Lookup.Type, got.Lookup.Error, tc.lname, tc.errText)
			}
		})
	}
}

func TestValidateDomain(t *testing.T) {
	h := buildHierarchy(t)
	r := h.resolver(t, Config{})
	type hostSec struct {
		Name    string
		A, AAAA evidence.DNSSECStatus
	}
	tests := []struct {
		domain string
		kind   evidence.MXKind
		mx     evidence.DNSSECStatus
		hosts  []hostSec
	}{
		{"secure.example", evidence.MXExplicit, evidence.DNSSECSecure,
			[]hostSec{{"mx.secure.example", evidence.DNSSECSecure, evidence.DNSSECSecure}}},
		{"plain.example", evidence.MXExplicit, evidence.DNSSECInsecure,
			[]hostSec{{"mx.plain.example", evidence.DNSSECInsecure, evidence.DNSSECInsecure}}},
		{"www.example", evidence.MXImplicit, evidence.DNSSECSecure,
			[]hostSec{{"www.example", evidence.DNSSECSecure, evidence.DNSSECSecure}}},
		{"bogus.example", evidence.MXExplicit, evidence.DNSSECBogus,
			[]hostSec{{"mx.bogus.example", evidence.DNSSECSecure, evidence.DNSSECSecure}}},
		{"nothere.example", evidence.MXNone, evidence.DNSSECSecure, nil},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			mx, hosts := r.Domain(context.Background(), tc.domain)
			if mx.Kind != tc.kind || mx.Lookup.DNSSEC != tc.mx {
				t.Errorf("mx kind %s dnssec %q (%s), want %s %q", mx.Kind, mx.Lookup.DNSSEC, mx.Lookup.DNSSECReason, tc.kind, tc.mx)
			}
			var got []hostSec
			for _, h := range hosts {
				got = append(got, hostSec{h.Name, h.A.DNSSEC, h.AAAA.DNSSEC})
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.hosts) {
				t.Errorf("hosts %+v, want %+v", got, tc.hosts)
			}
		})
	}
}

func TestDNSSECModes(t *testing.T) {
	h := buildHierarchy(t)
	h.server.SetAD("secure.example.", "mx.secure.example.")
	h.server.ServFail("bogus.example.")
	tests := []struct {
		name  string
		mode  DNSSECMode
		qname string
		want  secView
	}{
		{"resolver ad set", DNSSECResolver, "secure.example", secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"resolver ad clear", DNSSECResolver, "plain.example", secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECInsecure}},
		{"resolver servfail", DNSSECResolver, "bogus.example", secView{Status: evidence.DNSServFail, DNSSEC: evidence.DNSSECIndeterminate,
			Reason: "the resolver answered servfail: bogus data or a server failure"}},
		{"validate ignores ad", DNSSECValidate, "plain.example", secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECInsecure}},
		{"validate servfail", DNSSECValidate, "bogus.example", secView{Status: evidence.DNSServFail, DNSSEC: evidence.DNSSECIndeterminate,
			Reason: "no answer to validate: servfail"}},
		{"off secure", DNSSECOff, "secure.example", secView{Status: evidence.DNSOK}},
		{"off bogus", DNSSECOff, "expired.example", secView{Status: evidence.DNSOK}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.resolver(t, Config{DNSSEC: tc.mode})
			l, _ := r.Query(context.Background(), tc.qname, dns.TypeMX)
			if got := viewSec(l); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestTrustAnchors(t *testing.T) {
	h := buildHierarchy(t)
	other, err := dnstest.GenerateKeys(".", 0)
	if err != nil {
		t.Fatalf("GenerateKeys: %v", err)
	}
	rootDS := h.zones["."].DS
	sha1DS := h.zones["."].Keys.KSK.ToDS(dns.SHA1)
	unknownAlg := dns.Copy(rootDS[0]).(*dns.DS)
	unknownAlg.Algorithm = dns.ED448
	tests := []struct {
		name    string
		anchors []dns.RR
		qname   string
		want    secView
	}{
		{"dnskey anchor", []dns.RR{h.zones["."].Keys.KSK}, "mx.secure.example", secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"ds anchor", rootDS, "mx.secure.example", secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"sha-1 ds anchor", []dns.RR{sha1DS}, "mx.secure.example", secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"wrong anchor", []dns.RR{other.KSK}, "mx.secure.example", secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus,
			Reason: fmt.Sprintf("no dnskey of . matches its trust anchor (dnskey %d algorithm 13)", other.KSK.KeyTag())}},
		{"anchor of an unsupported algorithm", []dns.RR{unknownAlg}, "mx.secure.example", secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECInsecure}},
		{"anchor below the root", []dns.RR{h.zones["secure.example."].Keys.KSK}, "mx.secure.example", secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"name under no anchor", []dns.RR{h.zones["secure.example."].Keys.KSK}, "mx.plain.example", secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECInsecure}},
		{"signed zone under no anchor", []dns.RR{h.zones["secure.example."].Keys.KSK}, "bogus.example", secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECInsecure}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.resolver(t, Config{TrustAnchors: tc.anchors})
			l, _ := r.Query(context.Background(), tc.qname, dns.TypeA)
			if tc.qname == "bogus.example" {
				l, _ = r.Query(context.Background(), tc.qname, dns.TypeMX)
			}
			if got := viewSec(l); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestValidateClock(t *testing.T) {
	h := buildHierarchy(t)
	tests := []struct {
		name string
		now  time.Time
		want secView
	}{
		{"within validity", testNow(), secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure}},
		{"before inception", testNow().Add(-48 * time.Hour), secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus,
			Reason: fmt.Sprintf("rrsig over . DNSKEY by key %d of . is not valid before %s",
				h.kskTag("."), testNow().Add(-24*time.Hour).UTC().Format(time.RFC3339))}},
		{"after expiration", testNow().Add(31 * 24 * time.Hour), secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus,
			Reason: fmt.Sprintf("rrsig over . DNSKEY by key %d of . expired at %s",
				h.kskTag("."), testNow().Add(30*24*time.Hour).UTC().Format(time.RFC3339))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.resolver(t, Config{Now: func() time.Time { return tc.now }})
			l, _ := r.Query(context.Background(), "mx.secure.example", dns.TypeA)
			if got := viewSec(l); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestValidateIndeterminate(t *testing.T) {
	tests := []struct {
		name       string
		drop       string
		qtype      uint16
		qname      string
		wantPrefix string
		after      evidence.DNSSECStatus
	}{
		{"dnskey times out", "secure.example.", dns.TypeDNSKEY, "mx.secure.example", "dnskey query for secure.example: timeout: ", evidence.DNSSECSecure},
		{"ds times out", "secure.example.", dns.TypeDS, "mx.secure.example", "ds query for secure.example: timeout: ", evidence.DNSSECSecure},
		{"root dnskey times out", ".", dns.TypeDNSKEY, "plain.example", "dnskey query for .: timeout: ", evidence.DNSSECInsecure},
		{"ds of an unsigned zone times out", "plain.example.", dns.TypeDS, "plain.example", "ds query for plain.example: timeout: ", evidence.DNSSECInsecure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := buildHierarchy(t)
			h.server.DropQuestion(tc.drop, tc.qtype)
			r := h.resolver(t, Config{Timeout: dnssecTimeout, Attempts: 1})
			l, _ := r.Query(context.Background(), tc.qname, dns.TypeA)
			if tc.qname == "plain.example" {
				l, _ = r.Query(context.Background(), tc.qname, dns.TypeMX)
			}
			if l.Status != evidence.DNSOK || l.DNSSEC != evidence.DNSSECIndeterminate || !strings.HasPrefix(l.DNSSECReason, tc.wantPrefix) {
				t.Errorf("got %s %q %q, want ok indeterminate %q...", l.Status, l.DNSSEC, l.DNSSECReason, tc.wantPrefix)
			}
			// Like every answer, the failure holds for the Resolver's life,
			// so that a run sees one view; a new Resolver asks again.
			h.server.ClearFaults()
			if again, _ := r.Query(context.Background(), tc.qname, dns.TypeMX); again.DNSSEC != evidence.DNSSECIndeterminate {
				t.Errorf("same resolver after the fault: got %q %q", again.DNSSEC, again.DNSSECReason)
			}
			fresh := h.resolver(t, Config{Timeout: dnssecTimeout, Attempts: 1})
			if l, _ = fresh.Query(context.Background(), tc.qname, dns.TypeMX); l.DNSSEC != tc.after {
				t.Errorf("new resolver after the fault: got %q %q, want %q", l.DNSSEC, l.DNSSECReason, tc.after)
			}
		})
	}
}

func TestQueryFlags(t *testing.T) {
	h := buildHierarchy(t)
	tests := []struct {
		mode       DNSSECMode
		dnssecOK   bool
		do, ad, cd bool
	}{
		{DNSSECValidate, false, true, true, true},
		{DNSSECResolver, false, true, true, false},
		{DNSSECOff, false, false, false, false},
		{DNSSECOff, true, true, true, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/dnssecok=%v", tc.mode, tc.dnssecOK), func(t *testing.T) {
			var do, ad, cd []bool
			ex := func(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
				do = append(do, m.IsEdns0() != nil && m.IsEdns0().Do())
				ad, cd = append(ad, m.AuthenticatedData), append(cd, m.CheckingDisabled)
				return exchangeConn(ctx, m, network, server)
			}
			r := h.resolver(t, Config{DNSSEC: tc.mode, DNSSECOK: tc.dnssecOK, Exchange: ex})
			r.Query(context.Background(), "mx.secure.example", dns.TypeA)
			if len(do) == 0 {
				t.Fatalf("no query sent")
			}
			for i := range do {
				if do[i] != tc.do || ad[i] != tc.ad || cd[i] != tc.cd {
					t.Errorf("query %d: do %v ad %v cd %v, want %v %v %v", i, do[i], ad[i], cd[i], tc.do, tc.ad, tc.cd)
				}
			}
		})
	}
}

func TestValidateCache(t *testing.T) {
	h := buildHierarchy(t)
	r := h.resolver(t, Config{})
	ctx := context.Background()
	r.Query(ctx, "mx.secure.example", dns.TypeA)
	// Keys and delegations are known now: another name in the same zone
	// costs its own question and nothing else.
	before := h.server.Queries()
	l, _ := r.Query(ctx, "mx.secure.example", dns.TypeAAAA)
	if got := h.server.Queries() - before; got != 1 || l.DNSSEC != evidence.DNSSECSecure {
		t.Errorf("second name: %d queries, dnssec %q; want 1 query, secure", got, l.DNSSEC)
	}
	before = h.server.Queries()
	l, _ = r.Query(ctx, "mx.secure.example", dns.TypeA)
	if got := h.server.Queries() - before; got != 0 || l.DNSSEC != evidence.DNSSECSecure {
		t.Errorf("repeat: %d queries, dnssec %q; want 0 queries, secure", got, l.DNSSEC)
	}
}

func TestValidateConcurrent(t *testing.T) {
	h := buildHierarchy(t)
	r := h.resolver(t, Config{})
	names := []struct {
		name string
		want evidence.DNSSECStatus
	}{
		{"mx.secure.example", evidence.DNSSECSecure},
		{"mx.nsec3.example", evidence.DNSSECSecure},
		{"mx.plain.example", evidence.DNSSECInsecure},
		{"mx.child.optout.example", evidence.DNSSECInsecure},
		{"nothere.secure.example", evidence.DNSSECSecure},
		{"mx.bogus.example", evidence.DNSSECSecure},
	}
	const rounds = 4
	type result struct {
		i   int
		got evidence.DNSSECStatus
	}
	results := make(chan result, rounds*len(names))
	for range rounds {
		for i, n := range names {
			go func() {
				l, _ := r.Query(context.Background(), n.name, dns.TypeA)
				results <- result{i, l.DNSSEC}
			}()
		}
	}
	for range rounds * len(names) {
		res := <-results
		if res.got != names[res.i].want {
			t.Errorf("%s: got %q, want %q", names[res.i].name, res.got, names[res.i].want)
		}
	}
}

func TestNewDNSSECConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"unknown mode", Config{DNSSEC: "maybe"}, `unknown dnssec mode "maybe" (want validate, resolver or off)`},
		{"anchor of another type", Config{TrustAnchors: mustRRs(t, ". 300 IN A 192.0.2.1")}, "trust anchor for . is a A record, neither ds nor dnskey"},
		{"empty anchors", Config{TrustAnchors: []dns.RR{}}, "no trust anchors"},
		{"mode in capitals", Config{DNSSEC: "Resolver"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Servers = []string{"192.0.2.1"}
			_, err := New(tc.cfg)
			if errString(err) != tc.want {
				t.Errorf("got error %q, want %q", errString(err), tc.want)
			}
		})
	}
}

func TestParseDNSSECMode(t *testing.T) {
	tests := []struct {
		in   string
		want DNSSECMode
		err  bool
	}{
		{"", DNSSECValidate, false},
		{"validate", DNSSECValidate, false},
		{" OFF ", DNSSECOff, false},
		{"resolver", DNSSECResolver, false},
		{"on", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDNSSECMode(tc.in)
			if got != tc.want || (err != nil) != tc.err {
				t.Errorf("got %q, %v; want %q, error %v", got, err, tc.want, tc.err)
			}
		})
	}
}

// The root KSKs as IANA publishes them in root-anchors.xml (and in the
// root zone's DNSKEY RRset), to check that the DS constants are their
// SHA-256 digests.
const (
	rootKSK2017 = ". IN DNSKEY 257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU="
	rootKSK2024 = ". IN DNSKEY 257 3 8 AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc="
)

func TestRootAnchors(t *testing.T) {
	anchors := RootAnchors()
	keys := mustRRs(t, rootKSK2017, rootKSK2024)
	wantTags := []uint16{20326, 38696}
	if len(anchors) != len(keys) {
		t.Fatalf("%d anchors, want %d", len(anchors), len(keys))
	}
	for i, rr := range anchors {
		ds, ok := rr.(*dns.DS)
		if !ok {
			t.Fatalf("anchor %d is %T, want a DS", i, rr)
		}
		k := keys[i].(*dns.DNSKEY)
		want := k.ToDS(dns.SHA256)
		if ds.KeyTag != wantTags[i] || k.KeyTag() != wantTags[i] || ds.Hdr.Name != "." ||
			ds.Algorithm != dns.RSASHA256 || ds.DigestType != dns.SHA256 || !strings.EqualFold(ds.Digest, want.Digest) {
			t.Errorf("anchor %d is %v, want %v (key tag %d)", i, ds, want, wantTags[i])
		}
	}
	// Each call returns its own copies.
	anchors[0].(*dns.DS).Digest = "00"
	if RootAnchors()[0].(*dns.DS).Digest == "00" {
		t.Errorf("RootAnchors shares its records")
	}
}

// tamper is an Exchanger that changes the replies to one question.
func tamper(qname string, qtype uint16, change func(m *dns.Msg)) Exchanger {
	return func(ctx context.Context, m *dns.Msg, network, server string) (*dns.Msg, error) {
		resp, err := exchangeConn(ctx, m, network, server)
		if err != nil || resp == nil {
			return resp, err
		}
		q := m.Question[0]
		if dns.CanonicalName(q.Name) == dns.CanonicalName(qname) && q.Qtype == qtype {
			resp = resp.Copy()
			change(resp)
		}
		return resp, nil
	}
}

// without drops the records of type t from rrs.
func without(rrs []dns.RR, t uint16) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		if rr.Header().Rrtype != t {
			out = append(out, rr)
		}
	}
	return out
}

func TestValidateTampered(t *testing.T) {
	h := buildHierarchy(t)
	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		change func(m *dns.Msg)
		want   secView
	}{
		{"rrsig stripped", "secure.example", dns.TypeMX, func(m *dns.Msg) { m.Answer = without(m.Answer, dns.TypeRRSIG) },
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus, Reason: "no rrsig over secure.example MX (zone secure.example is signed)"}},
		{"address forged", "mx.secure.example", dns.TypeA, func(m *dns.Msg) { m.Answer[0].(*dns.A).A = []byte{192, 0, 2, 66} },
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus, Reason: fmt.Sprintf(
				"rrsig over mx.secure.example A by key %d of secure.example does not verify: dns: bad signature (zone secure.example is signed)", h.zskTag("secure.example."))}},
		{"wildcard proof stripped", "host.wild.secure.example", dns.TypeA, func(m *dns.Msg) { m.Ns = nil },
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus, Reason: "host.wild.secure.example A was expanded from a wildcard without proof that the name does not exist"}},
		{"nsec3 wildcard proof stripped", "host.wild.nsec3.example", dns.TypeA, func(m *dns.Msg) { m.Ns = nil },
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus, Reason: "host.wild.nsec3.example A was expanded from a wildcard without proof that the name does not exist"}},
		{"nodata turned nxdomain", "mx.secure.example", dns.TypeTXT, func(m *dns.Msg) { m.Rcode = dns.RcodeNameError },
			secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECBogus, Reason: "nxdomain for mx.secure.example: an nsec record at mx.secure.example says it exists"}},
		{"nsec3 nodata turned nxdomain", "mx.nsec3.example", dns.TypeTXT, func(m *dns.Msg) { m.Rcode = dns.RcodeNameError },
			secView{Status: evidence.DNSNXDomain, DNSSEC: evidence.DNSSECBogus, Reason: "nxdomain for mx.nsec3.example: an nsec3 record says mx.nsec3.example exists"}},
		{"answer removed", "mx.secure.example", dns.TypeA, func(m *dns.Msg) { m.Answer = nil },
			secView{Status: evidence.DNSNoData, DNSSEC: evidence.DNSSECBogus, Reason: "no nsec or nsec3 proves nodata for mx.secure.example A (zone secure.example is signed)"}},
		{"proof of no ds stripped", "plain.example", dns.TypeDS, func(m *dns.Msg) { m.Ns = without(m.Ns, dns.TypeNSEC) },
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus, Reason: "no nsec or nsec3 proves nodata for plain.example DS (zone example is signed)"}},
		{"opt-out proof stripped", "child.optout.example", dns.TypeDS, func(m *dns.Msg) { m.Ns = without(m.Ns, dns.TypeNSEC3) },
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus, Reason: "no nsec or nsec3 proves nodata for child.optout.example DS (zone optout.example is signed)"}},
		{"ds removed", "secure.example", dns.TypeDS, func(m *dns.Msg) { m.Answer = nil },
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus, Reason: "no nsec or nsec3 proves nodata for secure.example DS (zone example is signed)"}},
		{"chain split across replies", "alias.secure.example", dns.TypeA, func(m *dns.Msg) {
			// Only the alias: the resolver asks for its target in a second round.
			m.Answer, m.Ns = append(collect(m.Answer, "alias.secure.example.", dns.TypeCNAME).rrs,
				collect(m.Answer, "alias.secure.example.", dns.TypeCNAME).sigsRR()...), nil
		}, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECSecure, CNAMEs: "mx.secure.example"}},
		{"split chain with the alias unsigned", "alias.secure.example", dns.TypeA, func(m *dns.Msg) {
			m.Answer, m.Ns = collect(m.Answer, "alias.secure.example.", dns.TypeCNAME).rrs, nil
		}, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus, CNAMEs: "mx.secure.example",
			Reason: "no rrsig over alias.secure.example CNAME (zone secure.example is signed)"}},
		{"signatures dropped by the servers", ".", dns.TypeDNSKEY, func(m *dns.Msg) { m.Answer = without(m.Answer, dns.TypeRRSIG) },
			secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECIndeterminate,
				Reason: "no rrsig over . DNSKEY: the dns servers return no dnssec signatures"}},
		{"nsec forged to claim the child apex", "plain.example", dns.TypeDS, func(m *dns.Msg) {
			m.Ns = append(without(m.Ns, dns.TypeNSEC), mustRRs(t, "plain.example. 300 IN NSEC zzz.plain.example. NS SOA RRSIG NSEC")...)
		}, secView{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus, Reason: fmt.Sprintf(
			"rrsig over plain.example NSEC by key %d of example does not verify: dns: bad signature (zone example is signed)", h.zskTag("example."))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.resolver(t, Config{Exchange: tamper(tc.qname, tc.qtype, tc.change)})
			qname, qtype := tc.qname, tc.qtype
			switch qtype {
			case dns.TypeDS:
				// The DS question is the validator's own: ask for what it guards.
				qtype = dns.TypeMX
			case dns.TypeDNSKEY:
				qname, qtype = "mx.secure.example", dns.TypeA
			}
			l, _ := r.Query(context.Background(), qname, qtype)
			if got := viewSec(l); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// sigsRR returns the signatures of set as records.
func (set rrset) sigsRR() []dns.RR {
	var out []dns.RR
	for _, s := range set.sigs {
		out = append(out, s)
	}
	return out
}

// TestUnsignedServersAreIndeterminate: servers that hold no root keys at
// all (a lab DNS, a forwarder that strips DNSSEC) say nothing about the
// audited domain, so validation against the root anchors must come out
// indeterminate, never bogus: a bogus MX grades every vendor F.
func TestUnsignedServersAreIndeterminate(t *testing.T) {
	s := startFleet(t, "127.0.53.9:0")
	r := newResolver(t, Config{Servers: []string{s.Addr()}, DNSSEC: DNSSECValidate})
	mx, hosts := r.Domain(context.Background(), "explicit.test")
	if mx.Lookup.DNSSEC != evidence.DNSSECIndeterminate {
		t.Fatalf("MX DNSSEC = %s (%s), want indeterminate", mx.Lookup.DNSSEC, mx.Lookup.DNSSECReason)
	}
	if !strings.Contains(mx.Lookup.DNSSECReason, "do not serve dnssec") {
		t.Errorf("reason %q does not say the servers lack DNSSEC", mx.Lookup.DNSSECReason)
	}
	for _, h := range hosts {
		if h.A != nil && h.A.DNSSEC == evidence.DNSSECBogus {
			t.Errorf("%s A: bogus (%s)", h.Name, h.A.DNSSECReason)
		}
	}
}
