package pdf

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/report"
)

// cloneReport deep-copies a report held in memory, so a test can edit it.
func cloneReport(t *testing.T, r *report.Report) *report.Report {
	t.Helper()
	// Through the JSON report, which carries the probes apart from the
	// address views and joins them again when read.
	var b bytes.Buffer
	if err := report.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	c, err := report.ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Domains) == 0 {
		t.Fatal("the report holds no domain views in memory")
	}
	return c
}

// runsOnLine returns the texts of the runs on the line of the first run
// whose text is s, on any page: baselines within 1.5 pt, as cells of one
// table row in fonts of different sizes are.
func runsOnLine(p *parsedPDF, s string) []string {
	return runsOnLineFunc(p, func(text string) bool { return text == s })
}

// runsOnLineFunc is runsOnLine for the first run whose text is.
func runsOnLineFunc(p *parsedPDF, is func(string) bool) []string {
	for _, pg := range p.pages {
		for _, x := range pg.runs {
			if !is(x.text) {
				continue
			}
			var out []string
			for _, y := range pg.runs {
				if y.y > x.y-1.5 && y.y < x.y+1.5 {
					out = append(out, y.text)
				}
			}
			return out
		}
	}
	return nil
}

// TestTrendChart: the executive summary draws the model's trend: each run
// of the list (the last twelve at most) labelled with its id and date, and
// the vendors audited and at risk of each; a first run says so.
func TestTrendChart(t *testing.T) {
	r := cloneReport(t, fx.second)
	base := time.Date(2025, 1, 3, 9, 0, 0, 0, time.UTC)
	var pts []report.TrendPoint
	for i := range 14 {
		at := base.AddDate(0, i, 0)
		pts = append(pts, report.TrendPoint{RunID: int64(i + 1), FinishedAt: &at, VendorsInList: 40,
			VendorsAudited: 30 + i%3, VendorsAtRisk: 10 + i})
	}
	r.Summary.Trend = pts
	_, p := render(t, r, Options{})
	sp := summaryPage(t, p)
	page := p.pages[sp].text()
	if !strings.Contains(page, prose(t, "summary.trend_title", nil)+"\n") {
		t.Fatalf("summary page lacks the trend title:\n%s", page)
	}
	labels := runsOnLine(&parsedPDF{pages: p.pages[sp : sp+1]}, "run 3")
	var want []string
	for _, pt := range pts[2:] {
		want = append(want, fmt.Sprintf("run %d", pt.RunID))
	}
	if !slices.Equal(labels, want) {
		t.Errorf("run labels = %q, want the last 12 runs %q", labels, want)
	}
	// Each date under its run, whole: on one line, or its year above its
	// month and day where the slot is narrow.
	for _, pt := range pts[2:] {
		day := pt.FinishedAt.Format(time.DateOnly)
		if !strings.Contains(page, day+"\n") && !strings.Contains(page, day[:4]+"\n") {
			t.Errorf("run %d: date %s not drawn", pt.RunID, day)
		}
		if !strings.Contains(page, day+"\n") && !strings.Contains(page, day[5:]+"\n") {
			t.Errorf("run %d: date %s not drawn", pt.RunID, day)
		}
	}
	for _, pt := range pts[2:] {
		for _, v := range []int{pt.VendorsAudited, pt.VendorsAtRisk} {
			if !slices.Contains(strings.Split(page, "\n"), fmt.Sprint(v)) {
				t.Errorf("run %d: figure %d not drawn", pt.RunID, v)
			}
		}
	}
	if strings.Contains(page, "run 2\n") {
		t.Error("a run before the last twelve is drawn")
	}
	// Deterministic: the same trend renders to the same bytes.
	a, _ := render(t, r, Options{})
	b, _ := render(t, r, Options{})
	if string(a) != string(b) {
		t.Error("two renderings with a trend differ")
	}

	// One run: the trend starts here.
	r.Summary.Trend = pts[:1]
	_, p = render(t, r, Options{})
	first := prose(t, "summary.trend_first", map[string]any{"Run": r.Run})
	if !strings.Contains(squash(p.pages[summaryPage(t, p)].text()), squash(first)) {
		t.Errorf("a single run does not say %q", first)
	}
}

// TestRuleEffects: the methodology's rule table prints each rule's effect
// on the grade beside its code, a 0-point high finding (no MX) included.
func TestRuleEffects(t *testing.T) {
	_, p := render(t, fx.second, Options{})
	rules := fx.second.Methodology.Rules
	if len(rules) == 0 {
		t.Fatal("no rules in the fixture")
	}
	found := false
	for _, rule := range rules {
		if rule.Effect == "" {
			t.Fatalf("rule %s has no effect sentence in the model", rule.Code)
		}
		// A long code wraps in its column: its first piece is on the line.
		line := squash(strings.Join(runsOnLineFunc(p, func(s string) bool {
			return s == rule.Code || len(s) > 6 && strings.HasPrefix(rule.Code, s)
		}), ""))
		// The effect's first words share the code's line (the cell wraps).
		head := squash(strings.Join(strings.Fields(rule.Effect)[:3], " "))
		if !strings.Contains(line, head) {
			t.Errorf("%s: line %q lacks its effect %q", rule.Code, line, rule.Effect)
		}
		if rule.Code == "NO_MX" {
			found = true
		}
	}
	text := squash(p.allText())
	for _, rule := range rules {
		if !strings.Contains(text, squash(rule.Effect)) {
			t.Errorf("%s: effect %q not printed", rule.Code, rule.Effect)
		}
	}
	if !found {
		t.Error("the rule table has no NO_MX rule to check")
	}
}

// TestAppendixCertificatesVulnerabilitiesWaivers: the appendix shows every
// certificate an address presents with its judgement, the vulnerability
// probes with their CVE, and the findings a DANE-EE record waives, with
// why; the remediation marks the waived finding.
func TestAppendixCertificatesVulnerabilitiesWaivers(t *testing.T) {
	r := cloneReport(t, fx.second)
	var dv *report.DomainView
	var a *report.AddressView
	for i := range r.Domains {
		d := &r.Domains[i]
		if len(d.MX) > 0 && len(d.MX[0].Addresses) > 0 && d.MX[0].Addresses[0].Cert != nil {
			dv, a = d, &d.MX[0].Addresses[0]
			break
		}
	}
	if a == nil {
		t.Fatal("no address with a certificate in the fixture")
	}
	host := dv.MX[0].Host
	rsa := *a.Cert
	ecdsa := rsa
	ecdsa.Via, ecdsa.KeyType, ecdsa.KeyBits, ecdsa.SHA256 = "ECDSA key, in TLSv1.2 hellos", "ECDSA", 256, strings.Repeat("ab", 32)
	noSNI := rsa
	noSNI.Via, noSNI.Subject, noSNI.NameMatch, noSNI.SHA256 = "without SNI", "CN=default.invalid", "no", strings.Repeat("cd", 32)
	a.Certificates = []report.CertView{rsa, ecdsa, noSNI}
	a.Vulnerabilities = []report.VulnView{
		{Name: "Heartbleed", CVE: "CVE-2014-0160", Status: "vulnerable", Detail: "the server answered an over-length heartbeat with 16384 bytes"},
		{Name: "CCS injection", CVE: "CVE-2014-0224", Status: "not_vulnerable", Detail: "fatal unexpected_message"},
		{Name: "ROBOT", CVE: "CVE-2017-13099", Status: "inconclusive", Detail: "the oracle answers varied"},
	}
	waived := report.Finding{ID: "00000000000000aa", Vendors: dv.Vendors, Domain: dv.Domain, Host: host, IP: a.IP,
		Code: "CERT_UNTRUSTED", Severity: "high", SeverityNum: 3, Title: "Certificate not trusted (test)",
		Message: "the certificate of " + host + " is not trusted", Waived: "dane-ee", Status: "open"}
	r.Findings = append(r.Findings, waived)

	_, p := render(t, r, Options{})
	text := squash(p.allText())
	for _, c := range a.Certificates {
		if !strings.Contains(text, squash(c.SHA256)) {
			t.Errorf("certificate %q (%s) not printed", c.Via, c.SHA256)
		}
	}
	for _, s := range []string{ecdsa.Via, noSNI.Via, noSNI.Subject, "ECDSA 256",
		prose(t, "cert.name", map[string]any{"Name": "no"}),
		prose(t, "appendix.certs_title", map[string]any{"N": 3})} {
		if !strings.Contains(text, squash(s)) {
			t.Errorf("appendix lacks %q", s)
		}
	}
	for _, v := range a.Vulnerabilities {
		if !strings.Contains(text, squash(v.Name+", "+v.CVE)) {
			t.Errorf("probe %s (%s) not printed with its CVE", v.Name, v.CVE)
		}
	}
	for _, v := range a.Vulnerabilities {
		detail := squash(prose(t, "appendix.vuln_detail", map[string]any{"Name": v.Name, "CVE": v.CVE, "Detail": v.Detail}))
		want := v.Status != "not_vulnerable"
		if strings.Contains(text, detail) != want {
			t.Errorf("%s (%s): detail shown = %v, want %v", v.Name, v.Status, !want, want)
		}
	}
	why := prose(t, "appendix.waived", map[string]any{"Titles": waived.Title})
	if !strings.Contains(text, squash(why)) || !strings.Contains(why, "RFC 7672") {
		t.Errorf("the appendix does not say the finding is waived and why: %q", why)
	}
	if !strings.Contains(text, squash(prose(t, "label.waived", nil)+waived.Message)) {
		t.Error("the remediation does not mark the waived finding")
	}
}
