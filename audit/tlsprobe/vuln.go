package tlsprobe

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Wire values of the vulnerability probes (RFC 6520 heartbeat, RFC 5246
// §7.1 ChangeCipherSpec and §7.4.7.1 RSA ClientKeyExchange).
const (
	recordTypeHeartbeat    uint8 = 24
	heartbeatRequest       uint8 = 1
	heartbeatPeerAllowed   uint8 = 1
	typeClientKeyExchange  uint8 = 16
	alertUnexpectedMessage uint8 = 10
	alertBadRecordMAC      uint8 = 20
	alertDecryptionFailed  uint8 = 21
	// heartbleedClaim is the payload length the heartbeat request claims
	// while sending none: a fixed server discards it (RFC 6520 §4), a
	// vulnerable one answers with that much of its memory.
	heartbleedClaim = 0x4000
	// alertLen is the payload of an alert record; ReadProbeReply reads no
	// longer payload, so a Heartbleed answer's leaked memory is never read.
	alertLen = 2
	// pmsLen and pmsRandomLen are the RSA premaster secret (RFC 5246
	// §7.4.7.1): two version bytes and 46 random bytes.
	pmsLen       = 48
	pmsRandomLen = 46
	// fakeFinishedLen is the length of the garbage "encrypted Finished"
	// that follows the ClientKeyExchange and CCS of a ROBOT probe: long
	// enough for any CBC or AEAD record of a Finished message.
	fakeFinishedLen = 48
	// minPKCS1Pad is the least non-zero padding PKCS #1 v1.5 allows.
	minPKCS1Pad = 8
	// DefaultVulnWait bounds the wait for the answer to one probe message
	// (a heartbeat request, an early CCS, a malformed key exchange); a
	// fixed server often says nothing at all.
	DefaultVulnWait = 5 * time.Second
)

// ProbeReply is the start of the first record a server sends after one of
// the vulnerability probes' messages.
type ProbeReply struct {
	// Type is the record type (21 alert, 24 heartbeat...); Length the
	// payload length the header declares.
	Type   uint8
	Length int
	// Alert is set for an alert record, whose two bytes are read.
	Alert *Alert
}

// ReadProbeReply reads one record header and, for an alert, the alert's
// two bytes; it never reads a longer payload (a Heartbleed answer is up to
// 16 KiB of the server's memory, which we neither need nor want).
func ReadProbeReply(r io.Reader) (ProbeReply, error) {
	var pr ProbeReply
	h := make([]byte, recordHeaderLen)
	if _, err := io.ReadFull(r, h); err != nil {
		return pr, truncated("record header", err)
	}
	if h[1] != 3 {
		return pr, fmt.Errorf("%w: record version 0x%02x%02x", ErrMalformed, h[1], h[2])
	}
	pr.Type = h[0]
	pr.Length = int(binary.BigEndian.Uint16(h[3:]))
	if pr.Type != recordTypeAlert {
		return pr, nil
	}
	if pr.Length != alertLen {
		return pr, fmt.Errorf("%w: alert record of %d bytes", ErrMalformed, pr.Length)
	}
	b := make([]byte, alertLen)
	if _, err := io.ReadFull(r, b); err != nil {
		return pr, truncated("alert", err)
	}
	pr.Alert = &Alert{Level: b[0], Description: b[1]}
	return pr, nil
}

// replyKind is what one probe message drew.
type replyKind int

const (
	replyRecord  replyKind = iota // a record (an alert, a heartbeat...)
	replyClosed                   // a close or a reset: a definite answer
	replyTimeout                  // nothing within the wait
	replyError                    // unreadable or a local failure
)

// probeAnswer is a classified reply, with a signature that compares equal
// for equal server behaviour (the ROBOT oracle test).
type probeAnswer struct {
	kind  replyKind
	reply ProbeReply
	err   error
}

func (a probeAnswer) signature() string {
	switch a.kind {
	case replyRecord:
		if a.reply.Alert != nil {
			return a.reply.Alert.String() + " alert"
		}
		return fmt.Sprintf("a record of type %d (%d bytes)", a.reply.Type, a.reply.Length)
	case replyClosed:
		if evidence.Classify("handshake", a.err).Kind == evidence.ErrReset {
			return "a reset"
		}
		return "a close"
	case replyTimeout:
		return "no answer"
	}
	return "an unreadable answer: " + a.err.Error()
}

// readAnswer waits at most wait for the reply to a probe message.
func readAnswer(conn net.Conn, wait time.Duration) probeAnswer {
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		return probeAnswer{kind: replyError, err: err}
	}
	pr, err := ReadProbeReply(conn)
	if err == nil {
		return probeAnswer{kind: replyRecord, reply: pr}
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return probeAnswer{kind: replyTimeout, err: err}
	case errors.Is(err, ErrMalformed) && !errors.Is(err, io.ErrUnexpectedEOF):
		return probeAnswer{kind: replyError, err: err}
	}
	switch evidence.Classify("handshake", err).Kind {
	case evidence.ErrClosed, evidence.ErrReset:
		return probeAnswer{kind: replyClosed, err: err}
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return probeAnswer{kind: replyClosed, err: err}
	}
	return probeAnswer{kind: replyError, err: err}
}

// vulnWait is how long one probe message's answer is awaited.
func (p *Prober) vulnWait() time.Duration { return min(DefaultVulnWait, p.Config.stepTimeout()) }

// Vulns runs the vulnerability probes that need TLS ≤ 1.2 bytes of their
// own, on a version and with suites the enumeration showed accepted:
//
//   - one hello offering DEFLATE compression and the heartbeat extension
//     answers secure renegotiation (RFC 5746) and CRIME, and, only when
//     the server negotiates heartbeat, carries the Heartbleed request on
//     the same connection;
//
//   - one connection sends two early ChangeCipherSpec records (CCS
//     injection);
//
//   - only when RSA key exchange is accepted, three connections send
//     differently padded RSA key exchanges (ROBOT).
//
//   - one connection completes a TLS 1.0–1.2 handshake and asks to
//     renegotiate inside it (client-initiated renegotiation).
//
// So it costs 3 connections, 6 with RSA key exchange. STARTTLS injection
// is an SMTP matter (audit/smtp): it is left NotTested for the caller.
func (p *Prober) Vulns(ctx context.Context, versions []evidence.VersionResult) evidence.Vulns {
	out := evidence.Vulns{
		STARTTLSInjection: evidence.VulnCheck{Status: evidence.VulnNotTested, Detail: "not part of the TLS probes"},
	}
	name, wire, suites := vulnTarget(versions)
	if p.Dial == nil || wire == 0 {
		why := "no TLS 1.0, 1.1 or 1.2 suite accepted"
		if p.Dial == nil {
			why = "no dial function"
		}
		nt := evidence.VulnCheck{Status: evidence.VulnNotTested, Detail: why}
		out.Heartbleed, out.CCSInjection, out.SecureRenegotiation, out.Compression, out.ROBOT, out.ClientRenegotiation = nt, nt, nt, nt, nt, nt
		if p.Dial != nil {
			// A TLS 1.3-only server is not tested but immune: say so.
			if _, _, skip, _ := renegTarget(versions); skip.Status == evidence.VulnNotApplicable {
				out.ClientRenegotiation = skip
			}
		}
		return out
	}
	out.SecureRenegotiation, out.Compression, out.Heartbleed = p.infoProbe(ctx, name, wire, suites)
	out.CCSInjection = p.ccsProbe(ctx, name, wire, suites)
	out.ROBOT = p.robotProbe(ctx, name, wire, versions)
	out.ClientRenegotiation = p.clientRenegotiation(ctx, versions)
	return out
}

// vulnTarget picks the newest of TLS 1.2, 1.1 and 1.0 with accepted
// suites, and those suites.
func vulnTarget(versions []evidence.VersionResult) (string, uint16, []uint16) {
	for _, name := range []string{evidence.TLS12, evidence.TLS11, evidence.TLS10} {
		for _, v := range versions {
			if v.Version != name || v.Support != evidence.Supported || len(v.Suites) == 0 {
				continue
			}
			wire, _ := WireVersion(name)
			return name, wire, suiteCodes(v.Suites, nil)
		}
	}
	return "", 0, nil
}

// suiteCodes returns the wire codes of suites that keep says yes to (all when nil).
func suiteCodes(suites []evidence.Suite, keep func(evidence.Suite) bool) []uint16 {
	var out []uint16
	for _, s := range suites {
		if keep != nil && !keep(s) {
			continue
		}
		if c, ok := parseSuiteCode(s.Code); ok {
			out = append(out, c)
		}
	}
	return out
}

// parseSuiteCode reads "0xC0,0x2F".
func parseSuiteCode(s string) (uint16, bool) {
	hi, lo, ok := strings.Cut(s, ",")
	if !ok {
		return 0, false
	}
	var a, b uint8
	if _, err := fmt.Sscanf(hi, "0x%02X", &a); err != nil {
		return 0, false
	}
	if _, err := fmt.Sscanf(lo, "0x%02X", &b); err != nil {
		return 0, false
	}
	return uint16(a)<<8 | uint16(b), true
}

// session is one vulnerability probe's connection: the hello sent and its
// cleartext answer read as roundTrip does, then then called on the open
// connection when a complete TLS ≤ 1.2 answer at the offered version
// arrived. It is not retried (each probe costs what its doc says), except
// after a refusal the Throttle waits out.
func (p *Prober) session(ctx context.Context, hello []byte, wire uint16, then func(net.Conn, *ServerResponse)) (exchangeResult, int) {
	conns := 0
	x := p.exchangeThen(ctx, &conns, 1, func() []byte { return hello }, func(conn net.Conn, x exchangeResult) bool {
		sh := x.resp.Hello
		if x.err != nil || sh == nil || !x.resp.HelloDone || sh.Version != wire {
			return false
		}
		then(conn, x.resp)
		return true
	})
	return x, conns
}

// notAnswered turns an exchange without a usable ServerHello into an
// inconclusive check.
func notAnswered(x exchangeResult, wire uint16, conns int) evidence.VulnCheck {
	c := evidence.VulnCheck{Status: evidence.VulnInconclusive, Version: VersionName(wire), Connections: conns}
	switch {
	case x.dialErr != nil:
		c.Error = x.dialErr
		c.Detail = "could not open a connection: " + x.dialErr.Error()
	case x.resp != nil && x.resp.Alert != nil:
		c.Detail = fmt.Sprintf("the server refused the probe's hello with a %s alert", x.resp.Alert)
	case x.resp != nil && x.resp.Hello != nil && x.resp.Hello.Version != wire:
		c.Detail = fmt.Sprintf("the server answered a hello for %s with %s", VersionName(wire), VersionName(x.resp.Hello.Version))
	default:
		c.Error = x.classify()
		c.Detail = "no complete answer to the probe's hello: " + c.Error.Error()
	}
	return c
}

// infoProbe sends one hello offering compression and heartbeat and reads
// secure renegotiation, compression and, on the same connection,
// Heartbleed.
func (p *Prober) infoProbe(ctx context.Context, name string, wire uint16, suites []uint16) (reneg, comp, hb evidence.VulnCheck) {
	hello := BuildClientHello(HelloOptions{Version: wire, Suites: suites, SNI: p.Config.SNI, Compression: true, Heartbeat: true})
	hb = evidence.VulnCheck{Status: evidence.VulnNotApplicable, Version: name,
		Detail: "the server did not negotiate the heartbeat extension (RFC 6520)"}
	x, conns := p.session(ctx, hello, wire, func(conn net.Conn, resp *ServerResponse) {
		if !slices.Contains(resp.Hello.Extensions, extHeartbeat) {
			return
		}
		hb = heartbleed(conn, wire, p.vulnWait())
		hb.Version = name
	})
	if x.resp == nil || x.resp.Hello == nil || !x.resp.HelloDone || x.resp.Hello.Version != wire {
		c := notAnswered(x, wire, conns)
		c0 := c
		c0.Connections = 0
		return c, c0, c0
	}
	sh := x.resp.Hello
	reneg = evidence.VulnCheck{Status: evidence.VulnNotVulnerable, Version: name, Connections: conns,
		Detail: "the ServerHello echoes renegotiation_info"}
	if !slices.Contains(sh.Extensions, extRenegotiationInfo) {
		reneg.Status = evidence.VulnVulnerable
		reneg.Detail = "the ServerHello lacks renegotiation_info although the hello offered it: no secure renegotiation (RFC 5746)"
	}
	comp = evidence.VulnCheck{Status: evidence.VulnNotVulnerable, Version: name,
		Detail: "the server chose no compression though DEFLATE was offered"}
	switch sh.Compression {
	case compressionNull:
	case compressionDeflate:
		comp.Status = evidence.VulnVulnerable
		comp.Detail = "the server chose DEFLATE compression (RFC 3749)"
	default:
		comp.Status = evidence.VulnInconclusive
		comp.Detail = fmt.Sprintf("the server chose compression method %d, which was not offered", sh.Compression)
	}
	return reneg, comp, hb
}

// heartbleed sends a heartbeat request that claims a payload it does not
// carry, and reads the first record of the answer's header only.
func heartbleed(conn net.Conn, wire uint16, wait time.Duration) evidence.VulnCheck {
	req := []byte{recordTypeHeartbeat}
	req = binary.BigEndian.AppendUint16(req, wire)
	req = binary.BigEndian.AppendUint16(req, 3)
	req = append(req, heartbeatRequest)
	req = binary.BigEndian.AppendUint16(req, heartbleedClaim)
	if _, err := conn.Write(req); err != nil {
		return evidence.VulnCheck{Status: evidence.VulnInconclusive, Error: evidence.Classify("heartbeat", err),
			Detail: "the heartbeat request could not be sent"}
	}
	return heartbleedVerdict(readAnswer(conn, wait), wait)
}

func heartbleedVerdict(a probeAnswer, wait time.Duration) evidence.VulnCheck {
	c := evidence.VulnCheck{Status: evidence.VulnNotVulnerable}
	switch {
	case a.kind == replyRecord && a.reply.Type == recordTypeHeartbeat:
		c.Status = evidence.VulnVulnerable
		c.Detail = fmt.Sprintf("the server answered a heartbeat request claiming %d bytes and carrying none with a heartbeat record of %d bytes", heartbleedClaim, a.reply.Length)
	case a.kind == replyRecord, a.kind == replyClosed:
		c.Detail = "the server answered the over-length heartbeat request with " + a.signature()
	case a.kind == replyTimeout:
		// RFC 6520 §4: a fixed server discards the request silently.
		c.Detail = fmt.Sprintf("no answer to the over-length heartbeat request within %v: discarded, as RFC 6520 §4 requires", wait)
	default:
		c.Status = evidence.VulnInconclusive
		c.Detail = "the answer to the heartbeat request was " + a.signature()
	}
	return c
}

// ccsRecord is a ChangeCipherSpec record.
func ccsRecord(wire uint16) []byte {
	b := []byte{recordTypeCCS}
	b = binary.BigEndian.AppendUint16(b, wire)
	b = binary.BigEndian.AppendUint16(b, 1)
	return append(b, 1)
}

// ccsProbe sends two ChangeCipherSpec records right after the server's
// hello flight, before any key exchange.
func (p *Prober) ccsProbe(ctx context.Context, name string, wire uint16, suites []uint16) evidence.VulnCheck {
	hello := BuildClientHello(HelloOptions{Version: wire, Suites: suites, SNI: p.Config.SNI})
	var c evidence.VulnCheck
	x, conns := p.session(ctx, hello, wire, func(conn net.Conn, _ *ServerResponse) {
		msg := append(ccsRecord(wire), ccsRecord(wire)...)
		if _, err := conn.Write(msg); err != nil {
			c = evidence.VulnCheck{Status: evidence.VulnInconclusive, Error: evidence.Classify("ccs", err),
				Detail: "the early ChangeCipherSpec records could not be sent"}
			return
		}
		c = ccsVerdict(readAnswer(conn, p.vulnWait()))
	})
	if c.Status == "" {
		return notAnswered(x, wire, conns)
	}
	c.Version, c.Connections = name, conns
	return c
}

func ccsVerdict(a probeAnswer) evidence.VulnCheck {
	c := evidence.VulnCheck{Status: evidence.VulnNotVulnerable,
		Detail: "the server answered two early ChangeCipherSpec records with " + a.signature()}
	switch a.kind {
	case replyRecord:
		if al := a.reply.Alert; al != nil && (al.Description == alertBadRecordMAC || al.Description == alertDecryptionFailed) {
			// The second CCS was read under keys from an empty master
			// secret: the first one was accepted (CVE-2014-0224).
			c.Status = evidence.VulnVulnerable
			c.Detail += ": the first one was accepted and keys derived without a key exchange"
		} else if al == nil {
			c.Status = evidence.VulnInconclusive
		}
	case replyClosed:
	default:
		c.Status = evidence.VulnInconclusive
	}
	return c
}

// robotVector is one malformed (or well-formed) RSA premaster secret
// encoding of the ROBOT test (Böck, Somorovsky, Young, 2018).
type robotVector struct {
	name  string
	build func(k int, version uint16) []byte
}

var robotVectors = []robotVector{
	{"well-formed padding", func(k int, v uint16) []byte { return pkcs1(k, []byte{0x00, 0x02}, true, v) }},
	{"wrong first bytes", func(k int, v uint16) []byte { return pkcs1(k, []byte{0x41, 0x17}, true, v) }},
	{"no zero separator", func(k int, v uint16) []byte { return pkcs1(k, []byte{0x00, 0x02}, false, v) }},
}

// pkcs1 builds a k-byte PKCS #1 v1.5 block: head, non-zero padding, and
// (when sep) a zero byte and a 48-byte premaster secret of version v; without
// sep the padding runs to the end.
func pkcs1(k int, head []byte, sep bool, v uint16) []byte {
	b := slices.Clone(head)
	padLen := k - len(head)
	if sep {
		padLen -= 1 + pmsLen
	}
	for _, x := range randomBytes(padLen) {
		if x == 0 {
			x = 0x5a
		}
		b = append(b, x)
	}
	if sep {
		b = append(b, 0)
		b = binary.BigEndian.AppendUint16(b, v)
		b = append(b, randomBytes(pmsRandomLen)...)
	}
	return b
}

// robotProbe sends, on one connection each, an RSA key exchange with each
// vector, a ChangeCipherSpec and a garbage Finished, and compares the
// answers: a server whose answer depends on the padding is an oracle.
// Only definite answers (alerts, closes, resets) count: a timeout beside
// them leaves the check inconclusive, never vulnerable.
func (p *Prober) robotProbe(ctx context.Context, name string, wire uint16, versions []evidence.VersionResult) evidence.VulnCheck {
	var rsaSuites []uint16
	for _, v := range versions {
		if v.Version == name {
			rsaSuites = suiteCodes(v.Suites, func(s evidence.Suite) bool { return s.Kx == "RSA" })
		}
	}
	c := evidence.VulnCheck{Version: name}
	if len(rsaSuites) == 0 {
		c.Status = evidence.VulnNotApplicable
		c.Detail = "no RSA key-exchange suite accepted"
		return c
	}
	var answers []probeAnswer
	var sigs []string
	for _, vec := range robotVectors {
		hello := BuildClientHello(HelloOptions{Version: wire, Suites: rsaSuites, SNI: p.Config.SNI})
		var a *probeAnswer
		var keyErr string
		x, conns := p.session(ctx, hello, wire, func(conn net.Conn, resp *ServerResponse) {
			pub, err := rsaKey(resp.Chain)
			if err != nil {
				keyErr = err.Error()
				return
			}
			msg := robotMessage(pub, vec.build((pub.N.BitLen()+7)/8, wire), wire)
			if _, err := conn.Write(msg); err != nil {
				a = &probeAnswer{kind: replyError, err: err}
				return
			}
			ans := readAnswer(conn, p.vulnWait())
			a = &ans
		})
		c.Connections += conns
		switch {
		case keyErr != "":
			c.Status = evidence.VulnInconclusive
			c.Detail = "no RSA key to encrypt to: " + keyErr
			return c
		case a == nil:
			n := notAnswered(x, wire, 0)
			c.Status, c.Error, c.Detail = n.Status, n.Error, n.Detail
			return c
		}
		answers = append(answers, *a)
		sigs = append(sigs, vec.name+" → "+a.signature())
	}
	c.Detail = strings.Join(sigs, "; ")
	definite, same := true, true
	for _, a := range answers {
		definite = definite && (a.kind == replyRecord || a.kind == replyClosed)
		same = same && a.signature() == answers[0].signature()
	}
	switch {
	case same:
		c.Status = evidence.VulnNotVulnerable
	case definite:
		c.Status = evidence.VulnVulnerable
		c.Detail = "the answer depends on the RSA padding (a Bleichenbacher oracle): " + c.Detail
	default:
		c.Status = evidence.VulnInconclusive
		c.Detail = "answers differ but not all were definite: " + c.Detail
	}
	return c
}

// rsaKey is the RSA public key of the chain's leaf.
func rsaKey(chain [][]byte) (*rsa.PublicKey, error) {
	if len(chain) == 0 {
		return nil, errors.New("the server sent no certificate")
	}
	cert, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, fmt.Errorf("leaf certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("the leaf certificate's key is not RSA")
	}
	if pub.N.BitLen() < (2+minPKCS1Pad+1+pmsLen)*8 {
		return nil, errors.New("the RSA key is too short for a premaster secret")
	}
	return pub, nil
}

// robotMessage is ClientKeyExchange (the block encrypted raw, textbook
// RSA, so malformed padding gets through), ChangeCipherSpec and a
// garbage Finished record.
func robotMessage(pub *rsa.PublicKey, block []byte, wire uint16) []byte {
	m := new(big.Int).SetBytes(block)
	enc := new(big.Int).Exp(m, big.NewInt(int64(pub.E)), pub.N).FillBytes(make([]byte, (pub.N.BitLen()+7)/8))
	body := binary.BigEndian.AppendUint16(nil, uint16(len(enc)))
	body = append(body, enc...)
	hs := append([]byte{typeClientKeyExchange}, appendUint24(nil, len(body))...)
	hs = append(hs, body...)
	out := recordOf(recordTypeHandshake, wire, hs)
	out = append(out, ccsRecord(wire)...)
	return append(out, recordOf(recordTypeHandshake, wire, randomBytes(fakeFinishedLen))...)
}

func recordOf(typ uint8, wire uint16, payload []byte) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint16(b, wire)
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	return append(b, payload...)
}
