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
	// colDomain is a column titled for domains ("Domain(s)", "Website"):
	// its values are domains, or e-mail addresses that give their domain.
	colDomain
	colOwner
	colTier
	colTags
	colNotes
	// colContact is the vendor's contact (a name or an address to write to).
	colContact
	colDKIM // DKIM selectors of the vendor's domains
	// colEmail is a plain e-mail column ("Email", "E-mail address"): the
	// domains to audit when the list has no domain column, the contact
	// otherwise.
	colEmail
	// colContactEmail is an e-mail column titled for a person or role
	// ("Contact email", "Security e-mail", "POC mail address"): the
	// contact, and the domains to audit only when the list has neither a
	// domain nor a plain e-mail column.
	colContactEmail
)

// Header words, after normaliseWords: what each kind of column is called.
var (
	dkimWords    = words("dkim")
	domainWords  = words("domain", "domains", "website", "websites", "site", "sites", "url", "urls", "fqdn", "fqdns")
	ownerWords   = words("owner", "owners", "steward", "sponsor")
	emailWords   = words("email", "emails", "emailaddress", "emailaddresses", "mailto")
	addressWords = words("address", "addresses", "mail", "mails", "internet", "electronic")
	// contactWords name a person or role at the vendor to write to.
	contactWords = words("contact", "contacts", "poc", "representative", "rep", "liaison", "correspondent",
		"recipient", "recipients", "escalation", "notify", "notification", "notifications", "person", "officer")
	tierWords  = words("tier", "criticality", "priority", "risktier")
	riskWords  = words("level", "rating", "class", "tier")
	tagWords   = words("tag", "tags", "label", "labels", "category", "categories")
	noteWords  = words("note", "notes", "comment", "comments", "remark", "remarks")
	nameWords  = words("vendor", "vendors", "company", "supplier", "partner", "organisation", "organization", "firm", "name")
	nameExtras = words("name", "legal", "the", "of")
)

// maxHeaderWords bounds a header: a longer cell is a sentence in a data
// row ("mail goes to the domain's own address"), not a column title.
const maxHeaderWords = 5

// valueWords never occur in a column title; a cell with one is a value
// ("not a domain", "n/a").
var valueWords = words("not", "a", "an", "is", "are", "was", "were", "no", "yes", "none", "n", "tbd", "unknown")

// isValue reports whether a cell reads as a value rather than a column
// title: a domain name or e-mail address ("site.example", "ap@x.example"),
// or words no title has.
func isValue(cell string) bool {
	c := strings.TrimSpace(cell)
	if strings.ContainsAny(c, ".@") {
		if _, err := Domain(c); err == nil {
			return true
		}
	}
	for _, w := range normaliseWords(c) {
		if valueWords[w] {
			return true
		}
	}
	return false
}

func words(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// columnOf recognises a column header by its words, so that spellings
// never seen before are read too: case, spaces, punctuation and
// camelCase do not matter ("E-mail", "ContactEmail", "Domain(s)",
// "Security contact e-mail").
//
// The order of the rules settles headers that name two things: DKIM
// selectors; then a domain ("Email domain" holds domains); an owner (ours,
// not the vendor's); an e-mail address, a contact's when the header also
// names a person or role ("Contact email", "Privacy e-mail"); a contact;
// tier, tags and notes; and last the vendor's name, only when the header
// says nothing else ("Vendor ID" is not the name).
func columnOf(header string) column {
	ws := normaliseWords(header)
	if len(ws) == 0 || len(ws) > maxHeaderWords || isValue(header) {
		return colNone
	}
	has := func(set map[string]bool) bool {
		for _, w := range ws {
			if set[w] {
				return true
			}
		}
		return false
	}
	only := func(sets ...map[string]bool) bool {
		for _, w := range ws {
			in := false
			for _, set := range sets {
				in = in || set[w]
			}
			if !in {
				return false
			}
		}
		return true
	}
	switch {
	case has(dkimWords):
		return colDKIM
	case has(domainWords):
		return colDomain
	case has(ownerWords):
		return colOwner
	case has(emailWords) || (has(addressWords) && only(addressWords, contactWords)):
		// "Email", "E-mail address", "Mail address", "Address": an address
		// column; with any other word it names whose address it is
		// ("Contact email", "POC mail address"). "Postal address" is none.
		if only(emailWords, addressWords) {
			return colEmail
		}
		return colContactEmail
	case has(contactWords):
		return colContact
	case has(tierWords) || (ws[0] == "risk" && len(ws) == 2 && riskWords[ws[1]]):
		return colTier
	case has(tagWords):
		return colTags
	case has(noteWords):
		return colNotes
	case has(nameWords) && only(nameWords, nameExtras):
		return colName
	}
	return colNone
}

// normaliseWords splits a header into lower-case words of letters and
// digits: at punctuation and spaces, and where a lower-case letter is
// followed by an upper-case one ("ContactEmail"). "e mail" and "e-mail"
// become "email"; a lone "s" (as in "Domain(s)") is dropped.
func normaliseWords(s string) []string {
	var ws []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			ws = append(ws, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if unicode.IsUpper(r) && unicode.IsLower(prev) {
				flush()
			}
			cur = append(cur, r)
		default:
			flush()
		}
		prev = r
	}
	flush()
	out := ws[:0]
	for i := 0; i < len(ws); i++ {
		switch {
		case ws[i] == "e" && i+1 < len(ws) && (ws[i+1] == "mail" || ws[i+1] == "mails"):
			out = append(out, "e"+ws[i+1])
			i++
		case ws[i] == "s" && i > 0:
		default:
			out = append(out, ws[i])
		}
	}
	return out
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
	var emails []int
	for i := range width {
		ok, addresses := looksLikeDomains(top, i)
		switch {
		case !ok && i == 0:
			// The first column must hold domains for a headerless list.
		case !ok:
			continue
		case addresses:
			emails = append(emails, i)
			continue
		default:
			lo.domains = append(lo.domains, i)
			continue
		}
		break
	}
	// A column of e-mail addresses beside a column of domain names holds
	// contacts, as it would under a header.
	if len(lo.domains) > 0 {
		lo.contact = emails
	} else {
		lo.domains = emails
	}
	if len(lo.domains) == 0 {
		return nil, fmt.Errorf("no header row with a Domain or Email column in the first %d rows, and the first column does not hold domain names",
			headerSearchRows)
	}
	return lo, nil
}

// headerLayout reads row r as a header. The domains to audit come from
// the domain columns; without one, from the plain e-mail columns; without
// either, from the contacts' e-mail columns. Every e-mail column not read
// for domains is a contact column, so a contact's address never adds a
// domain to audit when the list names the domains.
func headerLayout(r row) *layout {
	lo := &layout{headerRow: r.num, name: -1, owner: -1, tier: -1}
	lo.names = make([]string, len(r.cells))
	var domains, emails, contactEmails []int
	kinds := make([]column, len(r.cells))
	for i, c := range r.cells {
		lo.names[i] = strings.Join(strings.Fields(c), " ")
		kinds[i] = columnOf(c)
		switch kinds[i] {
		case colName:
			lo.name = firstOf(lo.name, i)
		case colDomain:
			domains = append(domains, i)
		case colEmail:
			emails = append(emails, i)
		case colContactEmail:
			contactEmails = append(contactEmails, i)
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
	switch {
	case len(domains) > 0:
		lo.domains = domains
	case len(emails) > 0:
		lo.domains = emails
	default:
		lo.domains = contactEmails
	}
	// Contact columns in the order of the header.
	for i, k := range kinds {
		switch {
		case k == colContact, k == colContactEmail:
			lo.contact = append(lo.contact, i)
		case k == colEmail && len(domains) > 0:
			lo.contact = append(lo.contact, i)
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
// non-empty cells, made only of valid values; addresses is set when most
// of those cells hold e-mail addresses rather than domain names.
func looksLikeDomains(rows []row, i int) (ok, addresses bool) {
	good, filled, withAt := 0, 0, 0
	for _, r := range rows {
		c := r.cell(i)
		if strings.TrimSpace(c) == "" {
			continue
		}
		filled++
		vals := splitValues(c)
		valid := len(vals) > 0
		at := false
		for _, v := range vals {
			if _, err := Domain(v); err != nil {
				valid = false
				break
			}
			at = at || strings.Contains(v, "@")
		}
		if valid {
			good++
			if at {
				withAt++
			}
		}
	}
	return good > 0 && 2*good >= filled, 2*withAt > good
}
