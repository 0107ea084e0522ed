package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemplateErrors: a syntax error names the file and line when the
// templates are loaded; a block naming a field its data lacks is an error
// naming the file and line, never "<no value>" and never a dump of the data.
func TestTemplateErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, PDFFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("\n\n{{define \"cover.title\"}}{{if}}{{end}}\n")
	_, err := LoadPDFProse(dir)
	if err == nil || !strings.Contains(err.Error(), PDFFile+":3") {
		t.Fatalf("syntax error: %v; want it to name %s:3", err, PDFFile)
	}

	write("{{define \"cover.title\"}}\nTitle {{.Missing}}{{end}}\n{{define \"cover.other\"}}{{.Run.Nope}}{{end}}\n")
	p, err := LoadPDFProse(dir)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 10000)
	out, err := p.Render("cover.title", map[string]any{"Present": big})
	if err == nil || strings.Contains(out, "<no value>") {
		t.Fatalf("missing key rendered %q, %v; want an error", out, err)
	}
	if !strings.Contains(err.Error(), PDFFile+":2") || !strings.Contains(err.Error(), "Missing") {
		t.Errorf("error %q does not name %s:2 and the field", err, PDFFile)
	}
	type run struct{ ID int }
	_, err = p.Render("cover.other", struct{ Run run }{Run: run{ID: 7}})
	if err == nil || !strings.Contains(err.Error(), "Nope") || !strings.Contains(err.Error(), PDFFile+":3") {
		t.Errorf("missing field: %v", err)
	}
	for _, e := range []error{err} {
		if len(e.Error()) > maxErrorText+100 || strings.Contains(e.Error(), big[:100]) {
			t.Errorf("error carries the data: %d bytes", len(e.Error()))
		}
	}
}
