package pdf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/report"
)

func TestWriteLetters(t *testing.T) {
	r := fx.second
	dir := filepath.Join(t.TempDir(), "letters")
	paths, err := WriteLetters(dir, r, Options{Uncompressed: true})
	if err != nil {
		t.Fatal(err)
	}
	// One letter per vendor with a finding above info, in risk order.
	var want []string
	used := map[string]bool{}
	for _, v := range vendorOrder(r) {
		for _, f := range findingsOf(r, v) {
			if f.SeverityNum > 0 {
				want = append(want, filepath.Join(dir, letterFileName(v, used)))
				break
			}
		}
	}
	if len(want) == 0 || len(want) == len(vendorOrder(r)) {
		t.Fatalf("fixture should have vendors with and without findings above info (%d of %d)", len(want), len(vendorOrder(r)))
	}
	if strings.Join(paths, "\n") != strings.Join(want, "\n") {
		t.Fatalf("letters = %q, want %q", paths, want)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("%d files in the letters directory, want %d (no temporary files left)", len(entries), len(want))
	}
	due := letterDue(r, Options{}).Format("2 January 2006")
	for i, v := range lettersVendors(r) {
		t.Run(v, func(t *testing.T) {
			data, err := os.ReadFile(paths[i])
			if err != nil {
				t.Fatal(err)
			}
			p, err := parsePDF(data)
			if err != nil {
				t.Fatal(err)
			}
			checkLayout(t, p)
			text := squash(p.allText())
			for _, s := range []string{v, due, r.Org.Contact, r.Org.Name} {
				if !strings.Contains(text, squash(s)) {
					t.Errorf("letter lacks %q", s)
				}
			}
			for _, f := range findingsOf(r, v) {
				has := strings.Contains(text, squash(f.Title+" ("+f.Severity+"): "+report.Clean(f.Message)))
				if has != (f.SeverityNum > 0) {
					t.Errorf("finding %s (%s) listed = %v", f.Code, f.Severity, has)
				}
			}
			n := len(p.pages)
			for j, pg := range p.pages {
				if !strings.Contains(pg.text(), "Page "+itoa(j+1)+" of "+itoa(n)+"\n") {
					t.Errorf("page %d: no page number", j+1)
				}
			}
		})
	}
}

// lettersVendors lists the vendors that get a letter, in order.
func lettersVendors(r *report.Report) []string {
	var out []string
	for _, v := range vendorOrder(r) {
		for _, f := range findingsOf(r, v) {
			if f.SeverityNum > 0 {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

func TestWriteLettersDeadline(t *testing.T) {
	tests := []struct {
		name string
		days int
		want int
	}{
		{"organisation's deadline", 30, 30},
		{"default", 0, defaultRemediationDays},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := *fx.second
			r.Org.RemediationDays = tc.days
			if got := remediationDays(&r); got != tc.want {
				t.Fatalf("remediationDays = %d, want %d", got, tc.want)
			}
			dir := t.TempDir()
			paths, err := WriteLetters(dir, &r, Options{Uncompressed: true})
			if err != nil || len(paths) == 0 {
				t.Fatalf("WriteLetters: %v, %d letters", err, len(paths))
			}
			data, err := os.ReadFile(paths[0])
			if err != nil {
				t.Fatal(err)
			}
			p, err := parsePDF(data)
			if err != nil {
				t.Fatal(err)
			}
			due := fixedNow.AddDate(0, 0, tc.want).Format("2 January 2006")
			if !strings.Contains(squash(p.allText()), squash(due)) {
				t.Errorf("letter does not give the deadline %s", due)
			}
		})
	}
}

func TestWriteLettersUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteLetters(filepath.Join(file, "sub"), fx.second, Options{}); err == nil {
		t.Error("WriteLetters into a path under a file succeeded")
	}
}

// TestWriteLettersWithoutTitle: a configuration without a report title must
// still produce letters (the letter wording carries its own default title).
func TestWriteLettersWithoutTitle(t *testing.T) {
	r := *fx.second
	r.Org.Title = ""
	paths, err := WriteLetters(filepath.Join(t.TempDir(), "letters"), &r, Options{Uncompressed: true})
	if err != nil {
		t.Fatalf("letters without a title: %v", err)
	}
	if len(paths) == 0 {
		t.Fatal("no letters written")
	}
}
