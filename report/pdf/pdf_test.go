package pdf

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/reporttest"
	"github.com/mxaudit/mxaudit/templates"
)

// fixture holds the reports built once for the package's tests.
type fixture struct {
	first, second *report.Report
	// streamed is second as Build returns it: views read while drawing.
	streamed *report.Report
	// spooled is second as Build returns it, rows and views unloaded:
	// the iterators read its rows from the builder's spool.
	spooled *report.Report
}

var fx fixture

// fixedNow is the generation time of the fixture reports.
var fixedNow = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

// testOrg is the organisation of the fixture reports.
func testOrg() report.Org {
	return report.Org{Name: "Example Health", Title: "Vendor mail TLS audit", Contact: "security@example-health.test",
		PolicyLabel: "Vendor mail TLS standard", Frameworks: []string{"HIPAA", "pci-dss", "SOX"}, RemediationDays: 60}
}

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	flag.Parse()
	// The fuzz targets draw on their own: fuzzing (and its workers) skips
	// the fixture, which takes seconds to audit.
	fuzz, worker := flag.Lookup("test.fuzz"), flag.Lookup("test.fuzzworker")
	if (fuzz != nil && fuzz.Value.String() != "") || (worker != nil && worker.Value.String() == "true") {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "pdftest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	path, run1, run2, err := reporttest.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fixture:", err)
		return 1
	}
	ctx := context.Background()
	store, err := db.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer store.Close()
	opt := report.Options{Org: testOrg(), ToolVersion: "v1.2.3-test", Now: func() time.Time { return fixedNow }}
	// first and second hold their domain views in memory, so tests can
	// edit them; streamed reads them from the database as it renders.
	if fx.first, err = report.Build(ctx, store, run1, opt); err == nil {
		err = fx.first.LoadDomains()
	}
	if err == nil {
		err = fx.first.LoadRows()
	}
	if err == nil {
		fx.second, err = report.Build(ctx, store, run2, opt)
	}
	if err == nil {
		err = fx.second.LoadDomains()
	}
	if err == nil {
		err = fx.second.LoadRows()
	}
	if err == nil {
		fx.streamed, err = report.Build(ctx, store, run2, opt)
	}
	if err == nil {
		err = fx.streamed.LoadRows()
	}
	if err == nil {
		fx.spooled, err = report.Build(ctx, store, run2, opt)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "build report:", err)
		return 1
	}
	return m.Run()
}

// TestStreamedReport: a report that reads its domains from the database
// while it is drawn gives the same document as the same report in memory.
func TestStreamedReport(t *testing.T) {
	if len(fx.streamed.Domains) != 0 || fx.streamed.DomainCount() != len(fx.second.Domains) {
		t.Fatalf("streamed report holds %d views and counts %d; in memory %d", len(fx.streamed.Domains),
			fx.streamed.DomainCount(), len(fx.second.Domains))
	}
	for _, limit := range []int{-1, 2} {
		var a, b bytes.Buffer
		if err := Write(&a, fx.streamed, Options{AppendixDomains: limit}); err != nil {
			t.Fatal(err)
		}
		if err := Write(&b, fx.second, Options{AppendixDomains: limit}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("appendix limit %d: the streamed report renders %d bytes, the one in memory %d", limit, a.Len(), b.Len())
		}
	}
}

// render writes r uncompressed and parses the result.
func render(t *testing.T, r *report.Report, opt Options) ([]byte, *parsedPDF) {
	t.Helper()
	opt.Uncompressed = true
	var buf bytes.Buffer
	if err := Write(&buf, r, opt); err != nil {
		t.Fatalf("Write: %v", err)
	}
	p, err := parsePDF(buf.Bytes())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if len(p.pages) == 0 {
		t.Fatal("no pages")
	}
	return buf.Bytes(), p
}

// prose renders an embedded block for the expected values.
func prose(t *testing.T, name string, data any) string {
	t.Helper()
	p, err := templates.LoadPDFProse("")
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Render(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pdftotext returns the text of a PDF file per page when poppler's
// pdftotext is installed, and nil (after logging) when it is not: the
// structural checks below do not depend on it.
func pdftotext(t *testing.T, data []byte) []string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Log("pdftotext not installed: checking with the built-in reader only")
		return nil
	}
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\f"), "\f")
}

func TestSectionsAndOutline(t *testing.T) {
	r := fx.second
	data, p := render(t, r, Options{})
	var top []string
	for _, o := range p.outline {
		if o.top {
			top = append(top, o.title)
		}
	}
	var want []string
	for _, s := range sections() {
		want = append(want, prose(t, s.key+".title", nil))
	}
	if strings.Join(top, "|") != strings.Join(want, "|") {
		t.Fatalf("top-level outline = %q, want %q", top, want)
	}
	text := p.allText()
	for _, s := range sections()[1:] {
		title := prose(t, s.key+".title", nil)
		if !strings.Contains(text, title+"\n") {
			t.Errorf("section heading %q not drawn", title)
		}
	}
	if !strings.Contains(p.pages[0].text(), r.Org.Title+"\n") {
		t.Errorf("cover lacks the title %q", r.Org.Title)
	}
	outline := map[string]bool{}
	for _, o := range p.outline {
		outline[o.title] = true
	}
	// Each kind of finding is a section of the remediation.
	for _, f := range r.Findings {
		if !outline[f.Title] {
			t.Errorf("finding %q (%s) has no outline entry", f.Title, f.Code)
		}
	}
	for _, d := range r.Domains {
		for _, mx := range d.MX {
			for _, a := range mx.Addresses {
				title := "Address " + a.IP + " of " + mx.Host
				if !outline[title] {
					t.Errorf("no outline entry %q", title)
				}
			}
		}
	}
	if pages := pdftotext(t, data); pages != nil {
		if len(pages) != len(p.pages) {
			t.Errorf("pdftotext sees %d pages, the reader %d", len(pages), len(p.pages))
		}
		all := squash(strings.Join(pages, "\n"))
		for _, w := range want[1:] {
			if !strings.Contains(all, squash(w)) {
				t.Errorf("pdftotext: no %q", w)
			}
		}
	}
}

func TestFootersAndPageNumbers(t *testing.T) {
	r := fx.second
	_, p := render(t, r, Options{})
	n := len(p.pages)
	footer := prose(t, "footer.left", map[string]any{"Run": r.Run, "Report": r})
	if !strings.Contains(footer, fmt.Sprint(r.Run.ID)) || !strings.Contains(footer, fixedNow.Format("2006-01-02 15:04")) {
		t.Fatalf("footer template %q lacks the run id or generation time", footer)
	}
	for i, pg := range p.pages {
		text := pg.text()
		if want := fmt.Sprintf("Page %d of %d\n", i+1, n); !strings.Contains(text, want) {
			t.Errorf("page %d: no %q", i+1, strings.TrimSpace(want))
		}
		if !strings.Contains(text, footer+"\n") {
			t.Errorf("page %d: no footer %q", i+1, footer)
		}
	}
}

// Page bands in points: the body lies between the header and the footer.
const ptPerMM = 72 / 25.4

func TestLayout(t *testing.T) {
	tests := []struct {
		name string
		r    *report.Report
	}{
		{"second run", fx.second},
		{"first run", fx.first},
		{"empty report", emptyReport()},
		{"long strings", longReport(t)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p := render(t, tc.r, Options{})
			checkLayout(t, p)
		})
	}
}

// checkLayout asserts that no page is empty, no text leaves the body or
// its cell, and no two pieces of text overlap.
func checkLayout(t *testing.T, p *parsedPDF) {
	t.Helper()
	width := fontMeter(t, p)
	bodyTop := (pageH - marginT) * ptPerMM
	bodyLow := (pageH - bodyBottom) * ptPerMM
	right := (pageW - marginR) * ptPerMM
	const tol = 0.6 // points
	for i, pg := range p.pages {
		body := 0
		type box struct {
			x0, x1, y0, y1 float64
			text           string
		}
		var boxes []box
		for _, run := range pg.runs {
			if run.text == "" {
				continue
			}
			w := width(run)
			switch {
			case run.y > bodyTop: // running header
				if i == 0 {
					t.Errorf("page 1: text %q in the header band", run.text)
				}
			case run.y < bodyLow: // footer
			default:
				body++
			}
			if run.x < marginL*ptPerMM-tol || run.x+w > right+tol || run.y < 0 || run.y > pageH*ptPerMM {
				t.Errorf("page %d: %q at (%.1f, %.1f) width %.1f leaves the page body", i+1, run.text, run.x, run.y, w)
			}
			if c, ok := container(pg.rects, run); ok && run.x+w > c.x+c.w+tol {
				t.Errorf("page %d: %q overflows its cell by %.1fpt", i+1, run.text, run.x+w-c.x-c.w)
			}
			boxes = append(boxes, box{run.x, run.x + w, run.y - 0.2*run.size, run.y + 0.7*run.size, run.text})
		}
		if body == 0 {
			t.Errorf("page %d has no content", i+1)
		}
		for a := 0; a < len(boxes); a++ {
			for b := a + 1; b < len(boxes); b++ {
				x, y := boxes[a], boxes[b]
				if x.x0 < y.x1-tol && y.x0 < x.x1-tol && x.y0 < y.y1-tol && y.y0 < x.y1-tol {
					t.Errorf("page %d: %q overlaps %q", i+1, x.text, y.text)
				}
			}
		}
	}
}

// container is the smallest rectangle around the start of a run's baseline.
func container(rects []pdfRect, run textRun) (pdfRect, bool) {
	var best pdfRect
	found := false
	for _, r := range rects {
		if run.x >= r.x && run.x <= r.x+r.w && run.y >= r.y && run.y <= r.y+r.h {
			if !found || r.w*r.h < best.w*best.h {
				best, found = r, true
			}
		}
	}
	return best, found
}

// fontMeter measures runs with the embedded fonts, as the PDF names them.
func fontMeter(t *testing.T, p *parsedPDF) func(textRun) float64 {
	t.Helper()
	fonts, err := templates.PDFFonts()
	if err != nil {
		t.Fatal(err)
	}
	f := fpdf.New("P", "pt", "A4", "")
	for _, ft := range fonts {
		f.AddUTF8FontFromBytes(ft.Family, ft.Style, ft.Data)
	}
	return func(run textRun) float64 {
		base, ok := p.fonts[run.font]
		if !ok {
			t.Fatalf("run %q uses unknown font %q", run.text, run.font)
		}
		name := strings.TrimPrefix(base, "utf8")
		style := ""
		if name != templates.FontSans && name != templates.FontMono && strings.HasSuffix(name, "B") {
			name, style = strings.TrimSuffix(name, "B"), "B"
		}
		f.SetFont(name, style, run.size)
		return f.GetStringWidth(run.text)
	}
}

func TestRemoteStringsRenderedLiterally(t *testing.T) {
	r := fx.second
	data, p := render(t, r, Options{})
	text := p.allText()
	if strings.ContainsRune(text, 0x1b) {
		t.Fatal("a raw ESC byte reached the page")
	}
	hostile := report.Clean(strings.Join(reporttest.HostileBanner, " / "))
	if !strings.Contains(hostile, `\x1b[2J`) {
		t.Fatalf("Clean(%q) = %q, want the escape shown", reporttest.HostileBanner, hostile)
	}
	for _, want := range []string{
		"=SUM(A1:A9)",     // vendor name, as a table cell and an outline entry
		"Ñandú Logística", // IDN vendor
		"ñandú.example",   // the domain as listed
		reporttest.HostileBanner[1],
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if !strings.Contains(squash(text), squash(hostile)) {
		t.Errorf("greeting %q not shown literally", hostile)
	}
	if !strings.Contains(squash(text), squash(report.Clean("S: 220-"+reporttest.HostileBanner[0]))) {
		t.Errorf("transcript line of the hostile greeting not shown literally")
	}
	if pages := pdftotext(t, data); pages != nil {
		all := strings.Join(pages, "\n")
		for _, want := range []string{"=SUM(A1:A9)", "Ñandú Logística"} {
			if !strings.Contains(all, want) {
				t.Errorf("pdftotext: no %q", want)
			}
		}
		if !strings.Contains(squash(all), squash(hostile)) {
			t.Errorf("pdftotext: greeting %q not shown literally", hostile)
		}
	}
}

// sameLine reports whether two runs with these texts share a baseline on
// one of the pages.
func sameLine(pages []pdfPage, a, b string) bool {
	for _, pg := range pages {
		for _, x := range pg.runs {
			if x.text != a {
				continue
			}
			for _, y := range pg.runs {
				if y.text == b && y.y == x.y && y.x > x.x {
					return true
				}
			}
		}
	}
	return false
}

// summaryPage is the index of the page the executive summary starts on:
// the first whose body begins with its heading.
func summaryPage(t *testing.T, p *parsedPDF) int {
	t.Helper()
	title := prose(t, "summary.title", nil)
	for i, pg := range p.pages {
		if strings.Contains(pg.text(), "\n"+title+"\n") || strings.HasPrefix(pg.text(), title+"\n") {
			if i > 0 && !strings.Contains(pg.text(), prose(t, "toc.title", nil)+"\n") {
				return i
			}
		}
	}
	t.Fatalf("no page starts the section %q", title)
	return 0
}

func TestFiguresMatchModel(t *testing.T) {
	r := fx.second
	s := r.Summary
	_, p := render(t, r, Options{})
	sp := summaryPage(t, p)
	data := map[string]any{"Summary": s}
	figures := []struct{ label, value string }{
		{"fig.vendors", fmt.Sprint(s.Vendors)},
		{"fig.domains", fmt.Sprint(s.Domains)},
		{"fig.mx_hosts", fmt.Sprint(s.MXHosts)},
		{"fig.addresses", fmt.Sprint(s.Addresses)},
		{"fig.forced_eligible", fmt.Sprintf("%d / %d (%.0f%%)", s.ForcedEligible, s.Vendors, s.ForcedShare*100)},
		{"fig.forced_not_eligible", fmt.Sprint(s.ForcedNotEligible)},
		{"fig.critical", fmt.Sprint(s.Critical)},
		{"fig.high", fmt.Sprint(s.High)},
		{"fig.regressions", fmt.Sprint(s.Regressions)},
		{"fig.improvements", fmt.Sprint(s.Improvements)},
		{"fig.expiring", fmt.Sprint(s.ExpiringSoon)},
		{"fig.inconclusive", fmt.Sprint(s.Inconclusive)},
		{"fig.problems", fmt.Sprint(s.InputProblems)},
		{"fig.mta_sts", fmt.Sprintf("%d / %d", s.MTASTSEnforce, s.Domains)},
		{"fig.dane", fmt.Sprintf("%d / %d", s.DANEValid, s.Domains)},
	}
	for _, f := range figures {
		t.Run(f.label, func(t *testing.T) {
			label := prose(t, f.label, data)
			if !sameLine(p.pages[sp:sp+1], label, f.value) {
				t.Errorf("summary: %q is not shown beside %q", f.value, label)
			}
		})
	}
	// The chart labels each grade with its vendor count.
	for _, g := range s.VendorGrades {
		if !sameLineBelow(p.pages[sp], fmt.Sprint(g.Count), g.Grade) {
			t.Errorf("chart: no bar labelled %s with count %d", g.Grade, g.Count)
		}
	}
	// Every vendor row shows its grade in the same row.
	for _, v := range r.Vendors {
		g := v.Grade
		if v.Incomplete {
			g += "*"
		}
		if !sameLine(p.pages, v.Vendor, v.Domain) || !sameLine(p.pages, v.Domain, g) {
			t.Errorf("vendor table: no row %q | %q | %q", v.Vendor, v.Domain, g)
		}
	}
	// Every change is listed.
	text := squash(p.allText())
	for _, c := range r.Changes {
		if !strings.Contains(text, squash(c.Text)) {
			t.Errorf("change %q not listed", c.Text)
		}
	}
	if len(r.Changes) == 0 {
		t.Fatal("the fixture's second run should have changes")
	}
}

// sameLineBelow reports whether a count label sits above a grade label in
// the same column of the chart.
func sameLineBelow(pg pdfPage, count, gradeLabel string) bool {
	for _, g := range pg.runs {
		if g.text != gradeLabel {
			continue
		}
		for _, c := range pg.runs {
			if c.text == count && c.y > g.y && c.x > g.x-30 && c.x < g.x+30 {
				return true
			}
		}
	}
	return false
}

func TestFirstRunSaysSo(t *testing.T) {
	r := fx.first
	if r.Base != nil {
		t.Fatal("fixture run 1 has a base run")
	}
	_, p := render(t, r, Options{})
	want := prose(t, "changes.first_run", map[string]any{"Run": r.Run})
	if !strings.Contains(squash(p.allText()), squash(want)) {
		t.Errorf("first run: no %q", want)
	}
}

func TestPortBlockedWarning(t *testing.T) {
	r := *fx.second
	r.Summary.PortBlocked = true
	_, p := render(t, &r, Options{})
	want := prose(t, "summary.port_blocked", nil)
	if !strings.Contains(squash(p.pages[summaryPage(t, p)].text()), squash(want)) {
		t.Errorf("port-blocked warning missing from the summary page")
	}
	_, p = render(t, fx.second, Options{})
	if strings.Contains(squash(p.allText()), squash(want)) {
		t.Errorf("port-blocked warning shown though the port was not blocked")
	}
}

func TestCitationsFollowFrameworks(t *testing.T) {
	r := fx.second
	_, p := render(t, r, Options{})
	text := p.allText()
	// HIPAA and PCI DSS are named; GLBA and NYDFS are not; SOX is unknown.
	var hipaa, glba bool
	for _, f := range r.Findings {
		for _, s := range f.Standards {
			hipaa = hipaa || strings.HasPrefix(s, "45 CFR")
			glba = glba || strings.HasPrefix(s, "16 CFR")
		}
	}
	if !hipaa || !glba {
		t.Fatal("fixture findings should cite both HIPAA and GLBA sections")
	}
	if !strings.Contains(text, "45 CFR §164.312(e)(1)") {
		t.Error("HIPAA citation missing though HIPAA is named")
	}
	if strings.Contains(text, "16 CFR §314.4(c)(3)") {
		t.Error("GLBA citation shown though GLBA is not named")
	}
	if !strings.Contains(text, "PCI DSS v4.0") {
		t.Error("PCI DSS framework table missing though pci-dss is named")
	}
	want := prose(t, "methodology.frameworks_unknown", map[string]any{"Unknown": "SOX"})
	if !strings.Contains(squash(text), squash(want)) {
		t.Errorf("no note that SOX has no section map")
	}
}

func TestReproducible(t *testing.T) {
	var a, b, c bytes.Buffer
	if err := Write(&a, fx.second, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, fx.second, Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two renderings of one report differ")
	}
	if !bytes.Contains(a.Bytes(), []byte("/CreationDate (D:20260301093000")) {
		t.Error("creation date is not the report's generation time")
	}
	if err := Write(&c, fx.second, Options{Now: fixedNow.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(c.Bytes(), []byte("/CreationDate (D:20260301103000")) {
		t.Error("Options.Now does not set the creation date")
	}
}

func TestTemplateOverride(t *testing.T) {
	dir := t.TempDir()
	over := `{{define "summary.title"}}Résumé für die Leitung{{end}}`
	if err := os.WriteFile(filepath.Join(dir, templates.PDFFile), []byte(over), 0o600); err != nil {
		t.Fatal(err)
	}
	_, p := render(t, fx.second, Options{Templates: dir})
	if p.outline[2].title != "Résumé für die Leitung" {
		t.Errorf("outline[2] = %q, want the overridden title", p.outline[2].title)
	}
	if !strings.Contains(p.allText(), prose(t, "vendors.title", nil)) {
		t.Error("blocks not overridden should keep the embedded text")
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, templates.PDFFile), []byte(`{{define "x"}}{{.Nope`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(&bytes.Buffer{}, fx.second, Options{Templates: bad}); err == nil {
		t.Error("a broken override template should be an error")
	}
}

func TestNilReport(t *testing.T) {
	if err := Write(&bytes.Buffer{}, nil, Options{}); err == nil {
		t.Error("Write(nil) succeeded")
	}
	if _, err := WriteLetters(t.TempDir(), nil, Options{}); err == nil {
		t.Error("WriteLetters(nil) succeeded")
	}
}

// emptyReport is a run with nothing in it.
func emptyReport() *report.Report {
	return &report.Report{SchemaVersion: report.SchemaVersion, GeneratedAt: fixedNow,
		Run:     report.RunInfo{ID: 9, ListName: "empty.csv", Status: "completed", StartedAt: fixedNow, Policy: "mxaudit-default", PolicyVersion: "2"},
		Summary: report.Summary{Grades: []report.GradeCount{{Grade: "A", Count: 0}}, VendorGrades: []report.GradeCount{{Grade: "A", Count: 0}}}}
}

// longReport is the fixture with strings long enough to wrap everywhere
// and scripts the fonts lack.
func longReport(t *testing.T) *report.Report {
	t.Helper()
	r := *fx.second
	long := strings.Repeat("averyveryverylongunbrokenhostnamelabel.", 6) + "example"
	r.Vendors = append([]report.VendorRow(nil), r.Vendors...)
	r.Vendors[0].Vendor = "中文供应商 " + strings.Repeat("Vendor With A Long Name ", 4) + "😀"
	r.Vendors[0].Domain = long
	r.Vendors[0].TopFinding = strings.Repeat("word ", 60)
	r.Domains = append([]report.DomainView(nil), r.Domains...)
	d := r.Domains[0]
	d.MX = append([]report.MXView(nil), d.MX...)
	mx := d.MX[0]
	mx.Addresses = append([]report.AddressView(nil), mx.Addresses...)
	a := mx.Addresses[0]
	for i := 0; i < 150; i++ {
		a.Transcript = append(a.Transcript, fmt.Sprintf("S: 250-%03d %s", i, long))
	}
	a.Banner = strings.Repeat("\u202e\x07", 30) + long
	mx.Addresses[0] = a
	d.MX[0] = mx
	r.Domains[0] = d
	return &r
}

func BenchmarkWrite(b *testing.B) {
	for b.Loop() {
		if err := Write(&bytes.Buffer{}, fx.second, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAppendixLimit(t *testing.T) {
	r := fx.second
	two, err := riskiestDomains(r, 2)
	if err != nil || len(two) != 2 || two[0].Domain != r.Vendors[0].Domain || two[1].Domain == two[0].Domain {
		t.Fatalf("limit 2: %+v, %v; want the riskiest first (%s)", two, err, r.Vendors[0].Domain)
	}
	all, err := riskiestDomains(r, r.DomainCount()+5)
	if err != nil || len(all) != r.DomainCount() {
		t.Fatalf("limit above the count: %d of %d domains, %v", len(all), r.DomainCount(), err)
	}
	_, p := render(t, r, Options{AppendixDomains: 2})
	if !strings.Contains(squash(p.allText()), squash("the 2 riskiest domains")) {
		t.Fatal("the appendix does not say it was limited")
	}
}

// TestExpiredCertificateWording: the appendix counts the whole days since
// an expired leaf ended (the fixture's ended ten days before the audit)
// and says that "trusted" judged the chain at the leaf's own dates.
func TestExpiredCertificateWording(t *testing.T) {
	_, p := render(t, fx.second, Options{})
	text := squash(p.allText())
	for _, want := range []string{"(expired 10 days ago)", "yes (" + prose(t, "value.trusted_expired", nil) + ")"} {
		if !strings.Contains(text, squash(want)) {
			t.Errorf("the appendix lacks %q", want)
		}
	}
	if strings.Contains(text, squash("(expired 11 days ago)")) {
		t.Error("the appendix counts one day too many")
	}
}

// TestAppendixExplainsGrades: every address and MX grade of the appendix
// has its explanation beside it, as the model words it.
func TestAppendixExplainsGrades(t *testing.T) {
	_, p := render(t, fx.second, Options{})
	text := squash(p.allText())
	n := 0
	if err := fx.second.EachDomain(func(dv *report.DomainView) error {
		for _, mx := range dv.MX {
			if !strings.Contains(text, squash(mx.GradeExplanation)) {
				t.Errorf("MX %s: explanation %q not in the PDF", mx.Host, mx.GradeExplanation)
			}
			for _, a := range mx.Addresses {
				if a.GradeExplanation == "" || !strings.Contains(text, squash(a.GradeExplanation)) {
					t.Errorf("%s %s: explanation %q not in the PDF", mx.Host, a.IP, a.GradeExplanation)
				}
				n++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n == 0 || !strings.Contains(text, squash("100 − 35 SSLv3 enabled")) {
		t.Fatalf("%d addresses; no SSLv3 deduction in the PDF", n)
	}
}

// TestCoverRootDigest: the cover prints the manifest's root digest.
func TestCoverRootDigest(t *testing.T) {
	if len(fx.second.Manifest.RootDigest) != 64 {
		t.Fatalf("fixture manifest %+v", fx.second.Manifest)
	}
	_, p := render(t, fx.second, Options{})
	if !strings.Contains(squash(p.pages[0].text()), fx.second.Manifest.RootDigest) {
		t.Errorf("cover lacks the root digest %s", fx.second.Manifest.RootDigest)
	}
}
