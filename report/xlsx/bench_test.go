package xlsx

import (
	"io"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// benchDomains is the fleet size of BenchmarkWrite10k.
const benchDomains = 10000

// heapSampleEvery is how often the peak-heap sampler reads the heap.
const heapSampleEvery = 2 * time.Millisecond

// heapObjects is the runtime metric of bytes held by heap objects (live
// and not yet swept): HeapAlloc, read without stopping the world.
const heapObjects = "/memory/classes/heap/objects:bytes"

// BenchmarkWrite10k renders a synthetic report of 10,000 domains (40,000
// addresses, 440,000 suite rows, 30,000 findings) to io.Discard. Besides
// time and allocations it reports peak-heap-MB, the highest heap in use
// during Write above what the report model itself holds, sampled every
// heapSampleEvery, and xlsx-MB, the size of the workbook.
//
//	go test -run='^$' -bench=Write10k -benchmem -benchtime=3x ./report/xlsx/
func BenchmarkWrite10k(b *testing.B) {
	r := syntheticReport(benchDomains)
	runtime.GC()
	base := readHeap()
	var peak uint64
	var size int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		stop := sampleHeap(&peak)
		cw := &countingWriter{}
		err := Write(cw, r)
		stop()
		if err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.StopTimer()
	if peak > base {
		b.ReportMetric(float64(peak-base)/(1<<20), "peak-heap-MB")
	}
	b.ReportMetric(float64(size)/(1<<20), "xlsx-MB")
	runtime.KeepAlive(r)
}

func readHeap() uint64 {
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// sampleHeap records the highest heap into *peak until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(heapSampleEvery)
		defer t.Stop()
		for {
			if h := readHeap(); h > *peak {
				*peak = h
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
		if h := readHeap(); h > *peak {
			*peak = h
		}
	}
}

// countingWriter counts the bytes written to it.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return io.Discard.Write(p)
}
