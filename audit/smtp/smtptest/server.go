// Package smtptest runs fake SMTP servers on loopback for the tests of the
// scanner and for the demo fleet: well-behaved ones, and the broken, slow,
// hostile and buggy ones a scanner meets on the Internet.
//
// Every server is bounded: each read and write has a deadline, command lines
// are capped, each connection handles a bounded number of commands, and
// Close ends every connection and waits for its goroutine.
package smtptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"
)

// Defaults and bounds of the fake servers.
const (
	// DefaultHostname is the server name in greetings and EHLO replies.
	DefaultHostname = "mx.smtptest.invalid"
	// IOTimeout bounds every read and write of a server.
	IOTimeout = 30 * time.Second
	// MaxCommandLine caps a command line, CRLF excluded (RFC 5321 §4.5.3.1.4
	// allows 512; we are lenient).
	MaxCommandLine = 4096
	// MaxCommands caps the commands one connection may send.
	MaxCommands = 100
	// maxEndlessLines bounds the endless banner even if nobody closes.
	maxEndlessLines = 1 << 20
	// garbageLength is the size of the garbage greeting.
	garbageLength = 64
	// drainCap bounds what is read from a client before closing politely.
	drainCap = 1 << 16
	// acceptBackoff is the pause after a failed Accept.
	acceptBackoff = 10 * time.Millisecond
)

// SMTP reply codes the servers send.
const (
	codeReady        = 220
	codeBye          = 221
	codeOK           = 250
	codeUnavailable  = 421
	codeSyntax       = 500
	codeNotImpl      = 502
	codeBadSequence  = 503
	codeNoService    = 554
	defaultSTARTTLS  = codeReady
	defaultGreetCode = codeReady
)

// Command verbs counted in Stats.Commands. Any other verb counts as OtherVerb.
const (
	VerbEHLO     = "EHLO"
	VerbHELO     = "HELO"
	VerbSTARTTLS = "STARTTLS"
	VerbQUIT     = "QUIT"
	VerbNOOP     = "NOOP"
	VerbMAIL     = "MAIL"
	VerbRCPT     = "RCPT"
	VerbDATA     = "DATA"
	OtherVerb    = "other"
)

// defaultExtensions are the EHLO keywords advertised when Behavior.Extensions is nil.
func defaultExtensions() []string { return []string{"PIPELINING", "SIZE 10240000", "8BITMIME"} }

// Behavior describes how a fake server behaves. The zero value is a modern
// server: 220 greeting, EHLO with STARTTLS, TLS with a self-signed
// certificate for Hostname.
type Behavior struct {
	// Hostname is the name in the greeting and the EHLO reply; DefaultHostname when empty.
	Hostname string
	// Banner are the greeting lines; "<Hostname> ESMTP smtptest" when nil.
	// Several lines make a multi-line greeting.
	Banner []string
	// BannerCode is the greeting code, 220 when 0. 421 refuses and closes;
	// 554 refuses, then answers 503 to everything but QUIT (RFC 5321 §3.1).
	BannerCode int
	// BannerDelay is a pause before the greeting (a slow server).
	BannerDelay time.Duration
	// Drip, when positive, sends the greeting one byte per Drip (a tarpit).
	Drip time.Duration
	// EndlessBanner sends "220-..." lines until the client goes away.
	EndlessBanner bool
	// Garbage sends a line of random non-SMTP bytes instead of a greeting.
	Garbage bool
	// RejectEHLO answers 502 to EHLO, so clients must fall back to HELO.
	RejectEHLO bool
	// NoSTARTTLS leaves STARTTLS out of the EHLO reply and answers 502 to it.
	NoSTARTTLS bool
	// STARTTLSCode is the reply code to STARTTLS, 220 when 0 (454 says
	// "TLS not available"). Only 220 starts TLS.
	STARTTLSCode int
	// STARTTLSFailures, when positive, limits STARTTLSCode to the first
	// this many STARTTLS commands the server receives (over all its
	// connections); later ones get 220: a passing "454 TLS not available".
	STARTTLSFailures int
	// Extensions are the EHLO keywords besides STARTTLS; PIPELINING,
	// "SIZE 10240000" and 8BITMIME when nil (an empty slice sends none).
	Extensions []string
	// TLS is the server configuration used after STARTTLS; when nil (and no
	// TLSHandler is set) Start makes one with a self-signed certificate.
	TLS *tls.Config
	// TLSHandler, when set, gets the raw connection after the 220 reply to
	// STARTTLS instead of crypto/tls; the server closes it when it returns.
	TLSHandler func(net.Conn)
	// BrokenTLS answers the client's first TLS bytes with garbage instead
	// of a TLS handshake.
	BrokenTLS bool
	// DataAfterSTARTTLS is sent in the same write as the 220 to STARTTLS,
	// before any TLS: the injection or buffering bug a client must not
	// hand to its TLS layer.
	DataAfterSTARTTLS []byte
	// AdvertiseSTARTTLSAfterTLS advertises STARTTLS again inside TLS, the
	// bug RFC 3207 §4.2 forbids.
	AdvertiseSTARTTLSAfterTLS bool
	// STARTTLSInjectable keeps the commands a client sent after STARTTLS,
	// before TLS, and runs them inside TLS: the CVE-2011-0411 bug. Without
	// it they are discarded, as a fixed server does.
	STARTTLSInjectable bool
	// PostTLSEHLOCode, when set, answers EHLO inside TLS with this code
	// and closes the connection, as Postfix does when it requires a client
	// certificate the client did not send ("421 4.7.1 Error: No client
	// certificate presented", after a completed handshake).
	PostTLSEHLOCode int
	// PostTLSEHLOFailures, when positive, limits PostTLSEHLOCode to the
	// first this many EHLO commands inside TLS the server receives (over
	// all its connections); later ones are answered: a refusal after the
	// handshake that clears on a second session.
	PostTLSEHLOFailures int
	// MaxConns, when positive, answers "421 too many connections" to a
	// connection that would make more than MaxConns open at once.
	MaxConns int
	// ThrottleAfter, when positive, is a provider's rate limit: after that
	// many connections, every new one is answered "421 too many
	// connections" until ThrottleFor has passed; then the count starts
	// again.
	ThrottleAfter int
	ThrottleFor   time.Duration
	// Latency, when positive, simulates a distant server on loopback: the
	// greeting comes two round trips of Latency after the connection is
	// accepted (the TCP handshake, then the greeting's own trip), and every
	// write that answers bytes read from the client comes one round trip
	// late. It applies to the SMTP replies, the TLS handshake flights and
	// TLSHandler alike, on top of BannerDelay.
	Latency time.Duration

	// latencyWait, when set (by tests only), replaces the wait for a
	// simulated round trip so its durations can be asserted.
	latencyWait func(time.Duration) bool
}

// Stats counts what a server saw.
type Stats struct {
	// Connections is the number of connections accepted.
	Connections int
	// MaxConcurrent is the peak number of connections open at once.
	MaxConcurrent int
	// Commands counts command verbs (the Verb constants and OtherVerb).
	Commands map[string]int
	// Pipelined counts commands that arrived while an earlier one still
	// awaited its reply (data already buffered behind a command).
	Pipelined int
	// Throttled counts connections refused under ThrottleAfter.
	Throttled int
}

// Server is a running fake SMTP server.
type Server struct {
	b  Behavior
	ln net.Listener
	wg sync.WaitGroup
	// done is closed by Close to wake sleeping handlers.
	done chan struct{}

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]struct{}
	stats  Stats
	// window counts the connections taken since the last throttle period;
	// throttledUntil ends the current one.
	window         int
	throttledUntil time.Time
	// starttlsRefused counts STARTTLS commands answered with STARTTLSCode.
	starttlsRefused int
	// postTLSRefused counts EHLO commands inside TLS answered with PostTLSEHLOCode.
	postTLSRefused int
}

// Start listens on addr (such as "127.0.0.5:0") and serves b until Close.
func Start(addr string, b Behavior) (*Server, error) {
	if b.Hostname == "" {
		b.Hostname = DefaultHostname
	}
	if b.BannerCode == 0 {
		b.BannerCode = defaultGreetCode
	}
	if b.STARTTLSCode == 0 {
		b.STARTTLSCode = defaultSTARTTLS
	}
	if b.Extensions == nil {
		b.Extensions = defaultExtensions()
	}
	if b.TLS == nil && b.TLSHandler == nil && !b.BrokenTLS {
		now := time.Now()
		cert, err := SelfSignedCert([]string{b.Hostname}, now.Add(-time.Hour), now.Add(24*time.Hour))
		if err != nil {
			return nil, fmt.Errorf("smtptest: default certificate: %w", err)
		}
		b.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smtptest: listen on %s: %w", addr, err)
	}
	s := &Server{
		b:     b,
		ln:    ln,
		done:  make(chan struct{}),
		conns: make(map[net.Conn]struct{}),
		stats: Stats{Commands: make(map[string]int)},
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops accepting, closes every open connection and waits for all
// handlers to return. It may be called more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	err := s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Stats returns a copy of the counters so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Commands = make(map[string]int, len(s.stats.Commands))
	for k, v := range s.stats.Commands {
		st.Commands[k] = v
	}
	return st
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			case <-time.After(acceptBackoff):
				continue
			}
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		s.stats.Connections++
		open := len(s.conns)
		s.stats.MaxConcurrent = max(s.stats.MaxConcurrent, open)
		throttled := s.throttle()
		s.wg.Add(1)
		s.mu.Unlock()
		go s.handle(conn, open, throttled)
	}
}

func (s *Server) count(verb string, pipelined bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Commands[verb]++
	if pipelined {
		s.stats.Pipelined++
	}
}

// throttle reports whether a new connection falls in a throttle period
// (ThrottleAfter); s.mu is held.
func (s *Server) throttle() bool {
	if s.b.ThrottleAfter <= 0 {
		return false
	}
	now := time.Now()
	if now.Before(s.throttledUntil) {
		s.stats.Throttled++
		return true
	}
	if s.window >= s.b.ThrottleAfter {
		s.window = 0
		s.throttledUntil = now.Add(s.b.ThrottleFor)
		s.stats.Throttled++
		return true
	}
	s.window++
	return false
}

// refuseSTARTTLS reports whether this STARTTLS gets STARTTLSCode rather
// than 220, counting it under STARTTLSFailures.
func (s *Server) refuseSTARTTLS() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.STARTTLSFailures > 0 && s.starttlsRefused >= s.b.STARTTLSFailures {
		return false
	}
	s.starttlsRefused++
	return true
}

// refusePostTLS reports whether this EHLO inside TLS gets PostTLSEHLOCode,
// counting it under PostTLSEHLOFailures.
func (s *Server) refusePostTLS() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.PostTLSEHLOFailures > 0 && s.postTLSRefused >= s.b.PostTLSEHLOFailures {
		return false
	}
	s.postTLSRefused++
	return true
}

// handle serves one connection; open is the number open including it.
func (s *Server) handle(conn net.Conn, open int, throttled bool) {
	c := &session{srv: s, conn: conn, br: bufio.NewReader(conn)}
	defer func() {
		_ = c.conn.Close()
		_ = conn.Close()
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		s.wg.Done()
	}()
	b := &s.b
	if b.Latency > 0 {
		wait := b.latencyWait
		if wait == nil {
			wait = s.sleep
		}
		c.conn = &latencyConn{Conn: conn, wait: wait, owed: connectTrips * b.Latency, rtt: b.Latency}
		c.br = bufio.NewReader(c.conn)
	}
	if throttled || (b.MaxConns > 0 && open > b.MaxConns) {
		_ = c.reply(codeUnavailable, "too many connections")
		return
	}
	if !s.sleep(b.BannerDelay) {
		return
	}
	switch {
	case b.Garbage:
		c.garbage()
		return
	case b.EndlessBanner:
		c.endless()
		return
	}
	if err := c.greet(); err != nil {
		return
	}
	switch b.BannerCode {
	case codeUnavailable:
		return
	case codeNoService:
		c.refuse()
		return
	}
	c.serve()
}

// sleep waits for d or Close; it reports whether the server is still open.
func (s *Server) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

// session is the state of one connection.
type session struct {
	srv  *Server
	conn net.Conn // the TLS connection once TLS is up
	br   *bufio.Reader
	tls  bool
}

// write sends p within IOTimeout.
func (c *session) write(p []byte) error {
	if err := c.conn.SetWriteDeadline(time.Now().Add(IOTimeout)); err != nil {
		return err
	}
	_, err := c.conn.Write(p)
	return err
}

// format renders a reply of one or more lines.
func format(code int, lines ...string) []byte {
	if len(lines) == 0 {
		lines = []string{""}
	}
	var buf bytes.Buffer
	for i, l := range lines {
		sep := '-'
		if i == len(lines)-1 {
			sep = ' '
		}
		fmt.Fprintf(&buf, "%d%c%s\r\n", code, sep, l)
	}
	return buf.Bytes()
}

func (c *session) reply(code int, lines ...string) error {
	return c.write(format(code, lines...))
}

// greet sends the greeting, dripping it when asked.
func (c *session) greet() error {
	b := &c.srv.b
	lines := b.Banner
	if lines == nil {
		switch b.BannerCode {
		case codeUnavailable:
			lines = []string{b.Hostname + " service not available, closing channel"}
		case codeNoService:
			lines = []string{b.Hostname + " no SMTP service here"}
		default:
			lines = []string{b.Hostname + " ESMTP smtptest"}
		}
	}
	msg := format(b.BannerCode, lines...)
	if b.Drip <= 0 {
		return c.write(msg)
	}
	for i := range msg {
		if err := c.write(msg[i : i+1]); err != nil {
			return err
		}
		if i < len(msg)-1 && !c.srv.sleep(b.Drip) {
			return net.ErrClosed
		}
	}
	return nil
}

// garbage sends a line of bytes that cannot start an SMTP reply, then
// waits for the client to leave.
func (c *session) garbage() {
	p := make([]byte, garbageLength, garbageLength+2)
	for i := range p {
		p[i] = byte(0x80 + rand.N(0x80)) // high bytes: never a digit, CR or LF
	}
	if c.write(append(p, '\r', '\n')) == nil {
		c.drain()
	}
}

// endless streams greeting continuation lines until the client goes away.
func (c *session) endless() {
	for i := range maxEndlessLines {
		select {
		case <-c.srv.done:
			return
		default:
		}
		line := fmt.Sprintf("%d-%s endless banner line %d\r\n", codeReady, c.srv.b.Hostname, i)
		if c.write([]byte(line)) != nil {
			return
		}
	}
}

// drain reads what the client sends, up to a cap, until it closes, so
// that closing does not reset a connection with unread data.
func (c *session) drain() {
	buf := make([]byte, 512)
	for n := 0; n < drainCap; {
		if err := c.conn.SetReadDeadline(time.Now().Add(IOTimeout)); err != nil {
			return
		}
		k, err := c.conn.Read(buf)
		n += k
		if err != nil {
			return
		}
	}
}

// readCommand reads one command line within IOTimeout and counts its verb.
func (c *session) readCommand() (verb, arg string, err error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(IOTimeout)); err != nil {
		return "", "", err
	}
	var line []byte
	for {
		frag, err := c.br.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > MaxCommandLine+2 {
			_ = c.reply(codeSyntax, "line too long")
			return "", "", errors.New("smtptest: command line too long")
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", "", err
		}
	}
	text := strings.TrimRight(string(line), "\r\n")
	verb, arg, _ = strings.Cut(text, " ")
	verb = strings.ToUpper(verb)
	switch verb {
	case VerbEHLO, VerbHELO, VerbSTARTTLS, VerbQUIT, VerbNOOP, VerbMAIL, VerbRCPT, VerbDATA:
	default:
		verb = OtherVerb
	}
	c.srv.count(verb, c.br.Buffered() > 0)
	return verb, arg, nil
}

// refuse is the RFC 5321 §3.1 behaviour after a 554 greeting: 503 to
// everything until QUIT.
func (c *session) refuse() {
	for range MaxCommands {
		verb, _, err := c.readCommand()
		if err != nil {
			return
		}
		if verb == VerbQUIT {
			_ = c.reply(codeBye, "bye")
			return
		}
		if c.reply(codeBadSequence, "bad sequence of commands") != nil {
			return
		}
	}
}

// serve answers commands until QUIT, an error or MaxCommands.
func (c *session) serve() {
	b := &c.srv.b
	for range MaxCommands {
		verb, _, err := c.readCommand()
		if err != nil {
			return
		}
		switch verb {
		case VerbEHLO:
			if b.RejectEHLO {
				err = c.reply(codeNotImpl, "command not implemented")
				break
			}
			if c.tls && b.PostTLSEHLOCode != 0 && c.srv.refusePostTLS() {
				_ = c.reply(b.PostTLSEHLOCode, "4.7.1 "+b.Hostname+" Error: No client certificate presented")
				return
			}
			lines := append([]string{b.Hostname}, b.Extensions...)
			if (!c.tls && !b.NoSTARTTLS) || (c.tls && b.AdvertiseSTARTTLSAfterTLS) {
				lines = append(lines, VerbSTARTTLS)
			}
			err = c.reply(codeOK, lines...)
		case VerbHELO:
			err = c.reply(codeOK, b.Hostname)
		case VerbSTARTTLS:
			switch {
			case c.tls:
				err = c.reply(codeBadSequence, "TLS already active")
			case b.NoSTARTTLS:
				err = c.reply(codeNotImpl, "command not implemented")
			case b.STARTTLSCode != codeReady && c.srv.refuseSTARTTLS():
				err = c.reply(b.STARTTLSCode, "TLS not available")
			default:
				msg := append(format(codeReady, "ready to start TLS"), b.DataAfterSTARTTLS...)
				if err := c.write(msg); err != nil {
					return
				}
				if !c.startTLS() {
					return
				}
			}
		case VerbNOOP:
			// RFC 5321 §4.1.1.9: NOOP is always answered 250.
			err = c.reply(codeOK, "2.0.0 Ok")
		case VerbQUIT:
			_ = c.reply(codeBye, "bye")
			return
		default:
			err = c.reply(codeNotImpl, "command not implemented")
		}
		if err != nil {
			return
		}
	}
}

// startTLS takes over after the 220 to STARTTLS; it reports whether the
// SMTP dialogue goes on inside TLS.
func (c *session) startTLS() bool {
	b := &c.srv.b
	// Anything the client sent after STARTTLS before TLS is discarded
	// (the CVE-2011-0411 lesson): a new reader starts on the raw conn.
	raw := c.conn
	var injected []byte
	if b.STARTTLSInjectable && c.br.Buffered() > 0 {
		injected, _ = c.br.Peek(c.br.Buffered())
		injected = bytes.Clone(injected)
	}
	switch {
	case b.TLSHandler != nil:
		b.TLSHandler(raw)
		return false
	case b.BrokenTLS:
		// Wait for the client's hello: garbage sent before it would be data
		// after the 220, another fault (DataAfterSTARTTLS).
		if !c.readSome() {
			return false
		}
		p := make([]byte, garbageLength)
		for i := range p {
			p[i] = byte(rand.N(0x100))
		}
		// Not a handshake record type, so no client can mistake it for TLS.
		p[0] = 0
		if c.write(p) == nil {
			if cw, ok := raw.(interface{ CloseWrite() error }); ok {
				_ = cw.CloseWrite()
			}
			c.drain()
		}
		return false
	}
	tc := tls.Server(raw, b.TLS)
	if err := tc.SetDeadline(time.Now().Add(IOTimeout)); err != nil {
		return false
	}
	if err := tc.Handshake(); err != nil {
		return false
	}
	c.conn, c.br, c.tls = tc, bufio.NewReader(io.MultiReader(bytes.NewReader(injected), tc)), true
	return true
}

// readSome waits for the client's first bytes after STARTTLS and reports
// whether any came.
func (c *session) readSome() bool {
	if err := c.conn.SetReadDeadline(time.Now().Add(IOTimeout)); err != nil {
		return false
	}
	buf := make([]byte, drainCap)
	n, _ := c.br.Read(buf)
	return n > 0
}

// connectTrips is the number of round trips before a greeting reaches a
// client: the TCP handshake's and the greeting's own.
const connectTrips = 2

// latencyConn delays every write that answers a read by one round trip,
// and the first write (the greeting) by the connection's set-up trips.
type latencyConn struct {
	net.Conn
	wait func(time.Duration) bool
	rtt  time.Duration

	mu   sync.Mutex
	owed time.Duration // delay owed to the next write
}

func (c *latencyConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.owed = c.rtt
		c.mu.Unlock()
	}
	return n, err
}

func (c *latencyConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	d := c.owed
	c.owed = 0
	c.mu.Unlock()
	if d > 0 && !c.wait(d) {
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

// CloseWrite half-closes the underlying TCP connection when it can.
func (c *latencyConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
