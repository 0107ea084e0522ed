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
