package pdf

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// This file is a small reader for the uncompressed PDFs fpdf writes with
// Options.Uncompressed: it walks the objects (using each stream's /Length,
// so binary font data never confuses it), finds the pages in order, and
// interprets the few content-stream operators fpdf emits: Tf (font), Td
// (position), Tj/TJ (text) and re (rectangles). With UTF-8 fonts fpdf
// writes text as UTF-16BE literal strings, so the text can be decoded
// without the fonts' cmaps. The outline titles come from the /Title of
// the outline items. Positions are in points from the bottom-left corner.

// textRun is one text-showing operation.
type textRun struct {
	font       string // resource name without the slash
	size, x, y float64
	text       string
}

// pdfRect is a rectangle drawn with re, normalised to a positive height.
type pdfRect struct{ x, y, w, h float64 }

type pdfPage struct {
	runs  []textRun
	rects []pdfRect
}

type outlineItem struct {
	title string
	top   bool // a child of the outline root
}

type parsedPDF struct {
	pages   []pdfPage
	outline []outlineItem
	// fonts maps a font resource name to its /BaseFont.
	fonts map[string]string
}

type pdfObject struct {
	num    int
	dict   string
	stream []byte
}

var (
	objHeader  = regexp.MustCompile(`(?m)^(\d+) 0 obj\n`)
	lengthRe   = regexp.MustCompile(`/Length (\d+)`)
	contentsRe = regexp.MustCompile(`/Contents (\d+) 0 R`)
	parentRe   = regexp.MustCompile(`/Parent (\d+) 0 R`)
	fontResRe  = regexp.MustCompile(`/(F[0-9a-f]+) (\d+) 0 R`)
	baseFontRe = regexp.MustCompile(`/BaseFont /(\S+)`)
)

func pdfObjects(data []byte) ([]pdfObject, error) {
	var objs []pdfObject
	pos := 0
	for {
		loc := objHeader.FindSubmatchIndex(data[pos:])
		if loc == nil {
			return objs, nil
		}
		num, _ := strconv.Atoi(string(data[pos+loc[2] : pos+loc[3]]))
		start := pos + loc[1]
		end := bytes.Index(data[start:], []byte("endobj"))
		st := bytes.Index(data[start:], []byte("stream\n"))
		obj := pdfObject{num: num}
		if st >= 0 && (end < 0 || st < end) {
			obj.dict = string(data[start : start+st])
			m := lengthRe.FindStringSubmatch(obj.dict)
			if m == nil {
				return nil, fmt.Errorf("object %d: stream without /Length", num)
			}
			n, _ := strconv.Atoi(m[1])
			s := start + st + len("stream\n")
			if s+n > len(data) {
				return nil, fmt.Errorf("object %d: stream beyond end of file", num)
			}
			obj.stream = data[s : s+n]
			pos = s + n
		} else {
			if end < 0 {
				return nil, fmt.Errorf("object %d: no endobj", num)
			}
			obj.dict = string(data[start : start+end])
			pos = start + end
		}
		objs = append(objs, obj)
	}
}

func parsePDF(data []byte) (*parsedPDF, error) {
	objs, err := pdfObjects(data)
	if err != nil {
		return nil, err
	}
	byNum := map[int]pdfObject{}
	root := -1
	for _, o := range objs {
		byNum[o.num] = o
		if strings.Contains(o.dict, "/Type /Outlines") {
			root = o.num
		}
	}
	p := &parsedPDF{fonts: map[string]string{}}
	for _, o := range objs {
		switch {
		case strings.Contains(o.dict, "/Type /Page\n"):
			m := contentsRe.FindStringSubmatch(o.dict)
			if m == nil {
				return nil, fmt.Errorf("page object %d without /Contents", o.num)
			}
			n, _ := strconv.Atoi(m[1])
			c, ok := byNum[n]
			if !ok {
				return nil, fmt.Errorf("page object %d: contents %d missing", o.num, n)
			}
			runs, rects, err := parseContent(c.stream)
			if err != nil {
				return nil, fmt.Errorf("page %d: %w", len(p.pages)+1, err)
			}
			p.pages = append(p.pages, pdfPage{runs: runs, rects: rects})
		case strings.HasPrefix(strings.TrimSpace(o.dict), "<</Title ("):
			d := strings.TrimSpace(o.dict)[len("<</Title "):]
			raw, _, err := literal([]byte(d), 0)
			if err != nil {
				return nil, fmt.Errorf("outline object %d: %w", o.num, err)
			}
			top := false
			if m := parentRe.FindStringSubmatch(o.dict); m != nil {
				top = m[1] == strconv.Itoa(root)
			}
			p.outline = append(p.outline, outlineItem{title: decodeText(raw, true), top: top})
		}
		for _, m := range fontResRe.FindAllStringSubmatch(o.dict, -1) {
			n, _ := strconv.Atoi(m[2])
			if b := baseFontRe.FindStringSubmatch(byNum[n].dict); b != nil {
				p.fonts[m[1]] = b[1]
			}
		}
	}
	return p, nil
}

// literal reads a PDF literal string starting at data[i] == '('.
func literal(data []byte, i int) ([]byte, int, error) {
	if i >= len(data) || data[i] != '(' {
		return nil, i, fmt.Errorf("no string at %d", i)
	}
	var out []byte
	depth := 0
	for i++; i < len(data); i++ {
		c := data[i]
		switch c {
		case '\\':
			i++
			if i >= len(data) {
				return nil, i, fmt.Errorf("truncated escape")
			}
			switch e := data[i]; e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v, n := 0, 0
				for n < 3 && i < len(data) && data[i] >= '0' && data[i] <= '7' {
					v = v*8 + int(data[i]-'0')
					i++
					n++
				}
				i--
				out = append(out, byte(v))
			default:
				out = append(out, e)
			}
		case '(':
			depth++
			out = append(out, c)
		case ')':
			if depth == 0 {
				return out, i + 1, nil
			}
			depth--
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return nil, i, fmt.Errorf("unterminated string")
}

// decodeText decodes UTF-16BE (with or without a byte-order mark when
// utf16 is set) or, for a title without a mark, plain bytes.
func decodeText(b []byte, maybePlain bool) string {
	if bytes.HasPrefix(b, []byte{0xfe, 0xff}) {
		b = b[2:]
	} else if maybePlain {
		return string(b)
	}
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
	}
	return string(utf16.Decode(u))
}

func isDelim(c byte) bool {
	return strings.IndexByte(" \t\r\n\f()<>[]{}/%", c) >= 0
}

// parseContent interprets the operators of one page's content stream.
func parseContent(s []byte) ([]textRun, []pdfRect, error) {
	var runs []textRun
	var rects []pdfRect
	var stack []any
	var font string
	var size, x, y float64
	var array []byte
	inArray := false
	nums := func(n int) ([]float64, bool) {
		if len(stack) < n {
			return nil, false
		}
		out := make([]float64, n)
		for i, v := range stack[len(stack)-n:] {
			f, ok := v.(float64)
			if !ok {
				return nil, false
			}
			out[i] = f
		}
		return out, true
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			i++
		case c == '(':
			str, next, err := literal(s, i)
			if err != nil {
				return nil, nil, err
			}
			if inArray {
				array = append(array, str...)
			} else {
				stack = append(stack, str)
			}
			i = next
		case c == '[':
			inArray, array = true, nil
			i++
		case c == ']':
			inArray = false
			stack = append(stack, array)
			i++
		case c == '/':
			j := i + 1
			for j < len(s) && !isDelim(s[j]) {
				j++
			}
			stack = append(stack, string(s[i+1:j]))
			i = j
		default:
			j := i
			for j < len(s) && !isDelim(s[j]) {
				j++
			}
			if j == i {
				return nil, nil, fmt.Errorf("unexpected byte %q at %d", c, i)
			}
			tok := string(s[i:j])
			i = j
			if f, err := strconv.ParseFloat(tok, 64); err == nil {
				if !inArray {
					stack = append(stack, f)
				}
				continue
			}
			switch tok {
			case "Tf":
				if len(stack) >= 2 {
					font, _ = stack[len(stack)-2].(string)
					size, _ = stack[len(stack)-1].(float64)
				}
			case "Td":
				if v, ok := nums(2); ok {
					x, y = v[0], v[1]
				}
			case "Tj", "TJ":
				if len(stack) > 0 {
					if b, ok := stack[len(stack)-1].([]byte); ok {
						runs = append(runs, textRun{font: font, size: size, x: x, y: y, text: decodeText(b, false)})
					}
				}
			case "re":
				if v, ok := nums(4); ok {
					r := pdfRect{x: v[0], y: v[1], w: v[2], h: v[3]}
					if r.h < 0 {
						r.y, r.h = r.y+r.h, -r.h
					}
					rects = append(rects, r)
				}
			}
			stack = stack[:0]
		}
	}
	return runs, rects, nil
}

// text joins the runs of a page, one per line.
func (p pdfPage) text() string {
	var b strings.Builder
	for _, r := range p.runs {
		b.WriteString(r.text)
		b.WriteByte('\n')
	}
	return b.String()
}

// allText joins every page's text.
func (p *parsedPDF) allText() string {
	var b strings.Builder
	for _, pg := range p.pages {
		b.WriteString(pg.text())
	}
	return b.String()
}

// squash removes all white space, so text wrapped at spaces compares
// equal to the unwrapped original.
func squash(s string) string {
	return strings.Join(strings.Fields(s), "")
}
