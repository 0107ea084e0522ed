package ingest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

const (
	// csvDelimiters are the delimiters a CSV list may use, in order of preference.
	csvDelimiters = ",;\t"
	// Byte order marks and the signatures of zip archives (XLSX) and OLE
	// compound files (XLS, encrypted XLSX).
	utf8BOM    = "\xEF\xBB\xBF"
	utf16LEBOM = "\xFF\xFE"
	utf16BEBOM = "\xFE\xFF"
	zipMagic   = "PK\x03\x04"
	oleMagic   = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"
)

// hasPrefix reports whether data starts with prefix.
func hasPrefix(data []byte, prefix string) bool {
	return len(data) >= len(prefix) && string(data[:len(prefix)]) == prefix
}

// readCSV reads a CSV (or TSV, or plain one-per-line) list. The delimiter
// is whichever of ',', ';' and tab makes a header row with a domain column
// appear (the one with most recognised columns wins); for a headerless list
// it is the one most frequent on the first line. A UTF-8 BOM is dropped,
// UTF-16 with a BOM (Excel's "Unicode text") is converted, and old Mac line
// ends (CR only) are understood.
func readCSV(data []byte, opt Options) (*table, error) {
	text, err := csvText(data)
	if err != nil {
		return nil, err
	}
	delim := sniffDelimiter(text)
	t := &table{}
	maxRows := opt.maxRows()
	r := newCSVReader(text, delim)
	var (
		prevRow  int   // row number of the previous record
		prevLine int   // lines wholly consumed by previous records
		prevOff  int64 // input offset after the previous record
	)
	nulRows := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// Unreachable with LazyQuotes and a byte slice, but a reader
			// that cannot go on must not loop.
			t.problems = append(t.problems, Problem{Row: prevRow + 1, Message: fmt.Sprintf("could not read the rest of the file: %v", err)})
			t.readErr = err
			break
		}
		line, _ := r.FieldPos(0)
		// encoding/csv skips empty lines; a spreadsheet shows them as rows.
		num := prevRow + 1 + max(0, line-prevLine-1)
		off := r.InputOffset()
		prevLine += bytes.Count(text[prevOff:off], []byte{'\n'})
		prevRow, prevOff = num, off
		rw := row{num: num, cells: rec}
		if slices.ContainsFunc(rec, func(c string) bool { return strings.IndexByte(c, 0) >= 0 }) {
			// One rule wherever the byte sits: the row is refused, the
			// rest of the list is read (a binary file then has no usable
			// row at all, and is refused as such).
			t.problems = append(t.problems, Problem{Row: num, Message: "the row holds a NUL byte (binary data, or a UTF-16 file without its byte-order mark): skipped"})
			nulRows++
			continue
		}
		if num > maxRows {
			if rw.empty() {
				continue
			}
			return nil, &RowLimitError{Limit: maxRows, Row: num}
		}
		t.rows = append(t.rows, rw)
	}
	if len(t.rows) == 0 && nulRows > 0 {
		return nil, errors.New("this is a binary file, not a CSV or text list: every row holds NUL bytes")
	}
	return t, nil
}

// newCSVReader is a tolerant CSV reader: stray quotes and ragged rows are fine.
func newCSVReader(text []byte, delim rune) *csv.Reader {
	r := csv.NewReader(bytes.NewReader(text))
	r.Comma = delim
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	return r
}

// csvText checks that data is text and returns it as UTF-8 with '\n' line
// ends somewhere, without a BOM.
func csvText(data []byte) ([]byte, error) {
	switch {
	case hasPrefix(data, zipMagic):
		return nil, errors.New("this is a zip archive (an Excel workbook?), not a CSV file: name it .xlsx")
	case hasPrefix(data, oleMagic):
		return nil, errors.New("this is an old Excel (.xls) or password-protected workbook, not a CSV file: save it as .xlsx or CSV without a password")
	case hasPrefix(data, utf16LEBOM), hasPrefix(data, utf16BEBOM):
		out, _, err := transform.Bytes(xunicode.BOMOverride(xunicode.UTF8.NewDecoder()), data)
		if err != nil {
			return nil, fmt.Errorf("cannot read the UTF-16 text: %w", err)
		}
		data = out
	}
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	if bytes.IndexByte(data, '\n') < 0 && bytes.IndexByte(data, '\r') >= 0 {
		data = bytes.ReplaceAll(data, []byte{'\r'}, []byte{'\n'})
	}
	return data, nil
}

// sniffDelimiter picks the delimiter of a CSV text.
func sniffDelimiter(text []byte) rune {
	best, bestScore := rune(0), 0
	for _, d := range csvDelimiters {
		rows := leadingRows(text, d)
		for _, r := range rows {
			lo := headerLayout(r)
			if len(lo.domains) == 0 {
				continue
			}
			if score := recognisedColumns(r); score > bestScore {
				best, bestScore = d, score
			}
			break
		}
	}
	if best != 0 {
		return best
	}
	first := bytes.TrimLeft(text, "\r\n")
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	best, count := rune(csvDelimiters[0]), 0
	for _, d := range csvDelimiters {
		if n := bytes.Count(first, []byte(string(d))); n > count {
			best, count = d, n
		}
	}
	return best
}

// leadingRows parses the first non-empty records of text with delimiter d.
func leadingRows(text []byte, d rune) []row {
	r := newCSVReader(text, d)
	var rows []row
	for len(rows) < headerSearchRows {
		rec, err := r.Read()
		if err != nil {
			break
		}
		if rw := (row{cells: rec}); !rw.empty() {
			rows = append(rows, rw)
		}
	}
	return rows
}

// recognisedColumns counts the recognised headers of r.
func recognisedColumns(r row) int {
	n := 0
	for _, c := range r.cells {
		if columnOf(c) != colNone {
			n++
		}
	}
	return n
}

// RowLimitError is returned when a list holds a row past Options.MaxRows:
// the list is refused whole rather than cut short, since a vendor dropped
// from the end of a list would look audited and fine.
type RowLimitError struct {
	// Limit is the highest row number read; Row is the first used row past it.
	Limit, Row int
}

func (e *RowLimitError) Error() string {
	return fmt.Sprintf("the list has more than %d rows (row %d holds data): nothing was read", e.Limit, e.Row)
}
