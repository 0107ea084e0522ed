package tlsprobe

import (
	"context"
	"sync"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Defaults of Throttle.
const (
	DefaultThrottleBudget     = 5 * time.Minute
	DefaultThrottleBackoff    = 5 * time.Second
	DefaultThrottleMaxBackoff = time.Minute
)

// Throttle paces the connections of one address once it starts refusing
// them. Large providers answer "421 too many connections", reset or refuse
// after a few connections a minute; an enumeration that gave up at the
// first refusal would leave the address half-known. After a refusal from
// a server that had accepted connections before, every lane of the probe
// pauses (Backoff, doubling up to MaxBackoff), then goes on one connection
// at a time from where it stopped, until Budget has passed since the first
// refusal. A Throttle is shared by every exchange of one address's probe
// and is safe for concurrent use; the zero value uses the defaults.
type Throttle struct {
	// Budget is the most time, from the first refusal, that the probe may
	// spend waiting for the server to take connections again.
	Budget time.Duration
	// Backoff is the first pause; MaxBackoff caps the doubling.
	Backoff, MaxBackoff time.Duration

	mu        sync.Mutex
	accepted  bool          // a connection got through before
	first     time.Time     // the first refusal after an accepted connection
	until     time.Time     // no new connection before this
	next      time.Duration // the next pause
	events    int
	waited    time.Duration
	exhausted bool
	serial    chan struct{} // one connection at a time once throttled
}

func (t *Throttle) budget() time.Duration  { return positiveOr(t.Budget, DefaultThrottleBudget) }
func (t *Throttle) backoff() time.Duration { return positiveOr(t.Backoff, DefaultThrottleBackoff) }
func (t *Throttle) maxBackoff() time.Duration {
	return max(positiveOr(t.MaxBackoff, DefaultThrottleMaxBackoff), t.backoff())
}

// throttleRefusal reports whether a failed dial looks like a server
// limiting connections: a 4xx reply before STARTTLS (421 at the greeting),
// a refused, reset or closed connection. A timeout is not: that is a
// tarpit or a dead path, and waiting longer would not help.
func throttleRefusal(e *evidence.Error) bool {
	if e == nil {
		return false
	}
	switch e.Kind {
	case evidence.ErrSMTPReject:
		return e.Code >= 400 && e.Code < 500
	case evidence.ErrRefused, evidence.ErrReset, evidence.ErrClosed:
		return true
	}
	return false
}

// gate waits out a pause in progress and, once the address has been
// throttled, takes the one connection slot; release gives it back. It
// reports false when ctx ended first.
func (t *Throttle) gate(ctx context.Context) (release func(), ok bool) {
	if t == nil {
		return func() {}, true
	}
	t.mu.Lock()
	until, serial := t.until, t.serial
	t.mu.Unlock()
	if d := time.Until(until); d > 0 && !sleepCtx(ctx, d) {
		return nil, false
	}
	if serial == nil {
		return func() {}, true
	}
	select {
	case serial <- struct{}{}:
		return func() { <-serial }, true
	case <-ctx.Done():
		return nil, false
	}
}

// Succeeded notes a connection that got through (the prober calls it for
// its own; a caller that opened the address's first connection itself says
// so): the next refusal is throttling, and the pause starts again from
// Backoff.
func (t *Throttle) Succeeded() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.accepted = true
	t.next = 0
}

// refused decides what to do after a failed dial: it reports true when
// the failure is throttling and a pause was scheduled within the budget,
// so the caller should try again (after gate). Refusals from a server that
// never accepted a connection are not throttling: the caller's ordinary
// retry rules apply.
func (t *Throttle) refused(e *evidence.Error) bool {
	if t == nil || !throttleRefusal(e) {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.accepted {
		return false
	}
	now := time.Now()
	if t.first.IsZero() {
		t.first = now
		t.serial = make(chan struct{}, 1)
	}
	t.events++
	if t.next == 0 {
		t.next = t.backoff()
	}
	start := now
	if t.until.After(now) {
		start = t.until
	}
	end := now.Add(t.next)
	if end.After(t.first.Add(t.budget())) {
		t.exhausted = true
		return false
	}
	if end.After(start) {
		t.waited += end.Sub(start)
		t.until = end
	}
	t.next = min(2*t.next, t.maxBackoff())
	return true
}

// Report is the evidence of the throttling met, nil when there was none.
func (t *Throttle) Report() *evidence.Throttle {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.events == 0 {
		return nil
	}
	return &evidence.Throttle{Refusals: t.events, Waited: evidence.Duration(t.waited), BudgetExhausted: t.exhausted,
		Budget: evidence.Duration(t.budget())}
}
