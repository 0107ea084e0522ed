package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestRowLimitRefused: a list with data past the row limit is refused
// whole, in CSV and XLSX, naming the limit; blank rows past it are fine.
func TestRowLimitRefused(t *testing.T) {
	csvIn := "Domain\na.example\nb.example\n\nc.example\n"
	xlsx := makeXLSX(t, sheetSpec{name: "Vendors", rows: [][]any{{"Domain"}, {"a.example"}, {"b.example"}, nil, {"c.example"}}})
	for _, tc := range []struct {
		format string
		data   []byte
	}{{FormatCSV, []byte(csvIn)}, {FormatXLSX, xlsx}} {
		t.Run(tc.format, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.data), tc.format, Options{MaxRows: 4})
			var rl *RowLimitError
			if !errors.As(err, &rl) || rl.Limit != 4 || rl.Row != 5 || !strings.Contains(err.Error(), "more than 4 rows") {
				t.Fatalf("Read: %v; want a RowLimitError (limit 4, row 5)", err)
			}
			l, err := Read(bytes.NewReader(tc.data), tc.format, Options{MaxRows: 5})
			if err != nil || len(l.Domains) != 3 {
				t.Fatalf("Read with room: %v, %v", l, err)
			}
		})
	}
	l, err := Read(strings.NewReader("Domain\na.example\n\n\n\n\n"), FormatCSV, Options{MaxRows: 2})
	if err != nil || len(l.Domains) != 1 {
		t.Fatalf("blank rows past the limit: %v, %v", l, err)
	}
}

// TestHiddenFirstSheet: the first visible sheet is read, not a hidden or
// very hidden one before it; a hidden sheet is read when named.
func TestHiddenFirstSheet(t *testing.T) {
	for _, veryHidden := range []bool{false, true} {
		t.Run(fmt.Sprintf("very hidden %v", veryHidden), func(t *testing.T) {
			f := excelize.NewFile()
			defer f.Close()
			if err := f.SetSheetName("Sheet1", "Lookup"); err != nil {
				t.Fatal(err)
			}
			_ = f.SetSheetRow("Lookup", "A1", &[]any{"Domain"})
			_ = f.SetSheetRow("Lookup", "A2", &[]any{"wrong.example"})
			if _, err := f.NewSheet("Vendors"); err != nil {
				t.Fatal(err)
			}
			_ = f.SetSheetRow("Vendors", "A1", &[]any{"Vendor", "Domain"})
			_ = f.SetSheetRow("Vendors", "A2", &[]any{"Acme", "acme.example"})
			f.SetActiveSheet(1)
			if err := f.SetSheetVisible("Lookup", false, veryHidden); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := f.Write(&buf); err != nil {
				t.Fatal(err)
			}
			l, err := Read(bytes.NewReader(buf.Bytes()), FormatXLSX, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if l.Sheet != "Vendors" || strings.Join(l.Domains, ",") != "acme.example" || strings.Join(l.HiddenSheets, ",") != "Lookup" {
				t.Fatalf("read sheet %q (hidden %q), domains %q; want Vendors, acme.example", l.Sheet, l.HiddenSheets, l.Domains)
			}
			l, err = Read(bytes.NewReader(buf.Bytes()), FormatXLSX, Options{Sheet: "lookup"})
			if err != nil || l.Sheet != "Lookup" || strings.Join(l.Domains, ",") != "wrong.example" {
				t.Fatalf("named hidden sheet: %+v, %v", l, err)
			}
		})
	}
}

// TestCorruptParts: a part whose zip headers understate its size, or a
// shared-string cell whose index is not a number, makes the workbook an
// error naming the part, never a list with rows lost or values swapped.
func TestCorruptParts(t *testing.T) {
	rows := [][]any{{"Vendor", "Domain"}}
	for i := 0; i < 200; i++ {
		rows = append(rows, []any{fmt.Sprintf("Vendor %d", i), fmt.Sprintf("v%d.example", i)})
	}
	base := makeXLSX(t, sheetSpec{name: "Vendors", rows: rows})

	understated := rezipRaw(t, base, func(name string, content []byte) (declared uint64, ok bool) {
		if name == sheetPart {
			return uint64(len(content) / 2), true
		}
		return 0, false
	})
	_, err := Read(bytes.NewReader(understated), FormatXLSX, Options{})
	if err == nil || !strings.Contains(err.Error(), sheetPart) || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("understated part size: %v; want an error naming %s", err, sheetPart)
	}

	badIndex := rezip(t, base, zip.Deflate, func(name string, content []byte) []byte {
		if name != sheetPart {
			return content
		}
		// The second data row's vendor name becomes a non-numeric index.
		i := bytes.Index(content, []byte(`r="A3" t="s"><v>`))
		if i < 0 {
			t.Fatalf("no shared-string cell A3 in %s", content[:min(len(content), 400)])
		}
		j := i + len(`r="A3" t="s"><v>`)
		k := j + bytes.IndexByte(content[j:], '<')
		return append(append(append([]byte{}, content[:j]...), "abc"...), content[k:]...)
	})
	_, err = Read(bytes.NewReader(badIndex), FormatXLSX, Options{})
	if err == nil || !strings.Contains(err.Error(), sheetPart) || !strings.Contains(err.Error(), `cell A3: shared-string index "abc" is not a number`) {
		t.Fatalf("non-numeric shared-string index: %v", err)
	}
}

// rezipRaw copies a zip, writing the parts declare chooses with a
// declared uncompressed size other than their real one (and the real
// CRC-32), as a damaged or hostile file would.
func rezipRaw(t *testing.T, data []byte, declare func(name string, content []byte) (uint64, bool)) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		content, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		size, ok := declare(f.Name, content)
		if !ok {
			w, err := zw.Create(f.Name)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write(content)
			continue
		}
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.DefaultCompression)
		_, _ = fw.Write(content)
		_ = fw.Close()
		w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(content),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: size})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(comp.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestNULOneRule: a NUL byte refuses its row, in the first 8 KiB or after.
func TestNULOneRule(t *testing.T) {
	pad := strings.Repeat("pad.example\n", 1000) // 12 KB
	for name, in := range map[string]string{
		"early": "Domain\nbad\x00.example\nok.example\n" + pad,
		"late":  "Domain\nok.example\n" + pad + "bad\x00.example\n",
	} {
		t.Run(name, func(t *testing.T) {
			l, err := Read(strings.NewReader(in), FormatCSV, Options{})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			nul := 0
			for _, p := range l.Problems {
				if strings.Contains(p.Message, "NUL byte") {
					nul++
				}
			}
			if nul != 1 || len(l.Domains) != 2 {
				t.Fatalf("%d NUL problems, domains %q; want 1 and ok.example, pad.example", nul, l.Domains)
			}
		})
	}
}

// TestLongLabel: a DNS label over 63 octets is the list's problem, on its
// row, not a vendor's failed MX lookup.
func TestLongLabel(t *testing.T) {
	long := strings.Repeat("a", 64) + ".example"
	if _, err := Domain(long); err == nil || !strings.Contains(err.Error(), "longer than the 63") {
		t.Fatalf("Domain(64-octet label) = %v", err)
	}
	if _, err := Domain(strings.Repeat("a", 63) + ".example"); err != nil {
		t.Fatalf("Domain(63-octet label) = %v", err)
	}
	l, err := Read(strings.NewReader("Vendor,Domain\nLong,"+long+"\nOk,ok.example\n"), FormatCSV, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Problems) != 1 || l.Problems[0].Row != 2 || strings.Join(l.Domains, ",") != "ok.example" {
		t.Fatalf("problems %+v, domains %q", l.Problems, l.Domains)
	}
}
