package templates

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// informational codes may carry no standards citation.
var noStandards = []string{"HTTPS_BLOCKED", "INCONCLUSIVE", "PORT25_BLOCKED", "SCAN_RESTRICTED"}

func TestDefaultComplete(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	codes := s.Codes()
	if len(codes) == 0 || !slices.IsSorted(codes) {
		t.Fatalf("Codes() = %q", codes)
	}
	args := map[string]string{"host": "mx.example.com", "ip": "192.0.2.1", "domain": "example.com"}
	for _, code := range codes {
		t.Run(code, func(t *testing.T) {
			txt, err := s.Finding(code, args)
			if err != nil {
				t.Fatalf("Finding: %v", err)
			}
			for name, v := range map[string]string{"title": txt.Title, "message": txt.Message, "remediation": txt.Remediation, "why": txt.Why,
				"appeared": txt.Appeared, "cleared": txt.Cleared} {
				if strings.TrimSpace(v) == "" {
					t.Errorf("%s is empty", name)
				}
				if strings.Contains(v, "<no value>") || strings.Contains(v, "{{") {
					t.Errorf("%s not fully rendered: %q", name, v)
				}
			}
			if len(txt.Standards) == 0 && !slices.Contains(noStandards, code) {
				t.Error("no standards cited")
			}
			for _, std := range txt.Standards {
				if strings.TrimSpace(std) == "" {
					t.Error("empty standards entry")
				}
			}
			if strings.ToUpper(code) != code {
				t.Errorf("code %q is not upper case", code)
			}
		})
	}
}

func TestFindingRender(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	tests := []struct {
		name    string
		code    string
		args    map[string]string
		wantMsg string
	}{
		{"plain", "SSLV3_ENABLED", map[string]string{"host": "mx.example.com", "ip": "192.0.2.1"},
			"mx.example.com (192.0.2.1) accepts SSLv3."},
		{"optional part present", "SSLV3_ENABLED", map[string]string{"host": "mx.example.com", "ip": "192.0.2.1", "suites": "TLS_RSA_WITH_RC4_128_SHA"},
			"mx.example.com (192.0.2.1) accepts SSLv3 (TLS_RSA_WITH_RC4_128_SHA)."},
		{"missing args render empty", "SSLV3_ENABLED", nil, " () accepts SSLv3."},
		{"template syntax in args stays text", "SSLV3_ENABLED", map[string]string{"host": "{{.ip}}", "ip": "x"},
			"{{.ip}} (x) accepts SSLv3."},
		{"html is not escaped", "SSLV3_ENABLED", map[string]string{"host": "<b>mx</b>&", "ip": "'1'"},
			"<b>mx</b>& ('1') accepts SSLv3."},
		{"domain-level inconclusive", "INCONCLUSIVE", map[string]string{"domain": "example.com", "reason": "cancelled"},
			"example.com could not be audited: cancelled."},
		{"address inconclusive", "INCONCLUSIVE", map[string]string{"domain": "example.com", "host": "mx.example.com", "ip": "192.0.2.1", "reason": "421 busy"},
			"mx.example.com (192.0.2.1) could not be audited: 421 busy."},
		{"MX outside an enforced policy", "MTASTS_MX_NOT_COVERED",
			map[string]string{"domain": "example.com", "host": "mx.example.com", "mode": "enforce", "patterns": "mail.example.net"},
			"mx.example.com matches no mx line of the MTA-STS policy of example.com (mail.example.net): the policy is enforced, so senders that apply MTA-STS will not deliver to this host."},
		{"MX outside a testing policy", "MTASTS_MX_NOT_COVERED",
			map[string]string{"domain": "example.com", "host": "mx.example.com", "mode": "testing"},
			"mx.example.com matches no mx line of the MTA-STS policy of example.com; the policy is in testing mode, so senders report the failure and still deliver."},
		{"bogus MX records", "DNSSEC_BOGUS", map[string]string{"domain": "example.com", "lookup": "MX"},
			"The MX records of example.com fail DNSSEC validation (bogus). Validating resolvers answer SERVFAIL, so senders that use them cannot deliver to the domain."},
		{"bogus host addresses", "DNSSEC_BOGUS", map[string]string{"domain": "example.com", "host": "mx.example.com", "lookup": "A, AAAA", "reason": "A: RRSIG expired"},
			"The A, AAAA records of mx.example.com fail DNSSEC validation (bogus): A: RRSIG expired. Validating resolvers answer SERVFAIL, so senders that use them cannot deliver to this host."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			txt, err := s.Finding(tt.code, tt.args)
			if err != nil {
				t.Fatalf("Finding: %v", err)
			}
			if txt.Message != tt.wantMsg {
				t.Errorf("Message = %q, want %q", txt.Message, tt.wantMsg)
			}
		})
	}
}

func TestFindingUnknownCode(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	if _, err := s.Finding("NO_SUCH_CODE", nil); err == nil || !strings.Contains(err.Error(), `unknown finding code "NO_SUCH_CODE"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestR1Caveat(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	txt, err := s.Finding("NO_NIST_R1_SUITE", map[string]string{"host": "h", "ip": "i"})
	if err != nil {
		t.Fatalf("Finding: %v", err)
	}
	if !strings.Contains(txt.Message, "partial reconstruction") || !strings.Contains(txt.Why, "partial reconstruction") {
		t.Errorf("the r1 finding must say its list is a partial reconstruction: %q / %q", txt.Message, txt.Why)
	}
}

func TestStandardsAreCopies(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	a, _ := s.Finding("SSLV3_ENABLED", nil)
	a.Standards[0] = "changed"
	b, _ := s.Finding("SSLV3_ENABLED", nil)
	if b.Standards[0] == "changed" {
		t.Fatal("Finding returns the Set's own slice")
	}
}

func TestLoad(t *testing.T) {
	def, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	want, _ := def.Finding("NO_STARTTLS", map[string]string{"host": "h", "ip": "i"})

	tests := []struct {
		name     string
		override string // "" = no file written
		wantErr  string
		check    func(t *testing.T, s *Set)
	}{
		{"no override file", "", "", func(t *testing.T, s *Set) {
			got, _ := s.Finding("NO_STARTTLS", map[string]string{"host": "h", "ip": "i"})
			if got.Message != want.Message {
				t.Errorf("Message = %q", got.Message)
			}
		}},
		{"override one field of one code", `{"SSLV3_ENABLED": {"remediation": "Call {{.host}} support."}}`, "", func(t *testing.T, s *Set) {
			got, _ := s.Finding("SSLV3_ENABLED", map[string]string{"host": "mx", "ip": "1"})
			if got.Remediation != "Call mx support." || got.Message != "mx (1) accepts SSLv3." || got.Title != "SSLv3 enabled" {
				t.Errorf("got %+v", got)
			}
			other, _ := s.Finding("NO_STARTTLS", map[string]string{"host": "h", "ip": "i"})
			if other.Remediation != want.Remediation {
				t.Error("codes missing from the override must keep the embedded text")
			}
		}},
		{"override standards and add a code", `{"NO_TLS13": {"standards": ["House rule 7"]}, "HOUSE_RULE": {"title": "T", "message": "M {{.x}}"}}`, "", func(t *testing.T, s *Set) {
			got, _ := s.Finding("NO_TLS13", nil)
			if !slices.Equal(got.Standards, []string{"House rule 7"}) {
				t.Errorf("Standards = %q", got.Standards)
			}
			added, err := s.Finding("HOUSE_RULE", map[string]string{"x": "y"})
			if err != nil || added.Message != "M y" {
				t.Errorf("added code: %+v, %v", added, err)
			}
			if !slices.Contains(s.Codes(), "HOUSE_RULE") {
				t.Error("Codes() misses the added code")
			}
		}},
		{"bad json", `{"NO_TLS13": `, "decode", nil},
		{"unknown field", `{"NO_TLS13": {"titel": "x"}}`, "unknown field", nil},
		{"bad template", `{"NO_TLS13": {"message": "{{.host"}}`, "finding NO_TLS13: message", nil},
		{"new code without title", `{"NEW": {"message": "m"}}`, "finding NEW: title and message are required", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.override != "" {
				if err := os.WriteFile(filepath.Join(dir, FindingsFile), []byte(tt.override), 0o600); err != nil {
					t.Fatalf("write override: %v", err)
				}
			}
			s, err := Load(dir)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, s)
		})
	}
}

func TestLoadUnreadableOverride(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be cannot be read as a file.
	if err := os.Mkdir(filepath.Join(dir, FindingsFile), 0o700); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "override") {
		t.Fatalf("err = %v, want an override error", err)
	}
}

// codeLike matches a finding code: upper-case words joined by underscores.
var codeLike = regexp.MustCompile(`^[A-Z0-9]+(_[A-Z0-9]+)+$`)

// TestChangeWords: every code words its appearing and clearing in plain
// words, never with a code, differently; an override's new code without
// them is worded from its title; an unknown code gives nothing.
func TestChangeWords(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range s.Codes() {
		on, off := s.Change(code, true), s.Change(code, false)
		if on == "" || off == "" || on == off {
			t.Errorf("%s: appeared %q, cleared %q", code, on, off)
		}
		for _, w := range strings.Fields(on + " " + off) {
			if w = strings.Trim(w, "(),.:"); w == code || codeLike.MatchString(w) {
				t.Errorf("%s: a code in %q / %q", code, on, off)
			}
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FindingsFile), []byte(`{"NEW_CODE": {"title": "Something new", "message": "m"},
		"SSLV3_ENABLED": {"appeared": "SSLv3 switched on"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		code     string
		appeared bool
		want     string
	}{
		{"NEW_CODE", true, "Something new"}, {"NEW_CODE", false, "no longer: Something new"},
		{"SSLV3_ENABLED", true, "SSLv3 switched on"}, {"SSLV3_ENABLED", false, "SSLv3 turned off"},
		{"NOPE", true, ""},
	} {
		if got := o.Change(c.code, c.appeared); got != c.want {
			t.Errorf("Change(%s, %v) = %q, want %q", c.code, c.appeared, got, c.want)
		}
	}
}

// TestParams lists the arguments a finding's wording refers to, in the
// message and the remediation, through conditions and else branches.
func TestParams(t *testing.T) {
	dir := t.TempDir()
	over := `{"X_TEST": {"title": "T", "message": "{{.host}}{{if .suites}} ({{.suites}}){{else if .alt}}{{.other}}{{end}}.",
		"remediation": "{{with .fix}}{{.}}{{end}}{{range .list}}{{end}}{{if eq .mode \"enforce\"}}{{end}}"}}`
	if err := os.WriteFile(filepath.Join(dir, FindingsFile), []byte(over), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got, err := s.Params("X_TEST")
	if err != nil {
		t.Fatalf("Params: %v", err)
	}
	want := []string{"alt", "fix", "host", "list", "mode", "other", "suites"}
	if !slices.Equal(got, want) {
		t.Errorf("Params = %q, want %q", got, want)
	}
	if _, err := s.Params("NO_SUCH_CODE"); err == nil {
		t.Error("Params of an unknown code: no error")
	}
	got, err = s.Params("SSLV3_ENABLED")
	if err != nil || !slices.Equal(got, []string{"host", "ip", "suites", "vulns"}) {
		t.Errorf("Params(SSLV3_ENABLED) = %q, %v", got, err)
	}
}

// TestPhraseItems: a phrase's list argument prints joined with "; ", and
// its template may range over it or join it otherwise; join passes any
// other value through.
func TestPhraseItems(t *testing.T) {
	dir := t.TempDir()
	over := `{"mtasts_enforce.reasons": "{{len .items}}: {{join \" | \" .items}} [{{.items}}] {{range .items}}<{{.}}>{{end}} {{join \", \" .x}}"}`
	if err := os.WriteFile(filepath.Join(dir, PhrasesFile), []byte(over), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Phrase("mtasts_enforce.reasons", map[string]string{"x": "plain"}, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	if want := "2: a | b [a; b] <a><b> plain"; got != want {
		t.Errorf("Phrase = %q, want %q", got, want)
	}
	if got := (Items{"x", "y", "z"}).String(); got != "x; y; z" {
		t.Errorf("Items.String = %q", got)
	}
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := def.Phrase("kx.weaknesses", nil); err != nil || got != "" {
		t.Errorf("a list phrase without items = %q, %v; want empty", got, err)
	}
}
