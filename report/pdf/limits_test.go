package pdf

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/templates"
)

// lineTolerance is how far apart, in points, baselines of one line of
// text may be; lines of the body are at least 8 points apart.
const lineTolerance = 2.0

// bodyLines returns the text lines of the pages' bodies (no running
// header, no footer) in reading order: the runs of one baseline joined
// with "|", left to right.
func bodyLines(p *parsedPDF) []string {
	top := (pageH - marginT) * ptPerMM
	low := (pageH - bodyBottom) * ptPerMM
	var out []string
	for _, pg := range p.pages {
		var runs []textRun
		for _, r := range pg.runs {
			if r.text != "" && r.y <= top && r.y >= low {
				runs = append(runs, r)
			}
		}
		// Highest first; a line is the runs within lineTolerance of its
		// first baseline (a monospace cell sits a little off the others),
		// left to right.
		slices.SortStableFunc(runs, func(a, b textRun) int { return cmp.Compare(b.y, a.y) })
		for i := 0; i < len(runs); {
			j := i
			for j < len(runs) && runs[i].y-runs[j].y <= lineTolerance {
				j++
			}
			line := slices.Clone(runs[i:j])
			slices.SortStableFunc(line, func(a, b textRun) int { return cmp.Compare(a.x, b.x) })
			parts := make([]string, len(line))
			for k, r := range line {
				parts[k] = r.text
			}
			out = append(out, strings.Join(parts, "|"))
			i = j
		}
	}
	return out
}

// linesAfter returns the lines after the first line equal to from, up to
// (not including) the first later line equal to one of until.
func linesAfter(t *testing.T, lines []string, from string, until ...string) []string {
	t.Helper()
	i := slices.Index(lines, from)
	if i < 0 {
		t.Fatalf("no line %q", from)
	}
	var out []string
	for _, l := range lines[i+1:] {
		if slices.Contains(until, l) {
			break
		}
		out = append(out, l)
	}
	return out
}

// remediationOutline is the outline below the remediation section: its
// vendor headings, then the headings of the grouped table and of the
// vendors without findings when present.
func remediationOutline(t *testing.T, p *parsedPDF) []string {
	t.Helper()
	start := prose(t, "remediation.title", nil)
	var out []string
	in := false
	for _, o := range p.outline {
		switch {
		case o.top:
			in = o.title == start
		case in:
			out = append(out, o.title)
		}
	}
	return out
}

// plainKind is one kind of finding of a set of vendors, by a plain scan.
type plainKind struct {
	title, code, severity string
	rank, findings        int
	vendors               []string
	locations             []string
}

// plainKinds groups the findings of vendors by kind with a plain scan of
// the model, in the order the remediation section must draw them: most
// severe first, then by vendors and findings (most first), then by title.
func plainKinds(r *report.Report, vendors []string) []plainKind {
	var out []plainKind
	counted := map[int]bool{}
	for _, v := range vendors {
		for i, f := range r.Findings {
			if !slices.Contains(f.Vendors, v) {
				continue
			}
			k := slices.IndexFunc(out, func(k plainKind) bool {
				return k.code == f.Code && k.title == f.Title && k.severity == f.Severity
			})
			if k < 0 {
				out = append(out, plainKind{title: f.Title, code: f.Code, severity: f.Severity, rank: f.SeverityNum})
				k = len(out) - 1
			}
			if !slices.Contains(out[k].vendors, v) {
				out[k].vendors = append(out[k].vendors, v)
			}
			if !counted[i] {
				counted[i] = true
				out[k].findings++
				out[k].locations = append(out[k].locations, location(f))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b plainKind) int {
		return cmp.Or(cmp.Compare(b.rank, a.rank), cmp.Compare(len(b.vendors), len(a.vendors)),
			cmp.Compare(b.findings, a.findings), cmp.Compare(a.title, b.title), cmp.Compare(a.code, b.code))
	})
	return out
}

// kindTitles are the titles of kinds.
func kindTitles(kinds []plainKind) []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.title
	}
	return out
}

// countRuns counts the runs whose text is exactly s.
func countRuns(p *parsedPDF, s string) int {
	n := 0
	for _, pg := range p.pages {
		for _, r := range pg.runs {
			if r.text == s {
				n++
			}
		}
	}
	return n
}

// withoutFindingsOf is r with the findings of the vendors dropped, so they
// are vendors without findings.
func withoutFindingsOf(r *report.Report, vendors ...string) *report.Report {
	c := *r
	c.Findings = nil
	for _, f := range r.Findings {
		if !slices.ContainsFunc(f.Vendors, func(v string) bool { return slices.Contains(vendors, v) }) {
			c.Findings = append(c.Findings, f)
		}
	}
	return &c
}

// groupHeader is the header row of the grouped findings table.
func groupHeader(t *testing.T) string {
	t.Helper()
	return strings.Join([]string{prose(t, "col.finding", nil), prose(t, "col.code", nil), prose(t, "col.severity", nil),
		prose(t, "col.vendors", nil), prose(t, "col.findings", nil)}, "|")
}

// groupTable returns the rows of the grouped findings table, its header
// (repeated on each page it reaches) left out.
func groupTable(t *testing.T, p *parsedPDF, left int, until ...string) []string {
	t.Helper()
	title := prose(t, "remediation.rest_title", map[string]any{"Left": left})
	lines := linesAfter(t, bodyLines(p), title, until...)
	hdr := groupHeader(t)
	i := slices.Index(lines, hdr)
	if i < 0 {
		t.Fatalf("no table header %q after %q in %q", hdr, title, lines)
	}
	var rows []string
	for _, l := range lines[i+1:] {
		if l != hdr {
			rows = append(rows, l)
		}
	}
	return rows
}

func TestRemediationLimit(t *testing.T) {
	r := fx.second
	// The fixture's vendors with findings, riskiest first: every vendor
	// of the second run has one (Bolt Bank and Null Corp only info).
	all := []string{"Acme Health", "Delta Dental", "=SUM(A1:A9)", "Crux Labs", "Ñandú Logística", "Bolt Bank", "Null Corp"}
	if got := vendorOrder(r); !slices.Equal(got, all) {
		t.Fatalf("fixture vendors = %q, want %q", got, all)
	}
	methodology := prose(t, "methodology.title", nil)
	tests := []struct {
		name  string
		limit int
		// detailed are the vendors shown in full; rows the grouped table.
		detailed []string
		rows     []string
	}{
		{"two", 2, all[:2], []string{
			"Certificate expired|CERT_EXPIRED|high|1|1",
			"Certificate not trusted|CERT_UNTRUSTED|high|1|1",
			"SPF authorises every host (+all)|SPF_PASS_ALL|high|1|1",
			"SPF record unusable (permerror)|SPF_PERMERROR|high|1|1",
			"DMARC record invalid|DMARC_INVALID|medium|1|1",
			"No DMARC record|DMARC_MISSING|medium|1|1",
			"No SPF record|SPF_MISSING|medium|1|1",
			"TLS 1.0 enabled|TLS10_ENABLED|medium|1|1",
			"TLS 1.1 enabled|TLS11_ENABLED|medium|1|1",
			"Weak key-exchange parameters|WEAK_DH|medium|1|1",
			"TLS 1.3 not supported|NO_TLS13|low|1|1",
			"No MTA-STS policy|MTASTS_MISSING|info|4|4",
			"No TLS-RPT record|TLSRPT_MISSING|info|4|4",
			"Domain accepts no mail (null MX)|NULL_MX|info|1|1",
		}},
		{"all but one", 6, all[:6], []string{"Domain accepts no mail (null MX)|NULL_MX|info|1|1"}},
		{"exactly all", len(all), all, nil},
		{"default", 0, all, nil},
		{"no limit", -1, all, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p := render(t, r, Options{RemediationVendors: tc.limit})
			checkLayout(t, p)
			left := len(all) - len(tc.detailed)
			kinds := plainKinds(r, tc.detailed)
			want := kindTitles(kinds)
			restTitle := prose(t, "remediation.rest_title", map[string]any{"Left": left})
			if left > 0 {
				want = append(want, restTitle)
			}
			if got := remediationOutline(t, p); !slices.Equal(got, want) {
				t.Fatalf("remediation outline = %q, want %q", got, want)
			}
			// Each kind once: the vendors that have it, and every place
			// it was seen.
			// Runs in drawing order: a cell's wrapped lines stay together.
			section := squash(bodyText(p))
			_, section, _ = strings.Cut(section, squash(prose(t, "remediation.intro", nil)))
			section, _, _ = strings.Cut(section, squash(methodology))
			for _, k := range kinds {
				caption := prose(t, "remediation.kind_vendors", map[string]any{"Count": len(k.vendors),
					"Vendors": strings.Join(k.vendors, ", "), "Title": k.title, "Findings": k.findings})
				if !strings.Contains(section, squash(caption)) {
					t.Errorf("%s: no caption %q", k.title, caption)
				}
				for _, l := range k.locations {
					if !strings.Contains(section, squash(l)) {
						t.Errorf("%s: place %q not shown", k.title, l)
					}
				}
			}
			text := squash(p.allText())
			limited := prose(t, "remediation.limited", map[string]any{"Shown": len(tc.detailed), "Left": left})
			if got := strings.Contains(text, squash(limited)); got != (left > 0) {
				t.Errorf("limited paragraph %q shown = %v, want %v", limited, got, left > 0)
			}
			if left == 0 {
				if slices.Contains(bodyLines(p), restTitle) {
					t.Errorf("grouped table %q drawn though every vendor is detailed", restTitle)
				}
				return
			}
			if got := groupTable(t, p, left, methodology); !slices.Equal(got, tc.rows) {
				t.Errorf("grouped table:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.rows, "\n"))
			}
		})
	}
}

func TestRemediationDefaultRendersAsUnlimited(t *testing.T) {
	tests := []struct {
		name string
		r    *report.Report
	}{
		{"first run", fx.first},
		{"second run", fx.second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var def, unlimited, exact bytes.Buffer
			if err := Write(&def, tc.r, Options{}); err != nil {
				t.Fatal(err)
			}
			if err := Write(&unlimited, tc.r, Options{RemediationVendors: -1, ChangeRows: -1}); err != nil {
				t.Fatal(err)
			}
			if err := Write(&exact, tc.r, Options{RemediationVendors: len(vendorOrder(tc.r)), ChangeRows: len(tc.r.Changes) + 1}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(def.Bytes(), unlimited.Bytes()) || !bytes.Equal(def.Bytes(), exact.Bytes()) {
				t.Errorf("default %d bytes, no limit %d, limits at the counts %d: want one document", def.Len(), unlimited.Len(), exact.Len())
			}
		})
	}
}

func TestVendorsWithoutFindings(t *testing.T) {
	clean := []string{"Bolt Bank", "Null Corp"}
	r := withoutFindingsOf(fx.second, clean...)
	detailedAll := []string{"Acme Health", "Delta Dental", "=SUM(A1:A9)", "Crux Labs", "Ñandú Logística"}
	cleanTitle := prose(t, "remediation.clean_title", nil)
	methodology := prose(t, "methodology.title", nil)
	tests := []struct {
		name     string
		limit    int
		detailed []string
		// bullets: the clean vendors are listed; else a sentence counts them.
		bullets bool
	}{
		{"list at the cap", 2, detailedAll[:2], true},
		{"count above the cap", 1, detailedAll[:1], false},
		{"default", 0, detailedAll, true},
		{"no limit", -1, detailedAll, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p := render(t, r, Options{RemediationVendors: tc.limit})
			checkLayout(t, p)
			want := kindTitles(plainKinds(r, tc.detailed))
			if left := len(detailedAll) - len(tc.detailed); left > 0 {
				want = append(want, prose(t, "remediation.rest_title", map[string]any{"Left": left}))
			}
			want = append(want, cleanTitle)
			if got := remediationOutline(t, p); !slices.Equal(got, want) {
				t.Fatalf("remediation outline = %q, want %q", got, want)
			}
			got := linesAfter(t, bodyLines(p), cleanTitle, methodology)
			var wantLines []string
			if tc.bullets {
				for _, v := range clean {
					wantLines = append(wantLines, "•|"+v)
				}
			} else {
				wantLines = []string{prose(t, "remediation.clean_count", map[string]any{"Count": len(clean)})}
			}
			if squash(strings.Join(got, "\n")) != squash(strings.Join(wantLines, "\n")) {
				t.Errorf("after %q:\n%s\nwant:\n%s", cleanTitle, strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
			}
		})
	}
}

func TestChangeRows(t *testing.T) {
	r := fx.second
	const total, worse, improved = 17, 7, 7 // policy v3 grades the fixture; four sender-authentication changes
	if len(r.Changes) != total {
		t.Fatalf("fixture has %d changes, want %d", len(r.Changes), total)
	}
	tests := []struct {
		name  string
		limit int
		shown int
	}{
		{"three", 3, 3},
		{"all but one", total - 1, total - 1},
		{"exactly all", total, total},
		{"default", 0, total},
		{"no limit", -1, total},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p := render(t, r, Options{ChangeRows: tc.limit})
			checkLayout(t, p)
			text := squash(p.allText())
			wantWorse, wantBetter := 0, 0
			for i, c := range r.Changes {
				shown := i < tc.shown
				if got := strings.Contains(text, squash(c.Text)); got != shown {
					t.Errorf("change %d %q listed = %v, want %v", i, c.Text, got, shown)
				}
				switch {
				case !shown:
				case c.Bad:
					wantWorse++
				case better(c.Kind):
					wantBetter++
				}
			}
			if tc.shown == total && (wantWorse != worse || wantBetter != improved) {
				t.Fatalf("fixture changes: %d worse, %d better; want %d, %d", wantWorse, wantBetter, worse, improved)
			}
			if got := countRuns(p, prose(t, "label.worse", nil)); got != wantWorse {
				t.Errorf("%d rows marked worse, want %d", got, wantWorse)
			}
			if got := countRuns(p, prose(t, "label.better", nil)); got != wantBetter {
				t.Errorf("%d rows marked better, want %d", got, wantBetter)
			}
			left := total - tc.shown
			limited := prose(t, "changes.limited", map[string]any{"Shown": tc.shown, "Left": left, "Total": total})
			if got := strings.Contains(text, squash(limited)); got != (left > 0) {
				t.Errorf("paragraph %q shown = %v, want %v", limited, got, left > 0)
			}
		})
	}
}

// scaledDomains is the size of the scaled report the default caps are
// checked on: 50 copies of the fixture, 350 vendors with findings.
const scaledDomains = 400

// TestDefaultCapsScaled: at a few hundred vendors the default caps apply,
// and the grouped table counts what a plain scan of the model counts.
func TestDefaultCapsScaled(t *testing.T) {
	r := scaled(fx.second, scaledDomains)
	_, p := render(t, r, Options{})
	var withFindings []string
	for _, v := range vendorOrder(r) {
		if len(findingsOf(r, v)) > 0 {
			withFindings = append(withFindings, v)
		}
	}
	left := len(withFindings) - DefaultRemediationVendors
	if left <= 0 {
		t.Fatalf("%d vendors with findings: the scaled report should pass the default cap", len(withFindings))
	}
	want := append(kindTitles(plainKinds(r, withFindings[:DefaultRemediationVendors])), prose(t, "remediation.rest_title", map[string]any{"Left": left}))
	if got := remediationOutline(t, p); !slices.Equal(got, want) {
		t.Fatalf("remediation outline: %d entries (first %q, last %q), want %d", len(got), got[:min(1, len(got))], got[max(0, len(got)-1):], len(want))
	}
	// The expected table by a plain count over the vendors not detailed.
	type kind struct{ title, code, severity string }
	type count struct {
		rank, findings int
		vendors        map[string]bool
	}
	counts := map[kind]*count{}
	for _, v := range withFindings[DefaultRemediationVendors:] {
		for _, f := range findingsOf(r, v) {
			k := kind{f.Title, f.Code, f.Severity}
			if counts[k] == nil {
				counts[k] = &count{rank: f.SeverityNum, vendors: map[string]bool{}}
			}
			// Each finding of the scaled report belongs to one vendor.
			counts[k].findings++
			counts[k].vendors[v] = true
		}
	}
	kinds := make([]kind, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b kind) int {
		ca, cb := counts[a], counts[b]
		if ca.rank != cb.rank {
			return cb.rank - ca.rank
		}
		if len(ca.vendors) != len(cb.vendors) {
			return len(cb.vendors) - len(ca.vendors)
		}
		if ca.findings != cb.findings {
			return cb.findings - ca.findings
		}
		return strings.Compare(a.title, b.title)
	})
	var rows []string
	for _, k := range kinds {
		rows = append(rows, fmt.Sprintf("%s|%s|%s|%d|%d", k.title, k.code, k.severity, len(counts[k].vendors), counts[k].findings))
	}
	if got := groupTable(t, p, left, prose(t, "methodology.title", nil)); !slices.Equal(got, rows) {
		t.Errorf("grouped table:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(rows, "\n"))
	}
	if len(r.Changes) <= DefaultChangeRows {
		t.Fatalf("%d changes: the scaled report should pass the default cap", len(r.Changes))
	}
	limited := prose(t, "changes.limited", map[string]any{"Shown": DefaultChangeRows,
		"Left": len(r.Changes) - DefaultChangeRows, "Total": len(r.Changes)})
	if !strings.Contains(squash(p.allText()), squash(limited)) {
		t.Errorf("no paragraph %q", limited)
	}
}

// newProseBlocks are the prose blocks the caps added to pdf.tmpl: an
// override directory written before them lacks them.
var newProseBlocks = []string{
	"changes.limited", "remediation.limited", "remediation.rest_title", "remediation.rest_intro",
	"remediation.clean_count", "col.vendors", "col.findings",
}

// TestOlderOverrideFallsBack: a --templates pdf.tmpl written before the
// caps existed still renders, with the embedded wording for the new blocks.
func TestOlderOverrideFallsBack(t *testing.T) {
	embedded, err := os.ReadFile(filepath.Join("..", "..", "templates", templates.PDFFile))
	if err != nil {
		t.Fatal(err)
	}
	const customIntro = "Our own remediation introduction."
	var kept []string
	removed := 0
	for _, line := range strings.Split(string(embedded), "\n") {
		if slices.ContainsFunc(newProseBlocks, func(b string) bool { return strings.HasPrefix(line, `{{define "`+b+`"}}`) }) {
			removed++
			continue
		}
		if strings.HasPrefix(line, `{{define "remediation.intro"}}`) {
			line = `{{define "remediation.intro"}}` + customIntro + `{{end}}`
		}
		kept = append(kept, line)
	}
	if removed != len(newProseBlocks) {
		t.Fatalf("removed %d blocks from the embedded %s, want %d", removed, templates.PDFFile, len(newProseBlocks))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, templates.PDFFile), []byte(strings.Join(kept, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	clean := []string{"Bolt Bank", "Null Corp"}
	r := withoutFindingsOf(fx.second, clean...)
	const shownChanges, shownVendors = 2, 1
	_, p := render(t, r, Options{Templates: dir, RemediationVendors: shownVendors, ChangeRows: shownChanges})
	text := squash(p.allText())
	left := len(vendorOrder(r)) - len(clean) - shownVendors
	for _, want := range []string{
		customIntro,
		prose(t, "changes.limited", map[string]any{"Shown": shownChanges, "Left": len(r.Changes) - shownChanges, "Total": len(r.Changes)}),
		prose(t, "remediation.limited", map[string]any{"Shown": shownVendors, "Left": left}),
		prose(t, "remediation.rest_title", map[string]any{"Left": left}),
		prose(t, "remediation.rest_intro", nil),
		prose(t, "remediation.clean_count", map[string]any{"Count": len(clean)}),
	} {
		if !strings.Contains(text, squash(want)) {
			t.Errorf("no %q", want)
		}
	}
	if hdr := groupHeader(t); !slices.Contains(bodyLines(p), hdr) {
		t.Errorf("no table header %q", hdr)
	}
}
