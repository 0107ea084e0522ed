package smtp

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// dialogue is one SMTP conversation on one connection. It is used by one
// goroutine, except for abort, which ctx cancellation calls from another.
type dialogue struct {
	c     *Client
	ctx   context.Context
	conn  net.Conn
	rd    *Reader
	sess  *evidence.SMTPSession
	start time.Time
	// stepTimeout is the timeout of the step in progress and stepByCtx
	// whether ctx's deadline came first, for messages.
	stepTimeout time.Duration
	stepByCtx   bool
	// inject is a command sent in the same write as STARTTLS (the
	// CVE-2011-0411 test); empty in an ordinary dialogue.
	inject string

	mu      sync.Mutex // orders abort against setting a step deadline
	aborted bool
}

// failure is a classified error (ev) and the error to return (err): ev
// itself, or ev joined with a sentinel.
type failure struct {
	ev  *evidence.Error
	err error
}

func newFailure(ev *evidence.Error) *failure { return &failure{ev: ev, err: ev} }

func (c *Client) newDialogue(ctx context.Context, conn net.Conn, sess *evidence.SMTPSession, start time.Time) *dialogue {
	d := &dialogue{c: c, ctx: ctx, conn: conn, sess: sess, start: start}
	d.rd = NewReader(conn, c.cfg.MaxLineLength, c.cfg.MaxReplyLines)
	d.rd.onLine = func(line string, truncated bool) { d.record("S", line, truncated) }
	return d
}

// run is the dialogue of StartTLS after the connect.
func (d *dialogue) run() (net.Conn, *failure) {
	timeout := d.c.cfg.CommandTimeout
	banner, f := d.read(StepBanner, d.c.cfg.BannerTimeout)
	if f != nil {
		return nil, f
	}
	d.sess.BannerDelay = evidence.Duration(time.Since(d.start))
	d.sess.Banner = &banner
	switch {
	case banner.Code == codeReady:
	case banner.Code == codeUnavailable:
		// 421: the server is closing the channel; QUIT would go nowhere.
		return nil, d.reject(StepBanner, banner)
	case banner.Code >= codeTransient:
		// RFC 5321 §3.1: after a 554 greeting the server waits for QUIT.
		d.quit()
		return nil, d.reject(StepBanner, banner)
	default:
		return nil, d.protocol(StepBanner, "greeting code %d, want %d", banner.Code, codeReady)
	}

	hello, f := d.command(StepEHLO, "EHLO "+d.c.cfg.EHLOName, timeout)
	if f != nil {
		return nil, f
	}
	d.sess.EHLO = &hello
	step := StepEHLO
	if hello.Code >= codePermanent {
		hello, f = d.command(StepHELO, "HELO "+d.c.cfg.EHLOName, timeout)
		if f != nil {
			return nil, f
		}
		d.sess.UsedHELO = true
		d.sess.EHLO = &hello
		step = StepHELO
	}
	switch {
	case hello.Code == codeOK:
	case hello.Code == codeUnavailable:
		return nil, d.reject(step, hello)
	case hello.Code >= codeTransient:
		d.quit()
		return nil, d.reject(step, hello)
	default:
		return nil, d.protocol(step, "reply code %d to %s, want %d", hello.Code, step, codeOK)
	}
	offered := false
	if !d.sess.UsedHELO {
		d.sess.Extensions, offered = extensions(hello)
	}
	d.sess.STARTTLSOffered = &offered
	if !offered {
		d.quit()
		msg := "starttls not offered"
		if d.sess.UsedHELO {
			msg = "starttls not offered: the server only answered helo"
		}
		ev := evidence.Errorf(evidence.ErrProtocol, step, "%s", msg)
		return nil, &failure{ev: ev, err: &stepError{ev: ev, sentinel: ErrNoSTARTTLS}}
	}

	lines := []string{"STARTTLS"}
	if d.inject != "" {
		// One write, so the server has both lines buffered when it
		// starts TLS.
		lines = append(lines, d.inject)
	}
	reply, f := d.commandLines(StepSTARTTLS, lines, timeout)
	if f != nil {
		return nil, f
	}
	d.sess.STARTTLS = &reply
	switch {
	case reply.Code == codeReady:
	case reply.Code == codeUnavailable:
		return nil, d.reject(StepSTARTTLS, reply)
	case reply.Code >= codeTransient:
		d.quit()
		return nil, d.reject(StepSTARTTLS, reply)
	default:
		// The server may already be waiting for TLS: no cleartext QUIT.
		return nil, d.protocol(StepSTARTTLS, "reply code %d to starttls, want %d", reply.Code, codeReady)
	}
	// TLS is client-first: bytes the server sent after its 220 and before
	// our ClientHello are injected or a buffering bug. They are recorded,
	// then handed to the TLS layer as a sender's TLS library would read
	// them, so the handshake meets what senders meet.
	if rest := d.rd.Buffered(); len(rest) > 0 {
		d.sess.DataAfterSTARTTLS = unexpected(rest)
		return &prefixConn{Conn: d.conn, prefix: rest}, nil
	}
	return d.conn, nil
}

// read reads one reply within timeout.
func (d *dialogue) read(step string, timeout time.Duration) (evidence.Reply, *failure) {
	if err := d.deadline(timeout); err != nil {
		return evidence.Reply{}, d.fail(step, err)
	}
	reply, err := d.rd.ReadReply()
	if err != nil {
		return evidence.Reply{}, d.fail(step, err)
	}
	return reply, nil
}

// command sends one command line and reads its reply; timeout bounds both.
func (d *dialogue) command(step, line string, timeout time.Duration) (evidence.Reply, *failure) {
	return d.commandLines(step, []string{line}, timeout)
}

// commandLines sends command lines in one write and reads the reply to
// the first; timeout bounds both.
func (d *dialogue) commandLines(step string, lines []string, timeout time.Duration) (evidence.Reply, *failure) {
	if err := d.deadline(timeout); err != nil {
		return evidence.Reply{}, d.fail(step, err)
	}
	var out strings.Builder
	for _, line := range lines {
		d.record("C", line, false)
		out.WriteString(line + "\r\n")
	}
	if _, err := io.WriteString(d.conn, out.String()); err != nil {
		return evidence.Reply{}, d.fail(step, err)
	}
	reply, err := d.rd.ReadReply()
	if err != nil {
		return evidence.Reply{}, d.fail(step, err)
	}
	return reply, nil
}

// quit says goodbye and reads the answer; its outcome only reaches the
// transcript.
func (d *dialogue) quit() {
	if d.ctx.Err() != nil {
		return
	}
	_, _ = d.command(StepQuit, "QUIT", min(quitTimeout, d.c.cfg.CommandTimeout))
}

// deadline bounds the whole next step by timeout and by ctx.
func (d *dialogue) deadline(timeout time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.aborted || d.ctx.Err() != nil {
		return d.ctx.Err()
	}
	d.stepTimeout, d.stepByCtx = timeout, false
	t := time.Now().Add(timeout)
	if cd, ok := d.ctx.Deadline(); ok && cd.Before(t) {
		t, d.stepByCtx = cd, true
	}
	return d.conn.SetDeadline(t)
}

// abort makes the read or write in progress fail now; ctx calls it when it ends.
func (d *dialogue) abort() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.aborted = true
	_ = d.conn.SetDeadline(time.Unix(1, 0)) // any time in the past
}

// fail classifies err for step. A deadline that passed because ctx ended is
// reported as ctx's error (cancelled or timed out).
func (d *dialogue) fail(step string, err error) *failure {
	ctxErr := d.ctx.Err()
	switch {
	case ctxErr != nil && (err == nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ctxErr)):
		if err == nil || errors.Is(err, ctxErr) {
			err = ctxErr
		} else {
			err = fmt.Errorf("%w: %v", ctxErr, err)
		}
	case errors.Is(err, os.ErrDeadlineExceeded) && d.stepByCtx:
		err = fmt.Errorf("no complete reply before the context deadline: %w", err)
	case errors.Is(err, os.ErrDeadlineExceeded):
		err = fmt.Errorf("no complete reply within %v: %w", d.stepTimeout, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		err = fmt.Errorf("server closed the connection: %w", err)
	}
	// Inside TLS (the EHLO after the handshake) a TLS alert is the
	// answer: a server that wants a client certificate sends
	// certificate_required at the first read.
	var op *net.OpError
	if errors.As(err, &op) {
		if a, ok := evidence.RemoteAlert(op.Op, op.Err); ok {
			return newFailure(evidence.AlertError(step, a))
		}
	}
	return newFailure(evidence.Classify(step, err))
}

// reject is the failure for a negative reply.
func (d *dialogue) reject(step string, r evidence.Reply) *failure {
	return newFailure(&evidence.Error{
		Kind:    evidence.ErrSMTPReject,
		Step:    step,
		Code:    r.Code,
		Message: fmt.Sprintf("server replied %d %s", r.Code, quote(strings.Join(r.Lines, " "))),
	})
}

// protocol is the failure for a well-formed reply that makes no sense here.
func (d *dialogue) protocol(step, format string, args ...any) *failure {
	return newFailure(evidence.Errorf(evidence.ErrProtocol, step, format, args...))
}

// record appends one line to the transcript, capped at MaxLineLength.
func (d *dialogue) record(dir, line string, truncated bool) {
	if limit := d.c.cfg.MaxLineLength; len(line) > limit {
		line, truncated = line[:limit], true
	}
	if truncated {
		line += TruncatedMark
	}
	tl := evidence.TranscriptLine{
		Dir:  dir,
		Line: line,
		At:   evidence.Duration(time.Since(d.start)),
	}
	if !utf8.ValidString(line) {
		// JSON would turn the invalid bytes into U+FFFD: keep them.
		tl.Raw = []byte(line)
	}
	d.sess.Transcript = append(d.sess.Transcript, tl)
}

// extensions lists the EHLO keywords of a 250 reply (every line after the
// first), keyword upper-cased and followed by its parameters as sent, and
// says whether STARTTLS is among them.
func extensions(r evidence.Reply) (exts []string, starttls bool) {
	if len(r.Lines) < 2 {
		return nil, false
	}
	for _, line := range r.Lines[1:] {
		line = strings.Trim(line, " \t")
		if line == "" {
			continue
		}
		kw, params := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			kw, params = line[:i], strings.Trim(line[i+1:], " \t")
		}
		kw = asciiUpper(kw)
		if kw == keywordSTARTTLS {
			starttls = true
		}
		if params != "" {
			kw += " " + params
		}
		exts = append(exts, kw)
	}
	return exts, starttls
}

// asciiUpper upper-cases ASCII letters only: strings.ToUpper would turn a
// non-ASCII keyword such as "ſtarttls" (long s) into "STARTTLS".
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// unexpected records bytes that arrived where the protocol allows none.
func unexpected(b []byte) *evidence.UnexpectedData {
	keep := b[:min(len(b), evidence.MaxUnexpectedHex)]
	return &evidence.UnexpectedData{Bytes: len(b), Hex: hex.EncodeToString(keep)}
}

// prefixConn is a connection whose first reads return bytes already read
// from it into the dialogue's buffer.
type prefixConn struct {
	net.Conn
	prefix []byte
}

// Read returns the buffered bytes first, then reads the connection.
func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}
