package grade

import (
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// goodPosture sets records that pass every sender-authentication control.
func goodPosture(d *evidence.Domain) {
	pct := 100
	d.SPF = &evidence.SPF{Status: evidence.SPFValid, Record: "v=spf1 mx include:_spf.provider.example -all", All: "-all", Lookups: 2}
	d.DMARC = &evidence.DMARC{Status: evidence.DMARCValid, PolicyDomain: d.Domain, OrgDomain: d.Domain,
		Record: "v=DMARC1; p=reject; rua=mailto:dmarc@" + d.Domain, Policy: "reject", SubdomainPolicy: "reject",
		PCT: &pct, RUA: []string{"mailto:dmarc@" + d.Domain}}
}

func nullMX(d *evidence.Domain) {
	d.MX = evidence.MXLookup{Kind: evidence.MXNull, Records: []evidence.MXRecord{{}}}
	d.Hosts = nil
}

type senderCase struct {
	name   string
	mutate func(d *evidence.Domain)
	codes  []string // sender-authentication codes expected
	rating SenderAuthRating
	// bod and nist are the expected framework statuses.
	bod, nist ControlStatus
}

func senderCases() []senderCase {
	pct := func(n int) *int { return &n }
	return []senderCase{
		{name: "all good", mutate: goodPosture, rating: RatingStrong, bod: ControlPass, nist: ControlIncomplete /* DNSSEC, MTA-STS and DANE not checked */},
		{name: "nothing published", mutate: func(d *evidence.Domain) {
			d.SPF = &evidence.SPF{Status: evidence.SPFMissing, Reason: "no TXT record begins with v=spf1"}
			d.DMARC = &evidence.DMARC{Status: evidence.DMARCMissing, Reason: "no DMARC record at _dmarc." + d.Domain}
		}, codes: []string{CodeSPFMissing, CodeDMARCMissing}, rating: RatingNone, bod: ControlFail, nist: ControlFail},
		{name: "permerror and invalid", mutate: func(d *evidence.Domain) {
			goodPosture(d)
			d.SPF = &evidence.SPF{Status: evidence.SPFPermError, Record: "v=spf1 " + strings.Repeat("include:x.example ", 11) + "-all",
				Lookups: 11, Reason: "11 DNS-lookup terms"}
			d.DMARC.Status, d.DMARC.Reason = evidence.DMARCInvalid, "p=rejected is not none, quarantine or reject"
		}, codes: []string{CodeSPFPermError, CodeDMARCInvalid}, rating: RatingNone, bod: ControlFail, nist: ControlFail},
		{name: "temperrors", mutate: func(d *evidence.Domain) {
			d.SPF = &evidence.SPF{Status: evidence.SPFTempError, Reason: "the TXT lookup failed (servfail)"}
			d.DMARC = &evidence.DMARC{Status: evidence.DMARCTempError, Reason: "the DMARC lookup failed (timeout)"}
		}, codes: []string{CodeSPFTempError, CodeDMARCTempError}, rating: RatingUnknown, bod: ControlIncomplete, nist: ControlIncomplete},
		{name: "plus all and p=none", mutate: func(d *evidence.Domain) {
			goodPosture(d)
			d.SPF.All, d.SPF.Record = "+all", "v=spf1 +all"
			d.DMARC.Policy, d.DMARC.SubdomainPolicy = "none", "none"
		}, codes: []string{CodeSPFPassAll, CodeDMARCPolicyNone}, rating: RatingWeak, bod: ControlFail, nist: ControlFail},
		{name: "neutral all, ptr, quarantine, weaker sp, pct, no rua", mutate: func(d *evidence.Domain) {
			goodPosture(d)
			d.SPF.All, d.SPF.Record, d.SPF.Ptr = "?all", "v=spf1 ptr ?all", true
			d.DMARC.Policy, d.DMARC.SubdomainPolicy, d.DMARC.SubdomainPolicySet = "quarantine", "none", true
			d.DMARC.PCT, d.DMARC.RUA = pct(50), nil
		}, codes: []string{CodeSPFNeutralAll, CodeSPFPtr, CodeDMARCQuarantine, CodeDMARCSPWeaker, CodeDMARCPartialPct, CodeDMARCNoRUA},
			rating: RatingWeak, bod: ControlFail, nist: ControlFail},
		{name: "external rua unauthorised", mutate: func(d *evidence.Domain) {
			goodPosture(d)
			d.DMARC.RUA = []string{"mailto:d@rogue.example"}
			d.DMARC.Destinations = []evidence.DMARCDestination{{Domain: "rogue.example", Auth: evidence.DestUnauthorized}}
		}, codes: []string{CodeDMARCNoRUA, CodeDMARCUnauthorized}, rating: RatingStrong, bod: ControlFail, nist: ControlIncomplete},
		{name: "external rua authorised", mutate: func(d *evidence.Domain) {
			goodPosture(d)
			d.DMARC.RUA = []string{"mailto:d@reports.example"}
			d.DMARC.Destinations = []evidence.DMARCDestination{{Domain: "reports.example", Auth: evidence.DestAuthorized}}
		}, rating: RatingStrong, bod: ControlPass, nist: ControlIncomplete},
		{name: "null MX with -all and reject", mutate: func(d *evidence.Domain) {
			nullMX(d)
			d.SPF = &evidence.SPF{Status: evidence.SPFValid, Record: "v=spf1 -all", All: "-all"}
			pc := 100
			d.DMARC = &evidence.DMARC{Status: evidence.DMARCValid, Record: "v=DMARC1; p=reject", Policy: "reject", SubdomainPolicy: "reject", PCT: &pc, PolicyDomain: d.Domain}
		}, rating: RatingStrong, bod: ControlPass, nist: ControlIncomplete},
		{name: "null MX with ~all", mutate: func(d *evidence.Domain) {
			nullMX(d)
			goodPosture(d)
			d.SPF.All, d.SPF.Record = "~all", "v=spf1 ~all"
		}, codes: []string{CodeSPFNonSendingStrict}, rating: RatingModerate, bod: ControlFail, nist: ControlFail},
		{name: "dkim keys", mutate: func(d *evidence.Domain) {
			goodPosture(d)
			d.DKIM = []evidence.DKIMKey{
				{Selector: "s512", Status: evidence.DKIMKeyOK, KeyType: "rsa", Bits: 512},
				{Selector: "s1024", Status: evidence.DKIMKeyOK, KeyType: "rsa", Bits: 1024},
				{Selector: "s2048", Status: evidence.DKIMKeyOK, KeyType: "rsa", Bits: 2048},
				{Selector: "ed", Status: evidence.DKIMKeyOK, KeyType: "ed25519", Bits: 256},
				{Selector: "old", Status: evidence.DKIMRevoked, KeyType: "rsa"},
				{Selector: "junk", Status: evidence.DKIMInvalid, Reason: "p= is not base64"},
				{Selector: "gone", Status: evidence.DKIMMissing},
			}
		}, codes: []string{CodeDKIMKeyRefused, CodeDKIMKeyWeak, CodeDKIMKeyRevoked, CodeDKIMKeyInvalid, CodeDKIMKeyMissing},
			rating: RatingStrong, bod: ControlPass, nist: ControlFail},
	}
}

func senderCodes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		if IsSenderAuthCode(f.Code) {
			out = append(out, f.Code)
		}
	}
	slices.Sort(out)
	return out
}

func frameworkNamed(fs []Framework, name string) *Framework {
	for i := range fs {
		if fs[i].Name == name {
			return &fs[i]
		}
	}
	return nil
}

func TestSenderAuth(t *testing.T) {
	base := GradeDomain(perfectDomain(), Default())
	for _, c := range senderCases() {
		t.Run(c.name, func(t *testing.T) {
			d := perfectDomain()
			c.mutate(d)
			g := GradeDomain(d, Default())
			want := slices.Clone(c.codes)
			slices.Sort(want)
			if got := senderCodes(g.Findings); !slices.Equal(got, want) {
				t.Errorf("codes %v, want %v", got, want)
			}
			for _, f := range g.Findings {
				if IsSenderAuthCode(f.Code) && (f.Deduction != 0 || f.ForceF) {
					t.Errorf("%s takes from the transport score", f.Code)
				}
			}
			if d.MX.Kind != evidence.MXNull && (g.Grade != base.Grade || g.ForcedTLS != base.ForcedTLS) {
				t.Errorf("transport grade %s/%s changed by sender authentication (was %s/%s)", g.Grade, g.ForcedTLS, base.Grade, base.ForcedTLS)
			}
			if g.SenderAuth == nil || g.SenderAuth.Rating != c.rating {
				t.Errorf("rating %+v, want %s", g.SenderAuth, c.rating)
			}
			bod, nist := frameworkNamed(g.Frameworks, FrameworkBOD1801), frameworkNamed(g.Frameworks, FrameworkNIST177)
			if bod == nil || nist == nil {
				t.Fatalf("frameworks %+v", g.Frameworks)
			}
			if bod.Status != c.bod {
				t.Errorf("BOD 18-01 %s, want %s: %+v", bod.Status, c.bod, bod.Controls)
			}
			if nist.Status != c.nist {
				t.Errorf("NIST %s, want %s: %+v", nist.Status, c.nist, nist.Controls)
			}
			for _, fw := range g.Frameworks {
				for _, ctl := range fw.Controls {
					title := sayText(t, &Phrase{Code: "title." + ctl.ID})
					if ctl.ID == "" || title == "" || sayText(t, ctl.Why) == "" || ctl.Status == "" {
						t.Errorf("%s: control without id, title, status or reason: %+v", fw.Name, ctl)
					}
					if ctl.Title != "" || ctl.Reason != "" {
						t.Errorf("%s: the grader wrote a control's sentence: %q / %q", fw.Name, ctl.Title, ctl.Reason)
					}
				}
			}
		})
	}
}

func controlOf(t *testing.T, fw *Framework, id string) Control {
	t.Helper()
	for _, c := range fw.Controls {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("%s has no control %s", fw.Name, id)
	return Control{}
}

func TestProfileControls(t *testing.T) {
	d := perfectDomain()
	goodPosture(d)
	d.MX.Lookup.DNSSEC = evidence.DNSSECSecure
	g := GradeDomain(d, Default())
	bod := frameworkNamed(g.Frameworks, FrameworkBOD1801)
	for _, id := range []string{"bod1801.starttls", "bod1801.no_sslv2_sslv3", "bod1801.no_rc4_3des", "bod1801.spf",
		"bod1801.dmarc_reject", "bod1801.dmarc_sp", "bod1801.dmarc_pct", "bod1801.dmarc_rua"} {
		if c := controlOf(t, bod, id); c.Status != ControlPass {
			t.Errorf("%s: %s (%s), want pass", id, c.Status, c.Reason)
		}
	}
	nist := frameworkNamed(g.Frameworks, FrameworkNIST177)
	want := map[string]ControlStatus{
		"nist800177.spf": ControlPass, "nist800177.dmarc": ControlPass, "nist800177.dnssec": ControlPass,
		"nist800177.dkim": ControlNotApplicable, "nist800177.server_auth": ControlIncomplete, "nist800177.tls": ControlPass,
	}
	for id, st := range want {
		if c := controlOf(t, nist, id); c.Status != st {
			t.Errorf("%s: %s (%s), want %s", id, c.Status, c.Reason, st)
		}
	}

	// SSLv3 and 3DES on the mail server fail BOD 18-01's transport controls.
	d = perfectDomain()
	goodPosture(d)
	setVersion(d, supported(evidence.SSLv3, sSSLv2DES3()))
	g = GradeDomain(d, Default())
	bod = frameworkNamed(g.Frameworks, FrameworkBOD1801)
	for _, id := range []string{"bod1801.no_sslv2_sslv3", "bod1801.no_rc4_3des"} {
		if c := controlOf(t, bod, id); c.Status != ControlFail || !strings.Contains(sayText(t, c.Why), mx1) {
			t.Errorf("%s: %s (%s), want fail naming %s", id, c.Status, sayText(t, c.Why), mx1)
		}
	}

	// No STARTTLS fails; an address not audited is incomplete, never pass.
	d = perfectDomain()
	goodPosture(d)
	addr1(d).Probe.Status = evidence.ProbeInconclusive
	g = GradeDomain(d, Default())
	if c := controlOf(t, frameworkNamed(g.Frameworks, FrameworkBOD1801), "bod1801.starttls"); c.Status != ControlIncomplete {
		t.Errorf("inconclusive probe: starttls %s (%s), want incomplete", c.Status, c.Reason)
	}
	addr1(d).Probe.Status = evidence.ProbeNoSTARTTLS
	g = GradeDomain(d, Default())
	if c := controlOf(t, frameworkNamed(g.Frameworks, FrameworkBOD1801), "bod1801.starttls"); c.Status != ControlFail {
		t.Errorf("no STARTTLS: starttls %s (%s), want fail", c.Status, c.Reason)
	}

	// Null MX: the mail-server controls do not apply.
	d = perfectDomain()
	nullMX(d)
	goodPosture(d)
	d.SPF.Record, d.SPF.Lookups = "v=spf1 -all", 0
	g = GradeDomain(d, Default())
	if c := controlOf(t, frameworkNamed(g.Frameworks, FrameworkBOD1801), "bod1801.starttls"); c.Status != ControlNotApplicable {
		t.Errorf("null MX: starttls %s", c.Status)
	}
}

func TestNoPostureNoProfiles(t *testing.T) {
	g := GradeDomain(perfectDomain(), Default())
	if g.SenderAuth != nil || len(g.Frameworks) != 0 || len(senderCodes(g.Findings)) != 0 {
		t.Fatalf("posture not checked, yet %+v %+v", g.SenderAuth, g.Frameworks)
	}
}

func TestSuggestions(t *testing.T) {
	d := perfectDomain()
	goodPosture(d)
	d.SPF.All, d.SPF.Record = "+all", "v=spf1 include:_spf.provider.example +all"
	if got, want := SuggestSPF(d), "v=spf1 include:_spf.provider.example -all"; got != want {
		t.Errorf("SuggestSPF = %q, want %q", got, want)
	}
	d.SPF.All, d.SPF.Record = "~all", "v=spf1 mx ~all"
	if got, want := SuggestSPF(d), "v=spf1 mx ~all"; got != want {
		t.Errorf("SuggestSPF(~all) = %q, want %q", got, want)
	}
	nullMX(d)
	if got := SuggestSPF(d); got != "v=spf1 -all" {
		t.Errorf("SuggestSPF(null MX) = %q", got)
	}
	d = perfectDomain()
	goodPosture(d)
	d.DMARC.Policy = "none"
	d.DMARC.RUA = []string{"mailto:a@rogue.example", "mailto:b@" + testDomain}
	d.DMARC.Destinations = []evidence.DMARCDestination{{Domain: "rogue.example", Auth: evidence.DestUnauthorized}}
	if got, want := SuggestDMARC(d), "v=DMARC1; p=reject; rua=mailto:b@"+testDomain; got != want {
		t.Errorf("SuggestDMARC = %q, want %q", got, want)
	}
	d.DMARC = &evidence.DMARC{Status: evidence.DMARCMissing}
	if got, want := SuggestDMARC(d), "v=DMARC1; p=reject; rua=mailto:dmarc-reports@"+testDomain; got != want {
		t.Errorf("SuggestDMARC(missing) = %q, want %q", got, want)
	}
}
