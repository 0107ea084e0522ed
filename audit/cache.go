package audit

import (
	"context"
	"sync"
)

// onceCache runs a computation once per key for the life of a run and hands
// every caller the same result; concurrent callers of a key wait for the
// first. It is how a shared MX address is probed once however many domains
// use it.
type onceCache[K comparable, V any] struct {
	mu      sync.Mutex
	entries map[K]*cacheEntry[V]
}

type cacheEntry[V any] struct {
	done chan struct{}
	val  V
}

func newOnceCache[K comparable, V any]() *onceCache[K, V] {
	return &onceCache[K, V]{entries: make(map[K]*cacheEntry[V])}
}

// get returns the value for key, computing it with fn if no caller has yet.
// A caller whose ctx ends while waiting gets ok == false; the computation
// itself goes on for the caller that started it.
func (c *onceCache[K, V]) get(ctx context.Context, key K, fn func() V) (v V, ok bool) {
	c.mu.Lock()
	e, found := c.entries[key]
	if !found {
		e = &cacheEntry[V]{done: make(chan struct{})}
		c.entries[key] = e
		c.mu.Unlock()
		e.val = fn()
		close(e.done)
		return e.val, true
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.val, true
	case <-ctx.Done():
		return v, false
	}
}
