package smtp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/audit/smtp/smtptest"
)

func TestSTARTTLSInjection(t *testing.T) {
	ca, err := smtptest.NewCA("smtp test CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue([]string{host}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), smtptest.KeyECDSA256)
	if err != nil {
		t.Fatal(err)
	}
	hs := func(ctx context.Context, conn net.Conn) (net.Conn, error) {
		tc := tls.Client(conn, &tls.Config{ServerName: host, RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12})
		return tc, tc.HandshakeContext(ctx)
	}
	// stall completes the handshake, then reads and answers nothing.
	stall := func(conn net.Conn) {
		tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}})
		_ = tc.SetDeadline(time.Now().Add(testTimeout))
		if tc.Handshake() == nil {
			_, _ = io.Copy(io.Discard, tc)
		}
	}
	tests := []struct {
		name     string
		behavior smtptest.Behavior
		hs       smtp.Handshake
		command  time.Duration // the client's command timeout; testTimeout when 0
		status   evidence.VulnStatus
		detail   string
	}{
		{"fixed server", smtptest.Behavior{}, hs, 0, evidence.VulnNotVulnerable, "discarded"},
		{"injectable server", smtptest.Behavior{STARTTLSInjectable: true}, hs, 0, evidence.VulnVulnerable, "one command more"},
		// A one-line EHLO reply inside TLS: only the count of replies
		// tells it from NOOP's.
		{"injectable server, one-line EHLO reply", smtptest.Behavior{STARTTLSInjectable: true, Extensions: []string{}}, hs, 0, evidence.VulnVulnerable, "one command more"},
		// Slow servers: each reply comes 300 ms late, past what a fixed
		// wait of a few hundred ms would allow; the verdicts stand.
		{"slow fixed server", smtptest.Behavior{Latency: 300 * time.Millisecond}, hs, 0, evidence.VulnNotVulnerable, "discarded"},
		{"slow injectable server", smtptest.Behavior{Latency: 300 * time.Millisecond, STARTTLSInjectable: true}, hs, 0, evidence.VulnVulnerable, "one command more"},
		// Silence after the handshake decides nothing.
		{"silent after the handshake", smtptest.Behavior{TLSHandler: stall}, hs, 300 * time.Millisecond, evidence.VulnInconclusive, "no reply to NOOP"},
		{"no starttls", smtptest.Behavior{NoSTARTTLS: true}, hs, 0, evidence.VulnInconclusive, "starttls not offered"},
		{"garbage instead of TLS", smtptest.Behavior{BrokenTLS: true}, hs, 0, evidence.VulnInconclusive, ""},
		{"handshake fails", smtptest.Behavior{}, func(context.Context, net.Conn) (net.Conn, error) { return nil, errors.New("refused by test") }, 0, evidence.VulnInconclusive, "handshake failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.behavior
			b.Hostname = host
			if b.TLSHandler == nil {
				b.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
			}
			s, ip, port := startServer(t, "127.0.0.1:0", b)
			c := newClient(t, port, func(cfg *smtp.Config) {
				if tc.command > 0 {
					cfg.CommandTimeout = tc.command
				}
			})
			got := c.STARTTLSInjection(t.Context(), ip, tc.hs)
			if got.Status != tc.status || !strings.Contains(got.Detail, tc.detail) {
				t.Errorf("got %s %q, want %s containing %q", got.Status, got.Detail, tc.status, tc.detail)
			}
			if got.Connections != 1 {
				t.Errorf("connections = %d, want 1", got.Connections)
			}
			st := s.Stats()
			if n := st.Commands["STARTTLS"]; !b.NoSTARTTLS && n != 1 {
				t.Errorf("STARTTLS sent %d times", n)
			}
			// A verdict is asked for inside TLS (NOOP, then QUIT), never
			// waited for.
			if got.Status == evidence.VulnVulnerable || got.Status == evidence.VulnNotVulnerable {
				if st.Commands[smtptest.VerbNOOP] != 1 || st.Commands[smtptest.VerbQUIT] != 1 {
					t.Errorf("commands inside TLS = %v, want one NOOP and one QUIT", st.Commands)
				}
			}
		})
	}
}
