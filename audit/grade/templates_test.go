package grade_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/report"
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
			txt, err := set.Finding(f.Code, report.FindingArgs(set, f.Args, f.Phrases))
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
				txt, err := set.Finding(f.Code, report.FindingArgs(set, f.Args, f.Phrases))
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

// TestTemplateParamsAreSet holds templates/findings.json to the grader's
// arguments: a template that refers to an argument the grader never sets
// for its code would print nothing in its place, so it fails here.
func TestTemplateParamsAreSet(t *testing.T) {
	set, err := templates.Default()
	if err != nil {
		t.Fatalf("templates.Default: %v", err)
	}
	for _, code := range set.Codes() {
		declared := grade.Params(code)
		if declared == nil {
			t.Errorf("%s has wording but the grader declares no arguments for it (grade.Params)", code)
			continue
		}
		if !slices.Contains(declared, "domain") {
			t.Errorf("%s: grade.Params lacks domain, which every finding carries", code)
		}
		used, err := set.Params(code)
		if err != nil {
			t.Fatalf("%s: %v", code, err)
		}
		for _, p := range used {
			if !slices.Contains(declared, p) && !slices.Contains(grade.LegacyParams(code), p) {
				t.Errorf("%s: the wording uses {{.%s}}, which the grader never sets (grade.Params: %v)", code, p, declared)
			}
		}
	}
}

// TestGraderSetsDeclaredArgs checks the other side of the contract on every
// finding the sample evidence raises under both policies: only declared
// arguments are set, each declared argument is set by some finding, and no
// finding or cap carries an English sentence of the grader's own.
func TestGraderSetsDeclaredArgs(t *testing.T) {
	policies := []grade.Policy{grade.Default()}
	if v2, ok := grade.PolicyByName("v2"); ok {
		policies = append(policies, v2)
	}
	set := map[string]map[string]bool{}
	for _, p := range policies {
		for _, d := range grade.SampleDomainsForTest() {
			g := grade.GradeDomain(d, p)
			for _, f := range g.Findings {
				if f.Reason != "" {
					t.Errorf("%s on %s carries a sentence of the grader: %q", f.Code, d.Domain, f.Reason)
				}
				declared := grade.Params(f.Code)
				if set[f.Code] == nil {
					set[f.Code] = map[string]bool{}
				}
				for k := range f.Phrases {
					set[f.Code][k] = true
					if !slices.Contains(declared, k) {
						t.Errorf("%s on %s sets worded argument %q, not in grade.Params (%v)", f.Code, d.Domain, k, declared)
					}
				}
				for k := range f.Args {
					set[f.Code][k] = true
					if !slices.Contains(declared, k) {
						t.Errorf("%s on %s sets argument %q, not in grade.Params (%v)", f.Code, d.Domain, k, declared)
					}
				}
			}
			for _, c := range allCaps(g) {
				if c.Reason != "" {
					t.Errorf("cap %s on %s carries a sentence of the grader: %q", c.Code, d.Domain, c.Reason)
				}
			}
		}
	}
	for _, code := range grade.Codes() {
		for _, p := range grade.Params(code) {
			if !set[code][p] {
				t.Errorf("%s: grade.Params declares %q but no sample finding sets it", code, p)
			}
		}
	}
}

func allCaps(g grade.DomainGrade) []grade.Cap {
	cs := append([]grade.Cap(nil), g.Caps...)
	for _, m := range g.MX {
		cs = append(cs, m.Caps...)
		for _, a := range m.Addresses {
			cs = append(cs, a.Caps...)
		}
	}
	return cs
}

// TestGraderWritesNoSentence reads the grader's source: no finding, cap or
// deduction is given a Reason other than one read back from a stored
// finding (f.Reason), so every word a reader sees about a finding comes
// from the templates.
func TestGraderWritesNoSentence(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				id, ok := n.Type.(*ast.Ident)
				if !ok || (id.Name != "Finding" && id.Name != "Cap" && id.Name != "Deduction") {
					return true
				}
				for _, e := range n.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Reason" && !storedReason(kv.Value) {
						t.Errorf("%s: %s{Reason: ...} writes a sentence; put the facts in Args and the words in templates/findings.json", fset.Position(kv.Pos()), id.Name)
					}
				}
			case *ast.AssignStmt:
				for _, l := range n.Lhs {
					if s, ok := l.(*ast.SelectorExpr); ok && s.Sel.Name == "Reason" {
						if x, ok := s.X.(*ast.Ident); ok && (x.Name == "f" || x.Name == "c") {
							t.Errorf("%s: assigns a finding's Reason", fset.Position(n.Pos()))
						}
					}
				}
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no source file of the grader was read")
	}
}

// storedReason reports whether e only copies a stored finding's Reason
// (f.Reason), the one use the grader keeps for grades of older versions.
func storedReason(e ast.Expr) bool {
	s, ok := e.(*ast.SelectorExpr)
	return ok && s.Sel.Name == "Reason"
}

// TestEveryPhraseHasWording holds templates/phrases.json to the grader's
// phrases: every code the grader can write has wording that uses only the
// arguments the grader sets for it, and every phrase the sample evidence
// raises (under both policies) has a known code, sets only declared
// arguments and renders as text without a hole.
func TestEveryPhraseHasWording(t *testing.T) {
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range grade.PhraseCodes() {
		used, err := set.PhraseParams(code)
		if err != nil {
			t.Errorf("%s: %v", code, err)
			continue
		}
		for _, p := range used {
			if !slices.Contains(grade.PhraseParams(code), p) {
				t.Errorf("phrase %s uses {{.%s}}, which the grader never sets (%v)", code, p, grade.PhraseParams(code))
			}
		}
	}
	for _, code := range set.PhraseCodes() {
		if !grade.KnownPhrase(code) {
			t.Errorf("phrases.json words %s, which the grader never writes", code)
		}
	}
	policies := []grade.Policy{grade.Default()}
	if v2, ok := grade.PolicyByName("v2"); ok {
		policies = append(policies, v2)
	}
	seen := map[string]bool{}
	var check func(where string, p *grade.Phrase) string
	check = func(where string, p *grade.Phrase) string {
		if p == nil {
			return ""
		}
		seen[p.Code] = true
		if !grade.KnownPhrase(p.Code) {
			t.Errorf("%s: phrase %s is not in grade.PhraseCodes()", where, p.Code)
		}
		args := map[string]string{}
		for k, v := range p.Args {
			args[k] = v
			if !slices.Contains(grade.PhraseParams(p.Code), k) {
				t.Errorf("%s: phrase %s sets %q, not declared (%v)", where, p.Code, k, grade.PhraseParams(p.Code))
			}
		}
		var items []string
		for i := range p.Items {
			items = append(items, check(where, &p.Items[i]))
		}
		s, err := set.Phrase(p.Code, args, items...)
		if err != nil {
			t.Errorf("%s: %v", where, err)
		}
		for _, h := range []string{"<no value>", "()", "( )", " ,", "  ", "{{", "map["} {
			if strings.Contains(s, h) {
				t.Errorf("%s: phrase %s renders with %q: %q (args %v)", where, p.Code, h, s, args)
			}
		}
		if strings.TrimSpace(s) == "" {
			t.Errorf("%s: phrase %s renders empty (args %v)", where, p.Code, args)
		}
		return s
	}
	for _, p := range policies {
		for _, d := range append(grade.SampleDomainsForTest(), nil) {
			g := grade.GradeDomain(d, p)
			where := g.Domain
			check(where, g.ForcedTLSWhy)
			if g.SenderAuth != nil {
				check(where, g.SenderAuth.Why)
			}
			for _, fw := range g.Frameworks {
				for _, c := range fw.Controls {
					check(where+" "+c.ID, &grade.Phrase{Code: "title." + c.ID})
					check(where+" "+c.ID, c.Why)
					check(where+" "+c.ID, c.PublishWhy)
				}
			}
			for _, m := range g.MX {
				for _, a := range m.Addresses {
					check(where+" "+a.IP, a.ForcedTLSWhy)
					check(where+" "+a.IP, a.APlusWhy)
				}
			}
			for _, f := range g.Findings {
				for name, p := range f.Phrases {
					if head := grade.PhraseArg(f.Code, name); head != p.Code {
						t.Errorf("%s %s: argument %q is worded by %s, want %q (grade.PhraseArg)", where, f.Code, name, p.Code, head)
					}
					check(where+" "+f.Code+" "+name, &p)
				}
			}
		}
	}
	if len(seen) == 0 {
		t.Fatal("the sample evidence raised no phrase")
	}
}
