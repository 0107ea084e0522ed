package audit

import (
	"context"
	"net"
	"sync"
	"time"
)

// hostLimiter bounds the connections the scanner holds open to one address
// and spaces their starts, so that a shared provider sees a polite client no
// matter how many vendor domains point at it. It also counts connections per
// address for the evidence.
type hostLimiter struct {
	perHost int
	gap     time.Duration

	mu    sync.Mutex
	hosts map[string]*hostSlot
}

type hostSlot struct {
	sem   chan struct{}
	mu    sync.Mutex // serialises the gap between connection starts
	last  time.Time
	count int
	open  int // connections open now
	peak  int // most connections open at once
}

func newHostLimiter(perHost int, gap time.Duration) *hostLimiter {
	if perHost < 1 {
		perHost = 1
	}
	return &hostLimiter{perHost: perHost, gap: gap, hosts: make(map[string]*hostSlot)}
}

func (l *hostLimiter) slot(ip string) *hostSlot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.hosts[ip]
	if !ok {
		s = &hostSlot{sem: make(chan struct{}, l.perHost)}
		l.hosts[ip] = s
	}
	return s
}

// acquire waits for a free connection slot on ip and for the minimum gap
// since the previous connection start. The returned release must be called
// exactly once, when the connection is closed.
func (l *hostLimiter) acquire(ctx context.Context, ip string) (release func(), err error) {
	s := l.slot(ip)
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if l.gap > 0 {
		s.mu.Lock()
		wait := time.Until(s.last.Add(l.gap))
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				s.mu.Unlock()
				<-s.sem
				return nil, ctx.Err()
			}
		}
		s.last = time.Now()
		s.mu.Unlock()
	}
	s.mu.Lock()
	s.count++
	s.open++
	s.peak = max(s.peak, s.open)
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.open--
			s.mu.Unlock()
			<-s.sem
		})
	}, nil
}

// peak reports the most connections that were open to ip at once.
func (l *hostLimiter) peak(ip string) int {
	s := l.slot(ip)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// connections reports how many connections have been started to ip.
func (l *hostLimiter) connections(ip string) int {
	s := l.slot(ip)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// limitedConn releases its limiter slot when closed.
type limitedConn struct {
	net.Conn
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}
