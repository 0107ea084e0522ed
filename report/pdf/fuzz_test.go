package pdf

import (
	"bytes"
	"flag"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mxaudit/mxaudit/report"
)

// FuzzWrap checks the wrapper on any text: every line fits (or is one
// rune), and the lines put back together give the text minus the spaces
// the breaks consumed.
func FuzzWrap(f *testing.F) {
	f.Add("mx.long-host.example with words", 9.0)
	f.Add("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 3.0)
	f.Add("", 0.0)
	width := func(s string) float64 { return float64(utf8.RuneCountInString(s)) }
	f.Fuzz(func(t *testing.T, s string, limit float64) {
		if limit != limit || limit > 1e6 || limit < -1e6 { // NaN and silly widths
			return
		}
		lines := wrap(s, limit, width)
		if len(lines) == 0 {
			t.Fatal("no lines")
		}
		for _, l := range lines[:len(lines)-1] {
			if width(l) > limit && utf8.RuneCountInString(l) > 1 {
				t.Fatalf("line %q wider than %v", l, limit)
			}
		}
		joined := strings.Join(lines, "")
		if strings.ReplaceAll(joined, " ", "") != strings.ReplaceAll(s, " ", "") {
			t.Fatalf("wrap(%q) lost text: %q", s, lines)
		}
	})
}

// fuzzDocPages bounds how many pages FuzzText draws on one document
// before writing it out and starting another.
const fuzzDocPages = 50

// FuzzText draws remote-looking text (banner, vendor, certificate name)
// through every primitive that places text. Each line the wrapper makes
// must be clean (report.Clean leaves it alone, no control character) and
// fit its width; drawing must not panic or fail. Loading the fonts is the
// costly part, so one document takes many inputs, a page each, and is
// written out (and must parse) every fuzzDocPages inputs; seeds and short
// runs write every document.
func FuzzText(f *testing.F) {
	f.Add("=HYPERLINK(\"http://evil.example\",\"click\") \x1b[2J ESMTP")
	f.Add("Ñandú Logística 中文 😀 \u202e")
	f.Add("\xff\xfe(\\)")
	var d *doc
	pages := 0
	flush := func(t *testing.T) {
		var buf bytes.Buffer
		if err := d.f.Output(&buf); err != nil {
			t.Fatalf("output: %v", err)
		}
		if _, err := parsePDF(buf.Bytes()); err != nil {
			t.Fatalf("parse: %v", err)
		}
		d = nil
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2000 {
			return
		}
		if d == nil {
			d, pages = testDoc(t), 0
		}
		d.body = true
		d.newPage()
		for _, st := range []styleID{sBody, sMono, sTableBold} {
			d.setStyle(st)
			const w = 40.0
			for _, l := range d.lines(s, w) {
				if report.Clean(l) != l || strings.ContainsFunc(l, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }) {
					t.Fatalf("unclean line %q", l)
				}
				if d.f.GetStringWidth(l) > w-2*cellMargin && utf8.RuneCountInString(l) > 1 {
					t.Fatalf("line %q wider than its cell", l)
				}
			}
		}
		d.heading(sH2, s, 1)
		d.para(sBody, s)
		d.bullets(sSmall, []string{s, s})
		d.table(table{header: true, cols: []column{col(s, 1), monoCol(s, 2)},
			rows: [][]cell{{txt(s), {lines: []string{s, s}}}, {{text: s, bold: true}, txt("")}}})
		d.chip(marginL, d.f.GetY(), s, accent)
		if d.err != nil {
			t.Fatal(d.err)
		}
		if pages++; pages >= fuzzDocPages || !fuzzing() {
			flush(t)
		}
	})
}

// fuzzing reports whether the test binary runs with -test.fuzz.
func fuzzing() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
}
