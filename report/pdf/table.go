package pdf

// column is one column of a table.
type column struct {
	head string
	// share is the column's part of the table width; shares are normalised.
	share float64
	align string // "L", "C" or "R"
	style styleID
}

// cell is one table cell; every field but text is optional.
type cell struct {
	text string
	// lines, when set, are drawn one under the other instead of text.
	lines []string
	fill  rgb // 0: no fill
	color rgb // 0: ink
	bold  bool
}

// tableGap is the space below a table.
const tableGap = 1.5

// keepTogether is the height under which a table is never split.
const keepTogether = 30.0

// table is a grid that breaks across pages: rows taller than what is left
// of a page continue on the next one, and the header row is repeated on
// every page the table reaches.
type table struct {
	cols   []column
	rows   [][]cell
	header bool
	// label shades the first column (key-value tables).
	label bool
	// tight leaves no gap below the table, for a table continued by
	// another of other columns.
	tight bool
}

// col is a column in the table style.
func col(head string, share float64) column {
	return column{head: head, share: share, align: "L", style: sTable}
}

// monoCol is a column in the monospace style.
func monoCol(head string, share float64) column {
	return column{head: head, share: share, align: "L", style: sMono}
}

// txt is a plain cell.
func txt(s string) cell { return cell{text: s} }

// boldStyle is the bold variant of a cell style.
func boldStyle(s styleID) styleID {
	switch s {
	case sTable:
		return sTableBold
	case sSmall:
		return sSmallBold
	case sBody:
		return sBold
	}
	return s
}

// preparedRow is a row wrapped to its column widths.
type preparedRow struct {
	cells []cell
	lines [][]string
	style []styleID
	n     int     // lines of the tallest cell
	lead  float64 // line height of the row
}

func (d *doc) prepare(t *table, widths []float64, cells []cell, header bool) preparedRow {
	p := preparedRow{cells: cells, lines: make([][]string, len(t.cols)), style: make([]styleID, len(t.cols)), n: 1}
	for i, c := range t.cols {
		var cl cell
		if i < len(cells) {
			cl = cells[i]
		}
		s := c.style
		if header {
			s = sTableBold
		} else if cl.bold || (t.label && i == 0) {
			s = boldStyle(s)
		}
		st := d.setStyle(s)
		p.style[i] = s
		if cl.lines != nil {
			for _, l := range cl.lines {
				p.lines[i] = append(p.lines[i], d.lines(l, widths[i])...)
			}
		} else {
			p.lines[i] = d.lines(cl.text, widths[i])
		}
		if len(p.lines[i]) == 0 {
			p.lines[i] = []string{""}
		}
		if len(p.lines[i]) > p.n {
			p.n = len(p.lines[i])
		}
		if st.lead > p.lead {
			p.lead = st.lead
		}
	}
	return p
}

// table draws t at the left margin across the content width.
func (d *doc) table(t table) {
	if len(t.cols) == 0 {
		return
	}
	shares := 0.0
	for _, c := range t.cols {
		shares += c.share
	}
	widths := make([]float64, len(t.cols))
	for i, c := range t.cols {
		widths[i] = contentW * c.share / shares
	}
	var hdr preparedRow
	hdrH := 0.0
	if t.header {
		heads := make([]cell, len(t.cols))
		for i, c := range t.cols {
			heads[i] = cell{text: c.head, fill: headerFill}
		}
		hdr = d.prepare(&t, widths, heads, true)
		hdrH = 2*cellPadY + float64(hdr.n)*hdr.lead
	}
	rows := make([]preparedRow, len(t.rows))
	total := hdrH
	for i, cells := range t.rows {
		rows[i] = d.prepare(&t, widths, cells, false)
		total += 2*cellPadY + float64(rows[i].n)*rows[i].lead
	}
	if total <= keepTogether {
		d.need(total)
	}
	hdrOn := false
	for _, row := range rows {
		// Keep up to three lines of a row together; a taller row may
		// continue on the next page.
		for k := 0; k < row.n; {
			page := d.f.PageNo()
			want := 2*cellPadY + row.lead*float64(min(row.n-k, 3))
			if t.header && !hdrOn {
				want += hdrH
			}
			d.need(want)
			if d.f.PageNo() != page {
				hdrOn = false
			}
			if t.header && !hdrOn {
				d.drawRow(&t, widths, hdr, 0, hdr.n)
				hdrOn = true
			}
			fit := int((bodyBottom - d.f.GetY() - 2*cellPadY) / row.lead)
			take := max(1, min(fit, row.n-k))
			d.drawRow(&t, widths, row, k, take)
			k += take
			if k < row.n {
				d.newPage()
				hdrOn = false
			}
		}
	}
	if !t.tight {
		d.gap(tableGap)
	}
}

// drawRow draws lines [from, from+n) of a prepared row as one band.
func (d *doc) drawRow(t *table, widths []float64, p preparedRow, from, n int) {
	f := d.f
	y := f.GetY()
	h := 2*cellPadY + float64(n)*p.lead
	x := marginL
	f.SetLineWidth(gridWidth)
	d.setDraw(gridGrey)
	for i := range t.cols {
		var c cell
		if i < len(p.cells) {
			c = p.cells[i]
		}
		fill := c.fill
		if fill == 0 && t.label && i == 0 {
			fill = labelFill
		}
		if fill != 0 {
			d.setFill(fill)
			f.Rect(x, y, widths[i], h, "FD")
		} else {
			f.Rect(x, y, widths[i], h, "D")
		}
		d.setStyle(p.style[i])
		color := ink
		if c.color != 0 {
			color = c.color
		}
		d.setText(color)
		for j := from; j < from+n && j < len(p.lines[i]); j++ {
			f.SetXY(x, y+cellPadY+float64(j-from)*p.lead)
			f.CellFormat(widths[i], p.lead, p.lines[i][j], "", 0, t.cols[i].align, false, 0, "")
		}
		x += widths[i]
	}
	d.setText(ink)
	f.SetXY(marginL, y+h)
	d.body = true
}
