package ingest

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Problem messages that tests and callers may compare against.
const (
	msgNoDomain   = "no domain or e-mail address in this row"
	msgBadUTF8    = "not valid UTF-8 text: save the list as UTF-8 (\"CSV UTF-8\" in Excel)"
	msgDuplicate  = "duplicate of row %d (same vendor and domain)"
	msgNotDomains = "%s is not a domain name or e-mail address"
	msgConflict   = "this vendor's %s is already %s (row %d); kept that"
)

// table is a list as read from a file, before its columns are understood.
type table struct {
	// sheet is the worksheet read ("" for CSV); sheets are all the
	// workbook's sheets, in order.
	sheet  string
	sheets []string
	// hidden are the hidden (or very hidden) sheets of the workbook.
	hidden []string
	// rows are the rows read, in order, up to the row limit.
	rows []row
	// problems were met while reading (row limit reached, unreadable rest).
	problems []Problem
	// readErr, when set, stopped reading before the end of the file.
	readErr error
	// merges are the merged cell ranges of the sheet (XLSX only).
	merges []cellRange
}

// origin is where a vendor's domain was first given.
type origin struct {
	// row is the row it appeared in; src the row of the cell holding it
	// (the merged cell's first row when the value was shown by a merge).
	row, src, col int
}

// vendorState is what the builder remembers about a vendor while merging rows.
type vendorState struct {
	first             map[string]origin
	ownerRow, tierRow int
	// contacts are the vendor's contacts, in order, without repeats.
	contacts        []string
	notes           []string
	noteSet, tagSet map[string]bool
}

// builder turns the rows of a table into a List.
type builder struct {
	lo     *layout
	sheet  string
	list   *List
	byKey  map[string]int
	states []vendorState
}

// build understands the columns of t and reads its rows into a List.
func build(t *table) (*List, error) {
	lo, err := findLayout(t.rows)
	if err != nil {
		if t.readErr != nil {
			return nil, fmt.Errorf("%w (reading stopped early: %v)", err, t.readErr)
		}
		return nil, err
	}
	if len(t.merges) > 0 && !applyMerges(t.rows, t.merges, lo.headerRow, lo.width()) {
		t.problems = append(t.problems, Problem{
			Sheet:   t.sheet,
			Message: "the sheet has too many merged cells: some merged values are read in their first cell only",
		})
	}
	b := &builder{
		lo:    lo,
		sheet: t.sheet,
		list:  &List{ByDomain: map[string][]int{}},
		byKey: map[string]int{},
	}
	for _, r := range t.rows {
		if r.num <= lo.headerRow || r.empty() {
			continue
		}
		b.addRow(r)
	}
	for _, idx := range b.list.ByDomain {
		slices.Sort(idx)
	}
	for i := range b.list.Vendors {
		b.list.Vendors[i].Notes = strings.Join(b.states[i].notes, "; ")
		b.list.Vendors[i].Contact = strings.Join(b.states[i].contacts, "; ")
	}
	b.list.Problems = append(b.list.Problems, t.problems...)
	slices.SortStableFunc(b.list.Problems, func(a, c Problem) int { return a.Row - c.Row })
	return b.list, nil
}

// problem records a problem at row r.
func (b *builder) problem(r row, col int, value, msg string) {
	p := Problem{Sheet: b.sheet, Row: r.num, Value: truncate(value), Message: msg}
	if col >= 0 {
		p.Column = b.lo.columnName(col)
	}
	b.list.Problems = append(b.list.Problems, p)
}

// text is the cell in column col of r; a cell that is not valid UTF-8 is a
// problem and reads as "" with ok false.
func (b *builder) text(r row, col int) (s string, ok bool) {
	s = r.cell(col)
	if !utf8.ValidString(s) {
		b.problem(r, col, s, msgBadUTF8)
		return "", false
	}
	return s, true
}

// found is one usable domain of a row.
type found struct {
	domain, input string
	col           int
}

// addRow reads one non-empty data row.
func (b *builder) addRow(r row) {
	lo := b.lo
	name, _ := b.text(r, lo.name)
	name = collapseSpace(name)
	doms, sawValue := b.rowDomains(r)
	if !sawValue {
		b.problem(r, -1, firstFilled(r, name), msgNoDomain)
		return
	}
	owner, _ := b.text(r, lo.owner)
	tier, _ := b.text(r, lo.tier)
	var notes, tags, contacts []string
	for _, c := range lo.contact {
		if s, _ := b.text(r, c); strings.TrimSpace(s) != "" {
			contacts = append(contacts, collapseSpace(s))
		}
	}
	for _, c := range lo.notes {
		if s, _ := b.text(r, c); strings.TrimSpace(s) != "" {
			notes = append(notes, strings.TrimSpace(s))
		}
	}
	for _, c := range lo.tags {
		s, _ := b.text(r, c)
		tags = splitTags(s, tags)
	}
	var sels []string
	for _, c := range lo.dkim {
		s, _ := b.text(r, c)
		for _, sel := range splitTags(s, nil) {
			if !evidence.ValidDKIMSelector(sel) {
				b.problem(r, c, sel, msgBadSelector)
				continue
			}
			sels = append(sels, strings.ToLower(sel))
		}
	}
	if len(doms) == 0 {
		return
	}
	if name == "" {
		name = doms[0].domain
	}
	idx := b.vendor(r, name)
	v, st := &b.list.Vendors[idx], &b.states[idx]
	for _, f := range doms {
		src := r.anchor(f.col)
		if src == 0 {
			src = r.num
		}
		if o, dup := st.first[f.domain]; dup {
			// A merged cell spanning the vendor's rows shows one value, not a repeat.
			if o.src != src || o.col != f.col {
				b.problem(r, f.col, f.input, fmt.Sprintf(msgDuplicate, o.row))
			}
			continue
		}
		st.first[f.domain] = origin{row: r.num, src: src, col: f.col}
		v.Domains = append(v.Domains, f.domain)
		v.Inputs[f.domain] = f.input
		if _, seen := b.list.ByDomain[f.domain]; !seen {
			b.list.Domains = append(b.list.Domains, f.domain)
		}
		b.list.ByDomain[f.domain] = append(b.list.ByDomain[f.domain], idx)
	}
	b.merge(r, lo.owner, "owner", collapseSpace(owner), &v.Owner, &st.ownerRow)
	b.merge(r, lo.tier, "tier", collapseSpace(tier), &v.Tier, &st.tierRow)
	for _, ct := range contacts {
		if !slices.Contains(st.contacts, ct) {
			st.contacts = append(st.contacts, ct)
		}
	}
	for _, n := range notes {
		if !st.noteSet[n] {
			st.noteSet[n] = true
			st.notes = append(st.notes, n)
		}
	}
	for _, sel := range sels {
		if !slices.Contains(v.DKIMSelectors, sel) {
			v.DKIMSelectors = append(v.DKIMSelectors, sel)
		}
	}
	for _, t := range tags {
		if key := strings.ToLower(t); !st.tagSet[key] {
			st.tagSet[key] = true
			v.Tags = append(v.Tags, t)
		}
	}
}

// rowDomains collects the valid domains of row r, deduplicated, in order;
// sawValue reports whether any domain column held anything at all.
func (b *builder) rowDomains(r row) (doms []found, sawValue bool) {
	inRow := map[string]bool{}
	for _, c := range b.lo.domains {
		cell, ok := b.text(r, c)
		if !ok {
			sawValue = true
			continue
		}
		vals := splitValues(cell)
		if len(vals) == 0 {
			continue
		}
		sawValue = true
		var bad []Problem
		good := 0
		for _, v := range vals {
			d, err := Domain(v)
			if err != nil {
				bad = append(bad, Problem{Value: v, Message: err.Error()})
				continue
			}
			good++
			if !inRow[d] {
				inRow[d] = true
				doms = append(doms, found{domain: d, input: v, col: c})
			}
		}
		if good == 0 && len(vals) > 1 {
			// Words of a sentence are not each a bad domain: report the cell once.
			text := collapseSpace(cell)
			b.problem(r, c, text, fmt.Sprintf(msgNotDomains, quote(text)))
			continue
		}
		for _, p := range bad {
			b.problem(r, c, p.Value, p.Message)
		}
	}
	return doms, sawValue
}

// vendor returns the index of the vendor called name, adding it at row r
// when it is new. Names match case-insensitively.
func (b *builder) vendor(r row, name string) int {
	key := strings.ToLower(name)
	if idx, ok := b.byKey[key]; ok {
		return idx
	}
	b.list.Vendors = append(b.list.Vendors, Vendor{
		Name:   name,
		Inputs: map[string]string{},
		Sheet:  b.sheet,
		Row:    r.num,
	})
	b.states = append(b.states, vendorState{first: map[string]origin{}, noteSet: map[string]bool{}, tagSet: map[string]bool{}})
	idx := len(b.list.Vendors) - 1
	b.byKey[key] = idx
	return idx
}

// merge sets a single-valued vendor field from row r, or reports a
// conflict with the value an earlier row of the same vendor gave.
func (b *builder) merge(r row, col int, what, val string, field *string, fieldRow *int) {
	switch {
	case val == "":
	case *field == "":
		*field, *fieldRow = val, r.num
	case !strings.EqualFold(*field, val):
		b.problem(r, col, val, fmt.Sprintf(msgConflict, what, quote(*field), *fieldRow))
	}
}

// firstFilled is a value identifying row r in a whole-row problem: the
// vendor name, or else its first non-empty cell.
func firstFilled(r row, name string) string {
	if name != "" {
		return name
	}
	for _, c := range r.cells {
		if s := strings.TrimSpace(c); s != "" {
			return s
		}
	}
	return ""
}

// msgBadSelector is the problem of a DKIM selector that is not a DNS name.
const msgBadSelector = "not a DKIM selector (letters, digits, '-' and '_' in dot-separated labels)"
