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

// englishPending lists, by file, the English the grader still builds into
// finding arguments (issue 15, not yet moved to templates). The list may
// only shrink: a literal named here that the source no longer has fails
// the test, so a moved sentence leaves the list with it.
var englishPending = map[string][]string{
	"address.go": {
		// untrustedReason: MTASTS_ENFORCE_MX_FAILS reasons.
		"the certificate is self-signed",
		"the server did not send the issuing certificate and it is not a trusted root",
		"the chain does not verify",
	},
	"multicert.go": {"the certificate served "}, // MTASTS_ENFORCE_MX_FAILS, other certificates
	"domain.go":    {" not looked up"},          // MX_NO_ADDRESS reason
	"suites.go": {
		// WEAK_DH and WEAK_DH_CRITICAL details, and a suite without a name.
		"unknown suite ",
		"export key exchange with ",
		"an elliptic curve",
		"-bit) with ",
		"-bit DH group with ",
	},
	"mtasts.go": {
		// MTASTS_ENFORCE_MX_FAILS reasons and MTASTS_POLICY_* reasons.
		"STARTTLS is not offered",
		"no TLS session can be set up",
		"neither TLS 1.2 nor TLS 1.3 is supported",
		"the certificate is not trusted (",
		"the certificate has expired",
		"the certificate is not yet valid",
		"the certificate is not valid for the MX host name",
		"the certificate names the MX host only in its common name, not in a subject alternative name",
		"status %d: a policy is only valid with status %d",
		"the policy is larger than the size limit",
		"no policy could be read",
		"no Content-Type",
	},
}

// TestGraderWritesNoEnglish reads every string literal of the grader's
// source: none may read as English words (a sentence a reader would see
// that the templates do not own), apart from error values (fmt.Errorf,
// errors.New) and the pending list above.
func TestGraderWritesNoEnglish(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := map[string][]string{}
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
			case *ast.ImportSpec, *ast.Field:
				return false // import paths, struct tags
			case *ast.CallExpr:
				if errorValue(n) {
					return false
				}
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil {
					t.Fatalf("%s: %v", fset.Position(n.Pos()), err)
				}
				if (!prose.MatchString(s) || slices.Contains(notProse, s)) && !slices.Contains(englishPending[name], s) {
					return true
				}
				found[name] = append(found[name], s)
				if !slices.Contains(englishPending[name], s) {
					t.Errorf("%s: the grader writes English %q: give the facts as arguments and the words to templates/findings.json or templates/phrases.json", fset.Position(n.Pos()), s)
				}
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no source file of the grader was read")
	}
	for name, list := range englishPending {
		for _, s := range list {
			if !slices.Contains(found[name], s) {
				t.Errorf("%s no longer has %q: remove it from englishPending", name, s)
			}
		}
	}
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
