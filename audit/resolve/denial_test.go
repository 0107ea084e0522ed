package resolve

import (
	"testing"
	"time"

	"github.com/miekg/dns"
)

func nsecs(t *testing.T, lines ...string) []*dns.NSEC {
	t.Helper()
	var out []*dns.NSEC
	for _, rr := range mustRRs(t, lines...) {
		out = append(out, rr.(*dns.NSEC))
	}
	return out
}

func TestNSECDenial(t *testing.T) {
	// The zone z.test. holds: z.test (SOA NS), a.z.test (A), b.c.z.test
	// (A, so c.z.test is an empty non-terminal), d.z.test (a delegation),
	// m.z.test (DNAME), *.w.z.test (A).
	chain := []string{
		"z.test. 300 IN NSEC a.z.test. SOA NS RRSIG NSEC DNSKEY",
		"a.z.test. 300 IN NSEC b.c.z.test. A RRSIG NSEC",
		"b.c.z.test. 300 IN NSEC d.z.test. A RRSIG NSEC",
		"d.z.test. 300 IN NSEC m.z.test. NS RRSIG NSEC",
		"m.z.test. 300 IN NSEC *.w.z.test. DNAME RRSIG NSEC",
		"*.w.z.test. 300 IN NSEC z.test. A RRSIG NSEC",
	}
	all := nsecs(t, chain...)
	tests := []struct {
		name  string
		qname string
		qtype uint16
		nx    bool
		use   []*dns.NSEC
		want  proof
	}{
		{"nodata by match", "a.z.test.", dns.TypeMX, false, all, proof{ok: true}},
		{"nodata but type listed", "a.z.test.", dns.TypeA, false, all, proof{why: "nsec at a.z.test lists A"}},
		{"nodata at the apex", "z.test.", dns.TypeMX, false, all, proof{ok: true}},
		{"nodata at an empty non-terminal", "c.z.test.", dns.TypeA, false, all, proof{ok: true}},
		{"no ds at a delegation", "d.z.test.", dns.TypeDS, false, all, proof{ok: true, delegation: true}},
		{"parent side cannot deny child data", "d.z.test.", dns.TypeMX, false, all,
			proof{why: "nsec at d.z.test is from the parent side of a delegation and cannot deny child data"}},
		{"child apex cannot deny ds", "z.test.", dns.TypeDS, false, all,
			proof{why: "nsec at z.test is from the child zone's apex and cannot deny DS"}},
		{"no ds at a name inside the zone", "a.z.test.", dns.TypeDS, false, all, proof{ok: true}},
		{"wildcard nodata", "x.w.z.test.", dns.TypeMX, false, all, proof{ok: true}},
		{"wildcard has the type", "x.w.z.test.", dns.TypeA, false, all, proof{why: "nsec at *.w.z.test lists A"}},
		{"nxdomain", "b.z.test.", dns.TypeA, true, all, proof{ok: true, nx: true}},
		{"nxdomain after the last name", "zz.z.test.", dns.TypeA, true, all, proof{ok: true, nx: true}},
		{"nxdomain below an existing name", "x.a.z.test.", dns.TypeA, true, all, proof{ok: true, nx: true}},
		{"nxdomain without the wildcard proof", "b.z.test.", dns.TypeA, true, all[1:3],
			proof{why: "no nsec proves that wildcard *.z.test does not exist"}},
		{"nxdomain for an existing name", "a.z.test.", dns.TypeA, true, all, proof{why: "an nsec record at a.z.test says it exists"}},
		{"nxdomain for an empty non-terminal", "c.z.test.", dns.TypeA, true, all, proof{why: "no nsec covers c.z.test"}},
		{"nxdomain below a delegation", "x.d.z.test.", dns.TypeA, true, all, proof{why: "no nsec covers x.d.z.test"}},
		{"nxdomain below a dname", "x.m.z.test.", dns.TypeA, true, all, proof{why: "no nsec covers x.m.z.test"}},
		{"nxdomain where a wildcard exists", "y.w.z.test.", dns.TypeA, true, all, proof{why: "wildcard *.w.z.test exists"}},
		{"nodata without a matching nsec", "b.z.test.", dns.TypeA, false, all[1:2],
			proof{why: "no nsec matches b.z.test or proves a wildcard nodata"}},
		{"case does not matter", "A.Z.TEST.", dns.TypeMX, false, all, proof{ok: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := nsecDenial(dns.CanonicalName(tc.qname), tc.qtype, tc.nx, tc.use); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// nsec3Zone makes NSEC3 records for zone z.test. over the given names,
// each with its types, chained in hash order.
func nsec3Zone(t *testing.T, iterations uint16, flags uint8, names map[string][]uint16) []*dns.NSEC3 {
	t.Helper()
	const zone = "z.test."
	type entry struct {
		hash  string
		types []uint16
	}
	var entries []entry
	for n, types := range names {
		entries = append(entries, entry{dns.HashName(n, dns.SHA1, iterations, ""), types})
	}
	for i := range entries {
		for j := i + 1; j < len(entries); j++ {
			if entries[j].hash < entries[i].hash {
				entries[i], entries[j] = entries[j], entries[i]
			}
		}
	}
	var out []*dns.NSEC3
	for i, e := range entries {
		out = append(out, &dns.NSEC3{
			Hdr:  dns.RR_Header{Name: e.hash + "." + zone, Rrtype: dns.TypeNSEC3, Class: dns.ClassINET, Ttl: 300},
			Hash: dns.SHA1, Flags: flags, Iterations: iterations,
			HashLength: 20, NextDomain: entries[(i+1)%len(entries)].hash, TypeBitMap: e.types,
		})
	}
	return out
}

func TestNSEC3Denial(t *testing.T) {
	names := map[string][]uint16{
		"z.test.":      {dns.TypeSOA, dns.TypeNS, dns.TypeDNSKEY, dns.TypeNSEC3PARAM, dns.TypeRRSIG},
		"a.z.test.":    {dns.TypeA, dns.TypeRRSIG},
		"c.z.test.":    nil, // an empty non-terminal
		"b.c.z.test.":  {dns.TypeA, dns.TypeRRSIG},
		"d.z.test.":    {dns.TypeNS, dns.TypeDS, dns.TypeRRSIG},
		"w.z.test.":    nil,
		"*.w.z.test.":  {dns.TypeA, dns.TypeRRSIG},
		"in.z.test.":   {dns.TypeNS},
		"sub.z.test.":  {dns.TypeA, dns.TypeRRSIG},
		"dn.z.test.":   {dns.TypeDNAME, dns.TypeRRSIG},
		"cn.z.test.":   {dns.TypeCNAME, dns.TypeRRSIG},
		"apex.z.test.": {dns.TypeSOA, dns.TypeNS, dns.TypeRRSIG},
	}
	plain := nsec3Zone(t, 0, 0, names)
	optOutNames := map[string][]uint16{}
	for n, ts := range names {
		if n != "in.z.test." {
			optOutNames[n] = ts
		}
	}
	optOut := nsec3Zone(t, 0, nsec3OptOut, optOutNames)
	noOptOut := nsec3Zone(t, 0, 0, optOutNames)
	heavy := nsec3Zone(t, maxNSEC3Iterations+1, 0, names)
	unknownFlags := nsec3Zone(t, 0, 2, names)
	tests := []struct {
		name  string
		qname string
		qtype uint16
		nx    bool
		use   []*dns.NSEC3
		want  proof
	}{
		{"nodata by match", "a.z.test.", dns.TypeMX, false, plain, proof{ok: true}},
		{"nodata but type listed", "a.z.test.", dns.TypeA, false, plain, proof{why: "nsec3 for a.z.test lists A"}},
		{"nodata but cname listed", "cn.z.test.", dns.TypeA, false, plain, proof{why: "nsec3 for cn.z.test lists CNAME"}},
		{"nodata at an empty non-terminal", "c.z.test.", dns.TypeA, false, plain, proof{ok: true}},
		{"no ds at an insecure delegation", "in.z.test.", dns.TypeDS, false, plain, proof{ok: true, delegation: true}},
		{"parent side cannot deny child data", "in.z.test.", dns.TypeA, false, plain,
			proof{why: "nsec3 for in.z.test is from the parent side of a delegation and cannot deny child data"}},
		{"no ds by opt-out", "in.z.test.", dns.TypeDS, false, optOut, proof{ok: true, delegation: true, optOut: true}},
		{"no ds without opt-out or match", "in.z.test.", dns.TypeDS, false, noOptOut, proof{why: "no nsec3 matches in.z.test"}},
		{"no records", "in.z.test.", dns.TypeDS, false, nil, proof{why: "no usable nsec3 records from z.test"}},
		{"wildcard nodata", "x.w.z.test.", dns.TypeMX, false, plain, proof{ok: true}},
		{"wildcard has the type", "x.w.z.test.", dns.TypeA, false, plain, proof{why: "nsec3 for *.w.z.test lists A"}},
		{"nxdomain", "nope.z.test.", dns.TypeA, true, plain, proof{ok: true, nx: true}},
		{"nxdomain two labels down", "x.nope.z.test.", dns.TypeA, true, plain, proof{ok: true, nx: true}},
		{"nxdomain under opt-out", "nope.z.test.", dns.TypeA, true, optOut, proof{ok: true, nx: true, optOut: true}},
		{"nxdomain for an existing name", "a.z.test.", dns.TypeA, true, plain, proof{why: "an nsec3 record says a.z.test exists"}},
		{"nxdomain where a wildcard exists", "y.w.z.test.", dns.TypeA, true, plain, proof{why: "wildcard *.w.z.test exists"}},
		{"nxdomain below a dname", "x.dn.z.test.", dns.TypeA, true, plain, proof{why: "the closest encloser dn.z.test is a delegation or dname"}},
		{"nxdomain below a delegation", "x.in.z.test.", dns.TypeA, true, plain, proof{why: "the closest encloser in.z.test is a delegation or dname"}},
		{"too many iterations", "nope.z.test.", dns.TypeA, true, heavy,
			proof{insecure: true, why: "nsec3 uses 151 iterations, above 150 (RFC 9276)"}},
		{"unknown flags ignored", "nope.z.test.", dns.TypeA, true, unknownFlags, proof{why: "no usable nsec3 records from z.test"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := nsec3Denial(tc.qname, tc.qtype, tc.nx, "z.test.", tc.use); got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	// Records of another zone are ignored.
	if got := nsec3Denial("nope.z.test.", dns.TypeA, true, "other.test.", plain); got.ok || got.why != "no usable nsec3 records from other.test" {
		t.Errorf("other zone: got %+v", got)
	}
}

func TestSigTime(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	late := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	after2106 := time.Date(2106, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		v    uint32
		now  time.Time
		want time.Time
	}{
		{"past", uint32(now.Add(-time.Hour).Unix()), now, now.Add(-time.Hour)},
		{"future", uint32(now.Add(24 * time.Hour).Unix()), now, now.Add(24 * time.Hour)},
		{"zero is 1970 seen from 2026", 0, now, time.Unix(0, 0)},
		{"a time after 2106 wraps", uint32(after2106.Unix()), late, after2106},
		{"zero is 2106 seen from 2100", 0, late, time.Unix(1<<32, 0)},
		{"2106 seen from 2026 is 1970", uint32(after2106.Unix()), now, time.Unix(after2106.Unix()-1<<32, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sigTime(tc.v, tc.now); !got.Equal(tc.want) {
				t.Errorf("sigTime(%d) = %v, want %v", tc.v, got.UTC(), tc.want.UTC())
			}
		})
	}
}
