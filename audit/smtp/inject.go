package smtp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Handshake turns the raw connection after the 220 to STARTTLS into a TLS
// connection; the caller's TLS client (this package speaks no TLS).
type Handshake func(ctx context.Context, conn net.Conn) (net.Conn, error)

// DefaultInjectionWait bounds the wait for an unprompted reply after the
// handshake of the STARTTLS injection test: a vulnerable server answers
// the injected command at once.
const DefaultInjectionWait = 2 * time.Second

// STARTTLSInjection tests for the CVE-2011-0411 family on one new
// connection: after EHLO it sends "STARTTLS" and an EHLO in one write,
// completes the handshake with hs, and waits up to wait, sending nothing,
// for a reply. A fixed server discards what arrived before TLS and says
// nothing; a reply to the injected EHLO (a 250 or a 503) inside TLS means
// the server executes cleartext commands in the encrypted session, which
// an attacker on the path can inject. The connection is closed after a
// QUIT. The check costs one connection (Connections is 1 once dialled).
func (c *Client) STARTTLSInjection(ctx context.Context, ip string, hs Handshake, wait time.Duration) evidence.VulnCheck {
	if wait <= 0 {
		wait = DefaultInjectionWait
	}
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
	deadline := time.Now().Add(wait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := tc.SetDeadline(deadline); err != nil {
		check.Error = evidence.Classify("starttls_injection", err)
		return check
	}
	stop := context.AfterFunc(ctx, func() { _ = tc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	rd := NewReader(tc, c.cfg.MaxLineLength, c.cfg.MaxReplyLines)
	reply, err := rd.ReadReply()
	switch {
	case err == nil:
		check.Status = evidence.VulnVulnerable
		check.Detail = fmt.Sprintf("after the handshake, before we sent anything, the server answered the %q sent in clear text with STARTTLS: %d %s",
			injected, reply.Code, quote(strings.Join(reply.Lines, " ")))
	case errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil:
		check.Status = evidence.VulnNotVulnerable
		check.Detail = fmt.Sprintf("no unprompted reply within %v of the handshake: the command sent with STARTTLS was discarded", wait)
	case errors.Is(err, io.EOF):
		check.Status = evidence.VulnNotVulnerable
		check.Detail = "the server closed the session after the handshake without answering the command sent with STARTTLS"
	default:
		check.Error = evidence.Classify("starttls_injection", err)
		check.Detail = "reading after the handshake failed: " + check.Error.Error()
		return check
	}
	if ctx.Err() == nil {
		// Leave politely; nothing depends on the answer.
		_ = tc.SetDeadline(time.Now().Add(min(quitTimeout, c.cfg.CommandTimeout)))
		if _, err := io.WriteString(tc, "QUIT\r\n"); err == nil {
			_, _ = rd.ReadReply()
		}
	}
	return check
}
