package smtp_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/audit/smtp/smtptest"
)

// cancelDelay is how long after connecting a test cancels its context.
const cancelDelay = 50 * time.Millisecond

// send writes a server script's bytes; write errors end the script.
func send(c net.Conn, s string) bool {
	_, err := io.WriteString(c, s)
	return err == nil
}

// expect reads one command line and reports whether it is want.
func expect(r *bufio.Reader, want string) bool {
	l, err := r.ReadString('\n')
	return err == nil && strings.TrimRight(l, "\r\n") == want
}

// waitClose reads until the client closes or the connection deadline passes.
func waitClose(c net.Conn) { _, _ = io.Copy(io.Discard, io.LimitReader(c, 1<<16)) }

// TestStartTLSRaw covers server behaviours smtptest does not offer, with
// hand-written servers.
func TestStartTLSRaw(t *testing.T) {
	long := strings.Repeat("A", smtp.DefaultMaxLineLength+1)
	tests := []struct {
		name       string
		script     func(c net.Conn, r *bufio.Reader)
		config     func(*smtp.Config)
		kind       evidence.ErrorKind
		step       string
		code       int
		offered    *bool
		transcript []evidence.TranscriptLine
	}{
		{
			name:   "closed right after connect",
			script: func(c net.Conn, r *bufio.Reader) {},
			kind:   evidence.ErrClosed,
			step:   smtp.StepBanner,
		},
		{
			name:       "closed in the middle of the greeting",
			script:     func(c net.Conn, r *bufio.Reader) { send(c, "220-first\r\n220 mx.exa") },
			kind:       evidence.ErrClosed,
			step:       smtp.StepBanner,
			transcript: cat(line("S", "220-first"), line("S", "220 mx.exa")),
		},
		{
			name: "line over the cap",
			script: func(c net.Conn, r *bufio.Reader) {
				if send(c, "220 "+long+"\r\n") {
					waitClose(c)
				}
			},
			kind:       evidence.ErrTooLong,
			step:       smtp.StepBanner,
			transcript: cat(line("S", ("220 " + long)[:smtp.DefaultMaxLineLength]+smtp.TruncatedMark)),
		},
		{
			name: "no line end within the cap, connection kept open",
			script: func(c net.Conn, r *bufio.Reader) {
				if send(c, "220 "+long+long) {
					waitClose(c)
				}
			},
			kind:       evidence.ErrTooLong,
			step:       smtp.StepBanner,
			transcript: cat(line("S", ("220 " + long)[:smtp.DefaultMaxLineLength]+smtp.TruncatedMark)),
		},
		{
			name: "code changes within the greeting",
			script: func(c net.Conn, r *bufio.Reader) {
				if send(c, "220-mx.example.com\r\n250 ok\r\n") {
					waitClose(c)
				}
			},
			kind:       evidence.ErrProtocol,
			step:       smtp.StepBanner,
			transcript: cat(line("S", "220-mx.example.com"), line("S", "250 ok")),
		},
		{
			name: "greeting with a positive code other than 220",
			script: func(c net.Conn, r *bufio.Reader) {
				if send(c, "250 hello\r\n") {
					waitClose(c)
				}
			},
			kind:       evidence.ErrProtocol,
			step:       smtp.StepBanner,
			transcript: cat(line("S", "250 hello")),
		},
		{
			name: "bare line feeds tolerated",
			script: func(c net.Conn, r *bufio.Reader) {
				_ = send(c, "220 mx\n") && expect(r, "EHLO "+ehloName) &&
					send(c, "250-mx\n250 STARTTLS\n") && expect(r, "STARTTLS") && send(c, "220 go\n")
				waitClose(c)
			},
			offered: ptr(true),
			transcript: cat(line("S", "220 mx"), ehloSent, line("S", "250-mx"), line("S", "250 STARTTLS"),
				starttlsSent, line("S", "220 go")),
		},
		{
			name: "421 to ehlo: no quit",
			script: func(c net.Conn, r *bufio.Reader) {
				if send(c, "220 mx\r\n") && expect(r, "EHLO "+ehloName) && send(c, "421 busy\r\n") {
					waitClose(c)
				}
			},
			kind:       evidence.ErrSMTPReject,
			step:       smtp.StepEHLO,
			code:       421,
			transcript: cat(line("S", "220 mx"), ehloSent, line("S", "421 busy")),
		},
		{
			name: "ehlo never answered",
			script: func(c net.Conn, r *bufio.Reader) {
				if send(c, "220 mx\r\n") && expect(r, "EHLO "+ehloName) {
					waitClose(c)
				}
			},
			config:     func(c *smtp.Config) { c.CommandTimeout = shortTimeout },
			kind:       evidence.ErrTimeout,
			step:       smtp.StepEHLO,
			transcript: cat(line("S", "220 mx"), ehloSent),
		},
		{
			name: "helo refused too",
			script: func(c net.Conn, r *bufio.Reader) {
				_ = send(c, "220 mx\r\n") && expect(r, "EHLO "+ehloName) && send(c, "500 what\r\n") &&
					expect(r, "HELO "+ehloName) && send(c, "550 go away\r\n") && expect(r, "QUIT") && send(c, "221 bye\r\n")
			},
			kind: evidence.ErrSMTPReject,
			step: smtp.StepHELO,
			code: 550,
			transcript: cat(line("S", "220 mx"), ehloSent, line("S", "500 what"), line("C", "HELO "+ehloName),
				line("S", "550 go away"), quitSent, line("S", "221 bye")),
		},
		{
			name: "250 to starttls: no cleartext quit",
			script: func(c net.Conn, r *bufio.Reader) {
				if send(c, "220 mx\r\n") && expect(r, "EHLO "+ehloName) && send(c, "250-mx\r\n250 STARTTLS\r\n") &&
					expect(r, "STARTTLS") && send(c, "250 sure\r\n") {
					waitClose(c)
				}
			},
			kind:    evidence.ErrProtocol,
			step:    smtp.StepSTARTTLS,
			offered: ptr(true),
			transcript: cat(line("S", "220 mx"), ehloSent, line("S", "250-mx"), line("S", "250 STARTTLS"),
				starttlsSent, line("S", "250 sure")),
		},
		{
			name: "quit unanswered is not an error of the probe",
			script: func(c net.Conn, r *bufio.Reader) {
				if send(c, "220 mx\r\n") && expect(r, "EHLO "+ehloName) && send(c, "250 mx\r\n") && expect(r, "QUIT") {
					waitClose(c)
				}
			},
			config:     func(c *smtp.Config) { c.CommandTimeout = shortTimeout },
			kind:       evidence.ErrProtocol,
			step:       smtp.StepEHLO,
			offered:    ptr(false),
			transcript: cat(line("S", "220 mx"), ehloSent, line("S", "250 mx"), quitSent),
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ip, port := rawServer(t, "127.0.2."+strconv.Itoa(i+1)+":0", tt.script)
			c := newClient(t, port, tt.config)
			conn, sess, err := c.StartTLS(t.Context(), ip)
			if conn != nil {
				_ = conn.Close()
			}
			wantError(t, err, tt.kind, tt.step, tt.code)
			if got := stripTimes(sess.Transcript); !reflect.DeepEqual(got, tt.transcript) {
				t.Fatalf("transcript:\n got %+v\nwant %+v", got, tt.transcript)
			}
			if !reflect.DeepEqual(sess.STARTTLSOffered, tt.offered) {
				t.Fatalf("STARTTLSOffered = %v, want %v", show(sess.STARTTLSOffered), show(tt.offered))
			}
		})
	}
}

func TestStartTLSConnect(t *testing.T) {
	// A port that was just free: listen, note it, close.
	ln, err := net.Listen("tcp", "127.0.3.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	refusedIP, refusedPort := splitAddr(t, ln.Addr().String())
	if err := ln.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	hang := func(ctx context.Context, network, address string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	var dialed []string
	var mu sync.Mutex
	record := func(ctx context.Context, network, address string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, network+" "+address)
		mu.Unlock()
		return nil, errors.New("seam called")
	}
	tests := []struct {
		name   string
		ip     string
		port   int
		config func(*smtp.Config)
		kind   evidence.ErrorKind
	}{
		{"refused", refusedIP, refusedPort, nil, evidence.ErrRefused},
		{"connect timeout", "127.0.3.2", 25, func(c *smtp.Config) { c.Dial, c.ConnectTimeout = hang, shortTimeout }, evidence.ErrTimeout},
		{"not an ip address", "mx.example.com", 25, nil, evidence.ErrInternal},
		{"dial seam used with ip and port", "127.0.3.3", 2525, func(c *smtp.Config) { c.Dial = record }, evidence.ErrProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.port, tt.config)
			conn, sess, err := c.StartTLS(t.Context(), tt.ip)
			if conn != nil {
				t.Fatal("connection returned on failure")
			}
			wantError(t, err, tt.kind, smtp.StepConnect, 0)
			want := &evidence.SMTPSession{EHLOName: ehloName}
			if !reflect.DeepEqual(sess, want) {
				t.Fatalf("session = %+v, want %+v", sess, want)
			}
		})
	}
	if want := []string{"tcp 127.0.3.3:2525"}; !reflect.DeepEqual(dialed, want) {
		t.Fatalf("dial seam saw %q, want %q", dialed, want)
	}
}

func TestStartTLSContext(t *testing.T) {
	tests := []struct {
		name string
		// ctx derives the context from the test's; dialed is called once the
		// TCP connection is up.
		ctx  func(parent context.Context) (ctx context.Context, dialed func(), cancel func())
		kind evidence.ErrorKind
		step string
	}{
		{
			name: "cancelled while waiting for the banner",
			ctx: func(p context.Context) (context.Context, func(), func()) {
				ctx, cancel := context.WithCancel(p)
				// Usually the read is blocked by then; either way the
				// outcome must be the same.
				return ctx, func() { time.AfterFunc(cancelDelay, cancel) }, cancel
			},
			kind: evidence.ErrCanceled,
			step: smtp.StepBanner,
		},
		{
			name: "context deadline before the step timeout",
			ctx: func(p context.Context) (context.Context, func(), func()) {
				ctx, cancel := context.WithTimeout(p, shortTimeout)
				return ctx, func() {}, cancel
			},
			kind: evidence.ErrTimeout,
			step: smtp.StepBanner,
		},
		{
			name: "cancelled before dialling",
			ctx: func(p context.Context) (context.Context, func(), func()) {
				ctx, cancel := context.WithCancel(p)
				cancel()
				return ctx, func() {}, cancel
			},
			kind: evidence.ErrCanceled,
			step: smtp.StepConnect,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The server would greet long after any test ends; Close wakes it.
			srv, ip, port := startServer(t, "127.0.4."+strconv.Itoa(i+1)+":0", smtptest.Behavior{BannerDelay: neverInTest})
			ctx, dialed, cancel := tt.ctx(t.Context())
			defer cancel()
			c := newClient(t, port, func(cfg *smtp.Config) {
				cfg.BannerTimeout = neverInTest
				cfg.Dial = func(ctx context.Context, network, address string) (net.Conn, error) {
					conn, err := (&net.Dialer{}).DialContext(ctx, network, address)
					if err == nil {
						dialed()
					}
					return conn, err
				}
			})
			conn, _, err := c.StartTLS(ctx, ip)
			if conn != nil {
				t.Fatal("connection returned on failure")
			}
			wantError(t, err, tt.kind, tt.step, 0)
			if got := srv.Stats().Commands; len(got) != 0 {
				t.Fatalf("server saw commands %v", got)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  smtp.Config
		ok   bool
	}{
		{"minimal", smtp.Config{EHLOName: ehloName}, true},
		{"no ehlo name", smtp.Config{}, false},
		{"bare host name", smtp.Config{EHLOName: "scanner"}, false},
		{"ip literal", smtp.Config{EHLOName: "192.0.2.7"}, false},
		{"underscore", smtp.Config{EHLOName: "scan_ner.example.com"}, false},
		{"negative port", smtp.Config{EHLOName: ehloName, Port: -1}, false},
		{"port too high", smtp.Config{EHLOName: ehloName, Port: 65536}, false},
		{"negative timeout", smtp.Config{EHLOName: ehloName, CommandTimeout: -time.Second}, false},
		{"negative cap", smtp.Config{EHLOName: ehloName, MaxReplyLines: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := smtp.New(tt.cfg)
			if (err == nil) != tt.ok || (c != nil) != tt.ok {
				t.Fatalf("New(%+v) = %v, %v; want ok=%v", tt.cfg, c, err, tt.ok)
			}
		})
	}
}

func TestMaxConns(t *testing.T) {
	srv, ip, port := startServer(t, "127.0.5.1:0", smtptest.Behavior{MaxConns: 1})
	c := newClient(t, port, nil)
	first, _, err := c.StartTLS(t.Context(), ip)
	if err != nil {
		t.Fatalf("first connection: %v", err)
	}
	defer first.Close()
	// The first connection is still open (the server waits for its TLS
	// hello), so the second is one too many.
	second, sess, err := c.StartTLS(t.Context(), ip)
	if second != nil {
		t.Fatal("second connection returned")
	}
	wantError(t, err, evidence.ErrSMTPReject, smtp.StepBanner, 421)
	checkReply(t, "Banner", sess.Banner, &evidence.Reply{Code: 421, Lines: []string{"too many connections"}})
	st := srv.Stats()
	if st.Connections != 2 || st.MaxConcurrent != 2 {
		t.Fatalf("stats %+v, want 2 connections, 2 at once", st)
	}
}

// TestBytesAfterReady checks that bytes the server sends with its 220 to
// STARTTLS, before the client has said anything in TLS, are recorded in the
// session (TLS is client-first: they are injected or a buffering bug) and
// still reach the caller first, as a sender's TLS library would read them.
func TestBytesAfterReady(t *testing.T) {
	const early = "\x16\x03\x03early bytes"
	ip, port := rawServer(t, "127.0.6.1:0", func(c net.Conn, r *bufio.Reader) {
		if send(c, "220 mx\r\n") && expect(r, "EHLO "+ehloName) && send(c, "250-mx\r\n250 STARTTLS\r\n") &&
			expect(r, "STARTTLS") && send(c, "220 go\r\n"+early) {
			waitClose(c)
		}
	})
	c := newClient(t, port, nil)
	conn, sess, err := c.StartTLS(t.Context(), ip)
	if err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	defer conn.Close()
	want := &evidence.UnexpectedData{Bytes: len(early), Hex: hex.EncodeToString([]byte(early))}
	if !reflect.DeepEqual(sess.DataAfterSTARTTLS, want) {
		t.Errorf("DataAfterSTARTTLS = %+v, want %+v", sess.DataAfterSTARTTLS, want)
	}
	if err := conn.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(early))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatalf("read: %v", err)
	}
	if string(got) != early {
		t.Fatalf("read %q, want %q", got, early)
	}
}

// TestNoBytesAfterReady checks that a clean STARTTLS records nothing.
func TestNoBytesAfterReady(t *testing.T) {
	ip, port := rawServer(t, "127.0.6.2:0", func(c net.Conn, r *bufio.Reader) {
		if send(c, "220 mx\r\n") && expect(r, "EHLO "+ehloName) && send(c, "250-mx\r\n250 STARTTLS\r\n") &&
			expect(r, "STARTTLS") && send(c, "220 go\r\n") {
			waitClose(c)
		}
	})
	conn, sess, err := newClient(t, port, nil).StartTLS(t.Context(), ip)
	if err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	defer conn.Close()
	if sess.DataAfterSTARTTLS != nil {
		t.Errorf("DataAfterSTARTTLS = %+v on a clean STARTTLS", sess.DataAfterSTARTTLS)
	}
}
