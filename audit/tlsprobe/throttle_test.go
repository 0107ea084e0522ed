package tlsprobe

import (
	"context"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

func TestThrottleRefused(t *testing.T) {
	e421 := &evidence.Error{Kind: evidence.ErrSMTPReject, Step: "banner", Code: 421}
	timeout := &evidence.Error{Kind: evidence.ErrTimeout, Step: "banner"}

	var fresh Throttle
	if fresh.refused(e421) {
		t.Error("a refusal from a server that never accepted a connection is not throttling")
	}
	th := &Throttle{Budget: time.Second, Backoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond}
	th.Succeeded()
	if th.refused(timeout) {
		t.Error("a timeout is not throttling")
	}
	for range 3 {
		if !th.refused(e421) {
			t.Fatal("421 after an accepted connection must pause and retry")
		}
	}
	release, ok := th.gate(context.Background())
	if !ok {
		t.Fatal("gate refused")
	}
	release()
	r := th.Report()
	if r == nil || r.Refusals != 3 || r.Waited <= 0 || r.BudgetExhausted {
		t.Fatalf("report %+v", r)
	}
	// Past the budget the refusal stands and the report says so.
	th.Budget = time.Nanosecond
	if th.refused(e421) {
		t.Error("retry scheduled past the budget")
	}
	if r := th.Report(); !r.BudgetExhausted {
		t.Errorf("report %+v, want budget exhausted", r)
	}
	var none *Throttle
	if none.refused(e421) || none.Report() != nil {
		t.Error("a nil Throttle must do nothing")
	}
	if _, ok := none.gate(context.Background()); !ok {
		t.Error("a nil Throttle's gate must open")
	}
}
