package resolve

import (
	"context"
	"sync"
)

// maxJoins bounds how often a caller waits for another caller's work that
// then ends without a result worth keeping (its context was cancelled);
// after that it does the work on its own.
const maxJoins = 4

// key is one question: a canonical (lower case, fully qualified) name and a type.
type key struct {
	name  string
	qtype uint16
}

// flight is one piece of work being done or already done. val and kept
// are written once, before done is closed.
type flight[V any] struct {
	done chan struct{}
	val  V
	kept bool
}

// group remembers the result of work per key for the life of a Resolver
// and lets concurrent callers with the same key share one piece of work:
// the replies to questions, the validated keys of zones, the delegation
// status of names.
type group[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*flight[V]
}

// cache is the group of replies to questions.
type cache = group[key, reply]

func newGroup[K comparable, V any]() *group[K, V] {
	return &group[K, V]{m: make(map[K]*flight[V])}
}

func newCache() *cache { return newGroup[key, reply]() }

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
	if !f.kept {
		g.mu.Lock()
		delete(g.m, k)
		g.mu.Unlock()
	}
	return f.val
}
