package ingest

import (
	"archive/zip"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var writeSeeds = flag.Bool("write-seeds", false, "rewrite the generated XLSX seeds under testdata/fuzz/FuzzReadXLSX")

// fuzzOptions keep each fuzz input cheap: few rows, small decompression caps.
var fuzzOptions = Options{MaxRows: 64, MaxFileSize: 1 << 20, unzipSizeLimit: 1 << 20, unzipXMLSizeLimit: 256 << 10}

// seedXLSX builds the workbooks the XLSX fuzzer starts from: a realistic
// list, deflated as Excel writes it and stored uncompressed so that
// mutations reach the XML.
func seedXLSX(t testing.TB) map[string][]byte {
	data := makeXLSX(t,
		sheetSpec{name: "Vendors", rows: [][]any{
			{"Vendor register"},
			vendorHeader,
			{"Acme", "acme.example; bücher.example", "ap@acme.example", "Alice", 1, "a,b", "note"},
			{nil, "acme-mail.example"},
			{"Bad", "not a domain!"},
			nil,
			{"Beta", "https://beta.example/"},
		}, merges: [][2]string{{"A3", "A4"}}},
		sheetSpec{name: "Notes", rows: [][]any{{"x"}}},
	)
	return map[string][]byte{
		"seed-deflate": data,
		"seed-store":   rezip(t, data, zip.Store, nil),
	}
}

// corpusFile renders one []byte input in go's fuzz corpus format.
func corpusFile(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}

// parseCorpusFile reads back a one-[]byte corpus file.
func parseCorpusFile(t *testing.T, data []byte) []byte {
	t.Helper()
	head, body, ok := strings.Cut(string(data), "\n")
	if !ok || head != "go test fuzz v1" {
		t.Fatalf("not a corpus file: %.40q", data)
	}
	body = strings.TrimSpace(body)
	if !strings.HasPrefix(body, "[]byte(") || !strings.HasSuffix(body, ")") {
		t.Fatalf("corpus value is not []byte: %.40q", body)
	}
	s, err := strconv.Unquote(body[len("[]byte(") : len(body)-1])
	if err != nil {
		t.Fatalf("corpus value: %v", err)
	}
	return []byte(s)
}

// TestFuzzSeedsXLSX checks that the committed XLSX seeds exist and are the
// list they should be; -write-seeds regenerates them.
func TestFuzzSeedsXLSX(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReadXLSX")
	seeds := seedXLSX(t)
	if *writeSeeds {
		for name, data := range seeds {
			if err := os.WriteFile(filepath.Join(dir, name), corpusFile(data), 0o644); err != nil {
				t.Fatalf("write seed: %v", err)
			}
		}
	}
	for name := range seeds {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("missing seed (run go test -run TestFuzzSeedsXLSX -write-seeds): %v", err)
			}
			l, err := Read(bytes.NewReader(parseCorpusFile(t, raw)), FormatXLSX, fuzzOptions)
			if err != nil {
				t.Fatalf("Read(seed): %v", err)
			}
			checkList(t, l)
			want := []Vendor{{Name: "Acme", Domains: []string{"acme.example", "xn--bcher-kva.example", "acme-mail.example"},
				Inputs: map[string]string{"acme.example": "acme.example", "xn--bcher-kva.example": "bücher.example", "acme-mail.example": "acme-mail.example"},
				Owner:  "Alice", Tier: "1", Notes: "note", Contact: "ap@acme.example", Tags: []string{"a", "b"}, Sheet: "Vendors", Row: 3}}
			wantList(t, l, want, []Problem{
				{Sheet: "Vendors", Row: 5, Column: "Domain(s)", Value: "not a domain!", Message: `"not a domain!" is not a domain name or e-mail address`},
				{Sheet: "Vendors", Row: 7, Column: "Domain(s)", Value: "https://beta.example/", Message: `"https://beta.example/" looks like a URL, not a domain name`},
			})
		})
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"Vendor,Domain(s),Contact email,Owner,Tier,Tags,Notes\nAcme,acme.example; b.example,ap@acme.example,Alice,1,\"a,b\",x\n",
		"Supplier;Mail domain\nGlobex;globex.example\n\n;;\n",
		"acme.example\nbücher.example\n192.0.2.1\n",
		"\ufeffName\tEmail\nA\t\"Jane <jane@a.example>\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Read(bytes.NewReader(data), FormatCSV, fuzzOptions)
		if err != nil {
			return
		}
		checkList(t, l)
	})
}

func FuzzReadXLSX(f *testing.F) {
	// The committed seeds under testdata are added by the fuzzing engine.
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Read(bytes.NewReader(data), FormatXLSX, fuzzOptions)
		if err != nil {
			return
		}
		checkList(t, l)
		if l.Sheet == "" {
			t.Fatalf("no sheet name in %+v", l)
		}
	})
}

// sheetPart is the worksheet part of the first sheet of makeXLSX workbooks.
const sheetPart = "xl/worksheets/sheet1.xml"

// FuzzReadXLSXSheet fuzzes the worksheet XML inside an otherwise valid
// workbook, since mutating zip bytes rarely gets past the zip directory.
func FuzzReadXLSXSheet(f *testing.F) {
	base := seedXLSX(f)["seed-store"]
	f.Fuzz(func(t *testing.T, sheet []byte) {
		data := rezip(t, base, zip.Store, func(name string, content []byte) []byte {
			if name == sheetPart {
				return sheet
			}
			return content
		})
		l, err := Read(bytes.NewReader(data), FormatXLSX, fuzzOptions)
		if err != nil {
			return
		}
		checkList(t, l)
	})
}

// textSeeds are the committed seeds of the CSV fuzzer, by target and file
// name; TestFuzzSeedsText keeps testdata in step with them.
func textSeeds() map[string]map[string]string {
	return map[string]map[string]string{
		"FuzzReadCSV": {
			"seed-full":       "Vendor,Domain(s),Contact email,Owner,Tier,Tags,Notes\nAcme,\"acme.example; b.example\",ap@acme.example,Alice,1,\"a,b\",x\nAcme,acme.example,,Bob,,,\n,,,\nBad,not a domain!,,,,,\n",
			"seed-semicolon":  "Title\n\nSupplier;Mail domain;E-mail\nGlobex;globex.example;\"Jane Doe <jane@globex.example>\"\n",
			"seed-headerless": "acme.example\nbücher.example\n192.0.2.1\nhttps://x.example/\n",
			"seed-utf8":       "\ufeffName\tEmail\nA\t\xff@a.example\n",
		},
		"FuzzReadXLSXSheet": {
			"seed-small": `<worksheet><sheetData><row><c t="inlineStr"><is><t>Domain</t></is></c></row>` +
				`<row><c t="inlineStr"><is><t>a.example b.example</t></is></c></row></sheetData>` +
				`<mergeCells><mergeCell ref="A2:A3"/></mergeCells></worksheet>`,
			"seed-inline": `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
				`<row r="1"><c r="A1" t="inlineStr"><is><t>Vendor</t></is></c><c r="B1" t="inlineStr"><is><t>Domain</t></is></c></row>` +
				`<row r="2"><c r="A2" t="inlineStr"><is><t>Acme</t></is></c><c r="B2" t="str"><f>LOWER(B9)</f><v>acme.example</v></c></row>` +
				`<row r="3"><c r="B3" t="inlineStr"><is><t>acme-mail.example</t></is></c><c r="C3"><v>3</v></c></row>` +
				`<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x.example</t></is></c></row>` +
				`</sheetData><mergeCells count="2"><mergeCell ref="A2:A3"/><mergeCell ref="C1:XFD1048576"/></mergeCells></worksheet>`,
		},
	}
}

// TestFuzzSeedsText checks that the committed CSV seeds exist and match.
func TestFuzzSeedsText(t *testing.T) {
	for target, seeds := range textSeeds() {
		for name, s := range seeds {
			t.Run(target+"/"+name, func(t *testing.T) {
				p := filepath.Join("testdata", "fuzz", target, name)
				if *writeSeeds {
					if err := os.WriteFile(p, corpusFile([]byte(s)), 0o644); err != nil {
						t.Fatalf("write seed: %v", err)
					}
				}
				raw, err := os.ReadFile(p)
				if err != nil {
					t.Fatalf("missing seed (run go test -run TestFuzzSeeds -write-seeds): %v", err)
				}
				if got := parseCorpusFile(t, raw); string(got) != s {
					t.Fatalf("seed %s = %q, want %q", p, got, s)
				}
			})
		}
	}
}
