// Package smtp speaks the SMTP dialogue of a probe up to STARTTLS: banner,
// EHLO (HELO only when EHLO is refused), STARTTLS and QUIT, with every step
// bounded in time and size. It records what the server said as evidence and
// classifies every failure.
//
// The client is polite by construction: it never sends MAIL, RCPT or DATA,
// never pipelines, waits for each reply and says QUIT whenever the dialogue
// is in a state where that makes sense.
package smtp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Defaults of Config.
const (
	// DefaultPort is the SMTP port of MX hosts.
	DefaultPort = 25
	// DefaultConnectTimeout bounds the TCP connect.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultBannerTimeout bounds the whole greeting. RFC 5321 §4.5.3.2.1
	// suggests 5 minutes for a sender; an auditor need not wait that long.
	DefaultBannerTimeout = 30 * time.Second
	// DefaultCommandTimeout bounds one command and its whole reply.
	DefaultCommandTimeout = 30 * time.Second
	// quitTimeout caps the wait for the reply to QUIT: nothing depends on it.
	quitTimeout = 5 * time.Second
	// maxPort is the highest TCP port.
	maxPort = 65535
	// maxNameLength and maxLabelLength are the DNS limits (RFC 1035 §2.3.4).
	maxNameLength  = 253
	maxLabelLength = 63
)

// Step names used in the Step field of the errors this package returns.
const (
	StepConnect     = "connect"
	StepBanner      = "banner"
	StepEHLO        = "ehlo"
	StepHELO        = "helo"
	StepSTARTTLS    = "starttls"
	StepPostTLSEHLO = "post_tls_ehlo"
	StepQuit        = "quit"
)

// SMTP reply codes the dialogue acts on (RFC 5321 §4.2.3, RFC 3207 §4).
const (
	codeReady       = 220 // greeting; ready to start TLS
	codeOK          = 250
	codeUnavailable = 421 // service not available, closing the channel
	codeTransient   = 400 // lowest transient negative completion code
	codePermanent   = 500 // lowest permanent negative completion code
)

// TruncatedMark ends a transcript line that was cut at MaxLineLength.
const TruncatedMark = " [truncated]"

// keywordSTARTTLS is the EHLO keyword of RFC 3207 §4.
const keywordSTARTTLS = "STARTTLS"

// ErrNoSTARTTLS is matched (errors.Is) by the error StartTLS returns when the
// server does not offer STARTTLS, or only answered HELO. The same error also
// unwraps (errors.As) to a *evidence.Error of kind ErrProtocol, step "ehlo"
// or "helo".
var ErrNoSTARTTLS = errors.New("starttls not offered")

// stepError carries a classified error together with a sentinel, so callers
// can use errors.Is for the sentinel and errors.As for the evidence.
type stepError struct {
	ev       *evidence.Error
	sentinel error
}

func (e *stepError) Error() string   { return e.ev.Error() }
func (e *stepError) Unwrap() []error { return []error{e.ev, e.sentinel} }

// Config configures a Client. Zero values select the defaults.
type Config struct {
	// Port is the TCP port to connect to; DefaultPort when 0.
	Port int
	// EHLOName is the name announced in EHLO and HELO; it must be a fully
	// qualified domain name (letters, digits and hyphens, at least one dot).
	EHLOName string
	// ConnectTimeout bounds the TCP connect; DefaultConnectTimeout when 0.
	ConnectTimeout time.Duration
	// BannerTimeout bounds the whole greeting; DefaultBannerTimeout when 0.
	BannerTimeout time.Duration
	// CommandTimeout bounds each command with its whole reply;
	// DefaultCommandTimeout when 0.
	CommandTimeout time.Duration
	// MaxLineLength caps one reply line, CRLF excluded; longer lines fail
	// with ErrTooLong. DefaultMaxLineLength when 0.
	MaxLineLength int
	// MaxReplyLines caps the lines of one reply; DefaultMaxReplyLines when 0.
	MaxReplyLines int
	// Dial opens the TCP connection; (&net.Dialer{}).DialContext when nil.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
}

// Client runs SMTP dialogues. It holds only configuration, so one Client
// may serve many goroutines.
type Client struct {
	cfg Config
}

// New checks cfg, fills in its defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	if err := validFQDN(cfg.EHLOName); err != nil {
		return nil, fmt.Errorf("smtp: ehlo name %q: %w", cfg.EHLOName, err)
	}
	if cfg.Port < 0 || cfg.Port > maxPort {
		return nil, fmt.Errorf("smtp: port %d out of range", cfg.Port)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"connect timeout", cfg.ConnectTimeout}, {"banner timeout", cfg.BannerTimeout}, {"command timeout", cfg.CommandTimeout}} {
		if d.v < 0 {
			return nil, fmt.Errorf("smtp: negative %s %v", d.name, d.v)
		}
	}
	if cfg.MaxLineLength < 0 || cfg.MaxReplyLines < 0 {
		return nil, fmt.Errorf("smtp: negative size cap (line %d, lines %d)", cfg.MaxLineLength, cfg.MaxReplyLines)
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.BannerTimeout == 0 {
		cfg.BannerTimeout = DefaultBannerTimeout
	}
	if cfg.CommandTimeout == 0 {
		cfg.CommandTimeout = DefaultCommandTimeout
	}
	if cfg.MaxLineLength == 0 {
		cfg.MaxLineLength = DefaultMaxLineLength
	}
	if cfg.MaxReplyLines == 0 {
		cfg.MaxReplyLines = DefaultMaxReplyLines
	}
	if cfg.Dial == nil {
		cfg.Dial = (&net.Dialer{}).DialContext
	}
	return &Client{cfg: cfg}, nil
}

// validFQDN accepts LDH labels of 1 to 63 bytes, no leading or trailing
// hyphen, at least two labels, no trailing dot, and a last label that is not
// all digits (an IP address belongs in an address literal, not here).
func validFQDN(name string) error {
	if name == "" {
		return errors.New("empty")
	}
	if len(name) > maxNameLength {
		return fmt.Errorf("longer than %d bytes", maxNameLength)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return errors.New("not fully qualified (no dot)")
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabelLength {
			return fmt.Errorf("label %q must be 1 to %d bytes", l, maxLabelLength)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("label %q starts or ends with a hyphen", l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("label %q has a character other than a letter, digit or hyphen", l)
			}
		}
	}
	if _, err := strconv.Atoi(labels[len(labels)-1]); err == nil {
		return errors.New("top-level label is numeric")
	}
	return nil
}

// StartTLS dials ip on the configured port, reads the banner, sends EHLO
// (HELO when EHLO gets a 5xx), checks that STARTTLS is offered, sends
// STARTTLS and reads its reply.
//
// On success it returns the raw connection positioned right after the 220
// reply, so the next bytes are TLS, with its deadline cleared; the caller
// owns it. Bytes the server sent with its 220, before any TLS, are recorded
// in sess.DataAfterSTARTTLS and are the first bytes the connection returns. On failure it returns a nil connection, the partial session and
// a classified error that errors.As turns into a *evidence.Error (and that
// errors.Is matches against ErrNoSTARTTLS when STARTTLS is not offered); the
// connection has been closed, after QUIT when the dialogue still allowed it.
// The session is never nil.
func (c *Client) StartTLS(ctx context.Context, ip string) (net.Conn, *evidence.SMTPSession, error) {
	return c.startTLS(ctx, ip, "")
}

func (c *Client) startTLS(ctx context.Context, ip, inject string) (net.Conn, *evidence.SMTPSession, error) {
	sess := &evidence.SMTPSession{EHLOName: c.cfg.EHLOName}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return nil, sess, evidence.Errorf(evidence.ErrInternal, StepConnect, "not an ip address: %s", quote(ip))
	}
	conn, err := c.dial(ctx, addr)
	if err != nil {
		return nil, sess, err
	}
	d := c.newDialogue(ctx, conn, sess, time.Now())
	d.inject = inject
	sess.ConnectedAt = d.start
	// Cancelling ctx must abort a read or write in progress, not only the next step.
	stop := context.AfterFunc(ctx, d.abort)

	nc, f := d.run()
	if !stop() && f == nil {
		// ctx ended as the dialogue finished: the abort may have set a
		// deadline on the connection we were about to hand out.
		f = d.fail(StepSTARTTLS, ctx.Err())
	}
	if f != nil {
		_ = conn.Close()
		return nil, sess, f.err
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		_ = conn.Close()
		return nil, sess, evidence.Classify(StepSTARTTLS, err)
	}
	return nc, sess, nil
}

func (c *Client) dial(ctx context.Context, addr netip.Addr) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	defer cancel()
	conn, err := c.cfg.Dial(dctx, "tcp", net.JoinHostPort(addr.String(), strconv.Itoa(c.cfg.Port)))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, evidence.Classify(StepConnect, fmt.Errorf("%w: %v", ctxErr, err))
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, evidence.Classify(StepConnect, fmt.Errorf("no connection within %v: %w", c.cfg.ConnectTimeout, err))
		}
		return nil, evidence.Classify(StepConnect, err)
	}
	return conn, nil
}

// AfterTLS runs EHLO inside an established TLS connection, records the reply
// in sess.PostTLSEHLO and whether STARTTLS is advertised again in
// sess.STARTTLSAfterTLS (RFC 3207 §4.2 forbids it), then sends QUIT and
// reads its reply. What follows the EHLO reply is recorded in the
// transcript but cannot fail the call. AfterTLS always closes conn. The
// transcript lines it adds count their offsets from sess.ConnectedAt, or
// from the call when that is zero.
func (c *Client) AfterTLS(ctx context.Context, conn net.Conn, sess *evidence.SMTPSession) error {
	if sess == nil {
		_ = conn.Close()
		return evidence.Errorf(evidence.ErrInternal, StepPostTLSEHLO, "no smtp session given")
	}
	start := sess.ConnectedAt
	if start.IsZero() {
		start = time.Now()
	}
	d := c.newDialogue(ctx, conn, sess, start)
	stop := context.AfterFunc(ctx, d.abort)
	defer stop()
	defer func() { _ = conn.Close() }()

	reply, f := d.command(StepPostTLSEHLO, "EHLO "+c.cfg.EHLOName, c.cfg.CommandTimeout)
	if f != nil {
		return f.err
	}
	sess.PostTLSEHLO = &reply
	switch {
	case reply.Code == codeOK:
		_, offered := extensions(reply)
		sess.STARTTLSAfterTLS = &offered
		d.quit()
		return nil
	case reply.Code == codeUnavailable:
		return d.reject(StepPostTLSEHLO, reply).err
	case reply.Code >= codeTransient:
		d.quit()
		return d.reject(StepPostTLSEHLO, reply).err
	}
	return d.protocol(StepPostTLSEHLO, "reply code %d to ehlo, want %d", reply.Code, codeOK).err
}
