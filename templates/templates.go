// Package templates holds mxaudit's wording: finding titles, messages,
// remediation advice, the risk each finding carries and the standards it
// bears on. The text is embedded in the binary and can be overridden from a
// directory, so a compliance team can adapt it without a rebuild.
//
// Messages and remediation are text/template strings rendered with the
// finding's arguments. Arguments often come from remote servers (banners,
// certificate names): they are inserted as plain text, never interpreted as
// templates, and never HTML-escaped here; each output format escapes them.
package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
)

// FindingsFile is the name of the finding wording file, embedded and in an
// override directory.
const FindingsFile = "findings.json"

// missingKeyOption renders an argument the finding does not carry as empty text.
const missingKeyOption = "missingkey=zero"

// PhrasesFile is the name of the file of the other sentences the grader
// names (grade.Phrase: Forced-TLS reasons, A+, sender-authentication
// ratings, control titles and outcomes), embedded and in an override
// directory: a JSON object from phrase code to text/template.
const PhrasesFile = "phrases.json"

//go:embed findings.json methodology.json phrases.json
var embedded embed.FS

// Text is the rendered wording of one finding.
type Text struct {
	// Title is a short name for the finding.
	Title string
	// Message states what was observed, with the finding's arguments filled in.
	Message string
	// Remediation says what to change, with arguments filled in.
	Remediation string
	// Why explains the risk in one or two sentences.
	Why string
	// Standards are the rules the finding bears on, as section citations.
	Standards []string
	// Appeared and Cleared say in plain words what changed when the
	// finding appeared since the last run or cleared ("SSLv3 turned on",
	// "SSLv3 turned off"), for change sentences that never show codes.
	Appeared, Cleared string
}

// entry is one finding's wording as stored in findings.json.
type entry struct {
	Title       string   `json:"title"`
	Message     string   `json:"message"`
	Remediation string   `json:"remediation"`
	Why         string   `json:"why"`
	Appeared    string   `json:"appeared"`
	Cleared     string   `json:"cleared"`
	Standards   []string `json:"standards"`
}

// compiled is an entry with its templates parsed.
type compiled struct {
	entry
	message, remediation *template.Template
}

// Set is a loaded, validated collection of finding wording.
type Set struct {
	findings map[string]compiled
	phrases  map[string]*template.Template
	// phraseNames are the arguments each phrase's template names, sorted.
	phraseNames map[string][]string
}

// Default returns the embedded wording.
func Default() (*Set, error) {
	return Load("")
}

// Load returns the embedded wording overridden by the files present in dir.
// Every embedded file may be overridden; for findings.json the override is
// per finding code and per field: a code missing from the override, or a
// field left empty, keeps the embedded text, and new codes are added. An
// empty dir means no override. Files that exist but cannot be read or
// parsed are errors.
func Load(dir string) (*Set, error) {
	base, err := readEntries(embedded, FindingsFile)
	if err != nil {
		return nil, fmt.Errorf("embedded %s: %w", FindingsFile, err)
	}
	if dir != "" {
		over, err := readEntries(os.DirFS(dir), FindingsFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("override %s: %w", filepath.Join(dir, FindingsFile), err)
		default:
			merge(base, over)
		}
	}
	phrases, err := loadPhrases(dir)
	if err != nil {
		return nil, err
	}
	s := &Set{findings: make(map[string]compiled, len(base)), phrases: phrases, phraseNames: make(map[string][]string, len(phrases))}
	for code, t := range phrases {
		s.phraseNames[code] = templateFields(t)
	}
	for code, e := range base {
		c, err := compile(code, e)
		if err != nil {
			return nil, err
		}
		s.findings[code] = c
	}
	return s, nil
}

// readEntries reads and decodes one findings file, rejecting unknown fields
// so a misspelt key in an override is noticed.
func readEntries(fsys fs.FS, name string) (map[string]entry, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var out map[string]entry
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return out, nil
}

// merge lays the non-empty fields of over onto base.
func merge(base, over map[string]entry) {
	for code, o := range over {
		b := base[code]
		if o.Title != "" {
			b.Title = o.Title
		}
		if o.Message != "" {
			b.Message = o.Message
		}
		if o.Remediation != "" {
			b.Remediation = o.Remediation
		}
		if o.Why != "" {
			b.Why = o.Why
		}
		if o.Appeared != "" {
			b.Appeared = o.Appeared
		}
		if o.Cleared != "" {
			b.Cleared = o.Cleared
		}
		if o.Standards != nil {
			b.Standards = o.Standards
		}
		base[code] = b
	}
}

func compile(code string, e entry) (compiled, error) {
	if strings.TrimSpace(e.Title) == "" || strings.TrimSpace(e.Message) == "" {
		return compiled{}, fmt.Errorf("finding %s: title and message are required", code)
	}
	msg, err := template.New(code + ".message").Option(missingKeyOption).Parse(e.Message)
	if err != nil {
		return compiled{}, fmt.Errorf("finding %s: message: %w", code, err)
	}
	rem, err := template.New(code + ".remediation").Option(missingKeyOption).Parse(e.Remediation)
	if err != nil {
		return compiled{}, fmt.Errorf("finding %s: remediation: %w", code, err)
	}
	return compiled{entry: e, message: msg, remediation: rem}, nil
}

// Finding renders the wording of a finding code with its arguments. Unknown
// argument names render as empty text; an unknown code is an error.
func (s *Set) Finding(code string, args map[string]string) (Text, error) {
	c, ok := s.findings[code]
	if !ok {
		return Text{}, fmt.Errorf("unknown finding code %q", code)
	}
	if args == nil {
		args = map[string]string{}
	}
	msg, err := render(c.message, args)
	if err != nil {
		return Text{}, fmt.Errorf("finding %s: %w", code, err)
	}
	rem, err := render(c.remediation, args)
	if err != nil {
		return Text{}, fmt.Errorf("finding %s: %w", code, err)
	}
	return Text{
		Title:       c.Title,
		Message:     msg,
		Remediation: rem,
		Why:         c.Why,
		Standards:   slices.Clone(c.Standards),
		Appeared:    c.Appeared,
		Cleared:     c.Cleared,
	}, nil
}

// Change says in plain words that a finding appeared (appeared set) or
// cleared since the last run: the code's "appeared" or "cleared" wording.
// A code without it (an override's new code) is worded from its title:
// "Weak ciphers" appeared, "no longer: Weak ciphers". It never returns
// the code itself, and "" only for a code the set does not know.
func (s *Set) Change(code string, appeared bool) string {
	c, ok := s.findings[code]
	switch {
	case !ok:
		return ""
	case appeared && c.Appeared != "":
		return c.Appeared
	case !appeared && c.Cleared != "":
		return c.Cleared
	case appeared:
		return c.Title
	}
	return "no longer: " + c.Title
}

func render(t *template.Template, args map[string]string) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, args); err != nil {
		return "", fmt.Errorf("render %s: %w", t.Name(), err)
	}
	return b.String(), nil
}

// Codes lists the finding codes that have wording, sorted.
func (s *Set) Codes() []string {
	codes := make([]string, 0, len(s.findings))
	for code := range s.findings {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

// Params lists, sorted, the argument names that the message and
// remediation of a finding code refer to ({{.host}}, {{if .suites}}...),
// so a test can hold them against the arguments the grader sets: an
// argument the grader never sets would otherwise render as empty text.
// An unknown code is an error.
func (s *Set) Params(code string) ([]string, error) {
	c, ok := s.findings[code]
	if !ok {
		return nil, fmt.Errorf("unknown finding code %q", code)
	}
	seen := map[string]bool{}
	for _, t := range []*template.Template{c.message, c.remediation} {
		for _, tt := range t.Templates() {
			if tt.Tree != nil {
				fieldsOf(tt.Tree.Root, seen)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	slices.Sort(out)
	return out, nil
}

// fieldsOf adds the first name of every field (.name) under n to seen.
func fieldsOf(n parse.Node, seen map[string]bool) {
	switch n := n.(type) {
	case nil:
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			fieldsOf(c, seen)
		}
	case *parse.ActionNode:
		fieldsOf(n.Pipe, seen)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			fieldsOf(c, seen)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			fieldsOf(a, seen)
		}
	case *parse.FieldNode:
		if len(n.Ident) > 0 {
			seen[n.Ident[0]] = true
		}
	case *parse.ChainNode:
		fieldsOf(n.Node, seen)
	case *parse.IfNode:
		fieldsOf(&n.BranchNode, seen)
	case *parse.RangeNode:
		fieldsOf(&n.BranchNode, seen)
	case *parse.WithNode:
		fieldsOf(&n.BranchNode, seen)
	case *parse.BranchNode:
		fieldsOf(n.Pipe, seen)
		fieldsOf(n.List, seen)
		fieldsOf(n.ElseList, seen)
	case *parse.TemplateNode:
		fieldsOf(n.Pipe, seen)
	}
}

// loadPhrases reads the embedded phrases.json and lays the codes of the
// override in dir (if it has the file) over it, then compiles each.
func loadPhrases(dir string) (map[string]*template.Template, error) {
	base, err := readPhrases(embedded, PhrasesFile)
	if err != nil {
		return nil, fmt.Errorf("embedded %s: %w", PhrasesFile, err)
	}
	if dir != "" {
		over, err := readPhrases(os.DirFS(dir), PhrasesFile)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("override %s: %w", filepath.Join(dir, PhrasesFile), err)
		default:
			for code, text := range over {
				if strings.TrimSpace(text) != "" {
					base[code] = text
				}
			}
		}
	}
	out := make(map[string]*template.Template, len(base))
	for code, text := range base {
		t, err := template.New(code).Option(missingKeyOption).Funcs(phraseFuncs).Parse(text)
		if err != nil {
			return nil, fmt.Errorf("phrase %s: %w", code, err)
		}
		out[code] = t
	}
	return out, nil
}

func readPhrases(fsys fs.FS, name string) (map[string]string, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var out map[string]string
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return out, nil
}

// Items is the list a phrase is given as its argument "items": the
// rendered phrases listed inside it (each reason an enforced MTA-STS policy
// refuses an address for, each weak key exchange). Printed as it is
// ({{.items}}) it is the items joined with "; "; a template may instead
// range over it ({{range $i, $r := .items}}...{{end}}) or join it with
// another separator ({{join ", " .items}}).
type Items []string

// String joins the items with "; ".
func (l Items) String() string { return strings.Join(l, "; ") }

// phraseFuncs are the functions a phrase's template may call besides the
// built-in ones.
var phraseFuncs = template.FuncMap{
	// join joins a list argument with sep; any other value prints as it is.
	"join": func(sep string, v any) string {
		if l, ok := v.(Items); ok {
			return strings.Join(l, sep)
		}
		return fmt.Sprint(v)
	},
}

// Phrase renders the phrase code with its arguments and, when given, the
// rendered phrases listed in it (the argument "items", see Items); an
// unknown code is an error (the caller then shows what an older stored
// grade carried).
func (s *Set) Phrase(code string, args map[string]string, items ...string) (string, error) {
	t, ok := s.phrases[code]
	if !ok {
		return "", fmt.Errorf("unknown phrase %q", code)
	}
	// Every argument the template names is set, "" when absent, as for a
	// finding: a missing one prints nothing, never "<no value>".
	names := s.phraseNames[code]
	data := make(map[string]any, len(args)+len(names)+1)
	for _, k := range names {
		data[k] = ""
	}
	for k, v := range args {
		data[k] = v
	}
	if len(items) > 0 {
		data["items"] = Items(items)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("render %s: %w", t.Name(), err)
	}
	return b.String(), nil
}

// PhraseCodes lists the phrase codes that have wording, sorted.
func (s *Set) PhraseCodes() []string {
	codes := make([]string, 0, len(s.phrases))
	for code := range s.phrases {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

// PhraseParams lists, sorted, the argument names phrase code refers to,
// so they can be held against those the grader sets (grade.PhraseParams).
func (s *Set) PhraseParams(code string) ([]string, error) {
	names, ok := s.phraseNames[code]
	if !ok {
		return nil, fmt.Errorf("unknown phrase %q", code)
	}
	return slices.Clone(names), nil
}

// templateFields lists, sorted, the argument names t refers to.
func templateFields(t *template.Template) []string {
	seen := map[string]bool{}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			fieldsOf(tt.Tree.Root, seen)
		}
	}
	out := make([]string, 0, len(seen))
	for name := range seen {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}
