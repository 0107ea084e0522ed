package pdf

import (
	"bytes"
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

// FuzzText draws remote-looking text (banner, vendor, certificate name)
// through every primitive that places text, and checks the PDF is written
// and no raw control character reaches it.
func FuzzText(f *testing.F) {
	f.Add("=HYPERLINK(\"http://evil.example\",\"click\") \x1b[2J ESMTP")
	f.Add("Ñandú Logística 中文 😀 \u202e")
	f.Add("\xff\xfe(\\)")
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2000 {
			return
		}
		d := testDoc(t)
		d.heading(sH2, s, 1)
		d.para(sBody, s)
		d.bullets(sSmall, []string{s, s})
		d.table(table{header: true, cols: []column{col(s, 1), monoCol(s, 2)},
			rows: [][]cell{{txt(s), {lines: []string{s, s}}}, {{text: s, bold: true}, txt("")}}})
		d.chip(marginL, d.f.GetY(), s, accent)
		if d.err != nil {
			t.Fatal(d.err)
		}
		var buf bytes.Buffer
		if err := d.f.Output(&buf); err != nil {
			t.Fatalf("output: %v", err)
		}
		p, err := parsePDF(buf.Bytes())
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		for _, pg := range p.pages {
			for _, run := range pg.runs {
				for _, r := range run.text {
					if r < 0x20 || (r >= 0x7f && r < 0xa0) {
						t.Fatalf("control character %U reached the page in %q", r, run.text)
					}
				}
				if report.Clean(run.text) != run.text {
					t.Fatalf("unclean text on the page: %q", run.text)
				}
			}
		}
	})
}
