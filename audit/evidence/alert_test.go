package evidence

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// alertingServer reads the client's first flight and answers with one
// alert record, as a TLS stack that refuses the handshake does.
func alertingServer(conn net.Conn, level, desc uint8) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(conn, hdr); err != nil {
		return
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(conn, body); err != nil {
		return
	}
	_, _ = conn.Write([]byte{21, 3, 3, 0, 2, level, desc})
	// Drain until the client closes, so the alert is not lost to a reset.
	_, _ = io.Copy(io.Discard, conn)
}

// handshakeAgainst runs a crypto/tls client handshake against an
// alerting server over an in-memory pipe and returns its error.
func handshakeAgainst(t *testing.T, level, desc uint8, maxVersion uint16) error {
	t.Helper()
	client, server := net.Pipe()
	go alertingServer(server, level, desc)
	c := tls.Client(client, &tls.Config{InsecureSkipVerify: true, MaxVersion: maxVersion}) //nolint:gosec // no data is exchanged
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.HandshakeContext(ctx)
}

// TestClassifyAlerts: every alert a server can send to crypto/tls over
// TCP is classified with its number and name, not as a generic TLS error.
func TestClassifyAlerts(t *testing.T) {
	descs := make([]uint8, 0, len(alertNames)+2)
	for d := range alertNames {
		if d != 0 { // close_notify ends the connection: EOF, not an alert error
			descs = append(descs, d)
		}
	}
	descs = append(descs, 200, 255) // unassigned numbers keep their number
	for _, d := range descs {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(fmt.Sprintf("%s/%x", AlertName(d), v), func(t *testing.T) {
				err := handshakeAgainst(t, alertLevelFatal, d, v)
				if err == nil {
					t.Fatal("handshake succeeded")
				}
				var qa tls.AlertError
				if errors.As(err, &qa) {
					t.Logf("crypto/tls now returns tls.AlertError over TCP")
				}
				ev := Classify("handshake", fmt.Errorf("probe: %w", err))
				if ev.Kind != ErrTLSAlert || ev.Code != int(d) || ev.Alert == nil || ev.Alert.Code != int(d) || ev.Alert.Name != AlertName(d) {
					t.Fatalf("Classify(%v) = %+v alert %+v, want tls_alert %d %s", err, ev, ev.Alert, d, AlertName(d))
				}
				if want := fmt.Sprintf("%s (%d)", AlertName(d), d); !strings.Contains(ev.Message, want) {
					t.Errorf("message %q does not name %q", ev.Message, want)
				}
			})
		}
	}
}

func TestAlertOfOthers(t *testing.T) {
	for _, err := range []error{
		io.EOF,
		errors.New("remote error: tls: handshake failure"), // text alone is not an alert value
		&net.OpError{Op: "local error", Err: errors.New("tls: bad certificate")},
		&net.OpError{Op: "remote error", Err: errors.New("something else")},
	} {
		if a, ok := AlertOf(err); ok {
			t.Errorf("AlertOf(%v) = %+v, want none", err, a)
		}
	}
	if a, ok := AlertOf(fmt.Errorf("quic: %w", tls.AlertError(116))); !ok || a.Name != "certificate_required" {
		t.Errorf("AlertOf(tls.AlertError(116)) = %+v %v", a, ok)
	}
	if got := NewAlert(1, 112).String(); got != "warning unrecognized_name (112)" {
		t.Errorf("NewAlert(1, 112) = %q", got)
	}
	if got := NewAlert(2, 40).String(); got != "fatal handshake_failure (40)" {
		t.Errorf("NewAlert(2, 40) = %q", got)
	}
}
