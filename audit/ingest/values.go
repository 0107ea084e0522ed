package ingest

import (
	"net/mail"
	"strings"
	"unicode"
)

// row is one row of a list as read from the file.
type row struct {
	// num is the 1-based row number as a spreadsheet shows it.
	num int
	// cells are the cell texts as displayed, by column index.
	cells []string
	// anchors give, per cell, the row number of the merged cell whose value
	// the cell shows; 0 (or a short slice) when the cell is not merged.
	anchors []int
}

// cell is the text of column i ("" beyond the end of a ragged row).
func (r row) cell(i int) string {
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	return r.cells[i]
}

// anchor is the row of the merged cell column i shows, or 0.
func (r row) anchor(i int) int {
	if i < 0 || i >= len(r.anchors) {
		return 0
	}
	return r.anchors[i]
}

// empty reports whether every cell is blank.
func (r row) empty() bool {
	for _, c := range r.cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// splitValues splits a cell into the domains or e-mail addresses it holds,
// separated by ';', ',', white space or line breaks. A part holding
// display-name addresses ("Jane Doe <jane@vendor.example>") gives the
// addresses.
func splitValues(cell string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == '\n' || r == '\r' }) {
		if strings.ContainsRune(part, '<') && strings.ContainsRune(part, '>') {
			if addrs, err := mail.ParseAddressList(part); err == nil {
				for _, a := range addrs {
					out = append(out, a.Address)
				}
				continue
			}
		}
		out = append(out, strings.FieldsFunc(part, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })...)
	}
	return out
}

// splitTags splits a tags cell on ';', ',' and line breaks and appends the
// trimmed tags to into.
func splitTags(cell string, into []string) []string {
	for _, t := range strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == ',' || r == '\n' || r == '\r' }) {
		if t = collapseSpace(t); t != "" {
			into = append(into, t)
		}
	}
	return into
}

// collapseSpace trims s and turns each run of white space into one space.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate shortens a Problem value to maxProblemValue characters and
// replaces invalid UTF-8 so that reports can show it.
func truncate(s string) string {
	return shorten(strings.ToValidUTF8(s, "\uFFFD"), maxProblemValue)
}
