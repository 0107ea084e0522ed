package mtasts

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

func TestCheck(t *testing.T) {
	fx := newFixture(t)
	ok := func(txts ...string) fakeAnswer { return fakeAnswer{status: evidence.DNSOK, txts: txts} }
	resolver := fakeTXT{
		"_mta-sts.good.example":      ok("v=spf1 -all", "v=STSv1; id=20250601T000000"),
		"_mta-sts.testing.example":   ok("v=STSv1; id=t1"),
		"_mta-sts.none.example":      ok("v=STSv1; id=n1"),
		"_mta-sts.two.example":       ok("v=STSv1; id=a", "v=STSv1; id=b"),
		"_mta-sts.longid.example":    ok("v=STSv1; id=012345678901234567890123456789012"),
		"_mta-sts.punct.example":     ok("v=STSv1; id=2025.06.01"),
		"_mta-sts.noid.example":      ok("v=STSv1; ext=1;"),
		"_mta-sts.servfail.example":  {status: evidence.DNSServFail},
		"_mta-sts.notfound.example":  ok("v=STSv1; id=x"),
		"_mta-sts.redirect.example":  ok("v=STSv1; id=x"),
		"_mta-sts.html.example":      ok("v=STSv1; id=x"),
		"_mta-sts.big.example":       ok("v=STSv1; id=x"),
		"_mta-sts.wrongname.example": ok("v=STSv1; id=x"),
		"_mta-sts.untrusted.example": ok("v=STSv1; id=x"),
		"_mta-sts.maxage.example":    ok("v=STSv1; id=x"),
		"_mta-sts.nomx.example":      ok("v=STSv1; id=x"),
	}
	goodPolicy := &evidence.STSPolicy{Version: "STSv1", Mode: "enforce", MX: []string{"mail.good.example", "*.mx.good.example"}, MaxAge: 604800}
	tests := []struct {
		name        string
		domain      string
		mx          []string
		wantRecErr  string
		wantID      string
		wantFetch   bool
		wantFetchOK bool
		wantPolicy  *evidence.STSPolicy
		wantErrs    []string
		wantWarns   []string
		wantMatch   map[string]string
	}{
		{
			name:        "valid enforce with wildcard match and non-match",
			domain:      "good.example",
			mx:          []string{"mail.good.example", "a.mx.good.example", "b.c.mx.good.example", "mx.good.example", "mx.elsewhere.example"},
			wantID:      "20250601T000000",
			wantFetch:   true,
			wantFetchOK: true,
			wantPolicy:  goodPolicy,
			wantMatch: map[string]string{
				"mail.good.example":    "mail.good.example",
				"a.mx.good.example":    "*.mx.good.example",
				"b.c.mx.good.example":  "",
				"mx.good.example":      "",
				"mx.elsewhere.example": "",
			},
		},
		{
			name:        "testing",
			domain:      "testing.example",
			mx:          []string{"mx.testing.example"},
			wantID:      "t1",
			wantFetch:   true,
			wantFetchOK: true,
			wantPolicy:  &evidence.STSPolicy{Version: "STSv1", Mode: "testing", MX: []string{"mx.testing.example"}, MaxAge: 86400},
			wantMatch:   map[string]string{"mx.testing.example": "mx.testing.example"},
		},
		{
			name:        "none",
			domain:      "none.example",
			mx:          []string{"mx.none.example"},
			wantID:      "n1",
			wantFetch:   true,
			wantFetchOK: true,
			wantPolicy:  &evidence.STSPolicy{Version: "STSv1", Mode: "none", MaxAge: 300},
			wantMatch:   map[string]string{"mx.none.example": ""},
		},
		{name: "two TXT records", domain: "two.example", wantRecErr: "2 MTA-STS records: senders ignore both"},
		{name: "id too long", domain: "longid.example", wantRecErr: `invalid MTA-STS record: id "012345678901234567890123456789012" is not 1 to 32 letters or digits`},
		{name: "id with punctuation", domain: "punct.example", wantRecErr: `invalid MTA-STS record: id "2025.06.01" is not 1 to 32 letters or digits`},
		{name: "missing id", domain: "noid.example", wantRecErr: "invalid MTA-STS record: no id field"},
		{name: "no record", domain: "absent.example", wantRecErr: "no MTA-STS record"},
		{name: "lookup failure", domain: "servfail.example", wantRecErr: "TXT lookup of _mta-sts.servfail.example failed (servfail)"},
		{name: "policy 404", domain: "notfound.example", wantID: "x", wantFetch: true},
		{name: "redirect", domain: "redirect.example", wantID: "x", wantFetch: true},
		{name: "oversize", domain: "big.example", wantID: "x", wantFetch: true},
		{name: "wrong certificate name", domain: "wrongname.example", wantID: "x", wantFetch: true},
		{name: "untrusted certificate", domain: "untrusted.example", wantID: "x", wantFetch: true},
		{
			name:        "wrong media type",
			domain:      "html.example",
			mx:          []string{"mail.good.example"},
			wantID:      "x",
			wantFetch:   true,
			wantFetchOK: true,
			wantPolicy:  goodPolicy,
			wantWarns:   []string{"media type text/html, not text/plain: senders that check it ignore the policy"},
			wantMatch:   map[string]string{"mail.good.example": "mail.good.example"},
		},
		{
			name:        "max_age too large",
			domain:      "maxage.example",
			mx:          []string{"mx.maxage.example"},
			wantID:      "x",
			wantFetch:   true,
			wantFetchOK: true,
			wantErrs:    []string{"line 4: max_age 31557601 is above the maximum 31557600"},
		},
		{
			name:        "mx missing in enforce",
			domain:      "nomx.example",
			wantID:      "x",
			wantFetch:   true,
			wantFetchOK: true,
			wantErrs:    []string{"mode enforce needs at least one valid mx"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := fx.server.fetcher(fx.ca.pool())
			f.MaxSize = 200
			got := Check(context.Background(), resolver, f, tc.domain, tc.mx)
			if got.TXT.Name != "_mta-sts."+tc.domain || got.TXT.Type != "TXT" {
				t.Fatalf("TXT lookup = %+v", got.TXT)
			}
			if got.RecordError != tc.wantRecErr || got.ID != tc.wantID {
				t.Fatalf("record error %q id %q, want %q %q", got.RecordError, got.ID, tc.wantRecErr, tc.wantID)
			}
			if (got.Fetch != nil) != tc.wantFetch {
				t.Fatalf("fetch = %+v, want fetched %v", got.Fetch, tc.wantFetch)
			}
			if tc.wantFetch {
				if got.PolicyURL != "https://mta-sts."+tc.domain+"/.well-known/mta-sts.txt" {
					t.Fatalf("PolicyURL = %q", got.PolicyURL)
				}
				if (got.Fetch.Error == nil) != tc.wantFetchOK {
					t.Fatalf("fetch error = %+v, want ok %v", got.Fetch.Error, tc.wantFetchOK)
				}
			} else if got.PolicyURL != "" {
				t.Fatalf("PolicyURL = %q without a fetch", got.PolicyURL)
			}
			if (got.Policy == nil) != (tc.wantPolicy == nil) {
				t.Fatalf("policy = %+v, want %+v", got.Policy, tc.wantPolicy)
			}
			if tc.wantPolicy != nil {
				p, w := got.Policy, tc.wantPolicy
				if p.Version != w.Version || p.Mode != w.Mode || p.MaxAge != w.MaxAge || !slices.Equal(p.MX, w.MX) {
					t.Fatalf("policy = %+v, want %+v", p, w)
				}
			}
			if !slices.Equal(got.PolicyErrors, tc.wantErrs) {
				t.Fatalf("policy errors = %q, want %q", got.PolicyErrors, tc.wantErrs)
			}
			if !slices.Equal(got.PolicyWarnings, tc.wantWarns) {
				t.Fatalf("policy warnings = %q, want %q", got.PolicyWarnings, tc.wantWarns)
			}
			if !maps.Equal(got.MXMatch, tc.wantMatch) {
				t.Fatalf("MX match = %v, want %v", got.MXMatch, tc.wantMatch)
			}
		})
	}
	for _, d := range fx.server.dialed() {
		for _, never := range []string{"two", "longid", "punct", "noid", "absent", "servfail"} {
			if d == "tcp mta-sts."+never+".example:443" {
				t.Fatalf("fetched a policy for %s without a valid record", never)
			}
		}
	}
}

func TestCheckRecords(t *testing.T) {
	r := fakeTXT{"_mta-sts.two.example": {status: evidence.DNSOK, txts: []string{"v=STSv1; id=a", "v=spf1", "v=STSv1; id=b"}}}
	got := Check(context.Background(), r, &Fetcher{}, "two.example", nil)
	if want := []string{"v=STSv1; id=a", "v=STSv1; id=b"}; !slices.Equal(got.Records, want) {
		t.Fatalf("records = %q, want %q", got.Records, want)
	}
	if got := Check(context.Background(), nil, nil, "x.example", nil); got.RecordError != "no resolver to look up _mta-sts.x.example" {
		t.Fatalf("nil resolver: %q", got.RecordError)
	}
}

func TestCheckTLSRPT(t *testing.T) {
	r := fakeTXT{
		"_smtp._tls.mail.example":  {status: evidence.DNSOK, txts: []string{"v=TLSRPTv1;rua=mailto:reports@example.com"}},
		"_smtp._tls.https.example": {status: evidence.DNSOK, txts: []string{"v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt"}},
		"_smtp._tls.bad.example":   {status: evidence.DNSOK, txts: []string{"v=TLSRPTv1; rua=ftp://r.example.com/"}},
		"_smtp._tls.two.example":   {status: evidence.DNSOK, txts: []string{"v=TLSRPTv1;rua=mailto:a@x.example", "v=TLSRPTv1;rua=mailto:b@x.example"}},
		"_smtp._tls.fail.example":  {status: evidence.DNSTimeout},
	}
	tests := []struct {
		name, domain string
		wantRecords  []string
		wantRUA      []string
		wantErr      string
	}{
		{name: "valid mailto", domain: "mail.example", wantRecords: []string{"v=TLSRPTv1;rua=mailto:reports@example.com"}, wantRUA: []string{"mailto:reports@example.com"}},
		{name: "valid https", domain: "https.example", wantRecords: []string{"v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt"}, wantRUA: []string{"https://reporting.example.com/v1/tlsrpt"}},
		{name: "bad scheme", domain: "bad.example", wantRecords: []string{"v=TLSRPTv1; rua=ftp://r.example.com/"}, wantErr: `invalid TLS-RPT record: rua URI "ftp://r.example.com/": scheme "ftp" is not supported (only mailto and https)`},
		{name: "two records", domain: "two.example", wantRecords: []string{"v=TLSRPTv1;rua=mailto:a@x.example", "v=TLSRPTv1;rua=mailto:b@x.example"}, wantErr: "2 TLS-RPT records: senders ignore both"},
		{name: "no record", domain: "none.example", wantErr: "no TLS-RPT record"},
		{name: "lookup failure", domain: "fail.example", wantErr: "TXT lookup of _smtp._tls.fail.example failed (timeout)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckTLSRPT(context.Background(), r, tc.domain)
			if got.TXT.Name != "_smtp._tls."+tc.domain {
				t.Fatalf("lookup name %q", got.TXT.Name)
			}
			if !slices.Equal(got.Records, tc.wantRecords) || !slices.Equal(got.RUA, tc.wantRUA) || got.Error != tc.wantErr {
				t.Fatalf("got records %q rua %q error %q; want %q %q %q", got.Records, got.RUA, got.Error, tc.wantRecords, tc.wantRUA, tc.wantErr)
			}
		})
	}
}
