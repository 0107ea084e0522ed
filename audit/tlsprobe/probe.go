package tlsprobe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// DialFunc opens a connection positioned where the server expects a
// ClientHello: for SMTP, after the banner, EHLO and a 220 reply to STARTTLS.
// The context carries the deadline for the whole dial. An error that is (or
// wraps) an *evidence.Error keeps its classification.
type DialFunc func(ctx context.Context) (net.Conn, error)

// Defaults for Config.
const (
	DefaultStepTimeout  = 10 * time.Second
	DefaultChunkSize    = 100
	DefaultDialTimeout  = 30 * time.Second
	DefaultRetryBackoff = time.Second
)

// Enumeration limits.
const (
	// maxAttempts is one try and one retry of a failed dial or a timeout.
	maxAttempts = 2
	// minChunkSize and maxChunkHalvings bound how far a chunk shrinks when a
	// server answers decode_error to a chunked hello it cannot parse.
	minChunkSize     = 25
	maxChunkHalvings = 2
)

// Config says how a Prober probes. The zero value is usable.
type Config struct {
	// SNI is the server name sent in every hello.
	SNI string
	// StepTimeout bounds one exchange: the hello sent and the whole answer
	// read, however slowly it drips (default 10s). The dial has its own
	// DialTimeout.
	StepTimeout time.Duration
	// ChunkSize is the most suites one hello offers once a server has
	// refused the full list (default 100).
	ChunkSize int
	// Versions are the versions Run probes, among evidence.Versions
	// (default all six).
	Versions []string
	// DialTimeout bounds one call of the DialFunc, SMTP dialogue included
	// (default 30s).
	DialTimeout time.Duration
	// RetryBackoff is the pause before the single retry of a failed dial or
	// a timed-out exchange (default 1s).
	RetryBackoff time.Duration
	// Parallel is how many versions Run probes at once (default 1: one
	// after the other). A version's enumeration holds one connection at a
	// time, so Parallel also bounds the connections Run holds open; each
	// costs one greeting delay, which is what makes a slow server slow.
	Parallel int
}

func (c Config) stepTimeout() time.Duration  { return positiveOr(c.StepTimeout, DefaultStepTimeout) }
func (c Config) dialTimeout() time.Duration  { return positiveOr(c.DialTimeout, DefaultDialTimeout) }
func (c Config) retryBackoff() time.Duration { return positiveOr(c.RetryBackoff, DefaultRetryBackoff) }
func (c Config) chunkSize() int              { return positiveOr(c.ChunkSize, DefaultChunkSize) }
func (c Config) parallel() int               { return positiveOr(c.Parallel, 1) }

func (c Config) versions() []string {
	if len(c.Versions) == 0 {
		return evidence.Versions
	}
	return c.Versions
}

func positiveOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// Prober enumerates the versions and suites a server accepts, one fresh
// connection from Dial per hello. A Prober holds no state between calls and
// may be used by several goroutines at once.
type Prober struct {
	Dial   DialFunc
	Config Config
	// OnChain, when set, is called with every certificate chain a server
	// sends in cleartext (TLS 1.2 and older, and SSLv2), leaf first, so a
	// server that crypto/tls cannot complete a handshake with still has its
	// certificate checked. It may be called from several goroutines.
	OnChain func(version uint16, chain [][]byte)
	// Throttle, when set, paces the connections once the server starts
	// refusing them (see Throttle); share one per address.
	Throttle *Throttle
	// OnDHPrime, when set, is called with the prime of every finite-field
	// DH ServerKeyExchange (for LOGJAM: a short or widely shared prime). It
	// may be called from several goroutines.
	OnDHPrime func(prime []byte)
}

// Run probes the configured versions, Config.Parallel at a time, and
// returns one result per entry of evidence.Versions, in that order;
// versions left out of Config.Versions are NotTested.
func (p *Prober) Run(ctx context.Context) []evidence.VersionResult {
	want := p.Config.versions()
	out := make([]evidence.VersionResult, len(evidence.Versions))
	var todo []int
	for _, i := range startOrder {
		v := evidence.Versions[i]
		if !slices.Contains(want, v) {
			out[i] = evidence.VersionResult{Version: v, Support: evidence.NotTested, Reason: "not configured"}
			continue
		}
		todo = append(todo, i)
	}
	next := make(chan int, len(todo))
	for _, i := range todo {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(p.Config.parallel(), len(todo)) {
		wg.Go(func() {
			for i := range next {
				out[i] = p.Probe(ctx, evidence.Versions[i])
			}
		})
	}
	wg.Wait()
	return out
}

// startOrder is the order Run starts the versions in (indexes into
// evidence.Versions): the ones that usually accept the most suites, and so
// cost the most connections, first, so that parallel lanes end together.
// One lane probes them in this order too.
var startOrder = func() []int {
	order := []string{evidence.TLS12, evidence.TLS10, evidence.TLS11, evidence.TLS13, evidence.SSLv3, evidence.SSLv2}
	idx := make([]int, len(order))
	for i, v := range order {
		idx[i] = slices.Index(evidence.Versions, v)
	}
	return idx
}()

// Probe finds whether the server accepts one version and which suites,
// by elimination: offer every candidate, remove the suite chosen, repeat
// until refusal (N accepted suites cost N+1 connections). It then decides
// whose order the server follows, at most one more connection.
//
// Suites come in the server's order when Preference is PreferServer, in
// PreferenceOrder (a conventional strong-to-weak order) when it is
// PreferClient, and in the order found otherwise.
//
// A timeout or failed dial is retried once; if it persists the result keeps
// the suites found so far with Complete false and Error set, and Support is
// Inconclusive when nothing was accepted yet, Supported otherwise (an
// accepted ServerHello already proves the version). A server that breaks
// the protocol (a suite not offered, a version above the one offered) is
// not enumerated further: Reason starts with "anomaly:".
func (p *Prober) Probe(ctx context.Context, version string) evidence.VersionResult {
	res := evidence.VersionResult{Version: version}
	if p.Dial == nil {
		return internalError(res, "no dial function")
	}
	if version == evidence.SSLv2 {
		return p.probeSSLv2(ctx)
	}
	wire, ok := WireVersion(version)
	cands, ok2 := Candidates(version)
	if !ok || !ok2 || len(cands) == 0 {
		return internalError(res, "unknown version %q or empty suite registry", version)
	}
	e := &enumeration{
		p:       p,
		wire:    wire,
		res:     res,
		offered: make(map[uint16]bool),
		cands:   cands,
	}
	e.run(ctx)
	return e.result()
}

func internalError(res evidence.VersionResult, format string, args ...any) evidence.VersionResult {
	res.Support = evidence.Inconclusive
	res.Error = evidence.Errorf(evidence.ErrInternal, "handshake", format, args...)
	res.Reason = res.Error.Message
	return res
}

// exchangeResult is one hello sent and its answer read.
type exchangeResult struct {
	dialed  bool
	dialErr *evidence.Error
	resp    *ServerResponse
	pending bool  // a handshake message was cut in the middle
	err     error // write or read error; nil when the answer was complete
	ctxErr  error // the context's error when the exchange ended
}

// retryable reports whether the exchange failed in a way worth one retry:
// a failed dial that says nothing about TLS, or a timeout with no answer.
func (x exchangeResult) retryable() bool {
	if x.ctxErr != nil {
		return false
	}
	if x.dialErr != nil {
		return x.dialErr.Inconclusive() && x.dialErr.Kind != evidence.ErrCanceled
	}
	if x.err == nil || (x.resp != nil && (x.resp.Hello != nil || x.resp.Alert != nil || x.resp.SSLv2 != nil)) {
		return false
	}
	return evidence.Classify("handshake", x.err).Kind == evidence.ErrTimeout
}

// classify turns the exchange's failure into an evidence error.
func (x exchangeResult) classify() *evidence.Error {
	switch {
	case x.dialErr != nil:
		return x.dialErr
	case x.ctxErr != nil:
		return evidence.Classify("handshake", x.ctxErr)
	case x.err == nil:
		return evidence.Errorf(evidence.ErrProtocol, "handshake", "answer ended without a verdict")
	case errors.Is(x.err, ErrTooLarge):
		return &evidence.Error{Kind: evidence.ErrTooLong, Step: "handshake", Message: x.err.Error()}
	}
	return evidence.Classify("handshake", x.err)
}

// closedClean reports whether the server closed or reset the connection
// after the hello without sending anything we could not read whole.
func (x exchangeResult) closedClean() (string, bool) {
	if x.dialErr != nil || x.ctxErr != nil || x.err == nil || x.pending {
		return "", false
	}
	if errors.Is(x.err, io.EOF) && !errors.Is(x.err, io.ErrUnexpectedEOF) {
		return "closed the connection", true
	}
	switch evidence.Classify("handshake", x.err).Kind {
	case evidence.ErrReset:
		return "reset the connection", true
	case evidence.ErrClosed:
		if !errors.Is(x.err, ErrMalformed) {
			return "closed the connection", true
		}
	}
	return "", false
}

// exchange dials, sends the hello built by hello, and reads the answer,
// retrying once after a failed dial or a timeout. Every dial is counted in
// *conns.
func (p *Prober) exchange(ctx context.Context, conns *int, hello func() []byte) exchangeResult {
	return p.exchangeThen(ctx, conns, maxAttempts, hello, nil)
}

// exchangeThen is exchange with at most attempts tries of its own and an
// optional continuation (see roundTrip). Refusals the Throttle calls
// throttling are waited out and tried again without counting as attempts.
func (p *Prober) exchangeThen(ctx context.Context, conns *int, attempts int, hello func() []byte, then func(net.Conn, exchangeResult) bool) exchangeResult {
	var x exchangeResult
	for attempt := 0; attempt < attempts; {
		release, ok := p.Throttle.gate(ctx)
		if !ok {
			x.ctxErr = ctx.Err()
			if x.dialErr == nil {
				x.dialErr = evidence.Classify("connect", ctx.Err())
			}
			return x
		}
		x = p.roundTrip(ctx, hello(), then)
		release()
		if x.dialed {
			*conns++
		}
		if x.dialed && x.dialErr == nil {
			p.Throttle.Succeeded()
		}
		if x.ctxErr == nil && p.Throttle.refused(x.dialErr) {
			continue
		}
		attempt++
		if !x.retryable() || attempt >= attempts {
			return x
		}
		if !sleepCtx(ctx, p.Config.retryBackoff()) {
			x.ctxErr = ctx.Err()
			return x
		}
	}
	return x
}

// sleepCtx waits d or until ctx is done; it reports whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// roundTrip is one connection: dial, send, read, close. When then is set
// it gets the open connection after the answer was read; when it reports
// false (or is nil) a complete TLS ≤ 1.2 answer is refused with an alert.
func (p *Prober) roundTrip(ctx context.Context, hello []byte, then func(net.Conn, exchangeResult) bool) (x exchangeResult) {
	if err := ctx.Err(); err != nil {
		x.ctxErr = err
		x.dialErr = evidence.Classify("connect", err)
		return x
	}
	dctx, cancel := context.WithTimeout(ctx, p.Config.dialTimeout())
	conn, err := p.Dial(dctx)
	cancel()
	x.dialed = true
	if err != nil {
		x.ctxErr = ctx.Err()
		x.dialErr = evidence.Classify("connect", err)
		return x
	}
	if conn == nil {
		x.dialErr = evidence.Errorf(evidence.ErrInternal, "connect", "dial returned no connection")
		return x
	}
	defer conn.Close()

	// One deadline for the whole step: a server dripping a byte a second
	// must not keep us past it.
	deadline := time.Now().Add(p.Config.stepTimeout())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetDeadline(deadline); err != nil {
		x.dialErr = evidence.Errorf(evidence.ErrInternal, "handshake", "set deadline: %v", err)
		return x
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if _, err := conn.Write(hello); err != nil {
		x.err = fmt.Errorf("send hello: %w", err)
		x.ctxErr = ctx.Err()
		x.resp = &ServerResponse{}
		return x
	}
	rr := newResponseReader(conn)
	x.err = rr.run()
	x.resp, x.pending = rr.resp, rr.pending()
	x.ctxErr = ctx.Err()
	p.reportChain(x.resp)
	if ske := x.resp.KeyExchange; p.OnDHPrime != nil && ske != nil && len(ske.DHPrime) > 0 {
		p.OnDHPrime(ske.DHPrime)
	}
	if then != nil && then(conn, x) {
		return x
	}
	if sh := x.resp.Hello; sh != nil && x.err == nil && sh.Version < VersionTLS13 {
		// Give up the way a refusing client would; the answer is in hand,
		// so a failed write changes nothing.
		_, _ = conn.Write(alertRecord(sh.Version, alertHandshakeFail))
	}
	return x
}

// alertRecord returns a fatal alert record.
func alertRecord(version uint16, desc uint8) []byte {
	b := []byte{recordTypeAlert}
	b = binary.BigEndian.AppendUint16(b, version)
	b = binary.BigEndian.AppendUint16(b, 2)
	return append(b, alertLevelFatal, desc)
}

// outcome classifies an answer to one hello.
type outcome int

const (
	outAccept        outcome = iota // a ServerHello at the offered version with an offered suite
	outRefuse                       // an alert, a close, a reset, an SSLv2 answer
	outVersionRefuse                // protocol_version, or a lower version
	outAnomaly                      // a suite not offered, a version above the one offered
	outError                        // timeout, failed dial, unreadable answer: inconclusive
)

// answer is one interpreted exchange.
type answer struct {
	out    outcome
	suite  uint16
	kx     *evidence.KeyExchange
	alert  *Alert
	reason string
	err    *evidence.Error
	notes  []string
	// versionAbove marks an anomaly where the server chose a higher version.
	versionAbove bool
}

func (a answer) decodeError() bool {
	return a.out == outRefuse && a.alert != nil && a.alert.Description == alertDecodeError
}

// enumeration is the state of one version's probe.
type enumeration struct {
	p       *Prober
	wire    uint16
	res     evidence.VersionResult
	cands   []uint16
	offered map[uint16]bool
	// accepted are the suites found, in elimination order; steps the
	// accepting exchanges, for the preference decision.
	accepted []evidence.Suite
	codes    []uint16
	steps    []acceptStep
	reason   string
	notes    []string
	// limit is the most suites a hello may offer once chunking started
	// (0: no limit, the server took the full list).
	limit int
}

type acceptStep struct {
	offered []uint16
	pick    uint16
}

func (e *enumeration) note(s ...string) {
	for _, n := range s {
		if n != "" && !slices.Contains(e.notes, n) {
			e.notes = append(e.notes, n)
		}
	}
}

// try sends one hello offering suites and interprets the answer.
func (e *enumeration) try(ctx context.Context, suites []uint16) answer {
	for _, s := range suites {
		e.offered[s] = true
	}
	sni := e.p.Config.SNI
	x := e.p.exchange(ctx, &e.res.Connections, func() []byte {
		return BuildClientHello(HelloOptions{Version: e.wire, Suites: suites, SNI: sni})
	})
	a := interpretTLS(x, e.wire, suites)
	e.note(a.notes...)
	if a.alert != nil && (a.out == outRefuse || a.out == outVersionRefuse) {
		// The latest refusal's alert: the one that ends the enumeration.
		e.res.Alert = evidence.NewAlert(a.alert.Level, a.alert.Description)
	}
	return a
}

// interpretTLS turns an exchange into an answer for a hello of version wire
// offering suites.
func interpretTLS(x exchangeResult, wire uint16, suites []uint16) answer {
	var a answer
	if x.resp != nil {
		for _, w := range x.resp.Warnings {
			a.notes = append(a.notes, "server sent a warning alert before answering: "+w.String())
		}
	}
	if x.dialErr != nil {
		a.out, a.err = outError, x.dialErr
		a.reason = "could not open a connection: " + x.dialErr.Error()
		return a
	}
	resp := x.resp
	switch {
	case resp.Hello != nil:
		return interpretHello(a, x, wire, suites)
	case resp.SSLv2 != nil:
		// An SSLv2-only server: it does not speak this version at all.
		a.out = outVersionRefuse
		a.reason = fmt.Sprintf("answered the hello for %s with an SSLv2 message (%s)", VersionName(wire), describeSSLv2(resp.SSLv2))
		return a
	case resp.Alert != nil:
		a.alert = resp.Alert
		a.out = outRefuse
		if resp.Alert.Description == alertProtocolVersion {
			a.out = outVersionRefuse
		}
		a.reason = fmt.Sprintf("%s alert to a hello for %s", resp.Alert, VersionName(wire))
		return a
	}
	if how, ok := x.closedClean(); ok {
		a.out = outRefuse
		a.reason = fmt.Sprintf("server %s after a hello for %s", how, VersionName(wire))
		return a
	}
	a.out, a.err = outError, x.classify()
	a.reason = "no usable answer: " + a.err.Error()
	return a
}

func interpretHello(a answer, x exchangeResult, wire uint16, suites []uint16) answer {
	sh := x.resp.Hello
	v := sh.Version
	if wire < VersionTLS13 && sh.SupportedVersion != 0 {
		a.notes = append(a.notes, fmt.Sprintf("anomaly: ServerHello carries supported_versions (%s) although the hello did not offer it", VersionName(sh.SupportedVersion)))
	}
	switch {
	case v > wire:
		a.out = outAnomaly
		a.versionAbove = true
		a.reason = fmt.Sprintf("anomaly: server chose %s in answer to a hello offering at most %s", VersionName(v), VersionName(wire))
		return a
	case v < wire:
		a.out = outVersionRefuse
		a.reason = fmt.Sprintf("server answered a hello for %s with %s", VersionName(wire), VersionName(v))
		return a
	case !slices.Contains(suites, sh.Suite):
		a.out = outAnomaly
		s := lookupSuite(sh.Suite)
		a.reason = fmt.Sprintf("anomaly: server chose suite %s (%s), which was not offered", s.Code, s.Name)
		return a
	}
	if sh.Compression != compressionNull {
		a.notes = append(a.notes, fmt.Sprintf("anomaly: server chose compression method %d, which was not offered", sh.Compression))
	}
	if x.err != nil {
		a.notes = append(a.notes, "answer cut short after the ServerHello: "+x.classify().Error())
	}
	if al := x.resp.Alert; al != nil {
		// The suite was chosen; what follows is not ours to judge here.
		a.notes = append(a.notes, "server sent a "+al.String()+" alert after the ServerHello")
	}
	a.out = outAccept
	a.suite = sh.Suite
	a.kx = keyExchange(x.resp, lookupSuite(sh.Suite))
	return a
}

// keyExchange reads the key-exchange observation of an accepted suite.
func keyExchange(resp *ServerResponse, s evidence.Suite) *evidence.KeyExchange {
	sh := resp.Hello
	if sh.Version >= VersionTLS13 {
		if sh.KeyShareGroup == 0 {
			return nil
		}
		g := lookupGroup(sh.KeyShareGroup)
		kind := g.kind
		if kind == "" {
			kind = "unknown"
		}
		return &evidence.KeyExchange{Type: kind, Group: g.name, Bits: g.bits, HelloRetry: sh.HelloRetry}
	}
	ske := resp.KeyExchange
	if ske == nil {
		return nil
	}
	switch ske.Format {
	case SKEDH:
		return &evidence.KeyExchange{Type: s.Kx, Bits: ske.DHPrimeBits}
	case SKERSA:
		return &evidence.KeyExchange{Type: s.Kx, Bits: ske.RSAModulusBits}
	case SKEEC:
		switch ske.CurveType {
		case curveNamed:
			g := lookupGroup(ske.Group)
			return &evidence.KeyExchange{Type: s.Kx, Group: g.name, Bits: g.bits}
		case curveExplicitPrime:
			return &evidence.KeyExchange{Type: s.Kx, Group: "explicit_prime"}
		case curveExplicitChar2:
			return &evidence.KeyExchange{Type: s.Kx, Group: "explicit_char2"}
		}
	}
	return nil
}

// run enumerates the version.
func (e *enumeration) run(ctx context.Context) {
	chunk := e.p.Config.chunkSize()
	first := e.try(ctx, e.cands)
	switch first.out {
	case outError:
		e.fail(first)
		return
	case outVersionRefuse:
		e.res.Support = evidence.NotSupported
		e.res.Complete = true
		e.reason = first.reason
		return
	case outAnomaly:
		e.anomaly(first)
		return
	case outRefuse:
		if len(e.cands) <= chunk {
			e.res.Support = evidence.NotSupported
			e.res.Complete = true
			e.reason = first.reason
			return
		}
		// The server may be choking on a long hello: start again in chunks.
		e.res.Chunked = true
		e.note(fmt.Sprintf("refused the full list of %d suites (%s); offered in chunks", len(e.cands), first.reason))
		if !e.chunked(ctx, slices.Clone(e.cands), chunk) {
			return
		}
	case outAccept:
		e.record(first, e.cands)
		if !e.whole(ctx, without(e.cands, first.suite)) {
			return
		}
	}
	e.res.Complete = true
	if len(e.accepted) == 0 {
		e.res.Support = evidence.NotSupported
		return
	}
	e.res.Support = evidence.Supported
	e.decidePreference(ctx)
}

// whole eliminates with the whole remaining list in every hello. It reports
// whether the loop ended at a refusal (so the set is complete).
func (e *enumeration) whole(ctx context.Context, remaining []uint16) bool {
	for len(remaining) > 0 {
		a := e.try(ctx, remaining)
		switch a.out {
		case outAccept:
			e.record(a, remaining)
			remaining = without(remaining, a.suite)
			continue
		case outRefuse, outVersionRefuse:
			e.reason = "refused the remaining suites: " + a.reason
			return true
		case outAnomaly:
			e.anomaly(a)
		case outError:
			e.fail(a)
		}
		return false
	}
	e.reason = "accepted every suite offered"
	return true
}

// chunked eliminates with a rolling window of at most chunk suites: a pick
// is removed and the window refilled; a refusal drops the whole window.
// While no chunk has drawn a parseable answer, decode_error halves the
// window (at most maxChunkHalvings times, not below minChunkSize): the
// server cannot parse a hello that long. It reports whether every
// candidate was settled.
func (e *enumeration) chunked(ctx context.Context, remaining []uint16, chunk int) bool {
	locked := false
	halvings := 0
	var last string
	for len(remaining) > 0 {
		e.limit = chunk
		w := remaining[:min(chunk, len(remaining))]
		a := e.try(ctx, w)
		switch a.out {
		case outAccept:
			e.record(a, w)
			remaining = without(remaining, a.suite)
			locked = true
			continue
		case outRefuse, outVersionRefuse:
			if !locked && a.decodeError() {
				if halvings < maxChunkHalvings && chunk/2 >= minChunkSize {
					chunk /= 2
					halvings++
					e.note(fmt.Sprintf("decode_error to a hello of %d suites; chunks halved to %d", len(w), chunk))
					continue
				}
				// Nothing accepted yet (the size is not locked): no hello
				// of ours gets through, which says nothing about the version.
				e.failWith(evidence.Errorf(evidence.ErrProtocol, "handshake",
					"decode_error to every hello down to %d suites: the server cannot parse our hello", len(w)))
				return false
			}
			if a.out == outVersionRefuse && len(e.accepted) == 0 {
				e.res.Support = evidence.NotSupported
				e.res.Complete = true
				e.reason = a.reason
				return false
			}
			locked = true
			last = a.reason
			remaining = remaining[len(w):]
			continue
		case outAnomaly:
			e.anomaly(a)
		case outError:
			e.fail(a)
		}
		return false
	}
	e.reason = "every chunk settled; last refusal: " + last
	return true
}

// record notes an accepted suite and the hello that drew it.
func (e *enumeration) record(a answer, offered []uint16) {
	s := lookupSuite(a.suite)
	s.KeyExchange = a.kx
	e.accepted = append(e.accepted, s)
	e.codes = append(e.codes, a.suite)
	e.steps = append(e.steps, acceptStep{offered: slices.Clone(offered), pick: a.suite})
}

// fail ends the enumeration on an inconclusive answer.
func (e *enumeration) fail(a answer) {
	e.failWith(a.err)
	e.reason = a.reason
}

func (e *enumeration) failWith(err *evidence.Error) {
	e.res.Error = err
	e.res.Complete = false
	e.reason = err.Error()
	if len(e.accepted) > 0 {
		e.res.Support = evidence.Supported
		e.res.Preference = evidence.PreferUnknown
		if e.serverOrderShown() {
			e.res.Preference = evidence.PreferServer
		}
		return
	}
	e.res.Support = evidence.Inconclusive
}

// anomaly ends the enumeration on a protocol violation. A version above the
// one offered, on the first hello, means this version was not negotiated:
// NotSupported. A suite not offered, at the version offered, still shows
// that the version is spoken: Supported, but not enumerable.
func (e *enumeration) anomaly(a answer) {
	e.reason = a.reason
	e.res.Complete = false
	switch {
	case len(e.accepted) > 0:
		e.res.Support = evidence.Supported
		e.res.Preference = evidence.PreferUnknown
		if e.serverOrderShown() {
			e.res.Preference = evidence.PreferServer
		}
	case a.versionAbove:
		e.res.Support = evidence.NotSupported
	default:
		e.res.Support = evidence.Supported
	}
}

// serverOrderShown reports whether some pick was not the first accepted
// suite in the order offered: a server following the client's order would
// always take that one.
func (e *enumeration) serverOrderShown() bool {
	for _, st := range e.steps {
		for _, c := range st.offered {
			if slices.Contains(e.codes, c) {
				if c != st.pick {
					return true
				}
				break
			}
		}
	}
	return false
}

// orderProven reports whether the elimination order is the server's order:
// every accepting hello offered all the accepted suites not yet picked.
func (e *enumeration) orderProven() bool {
	for i, st := range e.steps {
		for _, c := range e.codes[i:] {
			if !slices.Contains(st.offered, c) {
				return false
			}
		}
	}
	return true
}

// decidePreference sets Preference and the order of Suites after a
// complete enumeration. It needs the server's favourite among the accepted
// set A, drawn by a hello offering all of A: the enumeration's first pick
// when that hello offered all of A (always so without chunking), otherwise
// one more hello. A favourite that is not the first of A in the order
// offered shows server order. Otherwise one hello offers A reversed: a
// server following the client's order takes the new first suite, a server
// with its own order takes its favourite again.
func (e *enumeration) decidePreference(ctx context.Context) {
	if len(e.codes) < 2 {
		e.res.Preference = evidence.PreferUnknown
		return
	}
	shown, proven := e.serverOrderShown(), e.orderProven()
	if shown && proven {
		e.res.Preference = evidence.PreferServer
		return
	}
	unknown := evidence.PreferUnknown
	if shown {
		unknown = evidence.PreferServer
	}
	if e.limit > 0 && len(e.codes) > e.limit {
		e.res.Preference = unknown
		e.note(fmt.Sprintf("preference and order not tested: %d accepted suites do not fit one hello", len(e.codes)))
		return
	}
	ref := slices.Clone(e.codes)
	sortByCandidates(ref, e.cands)
	fav := e.codes[0]
	if !proven {
		a := e.try(ctx, ref)
		if a.out != outAccept || !slices.Contains(ref, a.suite) {
			e.res.Preference = unknown
			e.note("preference check failed: " + a.reason)
			return
		}
		fav = a.suite
		shown = shown || fav != ref[0]
	}
	if !shown {
		rev := slices.Clone(ref)
		slices.Reverse(rev)
		a := e.try(ctx, rev)
		switch {
		case a.out != outAccept:
			e.res.Preference = evidence.PreferUnknown
			e.note("preference check failed: " + a.reason)
			return
		case a.suite == rev[0]:
			e.res.Preference = evidence.PreferClient
			order := slices.Clone(e.codes)
			PreferenceOrder(order)
			e.sortAccepted(order)
			return
		case a.suite != fav:
			// Neither order explains the pick: the server chooses by
			// rules that depend on the offer (ChaCha20 promotion, say).
			e.note("server order depends on the client's offer: the reversed offer drew " + lookupSuite(a.suite).Name)
		}
	}
	e.res.Preference = evidence.PreferServer
	if !proven {
		e.reorder(ctx, fav, without(ref, fav))
	}
}

// reorder learns the server's order when chunking kept some accepted
// suites out of some hellos: fav is its favourite, and the rest is
// eliminated again, one connection per suite but the last.
func (e *enumeration) reorder(ctx context.Context, fav uint16, rem []uint16) {
	order := []uint16{fav}
	for len(rem) > 1 {
		a := e.try(ctx, rem)
		if a.out != outAccept || !slices.Contains(rem, a.suite) {
			e.note("server order across chunks not established: " + a.reason)
			return
		}
		order = append(order, a.suite)
		rem = without(rem, a.suite)
	}
	e.sortAccepted(append(order, rem...))
}

// sortAccepted puts accepted suites (and codes) in the given order.
func (e *enumeration) sortAccepted(order []uint16) {
	pos := make(map[uint16]int, len(order))
	for i, c := range order {
		pos[c] = i
	}
	idx := make([]int, len(e.codes))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return pos[e.codes[a]] - pos[e.codes[b]] })
	suites := make([]evidence.Suite, len(idx))
	codes := make([]uint16, len(idx))
	for i, j := range idx {
		suites[i], codes[i] = e.accepted[j], e.codes[j]
	}
	e.accepted, e.codes = suites, codes
}

// sortByCandidates sorts codes in the order they appear in cands.
func sortByCandidates(codes, cands []uint16) {
	slices.SortStableFunc(codes, func(a, b uint16) int {
		return slices.Index(cands, a) - slices.Index(cands, b)
	})
}

// result assembles the version result.
func (e *enumeration) result() evidence.VersionResult {
	res := e.res
	res.Suites = e.accepted
	res.Offered = len(e.offered)
	reason := e.reason
	if res.Support == evidence.Supported && reason != "" && !res.Complete {
		reason = fmt.Sprintf("%d suites found before: %s", len(e.accepted), reason)
	} else if res.Support == evidence.Supported {
		reason = fmt.Sprintf("%d suites accepted; %s", len(e.accepted), reason)
	}
	for _, n := range e.notes {
		reason += "; " + n
	}
	res.Reason = reason
	return res
}

// without returns list without code, as a new slice.
func without(list []uint16, code uint16) []uint16 {
	out := make([]uint16, 0, len(list))
	for _, c := range list {
		if c != code {
			out = append(out, c)
		}
	}
	return out
}

// reportChain hands a cleartext certificate chain to OnChain.
func (p *Prober) reportChain(resp *ServerResponse) {
	if p.OnChain == nil || resp == nil {
		return
	}
	switch {
	case resp.Hello != nil && len(resp.Chain) > 0:
		p.OnChain(resp.Hello.Version, resp.Chain)
	case resp.SSLv2 != nil && len(resp.SSLv2.Certificate) > 0:
		p.OnChain(VersionSSL20, [][]byte{resp.SSLv2.Certificate})
	}
}
