package pdf

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"

	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/templates"
)

// Page geometry in millimetres (A4 portrait).
const (
	pageW      = 210.0
	pageH      = 297.0
	marginL    = 18.0
	marginR    = 18.0
	marginT    = 22.0 // the body starts below the running header
	marginB    = 20.0 // and ends above the footer
	contentW   = pageW - marginL - marginR
	bodyBottom = pageH - marginB
	headerY    = 10.0
	footerY    = pageH - 13.0
	cellMargin = 1.0 // fpdf's inner cell margin, left and right
	cellPadY   = 0.5 // padding above and below the text of a table cell
	ruleWidth  = 0.2
	gridWidth  = 0.1
	// minFollow is the least of its content drawn on a heading's page:
	// two lines of body text.
	minFollow = 2 * 4.4
)

// nbAlias is replaced by the page count when the document is written.
const nbAlias = "{nb}"

// styleID names a text style.
type styleID int

const (
	sBody styleID = iota
	sBold
	sSmall
	sSmallBold
	sTable
	sTableBold
	sMono
	sFooter
	sH1
	sH2
	sH3
	sTitle
	sSubtitle
	sChip
)

// style is a font, size (points) and line height (mm).
type style struct {
	family, weight string
	size, lead     float64
}

func (s styleID) spec() style {
	switch s {
	case sBold:
		return style{templates.FontSans, "B", 9.5, 4.2}
	case sSmall:
		return style{templates.FontSans, "", 8, 3.7}
	case sSmallBold:
		return style{templates.FontSans, "B", 8, 3.7}
	case sTable:
		return style{templates.FontSans, "", 7.5, 3.2}
	case sTableBold:
		return style{templates.FontSans, "B", 7.5, 3.2}
	case sMono:
		return style{templates.FontMono, "", 6.5, 2.8}
	case sFooter:
		return style{templates.FontSans, "", 7, 3.2}
	case sH1:
		return style{templates.FontSans, "B", 16, 7.5}
	case sH2:
		return style{templates.FontSans, "B", 12, 6}
	case sH3:
		return style{templates.FontSans, "B", 10, 5}
	case sTitle:
		return style{templates.FontSans, "B", 24, 11}
	case sSubtitle:
		return style{templates.FontSans, "", 14, 7}
	case sChip:
		return style{templates.FontSans, "B", 6.5, 3.4}
	}
	return style{templates.FontSans, "", 9.5, 4.2}
}

// rgb is a colour as 0xRRGGBB; in a cell, 0 means "none" or "default".
type rgb uint32

func (c rgb) parts() (r, g, b int) { return int(c >> 16 & 0xff), int(c >> 8 & 0xff), int(c & 0xff) }

// Colours of the document.
const (
	white      rgb = 0xffffff
	ink        rgb = 0x212529
	grey       rgb = 0x6e757d
	gridGrey   rgb = 0xbec3c8
	headerFill rgb = 0xe2e6ea
	labelFill  rgb = 0xf4f6f8
	accent     rgb = 0x1f4e79
	badRed     rgb = 0xb00020
	goodGreen  rgb = 0x007a3d
	warnFill   rgb = 0xfdecea
)

// doc is one PDF being drawn: fpdf plus the report, the wording and the
// fonts' coverage. Every string reaches the page through clean.
type doc struct {
	f     *pdfFile
	r     *report.Report
	prose *templates.Prose
	cover map[string]*coverage // by family+weight
	now   time.Time
	// footer is the left footer text; header the running header, if any.
	footer string
	header func()
	// section is the title of the section being drawn, for the header;
	// context what part of it a page belongs to (an appendix's domain
	// and address), "" for none.
	section, context string
	// pending are headings waiting for their content; flushing is set
	// while they are drawn.
	pending  []pendingHeading
	flushing bool
	// toc lists the headings of the table of contents as drawn; marks
	// every heading's place.
	toc   []tocEntry
	marks []headingMark
	// body is set once the current page has content below its header.
	body bool
	// curFamily, curWeight and curSize are the font setStyle chose last
	// (fpdf has no getter for the family).
	curFamily, curWeight string
	curSize              float64
	err                  error
}

// newDoc sets up an A4 document with the embedded fonts, reproducible
// metadata and the page furniture.
func newDoc(r *report.Report, prose *templates.Prose, now time.Time, compress bool) (*doc, error) {
	fonts, err := templates.PDFFonts()
	if err != nil {
		return nil, err
	}
	f := &pdfFile{Fpdf: fpdf.New("P", "mm", "A4", "")}
	d := &doc{f: f, r: r, prose: prose, now: now, cover: map[string]*coverage{}}
	f.cover = d.cover
	for _, font := range fonts {
		c, err := fontCoverage(font.Data)
		if err != nil {
			return nil, fmt.Errorf("font %s %s: %w", font.Family, font.Style, err)
		}
		d.cover[font.Family+font.Style] = c
		if font.Fallback {
			f.fallbacks = append(f.fallbacks, &fallbackFont{family: font.Family, cover: c, data: font.Data})
			continue
		}
		f.AddUTF8FontFromBytes(font.Family, font.Style, font.Data)
	}
	if f.Err() {
		return nil, fmt.Errorf("load fonts: %w", f.Error())
	}
	f.SetMargins(marginL, marginT, marginR)
	f.SetAutoPageBreak(false, marginB) // every break is decided by need
	f.SetCellMargin(cellMargin)
	f.SetCompression(compress)
	f.SetCatalogSort(true)
	f.SetCreationDate(now)
	f.SetModificationDate(now)
	f.SetProducer("mxaudit", false)
	f.SetCreator(strings.TrimSpace("mxaudit "+d.clean(r.ToolVersion)), true)
	f.SetLang("en")
	f.AliasNbPages(nbAlias)
	f.SetHeaderFunc(func() {
		if d.header != nil {
			d.header()
		}
		f.SetXY(marginL, marginT)
	})
	f.SetFooterFunc(d.drawFooter)
	return d, nil
}

// fail records the first error met while drawing.
func (d *doc) fail(err error) {
	if d.err == nil && err != nil {
		d.err = err
	}
}

// text renders a prose block; a failure is recorded and renders empty.
func (d *doc) text(name string, data any) string {
	s, err := d.prose.Render(name, data)
	d.fail(err)
	return s
}

func (d *doc) setStyle(s styleID) style {
	st := s.spec()
	d.f.SetFont(st.family, st.weight, st.size)
	d.curFamily, d.curWeight, d.curSize = st.family, st.weight, st.size
	return st
}

func (d *doc) setText(c rgb) { d.f.SetTextColor(c.parts()) }
func (d *doc) setFill(c rgb) { d.f.SetFillColor(c.parts()) }
func (d *doc) setDraw(c rgb) { d.f.SetDrawColor(c.parts()) }

// clean makes s safe to draw: report.Clean escapes control characters,
// bidi overrides and invalid UTF-8. A character the current font has no
// glyph for is drawn in a fallback font (Devanagari, CJK: see pdfFile);
// one no embedded font draws (an emoji, a code point outside the BMP,
// which fpdf cannot encode) is shown as U+FFFD, the replacement
// character, never as a raw escape or a blank box. The JSON report keeps
// the name as written.
func (d *doc) clean(s string) string {
	s = report.Clean(s)
	cov := d.coverNow()
	ok := true
	for _, r := range s {
		if !d.f.drawable(cov, r) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if d.f.drawable(cov, r) {
			b.WriteRune(r)
		} else {
			b.WriteRune(unicode.ReplacementChar)
		}
	}
	return b.String()
}

// fontNow returns the current font family, weight and size ("" before any).
// escapeUndrawable is for remote bytes shown verbatim (the SMTP
// dialogue): a character the current font cannot draw is written as its
// \uXXXX escape, as the JSON and the workbook show it, so the reader sees
// what was sent instead of a replacement mark.
func (d *doc) escapeUndrawable(s string) string {
	s = report.Clean(s)
	cov := d.coverNow()
	var b strings.Builder
	for _, r := range s {
		if d.f.drawable(cov, r) {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// coverNow is the glyph coverage of the current font (the sans font's
// when the current one has none recorded).
func (d *doc) coverNow() *coverage {
	fam, weight, _ := d.fontNow()
	if cov := d.cover[fam+weight]; cov != nil {
		return cov
	}
	return d.cover[templates.FontSans]
}

func (d *doc) fontNow() (family, weight string, size float64) {
	return d.curFamily, d.curWeight, d.curSize
}

// lines cleans s and wraps it to width w in the current font; an empty
// string is one empty line.
func (d *doc) lines(s string, w float64) []string {
	s = d.clean(s)
	if s == "" {
		return []string{""}
	}
	return wrap(s, w-2*cellMargin, d.f.GetStringWidth)
}

// need starts a new page unless h millimetres fit above the footer. When
// headings wait for their content (heading), they are drawn first, on the
// page where that content starts: a heading is never the last line of a
// page.
func (d *doc) need(h float64) {
	if len(d.pending) > 0 && !d.flushing {
		d.flush(max(h, minFollow))
		return
	}
	if d.f.GetY()+h > bodyBottom {
		d.newPage()
	}
}

// newPage starts a page unless the current one is still empty, so no page
// is ever left blank.
func (d *doc) newPage() {
	if d.f.PageNo() > 0 && !d.body {
		return
	}
	d.f.AddPage()
	d.body = false
}

// drawFooter writes the run id, generation time and "Page X of Y".
func (d *doc) drawFooter() {
	f := d.f
	d.setDraw(gridGrey)
	f.SetLineWidth(ruleWidth)
	f.Line(marginL, footerY-1.5, pageW-marginR, footerY-1.5)
	st := d.setStyle(sFooter)
	d.setText(grey)
	f.SetXY(marginL, footerY)
	f.CellFormat(contentW*0.7, st.lead, d.clean(d.footer), "", 0, "L", false, 0, "")
	page := d.clean(d.text("footer.page", map[string]any{"Page": f.PageNo(), "Pages": nbAlias}))
	// Left-aligned in a fixed box, so the width of the page-count alias
	// (replaced at output) does not shift the text.
	box := f.GetStringWidth(strings.ReplaceAll(page, nbAlias, "99999")) + 2*cellMargin
	f.SetXY(pageW-marginR-box, footerY)
	f.CellFormat(box, st.lead, page, "", 0, "L", false, 0, "")
	d.setText(ink)
}

// para draws one paragraph wrapped to the content width.
func (d *doc) para(s styleID, text string) {
	d.paraAt(s, text, marginL, contentW, ink)
}

// paraAt draws a paragraph at x with width w; single newlines end lines.
func (d *doc) paraAt(s styleID, text string, x, w float64, c rgb) {
	st := d.setStyle(s)
	d.setText(c)
	for _, raw := range strings.Split(text, "\n") {
		for _, line := range d.lines(raw, w) {
			d.need(st.lead)
			d.setStyle(s)
			d.setText(c)
			d.f.SetXY(x, d.f.GetY())
			d.f.CellFormat(w, st.lead, line, "", 2, "L", false, 0, "")
			d.body = true
		}
	}
	d.setText(ink)
}

// prosePara renders a block and draws its paragraphs: blank lines separate
// paragraphs, other line breaks in the template are spaces.
func (d *doc) prosePara(s styleID, name string, data any) {
	for _, p := range paragraphs(d.text(name, data)) {
		d.para(s, p)
		d.gap(1.5)
	}
}

// paragraphs splits template output at blank lines and joins the lines of
// each paragraph.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		p = strings.Join(strings.Fields(p), " ")
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// bullets draws a list with hanging indents.
func (d *doc) bullets(s styleID, items []string) {
	const indent = 4.0
	for _, it := range items {
		st := d.setStyle(s)
		ls := d.lines(it, contentW-indent)
		d.need(st.lead)
		for i, line := range ls {
			d.need(st.lead)
			d.setStyle(s)
			y := d.f.GetY()
			if i == 0 {
				d.f.SetXY(marginL, y)
				d.f.CellFormat(indent, st.lead, "•", "", 0, "L", false, 0, "")
			}
			d.f.SetXY(marginL+indent, y)
			d.f.CellFormat(contentW-indent, st.lead, line, "", 2, "L", false, 0, "")
			d.body = true
		}
		d.gap(0.6)
	}
}

// gap moves down h millimetres, never past the bottom of the body.
func (d *doc) gap(h float64) {
	y := math.Min(d.f.GetY()+h, bodyBottom)
	d.f.SetXY(marginL, y)
}

// pendingHeading is a heading waiting for the first content below it.
type pendingHeading struct {
	style styleID
	title string
	// level is the outline level (< 0: not in the outline); toc puts the
	// heading in the printed table of contents.
	level int
	toc   bool
	// context, when set, becomes the running header's context (the
	// domain and address an appendix page belongs to) from the page the
	// heading is drawn on.
	context *string
	// section, when set, becomes the running header's section title.
	section *string
	// drawn, when set, is told the page and link of the drawn heading.
	drawn func(page, link int)
	// custom, when set, draws a line that belongs with the heading above
	// it (a severity chip and its caption) instead of title, in height mm;
	// with a title, it draws the titled heading itself (the title with its
	// chip on one line), which is placed, outlined and listed as any other.
	custom func()
	height float64
}

// tocEntry is one line of the printed table of contents.
type tocEntry struct {
	title       string
	level, page int
	link        int
}

// headingMark records where a heading was drawn, for the layout tests.
type headingMark struct {
	title string
	page  int
	// bottom is the y (mm) below the heading's last line.
	bottom float64
}

// heading queues a heading at outline level (level < 0 keeps it out of
// the outline; 0 and 1 also enter the table of contents). It is drawn
// together with the first content that follows it (need), so it always
// shares its page with at least minFollow of that content.
func (d *doc) heading(s styleID, title string, level int) {
	d.pending = append(d.pending, pendingHeading{style: s, title: title, level: level, toc: level >= 0 && level <= 1})
}

// headingOpt queues a heading with the extra behaviour of h (context, drawn).
func (d *doc) headingOpt(h pendingHeading) { d.pending = append(d.pending, h) }

// headingHeight is how tall a heading is drawn: the gap above it when the
// page has content, its lines and the space below it.
func (d *doc) headingHeight(h pendingHeading, afterBody bool) float64 {
	if h.custom != nil {
		if h.title != "" && afterBody {
			return h.height + h.style.spec().lead*0.5
		}
		return h.height
	}
	st := d.setStyle(h.style)
	n := float64(len(d.lines(h.title, contentW)))
	out := n * st.lead
	if afterBody {
		out += st.lead * 0.5
	}
	if h.style == sH1 {
		return out + 3
	}
	return out + 1
}

// flush draws the waiting headings where h millimetres of the content
// after them fit too, starting a page when they do not.
func (d *doc) flush(h float64) {
	hs := d.pending
	d.pending = nil
	for _, p := range hs {
		if p.section != nil {
			d.section, d.context = *p.section, ""
		}
		if p.context != nil {
			d.context = *p.context
		}
	}
	total := h
	for i, p := range hs {
		total += d.headingHeight(p, d.body || i > 0)
	}
	if d.f.GetY()+total > bodyBottom {
		d.newPage()
	}
	d.flushing = true
	for _, p := range hs {
		d.drawHeading(p)
	}
	d.flushing = false
}

// flushHeadings draws headings still waiting at the end of a part that
// ended without content below them.
func (d *doc) flushHeadings() {
	if len(d.pending) > 0 {
		d.flush(0)
	}
}

// drawHeading draws one heading at the current position.
func (d *doc) drawHeading(h pendingHeading) {
	if h.custom != nil && h.title == "" {
		h.custom()
		return
	}
	st := d.setStyle(h.style)
	if d.body {
		d.gap(st.lead * 0.5)
	}
	d.setStyle(h.style)
	page := d.f.PageNo()
	link := d.f.AddLink()
	d.f.SetLink(link, d.f.GetY(), page)
	if h.level >= 0 {
		d.f.Bookmark(d.clean(h.title), h.level, -1)
	}
	if h.toc {
		d.toc = append(d.toc, tocEntry{title: h.title, level: h.level, page: page, link: link})
	}
	if h.drawn != nil {
		h.drawn(page, link)
	}
	if h.custom != nil {
		// A titled heading drawn its own way (a title with its chip on
		// one line): placed and listed as any other.
		h.custom()
		d.marks = append(d.marks, headingMark{title: h.title, page: d.f.PageNo(), bottom: d.f.GetY()})
		return
	}
	c := ink
	if h.style == sH1 {
		c = accent
	}
	d.paraAt(h.style, h.title, marginL, contentW, c)
	d.marks = append(d.marks, headingMark{title: h.title, page: d.f.PageNo(), bottom: d.f.GetY()})
	if h.style == sH1 {
		d.setDraw(accent)
		d.f.SetLineWidth(ruleWidth * 2)
		y := d.f.GetY() + 0.5
		d.f.Line(marginL, y, pageW-marginR, y)
		d.gap(3)
	} else {
		d.gap(1)
	}
}

// truncateRunes shortens s to at most n runes, marking the cut.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
