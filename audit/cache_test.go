package audit

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// TestCertCacheDoesNotGrowWithDomains: the certificate checks of one
// shared address under a name per customer domain (as Microsoft 365 gives
// each tenant) stay within the cache's size however many domains use it,
// while a name every domain shares is checked once.
func TestCertCacheDoesNotGrowWithDomains(t *testing.T) {
	const size, domains = 16, 5000
	c := newOnceCache[[2]string, int](size)
	ctx := context.Background()
	var mu sync.Mutex
	checks := map[string]int{}
	check := func(name string) {
		c.get(ctx, [2]string{"192.0.2.1", name}, func() int {
			mu.Lock()
			defer mu.Unlock()
			checks[name]++
			return len(name)
		})
	}
	for i := range domains {
		check(fmt.Sprintf("tenant-%d.mail.provider.example", i))
		check("mx.provider.example")
		if n := c.len(); n > size {
			t.Fatalf("after %d domains the cache holds %d checks, want at most %d", i+1, n, size)
		}
	}
	if checks["mx.provider.example"] != 1 {
		t.Fatalf("the shared name was checked %d times, want once", checks["mx.provider.example"])
	}
}

// TestProbeCacheKeepsEveryAddress: without a size (the probes), every
// result stays for the run, so an address is probed once however late a
// domain comes back to it; concurrent callers share one computation.
func TestProbeCacheKeepsEveryAddress(t *testing.T) {
	c := newOnceCache[string, int](0)
	ctx := context.Background()
	var mu sync.Mutex
	probes := map[string]int{}
	var wg sync.WaitGroup
	for round := range 3 {
		for i := range 100 {
			wg.Go(func() {
				ip := fmt.Sprintf("192.0.2.%d", i)
				v, ok := c.get(ctx, ip, func() int {
					mu.Lock()
					defer mu.Unlock()
					probes[ip]++
					return i
				})
				if !ok || v != i {
					t.Errorf("round %d: %s = %d, %v", round, ip, v, ok)
				}
			})
		}
		wg.Wait()
	}
	for ip, n := range probes {
		if n != 1 {
			t.Fatalf("%s probed %d times, want once", ip, n)
		}
	}
	if n := c.len(); n != 100 {
		t.Fatalf("cache holds %d probes, want 100", n)
	}
}
