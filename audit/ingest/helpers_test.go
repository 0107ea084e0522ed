package ingest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// sheetSpec describes one worksheet of a test workbook.
type sheetSpec struct {
	name string
	// rows[i] is spreadsheet row i+1; a nil row stays empty.
	rows [][]any
	// merges are ranges such as {"A2", "A3"}; the first cell's value shows in all.
	merges [][2]string
}

// makeXLSX writes a workbook with the given sheets, in order.
func makeXLSX(t testing.TB, sheets ...sheetSpec) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				t.Fatalf("SetSheetName: %v", err)
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			t.Fatalf("NewSheet(%q): %v", s.name, err)
		}
		for r, cells := range s.rows {
			if cells == nil {
				continue
			}
			if err := f.SetSheetRow(s.name, fmt.Sprintf("A%d", r+1), &cells); err != nil {
				t.Fatalf("SetSheetRow(%q, %d): %v", s.name, r+1, err)
			}
		}
		for _, m := range s.merges {
			if err := f.MergeCell(s.name, m[0], m[1]); err != nil {
				t.Fatalf("MergeCell(%q, %v): %v", s.name, m, err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	return buf.Bytes()
}

// rezip rewrites every part of a zip archive with the given method, passing
// each part's content through edit (which may be nil).
func rezip(t testing.TB, data []byte, method uint16, edit func(name string, content []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("zip.NewReader: %v", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("open %s: %v", f.Name, err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		if edit != nil {
			content = edit(f.Name, content)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method})
		if err != nil {
			t.Fatalf("create %s: %v", f.Name, err)
		}
		if _, err := w.Write(content); err != nil {
			t.Fatalf("write %s: %v", f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("zip close: %v", err)
	}
	return buf.Bytes()
}

// replacePart returns an edit for rezip that replaces old by new in one part,
// failing the test when old is not there.
func replacePart(t testing.TB, part, old, new string) func(string, []byte) []byte {
	return func(name string, content []byte) []byte {
		if name != part {
			return content
		}
		if !bytes.Contains(content, []byte(old)) {
			t.Fatalf("%s does not contain %q:\n%s", part, old, content)
		}
		return bytes.Replace(content, []byte(old), []byte(new), 1)
	}
}

// ids builds an Inputs map where each domain was written as itself.
func ids(domains ...string) map[string]string {
	m := make(map[string]string, len(domains))
	for _, d := range domains {
		m[d] = d
	}
	return m
}

// checkList asserts the properties every List has, whatever the input:
// domains re-normalise to themselves, indexes agree, values are bounded.
func checkList(t testing.TB, l *List) {
	t.Helper()
	if l.ByDomain == nil {
		t.Fatalf("ByDomain is nil")
	}
	seen := map[string]bool{}
	for _, d := range l.Domains {
		if seen[d] {
			t.Fatalf("Domains lists %q twice", d)
		}
		seen[d] = true
		if again, err := Domain(d); err != nil || again != d {
			t.Fatalf("Domain(%q) = %q, %v; want it unchanged", d, again, err)
		}
		if len(l.ByDomain[d]) == 0 {
			t.Fatalf("ByDomain[%q] is empty", d)
		}
	}
	if len(l.ByDomain) != len(l.Domains) {
		t.Fatalf("ByDomain has %d keys, Domains %d", len(l.ByDomain), len(l.Domains))
	}
	names := map[string]bool{}
	for i, v := range l.Vendors {
		key := strings.ToLower(v.Name)
		if v.Name == "" || names[key] {
			t.Fatalf("vendor %d has an empty or repeated name %q", i, v.Name)
		}
		names[key] = true
		if len(v.Domains) == 0 || len(v.Inputs) != len(v.Domains) || v.Row < 1 {
			t.Fatalf("vendor %d is incomplete: %+v", i, v)
		}
		for _, d := range v.Domains {
			if _, ok := v.Inputs[d]; !ok {
				t.Fatalf("vendor %d: no input for %q", i, d)
			}
			if !slices.Contains(l.ByDomain[d], i) {
				t.Fatalf("ByDomain[%q] = %v lacks vendor %d", d, l.ByDomain[d], i)
			}
		}
	}
	for _, idx := range l.ByDomain {
		if !slices.IsSorted(idx) {
			t.Fatalf("ByDomain index %v is not sorted", idx)
		}
	}
	for _, p := range l.Problems {
		if !utf8.ValidString(p.Value) || utf8.RuneCountInString(p.Value) > maxProblemValue || p.Message == "" {
			t.Fatalf("bad problem %+v", p)
		}
	}
}

// wantList compares the parts of a List a test specifies.
func wantList(t *testing.T, got *List, vendors []Vendor, problems []Problem) {
	t.Helper()
	checkList(t, got)
	if !reflect.DeepEqual(got.Vendors, vendors) {
		t.Errorf("vendors:\n got %+v\nwant %+v", got.Vendors, vendors)
	}
	if !reflect.DeepEqual(got.Problems, problems) {
		t.Errorf("problems:\n got %+v\nwant %+v", got.Problems, problems)
	}
}
