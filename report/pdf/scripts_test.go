package pdf

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/templates"
)

// TestVendorNamesInOtherScripts: vendor names in CJK and Devanagari print
// as written, in the embedded fallback fonts; a character no font draws
// (an emoji) prints as U+FFFD; no name is ever shown as \uXXXX escapes.
func TestVendorNamesInOtherScripts(t *testing.T) {
	r := *fx.second
	r.Vendors = append([]report.VendorRow(nil), r.Vendors...)
	names := []string{"東京貿易 Tokyo Trading", "टाटा कंसल्टेंसी", "Smile 😀 Ltd"}
	for i, n := range names {
		r.Vendors[i].Vendor = n
	}
	data, p := render(t, &r, Options{})
	text := p.allText()
	for _, want := range []string{"東京貿易", "Tokyo Trading", "टाटा", "Smile \ufffd Ltd"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF text lacks %q", want)
		}
	}
	if strings.Contains(text, `\u`) || strings.Contains(text, `\U0`) {
		t.Error("the PDF shows raw escapes")
	}
	for _, font := range []string{"/BaseFont /utf8" + templates.FontDevanagari, "/BaseFont /utf8" + templates.FontCJK} {
		if !bytes.Contains(data, []byte(font)) {
			t.Errorf("font %s is not embedded", font)
		}
	}
}
