package smtp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/audit/smtp/smtptest"
)

// handshake runs a verifying crypto/tls client handshake over conn.
func handshake(t *testing.T, conn net.Conn, ca *smtptest.CA) *tls.Conn {
	t.Helper()
	tc := tls.Client(conn, &tls.Config{ServerName: host, RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12})
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		t.Fatalf("handshake over the returned connection: %v", err)
	}
	return tc
}

func TestAfterTLS(t *testing.T) {
	ca, err := smtptest.NewCA("smtp test CA")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tests := []struct {
		name     string
		keyType  string
		behavior smtptest.Behavior
		ctx      func(context.Context) (context.Context, context.CancelFunc)

		kind       evidence.ErrorKind
		step       string
		post       *evidence.Reply
		again      *bool
		transcript []evidence.TranscriptLine // after the cleartext part
		commands   map[string]int
	}{
		{
			name:       "modern",
			keyType:    smtptest.KeyRSA2048,
			post:       &evidence.Reply{Code: 250, Lines: []string{host, "PIPELINING", "SIZE 10240000", "8BITMIME"}},
			again:      ptr(false),
			transcript: cat(ehloSent, ehloReplyNoTLS, quitSent, bye),
			commands:   map[string]int{"EHLO": 2, "STARTTLS": 1, "QUIT": 1},
		},
		{
			name:       "starttls advertised again",
			keyType:    smtptest.KeyECDSA256,
			behavior:   smtptest.Behavior{AdvertiseSTARTTLSAfterTLS: true},
			post:       &evidence.Reply{Code: 250, Lines: []string{host, "PIPELINING", "SIZE 10240000", "8BITMIME", "STARTTLS"}},
			again:      ptr(true),
			transcript: cat(ehloSent, ehloReply, quitSent, bye),
			commands:   map[string]int{"EHLO": 2, "STARTTLS": 1, "QUIT": 1},
		},
		{
			name:    "context already cancelled",
			keyType: smtptest.KeyECDSA256,
			ctx: func(p context.Context) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(p)
				cancel()
				return ctx, cancel
			},
			kind:     evidence.ErrCanceled,
			step:     smtp.StepPostTLSEHLO,
			commands: map[string]int{"EHLO": 1, "STARTTLS": 1},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, err := ca.Issue([]string{host}, now.Add(-time.Hour), now.Add(time.Hour), tt.keyType)
			if err != nil {
				t.Fatal(err)
			}
			b := tt.behavior
			b.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
			srv, ip, port := startServer(t, "127.0.7."+strconv.Itoa(i+1)+":0", b)
			c := newClient(t, port, nil)
			conn, sess, err := c.StartTLS(t.Context(), ip)
			if err != nil {
				t.Fatalf("StartTLS: %v", err)
			}
			clear := len(sess.Transcript)
			tc := handshake(t, conn, ca)
			ctx := t.Context()
			if tt.ctx != nil {
				var cancel context.CancelFunc
				ctx, cancel = tt.ctx(ctx)
				defer cancel()
			}
			err = c.AfterTLS(ctx, tc, sess)
			wantError(t, err, tt.kind, tt.step, 0)
			checkReply(t, "post-TLS EHLO", sess.PostTLSEHLO, tt.post)
			if !reflect.DeepEqual(sess.STARTTLSAfterTLS, tt.again) {
				t.Fatalf("STARTTLSAfterTLS = %v, want %v", show(sess.STARTTLSAfterTLS), show(tt.again))
			}
			if got := stripTimes(sess.Transcript[clear:]); len(got)+len(tt.transcript) > 0 && !reflect.DeepEqual(got, tt.transcript) {
				t.Fatalf("post-TLS transcript:\n got %+v\nwant %+v", got, tt.transcript)
			}
			checkTimes(t, sess.Transcript)
			// The TLS layer may answer from the peer's close_notify; the
			// connection beneath tells whether AfterTLS closed it.
			if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
				t.Fatalf("read after AfterTLS: %v, want the connection closed", err)
			}
			st := srv.Stats()
			if st.Pipelined != 0 {
				t.Fatalf("%d pipelined commands", st.Pipelined)
			}
			if !reflect.DeepEqual(st.Commands, tt.commands) {
				t.Fatalf("server commands = %v, want %v", st.Commands, tt.commands)
			}
		})
	}
}

func TestAfterTLSNilSession(t *testing.T) {
	a, b := net.Pipe()
	defer b.Close()
	c := newClient(t, smtp.DefaultPort, nil)
	err := c.AfterTLS(t.Context(), a, nil)
	wantError(t, err, evidence.ErrInternal, smtp.StepPostTLSEHLO, 0)
	if _, err := a.Read(make([]byte, 1)); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("read after AfterTLS: %v, want the pipe closed", err)
	}
}

func TestAfterTLSWithoutConnectTime(t *testing.T) {
	ca, err := smtptest.NewCA("smtp test CA")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cert, err := ca.Issue([]string{host}, now.Add(-time.Hour), now.Add(time.Hour), smtptest.KeyECDSA256)
	if err != nil {
		t.Fatal(err)
	}
	_, ip, port := startServer(t, "127.0.8.1:0", smtptest.Behavior{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	c := newClient(t, port, nil)
	conn, _, err := c.StartTLS(t.Context(), ip)
	if err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	tc := handshake(t, conn, ca)
	// A caller that lost the session hands in an empty one.
	sess := &evidence.SMTPSession{}
	if err := c.AfterTLS(t.Context(), tc, sess); err != nil {
		t.Fatalf("AfterTLS: %v", err)
	}
	want := cat(ehloSent, ehloReplyNoTLS, quitSent, bye)
	if got := stripTimes(sess.Transcript); !reflect.DeepEqual(got, want) {
		t.Fatalf("transcript:\n got %+v\nwant %+v", got, want)
	}
	if !sess.ConnectedAt.IsZero() {
		t.Fatalf("ConnectedAt invented: %v", sess.ConnectedAt)
	}
}
