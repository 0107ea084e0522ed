// Command throttleproxy is the throttling provider of `make e2e`: a TCP
// proxy in front of a real Postfix that, like large mail providers, lets
// only so many connections through per time window and answers the rest
// with "421 4.7.0 too many connections" before closing them. mxaudit must
// pause, resume its enumeration where it stopped and finish within its
// budget; the proxy's own count (rewritten in -stats after every
// connection) proves the refusals were real.
//
// It listens on one loopback address and forwards to one; nothing else is
// dialled.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// refusal is what a throttled connection reads (RFC 5321 §4.2.3: 421 is
// "service not available, closing transmission channel").
const refusal = "421 4.7.0 mx.throttled.e2e.test too many connections from your address, try again later\r\n"

// Bounds on every connection: the backend dial, the refusal write and the
// idle time of a forwarded session.
const (
	dialTimeout  = 5 * time.Second
	writeTimeout = 2 * time.Second
	idleTimeout  = 30 * time.Second
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "throttleproxy:", err)
		os.Exit(1)
	}
}

func run() error {
	listen := flag.String("listen", "", "address to listen on (loopback only)")
	backend := flag.String("backend", "", "address to forward accepted connections to (loopback only)")
	limit := flag.Int("limit", 8, "connections let through per window")
	window := flag.Duration("window", 10*time.Second, "the sliding window of -limit")
	stats := flag.String("stats", "", "file the counts are rewritten in after every connection: accepted N refused M")
	flag.Parse()
	for _, a := range []string{*listen, *backend} {
		if err := loopback(a); err != nil {
			return err
		}
	}
	if *limit < 1 || *window <= 0 {
		return errors.New("-limit and -window must be positive")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	p := &proxy{backend: *backend, limit: *limit, window: *window, stats: *stats}
	go func() { <-ctx.Done(); ln.Close() }()
	var wg sync.WaitGroup
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		wg.Add(1)
		go func() { defer wg.Done(); p.serve(ctx, c) }()
	}
	wg.Wait()
	return nil
}

// loopback refuses any address that is not on loopback: the proxy must
// never be pointed at the outside world.
func loopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %q is not a loopback address", addr)
	}
	return nil
}

// proxy counts the connections of the last window.
type proxy struct {
	backend string
	limit   int
	window  time.Duration
	stats   string

	mu       sync.Mutex
	recent   []time.Time // connections let through within the window
	accepted int
	refused  int
}

// admit reports whether one more connection fits the window, and
// rewrites the stats file (temp file, then rename: a reader never sees
// half of it).
func (p *proxy) admit(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.writeStats()
	keep := p.recent[:0]
	for _, t := range p.recent {
		if now.Sub(t) < p.window {
			keep = append(keep, t)
		}
	}
	p.recent = keep
	if len(p.recent) >= p.limit {
		p.refused++
		return false
	}
	p.recent = append(p.recent, now)
	p.accepted++
	return true
}

// writeStats is called with p.mu held.
func (p *proxy) writeStats() {
	if p.stats == "" {
		return
	}
	tmp := p.stats + ".tmp"
	if err := os.WriteFile(tmp, fmt.Appendf(nil, "accepted %d refused %d\n", p.accepted, p.refused), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "throttleproxy: stats:", err)
		return
	}
	if err := os.Rename(tmp, p.stats); err != nil {
		fmt.Fprintln(os.Stderr, "throttleproxy: stats:", err)
	}
}

func (p *proxy) serve(ctx context.Context, c net.Conn) {
	defer c.Close()
	if !p.admit(time.Now()) {
		_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
		_, _ = io.WriteString(c, refusal)
		return
	}
	d := net.Dialer{Timeout: dialTimeout}
	b, err := d.DialContext(ctx, "tcp", p.backend)
	if err != nil {
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			_ = src.SetReadDeadline(time.Now().Add(idleTimeout))
			n, err := src.Read(buf)
			if n > 0 {
				_ = dst.SetWriteDeadline(time.Now().Add(writeTimeout))
				if _, werr := dst.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		// Half-close so the other side sees the end as the client sent it.
		if tc, ok := dst.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(b, c)
	go pipe(c, b)
	select {
	case <-done:
	case <-ctx.Done():
	}
	// One side ended: give the other a moment to drain, then close both.
	select {
	case <-done:
	case <-time.After(writeTimeout):
	case <-ctx.Done():
	}
}
