package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var vendorHeader = []any{"Vendor", "Domain(s)", "Contact email", "Owner", "Tier", "Tags", "Notes"}

func TestReadXLSX(t *testing.T) {
	formula := func(t *testing.T, data []byte) []byte {
		// excelize cannot write a formula with a cached result; Excel
		// does, so patch one in: the formula would give "ACME.EXAMPLE",
		// the cached (displayed) value is acme.example.
		return rezip(t, data, zip.Deflate, replacePart(t, "xl/worksheets/sheet1.xml",
			`<c r="B2" t="s"><v>3</v></c>`,
			`<c r="B2" t="str"><f>LOWER(&quot;ACME.EXAMPLE&quot;)</f><v>acme.example</v></c>`))
	}
	tests := []struct {
		name     string
		sheets   []sheetSpec
		patch    func(*testing.T, []byte) []byte
		opt      Options
		sheet    string
		vendors  []Vendor
		problems []Problem
		byDomain map[string][]int
	}{
		{
			name: "every column, typed cells",
			sheets: []sheetSpec{{name: "Vendors", rows: [][]any{
				vendorHeader,
				{"Acme Corp", "acme.example; acme-mail.example", "ap@acme.example", "Alice", 1, "finance;payroll", "primary"},
				{"Bücher GmbH", "bücher.example", "", "Bob", 2.5, "", ""},
			}}},
			sheet: "Vendors",
			vendors: []Vendor{
				{Name: "Acme Corp", Domains: []string{"acme.example", "acme-mail.example"}, Inputs: ids("acme.example", "acme-mail.example"),
					Owner: "Alice", Tier: "1", Notes: "primary", Contact: "ap@acme.example", Tags: []string{"finance", "payroll"}, Sheet: "Vendors", Row: 2},
				{Name: "Bücher GmbH", Domains: []string{"xn--bcher-kva.example"}, Inputs: map[string]string{"xn--bcher-kva.example": "bücher.example"},
					Owner: "Bob", Tier: "2.5", Sheet: "Vendors", Row: 3},
			},
		},
		{
			name: "header on row 3 after title rows",
			sheets: []sheetSpec{{name: "Register", rows: [][]any{
				{"Vendor register, Q3"},
				nil,
				{"Supplier", "Email"},
				{"Acme", "Jane Doe <jane@acme.example>"},
			}}},
			sheet: "Register",
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"acme.example"}, Inputs: map[string]string{"acme.example": "jane@acme.example"}, Sheet: "Register", Row: 4},
			},
		},
		{
			name: "formula gives its cached value",
			sheets: []sheetSpec{{name: "Sheet1", rows: [][]any{
				{"Vendor", "Domain"},
				{"Acme", "placeholder.example"},
			}}},
			patch: formula,
			sheet: "Sheet1",
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Sheet: "Sheet1", Row: 2},
			},
		},
		{
			name: "headerless list",
			sheets: []sheetSpec{{name: "Sheet1", rows: [][]any{
				{"acme.example"}, nil, {"beta.example"}, {"beta.example"},
			}}},
			sheet: "Sheet1",
			vendors: []Vendor{
				{Name: "acme.example", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Sheet: "Sheet1", Row: 1},
				{Name: "beta.example", Domains: []string{"beta.example"}, Inputs: ids("beta.example"), Sheet: "Sheet1", Row: 3},
			},
			problems: []Problem{{Sheet: "Sheet1", Row: 4, Column: "column 1", Value: "beta.example", Message: "duplicate of row 3 (same vendor and domain)"}},
		},
		{
			name: "merged cells show their value in every row they cover",
			sheets: []sheetSpec{{name: "Vendors", rows: [][]any{
				{"Vendor", "Domain", "Notes"},           // 1
				{"Acme", "acme.example", "shared note"}, // 2: A2:A3, C2:C4 merged
				{nil, "acme-mail.example"},              // 3
				{"Beta", "beta.example"},                // 4
				{"Gamma", "gamma.example"},              // 5: A5:A6 merged, row 6 otherwise empty
				nil,                                     // 6
				{"Delta", "shared.example"},             // 7: B7:B8 merged
				{"Epsilon"},                             // 8
				{"Zeta", "zeta.example"},                // 9: A9:A10 and B9:B10 merged
				{nil, nil, "second row"},                // 10
			}, merges: [][2]string{{"A2", "A3"}, {"C2", "C4"}, {"A5", "A6"}, {"B7", "B8"}, {"A9", "A10"}, {"B9", "B10"}}}},
			sheet: "Vendors",
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"acme.example", "acme-mail.example"}, Inputs: ids("acme.example", "acme-mail.example"),
					Notes: "shared note", Sheet: "Vendors", Row: 2},
				{Name: "Beta", Domains: []string{"beta.example"}, Inputs: ids("beta.example"), Notes: "shared note", Sheet: "Vendors", Row: 4},
				{Name: "Gamma", Domains: []string{"gamma.example"}, Inputs: ids("gamma.example"), Sheet: "Vendors", Row: 5},
				{Name: "Delta", Domains: []string{"shared.example"}, Inputs: ids("shared.example"), Sheet: "Vendors", Row: 7},
				{Name: "Epsilon", Domains: []string{"shared.example"}, Inputs: ids("shared.example"), Sheet: "Vendors", Row: 8},
				{Name: "Zeta", Domains: []string{"zeta.example"}, Inputs: ids("zeta.example"), Notes: "second row", Sheet: "Vendors", Row: 9},
			},
			byDomain: map[string][]int{"acme.example": {0}, "acme-mail.example": {0}, "beta.example": {1},
				"gamma.example": {2}, "shared.example": {3, 4}, "zeta.example": {5}},
		},
		{
			name: "a merged header does not repeat into the data",
			sheets: []sheetSpec{{name: "Sheet1", rows: [][]any{
				{"Vendor", "Domain"},
				{"Acme", "acme.example"},
			}, merges: [][2]string{{"A1", "A2"}}}},
			sheet: "Sheet1",
			vendors: []Vendor{
				{Name: "acme.example", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Sheet: "Sheet1", Row: 2},
			},
		},
		{
			name: "bad rows with sheet and row numbers",
			sheets: []sheetSpec{{name: "Vendors", rows: [][]any{
				vendorHeader,                            // 1
				{"Acme", "acme.example"},                // 2
				nil,                                     // 3
				{"Globex", "", "", "Gina"},              // 4
				{"Initech", "not a domain!"},            // 5
				{"Hooli", "10.0.0.1"},                   // 6
				{"Umbrella", "http://umbrella.example"}, // 7
				{"acme", "", "it@acme.example"},         // 8
			}}},
			sheet: "Vendors",
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Sheet: "Vendors", Row: 2},
			},
			problems: []Problem{
				{Sheet: "Vendors", Row: 4, Value: "Globex", Message: "no domain or e-mail address in this row"},
				{Sheet: "Vendors", Row: 5, Column: "Domain(s)", Value: "not a domain!", Message: `"not a domain!" is not a domain name or e-mail address`},
				{Sheet: "Vendors", Row: 6, Column: "Domain(s)", Value: "10.0.0.1", Message: `"10.0.0.1" is an IP address; give the mail domain instead`},
				{Sheet: "Vendors", Row: 7, Column: "Domain(s)", Value: "http://umbrella.example", Message: `"http://umbrella.example" looks like a URL, not a domain name`},
				// A contact's address is no domain to audit beside a domain column.
				{Sheet: "Vendors", Row: 8, Value: "acme", Message: "no domain or e-mail address in this row"},
			},
		},
		{
			name: "sheet chosen by name, ignoring case",
			sheets: []sheetSpec{
				{name: "Summary", rows: [][]any{{"Vendor risk summary"}, {"Total", 2}}},
				{name: "Vendors", rows: [][]any{{"Vendor", "Domain"}, {"Acme", "acme.example"}}},
			},
			opt:   Options{Sheet: "vendors"},
			sheet: "Vendors",
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Sheet: "Vendors", Row: 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := makeXLSX(t, tt.sheets...)
			if tt.patch != nil {
				data = tt.patch(t, data)
			}
			l, err := Read(bytes.NewReader(data), FormatXLSX, tt.opt)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if l.Format != FormatXLSX || l.Sheet != tt.sheet {
				t.Errorf("Format, Sheet = %q, %q; want %q, %q", l.Format, l.Sheet, FormatXLSX, tt.sheet)
			}
			wantList(t, l, tt.vendors, tt.problems)
			if tt.byDomain != nil && !reflect.DeepEqual(l.ByDomain, tt.byDomain) {
				t.Errorf("ByDomain = %v, want %v", l.ByDomain, tt.byDomain)
			}
		})
	}
}

func TestReadXLSXErrors(t *testing.T) {
	twoSheets := []sheetSpec{
		{name: "Summary", rows: [][]any{{"Vendor risk summary"}, {"Total", 2}}},
		{name: "Vendors", rows: [][]any{{"Vendor", "Domain"}, {"Acme", "acme.example"}}},
	}
	tests := []struct {
		name string
		data []byte
		opt  Options
		want string
	}{
		{name: "missing sheet lists the sheets", data: makeXLSX(t, twoSheets...), opt: Options{Sheet: "Q3"},
			want: `no sheet named "Q3" (sheets: Summary, Vendors)`},
		{name: "first sheet has no header", data: makeXLSX(t, twoSheets...),
			want: `sheet "Summary": no header row with a Domain or Email column in the first 10 rows, and the first column does not hold domain names (other sheets: Vendors)`},
		{name: "empty sheet", data: makeXLSX(t, sheetSpec{name: "Sheet1"}), want: `sheet "Sheet1": the list has no rows`},
		{name: "CSV named xlsx", data: []byte("Vendor,Domain\nAcme,acme.example\n"),
			want: "this is not an XLSX workbook (not a zip archive): if it is a CSV file, name it .csv"},
		{name: "old xls or encrypted", data: []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"),
			want: "this is an old Excel (.xls) workbook or a password-protected one: save it as .xlsx without a password, or as CSV"},
		{name: "truncated zip", data: []byte("PK\x03\x04 truncated"),
			want: "this is not a valid XLSX workbook: zip: not a valid zip file"},
		{name: "decompressed size over the cap", data: makeXLSX(t, twoSheets...), opt: Options{unzipSizeLimit: 1024},
			want: "cannot open the workbook: unzip size exceeds the 1024 bytes limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Read(bytes.NewReader(tt.data), FormatXLSX, tt.opt)
			if err == nil {
				t.Fatalf("Read = %+v, want error %q", l, tt.want)
			}
			if err.Error() != tt.want {
				t.Fatalf("Read error = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestSheetMerges(t *testing.T) {
	data := makeXLSX(t,
		sheetSpec{name: "First", rows: [][]any{{"x"}}, merges: [][2]string{{"A1", "B1"}}},
		sheetSpec{name: "Second", rows: [][]any{{"y"}}, merges: [][2]string{{"C5", "A2"}, {"D1", "D9"}}},
	)
	tests := []struct {
		sheet string
		want  []cellRange
	}{
		{"First", []cellRange{{col1: 1, row1: 1, col2: 2, row2: 1}}},
		{"Second", []cellRange{{col1: 1, row1: 2, col2: 3, row2: 5}, {col1: 4, row1: 1, col2: 4, row2: 9}}},
	}
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) {
			got, err := sheetMerges(data, tt.sheet, defaultUnzipSizeLimit)
			if err != nil {
				t.Fatalf("sheetMerges: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("sheetMerges(%q) = %+v, want %+v", tt.sheet, got, tt.want)
			}
		})
	}
	if _, err := sheetMerges(data, "Third", defaultUnzipSizeLimit); err == nil || !strings.Contains(err.Error(), `sheet "Third" not found`) {
		t.Fatalf("sheetMerges(Third) error = %v, want sheet not found", err)
	}
}

func TestReadXLSXForeignSheetXML(t *testing.T) {
	sheet := textSeeds()["FuzzReadXLSXSheet"]["seed-inline"]
	base := makeXLSX(t, sheetSpec{name: "Vendors", rows: [][]any{{"x"}}})
	data := rezip(t, base, zip.Deflate, func(name string, content []byte) []byte {
		if name == sheetPart {
			return []byte(sheet)
		}
		return content
	})
	// The sheet holds data on its very last row: past the row limit, the
	// list is refused whole, never read short.
	_, err := Read(bytes.NewReader(data), FormatXLSX, Options{MaxRows: 64})
	var rl *RowLimitError
	if !errors.As(err, &rl) || rl.Limit != 64 || rl.Row != 1048576 {
		t.Fatalf("Read with 64 rows: %v, want a RowLimitError at row 1048576", err)
	}
	l, err := Read(bytes.NewReader(data), FormatXLSX, Options{MaxRows: 1048576})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if len(l.Vendors) != 1 || l.Vendors[0].Name != "Acme" || !slices.Equal(l.Vendors[0].Domains, []string{"acme.example", "acme-mail.example"}) {
		t.Fatalf("vendors = %+v", l.Vendors)
	}
}

func TestPickSheet(t *testing.T) {
	many := make([]string, maxSheetsListed+5)
	for i := range many {
		many[i] = fmt.Sprintf("S%d", i+1)
	}
	tests := []struct {
		name   string
		sheets []string
		hidden []string
		want   string
		got    string
		err    string
	}{
		{name: "first by default", sheets: []string{"A", "B"}, got: "A"},
		{name: "first visible by default", sheets: []string{"Lookup", "Hidden2", "Vendors"}, hidden: []string{"Lookup", "Hidden2"}, got: "Vendors"},
		{name: "a hidden sheet when named", sheets: []string{"Lookup", "Vendors"}, hidden: []string{"Lookup"}, want: "lookup", got: "Lookup"},
		{name: "all hidden", sheets: []string{"A"}, hidden: []string{"A"}, err: "every sheet of the workbook is hidden (A): name the one to read with --sheet"},
		{name: "exact before folded", sheets: []string{"vendors", "Vendors"}, want: "Vendors", got: "Vendors"},
		{name: "folded", sheets: []string{"A", "Vendors"}, want: "VENDORS", got: "Vendors"},
		{name: "no sheets", err: "the workbook has no sheets"},
		{name: "long list is cut", sheets: many, want: "Q3",
			err: `no sheet named "Q3" (sheets: S1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, S12, S13, S14, S15, S16, S17, S18, S19, S20 and 5 more)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pickSheet(tt.sheets, tt.hidden, tt.want)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("pickSheet error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.got {
				t.Fatalf("pickSheet = %q, %v; want %q", got, err, tt.got)
			}
		})
	}
}
