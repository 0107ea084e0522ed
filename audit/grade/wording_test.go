package grade

import (
	"strings"
	"sync"
	"testing"

	"github.com/mxaudit/mxaudit/templates"
)

var (
	wordingOnce sync.Once
	wording     *templates.Set
	wordingErr  error
)

// message renders f's message from the embedded templates, as readers see
// it, and fails the test when it is missing, has a hole where an argument
// should be, or is not a sentence.
func message(t *testing.T, f Finding) string {
	t.Helper()
	wordingOnce.Do(func() { wording, wordingErr = templates.Default() })
	if wordingErr != nil {
		t.Fatalf("templates.Default: %v", wordingErr)
	}
	txt, err := wording.Finding(f.Code, f.Args)
	if err != nil {
		t.Fatalf("%s: %v", f.Code, err)
	}
	m := txt.Message
	for _, hole := range []string{"()", "( )", ": .", " ,", "  ", "<no value>"} {
		if strings.Contains(m, hole) {
			t.Errorf("%s renders with a hole (%q): %q (args %v)", f.Code, hole, m, f.Args)
		}
	}
	if !strings.HasSuffix(strings.TrimRight(m, ")\""), ".") {
		t.Errorf("%s message is not a sentence: %q", f.Code, m)
	}
	return m
}

// sayText renders a phrase the grader named as readers see it (as
// report.Say does: items first, joined into "items"), failing the test
// when its code has no wording. nil renders as "".
func sayText(t *testing.T, p *Phrase) string {
	t.Helper()
	if p == nil {
		return ""
	}
	wordingOnce.Do(func() { wording, wordingErr = templates.Default() })
	if wordingErr != nil {
		t.Fatalf("templates.Default: %v", wordingErr)
	}
	args := map[string]string{}
	for k, v := range p.Args {
		args[k] = v
	}
	if len(p.Items) > 0 {
		parts := make([]string, 0, len(p.Items))
		for i := range p.Items {
			parts = append(parts, sayText(t, &p.Items[i]))
		}
		args["items"] = strings.Join(parts, "; ")
	}
	s, err := wording.Phrase(p.Code, args)
	if err != nil {
		t.Fatalf("phrase %s: %v", p.Code, err)
	}
	return s
}
