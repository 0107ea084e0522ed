package pdf

import (
	"github.com/go-pdf/fpdf"
)

// fallbackFont is a font drawn for the characters the document's own
// fonts have no glyph for: Devanagari, CJK.
type fallbackFont struct {
	family string
	cover  *coverage
	// data is the TrueType file, registered with fpdf only when a text
	// first needs it: parsing a 3 MB CJK font for every letter of a run
	// whose vendors all write Latin would be wasted.
	data  []byte
	added bool
}

// pdfFile is fpdf with per-character font fallback: text whose characters
// the current font cannot draw (a vendor named in Chinese or Hindi) is
// measured and drawn run by run, each run in the first font that has its
// glyphs, so names print as written instead of as blank boxes or escapes.
// Every other call goes to fpdf unchanged.
type pdfFile struct {
	*fpdf.Fpdf
	// cover gives the coverage of a registered family+style.
	cover     map[string]*coverage
	fallbacks []*fallbackFont
	family    string
	style     string
	size      float64
}

// useFont sets the font of a run, registering a fallback font first if
// this document has not used it yet.
func (p *pdfFile) useFont(family, style string) {
	for _, fb := range p.fallbacks {
		if fb.family == family && !fb.added {
			p.AddUTF8FontFromBytes(fb.family, "", fb.data)
			fb.added = true
		}
	}
	p.Fpdf.SetFont(family, style, p.size)
}

// SetFont records the current font, then sets it.
func (p *pdfFile) SetFont(family, style string, size float64) {
	p.family, p.style, p.size = family, style, size
	p.Fpdf.SetFont(family, style, size)
}

// fontRun is a piece of text drawn in one font.
type fontRun struct {
	family, style, text string
}

// drawable reports whether some font of the document draws r.
func (p *pdfFile) drawable(cur *coverage, r rune) bool {
	if cur != nil && cur.has(r) {
		return true
	}
	for _, fb := range p.fallbacks {
		if fb.cover.has(r) {
			return true
		}
	}
	return false
}

// runs splits s into runs by the font that draws each character: the
// current font where it can, else the first fallback that can. nil when
// the current font draws all of s.
func (p *pdfFile) runs(s string) []fontRun {
	cur := p.cover[p.family+p.style]
	if cur == nil {
		return nil
	}
	all := true
	for _, r := range s {
		if !cur.has(r) {
			all = false
			break
		}
	}
	if all {
		return nil
	}
	var out []fontRun
	for _, r := range s {
		fam, style := p.family, p.style
		if !cur.has(r) {
			for _, fb := range p.fallbacks {
				if fb.cover.has(r) {
					fam, style = fb.family, ""
					break
				}
			}
		}
		if n := len(out); n > 0 && out[n-1].family == fam && out[n-1].style == style {
			out[n-1].text += string(r)
			continue
		}
		out = append(out, fontRun{family: fam, style: style, text: string(r)})
	}
	return out
}

// GetStringWidth measures s, each run in its own font.
func (p *pdfFile) GetStringWidth(s string) float64 {
	runs := p.runs(s)
	if runs == nil {
		return p.Fpdf.GetStringWidth(s)
	}
	w := 0.0
	for _, r := range runs {
		p.useFont(r.family, r.style)
		w += p.Fpdf.GetStringWidth(r.text)
	}
	p.Fpdf.SetFont(p.family, p.style, p.size)
	return w
}

// CellFormat draws a cell as fpdf does; text that needs fallback fonts is
// drawn run by run inside the cell's box, aligned as asked.
func (p *pdfFile) CellFormat(w, h float64, txt, border string, ln int, align string, fill bool, link int, linkStr string) {
	runs := p.runs(txt)
	if runs == nil {
		p.Fpdf.CellFormat(w, h, txt, border, ln, align, fill, link, linkStr)
		return
	}
	x, y := p.GetXY()
	if w == 0 {
		l, _, r, _ := p.GetMargins()
		pw, _ := p.GetPageSize()
		w = pw - r - x
		_ = l
	}
	// The box (border, fill, link) without text.
	p.Fpdf.CellFormat(w, h, "", border, 0, align, fill, link, linkStr)
	margin := p.GetCellMargin()
	tw := p.GetStringWidth(txt)
	tx := x + margin
	switch {
	case containsByte(align, 'R'):
		tx = x + w - margin - tw
	case containsByte(align, 'C'):
		tx = x + (w-tw)/2
	}
	vertical := "M"
	switch {
	case containsByte(align, 'T'):
		vertical = "T"
	case containsByte(align, 'B'):
		vertical = "B"
	}
	p.SetCellMargin(0)
	for _, r := range runs {
		p.useFont(r.family, r.style)
		rw := p.Fpdf.GetStringWidth(r.text)
		p.SetXY(tx, y)
		p.Fpdf.CellFormat(rw, h, r.text, "", 0, "L"+vertical, false, 0, "")
		tx += rw
	}
	p.SetCellMargin(margin)
	p.Fpdf.SetFont(p.family, p.style, p.size)
	switch ln {
	case 0:
		p.SetXY(x+w, y)
	case 1:
		l, _, _, _ := p.GetMargins()
		p.SetXY(l, y+h)
	default:
		p.SetXY(x, y+h)
	}
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
