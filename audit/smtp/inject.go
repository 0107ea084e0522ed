package smtp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Handshake turns the raw connection after the 220 to STARTTLS into a TLS
// connection; the caller's TLS client (this package speaks no TLS).
type Handshake func(ctx context.Context, conn net.Conn) (net.Conn, error)

// maxInjectionReplies bounds the replies read inside TLS while looking for
// the one answering our QUIT: a vulnerable server sends one more than we
// asked for; a server that streams replies is cut off here.
const maxInjectionReplies = 4

// codeBye is the reply to QUIT (RFC 5321 §4.1.1.10).
const codeBye = 221

// STARTTLSInjection tests for the CVE-2011-0411 family on one new
// connection: after EHLO it sends "STARTTLS" and an EHLO in one write and
// completes the handshake with hs. A fixed server discards what arrived
// before TLS; a vulnerable one runs the injected EHLO inside TLS, which an
// attacker on the path can use to splice commands into the encrypted
// session. Instead of waiting for an unprompted reply (which a fixed server
// never sends, so the wait would be paid on every safe server), it sends
// NOOP, reads one reply, sends QUIT and reads replies up to the 221 that
// answers the QUIT. Replies arrive in command order, so a fixed server
// answers exactly NOOP and QUIT; a vulnerable one answers one command more:
// its first reply is the injected EHLO's. Every read is bounded by the
// client's command timeout, so a slow server is waited for, never misread.
// The check costs one connection (Connections is 1 once dialled).
func (c *Client) STARTTLSInjection(ctx context.Context, ip string, hs Handshake) evidence.VulnCheck {
	injected := "EHLO " + c.cfg.EHLOName
	check := evidence.VulnCheck{Status: evidence.VulnInconclusive}
	raw, _, err := c.startTLS(ctx, ip, injected)
	var ev *evidence.Error
	if errors.As(err, &ev) && ev.Step != StepConnect {
		check.Connections = 1
	}
	if err != nil {
		check.Error = evidence.Classify("starttls_injection", err)
		check.Detail = "the dialogue up to STARTTLS failed: " + check.Error.Error()
		return check
	}
	check.Connections = 1
	if pc, ok := raw.(*prefixConn); ok && len(pc.prefix) > 0 {
		// The server answered the injected line in clear text before
		// TLS: not the flaw (nothing crosses into TLS), but the handshake
		// cannot work on these bytes.
		_ = raw.Close()
		check.Detail = fmt.Sprintf("the server answered the command sent with STARTTLS before TLS started (%d bytes of clear text after the 220)", len(pc.prefix))
		return check
	}
	tc, err := hs(ctx, raw)
	if err != nil {
		_ = raw.Close()
		check.Error = evidence.Classify("handshake", err)
		check.Detail = "the handshake failed: " + check.Error.Error()
		return check
	}
	defer func() { _ = tc.Close() }()
	stop := context.AfterFunc(ctx, func() { _ = tc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	rd := NewReader(tc, c.cfg.MaxLineLength, c.cfg.MaxReplyLines)
	send := func(cmd string) error {
		deadline := time.Now().Add(c.cfg.CommandTimeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		if err := tc.SetDeadline(deadline); err != nil {
			return err
		}
		_, err := io.WriteString(tc, cmd+"\r\n")
		return err
	}
	if err := send("NOOP"); err != nil {
		check.Error = evidence.Classify("starttls_injection", err)
		check.Detail = "NOOP could not be sent inside TLS: " + check.Error.Error()
		return check
	}
	first, err := rd.ReadReply()
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) && ctx.Err() == nil:
		check.Status = evidence.VulnNotVulnerable
		check.Detail = "the server closed the session after the handshake without answering anything, the command sent with STARTTLS included"
		return check
	default:
		check.Error = evidence.Classify("starttls_injection", err)
		check.Detail = "no reply to NOOP inside TLS: " + check.Error.Error()
		return check
	}
	if first.Code == codeUnavailable {
		// RFC 5321 §3.8: 421 may come unprompted from a server shutting
		// the channel; it answers nothing in particular.
		check.Detail = "the server ended the session inside TLS with " + replyText(first)
		return check
	}
	// The QUIT both ends the session politely and marks the end of the
	// replies: whatever precedes its 221, after the first reply, answers a
	// command we never sent inside TLS.
	var more []evidence.Reply
	var endErr error
	if err := send("QUIT"); err != nil {
		endErr = err
	}
	for endErr == nil && len(more) < maxInjectionReplies {
		r, err := rd.ReadReply()
		if err != nil {
			endErr = err
			break
		}
		if r.Code == codeBye || r.Code == codeUnavailable {
			break
		}
		more = append(more, r)
	}
	switch {
	case len(more) > 0:
		check.Status = evidence.VulnVulnerable
		check.Detail = fmt.Sprintf("inside TLS the server answered one command more than we sent: the %q sent in clear text with STARTTLS drew %s, then our NOOP drew %s",
			injected, replyText(first), replyText(more[0]))
	case endErr != nil && !errors.Is(endErr, io.EOF) && first.Code == codeOK && len(first.Lines) > 1:
		// No end marker, but NOOP is answered in one line: a multi-line
		// 250 is an EHLO reply, the injected command's.
		check.Status = evidence.VulnVulnerable
		check.Detail = fmt.Sprintf("inside TLS the first reply was a multi-line %s, an answer to the %q sent in clear text with STARTTLS, not to our NOOP", replyText(first), injected)
	case endErr != nil && !errors.Is(endErr, io.EOF):
		check.Error = evidence.Classify("starttls_injection", endErr)
		check.Detail = fmt.Sprintf("NOOP drew %s, then the reply to QUIT did not come: %s", replyText(first), check.Error.Error())
	default:
		check.Status = evidence.VulnNotVulnerable
		check.Detail = fmt.Sprintf("inside TLS the server answered only NOOP (%s) and QUIT: the command sent with STARTTLS was discarded", replyText(first))
	}
	return check
}

// replyText is a reply for a detail sentence: its code and first line, quoted.
func replyText(r evidence.Reply) string {
	line := ""
	if len(r.Lines) > 0 {
		line = r.Lines[0]
	}
	if len(r.Lines) > 1 {
		line += fmt.Sprintf(" (+%d lines)", len(r.Lines)-1)
	}
	return fmt.Sprintf("%d %s", r.Code, quote(line))
}
