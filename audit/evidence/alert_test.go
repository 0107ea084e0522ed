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
				var op *net.OpError
				if !errors.As(fmt.Errorf("probe: %w", err), &op) {
					t.Fatalf("crypto/tls returned %T %v, not a *net.OpError", err, err)
				}
				a, ok := RemoteAlert(op.Op, op.Err)
				if !ok {
					t.Fatalf("RemoteAlert(%q, %v) found no alert", op.Op, op.Err)
				}
				ev := AlertError("handshake", a)
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

func TestRemoteAlertOthers(t *testing.T) {
	for _, tc := range []struct {
		op    string
		cause error
	}{
		{"local error", errors.New("tls: bad certificate")},
		{"remote error", errors.New("something else")},
		{"remote error", nil},
		{"read", io.EOF},
	} {
		if a, ok := RemoteAlert(tc.op, tc.cause); ok {
			t.Errorf("RemoteAlert(%q, %v) = %+v, want none", tc.op, tc.cause, a)
		}
	}
	if got := NewAlert(1, 112).String(); got != "warning unrecognized_name (112)" {
		t.Errorf("NewAlert(1, 112) = %q", got)
	}
	if got := NewAlert(2, 40).String(); got != "fatal handshake_failure (40)" {
		t.Errorf("NewAlert(2, 40) = %q", got)
	}
}

// TestGoAlertText: the text table equals crypto/tls's, so an alert is
// found by its text should crypto/tls ever stop using a byte.
func TestGoAlertText(t *testing.T) {
	for d := range 256 {
		text := tls.AlertError(uint8(d)).Error()
		got, ok := alertNumber(errors.New(text))
		if !ok || got != uint8(d) {
			t.Errorf("alert %d: crypto/tls text %q reads as %d (%v)", d, text, got, ok)
		}
	}
}
