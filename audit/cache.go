package audit

import (
	"container/list"
	"context"
	"sync"
)

// onceCache runs a computation once per key and hands every caller the
// same result; concurrent callers of a key wait for the first. It is how
// a shared MX address is probed once however many domains use it.
//
// With a size, it keeps at most that many finished results, dropping the
// least recently used: for results keyed by something that grows with
// the list rather than with the addresses (a certificate check per
// address and MX name, where a provider gives each customer domain a name
// of its own). A dropped result is computed again if asked for again.
// Without a size (zero) it keeps every result for the life of the run.
type onceCache[K comparable, V any] struct {
	mu      sync.Mutex
	entries map[K]*cacheEntry[V]
	size    int
	// recent holds the keys of finished results, most recently used first.
	recent *list.List
}

type cacheEntry[V any] struct {
	done chan struct{}
	val  V
	// elem is the entry's place in recent once finished (under mu).
	elem *list.Element
}

func newOnceCache[K comparable, V any](size int) *onceCache[K, V] {
	return &onceCache[K, V]{entries: make(map[K]*cacheEntry[V]), size: size, recent: list.New()}
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
		c.finish(key, e)
		return e.val, true
	}
	if e.elem != nil {
		c.recent.MoveToFront(e.elem)
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.val, true
	case <-ctx.Done():
		return v, false
	}
}

// finish publishes e's value and drops the least recently used results
// beyond the size.
func (c *onceCache[K, V]) finish(key K, e *cacheEntry[V]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(e.done)
	e.elem = c.recent.PushFront(key)
	for c.size > 0 && c.recent.Len() > c.size {
		old := c.recent.Back()
		c.recent.Remove(old)
		// Callers already waiting on the dropped entry still read its value.
		delete(c.entries, old.Value.(K))
	}
}

// len is the number of results kept or being computed.
func (c *onceCache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
