package db

import (
	"context"
	"fmt"
	"runtime"
	"sync"
)

// parallelAhead is how many domains per worker EachDomainParallel decodes
// ahead of its consumer: enough that a slow domain (a large MX set) does
// not leave the other workers idle, few enough that the window's evidence
// stays a few MB whatever the length of the run.
const parallelAhead = 4

// EachDomainParallel is EachDomain with the decoding of each domain, and
// work on the decoded domain, spread over workers goroutines (GOMAXPROCS
// when workers < 1). fn still sees the domains one at a time, in domain
// order, with what work made of each: the caller keeps its per-domain
// state sequential and moves only pure work (making views, encoding) to
// the workers. At most workers×parallelAhead domains are in flight, so
// memory is bounded by the window, not by the run.
//
// work runs concurrently with itself and with fn; the decoded evidence
// shares its address evidence between domains (StoredDomain), so work
// must treat it as read-only, as any reader does. An error from work is
// returned with the domain and run it was working on; an error from fn
// stops the walk and is returned as is. No query is open while fn runs.
func EachDomainParallel[T any](ctx context.Context, d *DB, runID int64, workers int,
	work func(StoredDomain) (T, error), fn func(StoredDomain, T) error) error {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	type result struct {
		s   StoredDomain
		v   T
		err error
	}
	type job struct {
		row storedRow
		out chan result // buffered (1): a worker never waits on fn
	}
	window := workers * parallelAhead
	jobs := make(chan job)
	order := make(chan chan result, window)
	var wg sync.WaitGroup
	defer func() {
		// Stop the reader and the workers, and wait for them, whether the
		// walk ended, failed or was cancelled.
		cancel()
		for range order { // drain: the reader closes order
		}
		wg.Wait()
	}()

	// The reader reads the rows in domain order (one cursor: SQLite reads
	// them along the index) and hands them out; order holds each domain's
	// result slot in that order, so fn consumes them as read.
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(order)
		defer close(jobs)
		c := d.newRunCursor(runID)
		for {
			r, ok, err := c.next(ctx)
			if err != nil {
				out := make(chan result, 1)
				out <- result{err: fmt.Errorf("domains of run %d: %w", runID, err)}
				select {
				case order <- out:
				case <-ctx.Done():
				}
				return
			}
			if !ok {
				return
			}
			j := job{row: r, out: make(chan result, 1)}
			select {
			case order <- j.out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var res result
				res.s, res.err = d.decodeDomain(ctx, runID, j.row.domain, j.row.ev, j.row.g, j.row.refs)
				if res.err == nil {
					res.v, res.err = work(res.s)
					if res.err != nil {
						res.err = fmt.Errorf("%s in run %d: %w", j.row.domain, runID, res.err)
					}
				}
				j.out <- res
			}
		}()
	}
	for out := range order {
		var res result
		select {
		case res = <-out:
		case <-ctx.Done():
			return ctx.Err()
		}
		if res.err != nil {
			return res.err
		}
		if err := fn(res.s, res.v); err != nil {
			return err
		}
	}
	return ctx.Err()
}
