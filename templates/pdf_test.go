package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// validity is the data of the appendix.validity block.
func validity(toExpiry, expired int) map[string]any {
	return map[string]any{"Cert": struct {
		NotBefore, NotAfter       time.Time
		DaysToExpiry, DaysExpired int
	}{time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), toExpiry, expired}}
}

func TestLoadPDFProseOverride(t *testing.T) {
	dir := t.TempDir()
	over := `{{define "summary.title"}}Résumé{{end}}{{define "extra"}}{{pct .}} {{plural 1 "day" "days"}} {{abs -3}}{{end}}`
	if err := os.WriteFile(filepath.Join(dir, PDFFile), []byte(over), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPDFProse(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		block string
		data  any
		want  string
	}{
		{"overridden block", "summary.title", nil, "Résumé"},
		{"embedded block kept", "vendors.title", nil, "Vendors by risk"},
		{"helpers", "extra", 0.714, "71% day 3"},
		{"date helper", "cover.generated", map[string]any{"Report": struct{ GeneratedAt time.Time }{time.Date(2026, 3, 1, 9, 5, 0, 0, time.UTC)}}, "2026-03-01 09:05 UTC"},
		{"expired days", "appendix.validity", validity(-11, 10), "2024-01-01 00:00 UTC to 2026-01-01 00:00 UTC (expired 10 days ago)"},
		{"expired today", "appendix.validity", validity(-1, 0), "2024-01-01 00:00 UTC to 2026-01-01 00:00 UTC (expired less than a day ago)"},
		{"days left", "appendix.validity", validity(1, 0), "2024-01-01 00:00 UTC to 2026-01-01 00:00 UTC (1 day left)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.Render(tc.block, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Render(%q) = %q, want %q", tc.block, got, tc.want)
			}
		})
	}
	if _, err := p.Render("no.such.block", nil); err == nil {
		t.Error("a missing block rendered")
	}
	if p.Has("no.such.block") || !p.Has("summary.title") {
		t.Error("Has reports wrongly")
	}
}

func TestLoadProseErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, LetterFile), []byte(`{{define "x"}}{{if}}{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadLetterProse(dir); err == nil || !strings.Contains(err.Error(), LetterFile) {
		t.Errorf("broken override: err = %v, want one naming %s", err, LetterFile)
	}
	if _, err := LoadLetterProse(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("a directory without overrides: %v", err)
	}
	p, err := LoadLetterProse("")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"letter.title", "letter.intro", "letter.deadline", "footer.left", "footer.page"} {
		if !p.Has(b) {
			t.Errorf("letter.tmpl lacks %q", b)
		}
	}
}

func TestLoadFrameworks(t *testing.T) {
	fw, err := LoadFrameworks("")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	always := 0
	for _, f := range fw {
		names[f.Name] = true
		if f.Always {
			always++
		}
		if len(f.Sections) == 0 || len(f.CitationPrefixes) == 0 {
			t.Errorf("framework %q has no sections or citation prefixes", f.Name)
		}
	}
	for _, n := range []string{"HIPAA", "GLBA", "NYDFS", "PCI DSS"} {
		if !names[n] {
			t.Errorf("no framework %q", n)
		}
	}
	if always != 1 {
		t.Errorf("%d always-listed frameworks, want 1 (the technical baselines)", always)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FrameworksFile), []byte(`[{"name":"X","sectoins":[]}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFrameworks(dir); err == nil {
		t.Error("a misspelt key in an override was accepted")
	}
	if err := os.WriteFile(filepath.Join(dir, FrameworksFile), []byte(`[{"name":"SOX","title":"SOX","citation_prefixes":["SOX"],"sections":[{"cite":"§404","topic":"controls"}]}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	fw, err = LoadFrameworks(dir)
	if err != nil || len(fw) != 1 || fw[0].Sections[0].Cite != "§404" {
		t.Errorf("override = %+v, %v", fw, err)
	}
}

func TestPDFFonts(t *testing.T) {
	fonts, err := PDFFonts()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{FontSans + "/", FontSans + "/B", FontMono + "/", FontDevanagari + "/", FontCJK + "/"}
	if len(fonts) != len(want) {
		t.Fatalf("%d fonts, want %d", len(fonts), len(want))
	}
	for i, f := range fonts {
		if got := f.Family + "/" + f.Style; got != want[i] {
			t.Errorf("font %d = %s, want %s", i, got, want[i])
		}
		if len(f.Data) < 1000 || string(f.Data[:4]) != "\x00\x01\x00\x00" {
			t.Errorf("font %d is not a TrueType file", i)
		}
	}
}
