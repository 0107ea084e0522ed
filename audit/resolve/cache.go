package resolve

import (
	"context"
	"sync"
	"time"
)

// maxJoins bounds how often a caller waits for another caller's question
// that then ends without a cacheable reply (its context was cancelled);
// after that it asks on its own.
const maxJoins = 4

// key is one question: a canonical (lower case, fully qualified) name and a type.
type key struct {
	name  string
	qtype uint16
}

// flight is one question being asked or already answered. rep and kept are
// written once, before done is closed.
type flight struct {
	done chan struct{}
	rep  reply
	kept bool
}

// cache remembers the reply to every question for the life of a Resolver
// and lets concurrent identical questions share one exchange.
type cache struct {
	mu sync.Mutex
	m  map[key]*flight
}

func newCache() *cache {
	return &cache{m: make(map[key]*flight)}
}

// do returns the cached reply for k, waits for the exchange in flight for
// k, or runs ask itself. ask reports whether its reply may be kept; replies
// cut short by the caller's context are not, so a later caller asks again.
func (c *cache) do(ctx context.Context, k key, ask func() (reply, bool)) reply {
	start := time.Now()
	for range maxJoins {
		c.mu.Lock()
		f, ok := c.m[k]
		if !ok {
			f = &flight{done: make(chan struct{})}
			c.m[k] = f
			c.mu.Unlock()
			return c.lead(k, f, ask)
		}
		c.mu.Unlock()
		select {
		case <-f.done:
			if f.kept {
				return f.rep
			}
		case <-ctx.Done():
			return cancelled(ctx, start)
		}
	}
	rep, _ := ask()
	return rep
}

// lead runs ask for flight f and publishes its reply to the waiters.
func (c *cache) lead(k key, f *flight, ask func() (reply, bool)) reply {
	defer close(f.done)
	f.rep, f.kept = ask()
	if !f.kept {
		c.mu.Lock()
		delete(c.m, k)
		c.mu.Unlock()
	}
	return f.rep
}
