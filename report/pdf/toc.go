package pdf

import "math"

// tocStyle is the style of a line of the table of contents.
const tocStyle = sSmall

// tocIndent is the indent of each outline level below the first.
const tocIndent = 5.0

// tocNumberW is the width kept for the page numbers.
const tocNumberW = 12.0

// tocPagesFor is how many pages n lines of contents take when the first
// page's lines start at firstY.
func tocPagesFor(n int, firstY float64) int {
	lead := tocStyle.spec().lead
	first := int(math.Floor((bodyBottom - firstY) / lead))
	if n <= first {
		return 1
	}
	per := int(math.Floor((bodyBottom - marginT) / lead))
	return 1 + (n-first+per-1)/per
}

// reserveTOC draws the contents heading and keeps its pages free: the
// entries are drawn at the end (drawTOC), when every page is known.
func (d *reportDoc) reserveTOC() {
	d.flushHeadings()
	d.tocFirst, d.tocY = d.f.PageNo(), d.f.GetY()
	d.body = true
	for i := 1; i < d.tocPages; i++ {
		d.newPage()
		d.body = true
	}
}

// drawTOC draws the entries on the reserved pages, each linked to its
// heading, and reports whether they fitted.
func (d *reportDoc) drawTOC() bool {
	if d.tocFirst == 0 {
		return true
	}
	if tocPagesFor(len(d.toc), d.tocY) > d.tocPages {
		return false
	}
	last := d.f.PageNo()
	f := d.f
	st := tocStyle.spec()
	page, y := d.tocFirst, d.tocY
	f.SetPage(page)
	d.forceFont()
	for _, e := range d.toc {
		if y+st.lead > bodyBottom {
			page++
			y = marginT
			f.SetPage(page)
			d.forceFont()
		}
		s := tocStyle
		if e.level == 0 {
			s = sSmallBold
		}
		d.setStyle(s)
		d.setText(ink)
		x := marginL + float64(max(0, e.level))*tocIndent
		w := marginL + contentW - tocNumberW - x
		f.SetXY(x, y)
		f.CellFormat(w, st.lead, truncateToWidth(d.doc, d.clean(e.title), w), "", 0, "L", false, e.link, "")
		f.SetXY(marginL+contentW-tocNumberW, y)
		f.CellFormat(tocNumberW, st.lead, itoa(e.page), "", 0, "R", false, e.link, "")
		y += st.lead
	}
	f.SetPage(last)
	d.forceFont()
	return true
}

// forceFont makes fpdf write the font again: after SetPage it still
// believes the font of the page it left is set, and would not.
func (d *doc) forceFont() {
	d.setStyle(sMono)
	d.setStyle(sBody)
}
