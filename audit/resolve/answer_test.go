package resolve

import (
	"reflect"
	"testing"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

func TestLookupFromMsg(t *testing.T) {
	msg := func(rcode int, answer []string, ns []string) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion("a.test.", dns.TypeA)
		m.Response, m.Rcode = true, rcode
		m.Answer = mustRRs(t, answer...)
		m.Ns = mustRRs(t, ns...)
		return m
	}
	soa := "test. 3600 IN SOA ns.test. host.test. 1 3600 600 86400 120"
	tests := []struct {
		name     string
		qtype    uint16
		m        *dns.Msg
		want     evidence.Lookup
		wantNext string
	}{
		{"records", dns.TypeA, msg(dns.RcodeSuccess, []string{"A.test. 300 IN A 192.0.2.1", "a.test. 200 IN A 192.0.2.2"}, nil),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSOK, Rcode: "NOERROR", TTL: 200,
				Records: []string{"A.test.\t300\tIN\tA\t192.0.2.1", "a.test.\t200\tIN\tA\t192.0.2.2"}}, ""},
		{"other owners and types ignored", dns.TypeA, msg(dns.RcodeSuccess,
			[]string{"b.test. 300 IN A 192.0.2.1", "a.test. 300 IN AAAA 2001:db8::1", "a.test. 300 CH A 192.0.2.3",
				"a.test. 300 IN RRSIG A 13 2 300 20300101000000 20200101000000 1 test. AAAA"}, nil),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSNoData, Rcode: "NOERROR"}, ""},
		{"chain in the answer", dns.TypeA, msg(dns.RcodeSuccess,
			[]string{"c.test. 10 IN A 192.0.2.1", "a.test. 300 IN CNAME b.test.", "b.test. 300 IN CNAME C.TEST."}, nil),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSOK, Rcode: "NOERROR", TTL: 10,
				CNAMEs: []string{"b.test", "c.test"}, Records: []string{"c.test.\t10\tIN\tA\t192.0.2.1"}}, ""},
		{"chain ends without proof", dns.TypeA, msg(dns.RcodeSuccess, []string{"a.test. 300 IN CNAME b.other."}, nil),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSNoData, Rcode: "NOERROR", TTL: 300,
				CNAMEs: []string{"b.other"}}, "b.other."},
		{"chain ends with proof", dns.TypeA, msg(dns.RcodeSuccess, []string{"a.test. 300 IN CNAME b.test."}, []string{soa}),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSNoData, Rcode: "NOERROR", TTL: 120,
				CNAMEs: []string{"b.test"}}, ""},
		{"soa of another zone is no proof", dns.TypeA, msg(dns.RcodeSuccess, []string{"a.test. 300 IN CNAME b.other."}, []string{soa}),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSNoData, Rcode: "NOERROR", TTL: 300,
				CNAMEs: []string{"b.other"}}, "b.other."},
		{"nxdomain through a chain", dns.TypeA, msg(dns.RcodeNameError, []string{"a.test. 300 IN CNAME b.test."}, []string{soa}),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSNXDomain, Rcode: "NXDOMAIN", TTL: 120,
				CNAMEs: []string{"b.test"}}, ""},
		{"nodata without soa", dns.TypeA, msg(dns.RcodeSuccess, nil, nil),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSNoData, Rcode: "NOERROR"}, ""},
		{"cname asked is not chased", dns.TypeCNAME, msg(dns.RcodeSuccess, []string{"a.test. 300 IN CNAME b.test.", "b.test. 300 IN CNAME c.test."}, nil),
			evidence.Lookup{Name: "a.test", Type: "CNAME", Status: evidence.DNSOK, Rcode: "NOERROR", TTL: 300,
				Records: []string{"a.test.\t300\tIN\tCNAME\tb.test."}}, ""},
		{"loop", dns.TypeA, msg(dns.RcodeSuccess, []string{"a.test. 300 IN CNAME b.test.", "b.test. 300 IN CNAME a.test."}, nil),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSError, Rcode: "NOERROR",
				CNAMEs: []string{"b.test", "a.test"}, Error: "cname loop: a.test -> b.test -> a.test"}, ""},
		{"servfail", dns.TypeA, msg(dns.RcodeServerFailure, nil, nil),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSServFail, Rcode: "SERVFAIL"}, ""},
		{"refused", dns.TypeA, msg(dns.RcodeRefused, nil, nil),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSRefused, Rcode: "REFUSED"}, ""},
		{"formerr", dns.TypeA, msg(dns.RcodeFormatError, nil, nil),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSError, Rcode: "FORMERR", Error: "server answered FORMERR"}, ""},
		{"unknown rcode", dns.TypeA, msg(23, nil, nil),
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSError, Rcode: "BADCOOKIE", Error: "server answered BADCOOKIE"}, ""},
		{"no message", dns.TypeA, nil,
			evidence.Lookup{Name: "a.test", Type: "A", Status: evidence.DNSError, Error: "no reply"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, rrs, next := lookupFromMsg("A.Test", tc.qtype, tc.m)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("lookup:\n got %+v\nwant %+v", got, tc.want)
			}
			if next != tc.wantNext {
				t.Errorf("next %q, want %q", next, tc.wantNext)
			}
			if len(rrs) != len(tc.want.Records) {
				t.Errorf("%d records returned, want %d", len(rrs), len(tc.want.Records))
			}
		})
	}
}

func TestLookupFromMsgAD(t *testing.T) {
	m := new(dns.Msg)
	m.SetQuestion("a.test.", dns.TypeA)
	m.Response, m.AuthenticatedData = true, true
	m.Answer = mustRRs(t, "a.test. 60 IN A 192.0.2.1")
	if l, _, _ := lookupFromMsg("a.test", dns.TypeA, m); !l.AD {
		t.Errorf("AD not read from the reply")
	}
}

func TestUnescapeTXT(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`a\"b`, `a"b`},
		{`back\\slash`, `back\slash`},
		{`tab\009end`, "tab\tend"},
		{`\255\000`, "\xff\x00"},
		{`\25`, "25"},
		{`\256`, "256"},
		{`dangling\`, "dangling"},
		{`\;`, ";"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := unescapeTXT(tc.in); got != tc.want {
				t.Errorf("unescapeTXT(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
