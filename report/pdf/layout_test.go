package pdf

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/templates"
)

// drawn renders r uncompressed the way Write does and returns the
// document (its contents entries and heading marks) and the parsed PDF.
func drawn(t *testing.T, r *report.Report, opt Options) (*reportDoc, *parsedPDF, []byte) {
	t.Helper()
	opt.Uncompressed = true
	var want bytes.Buffer
	if err := Write(&want, r, opt); err != nil {
		t.Fatal(err)
	}
	prose, err := templates.LoadPDFProse("")
	if err != nil {
		t.Fatal(err)
	}
	fw, err := templates.LoadFrameworks("")
	if err != nil {
		t.Fatal(err)
	}
	for reserve := 1; ; reserve++ {
		var buf bytes.Buffer
		rd, needed, err := writeReport(&buf, r, prose, fw, opt, reserve)
		if err != nil {
			t.Fatal(err)
		}
		if needed > reserve {
			continue
		}
		if !bytes.Equal(buf.Bytes(), want.Bytes()) {
			t.Fatal("writeReport and Write differ")
		}
		p, err := parsePDF(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return rd, p, buf.Bytes()
	}
}

// headerText is the text of a page's running header band.
func headerText(pg pdfPage) string {
	top := (pageH - marginT) * ptPerMM
	var out []string
	for _, r := range pg.runs {
		if r.y > top {
			out = append(out, r.text)
		}
	}
	return strings.Join(out, "|")
}

// pageLinks counts the link annotations of each page, in page order.
func pageLinks(data []byte) []int {
	var out []int
	page := regexp.MustCompile(`(?s)/Type /Page\n.*?endobj`)
	for _, m := range page.FindAll(data, -1) {
		out = append(out, bytes.Count(m, []byte("/Subtype /Link")))
	}
	return out
}

func TestContents(t *testing.T) {
	rd, p, data := drawn(t, fx.second, Options{})
	if rd.tocFirst != 2 || len(rd.toc) == 0 {
		t.Fatalf("contents on page %d with %d entries, want page 2 with some", rd.tocFirst, len(rd.toc))
	}
	tocPages := p.pages[rd.tocFirst-1 : rd.tocFirst-1+rd.tocPages]
	if got := bodyLines(&parsedPDF{pages: tocPages[:1]}); len(got) == 0 || got[0] != prose(t, "toc.title", nil) {
		t.Fatalf("contents page starts %q", got[:min(1, len(got))])
	}
	nSections := 0
	for _, e := range rd.toc {
		if e.level == 0 {
			nSections++
		}
		if !sameLine(tocPages, e.title, strconv.Itoa(e.page)) {
			t.Errorf("contents: no line %q … %d", e.title, e.page)
		}
		if e.page < 1 || e.page > len(p.pages) || !strings.Contains(squash(p.pages[e.page-1].text()), squash(e.title)) {
			t.Errorf("contents: %q is not on page %d", e.title, e.page)
		}
	}
	// Every section but the cover and the contents is listed.
	if want := len(sections()) - 2; nSections != want {
		t.Errorf("%d sections in the contents, want %d", nSections, want)
	}
	links := pageLinks(data)
	if len(links) != len(p.pages) {
		t.Fatalf("%d page objects with links, %d pages", len(links), len(p.pages))
	}
	n := 0
	for _, l := range links[rd.tocFirst-1 : rd.tocFirst-1+rd.tocPages] {
		n += l
	}
	if n < 2*len(rd.toc) {
		t.Errorf("%d links on the contents pages, want 2 per entry (%d)", n, 2*len(rd.toc))
	}
}

// TestContentsSpansPages: contents too long for one page get the pages
// they need, every entry still pointing at its page.
func TestContentsSpansPages(t *testing.T) {
	r := scaled(fx.second, 400)
	rd, p, _ := drawn(t, r, Options{})
	if rd.tocPages < 2 {
		t.Fatalf("%d contents pages for %d entries, want several", rd.tocPages, len(rd.toc))
	}
	last := rd.toc[len(rd.toc)-1]
	tocPages := p.pages[rd.tocFirst-1 : rd.tocFirst-1+rd.tocPages]
	if !sameLineTruncated(tocPages, last.title, strconv.Itoa(last.page)) {
		t.Errorf("last entry %q … %d not on the contents pages", last.title, last.page)
	}
	checkLayout(t, p)
}

// sameLineTruncated reports whether a run that is title, or title cut
// short and marked "…", shares a baseline with a run b to its right.
func sameLineTruncated(pages []pdfPage, title, b string) bool {
	for _, pg := range pages {
		for _, x := range pg.runs {
			cut, ok := strings.CutSuffix(x.text, "…")
			if x.text != title && (!ok || cut == "" || !strings.HasPrefix(title, cut)) {
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

func TestEndMarker(t *testing.T) {
	for _, limit := range []int{0, 2} {
		_, p, _ := drawn(t, fx.second, Options{AppendixDomains: limit})
		end := prose(t, "document.end", nil)
		lines := bodyLines(&parsedPDF{pages: p.pages[len(p.pages)-1:]})
		if len(lines) == 0 || lines[len(lines)-1] != end {
			t.Errorf("limit %d: last page ends %q, want %q", limit, lines[max(0, len(lines)-1):], end)
		}
		if n := countRuns(p, end); n != 1 {
			t.Errorf("limit %d: %q drawn %d times", limit, end, n)
		}
	}
}

// TestNoStrandedHeading: every heading has at least two lines of its
// content below it on its page, and no page's body ends with a heading.
func TestNoStrandedHeading(t *testing.T) {
	for _, r := range []*report.Report{fx.second, fx.first, scaled(fx.second, 60)} {
		rd, p, _ := drawn(t, r, Options{})
		titles := map[string]bool{}
		for _, m := range rd.marks {
			titles[m.title] = true
			if m.bottom+minFollow > bodyBottom+0.01 {
				t.Errorf("heading %q on page %d ends at %.1f mm: no room for two lines", m.title, m.page, m.bottom)
			}
		}
		for i, pg := range p.pages[:len(p.pages)-1] {
			lines := bodyLines(&parsedPDF{pages: []pdfPage{pg}})
			if len(lines) > 0 && titles[lines[len(lines)-1]] {
				t.Errorf("page %d ends with the heading %q", i+1, lines[len(lines)-1])
			}
		}
	}
}

// TestRunningHeader: appendix pages name the domain (and the address)
// they belong to.
func TestRunningHeader(t *testing.T) {
	rd, p, _ := drawn(t, fx.second, Options{})
	appendix := prose(t, "appendix.title", nil)
	var domains []string
	start := 0
	for _, e := range rd.toc {
		if e.title == appendix {
			start = e.page
		}
	}
	if start == 0 {
		t.Fatal("no appendix in the contents")
	}
	// The domain headings by page.
	domainAt := map[int][]string{}
	for _, e := range rd.toc {
		if e.level == 1 && e.page >= start {
			d, _, _ := strings.Cut(e.title, " — ")
			domainAt[e.page] = append(domainAt[e.page], d)
		}
	}
	checked := 0
	domains = append(domains, domainAt[start]...)
	for n := start + 1; n <= len(p.pages); n++ {
		hdr := headerText(p.pages[n-1])
		if !strings.Contains(hdr, appendix) {
			t.Errorf("page %d: header %q lacks %q", n, hdr, appendix)
		}
		// The domain running at the top of the page: the last one begun
		// on an earlier page, or one begun on this page.
		ok := slices.ContainsFunc(domainAt[n], func(d string) bool { return strings.Contains(hdr, d) })
		if !ok && len(domains) > 0 {
			ok = strings.Contains(hdr, domains[len(domains)-1])
		}
		if !ok {
			t.Errorf("page %d: header %q names neither %q nor a domain begun on the page %q", n, hdr, domains[max(0, len(domains)-1):], domainAt[n])
		}
		domains = append(domains, domainAt[n]...)
		checked++
	}
	if checked == 0 {
		t.Fatal("the appendix has a single page: nothing checked")
	}
	// An address's block names the address in the header of the pages it
	// continues on.
	if !slices.ContainsFunc(p.pages[start:], func(pg pdfPage) bool { return strings.Contains(headerText(pg), " › ") }) {
		t.Error("no appendix page names an address in its header")
	}
}

// TestPageBudget: the fixture's report stays short, and rendering twice
// gives the same bytes.
func TestPageBudget(t *testing.T) {
	// The fixture (8 domains) draws 20 pages; the budget leaves room for
	// a few more lines of explanation, not for a return to one block per
	// finding and per domain. The sender-authentication findings and
	// the profiles section (issue 14) add two pages.
	const budget = 26
	_, p, data := drawn(t, fx.second, Options{})
	t.Logf("%d pages", len(p.pages))
	if len(p.pages) > budget {
		t.Errorf("%d pages, want at most %d", len(p.pages), budget)
	}
	_, _, again := drawn(t, fx.second, Options{})
	if !bytes.Equal(data, again) {
		t.Error("two renderings differ")
	}
}

// TestSharedServerPrintedOnce: an MX host and address used by several
// domains has its evidence printed once; the other domains point to it.
func TestSharedServerPrintedOnce(t *testing.T) {
	// A second domain of another vendor on the first domain's servers, as
	// customers of one provider are.
	c := *fx.second
	r := &c
	var first report.DomainView
	for _, d := range r.Domains {
		if len(d.MX) > 0 && len(d.MX[0].Addresses) > 0 && d.MX[0].Addresses[0].Cert != nil {
			first = d
			break
		}
	}
	twin := first
	twin.Domain, twin.Vendors = "twin-of-"+first.Domain, []string{"Twin Holdings"}
	r.Domains = append(slices.Clone(r.Domains), twin)
	type key struct{ host, ip string }
	users := map[key][]string{}
	sha := map[key]string{}
	for _, d := range r.Domains {
		for _, mx := range d.MX {
			for _, a := range mx.Addresses {
				k := key{mx.Host, a.IP}
				users[k] = append(users[k], d.Domain)
				if a.Cert != nil {
					sha[k] = a.Cert.SHA256
				}
			}
		}
	}
	shared := 0
	_, p, _ := drawn(t, r, Options{})
	text := squash(p.allText())
	for k, doms := range users {
		if len(doms) < 2 || sha[k] == "" {
			continue
		}
		shared++
		if n := strings.Count(text, squash(sha[k])); n != 1 {
			t.Errorf("%s (%s), used by %q: certificate printed %d times, want once", k.host, k.ip, doms, n)
		}
	}
	if shared == 0 {
		t.Fatal("the fixture has no shared mail server: nothing checked")
	}
	see := regexp.MustCompile(`printed on page (\d+)`)
	if !see.MatchString(p.allText()) {
		t.Error("no reference to the page where a shared server's evidence is")
	}
}
