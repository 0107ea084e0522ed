package pdf

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/mxaudit/mxaudit/report"
)

// benchDomains is the size of the run BenchmarkWrite10k renders.
const benchDomains = 10000

// scaled builds a report of n domains from the fixture's second run: each
// fixture domain, vendor row and finding copied under numbered names, as a
// 10,000-domain run would hold them.
func scaled(base *report.Report, n int) *report.Report {
	r := *base
	r.Domains, r.Vendors, r.Findings = nil, nil, nil
	for i := 0; len(r.Domains) < n; i++ {
		for _, d := range base.Domains {
			if len(r.Domains) == n {
				break
			}
			d.Domain = fmt.Sprintf("v%05d-%s", i, d.Domain)
			r.Domains = append(r.Domains, d)
		}
		for _, v := range base.Vendors {
			v.Vendor, v.Domain = fmt.Sprintf("%s %05d", v.Vendor, i), fmt.Sprintf("v%05d-%s", i, v.Domain)
			r.Vendors = append(r.Vendors, v)
		}
		for _, f := range base.Findings {
			f.Domain = fmt.Sprintf("v%05d-%s", i, f.Domain)
			r.Findings = append(r.Findings, f)
		}
	}
	r.Summary.Domains, r.Summary.Vendors = len(r.Domains), len(r.Vendors)
	return &r
}

// BenchmarkWrite10k renders a 10,000-domain report (the vendor table and
// remediation of every vendor, the evidence appendix capped at
// DefaultAppendixDomains) and reports heap-MB, the heap in use after
// rendering above what the model holds, and pages.
//
//	go test -run='^$' -bench=Write10k -benchmem -benchtime=1x ./report/pdf/
func BenchmarkWrite10k(b *testing.B) {
	r := scaled(fx.second, benchDomains)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	var pages pageCounter
	for b.Loop() {
		pages = pageCounter{}
		if err := Write(&pages, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapSys-before.HeapSys)/(1<<20), "heap-growth-MB")
	b.ReportMetric(float64(pages.pages), "pages")
	runtime.KeepAlive(r)
}

// pageObject starts the dictionary of every page object fpdf writes;
// object dictionaries stay plain text when the streams are compressed.
var pageObject = []byte("/Type /Page\n")

// pageCounter is a writer that discards a PDF and counts its pages,
// without holding the document.
type pageCounter struct {
	pages int
	// tail is the end of the bytes seen so far, shorter than pageObject,
	// so a page object split across two writes is still counted.
	tail []byte
}

func (c *pageCounter) Write(p []byte) (int, error) {
	keep := len(pageObject) - 1
	head := append(append([]byte(nil), c.tail...), p[:min(keep, len(p))]...)
	c.pages += bytes.Count(head, pageObject) + bytes.Count(p, pageObject)
	if len(p) >= keep {
		c.tail = append(c.tail[:0], p[len(p)-keep:]...)
	} else {
		c.tail = append(c.tail, p...)
		c.tail = c.tail[max(0, len(c.tail)-keep):]
	}
	return len(p), nil
}

// TestPageCounter: the benchmark's page count is the document's, however
// the bytes are split into writes.
func TestPageCounter(t *testing.T) {
	data, p := render(t, fx.second, Options{})
	for _, chunk := range []int{1, 5, len(pageObject) - 1, len(pageObject), 4096, len(data)} {
		t.Run(fmt.Sprint(chunk), func(t *testing.T) {
			var c pageCounter
			for i := 0; i < len(data); i += chunk {
				if _, err := c.Write(data[i:min(i+chunk, len(data))]); err != nil {
					t.Fatal(err)
				}
			}
			if c.pages != len(p.pages) {
				t.Errorf("counted %d pages, the document has %d", c.pages, len(p.pages))
			}
		})
	}
}
