package posture

import (
	"slices"
	"strings"
	"testing"
)

// FuzzParseSPF checks that any TXT text parses without panicking and that
// a record that parses writes back, term by term, into one that parses
// to the same terms.
func FuzzParseSPF(f *testing.F) {
	for _, s := range []string{
		"v=spf1 -all",
		"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:_spf.example.com ~all",
		"v=spf1 a mx/24 a:mail.example.com/28//64 ptr exists:%{i}._spf.example.com -all",
		"v=spf1 redirect=_spf.example.com exp=explain.%{d}",
		"v=spf1 foo=bar ?all",
		"v=spf1 +all",
		"v=spf1 ip4:192.0.2.300",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		rec, err := ParseSPF(txt)
		if err != nil {
			return
		}
		words := []string{spfVersion}
		for _, term := range rec.Terms {
			words = append(words, term.String())
		}
		again, err := ParseSPF(strings.Join(words, " "))
		if err != nil {
			t.Fatalf("%q parsed but its terms written back do not: %v", txt, err)
		}
		if !slices.Equal(again.Terms, rec.Terms) {
			t.Fatalf("%q: terms %+v written back parse to %+v", txt, rec.Terms, again.Terms)
		}
	})
}

// FuzzParseDMARC checks that any TXT text parses without panicking into
// values within their ranges.
func FuzzParseDMARC(f *testing.F) {
	for _, s := range []string{
		"v=DMARC1; p=reject; rua=mailto:d@example.com",
		"v=DMARC1; p=none; sp=quarantine; pct=50; rua=mailto:a@x.example!10m,mailto:b@y.example; ruf=mailto:f@example.com; fo=1:d; ri=3600; adkim=s; aspf=r",
		"v=DMARC1; rua=mailto:d@example.com",
		"v=DMARC1;p=rejected;pct=150",
		"v=DMARC2; p=reject",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		rec := ParseDMARC(txt)
		for _, p := range []string{rec.Policy, rec.SubdomainPolicy, rec.NonexistentPolicy} {
			if p != "" && p != "none" && p != "quarantine" && p != "reject" {
				t.Fatalf("%q: policy %q", txt, p)
			}
		}
		if rec.PCT < 0 || rec.PCT > 100 {
			t.Fatalf("%q: pct %d", txt, rec.PCT)
		}
		if !IsDMARC(txt) && len(rec.Errors) == 0 {
			t.Fatalf("%q is no DMARC record but parsed without error", txt)
		}
		for _, u := range append(rec.RUA, rec.RUF...) {
			if _, err := MailtoDomain(u); err != nil {
				t.Fatalf("%q: kept URI %q: %v", txt, u, err)
			}
		}
	})
}

// FuzzParseDKIMKey checks that any TXT text parses without panicking.
func FuzzParseDKIMKey(f *testing.F) {
	for _, s := range []string{
		"v=DKIM1; k=rsa; p=",
		"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
		"k=rsa; t=s; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAK",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, txt string) {
		info, err := ParseDKIMKey(txt)
		if err == nil && !info.Revoked && info.Bits <= 0 {
			t.Fatalf("%q: a usable key of %d bits", txt, info.Bits)
		}
	})
}
