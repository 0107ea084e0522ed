package grade

import (
	"maps"
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
	txt, err := wording.Finding(f.Code, wordedArgs(t, f))
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
	var items []string
	for i := range p.Items {
		items = append(items, sayText(t, &p.Items[i]))
	}
	s, err := wording.Phrase(p.Code, p.Args, items...)
	if err != nil {
		t.Fatalf("phrase %s: %v", p.Code, err)
	}
	return s
}

// wordedArgs is what f's wording is rendered with, as report.FindingArgs
// gives it: f.Args with each of f.Phrases rendered under its name.
func wordedArgs(t *testing.T, f Finding) map[string]string {
	t.Helper()
	if len(f.Phrases) == 0 {
		return f.Args
	}
	wordingOnce.Do(func() { wording, wordingErr = templates.Default() })
	if wordingErr != nil {
		t.Fatalf("templates.Default: %v", wordingErr)
	}
	args := maps.Clone(f.Args)
	if args == nil {
		args = map[string]string{}
	}
	for name, p := range f.Phrases {
		args[name] = sayText(t, &p)
	}
	return args
}
