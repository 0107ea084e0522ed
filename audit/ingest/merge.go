package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

const (
	// maxMerges is how many merged ranges of a sheet are honoured.
	maxMerges = 10000
	// maxMergeFills bounds the cells filled from merged ranges, so that
	// overlapping ranges in a hostile file cannot make the work quadratic.
	maxMergeFills = 1 << 20
	// maxPackagePart is the largest relationships or workbook part read.
	maxPackagePart = 4 << 20
	// defaultWorkbookPart is where the workbook usually lives in the package.
	defaultWorkbookPart = "xl/workbook.xml"
	relOfficeDocument   = "/officeDocument"
)

// cellRange is a merged range of cells, 1-based and inclusive.
type cellRange struct {
	col1, row1, col2, row2 int
}

// sheetMerges lists the merged ranges of the named sheet. excelize reads
// them only by loading the whole worksheet, so this streams the sheet part
// itself, reading at most limit bytes.
func sheetMerges(data []byte, sheet string, limit int64) ([]cellRange, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	pkg := packageParts(zr)
	wb := defaultWorkbookPart
	if target, err := relTarget(pkg, "_rels/.rels", "", func(r rel) bool {
		return strings.HasSuffix(r.Type, relOfficeDocument)
	}); err == nil {
		wb = target
	}
	id, err := sheetRelID(pkg, wb, sheet)
	if err != nil {
		return nil, err
	}
	relsPart := path.Join(path.Dir(wb), "_rels", path.Base(wb)+".rels")
	part, err := relTarget(pkg, relsPart, path.Dir(wb), func(r rel) bool { return r.ID == id })
	if err != nil {
		return nil, err
	}
	f, ok := pkg[strings.ToLower(part)]
	if !ok {
		return nil, fmt.Errorf("the workbook has no part %q", part)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	merges, err := scanMerges(io.LimitReader(rc, limit))
	var bad *badCellError
	if errors.As(err, &bad) {
		return merges, &corruptPartError{part: f.Name, err: bad}
	}
	return merges, err
}

// badCellError is a cell whose shared-string index is not a number:
// excelize reads it as string 0, giving a vendor another vendor's value.
type badCellError struct {
	ref, value string
}

func (e *badCellError) Error() string {
	return fmt.Sprintf("cell %s: shared-string index %q is not a number", e.ref, e.value)
}

// packageParts indexes the parts of a package by lower-case name (part
// names are case-insensitive).
func packageParts(zr *zip.Reader) map[string]*zip.File {
	pkg := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		name := strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/"))
		if _, dup := pkg[name]; !dup {
			pkg[name] = f
		}
	}
	return pkg
}

// readPart reads a small package part whole.
func readPart(pkg map[string]*zip.File, name string) ([]byte, error) {
	f, ok := pkg[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("the workbook has no part %q", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxPackagePart+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPackagePart {
		return nil, fmt.Errorf("part %q is too large", name)
	}
	return b, nil
}

// rel is one package relationship.
type rel struct {
	ID     string `xml:"Id,attr"`
	Type   string `xml:"Type,attr"`
	Target string `xml:"Target,attr"`
}

// relTarget finds the first relationship of a .rels part that match
// accepts, and resolves its target against dir.
func relTarget(pkg map[string]*zip.File, relsPart, dir string, match func(rel) bool) (string, error) {
	b, err := readPart(pkg, relsPart)
	if err != nil {
		return "", err
	}
	var rels struct {
		Rels []rel `xml:"Relationship"`
	}
	if err := xml.Unmarshal(b, &rels); err != nil {
		return "", fmt.Errorf("reading %s: %w", relsPart, err)
	}
	for _, r := range rels.Rels {
		if !match(r) {
			continue
		}
		if strings.HasPrefix(r.Target, "/") {
			return strings.TrimPrefix(r.Target, "/"), nil
		}
		return path.Join(dir, r.Target), nil
	}
	return "", fmt.Errorf("no matching relationship in %s", relsPart)
}

// sheetRelID finds the relationship id of the named sheet in the workbook part.
func sheetRelID(pkg map[string]*zip.File, wb, sheet string) (string, error) {
	b, err := readPart(pkg, wb)
	if err != nil {
		return "", err
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			return "", fmt.Errorf("sheet %q not found in %s: %w", sheet, wb, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "sheet" {
			continue
		}
		var name, id string
		for _, a := range se.Attr {
			switch {
			case a.Name.Local == "name":
				name = a.Value
			case a.Name.Local == "id" && a.Name.Space != "":
				id = a.Value
			}
		}
		if name == sheet && id != "" {
			return id, nil
		}
	}
}

// scanMerges collects the <mergeCell ref="A1:B2"/> ranges of a worksheet,
// and checks on the way that every shared-string cell (<c t="s">) holds a
// number in its <v>.
func scanMerges(r io.Reader) ([]cellRange, error) {
	d := xml.NewDecoder(r)
	var out []cellRange
	var (
		sharedRef string // the shared-string cell being read, "" outside one
		inValue   bool
		value     []byte
	)
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			switch tk.Name.Local {
			case "c":
				sharedRef = ""
				ref, shared := "", false
				for _, a := range tk.Attr {
					switch a.Name.Local {
					case "t":
						shared = a.Value == "s"
					case "r":
						ref = a.Value
					}
				}
				if shared {
					sharedRef = ref
					if sharedRef == "" {
						sharedRef = "?"
					}
				}
			case "v":
				inValue, value = sharedRef != "", value[:0]
			case "mergeCell":
				if len(out) >= maxMerges {
					continue
				}
				for _, a := range tk.Attr {
					if a.Name.Local != "ref" {
						continue
					}
					if cr, ok := parseRange(a.Value); ok {
						out = append(out, cr)
					}
				}
			}
		case xml.CharData:
			if inValue && len(value) < maxProblemValue {
				value = append(value, tk...)
			}
		case xml.EndElement:
			switch tk.Name.Local {
			case "v":
				if inValue {
					v := strings.TrimSpace(string(value))
					if n, err := strconv.Atoi(v); err != nil || n < 0 {
						return out, &badCellError{ref: sharedRef, value: v}
					}
				}
				inValue = false
			case "c":
				sharedRef = ""
			}
		}
	}
}

// parseRange parses "A1:B2" (a single cell is not a merge).
func parseRange(ref string) (cellRange, bool) {
	a, b, ok := strings.Cut(ref, ":")
	if !ok {
		return cellRange{}, false
	}
	c1, r1, err1 := excelize.CellNameToCoordinates(a)
	c2, r2, err2 := excelize.CellNameToCoordinates(b)
	if err1 != nil || err2 != nil {
		return cellRange{}, false
	}
	return cellRange{col1: min(c1, c2), row1: min(r1, r2), col2: max(c1, c2), row2: max(r1, r2)}, true
}

// applyMerges shows the value of each merged range below the header in
// every cell it covers, as a spreadsheet does, within the first width
// columns. Only rows with content of their own receive values (a merged
// cell reaching into an empty row does not make it a vendor), and each
// filled cell remembers the range's first row. It reports whether it had
// to stop early.
func applyMerges(rows []row, merges []cellRange, headerRow, width int) (complete bool) {
	fills := 0
	for _, m := range merges {
		if m.row1 <= headerRow {
			continue
		}
		anchorAt, ok := findRow(rows, m.row1)
		if !ok {
			continue
		}
		val := rows[anchorAt].cell(m.col1 - 1)
		if val == "" {
			continue
		}
		for i := anchorAt; i < len(rows) && rows[i].num <= m.row2; i++ {
			for c := m.col1 - 1; c < min(m.col2, width); c++ {
				if rows[i].num == m.row1 && c == m.col1-1 {
					continue
				}
				if fills++; fills > maxMergeFills {
					return false
				}
				rows[i].set(c, val, m.row1)
			}
		}
	}
	return true
}

// findRow finds the index of row number num in rows, sorted by number.
func findRow(rows []row, num int) (int, bool) {
	i := sort.Search(len(rows), func(i int) bool { return rows[i].num >= num })
	return i, i < len(rows) && rows[i].num == num
}

// set writes column c of r, shown by the merged range starting at row anchor.
func (r *row) set(c int, val string, anchor int) {
	for len(r.cells) <= c {
		r.cells = append(r.cells, "")
	}
	for len(r.anchors) <= c {
		r.anchors = append(r.anchors, 0)
	}
	r.cells[c], r.anchors[c] = val, anchor
}
