package resolve

import (
	"container/list"
	"context"
	"sync"
)

// maxJoins bounds how often a caller waits for another caller's work that
// then ends without a result worth keeping (its context was cancelled);
// after that it does the work on its own.
const maxJoins = 4

// Sizes of the Resolver's memories, in results kept. A batch asks a dozen
// questions per domain, most about names no other domain shares (its MX,
// its TXT records, its DKIM selectors); kept for the whole run they grew
// the resolver by some 5 KB per domain of the list (13 MB at 2,500
// domains of the benchmark fleet, a third of the heap). The names many
// domains share (provider MX hosts, SPF includes, TLDs and their keys)
// are asked again and again, so they stay among the most recently used,
// and every domain that asks about them sees the same answer; a domain's
// own names are kept long after its audit ended (the largest concurrency,
// 1,024 domains at once, asks fewer than 32,768 questions at a time).
const (
	// DefaultCacheSize is how many replies to questions are kept.
	DefaultCacheSize = 32768
	// chainCacheSize is how many zones' keys and names' delegation
	// status are kept, each.
	chainCacheSize = 8192
)

// key is one question: a canonical (lower case, fully qualified) name and a type.
type key struct {
	name  string
	qtype uint16
}

// flight is one piece of work being done or already done. val and kept
// are written once, before done is closed; elem is its place in the
// group's recency list once kept (guarded by the group's mutex).
type flight[V any] struct {
	done chan struct{}
	val  V
	kept bool
	elem *list.Element
}

// group remembers the result of work per key and lets concurrent callers
// with the same key share one piece of work: the replies to questions,
// the validated keys of zones, the delegation status of names. It keeps
// at most size results (zero: all), dropping the least recently used:
// memory bounded by size, not by the length of the list audited. Work in
// flight is never dropped.
type group[K comparable, V any] struct {
	mu   sync.Mutex
	m    map[K]*flight[V]
	size int
	// recent holds the keys of kept results, most recently used first.
	recent *list.List
}

// cache is the group of replies to questions.
type cache = group[key, reply]

func newGroup[K comparable, V any](size int) *group[K, V] {
	return &group[K, V]{m: make(map[K]*flight[V]), size: size, recent: list.New()}
}

func newCache(size int) *cache { return newGroup[key, reply](size) }

// do returns the kept result for k, waits for the work in flight for k,
// or runs work itself. work reports whether its result may be kept;
// results cut short by the caller's context are not, so a later caller
// works again. When ctx ends while waiting for another caller, do returns
// stopped().
func (g *group[K, V]) do(ctx context.Context, k K, work func() (V, bool), stopped func() V) V {
	for range maxJoins {
		g.mu.Lock()
		f, ok := g.m[k]
		if !ok {
			f = &flight[V]{done: make(chan struct{})}
			g.m[k] = f
			g.mu.Unlock()
			return g.lead(k, f, work)
		}
		if f.elem != nil {
			g.recent.MoveToFront(f.elem)
		}
		g.mu.Unlock()
		select {
		case <-f.done:
			if f.kept {
				return f.val
			}
		case <-ctx.Done():
			return stopped()
		}
	}
	v, _ := work()
	return v
}

// lead runs work for flight f and publishes its result to the waiters.
func (g *group[K, V]) lead(k K, f *flight[V], work func() (V, bool)) V {
	defer close(f.done)
	f.val, f.kept = work()
	g.mu.Lock()
	defer g.mu.Unlock()
	if !f.kept {
		delete(g.m, k)
		return f.val
	}
	f.elem = g.recent.PushFront(k)
	for g.size > 0 && g.recent.Len() > g.size {
		old := g.recent.Back()
		g.recent.Remove(old)
		// Waiters already holding the dropped flight still read its result.
		delete(g.m, old.Value.(K))
	}
	return f.val
}

// len is how many results the group keeps.
func (g *group[K, V]) len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.recent.Len()
}
