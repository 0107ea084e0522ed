package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Input formats, as reported in List.Format and accepted by Read.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

const (
	// DefaultMaxRows is the number of rows read when Options.MaxRows is zero.
	DefaultMaxRows = 100000
	// DefaultMaxFileSize is the largest file read when Options.MaxFileSize is zero.
	DefaultMaxFileSize = 50 << 20
	// maxProblemValue is the longest Problem.Value kept, in characters.
	maxProblemValue = 200
)

// Vendor is one vendor of the list with the mail domains to audit for it.
// Rows that name the same vendor (case-insensitive) are merged into one Vendor.
type Vendor struct {
	// Name is the vendor or company name as written; when the list has no
	// name column or the cell is empty, it is the vendor's first domain.
	Name string
	// Domains are the A-labels to audit, deduplicated, in order of appearance.
	Domains []string
	// Inputs maps each A-label to the value as written (an IDN, an e-mail
	// address), for reports.
	Inputs map[string]string
	// Owner is who owns the vendor relationship, as written.
	Owner string
	// Tier is the vendor's criticality or risk tier, as written.
	Tier string
	// Notes is free text from the list; notes of merged rows are joined by "; ".
	Notes string
	// Contact is who to write to at the vendor: the contact columns,
	// joined by "; " (a "Contact email" column is read as domains).
	Contact string
	// Tags are labels from the list, trimmed and deduplicated.
	Tags []string
	// DKIMSelectors are the DKIM selectors of the vendor's domains (the
	// dkim_selectors column), deduplicated: selectors cannot be discovered
	// from DNS, so the list names the ones the vendor signs with.
	DKIMSelectors []string
	// Sheet is the worksheet the vendor came from ("" for CSV).
	Sheet string
	// Row is the 1-based row number, as a spreadsheet shows it, of the
	// vendor's first row.
	Row int
}

// Problem is one value or row of the list that could not be used, said in
// plain words for the person who maintains the list.
type Problem struct {
	// Sheet is the worksheet ("" for CSV).
	Sheet string
	// Row is the 1-based row number as a spreadsheet shows it; 0 when the
	// problem concerns the whole file.
	Row int
	// Column is the column header as written; "" when the problem concerns
	// the whole row. A headerless list names its columns "column 1", "column 2"...
	Column string
	// Value is the offending value as written, truncated to 200 characters.
	Value string
	// Message says what is wrong, e.g. "no domain or e-mail address in this row".
	Message string
}

// List is a vendor list read from a CSV or XLSX file: the vendors, the
// unique domains to audit, and every problem met on the way.
type List struct {
	// Vendors in order of their first row.
	Vendors []Vendor
	// Problems in order of rows.
	Problems []Problem
	// Domains are the unique A-labels over the whole list, in first-seen order.
	Domains []string
	// ByDomain maps each domain to the indexes into Vendors of the vendors
	// that use it, ascending: a shared domain is audited once, reported for each.
	ByDomain map[string][]int
	// SHA256 is the hex digest of the file bytes.
	SHA256 string
	// Format is FormatCSV or FormatXLSX.
	Format string
	// Sheet is the worksheet read (XLSX only): the one named in
	// Options.Sheet, else the first visible sheet.
	Sheet string
	// HiddenSheets are the workbook's hidden sheets (XLSX only), which are
	// read only when named.
	HiddenSheets []string
}

// Options tune how a vendor list is read. The zero value is ready to use.
type Options struct {
	// Sheet is the XLSX worksheet to read, matched case-insensitively;
	// the first visible sheet when empty.
	Sheet string
	// MaxRows is the highest row number read (header and title rows
	// included); DefaultMaxRows when zero or negative. A list with data
	// past it is refused with a *RowLimitError.
	MaxRows int
	// MaxFileSize is the largest file accepted, in bytes; DefaultMaxFileSize
	// when zero or negative.
	MaxFileSize int64

	// unzipSizeLimit and unzipXMLSizeLimit override the XLSX decompression
	// caps (tests and fuzzing use small ones); defaults when zero.
	unzipSizeLimit, unzipXMLSizeLimit int64
}

func (o Options) maxRows() int {
	if o.MaxRows <= 0 {
		return DefaultMaxRows
	}
	return o.MaxRows
}

func (o Options) maxFileSize() int64 {
	if o.MaxFileSize <= 0 {
		return DefaultMaxFileSize
	}
	return o.MaxFileSize
}

// ReadFile reads the vendor list at path; the extension gives the format
// (.csv, .tsv and .txt are CSV; .xlsx and .xlsm are XLSX). It returns an
// error, one line starting with path, only when the file cannot be used at
// all: missing, unreadable, too large, not CSV or XLSX, no usable header or
// domain column, no such sheet. Everything else becomes a Problem in the List.
func ReadFile(path string, opt Options) (*List, error) {
	format, err := formatOf(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open the file: %w", path, unwrapPath(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the file: %w", path, unwrapPath(err))
	}
	if info.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, not a vendor list", path)
	}
	if info.Size() > opt.maxFileSize() {
		return nil, fmt.Errorf("%s: %w", path, tooLarge(info.Size(), opt.maxFileSize()))
	}
	l, err := Read(f, format, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// Read reads a vendor list in format FormatCSV or FormatXLSX from r, which
// must not hold more than Options.MaxFileSize bytes. Its errors are those of
// ReadFile, without the path.
func Read(r io.Reader, format string, opt Options) (*List, error) {
	switch strings.ToLower(format) {
	case FormatCSV, "tsv", "txt":
		format = FormatCSV
	case FormatXLSX, "xlsm":
		format = FormatXLSX
	default:
		return nil, fmt.Errorf("unknown list format %q (want %q or %q)", format, FormatCSV, FormatXLSX)
	}
	data, err := readAll(r, opt.maxFileSize())
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the file is empty")
	}
	var (
		t      *table
		sheet  string
		hidden []string
	)
	if format == FormatCSV {
		t, err = readCSV(data, opt)
	} else {
		t, err = readXLSX(data, opt)
		if t != nil {
			sheet, hidden = t.sheet, t.hidden
		}
	}
	if err != nil {
		return nil, err
	}
	l, err := build(t)
	if err != nil {
		if format == FormatXLSX {
			return nil, fmt.Errorf("sheet %q: %w%s", t.sheet, err, otherSheets(t))
		}
		return nil, err
	}
	sum := sha256.Sum256(data)
	l.SHA256 = hex.EncodeToString(sum[:])
	l.Format = format
	l.Sheet = sheet
	l.HiddenSheets = hidden
	return l, nil
}

// otherSheets hints at the workbook's other sheets when the one read was
// not a vendor list (often a summary or a hidden lookup sheet comes first).
func otherSheets(t *table) string {
	var others []string
	for _, s := range t.sheets {
		if s != t.sheet {
			others = append(others, s)
		}
	}
	if len(others) == 0 {
		return ""
	}
	return fmt.Sprintf(" (other sheets: %s)", listSheets(others))
}

// formatOf maps a file name's extension to a format.
func formatOf(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv", ".tsv", ".txt":
		return FormatCSV, nil
	case ".xlsx", ".xlsm":
		return FormatXLSX, nil
	case ".xls":
		return "", errors.New("old Excel 97-2003 (.xls) workbooks are not supported: save the list as .xlsx or .csv")
	case "":
		return "", errors.New("the file name has no extension: name it .csv, .txt, .xlsx or .xlsm")
	default:
		return "", fmt.Errorf("unsupported file type %q: use .csv, .txt, .xlsx or .xlsm", ext)
	}
}

// readAll reads r whole, refusing more than limit bytes.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the file: %w", unwrapPath(err))
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(-1, limit)
	}
	return data, nil
}

// tooLarge says a file exceeds the size limit; size is -1 when unknown.
func tooLarge(size, limit int64) error {
	if size < 0 {
		return fmt.Errorf("the file is larger than the %s limit", mebibytes(limit))
	}
	return fmt.Errorf("the file is %s, larger than the %s limit", mebibytes(size), mebibytes(limit))
}

// mebibytes renders a byte count for people.
func mebibytes(n int64) string {
	const mib = 1 << 20
	if n < mib {
		return fmt.Sprintf("%d bytes", n)
	}
	if n%mib == 0 {
		return fmt.Sprintf("%d MiB", n/mib)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/mib)
}

// unwrapPath drops the *fs.PathError layer, whose text repeats the path the
// caller already prints, and keeps the cause for errors.Is.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
