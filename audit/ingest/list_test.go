package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	xlsx := makeXLSX(t,
		sheetSpec{name: "Vendors", rows: [][]any{{"Vendor", "Domain"}, {"Acme", "acme.example"}}},
		sheetSpec{name: "Notes", rows: [][]any{{"about"}}},
	)
	files := map[string][]byte{
		"vendors.csv":  []byte("Vendor,Domain\nAcme,acme.example\n"),
		"domains.TXT":  []byte("acme.example\n"),
		"vendors.tsv":  []byte("Vendor\tDomain\nAcme\tacme.example\n"),
		"vendors.xlsx": xlsx,
		"vendors.xlsm": xlsx,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatalf("WriteFile: %v", err)
		}
	}
	tests := []struct {
		file, format, sheet, name string
		row                       int
	}{
		{file: "vendors.csv", format: FormatCSV, name: "Acme", row: 2},
		{file: "domains.TXT", format: FormatCSV, name: "acme.example", row: 1},
		{file: "vendors.tsv", format: FormatCSV, name: "Acme", row: 2},
		{file: "vendors.xlsx", format: FormatXLSX, sheet: "Vendors", name: "Acme", row: 2},
		{file: "vendors.xlsm", format: FormatXLSX, sheet: "Vendors", name: "Acme", row: 2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			l, err := ReadFile(filepath.Join(dir, tt.file), Options{})
			if err != nil {
				t.Fatalf("ReadFile: %v", err)
			}
			sum := sha256.Sum256(files[tt.file])
			if l.Format != tt.format || l.Sheet != tt.sheet || l.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("Format, Sheet, SHA256 = %q, %q, %s; want %q, %q, %x", l.Format, l.Sheet, l.SHA256, tt.format, tt.sheet, sum)
			}
			wantList(t, l, []Vendor{{Name: tt.name, Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Sheet: tt.sheet, Row: tt.row}}, nil)
		})
	}
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatalf("WriteFile: %v", err)
		}
		return p
	}
	xlsx := write("vendors.xlsx", makeXLSX(t,
		sheetSpec{name: "Vendors", rows: [][]any{{"Vendor", "Domain"}, {"Acme", "acme.example"}}},
		sheetSpec{name: "Notes", rows: [][]any{{"about"}}},
	))
	big := write("big.csv", []byte("Domain\nacme.example\nbeta.example\n"))
	ods := write("vendors.ods", []byte("x"))
	xls := write("vendors.xls", []byte("x"))
	bare := write("vendors", []byte("acme.example\n"))
	subdir := filepath.Join(dir, "list.csv")
	if err := os.Mkdir(subdir, 0o700); err != nil {
		t.Fatalf("Mkdir: %v", err)
	}
	missing := filepath.Join(dir, "missing.csv")
	tests := []struct {
		name, path string
		opt        Options
		want       string
		is         error
	}{
		{name: "missing", path: missing, want: missing + ": cannot open the file: no such file or directory", is: fs.ErrNotExist},
		{name: "directory", path: subdir, want: subdir + ": is a directory, not a vendor list"},
		{name: "unknown extension", path: ods, want: ods + `: unsupported file type ".ods": use .csv, .txt, .xlsx or .xlsm`},
		{name: "old excel", path: xls, want: xls + ": old Excel 97-2003 (.xls) workbooks are not supported: save the list as .xlsx or .csv"},
		{name: "no extension", path: bare, want: bare + ": the file name has no extension: name it .csv, .txt, .xlsx or .xlsm"},
		{name: "too large", path: big, opt: Options{MaxFileSize: 16}, want: big + ": the file is 33 bytes, larger than the 16 bytes limit"},
		{name: "missing sheet", path: xlsx, opt: Options{Sheet: "Q3"}, want: xlsx + `: no sheet named "Q3" (sheets: Vendors, Notes)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ReadFile(tt.path, tt.opt)
			if err == nil {
				t.Fatalf("ReadFile = %+v, want error %q", l, tt.want)
			}
			if err.Error() != tt.want {
				t.Fatalf("ReadFile error = %q, want %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.is)
			}
		})
	}
}

func TestMebibytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"}, {1023, "1023 bytes"}, {1 << 20, "1 MiB"}, {50 << 20, "50 MiB"}, {(1 << 20) + (1 << 19), "1.5 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := mebibytes(tt.n); got != tt.want {
				t.Fatalf("mebibytes(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}
