package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

const (
	// defaultUnzipSizeLimit caps the total decompressed size of a workbook
	// (a zip bomb stops here); a 100,000-row vendor list needs well under it.
	defaultUnzipSizeLimit = 128 << 20
	// defaultUnzipXMLSizeLimit is the largest worksheet or shared-strings
	// part kept in memory; larger ones are streamed from a temporary file.
	defaultUnzipXMLSizeLimit = 16 << 20
	// maxSheetsListed is how many sheet names a "no sheet named" error lists.
	maxSheetsListed = 20
)

func (o Options) unzipLimits() (total, xml int64) {
	total, xml = o.unzipSizeLimit, o.unzipXMLSizeLimit
	if total <= 0 {
		total = defaultUnzipSizeLimit
	}
	if xml <= 0 {
		xml = defaultUnzipXMLSizeLimit
	}
	return total, min(total, xml)
}

// readXLSX reads one worksheet of an XLSX workbook, streaming its rows. Cells
// read as Excel displays them (number formats applied; formulas give their
// cached result). Rows that hold nothing are not kept.
func readXLSX(data []byte, opt Options) (*table, error) {
	if hasPrefix(data, oleMagic) {
		return nil, errors.New("this is an old Excel (.xls) workbook or a password-protected one: save it as .xlsx without a password, or as CSV")
	}
	if !hasPrefix(data, zipMagic) {
		return nil, errors.New("this is not an XLSX workbook (not a zip archive): if it is a CSV file, name it .csv")
	}
	total, xmlLimit := opt.unzipLimits()
	if err := checkParts(data, total); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: total, UnzipXMLSizeLimit: xmlLimit})
	if f != nil {
		// Close removes the temporary files of large parts; failing to
		// remove one does not make the list read any less correct.
		defer func() { _ = f.Close() }()
	}
	if err != nil {
		if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrAlgorithm) {
			return nil, fmt.Errorf("this is not a valid XLSX workbook: %w", err)
		}
		return nil, fmt.Errorf("cannot open the workbook: %w", err)
	}
	sheets := f.GetSheetList()
	var hidden []string
	for _, s := range sheets {
		if visible, err := f.GetSheetVisible(s); err == nil && !visible {
			hidden = append(hidden, s)
		}
	}
	sheet, err := pickSheet(sheets, hidden, opt.Sheet)
	if err != nil {
		return nil, err
	}
	t := &table{sheet: sheet, sheets: sheets, hidden: hidden}
	if err := readSheetRows(f, t, opt.maxRows()); err != nil {
		return nil, err
	}
	merges, err := sheetMerges(data, sheet, total)
	t.merges = merges
	var bad *corruptPartError
	if errors.As(err, &bad) {
		return nil, bad
	}
	if err != nil {
		t.problems = append(t.problems, Problem{
			Sheet:   sheet,
			Message: fmt.Sprintf("could not read the merged cells of the sheet (%v): a merged cell's value is read in its first cell only", err),
		})
	}
	return t, nil
}

// corruptPartError says which part of a workbook package is damaged: the
// list is refused rather than read with rows lost or values swapped.
type corruptPartError struct {
	part string
	err  error
}

func (e *corruptPartError) Error() string {
	return fmt.Sprintf("the workbook is damaged: part %s: %v; open it in a spreadsheet program and save it again", e.part, e.err)
}

func (e *corruptPartError) Unwrap() error { return e.err }

// checkParts reads every part of the package through archive/zip, which
// checks each part's size and CRC-32 against its headers, within limit
// bytes in all. excelize trusts the declared sizes and would cut a part
// whose headers understate it, losing rows with no error.
func checkParts(data []byte, limit int64) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("this is not a valid XLSX workbook: %w", err)
	}
	left := limit
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return &corruptPartError{part: f.Name, err: err}
		}
		n, err := io.Copy(io.Discard, io.LimitReader(rc, left+1))
		rc.Close()
		if err != nil {
			return &corruptPartError{part: f.Name, err: err}
		}
		if left -= n; left < 0 {
			return nil // too large to check: excelize refuses it under the same cap
		}
	}
	return nil
}

// pickSheet chooses the sheet to read: want (exact, else ignoring case),
// hidden or not, or the first visible sheet when want is empty (a hidden
// lookup sheet often comes first, and is not what the user sees).
func pickSheet(sheets, hidden []string, want string) (string, error) {
	if len(sheets) == 0 {
		return "", errors.New("the workbook has no sheets")
	}
	if want == "" {
		for _, s := range sheets {
			if !slices.Contains(hidden, s) {
				return s, nil
			}
		}
		return "", fmt.Errorf("every sheet of the workbook is hidden (%s): name the one to read with --sheet", listSheets(sheets))
	}
	for _, s := range sheets {
		if s == want {
			return s, nil
		}
	}
	for _, s := range sheets {
		if strings.EqualFold(s, want) {
			return s, nil
		}
	}
	return "", fmt.Errorf("no sheet named %q (sheets: %s)", want, listSheets(sheets))
}

// listSheets joins sheet names for a message, at most maxSheetsListed of them.
func listSheets(sheets []string) string {
	listed := strings.Join(sheets[:min(len(sheets), maxSheetsListed)], ", ")
	if len(sheets) > maxSheetsListed {
		listed += fmt.Sprintf(" and %d more", len(sheets)-maxSheetsListed)
	}
	return listed
}

// readSheetRows streams the rows of t.sheet into t. An error reading part
// way is a Problem; an error before any row is the error returned.
func readSheetRows(f *excelize.File, t *table, maxRows int) error {
	rows, err := f.Rows(t.sheet)
	if err != nil {
		return fmt.Errorf("cannot read sheet %q: %w", t.sheet, err)
	}
	defer rows.Close()
	// Next visits every row number in turn, gaps included, so counting
	// calls gives the row number a spreadsheet shows.
	num := 0
	for rows.Next() {
		num++
		cells, err := rows.Columns()
		if err != nil {
			t.readErr = err
			break
		}
		r := row{num: num, cells: cells}
		if r.empty() {
			continue
		}
		if num > maxRows {
			return &RowLimitError{Limit: maxRows, Row: num}
		}
		t.rows = append(t.rows, r)
	}
	if t.readErr == nil {
		t.readErr = rows.Error()
	}
	if t.readErr != nil {
		// Rows past a read error would be lost without a trace: the list
		// is refused whole.
		return fmt.Errorf("cannot read sheet %q from row %d on: %w", t.sheet, num, t.readErr)
	}
	return nil
}
