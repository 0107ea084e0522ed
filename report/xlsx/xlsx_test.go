package xlsx

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/reporttest"
)

// hostileOrg is the organisation name of the fixture reports: text that
// Excel would take for a formula.
const hostileOrg = "=cmd|' /C calc'!A0"

// fixtureNow is the generation time of the fixture reports.
func fixtureNow() time.Time { return time.Date(2026, time.April, 1, 8, 0, 0, 0, time.UTC) }

// rendered is a report and its workbook, reopened.
type rendered struct {
	name string
	r    *report.Report
	raw  []byte
	f    *excelize.File
}

// fixtureSet is built once, on first use: the two runs of the reporttest
// fleet and a small synthetic report. (Lazily, so that fuzz workers, which
// need none of it, do not audit the fleet.)
var fixtureSet struct {
	once sync.Once
	all  []*rendered
	err  error
}

// allFixtures returns the rendered fixtures, building them on first use.
func allFixtures(t testing.TB) []*rendered {
	t.Helper()
	fixtureSet.once.Do(func() { fixtureSet.all, fixtureSet.err = buildFixtures() })
	if fixtureSet.err != nil {
		t.Fatalf("fixtures: %v", fixtureSet.err)
	}
	return fixtureSet.all
}

func buildFixtures() ([]*rendered, error) {
	dir, err := os.MkdirTemp("", "xlsx-test-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path, run1, run2, err := reporttest.Build(dir)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	ctx := context.Background()
	store, err := db.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var out []*rendered
	for _, run := range []struct {
		name string
		id   int64
	}{{"fixture run 2", run2}, {"fixture run 1", run1}} {
		r, err := report.Build(ctx, store, run.id, report.Options{Org: report.Org{Name: hostileOrg, Title: "Vendor mail TLS"},
			ToolVersion: "test", Now: fixtureNow})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", run.name, err)
		}
		defer r.Close()
		// Rendered as mxaudit renders it, reading each domain from the
		// database; the tests then check the cells against every view.
		fx, err := render(run.name, r, maxDataRows)
		if err != nil {
			return nil, err
		}
		if len(r.Domains) != 0 {
			return nil, fmt.Errorf("%s: built report holds %d domain views in memory", run.name, len(r.Domains))
		}
		if err := r.LoadDomains(); err != nil {
			return nil, err
		}
		// The workbook was written from the spool; the checks read the
		// rows from the slices.
		if err := r.LoadRows(); err != nil {
			return nil, err
		}
		out = append(out, fx)
	}
	fx, err := render("synthetic", syntheticReport(synthDomains), maxDataRows)
	if err != nil {
		return nil, err
	}
	return append(out, fx), nil
}

// synthDomains is the size of the synthetic fixture.
const synthDomains = 5

func render(name string, r *report.Report, maxRows int) (*rendered, error) {
	var buf bytes.Buffer
	if err := write(&buf, r, maxRows); err != nil {
		return nil, fmt.Errorf("%s: write: %w", name, err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("%s: reopen: %w", name, err)
	}
	return &rendered{name: name, r: r, raw: buf.Bytes(), f: f}, nil
}

func fixture(t *testing.T, name string) *rendered {
	t.Helper()
	for _, fx := range allFixtures(t) {
		if fx.name == name {
			return fx
		}
	}
	t.Fatalf("no fixture %q", name)
	return nil
}

// colOf is the column letter of a header in a sheet of r.
func colOf(t *testing.T, r *report.Report, sheet, header string) string {
	t.Helper()
	for _, d := range sheets(r) {
		if d.name != sheet {
			continue
		}
		for i, c := range d.cols {
			if c.header == header {
				name, err := excelize.ColumnNumberToName(i + 1)
				if err != nil {
					t.Fatal(err)
				}
				return name
			}
		}
	}
	t.Fatalf("sheet %s has no column %q", sheet, header)
	return ""
}

func cell(t *testing.T, f *excelize.File, sheet, ref string) string {
	t.Helper()
	v, err := f.GetCellValue(sheet, ref)
	if err != nil {
		t.Fatalf("%s!%s: %v", sheet, ref, err)
	}
	return v
}

func styleOf(t *testing.T, f *excelize.File, sheet, ref string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatalf("%s!%s style: %v", sheet, ref, err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatalf("%s!%s style %d: %v", sheet, ref, id, err)
	}
	return st
}

// fillOf is the fill colour of a style, upper case without '#'.
func fillOf(st *excelize.Style) string {
	if len(st.Fill.Color) == 0 {
		return ""
	}
	return strings.ToUpper(strings.TrimPrefix(st.Fill.Color[0], "#"))
}

// zipEntry reads one part of the workbook package.
func zipEntry(t *testing.T, raw []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name != name {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	t.Fatalf("workbook has no part %s", name)
	return ""
}

// wantSheets is the workbook's sheet order.
func wantSheets() []string {
	return []string{"Summary", "Vendors", "By owner", "MX hosts", "Cipher suites", "Findings", "Changes", "Input problems", "Tracker", "Exceptions", "Control matrix"}
}

func TestSheetNamesAndOrder(t *testing.T) {
	for _, fx := range allFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			got := fx.f.GetSheetList()
			if strings.Join(got, "|") != strings.Join(wantSheets(), "|") {
				t.Fatalf("sheets = %q, want %q", got, wantSheets())
			}
			if idx := fx.f.GetActiveSheetIndex(); idx != 0 {
				t.Errorf("active sheet = %d, want 0 (Summary)", idx)
			}
		})
	}
}

func TestHeaderBoldAndFrozen(t *testing.T) {
	for _, fx := range allFixtures(t) {
		for _, d := range sheets(fx.r) {
			t.Run(fx.name+"/"+d.name, func(t *testing.T) {
				for i, c := range d.cols {
					ref, _ := excelize.CoordinatesToCellName(i+1, 1)
					if got := cell(t, fx.f, d.name, ref); got != c.header {
						t.Errorf("%s = %q, want %q", ref, got, c.header)
					}
					st := styleOf(t, fx.f, d.name, ref)
					if st.Font == nil || !st.Font.Bold {
						t.Errorf("%s header is not bold", ref)
					}
					if got := fillOf(st); got != headerFill {
						t.Errorf("%s header fill = %q, want %q", ref, got, headerFill)
					}
				}
				panes, err := fx.f.GetPanes(d.name)
				if err != nil {
					t.Fatal(err)
				}
				top, _ := excelize.CoordinatesToCellName(d.freezeCols+1, 2)
				if !panes.Freeze || panes.YSplit != 1 || panes.XSplit != d.freezeCols || panes.TopLeftCell != top {
					t.Errorf("panes = %+v, want frozen at %s", panes, top)
				}
			})
		}
	}
}

// countRows counts a sheet's data rows from the model, independently of
// the sheet declarations.
func countRows(r *report.Report, sheet string) int {
	switch sheet {
	case sheetSummary:
		n := 0
		_ = summaryRows(r, func(...any) error { n++; return nil })
		return n
	case sheetVendors, sheetByOwner:
		return len(r.Vendors)
	case sheetMX:
		n := 0
		for _, d := range r.Domains {
			for _, mx := range d.MX {
				n += max(1, len(mx.Addresses))
			}
		}
		return n
	case sheetSuites:
		// Each distinct probe once: by its ref, or by its content for a
		// view made in memory without one.
		n, seen := 0, map[string]bool{}
		for _, d := range r.Domains {
			for _, mx := range d.MX {
				for _, a := range mx.Addresses {
					key := a.ProbeRef
					if key == "" {
						b, _ := json.Marshal(a.ProbeView)
						key = a.IP + string(b)
					}
					if seen[key] {
						continue
					}
					seen[key] = true
					for _, v := range a.Versions {
						n += len(v.Suites)
					}
				}
			}
		}
		return n
	case sheetFindings:
		return len(r.Findings)
	case sheetChanges:
		return len(r.Changes)
	case sheetProblems:
		return len(r.Problems)
	case sheetTracker:
		n := 0
		for _, f := range r.Findings {
			if f.SeverityNum > 0 && f.Status != "resolved" { // open, reopened, accepted (or not judged)
				n++
			}
		}
		return n
	case sheetExceptions:
		if r.Programme == nil {
			return 0
		}
		return len(r.Programme.Exceptions)
	case sheetControls:
		n := 0
		if r.Programme != nil {
			for _, vc := range r.Programme.Controls {
				for _, fw := range vc.Frameworks {
					n += len(fw.Controls)
				}
			}
		}
		return n
	}
	return -1
}

func TestRowCountsAndAutofilter(t *testing.T) {
	autoFilter := regexp.MustCompile(`<autoFilter ref="([$A-Z0-9]+:[$A-Z0-9]+)"`)
	for _, fx := range allFixtures(t) {
		for i, d := range sheets(fx.r) {
			t.Run(fx.name+"/"+d.name, func(t *testing.T) {
				want := countRows(fx.r, d.name)
				rows, err := fx.f.GetRows(d.name)
				if err != nil {
					t.Fatal(err)
				}
				// The Summary's grade table may run below its figures.
				if got := len(rows) - 1; d.name != sheetSummary && got != want {
					t.Errorf("%d data rows, want %d", got, want)
				}
				lastCol, _ := excelize.ColumnNumberToName(len(d.cols))
				wantRef := fmt.Sprintf("A1:%s%d", lastCol, want+1)
				xml := zipEntry(t, fx.raw, fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1))
				m := autoFilter.FindStringSubmatch(xml)
				if m == nil {
					t.Fatalf("no autofilter in %s", d.name)
				}
				if got := strings.ReplaceAll(m[1], "$", ""); got != wantRef {
					t.Errorf("autofilter %s, want %s", got, wantRef)
				}
				for _, c := range d.cols {
					col := colOf(t, fx.r, d.name, c.header)
					w, err := fx.f.GetColWidth(d.name, col)
					if err != nil {
						t.Fatal(err)
					}
					if w != c.colWidth() || w < c.width {
						t.Errorf("column %s width %v, want %v (at least %v)", col, w, c.colWidth(), c.width)
					}
					// The header is never cut: its longest word fits, and
					// it fits on the two lines the header row wraps to.
					longest := 0
					for _, word := range strings.Fields(c.header) {
						longest = max(longest, len([]rune(word)))
					}
					if w < float64(longest) || 2*w < float64(len([]rune(c.header))) {
						t.Errorf("column %s (%q) width %v cuts its header", col, c.header, w)
					}
				}
			})
		}
	}
	// The fleet fixture must exercise every table, or the counts prove little.
	fx := fixture(t, "fixture run 2")
	for _, s := range []string{sheetVendors, sheetMX, sheetSuites, sheetFindings, sheetChanges, sheetProblems} {
		if countRows(fx.r, s) == 0 {
			t.Errorf("fixture has no rows for %s", s)
		}
	}
}

// rowOf is the sheet row (1-based) whose column col holds want.
func rowOf(t *testing.T, f *excelize.File, sheet, col, want string) int {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := excelize.ColumnNameToNumber(col)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		if len(row) >= idx && row[idx-1] == want {
			return i + 1
		}
	}
	t.Fatalf("%s: no row with %s = %q", sheet, col, want)
	return 0
}

// assertText checks that a cell holds want as a string cell, not a
// formula, with the text number format.
func assertText(t *testing.T, f *excelize.File, sheet, ref, want string) {
	t.Helper()
	if got := cell(t, f, sheet, ref); got != want {
		t.Errorf("%s!%s = %q, want %q", sheet, ref, got, want)
	}
	formula, err := f.GetCellFormula(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	if formula != "" {
		t.Errorf("%s!%s has formula %q", sheet, ref, formula)
	}
	typ, err := f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	if typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
		t.Errorf("%s!%s type = %v, want a string type", sheet, ref, typ)
	}
	if st := styleOf(t, f, sheet, ref); st.NumFmt != numFmtText {
		t.Errorf("%s!%s number format = %d, want %d (text)", sheet, ref, st.NumFmt, numFmtText)
	}
}

func TestHostileStringsAreText(t *testing.T) {
	fx := fixture(t, "fixture run 2")
	r, f := fx.r, fx.f
	var banner string
	for _, d := range r.Domains {
		if d.Domain == "hostile.example" && len(d.MX) > 0 && len(d.MX[0].Addresses) > 0 {
			banner = d.MX[0].Addresses[0].Banner
		}
	}
	if !strings.Contains(banner, reporttest.HostileBanner[0]) {
		t.Fatalf("fixture banner %q lacks the hostile line", banner)
	}
	vendorRow := rowOf(t, f, sheetVendors, colOf(t, r, sheetVendors, "Domain"), "hostile.example")
	mxRow := rowOf(t, f, sheetMX, colOf(t, r, sheetMX, "Domain"), "hostile.example")
	findingRow := rowOf(t, f, sheetFindings, colOf(t, r, sheetFindings, "Domain"), "hostile.example")
	tests := []struct {
		name, sheet, ref, want string
	}{
		{"vendor", sheetVendors, colOf(t, r, sheetVendors, "Vendor") + strconv.Itoa(vendorRow), "'=SUM(A1:A9)"},
		{"owner", sheetVendors, colOf(t, r, sheetVendors, "Owner") + strconv.Itoa(vendorRow), "'@evil"},
		{"tier", sheetVendors, colOf(t, r, sheetVendors, "Tier") + strconv.Itoa(vendorRow), "'-1"},
		{"banner", sheetMX, colOf(t, r, sheetMX, "Banner") + strconv.Itoa(mxRow), report.Clean(banner)},
		{"finding vendor", sheetFindings, colOf(t, r, sheetFindings, "Vendors") + strconv.Itoa(findingRow), "'=SUM(A1:A9)"},
		{"organisation", sheetSummary, "B" + strconv.Itoa(rowOf(t, f, sheetSummary, "A", "Organisation")), quoted(hostileOrg)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertText(t, f, tt.sheet, tt.ref, tt.want)
		})
	}
	t.Run("banner escapes", func(t *testing.T) {
		got := cell(t, f, sheetMX, colOf(t, r, sheetMX, "Banner")+strconv.Itoa(mxRow))
		first := strings.ReplaceAll(reporttest.HostileBanner[0], "\x1b", `\x1b`)
		if !strings.Contains(got, first) || !strings.Contains(got, reporttest.HostileBanner[1]) {
			t.Errorf("banner %q lacks the hostile lines shown literally", got)
		}
		if strings.ContainsRune(got, 0x1b) {
			t.Errorf("banner %q contains a raw escape", got)
		}
	})
}

func TestSyntheticCells(t *testing.T) {
	fx := fixture(t, "synthetic")
	r, f := fx.r, fx.f
	col := func(sheet, header string) string { return colOf(t, r, sheet, header) }
	longBanner := cell(t, f, sheetMX, col(sheetMX, "Banner")+"2")
	t.Run("banner capped", func(t *testing.T) {
		if n := len(utf16.Encode([]rune(longBanner))); n != excelize.TotalCellChars {
			t.Errorf("banner is %d UTF-16 units, want %d", n, excelize.TotalCellChars)
		}
		if !strings.HasSuffix(longBanner, string(truncMark)) || !strings.HasPrefix(longBanner, "220 =abc =abc") {
			t.Errorf("banner %q... not cut with a mark", longBanner[:20])
		}
	})
	texts := []struct {
		name, sheet, ref, want string
	}{
		{"certificate subject", sheetMX, col(sheetMX, "Certificate subject") + "2", synthSubject},
		{"certificate issuer", sheetMX, col(sheetMX, "Certificate issuer") + "2", `@SUM(1+1)\x00\x07\u202eevil`},
		{"xml-forbidden characters", sheetMX, col(sheetMX, "DANE (address)") + "2", `\ufffe\uffff`},
		{"owner", sheetVendors, col(sheetVendors, "Owner") + "2", synthOwner},
		{"tags", sheetVendors, col(sheetVendors, "Tags") + "2", synthTags},
		{"problem value", sheetProblems, col(sheetProblems, "Value") + "2", "=1+1"},
		{"date before 1900", sheetMX, col(sheetMX, "Certificate expiry (UTC)") + "5", "1850-01-01T00:00:00Z"},
		{"host without address", sheetMX, col(sheetMX, "Probe status") + "6", "No address"},
		{"not determined", sheetMX, col(sheetMX, "Protocols not determined") + "3", "SSLv3 inconclusive, TLSv1.0 not tested"},
		{"supported", sheetMX, col(sheetMX, "Protocols supported") + "3", "TLSv1.2, TLSv1.3"},
		{"yes", sheetSuites, col(sheetSuites, "Weak") + "9", "yes"},
		{"no", sheetSuites, col(sheetSuites, "Weak") + "8", "no"},
		{"organisation", sheetSummary, "B2", "=Org()"},
	}
	for _, tt := range texts {
		t.Run(tt.name, func(t *testing.T) { assertText(t, f, tt.sheet, tt.ref, quoted(tt.want)) })
	}
	numbers := []struct {
		name, sheet, ref string
		want             float64
	}{
		{"findings", sheetVendors, col(sheetVendors, "Findings") + "2", 3},
		{"preference", sheetMX, col(sheetMX, "Preference") + "4", 20},
		{"days left", sheetMX, col(sheetMX, "Days left at audit") + "2", 120},
		{"connections", sheetMX, col(sheetMX, "Connections") + "2", 14},
		{"connections of a host without address", sheetMX, col(sheetMX, "Connections") + "6", 0},
		{"bits", sheetSuites, col(sheetSuites, "Bits") + "9", 112},
		{"server order", sheetSuites, col(sheetSuites, "Server order position") + "9", 8},
		{"problem row", sheetProblems, col(sheetProblems, "Row") + "2", 12},
		{"share", sheetSummary, "B" + strconv.Itoa(rowOf(t, f, sheetSummary, "A", "Share of vendors eligible for Forced TLS")), 0.25},
		{"run", sheetSummary, "B" + strconv.Itoa(rowOf(t, f, sheetSummary, "A", "Run")), 7},
	}
	for _, tt := range numbers {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := f.GetCellValue(tt.sheet, tt.ref, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			got, err := strconv.ParseFloat(raw, 64)
			if err != nil || got != tt.want {
				t.Errorf("%s!%s = %q, want the number %v", tt.sheet, tt.ref, raw, tt.want)
			}
			typ, err := f.GetCellType(tt.sheet, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
				t.Errorf("%s!%s type = %v, want a number", tt.sheet, tt.ref, typ)
			}
		})
	}
	empty := []struct{ name, sheet, ref string }{
		{"client order has no position", sheetSuites, col(sheetSuites, "Server order position") + "10"},
		{"unknown problem row", sheetProblems, col(sheetProblems, "Row") + "3"},
		{"empty string", sheetMX, col(sheetMX, "Probe error") + "2"},
	}
	for _, tt := range empty {
		t.Run(tt.name, func(t *testing.T) {
			if got := cell(t, f, tt.sheet, tt.ref); got != "" {
				t.Errorf("%s!%s = %q, want empty", tt.sheet, tt.ref, got)
			}
		})
	}
}

func TestDateCells(t *testing.T) {
	fx := fixture(t, "synthetic")
	r, f := fx.r, fx.f
	tests := []struct {
		name, sheet, ref string
		want             time.Time
		format, shown    string
	}{
		{"earliest expiry", sheetVendors, colOf(t, r, sheetVendors, "Earliest certificate expiry (UTC)") + "2", synthExpiry, dateFormat, "2026-06-30"},
		{"certificate expiry", sheetMX, colOf(t, r, sheetMX, "Certificate expiry (UTC)") + "2", synthExpiry, dateFormat, "2026-06-30"},
		{"probed at", sheetMX, colOf(t, r, sheetMX, "Probed at (UTC)") + "2", synthStarted, timeFormat, "2026-03-02 03:04:05"},
		{"run started", sheetSummary, "B" + strconv.Itoa(rowOf(t, f, sheetSummary, "A", "Run started (UTC)")), synthStarted, timeFormat, "2026-03-02 03:04:05"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := f.GetCellValue(tt.sheet, tt.ref, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			serial, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				t.Fatalf("%s!%s = %q, not a number", tt.sheet, tt.ref, raw)
			}
			got, err := excelize.ExcelDateToTime(serial, false)
			if err != nil {
				t.Fatal(err)
			}
			if d := got.Sub(tt.want); d > time.Second || d < -time.Second {
				t.Errorf("%s!%s = %v, want %v", tt.sheet, tt.ref, got, tt.want)
			}
			st := styleOf(t, f, tt.sheet, tt.ref)
			if st.CustomNumFmt == nil || *st.CustomNumFmt != tt.format {
				t.Errorf("%s!%s format = %v, want %q", tt.sheet, tt.ref, st.CustomNumFmt, tt.format)
			}
			if shown := cell(t, f, tt.sheet, tt.ref); shown != tt.shown {
				t.Errorf("%s!%s shows %q, want %q", tt.sheet, tt.ref, shown, tt.shown)
			}
		})
	}
}

func TestGradeFills(t *testing.T) {
	fills := gradeFills()
	for _, fx := range allFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			gradeCol := colOf(t, fx.r, sheetVendors, "Grade")
			seen := map[string]bool{}
			for i, v := range fx.r.Vendors {
				ref := gradeCol + strconv.Itoa(i+2)
				if got := cell(t, fx.f, sheetVendors, ref); got != v.Grade {
					t.Errorf("%s = %q, want %q", ref, got, v.Grade)
				}
				want, ok := fills[v.Grade]
				if !ok {
					want = unknownFill
				}
				if got := fillOf(styleOf(t, fx.f, sheetVendors, ref)); got != want {
					t.Errorf("%s grade %s fill = %s, want %s", ref, v.Grade, got, want)
				}
				seen[v.Grade] = true
			}
			if len(seen) < 3 {
				t.Errorf("only grades %v in the fixture: the colours are barely tested", seen)
			}
		})
	}
	t.Run("green to red", func(t *testing.T) {
		if fills["A+"] == fills["F"] || fills["F"] != "F8696B" || fills["A+"] != "63BE7B" || fills["?"] != unknownFill {
			t.Errorf("fills = %v", fills)
		}
	})
}

// quoted is how a text is stored: with a leading apostrophe when it
// begins like a formula (=, +, -, @, tab, carriage return).
func quoted(s string) string {
	if s != "" && strings.Contains("=+-@\t\r", s[:1]) {
		return "'" + s
	}
	return s
}

// readable is an internal value as the workbook words it.
var readableWords = map[string]string{
	"eligible": "Eligible", "not_eligible": "Not eligible", "unknown": "Unknown",
	"absent": "Absent", "enforce": "Enforce", "testing": "Testing", "none": "None", "invalid": "Invalid",
	"valid": "Valid", "unusable": "Unusable", "not checked": "Not checked",
}

func readable(s string) string {
	if w, ok := readableWords[s]; ok {
		return w
	}
	return s
}

func TestVendorRows(t *testing.T) {
	fx := fixture(t, "fixture run 2")
	r, f := fx.r, fx.f
	cols := map[string]string{}
	for _, h := range []string{"Vendor", "Domain", "Forced TLS", "Change since last run", "MTA-STS", "DANE", "Findings"} {
		cols[h] = colOf(t, r, sheetVendors, h)
	}
	for i, v := range r.Vendors {
		row := strconv.Itoa(i + 2)
		want := map[string]string{"Vendor": quoted(report.Clean(v.Vendor)), "Domain": v.Domain, "Forced TLS": readable(v.ForcedTLS),
			"Change since last run": v.Change, "MTA-STS": readable(v.MTASTS), "DANE": readable(v.DANE), "Findings": strconv.Itoa(v.Findings)}
		for h, w := range want {
			if got := cell(t, f, sheetVendors, cols[h]+row); got != w {
				t.Errorf("row %s %s = %q, want %q", row, h, got, w)
			}
		}
	}
}

func TestSummaryChart(t *testing.T) {
	for _, fx := range allFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			grades := fx.r.Summary.Grades
			vendors := map[string]int{}
			for _, g := range fx.r.Summary.VendorGrades {
				vendors[g.Grade] = g.Count
			}
			for i, g := range grades {
				row := strconv.Itoa(i + 2)
				if got := cell(t, fx.f, sheetSummary, "D"+row); got != g.Grade {
					t.Errorf("D%s = %q, want %q", row, got, g.Grade)
				}
				if got := cell(t, fx.f, sheetSummary, "E"+row); got != strconv.Itoa(g.Count) {
					t.Errorf("E%s = %q, want %d", row, got, g.Count)
				}
				if got := cell(t, fx.f, sheetSummary, "F"+row); got != strconv.Itoa(vendors[g.Grade]) {
					t.Errorf("F%s = %q, want %d", row, got, vendors[g.Grade])
				}
			}
			chart := html.UnescapeString(zipEntry(t, fx.raw, "xl/charts/chart1.xml"))
			last := len(grades) + 1
			for _, ref := range []string{
				fmt.Sprintf("'Summary'!$D$2:$D$%d", last),
				fmt.Sprintf("'Summary'!$E$2:$E$%d", last),
				fmt.Sprintf("'Summary'!$F$2:$F$%d", last),
				"Grade distribution",
			} {
				if !strings.Contains(chart, ref) {
					t.Errorf("chart lacks %q", ref)
				}
			}
			if rels := zipEntry(t, fx.raw, "xl/worksheets/_rels/sheet1.xml.rels"); !strings.Contains(rels, "drawing") {
				t.Errorf("Summary does not reference a drawing: %s", rels)
			}
		})
	}
}

func TestRowLimit(t *testing.T) {
	const limit = 2
	r := syntheticReport(3)
	fx, err := render("limited", r, limit)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sheet string
		total int
	}{
		{sheetVendors, 3},
		{sheetFindings, 9},
		{sheetProblems, 2},
	}
	for i, d := range sheets(r) {
		for _, tt := range tests {
			if tt.sheet != d.name {
				continue
			}
			t.Run(tt.sheet, func(t *testing.T) {
				rows, err := fx.f.GetRows(tt.sheet)
				if err != nil {
					t.Fatal(err)
				}
				omitted := tt.total - limit
				wantRows := 1 + limit
				if omitted > 0 {
					wantRows++
				}
				if len(rows) != wantRows {
					t.Fatalf("%d rows, want %d", len(rows), wantRows)
				}
				if omitted > 0 {
					want := fmt.Sprintf(omittedText, omitted, limit)
					if rows[len(rows)-1][0] != want {
						t.Errorf("last row %q, want %q", rows[len(rows)-1][0], want)
					}
				}
				lastCol, _ := excelize.ColumnNumberToName(len(d.cols))
				want := fmt.Sprintf(`<autoFilter ref="$A$1:$%s$%d"`, lastCol, limit+1)
				if xml := zipEntry(t, fx.raw, fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)); !strings.Contains(xml, want) {
					t.Errorf("no %s", want)
				}
			})
		}
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.xlsx")
	if err := WriteFile(path, fixture(t, "synthetic").r); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, "|") != strings.Join(wantSheets(), "|") {
		t.Errorf("sheets = %q", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the report", len(entries))
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name string
		run  func() error
	}{
		{"nil report", func() error { return Write(io.Discard, nil) }},
		{"missing directory", func() error {
			return WriteFile(filepath.Join(t.TempDir(), "missing", "r.xlsx"), syntheticReport(1))
		}},
		{"failing writer", func() error { return Write(failWriter{}, syntheticReport(1)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); err == nil {
				t.Error("no error")
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

func TestCellText(t *testing.T) {
	long := strings.Repeat("a", excelize.TotalCellChars+10)
	astral := strings.Repeat("😀", excelize.TotalCellChars/2+1) // two UTF-16 units each
	tests := []struct {
		name, in, want string
	}{
		{"plain", "mx.example.com", "mx.example.com"},
		{"formula stays as is", "=SUM(A1:A9)", "=SUM(A1:A9)"},
		{"control characters", "a\x1b[2Jb\r\n", `a\x1b[2Jb\x0d\x0a`},
		{"bidi override", "abc\u202edef", `abc\u202edef`},
		{"invalid utf-8", "a\xffb", `a\xffb`},
		{"xml noncharacters", "a\ufffeb\uffff", `a\ufffeb\uffff`},
		{"ooxml escape", "_x001B_", `\x5fx001B_`},
		{"chained ooxml escapes", "_x0041_x202E_", `\x5fx0041\x5fx202E_`},
		{"upper-case ooxml escape", "a_X0041_", `a\x5fX0041_`},
		{"not an ooxml escape", "_x004G_ _x12345_ mx_host", "_x004G_ _x12345_ mx_host"},
		{"at the limit", long[:excelize.TotalCellChars], long[:excelize.TotalCellChars]},
		{"over the limit", long, long[:excelize.TotalCellChars-1] + string(truncMark)},
		{"astral over the limit", astral, strings.Repeat("😀", (excelize.TotalCellChars-1)/2) + string(truncMark)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cellText(tt.in)
			if got != tt.want {
				t.Errorf("cellText = %.40q (len %d), want %.40q (len %d)", got, len(got), tt.want, len(tt.want))
			}
			if n := len(utf16.Encode([]rune(got))); n > excelize.TotalCellChars {
				t.Errorf("%d UTF-16 units", n)
			}
		})
	}
}

// TestSuitesOncePerProbe: domains sharing a provider's addresses list the
// suites of each address once in the Cipher suites sheet, and each row of
// the MX sheet names its probe as that sheet does, so one filters the other.
func TestSuitesOncePerProbe(t *testing.T) {
	r := syntheticReport(synthDomains)
	shared := r.Domains[0].MX
	for i := range r.Domains {
		r.Domains[i].MX = shared
	}
	fx, err := render("shared", r, maxDataRows)
	if err != nil {
		t.Fatal(err)
	}
	suites, err := fx.f.GetRows(sheetSuites)
	if err != nil {
		t.Fatal(err)
	}
	perAddress := 0
	for _, v := range shared[0].Addresses[0].Versions {
		perAddress += len(v.Suites)
	}
	addresses := 0
	for _, mx := range shared {
		addresses += len(mx.Addresses)
	}
	if perAddress == 0 || len(suites)-1 != addresses*perAddress {
		t.Fatalf("%d suite rows for %d addresses shared by %d domains, want %d", len(suites)-1, addresses, synthDomains, addresses*perAddress)
	}
	probeCol, err := excelize.ColumnNameToNumber(colOf(t, r, sheetSuites, "Probe"))
	if err != nil {
		t.Fatal(err)
	}
	ipCol, _ := excelize.ColumnNameToNumber(colOf(t, r, sheetSuites, "IP"))
	probes := map[string]string{} // probe → IP
	for _, row := range suites[1:] {
		if len(row[probeCol-1]) != probeIDLen {
			t.Fatalf("probe %q is not a %d-digit ref", row[probeCol-1], probeIDLen)
		}
		probes[row[probeCol-1]] = row[ipCol-1]
	}
	if len(probes) != addresses {
		t.Errorf("%d probes in the suites sheet, want %d", len(probes), addresses)
	}
	mx, err := fx.f.GetRows(sheetMX)
	if err != nil {
		t.Fatal(err)
	}
	mxProbe, _ := excelize.ColumnNameToNumber(colOf(t, r, sheetMX, "Probe"))
	mxIP, _ := excelize.ColumnNameToNumber(colOf(t, r, sheetMX, "IP"))
	rowsPerDomain := 0
	for _, m := range shared {
		rowsPerDomain += max(1, len(m.Addresses))
	}
	if len(mx)-1 != synthDomains*rowsPerDomain {
		t.Fatalf("%d MX rows, want one per domain and address (%d)", len(mx)-1, synthDomains*rowsPerDomain)
	}
	for _, row := range mx[1:] {
		if len(row) < mxIP || row[mxIP-1] == "" {
			continue // a host without an address names no probe
		}
		if ip, ok := probes[row[mxProbe-1]]; !ok || ip != row[mxIP-1] {
			t.Errorf("MX row %v names probe %q, not in the suites sheet for %s", row[:3], row[mxProbe-1], row[mxIP-1])
		}
	}
}
