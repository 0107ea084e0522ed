package resolve

import (
	"context"
	"fmt"
	"testing"
)

// TestGroupKeepsTheMostRecentlyUsed holds the resolver's memory to its
// size however many questions a batch asks: the results asked for most
// recently stay, and a result asked for again is not worked out again.
func TestGroupKeepsTheMostRecentlyUsed(t *testing.T) {
	const size = 8
	g := newGroup[string, int](size)
	works := map[string]int{}
	get := func(k string) int {
		return g.do(context.Background(), k, func() (int, bool) {
			works[k]++
			return len(k), true
		}, func() int { return -1 })
	}
	get("shared.example")
	for i := range 1000 {
		get(fmt.Sprintf("own-%d.example", i))
		// A name every domain asks about stays in memory.
		get("shared.example")
		if n := g.len(); n > size {
			t.Fatalf("after %d questions the group keeps %d results, want at most %d", i+2, n, size)
		}
	}
	if works["shared.example"] != 1 {
		t.Fatalf("the shared name was worked out %d times, want once", works["shared.example"])
	}
	// The least recently used went first: an early name is asked again.
	get("own-0.example")
	if works["own-0.example"] != 2 {
		t.Fatalf("own-0 worked out %d times, want twice (dropped, then asked again)", works["own-0.example"])
	}
	get("own-999.example")
	if works["own-999.example"] != 1 {
		t.Fatalf("the latest name was worked out %d times, want once", works["own-999.example"])
	}
}

// TestGroupUnboundedWithoutSize: size 0 keeps everything.
func TestGroupUnboundedWithoutSize(t *testing.T) {
	g := newGroup[int, int](0)
	for i := range 100 {
		g.do(context.Background(), i, func() (int, bool) { return i, true }, func() int { return -1 })
	}
	if n := g.len(); n != 100 {
		t.Fatalf("kept %d, want 100", n)
	}
}

// TestGroupDropsNothingInFlight: work still running is never dropped, so
// concurrent callers of one question share it however full the group is.
func TestGroupDropsNothingInFlight(t *testing.T) {
	g := newGroup[string, int](1)
	release := make(chan struct{})
	started := make(chan struct{})
	done := make(chan int)
	go func() {
		done <- g.do(context.Background(), "slow", func() (int, bool) {
			close(started)
			<-release
			return 7, true
		}, func() int { return -1 })
	}()
	<-started
	for i := range 10 {
		g.do(context.Background(), fmt.Sprint(i), func() (int, bool) { return i, true }, func() int { return -1 })
	}
	joined := make(chan int)
	go func() {
		joined <- g.do(context.Background(), "slow", func() (int, bool) { return -2, true }, func() int { return -1 })
	}()
	close(release)
	if a, b := <-done, <-joined; a != 7 || b != 7 {
		t.Fatalf("leader got %d, joiner %d: want both 7 from the one piece of work", a, b)
	}
}
