package ingest

import (
	"fmt"
	"strings"
	"unicode"
)

// headerSearchRows is how many non-empty rows at the top of a list are
// searched for the header row (title rows often come first).
const headerSearchRows = 10

// column is what a list column holds, recognised from its header.
type column int

const (
	colNone column = iota
	colName
	colDomain // domains or e-mail addresses: both give domains
	colOwner
	colTier
	colTags
	colNotes
	// colContact is the vendor's contact (a name or an address to write to).
	colContact
	colDKIM // DKIM selectors of the vendor's domains
)

// columnOf recognises a column header: case, spaces and punctuation do not
// matter, so "E-mail", "Contact Email" and "Domain(s)" are recognised.
func columnOf(header string) column {
	switch normaliseHeader(header) {
	case "vendor", "vendorname", "company", "companyname", "supplier", "suppliername",
		"partner", "partnername", "organisation", "organization", "organisationname",
		"organizationname", "name":
		return colName
	case "domain", "domains", "domainname", "domainnames", "maildomain", "maildomains",
		"emaildomain", "emaildomains", "website", "websites",
		"email", "emails", "emailaddress", "emailaddresses", "contactemail", "contactemails",
		"address", "addresses":
		return colDomain
	case "owner", "businessowner", "relationshipowner":
		return colOwner
	case "contact", "contactname", "contactperson", "vendorcontact", "securitycontact":
		return colContact
	case "tier", "criticality", "risktier", "priority":
		return colTier
	case "tags", "tag", "labels", "label", "category", "categories":
		return colTags
	case "notes", "note", "comments", "comment", "remarks", "remark":
		return colNotes
	case "dkimselectors", "dkimselector":
		return colDKIM
	}
	return colNone
}

// normaliseHeader lower-cases a header and keeps only its letters and digits.
func normaliseHeader(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// layout says where each kind of value is in the rows of a list.
type layout struct {
	// headerRow is the row number of the header; 0 for a headerless list.
	headerRow int
	// names are the column titles as written, by column index.
	names []string
	// name, owner and tier are column indexes, -1 when absent; the first
	// column of each kind is used.
	name, owner, tier int
	// domains, tags, notes and dkim are every column of their kind, in order.
	domains, tags, notes, dkim []int
	// contact are the contact columns.
	contact []int
}

// columnName is the title of column i for a Problem.
func (lo *layout) columnName(i int) string {
	if i < len(lo.names) && lo.names[i] != "" {
		return lo.names[i]
	}
	return fmt.Sprintf("column %d", i+1)
}

// findLayout finds the header among the first non-empty rows: the first row
// with a domain or e-mail column. When no row has one but a row has other
// recognised headers, the list has no domain column: an error. When no row
// has any recognised header but the first column holds domain names, the
// list is a headerless domain list: every column whose values look like
// domains is read as domains, and other columns are ignored.
func findLayout(rows []row) (*layout, error) {
	var (
		top        []row
		partial    *layout
		partialRow row
	)
	for _, r := range rows {
		if len(top) == headerSearchRows {
			break
		}
		if r.empty() {
			continue
		}
		top = append(top, r)
		lo := headerLayout(r)
		if len(lo.domains) > 0 {
			return lo, nil
		}
		if partial == nil && lo.recognised() {
			partial, partialRow = lo, r
		}
	}
	if partial != nil {
		var found []string
		for i, c := range partialRow.cells {
			if columnOf(c) != colNone {
				found = append(found, partial.columnName(i))
			}
		}
		return nil, fmt.Errorf("the header (row %d: %s) has no domain or e-mail column: add one titled Domain or Email",
			partial.headerRow, strings.Join(found, ", "))
	}
	if len(top) == 0 {
		return nil, fmt.Errorf("the list has no rows")
	}
	lo := &layout{name: -1, owner: -1, tier: -1}
	width := 0
	for _, r := range top {
		width = max(width, len(r.cells))
	}
	for i := range width {
		if looksLikeDomains(top, i) {
			lo.domains = append(lo.domains, i)
		} else if i == 0 {
			break
		}
	}
	if len(lo.domains) == 0 {
		return nil, fmt.Errorf("no header row with a Domain or Email column in the first %d rows, and the first column does not hold domain names",
			headerSearchRows)
	}
	return lo, nil
}

// headerLayout reads row r as a header.
func headerLayout(r row) *layout {
	lo := &layout{headerRow: r.num, name: -1, owner: -1, tier: -1}
	lo.names = make([]string, len(r.cells))
	for i, c := range r.cells {
		lo.names[i] = strings.Join(strings.Fields(c), " ")
		switch columnOf(c) {
		case colName:
			lo.name = firstOf(lo.name, i)
		case colDomain:
			lo.domains = append(lo.domains, i)
		case colContact:
			lo.contact = append(lo.contact, i)
		case colOwner:
			lo.owner = firstOf(lo.owner, i)
		case colTier:
			lo.tier = firstOf(lo.tier, i)
		case colTags:
			lo.tags = append(lo.tags, i)
		case colNotes:
			lo.notes = append(lo.notes, i)
		case colDKIM:
			lo.dkim = append(lo.dkim, i)
		}
	}
	return lo
}

// recognised reports whether any column header was recognised.
func (lo *layout) recognised() bool {
	return lo.name >= 0 || lo.owner >= 0 || lo.tier >= 0 ||
		len(lo.domains)+len(lo.tags)+len(lo.notes)+len(lo.dkim)+len(lo.contact) > 0
}

// width is one more than the highest column index the layout reads.
func (lo *layout) width() int {
	w := max(lo.name, lo.owner, lo.tier) + 1
	for _, cols := range [][]int{lo.domains, lo.tags, lo.notes, lo.dkim, lo.contact} {
		for _, c := range cols {
			w = max(w, c+1)
		}
	}
	return w
}

func firstOf(have, i int) int {
	if have >= 0 {
		return have
	}
	return i
}

// looksLikeDomains reports whether column i of rows mostly holds domain
// names or e-mail addresses: at least one cell, and at least half of the
// non-empty cells, made only of valid values.
func looksLikeDomains(rows []row, i int) bool {
	good, filled := 0, 0
	for _, r := range rows {
		c := r.cell(i)
		if strings.TrimSpace(c) == "" {
			continue
		}
		filled++
		vals := splitValues(c)
		ok := len(vals) > 0
		for _, v := range vals {
			if _, err := Domain(v); err != nil {
				ok = false
				break
			}
		}
		if ok {
			good++
		}
	}
	return good > 0 && 2*good >= filled
}
