package pdf

import (
	"fmt"
	"io"
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
	for b.Loop() {
		if err := Write(io.Discard, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapSys-before.HeapSys)/(1<<20), "heap-growth-MB")
	runtime.KeepAlive(r)
}
