package grade_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/templates"
)

// TestEveryCodeHasTemplate checks that each code the grader can emit has
// wording, and that the grader's real findings render without holes.
func TestEveryCodeHasTemplate(t *testing.T) {
	set, err := templates.Default()
	if err != nil {
		t.Fatalf("templates.Default: %v", err)
	}
	for _, code := range grade.Codes() {
		t.Run(code, func(t *testing.T) {
			txt, err := set.Finding(code, map[string]string{"host": "mx.example.com", "ip": "192.0.2.1", "domain": "example.com"})
			if err != nil {
				t.Fatalf("no template: %v", err)
			}
			if txt.Title == "" || txt.Message == "" || txt.Remediation == "" || txt.Why == "" {
				t.Errorf("incomplete wording: %+v", txt)
			}
		})
	}

	emitted := map[string]bool{}
	for _, d := range grade.SampleDomainsForTest() {
		g := grade.GradeDomain(d, grade.Default())
		for _, f := range g.Findings {
			emitted[f.Code] = true
			if !slices.Contains(grade.Codes(), f.Code) {
				t.Errorf("emitted code %s is not in grade.Codes()", f.Code)
			}
			txt, err := set.Finding(f.Code, f.Args)
			if err != nil {
				t.Errorf("%s: %v", f.Code, err)
				continue
			}
			for _, hole := range []string{"()", "( )", ": .", " ,", "  "} {
				if strings.Contains(txt.Message, hole) {
					t.Errorf("%s renders with a missing argument (%q): %q (args %v)", f.Code, hole, txt.Message, f.Args)
				}
			}
		}
	}
	for _, code := range grade.Codes() {
		if !emitted[code] {
			t.Errorf("no sample evidence raises %s", code)
		}
	}
}
