// Package ingest turns what users type or upload (domain names, e-mail
// addresses, vendor lists) into the A-label domain names the auditor takes,
// with a clear message for everything it cannot use.
//
// Domain normalises one value. ReadFile and Read read a vendor list, CSV or
// XLSX, into a List: its vendors, the unique domains to audit, and a Problem
// for every value or row that could not be used. Only a file that cannot be
// used at all is an error.
//
// # Columns
//
// The header is the first of the first ten non-empty rows that has a
// domain or e-mail column, so title rows and a metadata block above the
// table are passed over. Headers are read by their words, ignoring case,
// spaces, punctuation and camelCase ("Domain(s)", "E-mail",
// "PrimaryContactEmail"), so spellings never listed here are read too:
//
//	Name     vendor, company, supplier, partner, organisation, firm, name,
//	         alone or with "name" ("Vendor name"; "Vendor ID" is none)
//	Domains  any header with domain, website, site or URL ("Mail domain(s)")
//	E-mail   email(s), e-mail, email address, mail address, address
//	Contact  contact, POC, representative, liaison, recipient, person...
//	         ("Security contact"); an e-mail header with any other word
//	         is a contact's address ("Contact email", "Privacy e-mail")
//	Owner    any header with owner ("Business owner", "Owner email")
//	Tier     tier, criticality, priority, risk level/rating
//	Tags     tags, labels, category
//	Notes    notes, comments, remarks
//	DKIM     dkim selectors, dkim selector (selectors the vendor signs with,
//	         separated like tags; checked at SELECTOR._domainkey.DOMAIN)
//
// A cell that reads as a value ("site.example", "not a domain") is never
// a header. The domains to audit come from the Domains columns; without
// one, from the plain E-mail columns (an address gives its domain);
// without either, from the contacts' e-mail columns. Every e-mail column
// not read for domains is the vendor's contact, so a contact's address
// never adds a domain to audit to a list that names its domains.
// Every column of the kind read for domains is read; for Name, Owner and Tier the first
// such column is. Other columns are ignored.
//
// # Headerless lists
//
// When no row has a recognised header but the first column holds domain
// names or e-mail addresses (in at least half of its first ten non-empty
// cells), the file is a plain domain list, such as one domain per line.
// Every column whose first cells look like domains is read as domains, but
// a column of e-mail addresses beside one of domain names is the contact;
// the others are ignored; problems name the columns "column 1", "column 2"...
//
// # Cells and rows
//
// A domain cell may hold several values separated by ';', ',', white space
// or line breaks, and display-name addresses ("Jane <jane@vendor.example>").
// A cell none of whose words is a domain ("not a domain!") is one problem;
// otherwise each bad value is. Fully empty rows are skipped silently; a row
// with no domain or e-mail value at all is a problem. Rows naming the same
// vendor (ignoring case) are merged into one Vendor: the same domain again
// is a "duplicate of row N" problem; a different owner or tier is a problem
// and the first is kept; notes are joined and tags united. A row without a
// vendor name is named after its first domain, so a headerless list merges
// repeated domains. A domain used by two vendors is kept for both.
//
// # Formats
//
// CSV: the delimiter (',', ';' or tab) is the one that makes a header with a
// domain column appear, else the most frequent on the first line; a UTF-8
// BOM is dropped, UTF-16 with a BOM is converted, stray quotes and ragged rows
// are accepted, and row numbers count blank lines as a spreadsheet does. A
// cell that is not valid UTF-8 is a problem.
//
// XLSX: the first sheet, or Options.Sheet; rows are streamed and cells read
// as Excel displays them (formulas give their cached result). A merged
// range below the header shows its value in every row it covers that has
// content of its own. Decompression is capped against zip bombs.
//
// Both: files over Options.MaxFileSize are refused; reading stops, with a
// problem, at the first non-empty row past Options.MaxRows.
package ingest
