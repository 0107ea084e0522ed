package pdf

import "math"

// tocStyle is the style of a line of the table of contents.
const tocStyle = sSmall

// tocIndent is the indent of each outline level below the first.
const tocIndent = 5.0

// tocNumberW is the width kept for the page numbers.
const tocNumberW = 12.0

// tocColumnGap is the space between the two columns of a long table of
// contents.
const tocColumnGap = 8.0

// tocColumns is how many columns n lines of contents are set in: one when
// they fit the first page, else two, which halves the pages they take.
func tocColumns(n int, firstY float64) int {
	lead := tocStyle.spec().lead
	if n <= int(math.Floor((bodyBottom-firstY)/lead)) {
		return 1
	}
	return 2
}

// tocPagesFor is how many pages n lines of contents take when the first
// page's lines start at firstY.
func tocPagesFor(n int, firstY float64) int {
	lead := tocStyle.spec().lead
	cols := tocColumns(n, firstY)
	first := cols * int(math.Floor((bodyBottom-firstY)/lead))
	if n <= first {
		return 1
	}
	per := cols * int(math.Floor((bodyBottom-marginT)/lead))
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
	cols := tocColumns(len(d.toc), d.tocY)
	colW := (contentW - float64(cols-1)*tocColumnGap) / float64(cols)
	page, y, column, top := d.tocFirst, d.tocY, 0, d.tocY
	f.SetPage(page)
	d.forceFont()
	for _, e := range d.toc {
		if y+st.lead > bodyBottom {
			column++
			y = top
			if column == cols {
				page++
				column, y, top = 0, marginT, marginT
				f.SetPage(page)
				d.forceFont()
			}
		}
		s := tocStyle
		if e.level == 0 {
			s = sSmallBold
		}
		d.setStyle(s)
		d.setText(ink)
		left := marginL + float64(column)*(colW+tocColumnGap)
		x := left + float64(max(0, e.level))*tocIndent
		w := left + colW - tocNumberW - x
		f.SetXY(x, y)
		f.CellFormat(w, st.lead, truncateToWidth(d.doc, d.clean(e.title), w), "", 0, "L", false, e.link, "")
		f.SetXY(left+colW-tocNumberW, y)
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
