package report_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/reporttest"
)

func TestBuild(t *testing.T) {
	path, _, run2, err := reporttest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	fixed := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	r, err := report.Build(context.Background(), store, run2, report.Options{Org: report.Org{Name: "Test Org"}, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	if r.Base == nil || r.Run.ID != run2 || r.GeneratedAt != fixed {
		t.Fatalf("run %+v base %+v", r.Run, r.Base)
	}
	s := r.Summary
	if s.Vendors != 7 || s.Domains != 8 || s.InputProblems != 1 {
		t.Errorf("summary vendors %d domains %d problems %d", s.Vendors, s.Domains, s.InputProblems)
	}
	if s.Regressions != 1 || s.Improvements != 1 {
		t.Errorf("regressions %d improvements %d, want 1 and 1", s.Regressions, s.Improvements)
	}
	total := 0
	for _, g := range s.Grades {
		total += g.Count
	}
	if total != s.Domains {
		t.Errorf("grade counts add up to %d, want %d", total, s.Domains)
	}
	// Riskiest first: the regression (acme-billing, now SSLv3) leads the table.
	if len(r.Vendors) != len(reporttest.Vendors) || r.Vendors[0].Domain != "acme-billing.example" || !r.Vendors[0].Regressed {
		t.Errorf("first vendor row = %+v", r.Vendors[0])
	}
	// The views stay in the database until a renderer walks them.
	if len(r.Domains) != 0 || r.DomainCount() != s.Domains {
		t.Fatalf("built report holds %d views in memory, counts %d, want 0 and %d", len(r.Domains), r.DomainCount(), s.Domains)
	}
	var walked []string
	if err := r.EachDomain(func(d *report.DomainView) error {
		walked = append(walked, d.Domain)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(walked) != s.Domains || !slices.IsSorted(walked) {
		t.Errorf("EachDomain walked %q", walked)
	}
	stop := errors.New("stop")
	if n, err := 0, r.EachDomain(func(*report.DomainView) error { return stop }); !errors.Is(err, stop) || n != 0 {
		t.Errorf("EachDomain did not return fn's error: %v", err)
	}
	if _, ok, err := r.DomainNamed("unknown.example"); ok || err != nil {
		t.Errorf("DomainNamed of an unknown domain: ok %v, err %v", ok, err)
	}
	d, ok, err := r.DomainNamed("hostile.example")
	if !ok || err != nil || len(d.MX) == 0 || len(d.MX[0].Addresses) == 0 {
		t.Fatalf("DomainNamed(hostile.example) = %+v, %v, %v", d, ok, err)
	}
	if hostile := d.MX[0].Addresses[0]; !strings.HasPrefix(hostile.Banner, "220 =HYPERLINK") {
		t.Fatalf("hostile banner kept raw in the model: %+v", hostile)
	}
	if err := r.LoadDomains(); err != nil || len(r.Domains) != s.Domains || r.DomainCount() != s.Domains {
		t.Fatalf("LoadDomains: %v, %d views", err, len(r.Domains))
	}
	for i, d := range r.Domains {
		if d.Domain != walked[i] {
			t.Errorf("loaded view %d is %s, walked %s", i, d.Domain, walked[i])
		}
	}
	for _, f := range r.Findings {
		if f.Title == "" || f.Title == f.Code {
			t.Errorf("finding %s has no title", f.Code)
		}
	}
	if len(r.Methodology.Checks) == 0 || len(r.Methodology.Rules) == 0 || len(r.Changes) == 0 {
		t.Errorf("methodology %d checks %d rules, %d changes", len(r.Methodology.Checks), len(r.Methodology.Rules), len(r.Changes))
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
}

// TestDaysExpired: DaysToExpiry rounds down, so a leaf that ended 10 days
// and an hour before the check has DaysToExpiry -11; the view counts the
// whole days since, which the reports print.
func TestDaysExpired(t *testing.T) {
	checked := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		ago      time.Duration
		toExpiry int
		want     int
		text     string
	}{
		{10*24*time.Hour + time.Hour, -11, 10, "10 days"},
		{24*time.Hour + time.Minute, -2, 1, "1 day"},
		{time.Hour, -1, 0, "less than a day"},
	} {
		cc := &evidence.CertCheck{CheckedAt: checked, DaysToExpiry: c.toExpiry,
			Chain: []evidence.Certificate{{Subject: "CN=mx.example", NotAfter: checked.Add(-c.ago)}}}
		h := &evidence.Host{Name: "mx.example", Addresses: []evidence.Address{{IP: "192.0.2.1", Cert: cc}}}
		av := report.AddressViewOf(h, grade.AddressGrade{IP: "192.0.2.1"})
		if av.Cert == nil || av.Cert.DaysExpired != c.want || report.ExpiredSpan(av.Cert.DaysExpired) != c.text {
			t.Errorf("expired %s before the check: view %+v, want %d days (%q)", c.ago, av.Cert, c.want, c.text)
		}
	}
}

// TestServerHelloOnly: an address whose handshakes never complete shows
// its suites as chosen in a ServerHello only; a working one does not.
func TestServerHelloOnly(t *testing.T) {
	h := &evidence.Host{Name: "mx.example.com", Addresses: []evidence.Address{{IP: "192.0.2.1", Probe: &evidence.Probe{
		Status: evidence.ProbeOK,
		Versions: []evidence.VersionResult{
			{Version: evidence.TLS11, Support: evidence.NotSupported, Complete: true},
			{Version: evidence.TLS12, Support: evidence.Supported, Complete: true, Suites: []evidence.Suite{{Code: "0xC0,0x2F", Name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}}},
		},
	}}}}
	for _, never := range []bool{true, false} {
		av := report.AddressViewOf(h, grade.AddressGrade{IP: "192.0.2.1", HandshakeNeverCompleted: never})
		for _, v := range av.Versions {
			if want := never && v.Version == evidence.TLS12; v.ServerHelloOnly != want {
				t.Errorf("never completed %v: %s ServerHelloOnly %v, want %v", never, v.Version, v.ServerHelloOnly, want)
			}
		}
	}
}

// TestBuildVendorFields: the vendor list's columns, the tier as a number,
// the previous grade and finding ids reach the model.
func TestBuildVendorFields(t *testing.T) {
	path, run1, run2, err := reporttest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	base, err := store.Grades(context.Background(), run1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Build(context.Background(), store, run2, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	rows := map[string]report.VendorRow{}
	for _, v := range r.Vendors {
		rows[v.Domain] = v
	}
	acme := rows["acme-billing.example"]
	if acme.Contact != "security@acme-health.example" || acme.Notes != "BAA signed 2024" {
		t.Errorf("contact %q notes %q", acme.Contact, acme.Notes)
	}
	if acme.PreviousGrade == "" || acme.PreviousGrade != base["acme-billing.example"] || acme.PreviousGrade == acme.Grade {
		t.Errorf("acme-billing previous grade %q (run 1: %q), now %q: it regressed", acme.PreviousGrade, base["acme-billing.example"], acme.Grade)
	}
	for domain, want := range map[string]int{"acme-billing.example": 1, "crux-labs.example": 2, "delta-dental.example": 3} {
		if n := rows[domain].TierNumber; n == nil || *n != want {
			t.Errorf("%s tier %q number %v, want %d", domain, rows[domain].Tier, n, want)
		}
	}
	if n := rows["hostile.example"].TierNumber; n != nil {
		t.Errorf("tier -1 read as %d, want none", *n)
	}
	for _, f := range r.Findings {
		if f.ID != grade.FindingID(f.Code, f.Domain, f.Host, f.IP) {
			t.Fatalf("finding %s on %s %s %s has id %q", f.Code, f.Domain, f.Host, f.IP, f.ID)
		}
	}
}

func TestTierNumber(t *testing.T) {
	for in, want := range map[string]int{"1": 1, " Tier 2 ": 2, "T3": 3, "tier-4": 4, "0": 0} {
		if n := report.TierNumber(in); n == nil || *n != want {
			t.Errorf("TierNumber(%q) = %v, want %d", in, n, want)
		}
	}
	for _, in := range []string{"", "high", "-1", "1a", "tier"} {
		if n := report.TierNumber(in); n != nil {
			t.Errorf("TierNumber(%q) = %d, want nil", in, *n)
		}
	}
}

// TestAddressCertificatesAndVulns: every certificate a sender can get is
// in the address view, the primary first; throttling and the vulnerability
// probes reach it too.
func TestAddressCertificatesAndVulns(t *testing.T) {
	primary := &evidence.CertCheck{Chain: []evidence.Certificate{{Subject: "CN=mx.example", KeyType: "ECDSA"}}}
	other := evidence.CertCheck{Via: "RSA key, in TLSv1.2 hellos", Chain: []evidence.Certificate{{Subject: "CN=mx.example", KeyType: "RSA"}}}
	probe := &evidence.Probe{Status: evidence.ProbeOK,
		Throttle: &evidence.Throttle{Refusals: 3, Waited: evidence.Duration(35 * time.Second), Budget: evidence.Duration(time.Minute), BudgetExhausted: true},
		Vulns:    &evidence.Vulns{Heartbleed: evidence.VulnCheck{Status: evidence.VulnVulnerable, Detail: "leak\x1b[2J"}}}
	h := &evidence.Host{Name: "mx.example", Addresses: []evidence.Address{{IP: "192.0.2.1", Probe: probe, Cert: primary, OtherCerts: []evidence.CertCheck{other}}}}
	av := report.AddressViewOf(h, grade.AddressGrade{IP: "192.0.2.1"})
	if len(av.Certificates) != 2 || av.Certificates[0].KeyType != "ECDSA" || av.Certificates[0].Via != "" ||
		av.Certificates[1].KeyType != "RSA" || av.Certificates[1].Via != other.Via {
		t.Fatalf("certificates %+v", av.Certificates)
	}
	if av.Cert == nil || av.Cert.KeyType != "ECDSA" {
		t.Errorf("primary certificate %+v", av.Cert)
	}
	if !strings.Contains(av.Throttled, "3 connections refused, waited 35s") || !strings.Contains(av.Throttled, "budget ran out") {
		t.Errorf("throttled %q", av.Throttled)
	}
	i := slices.IndexFunc(av.Vulnerabilities, func(v report.VulnView) bool { return v.Name == "Heartbleed" })
	if i < 0 || av.Vulnerabilities[i].Status != "vulnerable" || av.Vulnerabilities[i].CVE != "CVE-2014-0160" || strings.Contains(av.Vulnerabilities[i].Detail, "\x1b") {
		t.Errorf("vulnerabilities %+v", av.Vulnerabilities)
	}
}

// TestTranscriptEscapedAndRaw: transcript bytes that are not text are
// escaped once, in the model, as \xNN, and kept exactly in base64 beside.
func TestTranscriptEscapedAndRaw(t *testing.T) {
	bad := "220 mx\xff \x1b[2J ready"
	h := &evidence.Host{Name: "mx.example", Addresses: []evidence.Address{{IP: "192.0.2.1", Probe: &evidence.Probe{
		Status: evidence.ProbeOK,
		SMTP: &evidence.SMTPSession{Transcript: []evidence.TranscriptLine{
			{Dir: "S", Line: strings.ToValidUTF8(bad, "\uFFFD"), Raw: []byte(bad)},
			{Dir: "S", Line: "250 old \uFFFD lost"}, // stored before raw bytes were kept
		}},
	}}}}
	av := report.AddressViewOf(h, grade.AddressGrade{IP: "192.0.2.1", Grade: grade.GradeA})
	want := []string{`S: 220 mx\xff \x1b[2J ready`, `S: 250 old \ufffd lost`}
	if !slices.Equal(av.Transcript, want) {
		t.Errorf("transcript %q, want %q", av.Transcript, want)
	}
	if len(av.TranscriptBase64) != 2 {
		t.Fatalf("base64 %q", av.TranscriptBase64)
	}
	raw, err := base64.StdEncoding.DecodeString(av.TranscriptBase64[0])
	if err != nil || string(raw) != bad {
		t.Errorf("base64 gives %q, %v; want %q", raw, err, bad)
	}
}

// TestBuildDeterministic: without a fixed Now the report's time is the
// run's finish, not the clock: two builds write the same JSON bytes.
func TestBuildDeterministic(t *testing.T) {
	path, _, run2, err := reporttest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var out [2]bytes.Buffer
	for i := range out {
		r, err := report.Build(context.Background(), store, run2, report.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.LoadRows(); err != nil {
			t.Fatal(err)
		}
		if r.Run.FinishedAt == nil || !r.GeneratedAt.Equal(*r.Run.FinishedAt) {
			t.Fatalf("generated at %s, run finished %v", r.GeneratedAt, r.Run.FinishedAt)
		}
		if r.Manifest.RootDigest == "" || len(r.Manifest.RootDigest) != 64 {
			t.Fatalf("manifest %+v", r.Manifest)
		}
		if err := report.WriteJSON(&out[i], r); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !bytes.Equal(out[0].Bytes(), out[1].Bytes()) {
		t.Fatal("two builds of one run write different JSON")
	}
}

// TestBuildScope: the summary counts the list's vendors, those audited
// and those at risk consistently, names each vendor not audited, and
// breaks the vendors down by tier and tag; unaudited rows rank with the
// at-risk group.
func TestBuildScope(t *testing.T) {
	path, run1, run2, err := reporttest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r, err := report.Build(context.Background(), store, run2, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	s := r.Summary
	if s.VendorsInList != 7 || s.VendorsAudited+len(s.NotAudited) != s.VendorsInList {
		t.Errorf("in list %d, audited %d, not audited %v", s.VendorsInList, s.VendorsAudited, s.NotAudited)
	}
	if want := fmt.Sprintf("%d of %d vendors audited", s.VendorsAudited, s.VendorsInList); s.Scope != want {
		t.Errorf("scope %q, want %q", s.Scope, want)
	}
	atRisk := len(s.NotAudited)
	for _, g := range s.VendorGrades {
		if g.Grade == "D" || g.Grade == "F" {
			atRisk += g.Count
		}
	}
	if s.VendorsAtRisk != atRisk || atRisk == 0 {
		t.Errorf("at risk %d, want %d (D, F and not audited)", s.VendorsAtRisk, atRisk)
	}
	total := 0
	for _, bd := range s.ByTier {
		total += bd.Vendors
	}
	if total != s.VendorsInList || len(s.ByTier) == 0 || s.ByTier[0].Key != "1" {
		t.Errorf("by tier %+v", s.ByTier)
	}
	if len(s.ByTag) != 1 || s.ByTag[0].Key != "PHI" || s.ByTag[0].Vendors != 1 {
		t.Errorf("by tag %+v", s.ByTag)
	}
	if len(s.Conclusion) != 3 || !strings.HasPrefix(s.Conclusion[0], s.Scope) || !strings.Contains(s.Conclusion[2], "Since run") {
		t.Errorf("conclusion %q", s.Conclusion)
	}
	t.Run("trend", func(t *testing.T) { checkTrend(t, store, run1, run2, r) })
	t.Run("score", func(t *testing.T) {
		// A vendor row's score is its domain's, the same figure in both places.
		scores := map[string]*int{}
		if err := r.EachDomain(func(dv *report.DomainView) error { scores[dv.Domain] = dv.Score; return nil }); err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, v := range r.Vendors {
			d, ok := scores[v.Domain]
			if !ok {
				continue
			}
			if (d == nil) != (v.Score == nil) || (d != nil && *d != *v.Score) {
				t.Errorf("%s: row score %v, domain score %v", v.Domain, v.Score, d)
			}
			if d != nil {
				seen++
			}
		}
		if seen == 0 {
			t.Fatal("no scored domain in the fixture")
		}
	})
	// Unaudited or inconclusive rows come before every D, C, B and A row.
	seenBetter := false
	for _, v := range r.Vendors {
		if v.Regressed {
			continue
		}
		if v.GradeRank >= 2 {
			seenBetter = true
		}
		if v.GradeRank == 0 && v.Grade != "N/A" && seenBetter {
			t.Errorf("%s (%s) ranks below a graded vendor", v.Vendor, v.Grade)
		}
	}
}

// checkTrend: the trend of run 2 holds runs 1 and 2, oldest first, and
// each point's figures, aggregated by the database, are exactly the
// summary's figures of that run as Build computes them in Go.
func checkTrend(t *testing.T, store *db.DB, run1, run2 int64, r2 *report.Report) {
	r1, err := report.Build(context.Background(), store, run1, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r1.LoadRows(); err != nil {
		t.Fatal(err)
	}
	if len(r1.Summary.Trend) != 1 {
		t.Fatalf("trend of the first run: %+v", r1.Summary.Trend)
	}
	trend := r2.Summary.Trend
	if len(trend) != 2 || trend[0].RunID != run1 || trend[1].RunID != run2 {
		t.Fatalf("trend of run %d: %+v", run2, trend)
	}
	if !reflect.DeepEqual(trend[0], r1.Summary.Trend[0]) {
		t.Errorf("run %d's point differs between the two trends: %+v, %+v", run1, trend[0], r1.Summary.Trend[0])
	}
	for i, r := range []*report.Report{r1, r2} {
		s, p := r.Summary, trend[i]
		want := report.TrendPoint{RunID: r.Run.ID, FinishedAt: r.Run.FinishedAt, VendorsInList: s.VendorsInList,
			VendorsAudited: s.VendorsAudited, VendorsAtRisk: s.VendorsAtRisk, VendorGrades: s.VendorGrades, ForcedEligible: s.ForcedEligible}
		if p.FinishedAt == nil || want.FinishedAt == nil || !p.FinishedAt.Equal(*want.FinishedAt) {
			t.Errorf("run %d: finished %v, want %v", r.Run.ID, p.FinishedAt, want.FinishedAt)
		}
		p.FinishedAt, want.FinishedAt = nil, nil
		if !reflect.DeepEqual(p, want) {
			t.Errorf("run %d: trend point %+v, summary says %+v", r.Run.ID, p, want)
		}
	}
}

// TestRuleEffects: the methodology table says what each rule does to the
// grade, a high finding with no points (no MX) included.
func TestRuleEffects(t *testing.T) {
	path, _, run2, err := reporttest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r, err := report.Build(context.Background(), store, run2, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	for _, rule := range r.Methodology.Rules {
		if rule.Effect == "" {
			t.Errorf("%s has no effect", rule.Code)
		}
		if rule.Code == grade.CodeNoMX && !strings.Contains(rule.Effect, "F") {
			t.Errorf("NO_MX effect %q", rule.Effect)
		}
	}
}
