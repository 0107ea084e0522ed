package pdf

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mxaudit/mxaudit/templates"
)

// testDoc is a document with the embedded fonts and wording, on one page.
func testDoc(t testing.TB) *doc {
	t.Helper()
	p, err := templates.LoadPDFProse("")
	if err != nil {
		t.Fatal(err)
	}
	d, err := newDoc(emptyReport(), p, fixedNow, false)
	if err != nil {
		t.Fatal(err)
	}
	d.newPage()
	return d
}

func TestClean(t *testing.T) {
	d := testDoc(t)
	tests := []struct {
		name  string
		style styleID
		in    string
		want  string
	}{
		{"plain", sBody, "Acme Health", "Acme Health"},
		{"latin accents", sBody, "Ñandú Logística", "Ñandú Logística"},
		{"greek and cyrillic", sBody, "Ελλάδα Россия", "Ελλάδα Россия"},
		{"terminal escape", sBody, "a\x1b[2Jb", `a\x1b[2Jb`},
		{"newline", sBody, "a\nb", `a\x0ab`},
		{"bidi override", sBody, "abc\u202edef", `abc\u202edef`},
		{"invalid utf-8", sBody, "a\xffb", `a\xffb`},
		{"cjk by the fallback font", sBody, "中文", "中文"},
		{"devanagari by the fallback font", sBody, "टाटा", "टाटा"},
		{"no font draws it", sBody, "a\u0fd9b", "a\ufffdb"},
		{"outside the bmp", sBody, "ok 😀", "ok \ufffd"},
		{"mono lacks what sans has", sMono, "ж", "ж"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d.setStyle(tc.style)
			if got := d.clean(tc.in); got != tc.want {
				t.Errorf("clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestEscapeUndrawable: remote text shown verbatim (the SMTP dialogue)
// writes what no font draws as its \u escape, never a replacement mark,
// and is cleaned as everything else is.
func TestEscapeUndrawable(t *testing.T) {
	d := testDoc(t)
	d.setStyle(sMono)
	for in, want := range map[string]string{
		"220 mx ESMTP":   "220 mx ESMTP",
		"220 \u0fd9 ok":  `220 \u0fd9 ok`,
		"220 a\x1b[2Jb":  `220 a\x1b[2Jb`,
		"220 \xff\u0788": `220 \xff\u0788`,
	} {
		got := d.escapeUndrawable(in)
		if strings.ContainsRune(got, '\ufffd') {
			t.Errorf("escapeUndrawable(%q) = %q: a replacement mark", in, got)
		}
		if in == "220 \xff\u0788" {
			// Thaana: escaped only when the mono font lacks it.
			if !strings.HasPrefix(got, `220 \xff`) {
				t.Errorf("escapeUndrawable(%q) = %q", in, got)
			}
			continue
		}
		if got != want {
			t.Errorf("escapeUndrawable(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFontCoverage(t *testing.T) {
	fonts, err := templates.PDFFonts()
	if err != nil {
		t.Fatal(err)
	}
	if len(fonts) != 5 {
		t.Fatalf("%d fonts, want 5", len(fonts))
	}
	for _, f := range fonts {
		if f.Fallback {
			c, err := fontCoverage(f.Data)
			if err != nil {
				t.Fatalf("%s: %v", f.Family, err)
			}
			script := map[string]rune{templates.FontDevanagari: 'ट', templates.FontCJK: 0x4e2d}[f.Family]
			if !c.has(script) {
				t.Errorf("fallback %s: no glyph for %q", f.Family, script)
			}
			continue
		}
		c, err := fontCoverage(f.Data)
		if err != nil {
			t.Fatalf("%s %s: %v", f.Family, f.Style, err)
		}
		for _, r := range "AZaz09 .,;:()[]§→←·•…ÑñüßЖ" {
			if !c.has(r) {
				t.Errorf("%s %q: no glyph for %q", f.Family, f.Style, r)
			}
		}
		for _, r := range []rune{0x4e2d, 0xffff, 0x1f600, -1, 0x110000} {
			if c.has(r) {
				t.Errorf("%s %q: claims a glyph for %U", f.Family, f.Style, r)
			}
		}
	}
	for _, bad := range [][]byte{nil, []byte("not a font at all"), bytes.Repeat([]byte{0xff}, 64)} {
		if _, err := fontCoverage(bad); err == nil {
			t.Errorf("fontCoverage(%q) succeeded", bad)
		}
	}
}

func TestWrap(t *testing.T) {
	// One unit per rune makes the expected lines easy to state.
	width := func(s string) float64 { return float64(utf8.RuneCountInString(s)) }
	tests := []struct {
		name  string
		in    string
		limit float64
		want  []string
	}{
		{"fits", "abc def", 10, []string{"abc def"}},
		{"at spaces", "abc def ghi", 7, []string{"abc def", "ghi"}},
		{"empty", "", 5, []string{""}},
		{"long word at dots", "mx.long-host.example", 9, []string{"mx.long-", "host.", "example"}},
		{"long word without marks", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"limit below one rune", "ab", 0.5, []string{"a", "b"}},
		{"multibyte", "ñandúñandú", 5, []string{"ñandú", "ñandú"}},
		// A literal U+FFFD decodes as RuneError but is three bytes: a
		// break inside it would hand fpdf invalid UTF-8 (it panics).
		{"replacement characters", "\ufffd\ufffd\ufffd\ufffd", 3, []string{"\ufffd\ufffd\ufffd", "\ufffd"}},
		{"suite name", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 20, []string{"TLS_ECDHE_RSA_WITH_", "AES_128_GCM_SHA256"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := wrap(tc.in, tc.limit, width)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("wrap(%q, %v) = %q, want %q", tc.in, tc.limit, got, tc.want)
			}
		})
	}
}

func TestLetterFileName(t *testing.T) {
	used := map[string]bool{}
	tests := []struct{ vendor, want string }{
		{"Acme Health", "letter-acme-health.pdf"},
		{"=SUM(A1:A9)", "letter-sum-a1-a9.pdf"},
		{"Ñandú Logística", "letter-nandu-logistica.pdf"},
		{"../../etc/passwd", "letter-etc-passwd.pdf"},
		{"日本電気", "letter-vendor.pdf"},
		{"Россия", "letter-vendor-2.pdf"},
		{"Acme  Health!", "letter-acme-health-2.pdf"},
		{strings.Repeat("x", 100), "letter-" + strings.Repeat("x", maxSlugRunes-1) + ".pdf"},
	}
	for _, tc := range tests {
		t.Run(tc.vendor, func(t *testing.T) {
			if got := letterFileName(tc.vendor, used); got != tc.want {
				t.Errorf("letterFileName(%q) = %q, want %q", tc.vendor, got, tc.want)
			}
		})
	}
}

// writePNG writes a small logo generated at run time.
func writePNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := 0; x < 40; x++ {
		for y := 0; y < 20; y++ {
			img.Set(x, y, color.RGBA{R: uint8(x * 6), G: 80, B: 160, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLogo(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "logo.png")
	writePNG(t, good)
	notImage := filepath.Join(dir, "logo.txt")
	if err := os.WriteFile(notImage, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		logo    string
		wantErr bool
		image   bool
	}{
		{"no logo", "", false, false},
		{"png", good, false, true},
		{"missing file", filepath.Join(dir, "nope.png"), true, false},
		{"not an image", notImage, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, fx.second, Options{Logo: tc.logo, Uncompressed: true})
			if (err != nil) != tc.wantErr {
				t.Fatalf("Write: err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if got := bytes.Contains(buf.Bytes(), []byte("/Subtype /Image")); got != tc.image {
				t.Errorf("image embedded = %v, want %v", got, tc.image)
			}
			p, err := parsePDF(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			checkLayout(t, p)
		})
	}
}
