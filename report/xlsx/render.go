package xlsx

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Summary layout: the figures in columns A:B, the grade table in D:F, the
// chart to the right of it.
const (
	gradeTableCol = 4 // D
	chartCell     = "H2"
	chartWidth    = 560
	chartHeight   = 320
	domainsColour = "2F5597"
	vendorsColour = "9DC3E6"
)

// omittedText labels the last row of a sheet cut at Excel's row limit.
const omittedText = "%d more rows not shown: a sheet holds at most %d rows; the JSON report has every row"

// stream writes a table sheet with the StreamWriter: widths and frozen
// panes first, then the header and the rows, then the autofilter over the
// data actually written.
func (b *book) stream(d sheetDef) error {
	// The stream writer writes the sheet properties and the dimension as
	// it starts: the rows are counted first, so the dimension is the
	// range actually written. A count the report keeps is read; only
	// sheets whose rows are cheap are walked to count them (the MX
	// sheet's rows come from every domain's evidence).
	count, err := b.count(d)
	if err != nil {
		return err
	}
	last := min(count, b.maxRows) + 1
	if count > b.maxRows {
		last++
	}
	if err := b.f.SetSheetDimension(d.name, tableRef(len(d.cols), last-1)); err != nil {
		return err
	}
	if err := b.printSetup(d.name); err != nil {
		return err
	}
	sw, err := b.f.NewStreamWriter(d.name)
	if err != nil {
		return err
	}
	for i, c := range d.cols {
		if err := sw.SetColWidth(i+1, i+1, c.colWidth()); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(freezePanes(d.freezeCols)); err != nil {
		return err
	}
	if err := sw.SetRow("A1", b.headerRow(d)); err != nil {
		return err
	}
	written, omitted := 0, 0
	// One Cell per column, reused row after row: SetRow copies what it
	// needs, and a pointer in an interface costs no allocation.
	buf := make([]excelize.Cell, len(d.cols))
	cells := make([]any, len(d.cols))
	emit := func(values ...any) error {
		if len(values) != len(d.cols) {
			return fmt.Errorf("row of %d values for %d columns", len(values), len(d.cols))
		}
		if written >= b.maxRows {
			omitted++
			return nil
		}
		for i, v := range values {
			c, ok, err := b.st.cell(d.cols[i], v)
			if err != nil {
				return err
			}
			cells[i] = nil
			if ok {
				buf[i] = c
				cells[i] = &buf[i]
			}
		}
		written++
		return sw.SetRow("A"+strconv.Itoa(written+1), cells)
	}
	if err := d.rows(b.r, emit); err != nil {
		return err
	}
	if written+omitted != count {
		return fmt.Errorf("%d rows counted, %d written", count, written+omitted)
	}
	if omitted > 0 {
		note := fmt.Sprintf(omittedText, omitted, b.maxRows)
		if err := sw.SetRow("A"+strconv.Itoa(written+2), []any{excelize.Cell{StyleID: b.st.header, Value: note}}); err != nil {
			return err
		}
	}
	// The autofilter must reach the worksheet before Flush writes it out.
	if err := b.f.AutoFilter(d.name, tableRef(len(d.cols), written), nil); err != nil {
		return err
	}
	return sw.Flush()
}

// count is the number of data rows of a table sheet.
func (b *book) count(d sheetDef) (int, error) {
	if d.count != nil {
		return d.count(b.r)
	}
	n := 0
	err := d.rows(b.r, func(...any) error { n++; return nil })
	return n, err
}

// summary writes the Summary sheet with the ordinary API, since a chart
// cannot be added to a stream-written sheet.
func (b *book) summary(d sheetDef) error {
	f, name := b.f, d.name
	for i, c := range d.cols {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := f.SetColWidth(name, col, col, c.colWidth()); err != nil {
			return err
		}
	}
	if err := b.setRow(name, 1, 1, b.headerRow(d)); err != nil {
		return err
	}
	written := 0
	err := d.rows(b.r, func(values ...any) error {
		if len(values) != len(d.cols) {
			return fmt.Errorf("row of %d values for %d columns", len(values), len(d.cols))
		}
		cells := make([]any, len(values))
		for i, v := range values {
			c := d.cols[i]
			if t, ok := v.(typed); ok {
				c.kind, v = t.kind, t.v
			}
			cell, ok, err := b.st.cell(c, v)
			if err != nil {
				return err
			}
			if ok {
				cells[i] = cell
			}
		}
		written++
		return b.setRow(name, 1, written+1, cells)
	})
	if err != nil {
		return err
	}
	if err := b.gradeTable(name); err != nil {
		return err
	}
	if err := f.SetPanes(name, freezePanes(0)); err != nil {
		return err
	}
	if err := f.AutoFilter(name, tableRef(len(d.cols), written), nil); err != nil {
		return err
	}
	// The dimension covers the figures and the grade table beside them
	// (excelize would leave "A1").
	lastRow, lastCol := written+1, len(d.cols)
	if n := len(b.r.Summary.Grades); n > 0 {
		lastRow, lastCol = max(lastRow, n+1), gradeTableCol+2
	}
	last, err := excelize.CoordinatesToCellName(lastCol, lastRow)
	if err != nil {
		return err
	}
	if err := f.SetSheetDimension(name, "A1:"+last); err != nil {
		return err
	}
	// After the autofilter, which replaces the sheet properties.
	return b.printSetup(name)
}

// printSetup makes a sheet print as analysts expect: landscape, fitted to
// the page width, the header row repeated on every page, the run and the
// page number in the page header and footer.
func (b *book) printSetup(sheet string) error {
	fit := true
	if err := b.f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	landscape, one, any := "landscape", 1, 0
	if err := b.f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Orientation: &landscape, FitToWidth: &one, FitToHeight: &any,
	}); err != nil {
		return err
	}
	title := headerFooterText(b.r.Org.Title)
	if title == "" {
		title = "Vendor mail TLS audit"
	}
	run := fmt.Sprintf("Run %d of %s", b.r.Run.ID, headerFooterText(b.r.Run.ListName))
	if err := b.f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddHeader: "&L" + title + "&R" + headerFooterText(sheet),
		OddFooter: "&L" + run + "&RPage &P of &N",
	}); err != nil {
		return err
	}
	return b.f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", Scope: sheet,
		RefersTo: fmt.Sprintf("'%s'!$1:$1", strings.ReplaceAll(sheet, "'", "''")),
	})
}

// headerFooterText makes a string safe inside a page header or footer,
// where '&' starts a code; it is cut to keep the header short.
func headerFooterText(s string) string {
	s = strings.ReplaceAll(cellText(s), "&", "&&")
	return capText(s, maxHeaderFooterText)
}

// maxHeaderFooterText bounds each text of a page header or footer (Excel
// allows 255 characters in the whole header).
const maxHeaderFooterText = 60

// gradeTable writes the grade distribution beside the figures and charts it.
func (b *book) gradeTable(sheet string) error {
	s := b.r.Summary
	widths := []float64{widthFlag, widthFlag, widthFlag}
	for i, w := range widths {
		col, err := excelize.ColumnNumberToName(gradeTableCol + i)
		if err != nil {
			return err
		}
		if err := b.f.SetColWidth(sheet, col, col, w); err != nil {
			return err
		}
	}
	header := []any{
		excelize.Cell{StyleID: b.st.header, Value: "Grade"},
		excelize.Cell{StyleID: b.st.header, Value: "Domains"},
		excelize.Cell{StyleID: b.st.header, Value: "Vendors"},
	}
	if err := b.setRow(sheet, gradeTableCol, 1, header); err != nil {
		return err
	}
	vendors := map[string]int{}
	for _, g := range s.VendorGrades {
		vendors[g.Grade] = g.Count
	}
	gradeCol := column{kind: kindGrade}
	for i, g := range s.Grades {
		gc, _, err := b.st.cell(gradeCol, g.Grade)
		if err != nil {
			return err
		}
		row := []any{gc, excelize.Cell{StyleID: b.st.integer, Value: g.Count},
			excelize.Cell{StyleID: b.st.integer, Value: vendors[g.Grade]}}
		if err := b.setRow(sheet, gradeTableCol, i+2, row); err != nil {
			return err
		}
	}
	if len(s.Grades) == 0 {
		return nil
	}
	return b.gradeChart(sheet, len(s.Grades))
}

// gradeChart draws the grade table as a clustered column chart.
func (b *book) gradeChart(sheet string, grades int) error {
	noVary := false
	last := grades + 1
	ref := func(col, r1, r2 int) string {
		c, _ := excelize.ColumnNumberToName(col)
		if r1 == r2 {
			return fmt.Sprintf("'%s'!$%s$%d", sheet, c, r1)
		}
		return fmt.Sprintf("'%s'!$%s$%d:$%s$%d", sheet, c, r1, c, r2)
	}
	series := func(col int, colour string) excelize.ChartSeries {
		return excelize.ChartSeries{
			Name:       ref(col, 1, 1),
			Categories: ref(gradeTableCol, 2, last),
			Values:     ref(col, 2, last),
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colour}},
		}
	}
	return b.f.AddChart(sheet, chartCell, &excelize.Chart{
		Type: excelize.Col,
		Series: []excelize.ChartSeries{
			series(gradeTableCol+1, domainsColour),
			series(gradeTableCol+2, vendorsColour),
		},
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "Grade distribution"}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: chartWidth, Height: chartHeight},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true},
		// One colour per series, not per grade.
		VaryColors: &noVary,
	})
}

// headerRow is the bold header of a sheet.
func (b *book) headerRow(d sheetDef) []any {
	row := make([]any, len(d.cols))
	for i, c := range d.cols {
		row[i] = excelize.Cell{StyleID: b.st.header, Value: c.header}
	}
	return row
}

// setRow writes cells (excelize.Cell or nil) with the ordinary API from
// column col of row.
func (b *book) setRow(sheet string, col, row int, cells []any) error {
	for i, v := range cells {
		c, ok := v.(excelize.Cell)
		if !ok {
			continue
		}
		ref, err := excelize.CoordinatesToCellName(col+i, row)
		if err != nil {
			return err
		}
		if err := b.f.SetCellValue(sheet, ref, c.Value); err != nil {
			return err
		}
		if err := b.f.SetCellStyle(sheet, ref, ref, c.StyleID); err != nil {
			return err
		}
	}
	return nil
}

// freezePanes keeps the header row, and cols leading columns, in view.
func freezePanes(cols int) *excelize.Panes {
	top, _ := excelize.CoordinatesToCellName(cols+1, 2)
	pane := "bottomLeft"
	if cols > 0 {
		pane = "bottomRight"
	}
	return &excelize.Panes{
		Freeze: true, XSplit: cols, YSplit: 1, TopLeftCell: top, ActivePane: pane,
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: pane}},
	}
}

// tableRef is the range of a header and rows data rows over cols columns.
func tableRef(cols, rows int) string {
	last, _ := excelize.CoordinatesToCellName(cols, rows+1)
	return "A1:" + last
}
