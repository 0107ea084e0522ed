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
// fixture domain, vendor row, finding and change copied under numbered
// vendor and domain names, as a 10,000-domain run would hold them. Vendor
// rows, findings and changes keep the fixture's order (risk, severity,
// bad first) across the copies, the control matrix the vendor list's.
func scaled(base *report.Report, n int) *report.Report {
	r := *base
	copies := (n + len(base.Domains) - 1) / len(base.Domains)
	domain := func(i int, d string) string { return fmt.Sprintf("v%05d-%s", i, d) }
	vendors := func(i int, vs []string) []string {
		out := make([]string, len(vs))
		for j, v := range vs {
			out[j] = fmt.Sprintf("%s %05d", v, i)
		}
		return out
	}
	r.Domains = make([]report.DomainView, 0, n)
	for i := 0; i < copies; i++ {
		for _, d := range base.Domains {
			if len(r.Domains) == n {
				break
			}
			d.Domain, d.Vendors = domain(i, d.Domain), vendors(i, d.Vendors)
			r.Domains = append(r.Domains, d)
		}
	}
	r.Vendors, r.Findings, r.Changes = nil, nil, nil
	for _, v := range base.Vendors {
		for i := 0; i < copies; i++ {
			w := v
			w.Vendor, w.Domain = vendors(i, []string{v.Vendor})[0], domain(i, v.Domain)
			r.Vendors = append(r.Vendors, w)
		}
	}
	if base.Programme != nil {
		p := *base.Programme
		p.Controls = nil
		for _, c := range base.Programme.Controls {
			for i := 0; i < copies; i++ {
				w := c
				w.Vendor, w.Domain = vendors(i, []string{c.Vendor})[0], domain(i, c.Domain)
				p.Controls = append(p.Controls, w)
			}
		}
		r.Programme = &p
	}
	for _, f := range base.Findings {
		for i := 0; i < copies; i++ {
			g := f
			g.Domain, g.Vendors = domain(i, f.Domain), vendors(i, f.Vendors)
			r.Findings = append(r.Findings, g)
		}
	}
	for _, c := range base.Changes {
		for i := 0; i < copies; i++ {
			d := c
			d.Domain, d.Vendors = domain(i, c.Domain), vendors(i, c.Vendors)
			r.Changes = append(r.Changes, d)
		}
	}
	r.Summary.Domains, r.Summary.Vendors = len(r.Domains), len(r.Vendors)
	return &r
}

// BenchmarkWrite10k renders a 10,000-domain report with the default
// Options and reports heap-growth-MB, the heap the process took from the
// system while rendering, and pages, the page count of the document.
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
