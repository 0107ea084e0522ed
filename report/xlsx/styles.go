package xlsx

import (
	"github.com/xuri/excelize/v2"
)

// Number formats.
const (
	// numFmtText is Excel's built-in "@" format: what a user types into
	// the cell later stays text too, so no formula is ever evaluated there.
	numFmtText = 49
	// numFmtInteger is Excel's built-in "0" format.
	numFmtInteger = 1
	dateFormat    = "yyyy-mm-dd"
	timeFormat    = "yyyy-mm-dd hh:mm:ss"
	percentFormat = "0.0%"
)

// Fill colours.
const (
	headerFill  = "DDEBF7"
	headerLine  = "8EA9DB"
	unknownFill = "D9D9D9" // "?", not audited, and anything unlisted
	naFill      = "F2F2F2"
)

// gradeFills are the fill colours of grades, green (A+) to red (F).
func gradeFills() map[string]string {
	return map[string]string{
		"A+":  "63BE7B",
		"A":   "85C98A",
		"A-":  "A9D59A",
		"B":   "D3E7A6",
		"C":   "FFE484",
		"D":   "FCB36C",
		"F":   "F8696B",
		"?":   unknownFill,
		"N/A": naFill,
	}
}

// severityFills are the fill colours of finding severities.
func severityFills() map[string]string {
	return map[string]string{
		"critical": "F8696B",
		"high":     "FCB36C",
		"medium":   "FFE484",
		"low":      "D3E7A6",
		"info":     naFill,
	}
}

// styles are the workbook's cell styles, created once.
type styles struct {
	header, text, wrap, integer, percent, date, datetime int
	// gradeOther fills a grade that gradeFills does not list.
	gradeOther int
	grade      map[string]int
	severity   map[string]int
}

func newStyles(f *excelize.File) (*styles, error) {
	var err error
	mk := func(s *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(s)
		return id
	}
	textFmt := func(fill string) *excelize.Style {
		s := &excelize.Style{NumFmt: numFmtText, Alignment: &excelize.Alignment{Vertical: "top"}}
		if fill != "" {
			s.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}}
			s.Alignment.Horizontal = "center"
		}
		return s
	}
	df, tf, pf := dateFormat, timeFormat, percentFormat
	st := &styles{
		header: mk(&excelize.Style{
			Font:      &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{headerFill}},
			Border:    []excelize.Border{{Type: "bottom", Color: headerLine, Style: 1}},
			Alignment: &excelize.Alignment{Vertical: "top", WrapText: true},
			NumFmt:    numFmtText,
		}),
		text:       mk(textFmt("")),
		wrap:       mk(&excelize.Style{NumFmt: numFmtText, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}),
		integer:    mk(&excelize.Style{NumFmt: numFmtInteger, Alignment: &excelize.Alignment{Vertical: "top"}}),
		percent:    mk(&excelize.Style{CustomNumFmt: &pf, Alignment: &excelize.Alignment{Vertical: "top"}}),
		date:       mk(&excelize.Style{CustomNumFmt: &df, Alignment: &excelize.Alignment{Vertical: "top"}}),
		datetime:   mk(&excelize.Style{CustomNumFmt: &tf, Alignment: &excelize.Alignment{Vertical: "top"}}),
		gradeOther: mk(textFmt(unknownFill)),
		grade:      map[string]int{},
		severity:   map[string]int{},
	}
	for g, c := range gradeFills() {
		st.grade[g] = mk(textFmt(c))
	}
	for s, c := range severityFills() {
		st.severity[s] = mk(textFmt(c))
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// gradeStyle is the style of a grade cell.
func (st *styles) gradeStyle(g string) int {
	if id, ok := st.grade[g]; ok {
		return id
	}
	return st.gradeOther
}

// severityStyle is the style of a severity cell.
func (st *styles) severityStyle(s string) int {
	if id, ok := st.severity[s]; ok {
		return id
	}
	return st.text
}
