package pdf

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/report"
)

// letterText renders the letters of r and returns each letter's text by
// domain, checking each letter's layout and page numbers.
func letterText(t *testing.T, r *report.Report) (map[string]string, []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "letters")
	paths, err := WriteLetters(dir, r, Options{Uncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	letters := report.Letters(r)
	if len(paths) != len(letters) {
		t.Fatalf("%d letters written, %d in the model", len(paths), len(letters))
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(paths) {
		t.Errorf("%d files in the letters directory, want %d (no temporary files left)", len(entries), len(paths))
	}
	out := map[string]string{}
	var order []string
	for i, l := range letters {
		data, err := os.ReadFile(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		p, err := parsePDF(data)
		if err != nil {
			t.Fatal(err)
		}
		checkLayout(t, p)
		for j, pg := range p.pages {
			if !strings.Contains(pg.text(), "Page "+itoa(j+1)+" of "+itoa(len(p.pages))+"\n") {
				t.Errorf("%s page %d: no page number", l.Domain, j+1)
			}
		}
		out[l.Domain] = squash(bodyText(p))
		order = append(order, l.Domain)
	}
	return out, order
}

func TestWriteLetters(t *testing.T) {
	r := *fx.second
	r.Org.Signatory = "Dana Reyes, Privacy Officer"
	r.Org.LetterBasis = "our business associate agreement (45 CFR 164.314(a))"
	texts, order := letterText(t, &r)
	// One letter per domain with a finding above info, in risk order.
	var want []string
	for _, v := range r.Vendors {
		if slices.Contains(want, v.Domain) {
			continue
		}
		for _, f := range r.Findings {
			if f.Domain == v.Domain && f.SeverityNum > 0 && !f.Accepted() {
				want = append(want, v.Domain)
				break
			}
		}
	}
	if len(want) == 0 {
		t.Fatal("fixture has no domain with findings above info")
	}
	var audited []string
	for _, d := range order {
		if l := letterOf(t, &r, d); !l.NotAudited {
			audited = append(audited, d)
		}
	}
	if !slices.Equal(audited, want) {
		t.Fatalf("letters to %q, want %q", audited, want)
	}
	checked, changed := false, false
	footer := regexp.MustCompile(regexp.QuoteMeta(squash(report.Clean(r.Org.Name))) + `·reference.*?Page\d+of\d+`)
	for _, l := range report.Letters(&r) {
		text := texts[l.Domain]
		for _, s := range append([]string{l.Ref, l.Domain, r.Org.Contact, r.Org.Name, r.Org.Signatory, r.Org.LetterBasis}, l.Vendors...) {
			// (the footer carries the reference too; the body must)
			if !strings.Contains(text, squash(report.Clean(s))) {
				t.Errorf("%s: letter lacks %q", l.Domain, s)
			}
		}
		for _, c := range l.Contacts {
			if !strings.Contains(text, squash(report.Clean(c))) {
				t.Errorf("%s: letter lacks the contact %q", l.Domain, c)
			}
		}
		// What changed since the last letter, in words, never a code.
		if l.ChangeText != "" {
			changed = true
			if !strings.Contains(text, squash(report.Clean(l.ChangeText))) {
				t.Errorf("%s: letter lacks the change %q", l.Domain, l.ChangeText)
			}
		}
		// A block may run over a page break: read it without the page
		// footers.
		body := footer.ReplaceAllString(text, "")
		for _, f := range l.Findings {
			// One block: what was seen, why, what to change, by when.
			for _, s := range []string{report.Clean(f.Message), f.Why, f.Remediation} {
				if !strings.Contains(body, squash(s)) {
					t.Errorf("%s: %s block lacks %q", l.Domain, f.Code, s)
				}
			}
			if f.SeverityNum >= 2 {
				due := findingDue(&r, Options{}, f).Format("2 January 2006")
				if !strings.Contains(text, squash(f.Title+", due by "+due)) {
					t.Errorf("%s: %s has no deadline %s", l.Domain, f.Code, due)
				}
			}
			if f.Host != "" && !strings.HasPrefix(f.Code, "MTASTS") && !strings.HasPrefix(f.Code, "DANE") {
				if !strings.Contains(text, squash("openssl s_client -starttls smtp -connect "+f.Host+":25")) {
					t.Errorf("%s: %s has no self-check command", l.Domain, f.Code)
				}
				checked = true
			}
		}
		hasReq := slices.ContainsFunc(l.Findings, required)
		if got := strings.Contains(text, squash("Required changes")); got != hasReq {
			t.Errorf("%s: required section shown = %v, want %v", l.Domain, got, hasReq)
		}
	}
	if !checked {
		t.Error("no finding on a host: the self-check command is untested")
	}
	if !changed {
		t.Error("no letter with a change since the last audit: the change sentence is untested")
	}
}

// bodyText joins the runs of the pages' bodies in drawing order, leaving
// out the running header and the footer, which a page break can place in
// the middle of a wrapped cell.
func bodyText(p *parsedPDF) string {
	top := (pageH - marginT) * ptPerMM
	low := (pageH - bodyBottom) * ptPerMM
	var b strings.Builder
	for _, pg := range p.pages {
		for _, r := range pg.runs {
			if r.y <= top && r.y >= low {
				b.WriteString(r.text)
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}

// letterOf is the model's letter about a domain.
func letterOf(t *testing.T, r *report.Report, domain string) report.Letter {
	t.Helper()
	for _, l := range report.Letters(r) {
		if l.Domain == domain {
			return l
		}
	}
	t.Fatalf("no letter about %s", domain)
	return report.Letter{}
}

// TestOneLetterPerDomain: two vendor rows on one mail domain get one
// letter naming both, with both contacts; a domain that could not be
// audited gets a letter asking to allow the audit.
func TestOneLetterPerDomain(t *testing.T) {
	r := *fx.second
	r.Vendors = slices.Clone(r.Vendors)
	var shared string
	for _, f := range r.Findings {
		if f.SeverityNum > 0 {
			shared = f.Domain
			break
		}
	}
	row := r.Vendors[slices.IndexFunc(r.Vendors, func(v report.VendorRow) bool { return v.Domain == shared })]
	twin := row
	twin.Vendor, twin.Contact = "Twin Subsidiary", "it@twin.example"
	r.Vendors = append(r.Vendors, twin)
	// A domain without findings above info whose servers did not answer.
	quiet := -1
	for i, v := range r.Vendors {
		if !slices.ContainsFunc(r.Findings, func(f report.Finding) bool { return f.Domain == v.Domain && f.SeverityNum > 0 }) {
			quiet = i
			break
		}
	}
	if quiet < 0 {
		t.Fatal("fixture has no domain without findings above info")
	}
	r.Vendors[quiet].Grade = "?"
	texts, order := letterText(t, &r)
	if n := strings.Count(strings.Join(order, "\n")+"\n", shared+"\n"); n != 1 {
		t.Fatalf("%d letters about %s, want 1", n, shared)
	}
	l := letterOf(t, &r, shared)
	if !slices.Contains(l.Vendors, row.Vendor) || !slices.Contains(l.Vendors, twin.Vendor) || !slices.Contains(l.Contacts, twin.Contact) {
		t.Errorf("letter about %s names %q (contacts %q), want both rows", shared, l.Vendors, l.Contacts)
	}
	for _, s := range []string{row.Vendor, twin.Vendor, twin.Contact} {
		if !strings.Contains(texts[shared], squash(report.Clean(s))) {
			t.Errorf("letter about %s lacks %q", shared, s)
		}
	}
	if l.Ref != report.LetterRef(r.Run.ID, shared) {
		t.Errorf("ref %s, want LetterRef(run, domain)", l.Ref)
	}
	q := letterOf(t, &r, r.Vendors[quiet].Domain)
	if !q.NotAudited {
		t.Fatalf("letter about %s is not a could-not-audit letter", q.Domain)
	}
	if !strings.Contains(texts[q.Domain], squash("Please allow the audit")) {
		t.Errorf("could-not-audit letter lacks the request to allow the audit")
	}
}

func TestWriteLettersDefaultDeadline(t *testing.T) {
	// Findings without a deadline of their own (no SLA for the severity)
	// get the organisation's, else the default.
	tests := []struct {
		name string
		days int
		want int
	}{
		{"organisation's deadline", 30, 30},
		{"default", 0, defaultRemediationDays},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := *fx.second
			r.Org.RemediationDays = tc.days
			r.Findings = slices.Clone(r.Findings)
			for i := range r.Findings {
				r.Findings[i].Due = nil
			}
			if got := remediationDays(&r); got != tc.want {
				t.Fatalf("remediationDays = %d, want %d", got, tc.want)
			}
			texts, _ := letterText(t, &r)
			due := fixedNow.AddDate(0, 0, tc.want).Format("2 January 2006")
			for d, text := range texts {
				if !strings.Contains(text, squash(due)) {
					t.Errorf("letter about %s does not give the deadline %s", d, due)
				}
			}
		})
	}
}

func TestWriteLettersUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteLetters(filepath.Join(file, "sub"), fx.second, Options{}); err == nil {
		t.Error("WriteLetters into a path under a file succeeded")
	}
}

// TestWriteLettersWithoutTitle: a configuration without a report title must
// still produce letters (the letter wording carries its own default title).
func TestWriteLettersWithoutTitle(t *testing.T) {
	r := *fx.second
	r.Org.Title = ""
	paths, err := WriteLetters(filepath.Join(t.TempDir(), "letters"), &r, Options{Uncompressed: true})
	if err != nil {
		t.Fatalf("letters without a title: %v", err)
	}
	if len(paths) == 0 {
		t.Fatal("no letters written")
	}
}

// TestLetterControls: a letter lists the profile controls the domain
// fails, with the exact record to publish.
func TestLetterControls(t *testing.T) {
	r := *fx.second
	texts, _ := letterText(t, &r)
	var l *report.Letter
	for _, x := range report.Letters(&r) {
		if x.Domain == "acme-billing.example" {
			l = &x
		}
	}
	if l == nil || len(l.Controls) == 0 {
		t.Fatalf("acme-billing.example: no failing controls in its letter: %+v", l)
	}
	text := texts["acme-billing.example"]
	want := "Publish: TXT at _dmarc.acme-billing.example: v=DMARC1; p=reject; rua=mailto:dmarc-reports@acme-billing.example"
	if !strings.Contains(text, squash(want)) || !strings.Contains(text, squash("Sender authentication: controls not met")) {
		t.Errorf("letter lacks the controls block or %q", want)
	}
	for _, c := range l.Controls {
		if !strings.Contains(text, squash(report.Clean(c.Reason))) {
			t.Errorf("letter lacks the reason %q", c.Reason)
		}
	}
}
