package xlsx

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/mxaudit/mxaudit/report"
)

// FuzzCellText writes remote-controlled text (a vendor name, a banner, a
// certificate subject) into a workbook, reopens it and checks that each
// cell holds exactly cellText of the input as a string, never a formula,
// and that cellText leaves nothing XML or Excel refuses.
func FuzzCellText(f *testing.F) {
	for _, s := range []string{"", "=SUM(A1:A9)", "@evil", "+1", "-1", " lead and trail ", "_x0041_ _x005F_", "_x0041_x0042_", "_xD800_", "_X001B_", "__x202E_",
		"a\x00b\x1bc\r\n", "\ufffe\uffff", "\u202eevil", "\xff\xfe", "😀", "<t>&amp;</t>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := cellText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("cellText(%q) = %q: invalid UTF-8", s, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f || r == 0xfffe || r == 0xffff {
				t.Fatalf("cellText(%q) = %q holds %U", s, got, r)
			}
		}
		for i := range len(got) {
			if isXEscape(got[i:]) {
				t.Fatalf("cellText(%q) = %q keeps an _xHHHH_ escape", s, got)
			}
		}
		if n := len(utf16.Encode([]rune(got))); n > excelize.TotalCellChars {
			t.Fatalf("cellText(%q) is %d UTF-16 units", s, n)
		}
		r := fuzzReport(s)
		var buf bytes.Buffer
		if err := Write(&buf, r); err != nil {
			t.Fatalf("write: %v", err)
		}
		wb, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer wb.Close()
		for _, c := range []struct{ sheet, ref string }{
			{sheetVendors, "A2"},
			{sheetMX, colOf(t, r, sheetMX, "Banner") + "2"},
			{sheetMX, colOf(t, r, sheetMX, "Certificate subject") + "2"},
			{sheetSummary, "B2"},
		} {
			v, err := wb.GetCellValue(c.sheet, c.ref)
			if err != nil {
				t.Fatal(err)
			}
			if v != quoted(got) {
				t.Fatalf("%s!%s = %q, want %q", c.sheet, c.ref, v, quoted(got))
			}
			formula, err := wb.GetCellFormula(c.sheet, c.ref)
			if err != nil || formula != "" {
				t.Fatalf("%s!%s formula %q, %v", c.sheet, c.ref, formula, err)
			}
			if got == "" {
				continue
			}
			typ, err := wb.GetCellType(c.sheet, c.ref)
			if err != nil || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) {
				t.Fatalf("%s!%s type %v, %v", c.sheet, c.ref, typ, err)
			}
		}
	})
}

// fuzzReport is a one-domain report carrying s in every untrusted place.
func fuzzReport(s string) *report.Report {
	at := time.Date(2026, time.January, 2, 3, 4, 5, 0, time.UTC)
	return &report.Report{
		GeneratedAt: at,
		Org:         report.Org{Name: s},
		Vendors:     []report.VendorRow{{Vendor: s, Domain: "d.example", Owner: s, Tags: []string{s}, Grade: "A"}},
		Domains: []report.DomainView{{Domain: "d.example", Vendors: []string{s}, Grade: "A", MX: []report.MXView{{
			Host: "mx.d.example", Grade: "A", Addresses: []report.AddressView{{
				IP: "192.0.2.1", Grade: "A", ProbeView: report.ProbeView{Banner: s, ProbedAt: at,
					Cert: &report.CertView{Subject: s, Issuer: s, SANs: []string{s}, NotAfter: at}},
			}},
		}}}},
		Findings: []report.Finding{{Vendors: []string{s}, Domain: "d.example", Code: "X", Severity: "low", Message: s}},
		Problems: []report.Problem{{Row: 1, Value: s, Message: strings.TrimSpace(s)}},
		Summary:  report.Summary{Grades: []report.GradeCount{{Grade: "A", Count: 1}}},
	}
}
