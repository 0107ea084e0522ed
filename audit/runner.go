package audit

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Sink receives each finished domain. The Runner calls it from one
// goroutine only, so the sink owns its state (database, progress bar,
// output) without locks. An error from Put stops the run. The probes and
// certificate checks of a domain's addresses are shared with every other
// domain using the same address (and MX name): they are read-only.
type Sink interface {
	Put(ctx context.Context, d *evidence.Domain) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(ctx context.Context, d *evidence.Domain) error

// Put calls f.
func (f SinkFunc) Put(ctx context.Context, d *evidence.Domain) error { return f(ctx, d) }

// Runner audits a batch of domains with a bounded pool of workers and hands
// each result to its Sink as it finishes. The Auditor's caches make every
// shared address probed once for the whole batch.
type Runner struct {
	Auditor *Auditor
	// Concurrency is the number of domains audited at once (default 8).
	Concurrency int
	Sink        Sink
}

// DefaultConcurrency is the number of domains audited at once by default:
// the work is network-bound, so it is not tied to the number of cores.
const DefaultConcurrency = 16

// Run audits the domains in order of the slice. It returns when every domain
// is done, ctx ends (in-flight domains are abandoned and not handed to the
// sink) or the sink fails. Domains handed to the sink before that stay handed.
func (r *Runner) Run(ctx context.Context, domains []string) error {
	return r.RunSeq(ctx, slices.Values(domains))
}

// RunSeq is Run over a sequence of domains, read as workers become free:
// the Runner holds no more than Concurrency domains and their evidence at
// a time, and each result from the moment it is handed to the Sink is the
// Sink's, so memory follows the concurrency, not the length of the list.
func (r *Runner) RunSeq(ctx context.Context, domains iter.Seq[string]) error {
	n := r.Concurrency
	if n < 1 {
		n = DefaultConcurrency
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan string)
	results := make(chan *evidence.Domain)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range jobs {
				ev := r.Auditor.Domain(ctx, d)
				if ctx.Err() != nil {
					return // abandoned: a half-audited domain is not a result
				}
				select {
				case results <- ev:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for d := range domains {
			select {
			case jobs <- d:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var sinkErr error
	for ev := range results {
		if sinkErr != nil {
			continue // drain
		}
		if err := r.Sink.Put(ctx, ev); err != nil {
			sinkErr = fmt.Errorf("store %s: %w", ev.Domain, err)
			cancel()
		}
	}
	if sinkErr != nil {
		return sinkErr
	}
	return ctx.Err()
}
