package resolve

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/resolve/dnstest"
)

// TestProbe: a server that answers anything, even with an error rcode,
// is usable; one that never answers is not, and Probe says so within its
// deadline.
func TestProbe(t *testing.T) {
	live, err := dnstest.StartZone("127.0.0.1:0", "example. 300 IN SOA ns.example. h.example. 1 7200 3600 1209600 300\n")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	// A UDP socket that reads and never answers: a black hole.
	hole, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer hole.Close()
	// A port nothing listens on: the kernel refuses at once.
	closed, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.LocalAddr().String()
	closed.Close()

	tests := []struct {
		name    string
		servers []string
		usable  bool
	}{
		{"answers", []string{live.Addr()}, true},
		{"refused port", []string{closedAddr}, false},
		{"black hole", []string{hole.LocalAddr().String()}, false},
		{"one of two answers", []string{closedAddr, live.Addr()}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(Config{Servers: tt.servers, Timeout: 200 * time.Millisecond, Attempts: 1, DNSSEC: DNSSECOff})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			err = r.Probe(ctx)
			if tt.usable && err != nil {
				t.Fatalf("usable resolver refused: %v", err)
			}
			if !tt.usable && !errors.Is(err, ErrUnreachable) {
				t.Fatalf("dead resolver: %v, want ErrUnreachable", err)
			}
			if time.Since(start) > 2*time.Second {
				t.Fatalf("probe took %v, past its deadline", time.Since(start))
			}
		})
	}
}
