package smtp_test

import (
	"bufio"
	"errors"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/audit/smtp/smtptest"
)

const (
	ehloName = "scanner.mxaudit.test"
	host     = smtptest.DefaultHostname
	// shortTimeout is the step timeout of tests that must time out.
	shortTimeout = 300 * time.Millisecond
	// testTimeout bounds steps that must not time out.
	testTimeout = 5 * time.Second
	// neverInTest is a server delay no test waits for: Close ends it.
	neverInTest = time.Hour
)

// Transcript lines of the default smtptest server.
var (
	greeting  = line("S", "220 "+host+" ESMTP smtptest")
	ehloSent  = line("C", "EHLO "+ehloName)
	ehloReply = []evidence.TranscriptLine{
		line("S", "250-"+host), line("S", "250-PIPELINING"), line("S", "250-SIZE 10240000"),
		line("S", "250-8BITMIME"), line("S", "250 STARTTLS"),
	}
	ehloReplyNoTLS = []evidence.TranscriptLine{
		line("S", "250-"+host), line("S", "250-PIPELINING"), line("S", "250-SIZE 10240000"),
		line("S", "250 8BITMIME"),
	}
	starttlsSent = line("C", "STARTTLS")
	quitSent     = line("C", "QUIT")
	bye          = line("S", "221 bye")
	defaultExts  = []string{"PIPELINING", "SIZE 10240000", "8BITMIME"}
)

func line(dir, text string) evidence.TranscriptLine {
	return evidence.TranscriptLine{Dir: dir, Line: text}
}

func cat(parts ...any) []evidence.TranscriptLine {
	var out []evidence.TranscriptLine
	for _, p := range parts {
		switch v := p.(type) {
		case evidence.TranscriptLine:
			out = append(out, v)
		case []evidence.TranscriptLine:
			out = append(out, v...)
		default:
			panic("cat: unexpected type") // test helper misuse only
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// startServer runs a fake server on its own loopback address.
func startServer(t *testing.T, addr string, b smtptest.Behavior) (*smtptest.Server, string, int) {
	t.Helper()
	s, err := smtptest.Start(addr, b)
	if err != nil {
		t.Fatalf("start fake server: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ip, port := splitAddr(t, s.Addr())
	return s, ip, port
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("split %q: %v", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("port %q: %v", p, err)
	}
	return h, port
}

// rawServer accepts connections on addr and hands each to script; it is
// for server behaviours smtptest does not offer. Connections are closed
// when script returns and at cleanup.
func rawServer(t *testing.T, addr string, script func(c net.Conn, r *bufio.Reader)) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan struct{})
	conns := make(chan net.Conn, 16)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
			_ = c.SetDeadline(time.Now().Add(testTimeout))
			script(c, bufio.NewReader(c))
			_ = c.Close()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		for {
			select {
			case c := <-conns:
				_ = c.Close()
			case <-done:
				return
			}
		}
	})
	return splitAddr(t, ln.Addr().String())
}

func newClient(t *testing.T, port int, mod func(*smtp.Config)) *smtp.Client {
	t.Helper()
	cfg := smtp.Config{
		Port:           port,
		EHLOName:       ehloName,
		ConnectTimeout: testTimeout,
		BannerTimeout:  testTimeout,
		CommandTimeout: testTimeout,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := smtp.New(cfg)
	if err != nil {
		t.Fatalf("smtp.New: %v", err)
	}
	return c
}

// stripTimes drops the time offsets, which tests cannot know exactly.
func stripTimes(tr []evidence.TranscriptLine) []evidence.TranscriptLine {
	if tr == nil {
		return nil
	}
	out := make([]evidence.TranscriptLine, len(tr))
	for i, l := range tr {
		out[i] = evidence.TranscriptLine{Dir: l.Dir, Line: l.Line}
	}
	return out
}

// checkTimes asserts that the offsets never go backwards.
func checkTimes(t *testing.T, tr []evidence.TranscriptLine) {
	t.Helper()
	for i := 1; i < len(tr); i++ {
		if tr[i].At < tr[i-1].At {
			t.Fatalf("transcript offset goes backwards at line %d: %v < %v", i, tr[i].At, tr[i-1].At)
		}
	}
}

// wantError asserts err's classification; kind "" means no error.
func wantError(t *testing.T, err error, kind evidence.ErrorKind, step string, code int) *evidence.Error {
	t.Helper()
	if kind == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return nil
	}
	var ev *evidence.Error
	if !errors.As(err, &ev) {
		t.Fatalf("error %v (%T) is not a *evidence.Error", err, err)
	}
	if ev.Kind != kind || ev.Step != step || ev.Code != code {
		t.Fatalf("error = {kind %q step %q code %d} %q, want {kind %q step %q code %d}", ev.Kind, ev.Step, ev.Code, ev.Message, kind, step, code)
	}
	return ev
}

func TestStartTLS(t *testing.T) {
	tests := []struct {
		name     string
		behavior smtptest.Behavior
		config   func(*smtp.Config)

		kind          evidence.ErrorKind // "" for success
		step          string
		code          int
		noSTARTTLS    bool // errors.Is(err, smtp.ErrNoSTARTTLS)
		inconclusive  bool
		banner        *evidence.Reply
		ehlo          *evidence.Reply
		usedHELO      bool
		exts          []string
		offered       *bool
		starttlsReply *evidence.Reply
		transcript    []evidence.TranscriptLine
		// transcriptLen, when transcript is nil, is the expected number of lines.
		transcriptLen int
		// partialOf, when set, says the transcript holds at most one line,
		// a proper prefix of partialOf (how much of a dripped line arrives
		// before the deadline depends on the scheduler).
		partialOf      string
		minBannerDelay time.Duration
		commands       map[string]int
	}{
		{
			name:          "modern",
			banner:        &evidence.Reply{Code: 220, Lines: []string{host + " ESMTP smtptest"}},
			ehlo:          &evidence.Reply{Code: 250, Lines: []string{host, "PIPELINING", "SIZE 10240000", "8BITMIME", "STARTTLS"}},
			exts:          append(defaultExts, "STARTTLS"),
			offered:       ptr(true),
			starttlsReply: &evidence.Reply{Code: 220, Lines: []string{"ready to start TLS"}},
			transcript:    cat(greeting, ehloSent, ehloReply, starttlsSent, line("S", "220 ready to start TLS")),
			commands:      map[string]int{"EHLO": 1, "STARTTLS": 1},
		},
		{
			name:       "no starttls",
			behavior:   smtptest.Behavior{NoSTARTTLS: true},
			kind:       evidence.ErrProtocol,
			step:       smtp.StepEHLO,
			noSTARTTLS: true,
			banner:     &evidence.Reply{Code: 220, Lines: []string{host + " ESMTP smtptest"}},
			ehlo:       &evidence.Reply{Code: 250, Lines: []string{host, "PIPELINING", "SIZE 10240000", "8BITMIME"}},
			exts:       defaultExts,
			offered:    ptr(false),
			transcript: cat(greeting, ehloSent, ehloReplyNoTLS, quitSent, bye),
			commands:   map[string]int{"EHLO": 1, "QUIT": 1},
		},
		{
			name:       "starttls only in parameters and greeting",
			behavior:   smtptest.Behavior{Hostname: "starttls.example", NoSTARTTLS: true, Extensions: []string{"AUTH PLAIN STARTTLS", "X-STARTTLS", "ſtarttls"}},
			kind:       evidence.ErrProtocol,
			step:       smtp.StepEHLO,
			noSTARTTLS: true,
			banner:     &evidence.Reply{Code: 220, Lines: []string{"starttls.example ESMTP smtptest"}},
			ehlo:       &evidence.Reply{Code: 250, Lines: []string{"starttls.example", "AUTH PLAIN STARTTLS", "X-STARTTLS", "ſtarttls"}},
			exts:       []string{"AUTH PLAIN STARTTLS", "X-STARTTLS", "ſTARTTLS"},
			offered:    ptr(false),
			transcript: cat(line("S", "220 starttls.example ESMTP smtptest"), ehloSent, line("S", "250-starttls.example"),
				line("S", "250-AUTH PLAIN STARTTLS"), line("S", "250-X-STARTTLS"), line("S", "250 ſtarttls"), quitSent, bye),
			commands: map[string]int{"EHLO": 1, "QUIT": 1},
		},
		{
			name: "lower-case keyword counts",
			// The server answers 502 to STARTTLS since it believes it did not offer it.
			behavior:      smtptest.Behavior{NoSTARTTLS: true, Extensions: []string{"starttls"}},
			kind:          evidence.ErrSMTPReject,
			step:          smtp.StepSTARTTLS,
			code:          502,
			banner:        &evidence.Reply{Code: 220, Lines: []string{host + " ESMTP smtptest"}},
			ehlo:          &evidence.Reply{Code: 250, Lines: []string{host, "starttls"}},
			exts:          []string{"STARTTLS"},
			offered:       ptr(true),
			starttlsReply: &evidence.Reply{Code: 502, Lines: []string{"command not implemented"}},
			transcript: cat(greeting, ehloSent, line("S", "250-"+host), line("S", "250 starttls"), starttlsSent,
				line("S", "502 command not implemented"), quitSent, bye),
			commands: map[string]int{"EHLO": 1, "STARTTLS": 1, "QUIT": 1},
		},
		{
			name:       "ehlo rejected, helo used",
			behavior:   smtptest.Behavior{RejectEHLO: true},
			kind:       evidence.ErrProtocol,
			step:       smtp.StepHELO,
			noSTARTTLS: true,
			banner:     &evidence.Reply{Code: 220, Lines: []string{host + " ESMTP smtptest"}},
			ehlo:       &evidence.Reply{Code: 250, Lines: []string{host}},
			usedHELO:   true,
			offered:    ptr(false),
			transcript: cat(greeting, ehloSent, line("S", "502 command not implemented"), line("C", "HELO "+ehloName),
				line("S", "250 "+host), quitSent, bye),
			commands: map[string]int{"EHLO": 1, "HELO": 1, "QUIT": 1},
		},
		{
			name:         "421 banner",
			behavior:     smtptest.Behavior{BannerCode: 421},
			kind:         evidence.ErrSMTPReject,
			step:         smtp.StepBanner,
			code:         421,
			inconclusive: true,
			banner:       &evidence.Reply{Code: 421, Lines: []string{host + " service not available, closing channel"}},
			transcript:   cat(line("S", "421 "+host+" service not available, closing channel")),
			commands:     map[string]int{},
		},
		{
			name:       "554 banner",
			behavior:   smtptest.Behavior{BannerCode: 554},
			kind:       evidence.ErrSMTPReject,
			step:       smtp.StepBanner,
			code:       554,
			banner:     &evidence.Reply{Code: 554, Lines: []string{host + " no SMTP service here"}},
			transcript: cat(line("S", "554 "+host+" no SMTP service here"), quitSent, bye),
			commands:   map[string]int{"QUIT": 1},
		},
		{
			name:          "454 to starttls",
			behavior:      smtptest.Behavior{STARTTLSCode: 454},
			kind:          evidence.ErrSMTPReject,
			step:          smtp.StepSTARTTLS,
			code:          454,
			inconclusive:  true,
			banner:        &evidence.Reply{Code: 220, Lines: []string{host + " ESMTP smtptest"}},
			ehlo:          &evidence.Reply{Code: 250, Lines: []string{host, "PIPELINING", "SIZE 10240000", "8BITMIME", "STARTTLS"}},
			exts:          append(defaultExts, "STARTTLS"),
			offered:       ptr(true),
			starttlsReply: &evidence.Reply{Code: 454, Lines: []string{"TLS not available"}},
			transcript:    cat(greeting, ehloSent, ehloReply, starttlsSent, line("S", "454 TLS not available"), quitSent, bye),
			commands:      map[string]int{"EHLO": 1, "STARTTLS": 1, "QUIT": 1},
		},
		{
			name:          "501 to starttls",
			behavior:      smtptest.Behavior{STARTTLSCode: 501},
			kind:          evidence.ErrSMTPReject,
			step:          smtp.StepSTARTTLS,
			code:          501,
			banner:        &evidence.Reply{Code: 220, Lines: []string{host + " ESMTP smtptest"}},
			ehlo:          &evidence.Reply{Code: 250, Lines: []string{host, "PIPELINING", "SIZE 10240000", "8BITMIME", "STARTTLS"}},
			exts:          append(defaultExts, "STARTTLS"),
			offered:       ptr(true),
			starttlsReply: &evidence.Reply{Code: 501, Lines: []string{"TLS not available"}},
			transcript:    cat(greeting, ehloSent, ehloReply, starttlsSent, line("S", "501 TLS not available"), quitSent, bye),
			commands:      map[string]int{"EHLO": 1, "STARTTLS": 1, "QUIT": 1},
		},
		{
			name:          "multi-line banner",
			behavior:      smtptest.Behavior{Banner: []string{"mx.example.net ESMTP", "no UCE", "  indented line"}},
			banner:        &evidence.Reply{Code: 220, Lines: []string{"mx.example.net ESMTP", "no UCE", "  indented line"}},
			ehlo:          &evidence.Reply{Code: 250, Lines: []string{host, "PIPELINING", "SIZE 10240000", "8BITMIME", "STARTTLS"}},
			exts:          append(defaultExts, "STARTTLS"),
			offered:       ptr(true),
			starttlsReply: &evidence.Reply{Code: 220, Lines: []string{"ready to start TLS"}},
			transcript: cat(line("S", "220-mx.example.net ESMTP"), line("S", "220-no UCE"), line("S", "220   indented line"),
				ehloSent, ehloReply, starttlsSent, line("S", "220 ready to start TLS")),
			commands: map[string]int{"EHLO": 1, "STARTTLS": 1},
		},
		{
			name:           "slow banner within the timeout",
			behavior:       smtptest.Behavior{BannerDelay: 100 * time.Millisecond},
			minBannerDelay: 100 * time.Millisecond,
			banner:         &evidence.Reply{Code: 220, Lines: []string{host + " ESMTP smtptest"}},
			ehlo:           &evidence.Reply{Code: 250, Lines: []string{host, "PIPELINING", "SIZE 10240000", "8BITMIME", "STARTTLS"}},
			exts:           append(defaultExts, "STARTTLS"),
			offered:        ptr(true),
			starttlsReply:  &evidence.Reply{Code: 220, Lines: []string{"ready to start TLS"}},
			transcript:     cat(greeting, ehloSent, ehloReply, starttlsSent, line("S", "220 ready to start TLS")),
			commands:       map[string]int{"EHLO": 1, "STARTTLS": 1},
		},
		{
			name: "drip beyond the banner timeout",
			// Every byte arrives well within the step timeout; only a
			// deadline on the whole step stops this tarpit.
			behavior:     smtptest.Behavior{Drip: 50 * time.Millisecond},
			config:       func(c *smtp.Config) { c.BannerTimeout = shortTimeout },
			partialOf:    greeting.Line,
			kind:         evidence.ErrTimeout,
			step:         smtp.StepBanner,
			inconclusive: true,
			commands:     map[string]int{},
		},
		{
			name:     "endless banner",
			behavior: smtptest.Behavior{EndlessBanner: true},
			kind:     evidence.ErrTooLong,
			step:     smtp.StepBanner,
			// Exactly MaxReplyLines lines were read, then the client gave up.
			transcriptLen: smtp.DefaultMaxReplyLines,
			commands:      map[string]int{},
		},
		{
			name:          "garbage",
			behavior:      smtptest.Behavior{Garbage: true},
			kind:          evidence.ErrProtocol,
			step:          smtp.StepBanner,
			transcriptLen: 1,
			commands:      map[string]int{},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ip, port := startServer(t, "127.0.1."+strconv.Itoa(i+1)+":0", tt.behavior)
			c := newClient(t, port, tt.config)
			conn, sess, err := c.StartTLS(t.Context(), ip)
			if conn != nil {
				defer conn.Close()
			}
			ev := wantError(t, err, tt.kind, tt.step, tt.code)
			if (conn == nil) != (tt.kind != "") {
				t.Fatalf("conn = %v with error %v", conn, err)
			}
			if got := errors.Is(err, smtp.ErrNoSTARTTLS); got != tt.noSTARTTLS {
				t.Fatalf("errors.Is(err, ErrNoSTARTTLS) = %v, want %v", got, tt.noSTARTTLS)
			}
			if ev != nil && ev.Inconclusive() != tt.inconclusive {
				t.Fatalf("Inconclusive() = %v, want %v", ev.Inconclusive(), tt.inconclusive)
			}
			if sess == nil {
				t.Fatal("nil session")
			}
			if sess.EHLOName != ehloName {
				t.Fatalf("EHLOName = %q", sess.EHLOName)
			}
			if sess.ConnectedAt.IsZero() {
				t.Fatal("ConnectedAt not set")
			}
			checkReply(t, "Banner", sess.Banner, tt.banner)
			checkReply(t, "EHLO", sess.EHLO, tt.ehlo)
			checkReply(t, "STARTTLS", sess.STARTTLS, tt.starttlsReply)
			if sess.UsedHELO != tt.usedHELO {
				t.Fatalf("UsedHELO = %v, want %v", sess.UsedHELO, tt.usedHELO)
			}
			if !reflect.DeepEqual(sess.Extensions, tt.exts) {
				t.Fatalf("Extensions = %q, want %q", sess.Extensions, tt.exts)
			}
			if !reflect.DeepEqual(sess.STARTTLSOffered, tt.offered) {
				t.Fatalf("STARTTLSOffered = %v, want %v", show(sess.STARTTLSOffered), show(tt.offered))
			}
			if sess.PostTLSEHLO != nil || sess.STARTTLSAfterTLS != nil {
				t.Fatal("post-TLS fields set before TLS")
			}
			switch {
			case tt.transcript != nil:
				if got := stripTimes(sess.Transcript); !reflect.DeepEqual(got, tt.transcript) {
					t.Fatalf("transcript:\n got %+v\nwant %+v", got, tt.transcript)
				}
			case tt.partialOf != "":
				checkPartial(t, sess.Transcript, tt.partialOf)
			case len(sess.Transcript) != tt.transcriptLen:
				t.Fatalf("transcript has %d lines, want %d: %+v", len(sess.Transcript), tt.transcriptLen, stripTimes(sess.Transcript))
			}
			checkTimes(t, sess.Transcript)
			if sess.Banner != nil {
				checkBannerDelay(t, sess, len(tt.banner.Lines), tt.minBannerDelay)
			} else if sess.BannerDelay != 0 {
				t.Fatalf("BannerDelay %v without a greeting", time.Duration(sess.BannerDelay))
			}
			st := srv.Stats()
			if st.Connections != 1 || st.Pipelined != 0 {
				t.Fatalf("server saw %d connections, %d pipelined commands", st.Connections, st.Pipelined)
			}
			if !reflect.DeepEqual(st.Commands, tt.commands) {
				t.Fatalf("server commands = %v, want %v", st.Commands, tt.commands)
			}
		})
	}
}

// checkBannerDelay asserts that the banner delay lies between the last
// greeting line and the next transcript line, and is at least atLeast (the
// server's own sleep before greeting).
func checkBannerDelay(t *testing.T, sess *evidence.SMTPSession, bannerLines int, atLeast time.Duration) {
	t.Helper()
	d := time.Duration(sess.BannerDelay)
	if last := time.Duration(sess.Transcript[bannerLines-1].At); d < last {
		t.Fatalf("BannerDelay %v before the last greeting line %v", d, last)
	}
	if bannerLines < len(sess.Transcript) {
		if next := time.Duration(sess.Transcript[bannerLines].At); d > next {
			t.Fatalf("BannerDelay %v after the next line %v", d, next)
		}
	}
	// The server's sleep starts at accept, the client's clock when its dial
	// returns, which a loaded machine can delay by milliseconds: the delay
	// seen must be most of the sleep, not all of it.
	if d < atLeast/2 {
		t.Fatalf("BannerDelay %v, server slept %v first", d, atLeast)
	}
}

// checkPartial asserts that tr is empty or one server line that is a
// proper prefix of full.
func checkPartial(t *testing.T, tr []evidence.TranscriptLine, full string) {
	t.Helper()
	switch {
	case len(tr) == 0:
	case len(tr) == 1 && tr[0].Dir == "S" && len(tr[0].Line) < len(full) && strings.HasPrefix(full, tr[0].Line):
	default:
		t.Fatalf("transcript %+v is not a partial %q", tr, full)
	}
}

func show(b *bool) string {
	if b == nil {
		return "nil"
	}
	return strconv.FormatBool(*b)
}

func checkReply(t *testing.T, what string, got, want *evidence.Reply) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s reply = %+v, want %+v", what, got, want)
	}
}
