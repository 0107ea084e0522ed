package tlsprobe

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Client-initiated renegotiation (the CVE-2011-1473 denial-of-service
// class; testssl.sh's "Client-Initiated Renegotiation"): crypto/tls runs a
// TLS 1.0–1.2 handshake on the connection, which it cannot renegotiate from as
// a client; the probe then sends, raw and protected under the session's
// keys, one new ClientHello as the next record, and reads the first record
// the server sends back.

// Alerts (RFC 5246 §7.2.2): no_renegotiation is the refusal; a
// record_overflow, like bad_record_mac, says our record was not read.
const (
	alertNoRenegotiation uint8 = 100
	alertRecordOverflow  uint8 = 22
)

// keyLogPrefix starts the NSS key log line of a TLS 1.2 session:
// CLIENT_RANDOM <client random> <master secret>, both in hex.
const keyLogPrefix = "CLIENT_RANDOM "

// captureConn keeps the first bytes read from a connection (the server's
// hello flight, for its random), up to a cap, and the last block's worth
// read and written: once the handshake is over, the ends of the two
// Finished records, whose last cipher blocks are the next TLS 1.0 IVs.
type captureConn struct {
	net.Conn
	buf         []byte
	limit       int
	readTail    []byte
	writtenTail []byte
}

// captureTail is the longest cipher block of the CBC suites.
const captureTail = aesBlockLen

func keepTail(tail, b []byte) []byte {
	tail = append(tail, b[max(0, len(b)-captureTail):]...)
	return tail[max(0, len(tail)-captureTail):]
}

func (c *captureConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if room := c.limit - len(c.buf); room > 0 && n > 0 {
		c.buf = append(c.buf, b[:min(n, room)]...)
	}
	c.readTail = keepTail(c.readTail, b[:n])
	return n, err
}

func (c *captureConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.writtenTail = keepTail(c.writtenTail, b[:n])
	return n, err
}

// renegTarget picks the newest of TLS 1.2, 1.1 and 1.0 with an accepted
// suite the probe can protect records of, and those suites; or says why
// there is no probe to run.
func renegTarget(versions []evidence.VersionResult) (uint16, []uint16, evidence.VulnCheck, bool) {
	accepted := map[string][]uint16{}
	anyOld, tls13 := false, false
	for _, v := range versions {
		if v.Support != evidence.Supported {
			continue
		}
		switch v.Version {
		case evidence.TLS10, evidence.TLS11, evidence.TLS12:
			accepted[v.Version] = suiteCodes(v.Suites, nil)
			anyOld = anyOld || len(accepted[v.Version]) > 0
		case evidence.TLS13:
			tls13 = true
		}
	}
	for _, name := range []string{evidence.TLS12, evidence.TLS11, evidence.TLS10} {
		wire, _ := WireVersion(name)
		var offer []uint16
		for _, code := range accepted[name] {
			if s, ok := recordSuites[code]; ok && (!s.tls12 || wire == VersionTLS12) {
				offer = append(offer, code)
			}
		}
		if len(offer) > 0 {
			return wire, offer, evidence.VulnCheck{}, true
		}
	}
	switch {
	case anyOld:
		return 0, nil, evidence.VulnCheck{Status: evidence.VulnNotTested,
			Detail: "none of the accepted TLS 1.0–1.2 suites is one the probe runs (ECDHE or RSA key exchange with AES-GCM, ChaCha20-Poly1305, AES-CBC or 3DES-CBC)"}, false
	case tls13:
		return 0, nil, evidence.VulnCheck{Status: evidence.VulnNotApplicable,
			Detail: "no TLS 1.0–1.2 accepted, and TLS 1.3 has no renegotiation (RFC 8446 §4.1.2)"}, false
	}
	return 0, nil, evidence.VulnCheck{Status: evidence.VulnNotTested, Detail: "no TLS 1.0, 1.1 or 1.2 suite accepted"}, false
}

// clientRenegotiation is the probe: one connection, a handshake with
// crypto/tls at the newest of TLS 1.2, 1.1 and 1.0 accepted, offering the
// accepted suites whose records it can protect, then a
// renegotiation ClientHello in the session and the server's first record
// in answer: a handshake record is a renegotiation under way (accepted);
// an alert, a close or silence within the wait is a refusal.
func (p *Prober) clientRenegotiation(ctx context.Context, versions []evidence.VersionResult) evidence.VulnCheck {
	wire, offer, skip, ok := renegTarget(versions)
	if !ok {
		return skip
	}
	name := VersionName(wire)
	c := evidence.VulnCheck{Status: evidence.VulnInconclusive, Version: name}
	conn, release, dialErr := p.dialOne(ctx, &c.Connections)
	if dialErr != nil {
		c.Error = dialErr
		c.Detail = "could not open a connection: " + dialErr.Error()
		return c
	}
	defer release()
	defer func() { _ = conn.Close() }()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	s, err := p.renegSession(ctx, conn, wire, offer)
	if err != nil {
		c.Error = evidence.Classify("handshake", err)
		c.Detail = fmt.Sprintf("no %s session to renegotiate: %v", name, err)
		return c
	}
	hello := BuildClientHello(HelloOptions{Version: wire, Suites: offer, SNI: p.Config.SNI,
		RenegotiatedConnection: s.verifyData, ExtendedMasterSecret: s.ems})
	record := s.client.seal(recordTypeHandshake, wire, hello[recordHeaderLen:])
	wait := p.vulnWait()
	if err := conn.SetDeadline(time.Now().Add(wait)); err != nil {
		c.Error = evidence.Classify("renegotiation", err)
		c.Detail = "could not set a deadline"
		return c
	}
	if _, err := conn.Write(record); err != nil {
		c.Error = evidence.Classify("renegotiation", err)
		c.Detail = "the renegotiation ClientHello could not be sent: " + c.Error.Error()
		return c
	}
	r, err := readRenegReply(conn, s.server)
	v := renegVerdict(r, err, wait, err != nil && ctx.Err() != nil)
	v.Version, v.Connections = name, c.Connections
	return v
}

// dialOne opens one connection for a probe through the Throttle (pausing
// and retrying while the address throttles, like every exchange), counting
// each dial in *conns. release gives back the Throttle's slot.
func (p *Prober) dialOne(ctx context.Context, conns *int) (net.Conn, func(), *evidence.Error) {
	if p.Dial == nil {
		return nil, nil, evidence.Errorf(evidence.ErrInternal, "connect", "no dial function")
	}
	for {
		release, ok := p.Throttle.gate(ctx)
		if !ok {
			return nil, nil, evidence.Classify("connect", ctx.Err())
		}
		dctx, cancel := context.WithTimeout(ctx, p.Config.dialTimeout())
		conn, err := p.Dial(dctx)
		cancel()
		*conns++
		if err == nil && conn == nil {
			err = evidence.Errorf(evidence.ErrInternal, "connect", "dial returned no connection")
		}
		if err == nil {
			p.Throttle.Succeeded()
			return conn, release, nil
		}
		release()
		ev := evidence.Classify("connect", err)
		if ctx.Err() != nil || !p.Throttle.refused(ev) {
			return nil, nil, ev
		}
	}
}

// renegSession is an established TLS 1.0–1.2 session with what a
// renegotiation needs: the record keys of both directions, their next
// sequence numbers, and the client's Finished verify_data.
type renegSession struct {
	client, server *recordKeys
	verifyData     []byte
	// ems says the session used the extended master secret (RFC 7627),
	// which the renegotiation hello must then offer again.
	ems bool
}

// renegSession runs the crypto/tls handshake on conn and recovers the
// session's keys: the master secret and client random from the key log,
// the server random from the captured ServerHello, the verify_data from
// tls-unique (the client's Finished in a full handshake, RFC 5929 §3.1).
// When the session offers exported keying material (RFC 5705: EMS on), it
// is recomputed from what was recovered and compared, so a mismatch is
// found here rather than sent to the server as garbage.
func (p *Prober) renegSession(ctx context.Context, conn net.Conn, wire uint16, offer []uint16) (*renegSession, error) {
	var keyLog bytes.Buffer
	capt := &captureConn{Conn: conn, limit: maxResponseBytes}
	tc := tls.Client(capt, &tls.Config{
		ServerName:             p.Config.SNI,
		InsecureSkipVerify:     true, // the certificate is judged elsewhere; here only the session matters
		MinVersion:             wire,
		MaxVersion:             wire,
		CipherSuites:           offer,
		SessionTicketsDisabled: true,
		KeyLogWriter:           &keyLog,
	})
	hctx, cancel := context.WithTimeout(ctx, p.Config.stepTimeout())
	err := tc.HandshakeContext(hctx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("the handshake failed: %w", err)
	}
	st := tc.ConnectionState()
	if st.Version != wire || st.DidResume || len(st.TLSUnique) != verifyDataLen {
		return nil, fmt.Errorf("%w: not a full %s handshake (version 0x%04x, resumed %v)", ErrMalformed, VersionName(wire), st.Version, st.DidResume)
	}
	suite, ok := recordSuites[st.CipherSuite]
	if !ok {
		return nil, fmt.Errorf("%w: the server chose suite %s, not offered", ErrMalformed, SuiteCode(st.CipherSuite))
	}
	clientRandom, master, err := parseKeyLog(keyLog.Bytes())
	if err != nil {
		return nil, err
	}
	resp, perr := ParseServerResponse(capt.buf)
	if resp == nil || resp.Hello == nil {
		return nil, fmt.Errorf("the captured ServerHello could not be read: %w", perr)
	}
	if resp.Hello.Suite != st.CipherSuite || resp.Hello.Version != wire {
		return nil, fmt.Errorf("%w: the captured ServerHello does not match the session", ErrMalformed)
	}
	serverRandom := resp.Hello.Random[:]
	if ekm, err := st.ExportKeyingMaterial("EXPERIMENTAL mxaudit key check", nil, verifyDataLen); err == nil {
		seed := append(append([]byte{}, clientRandom...), serverRandom...)
		if !hmac.Equal(ekm, suite.prf(wire, master, "EXPERIMENTAL mxaudit key check", seed, verifyDataLen)) {
			return nil, errors.New("internal: the recovered session secrets do not match the session")
		}
	}
	client, server, err := deriveKeys(suite, wire, master, clientRandom, serverRandom)
	if err != nil {
		return nil, err
	}
	if wire == VersionTLS10 && suite.prot == protCBC {
		// crypto/tls reads no further than the server's Finished (the
		// server says nothing more until we speak), so the streams end
		// with the two Finished records.
		bs := client.block.BlockSize()
		if len(capt.readTail) < bs || len(capt.writtenTail) < bs {
			return nil, errors.New("internal: the Finished records were not seen")
		}
		client.chainIV = slices.Clone(capt.writtenTail[len(capt.writtenTail)-bs:])
		server.chainIV = slices.Clone(capt.readTail[len(capt.readTail)-bs:])
	}
	// Each side's Finished was its record 0 under the new keys.
	client.seq, server.seq = 1, 1
	return &renegSession{client: client, server: server, verifyData: slices.Clone(st.TLSUnique),
		ems: slices.Contains(resp.Hello.Extensions, extExtendedMaster)}, nil
}

// parseKeyLog finds the client random and master secret in the key log
// crypto/tls wrote for one TLS 1.2 session.
func parseKeyLog(b []byte) (clientRandom, master []byte, err error) {
	for line := range strings.Lines(string(b)) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), keyLogPrefix)
		if !ok {
			continue
		}
		cr, ms, ok := strings.Cut(rest, " ")
		if !ok {
			break
		}
		c, err1 := hex.DecodeString(cr)
		m, err2 := hex.DecodeString(ms)
		if err1 != nil || err2 != nil || len(c) != randomLen || len(m) != masterSecretLen {
			break
		}
		return c, m, nil
	}
	return nil, nil, errors.New("internal: no TLS 1.2 master secret in the key log")
}

// renegReply is the first record a server sent after the renegotiation
// ClientHello.
type renegReply struct {
	// Type and Length are the record header's.
	Type   uint8
	Length int
	// Plain is the decrypted payload (or a cleartext alert's two bytes);
	// nil when it could not be read. OpenErr says why.
	Plain   []byte
	OpenErr error
}

// readRenegReply reads one record, at most a TLSCiphertext fragment's
// worth, and opens it with keys (nil: not at all). A two-byte alert is
// taken as sent in clear, as some stacks do after an error.
func readRenegReply(r io.Reader, keys *recordKeys) (renegReply, error) {
	var rr renegReply
	h := make([]byte, recordHeaderLen)
	if _, err := io.ReadFull(r, h); err != nil {
		return rr, truncated("record header", err)
	}
	if h[1] != 3 {
		return rr, fmt.Errorf("%w: record version 0x%02x%02x", ErrMalformed, h[1], h[2])
	}
	rr.Type = h[0]
	rr.Length = int(binary.BigEndian.Uint16(h[3:]))
	if rr.Length > maxCiphertextLen {
		return rr, fmt.Errorf("%w: record of %d bytes, cap %d", ErrTooLarge, rr.Length, maxCiphertextLen)
	}
	payload := make([]byte, rr.Length)
	if _, err := io.ReadFull(r, payload); err != nil {
		return rr, truncated("record", err)
	}
	switch {
	case rr.Type == recordTypeAlert && rr.Length == alertLen:
		rr.Plain = payload
	case keys == nil:
		rr.OpenErr = errors.New("no keys")
	default:
		rr.Plain, rr.OpenErr = keys.open(rr.Type, binary.BigEndian.Uint16(h[1:]), payload)
	}
	return rr, nil
}

// renegVerdict judges the answer to the renegotiation ClientHello.
func renegVerdict(r renegReply, err error, wait time.Duration, cancelled bool) evidence.VulnCheck {
	c := evidence.VulnCheck{Status: evidence.VulnNotVulnerable}
	var ne net.Error
	switch {
	case cancelled:
		c.Status = evidence.VulnInconclusive
		c.Detail = "cancelled while waiting for the answer"
		c.Error = evidence.Classify("renegotiation", err)
		return c
	case err == nil:
	case errors.As(err, &ne) && ne.Timeout():
		c.Detail = fmt.Sprintf("no answer to the renegotiation ClientHello within %v: the server did not start a new handshake", wait)
		return c
	case errors.Is(err, ErrMalformed) && !errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, ErrTooLarge):
		c.Status = evidence.VulnInconclusive
		c.Error = evidence.Classify("renegotiation", err)
		c.Detail = "unreadable answer to the renegotiation ClientHello: " + err.Error()
		return c
	default:
		switch kind := evidence.Classify("renegotiation", err).Kind; {
		case kind == evidence.ErrReset:
			c.Detail = "the server reset the connection at the renegotiation ClientHello"
			return c
		case kind == evidence.ErrClosed, errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			c.Detail = "the server closed the connection at the renegotiation ClientHello"
			return c
		}
		c.Status = evidence.VulnInconclusive
		c.Error = evidence.Classify("renegotiation", err)
		c.Detail = "reading the answer to the renegotiation ClientHello failed: " + c.Error.Error()
		return c
	}
	switch r.Type {
	case recordTypeHandshake:
		c.Status = evidence.VulnVulnerable
		switch {
		case r.Plain == nil:
			c.Detail = fmt.Sprintf("the server answered the renegotiation ClientHello with a handshake record of %d bytes (not decrypted: %v): it started a new handshake", r.Length, r.OpenErr)
		case len(r.Plain) > 0 && r.Plain[0] == typeServerHello:
			c.Detail = "the server answered the renegotiation ClientHello with a ServerHello: it renegotiates at the client's request"
		case len(r.Plain) == 0:
			c.Status = evidence.VulnInconclusive
			c.Detail = "the server answered the renegotiation ClientHello with an empty handshake record"
		default:
			c.Detail = fmt.Sprintf("the server answered the renegotiation ClientHello with a handshake record (message type %d): it started a new handshake", r.Plain[0])
		}
	case recordTypeAlert:
		if r.Plain == nil || len(r.Plain) != alertLen {
			// Without the alert's name this could be bad_record_mac: our
			// record unreadable, which says nothing of renegotiation.
			c.Status = evidence.VulnInconclusive
			c.Detail = fmt.Sprintf("the server answered with an alert that could not be decrypted (%v)", r.OpenErr)
			return c
		}
		a := Alert{Level: r.Plain[0], Description: r.Plain[1]}
		switch a.Description {
		case alertNoRenegotiation:
			c.Detail = fmt.Sprintf("the server refused the renegotiation ClientHello with a %s alert", a)
		case alertUnexpectedMessage, alertCloseNotify:
			// crypto/tls, which has no server-side renegotiation, answers
			// unexpected_message; others just end the session.
			c.Detail = fmt.Sprintf("the server answered the renegotiation ClientHello with a %s alert instead of a new handshake", a)
		case alertBadRecordMAC, alertDecryptionFailed, alertRecordOverflow, alertDecodeError:
			c.Status = evidence.VulnInconclusive
			c.Detail = fmt.Sprintf("the server could not read the renegotiation ClientHello: %s alert", a)
		default:
			// handshake_failure, illegal_parameter...: the server read the
			// hello as a handshake and rejected what it offered, which
			// says nothing of whether another hello would go through.
			c.Status = evidence.VulnInconclusive
			c.Detail = fmt.Sprintf("the server ended the handshake the renegotiation ClientHello started with a %s alert: it may renegotiate with another hello", a)
		}
	case recordTypeAppData:
		c.Detail = "the server answered the renegotiation ClientHello with application data, not a new handshake"
	default:
		c.Status = evidence.VulnInconclusive
		c.Detail = fmt.Sprintf("the server answered the renegotiation ClientHello with a record of type %d", r.Type)
	}
	return c
}
