package grade_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// prose matches a string that reads as English words: two lower-case
// words in a row ("the certificate", "with status"). Codes, identifiers,
// names and citations ("NIST SP 800-177r1", "POODLE (CVE-2014-3566)"),
// version names and record syntax ("v=spf1 -all") do not.
var prose = regexp.MustCompile(`\b[a-z]{2,}\b[ ,;:()]+\b[a-z]{2,}\b`)

// notProse are literals the pattern takes for words that no reader sees
// as a sentence: DNS record syntax the grader suggests publishing, and
// the text of a TLS library error it recognises.
var notProse = []string{"v=DMARC1; p=reject; rua=", "remote error"}

// fragment matches a piece of a sentence: a lower-case word at an edge
// or between spaces (" and ", "TXT at "). Joined with + to other text,
// such a literal builds English however short it is.
var fragment = regexp.MustCompile(`(^|\s)[a-z]{2,}(\s|$)`)

// TestGraderWritesNoEnglish reads every string literal of the grader's
// source: none may read as English words (a sentence a reader would see
// that the templates do not own), nor be a piece of a sentence joined to
// other text with +, apart from error values (fmt.Errorf, errors.New):
// every such sentence belongs to templates/findings.json or
// templates/phrases.json, with the facts as arguments (issue 15).
func TestGraderWritesNoEnglish(t *testing.T) {
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
		for _, e := range englishIn(t, fset, f) {
			t.Errorf("%s: the grader writes English %q: give the facts as arguments and the words to templates/findings.json or templates/phrases.json", e.pos, e.text)
		}
	}
	if checked == 0 {
		t.Fatal("no source file of the grader was read")
	}
}

// TestEnglishDetector: the check above finds the English the grader used
// to write (whole sentences, sentences built with +), and lets codes,
// record syntax and error values through; a detector that finds nothing
// would let English creep back unseen.
func TestEnglishDetector(t *testing.T) {
	const src = `package x
func f(name, via, host string, n int) {
	_ = []string{"the certificate has expired"}
	_ = "the certificate served " + via + ": " + name
	_ = "unknown suite " + name
	_ = "TXT at " + host
	_ = name + " and " + itoa(n) + " more"
	_ = "A" + " not looked up"
	_ = fmt.Errorf("cannot read %s: %w", name, err)
	_ = errors.New("no policy could be read")
	_ = "v=DMARC1; p=reject; rua="
	_ = "mtasts_enforce.no_starttls"
	_ = "{" + name + "}"
	_ = "_dmarc." + host
	_ = "NIST SP 800-177r1"
	_ = "not_looked_up"
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range englishIn(t, fset, f) {
		got = append(got, e.text)
	}
	want := []string{"the certificate has expired", "the certificate served ", "unknown suite ", "TXT at ", " and ", " more", " not looked up"}
	if !slices.Equal(got, want) {
		t.Errorf("found %q, want %q", got, want)
	}
}

// english is a string literal of the grader that reads as English.
type english struct {
	pos  token.Position
	text string
}

// englishIn lists the literals of f that read as English: prose, or a
// fragment of a sentence joined with +. Import paths, struct tags and
// error values are skipped.
func englishIn(t *testing.T, fset *token.FileSet, f *ast.File) []english {
	t.Helper()
	var out []english
	joined := map[*ast.BasicLit]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ImportSpec, *ast.Field:
			return false // import paths, struct tags
		case *ast.CallExpr:
			if errorValue(n) {
				return false
			}
		case *ast.BinaryExpr:
			if n.Op == token.ADD {
				for _, e := range []ast.Expr{n.X, n.Y} {
					if lit, ok := e.(*ast.BasicLit); ok {
						joined[lit] = true
					}
				}
			}
		case *ast.BasicLit:
			if n.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(n.Value)
			if err != nil {
				t.Fatalf("%s: %v", fset.Position(n.Pos()), err)
			}
			if slices.Contains(notProse, s) {
				return true
			}
			if prose.MatchString(s) || joined[n] && fragment.MatchString(s) {
				out = append(out, english{fset.Position(n.Pos()), s})
			}
		}
		return true
	})
	return out
}

// errorValue reports whether call builds an error (fmt.Errorf,
// errors.New), whose text goes to logs and callers, not to a report.
func errorValue(call *ast.CallExpr) bool {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && (pkg.Name == "fmt" && sel.Sel.Name == "Errorf" || pkg.Name == "errors" && sel.Sel.Name == "New")
}

// TestPhraseCodesInSource: every phrase code written in the grader's
// source (say("..."), Phrase{Code: "..."}, the domain's inconclusive
// reasons) is one grade.PhraseCodes lists, so each has wording checked by
// TestEveryPhraseHasWording.
func TestPhraseCodesInSource(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		check := func(e ast.Expr) {
			lit, ok := e.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return
			}
			code, _ := strconv.Unquote(lit.Value)
			n++
			if !grade.KnownPhrase(code) {
				t.Errorf("%s: phrase %q is not in grade.PhraseCodes()", fset.Position(lit.Pos()), code)
			}
		}
		ast.Inspect(f, func(node ast.Node) bool {
			switch node := node.(type) {
			case *ast.CallExpr:
				if id, ok := node.Fun.(*ast.Ident); ok && (id.Name == "say" || id.Name == "inconclusive") && len(node.Args) > 0 {
					check(node.Args[0])
				}
			case *ast.CompositeLit:
				if id, ok := node.Type.(*ast.Ident); ok && id.Name == "Phrase" {
					for _, e := range node.Elts {
						if kv, ok := e.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Code" {
								check(kv.Value)
							}
						}
					}
				}
			}
			return true
		})
	}
	if n == 0 {
		t.Fatal("no phrase code found in the grader's source")
	}
}
