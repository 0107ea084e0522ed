package xlsx

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/mxaudit/mxaudit/report"
)

// kind says how a column's values become cells.
type kind int

// Column kinds.
const (
	kindText     kind = iota // text, one line
	kindWrap                 // text, wrapped
	kindInt                  // a whole number
	kindPercent              // a share 0..1 shown as a percentage
	kindDate                 // a calendar date (UTC)
	kindDateTime             // a timestamp (UTC)
	kindGrade                // text filled with the grade's colour
	kindSeverity             // text filled with the severity's colour
)

// column is one column of a table sheet.
type column struct {
	header string
	width  float64
	kind   kind
}

// colWidth is the column's width, wide enough that its header is never
// cut (the header row wraps at word boundaries, so the longest word
// counts, and a header of two words or fewer fits on two lines).
func (c column) colWidth() float64 {
	w := c.width
	longest := 0
	for _, word := range strings.Fields(c.header) {
		longest = max(longest, utf8.RuneCountInString(word))
	}
	half := (utf8.RuneCountInString(c.header) + 1) / 2
	return max(w, float64(max(longest, half)+headerPad))
}

// headerPad is the room beside a header's text, for the autofilter button.
const headerPad = 4

// Column widths, in characters.
const (
	widthFlag   = 10
	widthShort  = 14
	widthName   = 28
	widthHost   = 32
	widthMedium = 40
	widthLong   = 60
)

// truncMark ends a text cut at Excel's cell limit.
const truncMark = '…'

// Excel's 1900 date system shows years from 1900 (after its phantom 29
// February) to 9999.
const (
	excelFirstYear = 1900
	excelLastYear  = 9999
)

// inExcelRange reports whether Excel can show t as a date; a time outside
// (a hostile certificate can claim one) is written as ISO text.
func inExcelRange(t time.Time) bool {
	first := time.Date(excelFirstYear, time.March, 1, 0, 0, 0, 0, time.UTC)
	return !t.Before(first) && t.Year() <= excelLastYear
}

// cellText makes a string safe for a cell: report.Clean shows control
// characters, bidi overrides and invalid UTF-8 as visible escapes (XML 1.0
// forbids most control characters, so they would corrupt the workbook),
// the few characters XML still refuses are escaped the same way, so is
// the underscore of an "_xHHHH_" escape (breakXEscapes), and the text is
// cut to Excel's limit of 32,767 UTF-16 units.
func cellText(s string) string {
	s = report.Clean(s)
	if strings.ContainsAny(s, "\ufffe\uffff") {
		s = strings.NewReplacer("\ufffe", `\ufffe`, "\uffff", `\uffff`).Replace(s)
	}
	return capText(breakXEscapes(s), excelize.TotalCellChars)
}

// capText cuts s so that it holds at most limit UTF-16 units, marking the
// cut with truncMark.
func capText(s string, limit int) string {
	if len(s) <= limit { // each UTF-16 unit needs at least one byte
		return s
	}
	units := 0
	for _, r := range s {
		units += utf16.RuneLen(r)
	}
	if units <= limit {
		return s
	}
	room := limit - utf16.RuneLen(truncMark)
	units = 0
	for i, r := range s {
		n := utf16.RuneLen(r)
		if units+n > room {
			return s[:i] + string(truncMark)
		}
		units += n
	}
	return s
}

// cell turns a model value into the cell of a column: every string
// through cellText with the text format, numbers as numbers, times as
// Excel dates. nil, "", a nil *time.Time and a zero time are empty cells
// (ok false).
func (st *styles) cell(c column, v any) (cell excelize.Cell, ok bool, err error) {
	switch v := v.(type) {
	case nil:
		return cell, false, nil
	case string:
		if v == "" {
			return cell, false, nil
		}
		t := inert(cellText(v))
		switch c.kind {
		case kindGrade:
			return excelize.Cell{StyleID: st.gradeStyle(t), Value: t}, true, nil
		case kindSeverity:
			return excelize.Cell{StyleID: st.severityStyle(t), Value: t}, true, nil
		case kindWrap:
			return excelize.Cell{StyleID: st.wrap, Value: t}, true, nil
		}
		return excelize.Cell{StyleID: st.text, Value: t}, true, nil
	case bool:
		return excelize.Cell{StyleID: st.text, Value: yesNo(v)}, true, nil
	case int:
		return excelize.Cell{StyleID: st.integer, Value: v}, true, nil
	case float64:
		if c.kind == kindPercent {
			return excelize.Cell{StyleID: st.percent, Value: v}, true, nil
		}
		return excelize.Cell{Value: v}, true, nil
	case *time.Time:
		if v == nil {
			return cell, false, nil
		}
		cell, ok = st.timeCell(c, *v)
		return cell, ok, nil
	case time.Time:
		cell, ok = st.timeCell(c, v)
		return cell, ok, nil
	}
	return cell, false, fmt.Errorf("column %q: unsupported value type %T", c.header, v)
}

func (st *styles) timeCell(c column, t time.Time) (excelize.Cell, bool) {
	if t.IsZero() {
		return excelize.Cell{}, false
	}
	t = t.UTC()
	if !inExcelRange(t) {
		return excelize.Cell{StyleID: st.text, Value: t.Format(time.RFC3339)}, true
	}
	if c.kind == kindDate {
		return excelize.Cell{StyleID: st.date, Value: t}, true
	}
	return excelize.Cell{StyleID: st.datetime, Value: t}, true
}

// formulaStarts are the first characters that make a spreadsheet, or a
// program reading the sheet saved as CSV, treat a text as a formula.
const formulaStarts = "=+-@\t\r"

// inert stores a text that begins like a formula with a leading
// apostrophe (OWASP, CSV injection), so that it stays text when the sheet
// is saved as CSV and opened elsewhere.
func inert(s string) string {
	if s != "" && strings.ContainsRune(formulaStarts, rune(s[0])) {
		return "'" + s
	}
	return s
}

// words turns an internal value into words a reader expects:
// "not_eligible" → "Not eligible", "grade_down" → "Grade down".
func words(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// xEscapeLen is the length of "_xHHHH_".
const xEscapeLen = 7

// breakXEscapes shows the underscore that opens every "_xHHHH_" as the
// visible escape \x5f. Spreadsheet readers decode "_xHHHH_" in a string
// to the character U+HHHH; excelize escapes it for inline strings but not
// for shared strings, nor when two such sequences share an underscore
// ("_x0041_x0042_"), so without this a remote string could carry a control
// character or a bidi override past report.Clean, or not read as written.
func breakXEscapes(s string) string {
	if !strings.Contains(s, "_x") && !strings.Contains(s, "_X") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isXEscape(s[i:]) {
			b.WriteString(`\x5f`)
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// isXEscape reports whether s begins with "_xHHHH_".
func isXEscape(s string) bool {
	if len(s) < xEscapeLen || s[0] != '_' || (s[1] != 'x' && s[1] != 'X') || s[xEscapeLen-1] != '_' {
		return false
	}
	for _, c := range []byte(s[2 : xEscapeLen-1]) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
