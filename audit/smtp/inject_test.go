package smtp_test

import (
	"context"
	"crypto/tls"
	"errors"
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
	tests := []struct {
		name     string
		behavior smtptest.Behavior
		hs       smtp.Handshake
		status   evidence.VulnStatus
		detail   string
	}{
		{"fixed server", smtptest.Behavior{}, hs, evidence.VulnNotVulnerable, "discarded"},
		{"injectable server", smtptest.Behavior{STARTTLSInjectable: true}, hs, evidence.VulnVulnerable, "250 "},
		{"no starttls", smtptest.Behavior{NoSTARTTLS: true}, hs, evidence.VulnInconclusive, "starttls not offered"},
		{"garbage instead of TLS", smtptest.Behavior{BrokenTLS: true}, hs, evidence.VulnInconclusive, ""},
		{"handshake fails", smtptest.Behavior{}, func(context.Context, net.Conn) (net.Conn, error) { return nil, errors.New("refused by test") }, evidence.VulnInconclusive, "handshake failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.behavior
			b.Hostname = host
			b.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
			s, ip, port := startServer(t, "127.0.0.1:0", b)
			c := newClient(t, port, nil)
			got := c.STARTTLSInjection(t.Context(), ip, tc.hs, 500*time.Millisecond)
			if got.Status != tc.status || !strings.Contains(got.Detail, tc.detail) {
				t.Errorf("got %s %q, want %s containing %q", got.Status, got.Detail, tc.status, tc.detail)
			}
			if got.Connections != 1 {
				t.Errorf("connections = %d, want 1", got.Connections)
			}
			if n := s.Stats().Commands["STARTTLS"]; !b.NoSTARTTLS && n != 1 {
				t.Errorf("STARTTLS sent %d times", n)
			}
		})
	}
}
