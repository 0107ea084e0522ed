package grade_test

import (
	"regexp"
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

// TestFindingSentences renders every finding the sample evidence raises,
// under both policy versions, through the templates, and checks that each
// text reads as a sentence: no placeholder left empty or unrendered, no
// doubled word, no verb doubled by a missing relative clause ("the
// certificate mx (ip) presents expired on ..."), and a full stop at the end.
func TestFindingSentences(t *testing.T) {
	set, err := templates.Default()
	if err != nil {
		t.Fatalf("templates.Default: %v", err)
	}
	holes := []string{"<no value>", "%!", "()", "( )", ": .", " ,", "  ", "{{", "}}", "map[", "<nil>", " ;", "; ."}
	doubledVerb := regexp.MustCompile(`\b(presents|sends|offers|accepts|uses) (is|are|has|have|does|do|expired|expires|matches|was|were|chains)\b`)
	policies := []grade.Policy{grade.Default()}
	if v2, ok := grade.PolicyByName("v2"); ok {
		policies = append(policies, v2)
	}
	seen := map[string]bool{}
	for _, p := range policies {
		for _, d := range grade.SampleDomainsForTest() {
			for _, f := range grade.GradeDomain(d, p).Findings {
				txt, err := set.Finding(f.Code, f.Args)
				if err != nil {
					t.Errorf("%s: %v", f.Code, err)
					continue
				}
				for field, s := range map[string]string{"message": txt.Message, "remediation": txt.Remediation, "why": txt.Why} {
					key := f.Code + "|" + field + "|" + s
					if seen[key] {
						continue
					}
					seen[key] = true
					for _, h := range holes {
						if strings.Contains(s, h) {
							t.Errorf("%s %s has %q: %q (args %v)", f.Code, field, h, s, f.Args)
						}
					}
					if m := doubledVerb.FindString(s); m != "" {
						t.Errorf("%s %s doubles a verb (%q): %q", f.Code, field, m, s)
					}
					words := strings.Fields(s)
					for i := 1; i < len(words); i++ {
						if w := words[i]; len(w) > 1 && strings.IndexFunc(w, func(r rune) bool { return r < 'A' || r > 'z' }) < 0 && strings.EqualFold(w, words[i-1]) {
							t.Errorf("%s %s repeats %q: %q", f.Code, field, w, s)
						}
					}
					if end := strings.TrimRight(s, ")\""); !strings.HasSuffix(end, ".") {
						t.Errorf("%s %s does not end a sentence: %q", f.Code, field, s)
					}
				}
			}
		}
	}
}
