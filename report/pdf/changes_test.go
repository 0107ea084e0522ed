package pdf

import (
	"regexp"
	"strings"
	"testing"
)

// findingCode matches a finding code ("SSLV3_ENABLED").
var findingCode = regexp.MustCompile(`\b[A-Z0-9]+(_[A-Z0-9]+)+\b`)

// TestSummaryChangesInWords: no finding code appears anywhere in the
// executive summary or the changes lines, which name findings in words.
func TestSummaryChangesInWords(t *testing.T) {
	r := fx.second
	if len(r.Changes) == 0 {
		t.Fatal("the fixture's second run has no changes: nothing checked")
	}
	_, p := render(t, r, Options{})
	sp := summaryPage(t, p)
	next := prose(t, "programme.title", nil)
	var summary strings.Builder
	for i := sp; i < len(p.pages); i++ {
		txt := p.pages[i].text()
		if i > sp && (strings.HasPrefix(txt, next+"\n") || strings.Contains(txt, "\n"+next+"\n")) {
			break
		}
		summary.WriteString(txt)
	}
	if m := findingCode.FindAllString(summary.String(), -1); len(m) > 0 {
		t.Errorf("finding codes in the summary: %q", m)
	}
	for _, c := range r.Changes {
		if findingCode.MatchString(c.Text) {
			t.Errorf("a finding code in the change %q", c.Text)
		}
	}
}

// TestSummaryVendorChanges: the executive summary words each vendor's
// change as the model does (worse first, then better), capped, with the
// rest pointed to; and the demo fleet's summary still fits one page.
func TestSummaryVendorChanges(t *testing.T) {
	r, err := sampleReport()
	if err != nil {
		t.Fatalf("sample report: %v", err)
	}
	if len(r.VendorChanges) <= summaryChanges {
		t.Fatalf("the sample has %d vendor changes: the cap is not exercised", len(r.VendorChanges))
	}
	_, p := render(t, r, Options{})
	sp := summaryPage(t, p)
	txt := strings.Join(strings.Fields(p.pages[sp].text()), " ")
	if !strings.Contains(txt, prose(t, "summary.changes_title", map[string]any{"Base": r.Base})) {
		t.Errorf("no vendor-change heading on the summary page:\n%s", txt)
	}
	var shown int
	for _, c := range r.VendorChanges {
		// The sentence may wrap: compare its first words.
		head := strings.Join(strings.Fields(c.Text)[:5], " ")
		if strings.Contains(txt, head) {
			shown++
			continue
		}
		if c.Bad {
			t.Errorf("the change for the worse %q is not on the summary page", c.Text)
		}
	}
	if shown != summaryChanges {
		t.Errorf("%d vendor changes on the summary page, want %d", shown, summaryChanges)
	}
	more := prose(t, "summary.changes_more", map[string]any{"Left": len(r.VendorChanges) - summaryChanges})
	if !strings.Contains(txt, more) {
		t.Errorf("no %q on the summary page", more)
	}
	if next := prose(t, "programme.title", nil); !strings.Contains(p.pages[sp+1].text(), next) {
		t.Errorf("the executive summary runs over its page: page %d does not open with %q", sp+2, next)
	}
}

// TestAppendixListColumns: the vendor list's contact and notes appear with
// the domain's evidence, each vendor named where a domain has several.
func TestAppendixListColumns(t *testing.T) {
	r, err := sampleReport()
	if err != nil {
		t.Fatalf("sample report: %v", err)
	}
	_, p := render(t, r, Options{})
	var all strings.Builder
	for _, pg := range p.pages {
		all.WriteString(strings.Join(strings.Fields(pg.text()), " "))
		all.WriteString(" ")
	}
	txt := all.String()
	var contacts, notes int
	perDomain := map[string]int{}
	for _, v := range r.Vendors {
		perDomain[v.Domain]++
	}
	for _, v := range r.Vendors {
		if v.Domain == "" || (v.Contact == "" && v.Notes == "") {
			continue
		}
		if perDomain[v.Domain] > 1 && v.Contact != "" {
			if !strings.Contains(txt, v.Vendor+": "+v.Contact) {
				t.Errorf("contact of %s on the shared domain %s not named with the vendor", v.Vendor, v.Domain)
			}
		}
		if v.Contact != "" {
			contacts++
			if !strings.Contains(txt, v.Contact) {
				t.Errorf("contact %q of %s not in the PDF", v.Contact, v.Vendor)
			}
		}
		if v.Notes != "" {
			notes++
			// Notes may wrap: their first three words.
			head := strings.Join(strings.Fields(v.Notes)[:min(3, len(strings.Fields(v.Notes)))], " ")
			if !strings.Contains(txt, head) {
				t.Errorf("notes %q of %s not in the PDF", v.Notes, v.Vendor)
			}
		}
	}
	if contacts == 0 || notes == 0 {
		t.Fatalf("the sample has %d contacts and %d notes on audited domains: nothing checked", contacts, notes)
	}
}
