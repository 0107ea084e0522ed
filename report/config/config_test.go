package config

import (
	"errors"
	"github.com/mxaudit/mxaudit/report"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	dir := filepath.Join(string(filepath.Separator), "etc", "mxaudit")
	name := filepath.Join(dir, "mxaudit.yaml")
	tests := []struct {
		name string
		text string
		want Config
	}{
		{name: "empty file", text: "", want: Config{Path: name}},
		{name: "comments only", text: "# nothing yet\n", want: Config{Path: name}},
		{name: "full", text: `organisation: Example Health
title: Vendor mail transport security
contact: "security@example.org, +1 555 0100"
logo: branding/logo.png
policy_label: Vendor mail TLS standard v2
frameworks: [HIPAA, pci-dss, glba, HIPAA]
remediation_days: 45
output_dir: reports
formats: [PDF, json]
letters: true
pdf_appendix_domains: 20
pdf_remediation_vendors: all
pdf_change_rows: 1000
signatory: Dana Reyes, Privacy Officer
letter_basis: our business associate agreement (45 CFR 164.314(a))
`, want: Config{Path: name, Org: report.Org{Name: "Example Health", Title: "Vendor mail transport security",
			Contact: "security@example.org, +1 555 0100", Logo: filepath.Join(dir, "branding", "logo.png"),
			PolicyLabel: "Vendor mail TLS standard v2", Frameworks: []string{"HIPAA", "PCI DSS", "GLBA"}, RemediationDays: 45,
			Signatory: "Dana Reyes, Privacy Officer", LetterBasis: "our business associate agreement (45 CFR 164.314(a))"},
			OutputDir: filepath.Join(dir, "reports"), Formats: []string{"pdf", "json"}, Letters: true,
			PDFAppendixDomains: 20, PDFRemediationVendors: NoLimit, PDFChangeRows: 1000}},
		{name: "absolute paths stay", text: "logo: /srv/logo.jpg\noutput_dir: /var/reports/../out\n",
			want: Config{Path: name, Org: report.Org{Logo: "/srv/logo.jpg"}, OutputDir: "/var/out"}},
		{name: "frameworks as one line", text: "frameworks: HIPAA, NYDFS\n",
			want: Config{Path: name, Org: report.Org{Frameworks: []string{"HIPAA", "NYDFS"}}}},
		{name: "block list and unicode", text: "organisation: Ñandú Salud S.A.\nframeworks:\n  - FFIEC\n  - PCI DSS\n",
			want: Config{Path: name, Org: report.Org{Name: "Ñandú Salud S.A.", Frameworks: []string{"FFIEC", "PCI DSS"}}}},
		{name: "null values", text: "contact:\nframeworks:\n", want: Config{Path: name}},
		{name: "letters off", text: "letters: false\n", want: Config{Path: name}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig(name, []byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	const name = "mxaudit.yaml"
	tests := []struct {
		name string
		text string
		line int
		want string
	}{
		{name: "unknown key", text: "organisation: X\n\ncolour: red\n", line: 3, want: `unknown key "colour"`},
		{name: "misspelt key", text: "title: T\norganization: X\n", line: 2, want: `unknown key "organization"`},
		{name: "duplicate key", text: "title: A\ncontact: c\ntitle: B\n", line: 3, want: `"title" is already set on line 1`},
		{name: "days not a number", text: "remediation_days: soon\n", line: 1, want: "want a whole number of days"},
		{name: "days zero", text: "remediation_days: 0\n", line: 1, want: "from 1 to 366"},
		{name: "days fraction", text: "\nremediation_days: 2.5\n", line: 2, want: "whole number"},
		{name: "days too many", text: "remediation_days: 1000\n", line: 1, want: "from 1 to 366"},
		{name: "unknown framework", text: "frameworks:\n  - HIPAA\n  - SOX\n", line: 3, want: `unknown framework "SOX" (known: HIPAA, GLBA, FFIEC, NYDFS, PCI DSS)`},
		{name: "unknown format", text: "formats: [pdf, docx]\n", line: 1, want: `unknown format "docx"`},
		{name: "no formats", text: "formats: []\n", line: 1, want: "name at least one format"},
		{name: "letters not bool", text: "letters: sometimes\n", line: 1, want: "want true or false"},
		{name: "title is a list", text: "title:\n  - a\n  - b\n", line: 2, want: "want a single value"},
		{name: "frameworks is a map", text: "frameworks:\n  hipaa: yes\n", line: 2, want: "want a list"},
		{name: "control character", text: "title: \"Report\\x1b[2J\"\n", line: 1, want: "control or direction-changing"},
		{name: "bidi override", text: "organisation: \"Acme\u202egnp.exe\"\n", line: 1, want: "control or direction-changing"},
		{name: "too long", text: "title: " + strings.Repeat("x", maxConfigText+1) + "\n", line: 1, want: "longer than 200"},
		{name: "not a mapping", text: "- a\n- b\n", line: 1, want: "want a mapping"},
		{name: "syntax error", text: "title: a\n  bad: indent\n", line: 2, want: "not valid YAML"},
		{name: "two documents", text: "title: a\n---\ntitle: b\n", line: 2, want: "more than one YAML document"},
		{name: "alias", text: "title: &t T\ncontact: *t\n", line: 2, want: "aliases are not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(name, []byte(tc.text))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			if ce.Line != tc.line {
				t.Errorf("line = %d, want %d (%v)", ce.Line, tc.line, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if tc.line > 0 && !strings.HasPrefix(err.Error(), name+":"+strconv.Itoa(tc.line)+": ") {
				t.Errorf("error %q does not start with file:line", err)
			}
		})
	}
}

// TestParseConfigPDFCaps: each PDF cap takes a whole number or "all",
// stored in report/pdf's convention (0 default, NoLimit none), and every
// other value is refused with the key, the line and the value.
func TestParseConfigPDFCaps(t *testing.T) {
	const name = "mxaudit.yaml"
	keys := []struct {
		key string
		get func(Config) int
	}{
		{keyPDFAppendix, func(c Config) int { return c.PDFAppendixDomains }},
		{keyPDFRemediation, func(c Config) int { return c.PDFRemediationVendors }},
		{keyPDFChangeRows, func(c Config) int { return c.PDFChangeRows }},
		{keyPDFVendorRows, func(c Config) int { return c.PDFVendorRows }},
	}
	valid := []struct {
		name, value string // value "" leaves the key out
		want        int
	}{
		{name: "absent", want: 0},
		{name: "one", value: "1", want: 1},
		{name: "number", value: "150", want: 150},
		{name: "largest", value: "1000000", want: maxPDFCap},
		{name: "all", value: "all", want: NoLimit},
		{name: "all in capitals", value: "ALL", want: NoLimit},
		{name: "all quoted", value: `"all"`, want: NoLimit},
		{name: "no value", value: " ", want: 0},
		{name: "null", value: "~", want: 0},
	}
	invalid := []struct {
		name, value, shown string // shown: the value as the error quotes it
	}{
		{name: "zero", value: "0", shown: "0"},
		{name: "negative", value: "-1", shown: "-1"},
		{name: "absurd", value: "1000001", shown: "1000001"},
		{name: "overflow", value: "99999999999999999999", shown: "99999999999999999999"},
		{name: "fraction", value: "2.5", shown: "2.5"},
		{name: "word", value: "many", shown: "many"},
		{name: "quoted number", value: `"150"`, shown: "150"},
		{name: "bool", value: "true", shown: "true"},
		{name: "none", value: "none", shown: "none"},
	}
	for _, k := range keys {
		t.Run(k.key, func(t *testing.T) {
			for _, tc := range valid {
				t.Run(tc.name, func(t *testing.T) {
					text := "organisation: X\n"
					if tc.value != "" {
						text += k.key + ":" + " " + tc.value + "\n"
					}
					c, err := ParseConfig(name, []byte(text))
					if err != nil {
						t.Fatal(err)
					}
					if got := k.get(c); got != tc.want {
						t.Fatalf("%s = %d, want %d", k.key, got, tc.want)
					}
					// The other caps stay at their default.
					sum := c.PDFAppendixDomains + c.PDFRemediationVendors + c.PDFChangeRows + c.PDFVendorRows
					if sum != tc.want {
						t.Fatalf("another cap was set: %+v", c)
					}
				})
			}
			for _, tc := range invalid {
				t.Run(tc.name, func(t *testing.T) {
					_, err := ParseConfig(name, []byte("organisation: X\n\n"+k.key+": "+tc.value+"\n"))
					var ce *ConfigError
					if !errors.As(err, &ce) {
						t.Fatalf("err = %v, want a *ConfigError", err)
					}
					want := name + ":3: " + k.key + `: want a whole number from 1 to 1000000, or all for no limit, not "` + tc.shown + `"`
					if err.Error() != want || ce.Line != 3 {
						t.Fatalf("err = %q (line %d)\nwant  %q (line 3)", err, ce.Line, want)
					}
				})
			}
			t.Run("a list", func(t *testing.T) {
				_, err := ParseConfig(name, []byte(k.key+":\n  - 1\n"))
				want := name + ":2: " + k.key + ": want a single value, not a list or a mapping"
				if err == nil || err.Error() != want {
					t.Fatalf("err = %v, want %q", err, want)
				}
			})
		})
	}
}

func TestLoadConfigLogo(t *testing.T) {
	png := append([]byte(nil), pngMagic...)
	jpeg := append(append([]byte(nil), jpegMagic...), 0xe0)
	tests := []struct {
		name    string
		logo    []byte // nil: no logo file
		logoKey string
		wantErr string
	}{
		{name: "png", logo: png, logoKey: "img/logo.png"},
		{name: "jpeg", logo: jpeg, logoKey: "img/logo.png"},
		{name: "missing", logoKey: "img/logo.png", wantErr: "no such file"},
		{name: "not an image", logo: []byte("GIF89a..."), logoKey: "img/logo.png", wantErr: "is not a PNG or JPEG image"},
		{name: "empty file", logo: []byte{}, logoKey: "img/logo.png", wantErr: "is not a PNG or JPEG image"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.logo != nil {
				if err := os.MkdirAll(filepath.Join(dir, "img"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "img", "logo.png"), tc.logo, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := filepath.Join(dir, "mxaudit.yaml")
			if err := os.WriteFile(cfg, []byte("organisation: X\nlogo: "+tc.logoKey+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := LoadConfig(cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if want := filepath.Join(dir, "img", "logo.png"); c.Org.Logo != want {
					t.Fatalf("logo = %q, want %q", c.Org.Logo, want)
				}
				return
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.Line != 2 || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want line 2 saying %q", err, tc.wantErr)
			}
		})
	}
}

func TestLoadConfigFile(t *testing.T) {
	dir := t.TempDir()
	t.Run("missing file", func(t *testing.T) {
		_, err := LoadConfig(filepath.Join(dir, "nope.yaml"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v, want not exist", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		p := filepath.Join(dir, "big.yaml")
		if err := os.WriteFile(p, []byte("# "+strings.Repeat("x", maxConfigBytes)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestConfigExample: the example shipped in templates/ parses, and names
// every key, so it stays the documentation of the file.
func TestConfigExample(t *testing.T) {
	path := filepath.Join("..", "..", "templates", "config-example.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseConfig(path, b)
	if err != nil {
		t.Fatal(err)
	}
	last := -1
	for _, k := range configKeys {
		at := strings.Index("\n"+string(b), "\n"+k+":")
		if at < 0 {
			t.Errorf("the example does not set %q", k)
			continue
		}
		if at < last {
			t.Errorf("the example sets %q out of order (the order of configKeys)", k)
		}
		last = at
	}
	if c.Org.Name == "" || c.Org.RemediationDays == 0 || len(c.Org.Frameworks) == 0 || len(c.Formats) != len(AllFormats()) {
		t.Errorf("example parsed to %+v", c)
	}
	// The example sets the caps to report/pdf's defaults (150, 150, 500);
	// cmd/mxaudit's tests check these still are the defaults.
	if c.PDFAppendixDomains != 150 || c.PDFRemediationVendors != 150 || c.PDFChangeRows != 500 {
		t.Errorf("example caps: appendix %d, remediation %d, changes %d", c.PDFAppendixDomains, c.PDFRemediationVendors, c.PDFChangeRows)
	}
}

func TestCanonicalFramework(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"HIPAA", "HIPAA", true},
		{"  pci   dss ", "PCI DSS", true},
		{"PCI-DSS", "PCI DSS", true},
		{"23 NYCRR 500", "NYDFS", true},
		{"sox", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := CanonicalFramework(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("CanonicalFramework(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
	for _, f := range KnownFrameworks() {
		if got, ok := CanonicalFramework(f); !ok || got != f {
			t.Errorf("canonical name %q does not map to itself", f)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("organisation: X\nframeworks: [HIPAA]\nremediation_days: 30\n"))
	f.Add([]byte("title: [\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("pdf_appendix_domains: 1\npdf_remediation_vendors: all\npdf_change_rows: 1000000\n"))
	f.Add([]byte("pdf_change_rows: -0x10\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseConfig("f.yaml", b)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		for _, s := range []string{c.Org.Name, c.Org.Title, c.Org.Contact, c.Org.PolicyLabel} {
			if !report.IsClean(s) {
				t.Fatalf("unclean text accepted: %q", s)
			}
		}
		if c.Org.RemediationDays < 0 || c.Org.RemediationDays > maxRemediationDays {
			t.Fatalf("days %d accepted", c.Org.RemediationDays)
		}
		for _, n := range []int{c.PDFAppendixDomains, c.PDFRemediationVendors, c.PDFChangeRows} {
			if n != 0 && n != NoLimit && (n < 1 || n > maxPDFCap) {
				t.Fatalf("pdf cap %d accepted", n)
			}
		}
	})
}

func TestConfigProfilesAndSelectors(t *testing.T) {
	c, err := ParseConfig("x.yaml", []byte("profiles: [bod 18-01, NIST SP 800-177]\ndkim_selectors: [S1, google, s1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"BOD 18-01", "NIST SP 800-177r1"}; !slices.Equal(c.Org.Profiles, want) {
		t.Errorf("profiles %q, want %q", c.Org.Profiles, want)
	}
	if want := []string{"s1", "google"}; !slices.Equal(c.DKIMSelectors, want) {
		t.Errorf("selectors %q, want %q", c.DKIMSelectors, want)
	}
	c, err = ParseConfig("x.yaml", []byte("profiles: []\n"))
	if err != nil || c.Org.Profiles == nil || len(c.Org.Profiles) != 0 {
		t.Errorf("empty list: %q %v (want an empty, non-nil list: show none)", c.Org.Profiles, err)
	}
	for _, bad := range []string{"profiles: [HIPAA]\n", "dkim_selectors: [\"a b\"]\n", "dkim_selectors: [\"x/y\"]\n"} {
		if _, err := ParseConfig("x.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "x.yaml:1") {
			t.Errorf("%q: error %v, want one on line 1", bad, err)
		}
	}
}
