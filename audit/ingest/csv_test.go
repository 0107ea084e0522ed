package ingest

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestColumnOf(t *testing.T) {
	tests := []struct {
		header string
		want   column
	}{
		{"Vendor", colName}, {"COMPANY", colName}, {" Supplier ", colName}, {"Partner", colName},
		{"Organisation", colName}, {"Organization", colName}, {"Name", colName}, {"Vendor Name", colName},
		{"Domain", colDomain}, {"Domains", colDomain}, {"Domain(s)", colDomain}, {"Mail domain", colDomain},
		{"E-mail domain", colDomain}, {"Website", colDomain}, {"Email", colEmail}, {"Emails", colEmail},
		{"E-mail", colEmail}, {"Contact email", colContactEmail}, {"Contact E-Mail", colContactEmail},
		{"Address", colEmail}, {"Email address", colEmail},
		{"Owner", colOwner}, {"Contact", colContact}, {"Business owner", colOwner}, {"Relationship-Owner", colOwner},
		{"Tier", colTier}, {"Criticality", colTier}, {"Risk tier", colTier}, {"Priority", colTier},
		{"Tags", colTags}, {"Labels", colTags}, {"Category", colTags},
		{"Notes", colNotes}, {"Comments", colNotes}, {"Remarks", colNotes},
		{"dkim_selectors", colDKIM}, {"DKIM selector", colDKIM},
		{"Vendor ID", colNone}, {"Contact name", colContact}, {"", colNone}, {"acme.example", colNone},
		// Spellings the reader has no table entry for, read by their words.
		{"ContactEmail", colContactEmail}, {"Security contact e-mail", colContactEmail}, {"POC mail address", colContactEmail},
		{"Privacy E-Mail", colContactEmail}, {"Vendor email", colContactEmail}, {"EMAIL_ADDRESS", colEmail},
		{"Mail address", colEmail}, {"e mail", colEmail}, {"Notification recipient", colContact},
		{"Point of contact", colContact}, {"Vendor representative", colContact}, {"Primary Contact", colContact},
		{"Vendor domain", colDomain}, {"Company website", colDomain}, {"Mail domain(s)", colDomain},
		{"Owner email", colOwner}, {"Account owner", colOwner}, {"Risk level", colTier}, {"Supplier name", colName},
		{"DKIM", colDKIM}, {"Postal address", colNone}, {"Vendor number", colNone},
		// Values are not headers, even when a word of them is.
		{"not a domain", colNone}, {"site.example", colNone}, {"ap@contact.example", colNone},
		{"mail goes to the domain's own address", colNone},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			if got := columnOf(tt.header); got != tt.want {
				t.Fatalf("columnOf(%q) = %d, want %d", tt.header, got, tt.want)
			}
		})
	}
}

func TestSplitValues(t *testing.T) {
	tests := []struct {
		name, cell string
		want       []string
	}{
		{"semicolons", "a.example;b.example", []string{"a.example", "b.example"}},
		{"commas and spaces", " a.example, b.example  c.example ", []string{"a.example", "b.example", "c.example"}},
		{"line breaks", "a.example\r\nb.example\nc.example", []string{"a.example", "b.example", "c.example"}},
		{"no-break space", "a.example\u00a0b.example", []string{"a.example", "b.example"}},
		{"display names", "Jane Doe <jane@a.example>, \"Roe, Bob\" <bob@b.example>", []string{"jane@a.example", "bob@b.example"}},
		{"bad display name falls back to words", "Jane <jane@>", []string{"Jane", "<jane@>"}},
		{"only separators", " ;, \n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitValues(tt.cell); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("splitValues(%q) = %q, want %q", tt.cell, got, tt.want)
			}
		})
	}
}

// utf16LE encodes s as UTF-16 little-endian with a byte order mark.
func utf16LE(s string) string {
	var buf bytes.Buffer
	buf.Write([]byte{0xFF, 0xFE})
	for _, u := range utf16.Encode([]rune(s)) {
		_ = binary.Write(&buf, binary.LittleEndian, u)
	}
	return buf.String()
}

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		opt      Options
		vendors  []Vendor
		problems []Problem
		domains  []string
		byDomain map[string][]int
	}{
		{
			name: "every column",
			in: "Vendor,Domain(s),Contact email,Owner,Tier,Tags,Notes\n" +
				"Acme Corp,acme.example,ap@acme.example,Alice  Smith,Tier 1,\"finance, payroll; Finance\",Primary processor\n",
			vendors: []Vendor{{Name: "Acme Corp", Domains: []string{"acme.example"}, Inputs: ids("acme.example"),
				Owner: "Alice Smith", Tier: "Tier 1", Notes: "Primary processor", Contact: "ap@acme.example", Tags: []string{"finance", "payroll"}, Row: 2}},
			domains:  []string{"acme.example"},
			byDomain: map[string][]int{"acme.example": {0}},
		},
		{
			name: "semicolon delimiter and synonyms",
			in: "Supplier;Mail domain;E-mail;Business owner;Risk tier;Labels;Remarks\n" +
				"Globex;globex.example;it@globex-mail.example;Bob;2;hr;uses two domains\n",
			vendors: []Vendor{{Name: "Globex", Domains: []string{"globex.example"}, Inputs: ids("globex.example"),
				Owner: "Bob", Tier: "2", Notes: "uses two domains", Contact: "it@globex-mail.example", Tags: []string{"hr"}, Row: 2}},
			domains: []string{"globex.example"},
		},
		{
			name: "tab delimiter and other synonyms",
			in: "Organization\tWebsite\tContact Email\tRelationship owner\tCriticality\tCategory\tComments\n" +
				"Initech, Inc.\tinitech.example\t\tCarol\thigh\tit, facilities\tnone\n",
			vendors: []Vendor{{Name: "Initech, Inc.", Domains: []string{"initech.example"}, Inputs: ids("initech.example"),
				Owner: "Carol", Tier: "high", Notes: "none", Tags: []string{"it", "facilities"}, Row: 2}},
		},
		{
			name: "several domains per cell",
			in: "Vendor,Domain\n" +
				"Acme,\"a1.example; a2.example, a3.example a4.example\na5.example\"\n" +
				"Beta,b.example;B.example\n",
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"a1.example", "a2.example", "a3.example", "a4.example", "a5.example"},
					Inputs: ids("a1.example", "a2.example", "a3.example", "a4.example", "a5.example"), Row: 2},
				{Name: "Beta", Domains: []string{"b.example"}, Inputs: ids("b.example"), Row: 3},
			},
		},
		{
			name: "e-mail addresses give their domain",
			in: "Name,Email\n" +
				"Acme,\"Jane Doe <jane@acme.example>, bob@ACME.example\"\n" +
				"Beta,mailto:ap@beta.example\n",
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"acme.example"}, Inputs: map[string]string{"acme.example": "jane@acme.example"}, Row: 2},
				{Name: "Beta", Domains: []string{"beta.example"}, Inputs: map[string]string{"beta.example": "mailto:ap@beta.example"}, Row: 3},
			},
		},
		{
			name: "an e-mail column beside a domain column is the contact",
			in:   "Vendor,Domain,Email\nAcme,acme.example,ap@acme-billing.example\n",
			vendors: []Vendor{{Name: "Acme", Domains: []string{"acme.example"}, Inputs: ids("acme.example"),
				Contact: "ap@acme-billing.example", Row: 2}},
		},
		{
			name: "IDN becomes its A-label",
			in:   "Vendor,Domain\nBücher GmbH,Bücher.example\n日本,info@日本語.jp\n",
			vendors: []Vendor{
				{Name: "Bücher GmbH", Domains: []string{"xn--bcher-kva.example"}, Inputs: map[string]string{"xn--bcher-kva.example": "Bücher.example"}, Row: 2},
				{Name: "日本", Domains: []string{"xn--wgv71a119e.jp"}, Inputs: map[string]string{"xn--wgv71a119e.jp": "info@日本語.jp"}, Row: 3},
			},
		},
		{
			name: "headerless one-per-line list",
			in:   "acme.example\n\nbeta.example\nAcme.Example.\nnot a domain\n",
			vendors: []Vendor{
				{Name: "acme.example", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Row: 1},
				{Name: "beta.example", Domains: []string{"beta.example"}, Inputs: ids("beta.example"), Row: 3},
			},
			problems: []Problem{
				{Row: 4, Column: "column 1", Value: "Acme.Example.", Message: "duplicate of row 1 (same vendor and domain)"},
				{Row: 5, Column: "column 1", Value: "not a domain", Message: `"not a domain" is not a domain name or e-mail address`},
			},
		},
		{
			name: "headerless list ignores columns that are not domains",
			in:   "acme.example,Acme Corp\nbeta.example,Beta Ltd\n",
			vendors: []Vendor{
				{Name: "acme.example", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Row: 1},
				{Name: "beta.example", Domains: []string{"beta.example"}, Inputs: ids("beta.example"), Row: 2},
			},
		},
		{
			name: "headerless list reads every domain column",
			in:   "a.example,b.example\nc.example,d.example\n",
			vendors: []Vendor{
				{Name: "a.example", Domains: []string{"a.example", "b.example"}, Inputs: ids("a.example", "b.example"), Row: 1},
				{Name: "c.example", Domains: []string{"c.example", "d.example"}, Inputs: ids("c.example", "d.example"), Row: 2},
			},
		},
		{
			name: "header on row 4 after title rows",
			in:   "Vendor security register\nExported 2025-01-31\n\nVendor,Domain\nAcme,acme.example\n",
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Row: 5},
			},
		},
		{
			name:    "a recognised word above the header is not the header",
			in:      "Owner:,Security team\nVendor,Domain\nAcme,acme.example\n",
			vendors: []Vendor{{Name: "Acme", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Row: 3}},
		},
		{
			name:    "UTF-8 byte order mark",
			in:      "\ufeffDomain\nacme.example\n",
			vendors: []Vendor{{Name: "acme.example", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Row: 2}},
		},
		{
			name:    "UTF-16 from Excel unicode text",
			in:      utf16LE("Vendor\tDomain\r\nAcme\tacme.example\r\n"),
			vendors: []Vendor{{Name: "Acme", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Row: 2}},
		},
		{
			name: "old Mac line ends",
			in:   "Vendor,Domain\rAcme,acme.example\r\rBeta,beta.example\r",
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Row: 2},
				{Name: "Beta", Domains: []string{"beta.example"}, Inputs: ids("beta.example"), Row: 4},
			},
		},
		{
			name: "ragged rows and stray quotes",
			in:   "Vendor,Domain,Notes\nAcme,acme.example\nBeta \"Inc\",beta.example,x,extra\n",
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Row: 2},
				{Name: `Beta "Inc"`, Domains: []string{"beta.example"}, Inputs: ids("beta.example"), Notes: "x", Row: 3},
			},
		},
		{
			name: "bad rows",
			in: "Vendor,Domain,Email,Notes\n" + // 1
				"Acme,acme.example,,\n" + // 2
				",,,\n" + // 3: empty cells, skipped
				"\n" + // 4: blank line, skipped
				"Globex,,,call them\n" + // 5
				"Initech,initech!.example,,\n" + // 6
				"Hooli,192.0.2.7,,\n" + // 7
				"Umbrella,https://umbrella.example/login,,\n" + // 8
				"Acme,ACME.example.,,\n" + // 9
				"Soylent,soylent.example,\xff@soylent.example,\n" + // 10
				"Cyberdyne,\xfe.example,,\n" + // 11
				",,,just a note\n" + // 12
				"Wayne,wayne.example bad!name,,\n", // 13
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"acme.example"}, Inputs: ids("acme.example"), Row: 2},
				{Name: "Soylent", Domains: []string{"soylent.example"}, Inputs: ids("soylent.example"), Row: 10},
				{Name: "Wayne", Domains: []string{"wayne.example"}, Inputs: ids("wayne.example"), Row: 13},
			},
			problems: []Problem{
				{Row: 5, Value: "Globex", Message: "no domain or e-mail address in this row"},
				{Row: 6, Column: "Domain", Value: "initech!.example", Message: `"initech!.example" is not a valid domain name: idna: disallowed rune U+0021`},
				{Row: 7, Column: "Domain", Value: "192.0.2.7", Message: `"192.0.2.7" is an IP address; give the mail domain instead`},
				{Row: 8, Column: "Domain", Value: "https://umbrella.example/login", Message: `"https://umbrella.example/login" looks like a URL, not a domain name`},
				{Row: 9, Column: "Domain", Value: "ACME.example.", Message: "duplicate of row 2 (same vendor and domain)"},
				{Row: 10, Column: "Email", Value: "\uFFFD@soylent.example", Message: msgBadUTF8},
				{Row: 11, Column: "Domain", Value: "\uFFFD.example", Message: msgBadUTF8},
				{Row: 12, Value: "just a note", Message: "no domain or e-mail address in this row"},
				{Row: 13, Column: "Domain", Value: "bad!name", Message: `"bad!name" is not a valid domain name: idna: disallowed rune U+0021`},
			},
		},
		{
			name: "a domain shared by two vendors",
			in:   "Vendor,Domain\nLitware Dental,litware-dental.example\nLitware Benefits,litware-dental.example; benefits.example\n",
			vendors: []Vendor{
				{Name: "Litware Dental", Domains: []string{"litware-dental.example"}, Inputs: ids("litware-dental.example"), Row: 2},
				{Name: "Litware Benefits", Domains: []string{"litware-dental.example", "benefits.example"},
					Inputs: ids("litware-dental.example", "benefits.example"), Row: 3},
			},
			domains:  []string{"litware-dental.example", "benefits.example"},
			byDomain: map[string][]int{"litware-dental.example": {0, 1}, "benefits.example": {1}},
		},
		{
			name: "rows of the same vendor merge",
			in: "Vendor,Domain,Owner,Tier,Tags,Notes\n" +
				"Acme,acme.example,Alice,1,a,first\n" +
				"Beta,beta.example,,,,\n" +
				"ACME,acme-mail.example,alice,2,\"b;A\",second\n",
			vendors: []Vendor{
				{Name: "Acme", Domains: []string{"acme.example", "acme-mail.example"}, Inputs: ids("acme.example", "acme-mail.example"),
					Owner: "Alice", Tier: "1", Notes: "first; second", Tags: []string{"a", "b"}, Row: 2},
				{Name: "Beta", Domains: []string{"beta.example"}, Inputs: ids("beta.example"), Row: 3},
			},
			problems: []Problem{
				{Row: 4, Column: "Tier", Value: "2", Message: `this vendor's tier is already "1" (row 2); kept that`},
			},
			domains:  []string{"acme.example", "beta.example", "acme-mail.example"},
			byDomain: map[string][]int{"acme.example": {0}, "beta.example": {1}, "acme-mail.example": {0}},
		},
		{
			name:    "long bad values are truncated",
			in:      "Domain\n" + strings.Repeat("x", 300) + "!\nok.example\n",
			vendors: []Vendor{{Name: "ok.example", Domains: []string{"ok.example"}, Inputs: ids("ok.example"), Row: 3}},
			problems: []Problem{{Row: 2, Column: "Domain", Value: strings.Repeat("x", 199) + "…",
				Message: `"` + strings.Repeat("x", 99) + `…" is not a valid domain name: idna: disallowed rune U+0021`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Read(strings.NewReader(tt.in), FormatCSV, tt.opt)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if l.Format != FormatCSV || l.Sheet != "" {
				t.Errorf("Format, Sheet = %q, %q; want %q, \"\"", l.Format, l.Sheet, FormatCSV)
			}
			wantList(t, l, tt.vendors, tt.problems)
			if tt.domains != nil && !reflect.DeepEqual(l.Domains, tt.domains) {
				t.Errorf("Domains = %q, want %q", l.Domains, tt.domains)
			}
			if tt.byDomain != nil && !reflect.DeepEqual(l.ByDomain, tt.byDomain) {
				t.Errorf("ByDomain = %v, want %v", l.ByDomain, tt.byDomain)
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name, in, format string
		opt              Options
		want             string
	}{
		{name: "empty", in: "", format: "csv", want: "the file is empty"},
		{name: "blank", in: " \n\r\n\t", format: "csv", want: "the file is empty"},
		{name: "no header and no domains", in: "hello,world\nfoo,bar\n", format: "csv",
			want: "no header row with a Domain or Email column in the first 10 rows, and the first column does not hold domain names"},
		{name: "header without a domain column", in: "Vendor,Owner,Cost\nAcme,Alice,3\n", format: "csv",
			want: "the header (row 1: Vendor, Owner) has no domain or e-mail column: add one titled Domain or Email"},
		{name: "a workbook named csv", in: "PK\x03\x04rest", format: "csv",
			want: "this is a zip archive (an Excel workbook?), not a CSV file: name it .xlsx"},
		{name: "an old xls named csv", in: "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", format: "csv",
			want: "this is an old Excel (.xls) or password-protected workbook, not a CSV file: save it as .xlsx or CSV without a password"},
		{name: "binary", in: "acme.example\x00\x01\x02", format: "csv", want: "this is a binary file, not a CSV or text list: every row holds NUL bytes"},
		{name: "too large", in: strings.Repeat("a.example\n", 3), format: "csv", opt: Options{MaxFileSize: 20},
			want: "the file is larger than the 20 bytes limit"},
		{name: "unknown format", in: "a.example", format: "ods", want: `unknown list format "ods" (want "csv" or "xlsx")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Read(strings.NewReader(tt.in), tt.format, tt.opt)
			if err == nil {
				t.Fatalf("Read = %+v, want error %q", l, tt.want)
			}
			if err.Error() != tt.want {
				t.Fatalf("Read error = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestReadDigest(t *testing.T) {
	in := "\ufeffDomain\nacme.example\n"
	l, err := Read(strings.NewReader(in), "CSV", Options{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	// sha256 of the bytes above, BOM included.
	const want = "4b8b59c15e6ceeb3542ad55fa8927b98f6d2357ebba15454deb6786eb89d6894"
	if l.SHA256 != want {
		t.Fatalf("SHA256 = %s, want %s", l.SHA256, want)
	}
}

func TestReadDKIMSelectors(t *testing.T) {
	in := "Vendor,Domain,DKIM selectors\n" +
		"Acme,acme.example,\"s1; Google\"\n" +
		"Acme,mail.acme.example,\"s1, s2\"\n" +
		"Bolt,bolt.example,bad/selector\n" +
		"Core,core.example,\n"
	l, err := Read(strings.NewReader(in), FormatCSV, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, v := range l.Vendors {
		got[v.Name] = v.DKIMSelectors
	}
	want := map[string][]string{"Acme": {"s1", "google", "s2"}, "Bolt": nil, "Core": nil}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("selectors %q, want %q", got, want)
	}
	if len(l.Problems) != 1 || l.Problems[0].Column != "DKIM selectors" || l.Problems[0].Value != "bad/selector" || l.Problems[0].Row != 4 {
		t.Fatalf("problems %+v, want one for bad/selector on row 4", l.Problems)
	}
}

// TestContact: the contact columns are the vendor's contact, kept
// through merged rows without repeats.
func TestContact(t *testing.T) {
	in := "Vendor,Domain,Contact,Security contact\n" +
		"Acme,acme.example,Jane Roe,privacy@acme.example\n" +
		"Acme,acme.example,Jane Roe,\n"
	l, err := Read(strings.NewReader(in), FormatCSV, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Vendors) != 1 || l.Vendors[0].Contact != "Jane Roe; privacy@acme.example" {
		t.Fatalf("vendors %+v", l.Vendors)
	}
}

// TestContactColumns: e-mail and contact columns under headers the reader
// has no table entry for are the vendor's contact; an e-mail column gives
// the domains to audit only when the list has no domain column, and a
// headerless column of addresses beside one of domains is the contact.
func TestContactColumns(t *testing.T) {
	tests := []struct {
		name, in         string
		domains, contact []string // per vendor, in order
	}{
		{"contact email before the domain column",
			"Supplier Name;Primary Contact E-Mail;Mail Domain(s)\nAcme;jane@acme-mail.example;acme.example\n",
			[]string{"acme.example"}, []string{"jane@acme-mail.example"}},
		{"camelCase and role headers",
			"Company\tWebsite\tSecurityEmail\tPOC mail address\tNotification recipient\nBolt\tbolt.example\tsec@bolt.example\tpoc@bolt-group.example\tOps desk\n",
			[]string{"bolt.example"}, []string{"sec@bolt.example; poc@bolt-group.example; Ops desk"}},
		{"plain e-mail beside a domain column",
			"Vendor,E-mail address,Domain\nCore,it@core-billing.example,core.example\n",
			[]string{"core.example"}, []string{"it@core-billing.example"}},
		{"plain e-mail without a domain column gives the domain",
			"Vendor,Emails\nDune,ap@dune.example\n",
			[]string{"dune.example"}, []string{""}},
		{"only a contact's address: its domain is audited and it is the contact",
			"Vendor,Vendor contact email\nEcho,ops@echo.example\n",
			[]string{"echo.example"}, []string{"ops@echo.example"}},
		{"headerless domains and addresses",
			"fox.example,ap@fox-billing.example\ngolf.example,\n",
			[]string{"fox.example", "golf.example"}, []string{"ap@fox-billing.example", ""}},
		{"headerless addresses alone give domains",
			"ap@hotel.example\nit@india.example\n",
			[]string{"hotel.example", "india.example"}, []string{"", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Read(strings.NewReader(tt.in), FormatCSV, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var doms, contacts []string
			for _, v := range l.Vendors {
				doms = append(doms, strings.Join(v.Domains, " "))
				contacts = append(contacts, v.Contact)
			}
			if !reflect.DeepEqual(doms, tt.domains) || !reflect.DeepEqual(contacts, tt.contact) || len(l.Problems) != 0 {
				t.Fatalf("domains %q, contacts %q, problems %+v; want %q, %q", doms, contacts, l.Problems, tt.domains, tt.contact)
			}
		})
	}
}
