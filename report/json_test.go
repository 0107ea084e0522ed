package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report/reporttest"
)

// hostileText carries what a remote server could send: a formula, a
// terminal escape, a direction override, DEL and a zero-width joiner.
const hostileText = "=cmd|' /C calc'!A0 \x1b[2J \u202egnp.exe \x7f a\u200db"

var (
	runStart   = time.Date(2025, 6, 1, 6, 0, 0, 0, time.UTC)
	runEnd     = runStart.Add(42 * time.Minute)
	generated  = time.Date(2025, 6, 2, 8, 30, 0, 0, time.UTC)
	certExpiry = time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
)

// handReport is a small report written out by hand, so tests can assert
// exact values.
func handReport() *Report {
	base := int64(6)
	return &Report{
		SchemaVersion: SchemaVersion, GeneratedAt: generated, Tool: "mxaudit", ToolVersion: "1.2.3",
		Org: Org{Name: "Example Health", Title: "Vendor mail TLS", Frameworks: []string{"HIPAA"}, RemediationDays: 30},
		Run: RunInfo{ID: 7, ListName: "vendors.csv", Status: db.StatusCompleted, StartedAt: runStart, FinishedAt: &runEnd,
			Policy: "mxaudit-default", PolicyVersion: "2", ToolVersion: "1.2.3", RegradedFrom: &base},
		Base:    &RunInfo{ID: base, ListName: "vendors.csv", Status: db.StatusCompleted, StartedAt: runStart.AddDate(0, -1, 0)},
		Summary: Summary{Vendors: 1, Domains: 1, MXHosts: 1, Addresses: 1, Grades: []GradeCount{{Grade: "A", Count: 1}}, ForcedEligible: 1, ForcedShare: 1},
		Vendors: []VendorRow{{Vendor: "=SUM(A1:A9)", Domain: "good.example", Grade: "A", GradeRank: 9, ForcedTLS: "eligible",
			MTASTS: "enforce", DANE: "none", EarliestExpiry: &certExpiry}},
		Domains: []DomainView{{Domain: "good.example", Vendors: []string{"=SUM(A1:A9)"}, Grade: "A", ForcedTLS: "eligible",
			MXKind: "explicit", MXLookup: "ok", DNSSEC: "insecure", MTASTS: "enforce", TLSRPT: "absent", AuditedAt: runStart,
			MX: []MXView{{Host: "mx.good.example", Preference: 10, Grade: "A", DANE: "none", Addresses: []AddressView{{
				IP: "192.0.2.1", Grade: "A", Checks: map[string]string{"tls": "pass"}, ProbeRef: "probe-1",
				ProbeView: ProbeView{Ref: "probe-1", IP: "192.0.2.1", ProbeStatus: "ok", ProbedAt: runStart,
					Connections: 5, Banner: "220 " + hostileText, Protocol: "TLSv1.3 TLS_AES_128_GCM_SHA256 (X25519)",
					Versions: []VersionView{{Version: "TLSv1.3", Support: "yes", Complete: true,
						Suites: []SuiteView{{Code: "0x1301", Name: "TLS_AES_128_GCM_SHA256", Bits: 128, Flags: []string{"aead"}}}}},
					Cert: &CertView{Subject: "CN=" + hostileText, Issuer: "CN=Test CA", SANs: []string{"mx.good.example"},
						NotBefore: runStart.AddDate(0, -1, 0), NotAfter: certExpiry, DaysToExpiry: 92, KeyType: "ECDSA", KeyBits: 256,
						Signature: "ECDSA-SHA256", Trusted: "yes", NameMatch: "yes", SHA256: "ab12"},
					Transcript: []string{"S: 220 " + hostileText, "C: EHLO scanner.example"}},
			}}}}}},
		Findings: []Finding{{Vendors: []string{"=SUM(A1:A9)"}, Domain: "good.example", Host: "mx.good.example", Code: "NO_TLS13",
			Severity: "low", SeverityNum: 1, Title: "No TLS 1.3", Message: "m", Standards: []string{"NIST SP 800-52r2 §3.1"}, New: true}},
		Changes:       []Change{{Kind: "grade_up", Domain: "good.example", From: "B", To: "A", Text: "Grade improved from B to A"}},
		VendorChanges: []VendorChange{},
		Problems:      []Problem{{Row: 4, Column: "Domain", Value: hostileText, Message: "not a domain"}},
		Methodology: Methodology{Checks: []CheckDef{{Name: "tls", Label: "TLS", Meaning: "m"}},
			Rules: []RuleDef{{Code: "NO_TLS13", Title: "No TLS 1.3", Severity: "low", Deduction: 5}}, Grading: []string{"g"}},
	}
}

func TestWriteJSONRoundTrip(t *testing.T) {
	want := handReport()
	var buf bytes.Buffer
	if err := WriteJSON(&buf, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if got.mem == nil {
		t.Error("report read back without its rows' index")
	}
	got.mem = nil // the index of the rows read (memindex.go) is no part of the content
	if !reflect.DeepEqual(got, want) {
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		t.Fatalf("round trip changed the report:\n got %s\nwant %s", a, b)
	}
	if !strings.HasPrefix(buf.String(), "{\n\"schema_version\":"+strconv.Itoa(SchemaVersion)+",\n") {
		t.Errorf("document does not open with the schema version: %.60q", buf.String())
	}
}

// TestWriteJSONSafeToPrint: remote text keeps its value but no raw
// control, direction or invisible character reaches the file.
func TestWriteJSONSafeToPrint(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, handReport()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"\x1b", "\u202e", "\x7f", "\u200d"} {
		if strings.Contains(out, bad) {
			t.Errorf("raw %q in the JSON", bad)
		}
	}
	for _, esc := range []string{`\u001b[2J`, `\u202egnp.exe`, `\u007f`, `a\u200db`} {
		if !strings.Contains(out, esc) {
			t.Errorf("JSON lacks the escape %s", esc)
		}
	}
	var back struct {
		Probes []struct {
			Banner string `json:"banner"`
		} `json:"probes"`
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Probes[0].Banner; got != "220 "+hostileText {
		t.Fatalf("banner = %q, want the original text", got)
	}
}

// TestWriteJSONProbesOnce: domains sharing an address get one probe in
// "probes", named by each address view; views made in memory without a
// ref are named by their probe's digest; reading the document back gives
// every view its probe, and the address's own verdict (the handshake that
// never completed) marks its versions again.
func TestWriteJSONProbesOnce(t *testing.T) {
	r := handReport()
	shared := r.Domains[0].MX[0].Addresses[0]
	shared.ProbeRef, shared.Ref, shared.IP = "", "", "192.0.2.9"
	shared.Versions = []VersionView{{Version: "TLSv1.2", Support: "supported"}, {Version: "TLSv1.0", Support: "not_supported"}}
	for _, name := range []string{"a.example", "b.example", "c.example"} {
		d := r.Domains[0]
		d.Domain = name
		av := shared
		av.Grade = "F"
		if name == "c.example" {
			av.Grade, av.HandshakeNeverCompleted = "A", true
		}
		d.MX = []MXView{{Host: "mx.provider.example", Grade: av.Grade, Addresses: []AddressView{av}}}
		r.Domains = append(r.Domains, d)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Probes  []map[string]any `json:"probes"`
		Domains []DomainView     `json:"domains"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Probes) != 2 {
		t.Fatalf("%d probes written, want 2 (one shared by three domains)", len(doc.Probes))
	}
	refs := map[string]bool{}
	for _, p := range doc.Probes {
		refs[p["ref"].(string)] = true
		if _, ok := p["versions"]; !ok {
			t.Errorf("probe %v has no versions", p["ref"])
		}
	}
	for _, d := range doc.Domains {
		ref := d.MX[0].Addresses[0].ProbeRef
		if !refs[ref] {
			t.Errorf("%s names probe %q, not written", d.Domain, ref)
		}
		if d.Domain != "good.example" && (len(ref) != 64 || ref != doc.Domains[1].MX[0].Addresses[0].ProbeRef) {
			t.Errorf("%s names probe %q, want the shared probe's digest", d.Domain, ref)
		}
	}
	if strings.Count(buf.String(), `"banner":`) != 2 {
		t.Errorf("banner written %d times, want once per probe", strings.Count(buf.String(), `"banner":`))
	}
	back, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range back.Domains {
		got, want := d.MX[0].Addresses[0], r.Domains[i].MX[0].Addresses[0]
		if got.Banner != want.Banner || got.Cert == nil || got.Grade != want.Grade || len(got.Versions) != len(want.Versions) {
			t.Errorf("%s read back: %+v", d.Domain, got)
		}
		for _, v := range got.Versions {
			if v.ServerHelloOnly != (want.HandshakeNeverCompleted && v.Support == "supported") {
				t.Errorf("%s %s: server hello only %v", d.Domain, v.Version, v.ServerHelloOnly)
			}
		}
	}
	if len(back.Probes) != 0 {
		t.Errorf("ReadJSON left %d probes in Probes; the views hold them", len(back.Probes))
	}
}

func TestWriteJSONEmptyArrays(t *testing.T) {
	r := &Report{Run: RunInfo{ID: 1}}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"vendor_rows", "domains", "findings", "changes", "input_problems"} {
		if string(m[k]) != "[]" {
			t.Errorf("%s = %s, want []", k, m[k])
		}
	}
	if string(m["schema_version"]) != strconv.Itoa(SchemaVersion) {
		t.Errorf("schema_version = %s", m["schema_version"])
	}
	if _, ok := m["base"]; ok {
		t.Error("base present for a first run")
	}
	if r.Vendors != nil || r.SchemaVersion != 0 {
		t.Error("WriteJSON changed the report it was given")
	}
}

func TestWriteJSONNil(t *testing.T) {
	if err := WriteJSON(&bytes.Buffer{}, nil); err == nil {
		t.Fatal("no error for a nil report")
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteJSONWriteError(t *testing.T) {
	if err := WriteJSON(failingWriter{}, handReport()); !errors.Is(err, errDiskFull) {
		t.Fatalf("err = %v, want the writer's error", err)
	}
}

func TestReadJSONErrors(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"not json", "<html>", "invalid character"},
		{"no version", `{"tool":"mxaudit"}`, "no schema_version"},
		{"other version", `{"schema_version": 2}`, "schema_version 2, this mxaudit reads 3"},
		{"wrong type", `{"schema_version": 3, "vendor_rows": {}}`, "cannot unmarshal"},
		{"unknown probe", `{"schema_version": 3, "probes": [{"ref": "a", "ip": "192.0.2.1"}],
			"domains": [{"domain": "d.example", "mx": [{"host": "mx.d.example", "addresses": [{"ip": "192.0.2.1", "probe_ref": "b"}]}]}]}`,
			"probe_ref b names no probe"},
		{"probe of another address", `{"schema_version": 3, "probes": [{"ref": "a", "ip": "192.0.2.2"}],
			"domains": [{"domain": "d.example", "mx": [{"host": "mx.d.example", "addresses": [{"ip": "192.0.2.1", "probe_ref": "a"}]}]}]}`,
			"is a probe of 192.0.2.2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEscapeUnsafeRunes(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", `{"a": "b"}`, `{"a": "b"}`},
		{"newline kept", "{\n  \"a\": 1\n}", "{\n  \"a\": 1\n}"},
		{"accents kept", `"Ñandú → ok"`, `"Ñandú → ok"`},
		{"del", "\"a\x7fb\"", `"a\u007fb"`},
		{"bidi", "\"\u202ex\u2066\"", `"\u202ex\u2066"`},
		{"c1 control", "\"\u0085\"", `"\u0085"`},
		{"bom", "\"\ufeff\"", `"\ufeff"`},
		{"astral format char", "\"\U000e0001\"", `"\udb40\udc01"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(escapeUnsafeRunes([]byte(tc.in)))
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			var a, b any
			if json.Unmarshal([]byte(tc.in), &a) == nil {
				if err := json.Unmarshal([]byte(got), &b); err != nil || !reflect.DeepEqual(a, b) {
					t.Fatalf("escaped JSON means something else: %v / %v (%v)", a, b, err)
				}
			}
		})
	}
}

func FuzzWriteJSONText(f *testing.F) {
	f.Add(hostileText)
	f.Add("plain")
	f.Add("\xff\xfe bad utf-8")
	f.Fuzz(func(t *testing.T, s string) {
		// Remote text in a probe too: written once in "probes", joined back.
		av := AddressView{IP: "192.0.2.1", ProbeView: ProbeView{Banner: s, Transcript: []string{"S: " + s}}}
		r := &Report{Run: RunInfo{ListName: s}, Problems: []Problem{{Value: s, Message: s}},
			Domains: []DomainView{{Domain: "d.example", MX: []MXView{{Host: "mx.d.example", Addresses: []AddressView{av}}}}}}
		var buf bytes.Buffer
		if err := WriteJSON(&buf, r); err != nil {
			t.Fatal(err)
		}
		for _, c := range buf.String() {
			if c != '\n' && unsafeRune(c) {
				t.Fatalf("unsafe rune %U in output", c)
			}
		}
		back, err := ReadJSON(&buf)
		if err != nil {
			t.Fatal(err)
		}
		want := string([]rune(s)) // encoding/json replaces each invalid byte by U+FFFD
		if back.Run.ListName != want {
			t.Fatalf("list name %q came back as %q", want, back.Run.ListName)
		}
		if got := back.Domains[0].MX[0].Addresses[0].Banner; got != want {
			t.Fatalf("banner %q came back as %q", want, got)
		}
	})
}

// TestFixture renders the JSON of the fixture
// database: a fleet audited twice, with hostile remote strings. The
// database is built once for all its subtests (it takes seconds).
func TestFixture(t *testing.T) {
	path, _, run2, err := reporttest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// Org frameworks: the programme has a control matrix, streamed from the spool.
	r, err := Build(ctx, store, run2, Options{ToolVersion: "test", Now: func() time.Time { return generated },
		Org: Org{Frameworks: []string{"HIPAA"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.rows == nil || r.ControlCount() == 0 {
		t.Fatalf("built report: spooled %v, %d control rows", r.rows != nil, r.ControlCount())
	}
	t.Run("json", func(t *testing.T) { testJSONFixture(t, r, run2) })
}

func testJSONFixture(t *testing.T, r *Report, run2 int64) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(buf.Bytes(), "\x1b\u202e") {
		t.Fatal("raw escape or direction override in the JSON")
	}
	back, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := WriteJSON(&again, back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Fatal("writing the read report again gives another document")
	}
	// Streamed a value at a time, the document says what encoding/json
	// writes for the whole report in memory, its probes listed apart.
	whole := wholeReport(t, r)
	if len(whole.Domains) == 0 || len(r.Domains) != 0 || len(whole.Probes) == 0 {
		t.Fatalf("loaded %d views and %d probes; the built report holds %d views", len(whole.Domains), len(whole.Probes), len(r.Domains))
	}
	enc, err := json.Marshal(whole)
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(enc, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("streamed JSON differs from encoding/json's:\n%s", firstDiff(buf.Bytes(), escapeUnsafeRunes(enc)))
	}
	// One element per line: each domain and each probe on a line of its own.
	lines := map[string]int{}
	for _, l := range strings.Split(buf.String(), "\n") {
		switch {
		case strings.HasPrefix(l, `{"domain":`):
			lines["domains"]++
		case strings.HasPrefix(l, `{"ref":`):
			lines["probes"]++
		}
	}
	if lines["domains"] != r.DomainCount() || lines["probes"] != len(whole.Probes) {
		t.Errorf("%d domain lines for %d domains, %d probe lines for %d probes", lines["domains"], r.DomainCount(), lines["probes"], len(whole.Probes))
	}
	// Each probe is written once, and the read report has every view's probe back.
	refs := map[string]bool{}
	for _, p := range whole.Probes {
		if refs[p.Ref] {
			t.Errorf("probe %s written twice", p.Ref)
		}
		refs[p.Ref] = true
	}
	for i, d := range back.Domains {
		if !reflect.DeepEqual(d, whole.Domains[i]) {
			a, _ := json.Marshal(d.MX)
			b, _ := json.Marshal(whole.Domains[i].MX)
			t.Fatalf("domain %s read back differs:\n got %s\nwant %s", d.Domain, a, b)
		}
	}
	if back.Run.ID != run2 || back.Base == nil || back.Summary.Vendors != r.Summary.Vendors ||
		len(back.Vendors) != len(reporttest.Vendors) || len(back.Domains) != r.DomainCount() || len(back.Findings) != r.FindingCount() {
		t.Fatalf("read back run %d base %v, %d vendors, %d domains, %d findings", back.Run.ID, back.Base, len(back.Vendors), len(back.Domains), len(back.Findings))
	}
	banner := strings.Join(reporttest.HostileBanner, " / ")
	found := false
	for _, d := range back.Domains {
		for _, m := range d.MX {
			for _, a := range m.Addresses {
				found = found || strings.Contains(a.Banner, banner)
			}
		}
	}
	if !found {
		t.Errorf("the hostile banner %q is not in the JSON verbatim", banner)
	}
	vendors := map[string]bool{}
	for _, v := range back.Vendors {
		vendors[v.Vendor] = true
	}
	for _, v := range reporttest.Vendors {
		if !vendors[v.Vendor] {
			t.Errorf("vendor %q missing", v.Vendor)
		}
	}
}

// wholeReport is r with every row, view and probe in its slices, as
// encoding/json would write the whole report.
func wholeReport(t *testing.T, r *Report) *Report {
	t.Helper()
	whole := *r
	whole.Vendors, whole.Findings, whole.Changes, whole.VendorChanges = []VendorRow{}, []Finding{}, []Change{}, []VendorChange{}
	whole.Probes = []ProbeView{}
	err := errors.Join(
		r.EachVendor(VendorQuery{}, func(v *VendorRow) error { whole.Vendors = append(whole.Vendors, *v); return nil }),
		r.EachFinding(FindingQuery{}, func(f *Finding) error { whole.Findings = append(whole.Findings, *f); return nil }),
		r.EachChange(func(c *Change) error { whole.Changes = append(whole.Changes, *c); return nil }),
		r.EachVendorChange(func(c *VendorChange) error { whole.VendorChanges = append(whole.VendorChanges, *c); return nil }),
		r.EachProbe(func(p *ProbeView) error { whole.Probes = append(whole.Probes, *p); return nil }),
		whole.LoadDomains())
	if r.Programme != nil {
		p := *r.Programme
		p.Controls = []VendorControls{}
		err = errors.Join(err, r.EachControl(func(c *VendorControls) error { p.Controls = append(p.Controls, *c); return nil }))
		whole.Programme = &p
	}
	if err != nil {
		t.Fatal(err)
	}
	whole.rows = nil
	return &whole
}

// firstDiff shows where two documents part.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("at byte %d:\n got %q\nwant %q", i, a[from:min(len(a), i+80)], b[from:min(len(b), i+80)])
}
