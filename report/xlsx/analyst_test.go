package xlsx

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/xuri/excelize/v2"
)

// TestNoTextBeginsLikeAFormula reopens every workbook and reads every
// cell: no text cell begins with a character that would make it a formula
// once saved as CSV; the ones that did carry a leading apostrophe.
func TestNoTextBeginsLikeAFormula(t *testing.T) {
	quotedSeen := 0
	for _, fx := range allFixtures(t) {
		for _, sheet := range fx.f.GetSheetList() {
			rows, err := fx.f.GetRows(sheet, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			for i, row := range rows {
				for j, v := range row {
					if v == "" {
						continue
					}
					ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
					typ, err := fx.f.GetCellType(sheet, ref)
					if err != nil {
						t.Fatal(err)
					}
					if typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
						continue
					}
					if strings.ContainsAny(v[:1], "=+-@\t\r") {
						t.Errorf("%s %s!%s = %q begins like a formula", fx.name, sheet, ref, v)
					}
					if strings.HasPrefix(v, "'") && len(v) > 1 && strings.ContainsAny(v[1:2], "=+-@") {
						quotedSeen++
					}
				}
			}
		}
	}
	if quotedSeen == 0 {
		t.Fatal("no hostile text in the fixtures: nothing checked")
	}
}

// TestPrintSetup: every sheet prints landscape, fitted to one page wide,
// with its header row repeated and the run and page in the margins; its
// dimension is the range written.
func TestPrintSetup(t *testing.T) {
	dimension := regexp.MustCompile(`<dimension ref="([A-Z0-9:]+)"`)
	for _, fx := range allFixtures(t) {
		for i, d := range sheets(fx.r) {
			t.Run(fx.name+"/"+d.name, func(t *testing.T) {
				lay, err := fx.f.GetPageLayout(d.name)
				if err != nil {
					t.Fatal(err)
				}
				if lay.Orientation == nil || *lay.Orientation != "landscape" || lay.FitToWidth == nil || *lay.FitToWidth != 1 ||
					lay.FitToHeight == nil || *lay.FitToHeight != 0 {
					t.Errorf("page layout %+v, want landscape, 1 page wide", lay)
				}
				props, err := fx.f.GetSheetProps(d.name)
				if err != nil {
					t.Fatal(err)
				}
				if props.FitToPage == nil || !*props.FitToPage {
					t.Error("sheet not set to fit to page")
				}
				hf, err := fx.f.GetHeaderFooter(d.name)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(hf.OddFooter, fmt.Sprintf("Run %d ", fx.r.Run.ID)) || !strings.Contains(hf.OddFooter, "&P") ||
					!strings.Contains(hf.OddHeader, d.name) {
					t.Errorf("header %q footer %q: want the sheet, the run and the page", hf.OddHeader, hf.OddFooter)
				}
				names := fx.f.GetDefinedName()
				if !slices.ContainsFunc(names, func(n excelize.DefinedName) bool {
					return n.Name == "_xlnm.Print_Titles" && n.Scope == d.name && strings.HasSuffix(n.RefersTo, "!$1:$1")
				}) {
					t.Errorf("no print titles for %s in %+v", d.name, names)
				}
				rows, err := fx.f.GetRows(d.name)
				if err != nil {
					t.Fatal(err)
				}
				width := len(d.cols)
				for _, row := range rows {
					width = max(width, len(row))
				}
				last, _ := excelize.CoordinatesToCellName(width, len(rows))
				xml := zipEntry(t, fx.raw, fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1))
				m := dimension.FindStringSubmatch(xml)
				if m == nil || m[1] != "A1:"+last {
					t.Errorf("dimension %q, want A1:%s", m, last)
				}
			})
		}
	}
}

// findingCodeRe matches a finding code ("SSLV3_ENABLED").
var findingCodeRe = regexp.MustCompile(`\b[A-Z0-9]+(_[A-Z0-9]+)+\b`)

// TestVendorColumnsForAnalysts: tier, grade rank, score and findings are
// numbers (sorting works: A+ has the highest rank), the vendor list's
// columns are there, the change is in words, and the By owner sheet holds
// every row, grouped by owner.
func TestVendorColumnsForAnalysts(t *testing.T) {
	fx := fixture(t, "fixture run 2")
	r, f := fx.r, fx.f
	col := func(sheet, h string) string { return colOf(t, r, sheet, h) }
	numbers, scores, changes := 0, 0, 0
	for i, v := range r.Vendors {
		row := strconv.Itoa(i + 2)
		for h, want := range map[string]string{"Grade rank (higher is better)": strconv.Itoa(v.GradeRank), "Findings": strconv.Itoa(v.Findings)} {
			ref := col(sheetVendors, h) + row
			if got := cell(t, f, sheetVendors, ref); got != want {
				t.Errorf("%s = %q, want %q", ref, got, want)
			}
			if typ, _ := f.GetCellType(sheetVendors, ref); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
				t.Errorf("%s type %v, want a number", ref, typ)
			}
		}
		tier := col(sheetVendors, "Tier") + row
		if v.TierNumber != nil {
			numbers++
			if got := cell(t, f, sheetVendors, tier); got != strconv.Itoa(*v.TierNumber) {
				t.Errorf("%s = %q, want %d", tier, got, *v.TierNumber)
			}
			if typ, _ := f.GetCellType(sheetVendors, tier); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
				t.Errorf("%s type %v, want a number", tier, typ)
			}
		}
		score := col(sheetVendors, "Score (0-100)") + row
		switch got := cell(t, f, sheetVendors, score); {
		case v.Score == nil && got != "":
			t.Errorf("%s = %q, want empty (no graded address)", score, got)
		case v.Score != nil:
			scores++
			if got != strconv.Itoa(*v.Score) {
				t.Errorf("%s = %q, want %d", score, got, *v.Score)
			}
			if typ, _ := f.GetCellType(sheetVendors, score); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
				t.Errorf("%s type %v, want a number", score, typ)
			}
		}
		if v.ChangeText != "" {
			changes++
			if findingCodeRe.MatchString(v.ChangeText) {
				t.Errorf("row %s: a finding code in the change %q", row, v.ChangeText)
			}
		}
		for h, want := range map[string]string{"Contact": v.Contact, "Previous grade": v.PreviousGrade, "Notes": v.Notes,
			"Change in words": v.ChangeText, "Owner": v.Owner, "Tags": strings.Join(v.Tags, ", ")} {
			if got := cell(t, f, sheetVendors, col(sheetVendors, h)+row); got != quoted(want) {
				t.Errorf("row %s %s = %q, want %q", row, h, got, quoted(want))
			}
		}
	}
	if numbers == 0 || scores == 0 || changes == 0 {
		t.Fatalf("numeric tiers %d, scores %d, changes in words %d in the fixture: nothing checked", numbers, scores, changes)
	}
	// Sorting by rank puts A+ first, F last among the graded rows.
	if rank := func(g string) int { return grade.Grade(g).Rank() }; rank("A+") <= rank("A") || rank("F") >= rank("D") {
		t.Error("grade ranks do not sort A+ highest")
	}
	// By owner: every row once, owners in order, rows without one last.
	rows, err := f.GetRows(sheetByOwner)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(r.Vendors) {
		t.Fatalf("By owner has %d rows, want %d", len(rows)-1, len(r.Vendors))
	}
	var owners []string
	for _, row := range rows[1:] {
		owners = append(owners, row[0])
	}
	sorted := slices.IsSortedFunc(owners, func(a, b string) int {
		if (a == noOwner) != (b == noOwner) {
			if a == noOwner {
				return 1
			}
			return -1
		}
		return strings.Compare(strings.ToLower(strings.TrimPrefix(a, "'")), strings.ToLower(strings.TrimPrefix(b, "'")))
	})
	if !sorted {
		t.Errorf("By owner not grouped by owner: %q", owners)
	}
	// Readable words, never internal values.
	for _, sheet := range []string{sheetVendors, sheetChanges, sheetMX} {
		all, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range all[1:] {
			for _, v := range row {
				if v == "not_eligible" || v == "grade_down" || v == "grade_up" || strings.HasPrefix(v, "finding_") {
					t.Errorf("%s holds the internal value %q", sheet, v)
				}
			}
		}
	}
}
