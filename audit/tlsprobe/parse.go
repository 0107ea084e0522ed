package tlsprobe

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// Caps on what one answer may make us read and keep.
const (
	// maxRecordLen is the largest plaintext record (RFC 5246 §6.2.1).
	maxRecordLen = 1 << 14
	// maxResponseBytes bounds everything read in answer to one hello:
	// records, headers, certificate chain and all.
	maxResponseBytes = 64 << 10
	// maxChainCerts bounds the certificates kept from one Certificate message.
	maxChainCerts = 32
)

// ErrMalformed is wrapped by every error about bytes that break the
// protocol: bad lengths, unexpected messages, truncated structures.
var ErrMalformed = errors.New("malformed answer")

// ErrTooLarge is wrapped when an answer exceeds a size cap.
var ErrTooLarge = errors.New("answer exceeds size cap")

// helloRetryRandom is SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
func helloRetryRandom() [32]byte { return sha256.Sum256([]byte("HelloRetryRequest")) }

// Alert is one TLS alert.
type Alert struct {
	Level       uint8 `json:"level"`
	Description uint8 `json:"description"`
}

// Fatal reports whether the alert ends the connection: a fatal alert, or a
// close_notify at any level.
func (a Alert) Fatal() bool {
	return a.Level != alertLevelWarning || a.Description == alertCloseNotify
}

// String returns "fatal handshake_failure (40)".
func (a Alert) String() string {
	level := fmt.Sprintf("level %d", a.Level)
	switch a.Level {
	case alertLevelWarning:
		level = "warning"
	case alertLevelFatal:
		level = "fatal"
	}
	return fmt.Sprintf("%s %s (%d)", level, AlertName(a.Description), a.Description)
}

// ServerHello is a parsed ServerHello (or HelloRetryRequest).
type ServerHello struct {
	// LegacyVersion is the version field; Version the negotiated version,
	// which is SupportedVersion when the server sent that extension.
	LegacyVersion uint16
	Version       uint16
	Random        [32]byte
	SessionID     []byte
	Suite         uint16
	Compression   uint8
	// Extensions lists the extension types in the order sent.
	Extensions []uint16
	// SupportedVersion is the supported_versions extension, 0 when absent.
	SupportedVersion uint16
	// KeyShareGroup is the key_share group (the selected_group of a
	// HelloRetryRequest); KeyShareLen the length of the server's share.
	KeyShareGroup uint16
	KeyShareLen   int
	// HelloRetry is set when Random is the HelloRetryRequest value.
	HelloRetry bool
}

// KeyExchange formats of a ServerKeyExchange.
const (
	SKEDH  = "dh"  // explicit Diffie-Hellman p, g, Ys
	SKEEC  = "ec"  // ECParameters and point
	SKERSA = "rsa" // temporary RSA key of an export suite
)

// EC curve types of ECParameters (RFC 8422 §5.4).
const (
	curveExplicitPrime uint8 = 1
	curveExplicitChar2 uint8 = 2
	curveNamed         uint8 = 3
)

// ServerKeyExchange is what a ServerKeyExchange message says about the key
// exchange. The signature is not checked: we never complete a handshake.
type ServerKeyExchange struct {
	// Format is SKEDH, SKEEC, SKERSA, or "" when the suite's key exchange
	// has a format this package does not read (SRP, PSK hints alone...).
	Format string
	// DHPrimeBits is the bit length of p; DHGenerator g as sent;
	// DHPublicLen the length of Ys.
	DHPrimeBits int
	DHPrime     []byte
	DHGenerator []byte
	DHPublicLen int
	// CurveType is 3 for a named group, 1 or 2 for explicit curves; Group
	// the named group; PointLen the length of the server's point.
	CurveType uint8
	Group     uint16
	PointLen  int
	// RSAModulusBits is the size of an export suite's temporary RSA key.
	RSAModulusBits int
}

// ServerResponse is what a server sent in answer to one hello, as far as it
// can be read in cleartext: for TLS ≤ 1.2 up to ServerHelloDone, for TLS 1.3
// up to the ServerHello or HelloRetryRequest.
type ServerResponse struct {
	// Warnings are warning alerts (unrecognized_name, say) that did not end
	// the exchange.
	Warnings []Alert
	// Alert is the alert that ended the exchange, if any.
	Alert *Alert
	// Hello is the ServerHello, if one arrived.
	Hello *ServerHello
	// Chain is the Certificate message's chain, leaf first.
	Chain [][]byte
	// KeyExchange is the ServerKeyExchange, if one arrived.
	KeyExchange *ServerKeyExchange
	// HelloDone is set when ServerHelloDone arrived.
	HelloDone bool
	// SSLv2 is set when the answer was an SSLv2 message.
	SSLv2 *SSLv2ServerHello
}

// ParseServerResponse parses a server's answer to one hello from bytes, as
// the prober does from the network: records are reassembled into handshake
// messages, several messages may share a record and one message may span
// several records. It stops at the point the prober would (an alert,
// ServerHelloDone, a TLS 1.3 ServerHello) and ignores what follows. On error
// the response holds what was read before it.
func ParseServerResponse(b []byte) (*ServerResponse, error) {
	rr := newResponseReader(bytes.NewReader(b))
	return rr.resp, rr.run()
}

// responseReader reads one answer under the size caps.
type responseReader struct {
	r    io.Reader
	n    int    // bytes read so far
	hs   []byte // handshake bytes not yet formed into a message
	resp *ServerResponse
}

func newResponseReader(r io.Reader) *responseReader {
	return &responseReader{r: r, resp: &ServerResponse{}}
}

// read reads exactly n bytes, within the response budget.
func (rr *responseReader) read(n int) ([]byte, error) {
	if rr.n+n > maxResponseBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, maxResponseBytes)
	}
	b := make([]byte, n)
	m, err := io.ReadFull(rr.r, b)
	rr.n += m
	if err != nil {
		return nil, err
	}
	return b, nil
}

// pending reports whether a handshake message was cut in the middle.
func (rr *responseReader) pending() bool { return len(rr.hs) > 0 }

// run reads records until the answer is complete, the peer stops, or an
// error. A clean io.EOF means the peer closed between records.
func (rr *responseReader) run() error {
	first := true
	for {
		// Two bytes tell an SSLv2 record (high bit set) from a TLS one.
		h, err := rr.read(2)
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || (errors.Is(err, io.EOF) && rr.pending()) {
				return fmt.Errorf("%w: truncated record header: %w", ErrMalformed, io.ErrUnexpectedEOF)
			}
			return err
		}
		if h[0]&sslv2HeaderBit != 0 {
			if !first {
				return fmt.Errorf("%w: SSLv2 record after TLS records", ErrMalformed)
			}
			return rr.readSSLv2(h)
		}
		first = false
		rest, err := rr.read(recordHeaderLen - 2)
		if err != nil {
			return truncated("record header", err)
		}
		typ := h[0]
		length := int(binary.BigEndian.Uint16(rest[1:]))
		if length > maxRecordLen {
			return fmt.Errorf("%w: record of %d bytes, cap %d", ErrTooLarge, length, maxRecordLen)
		}
		payload, err := rr.read(length)
		if err != nil {
			return truncated("record", err)
		}
		switch typ {
		case recordTypeAlert:
			// TLS ≤ 1.2 lets an alert record come between the fragments of
			// a handshake message; the fragments stay buffered.
			done, err := rr.alerts(payload)
			if done || err != nil {
				return err
			}
		case recordTypeHandshake:
			rr.hs = append(rr.hs, payload...)
			done, err := rr.messages()
			if done || err != nil {
				return err
			}
		case recordTypeCCS, recordTypeAppData:
			return fmt.Errorf("%w: unexpected record type %d before the handshake ended", ErrMalformed, typ)
		default:
			return fmt.Errorf("%w: unknown record type %d", ErrMalformed, typ)
		}
	}
}

// truncated turns a short read inside a record into a protocol error, and
// keeps timeouts and resets as they are.
func truncated(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated %s: %w", ErrMalformed, what, io.ErrUnexpectedEOF)
	}
	return err
}

// alerts handles one alert record; it reports done at a fatal alert.
func (rr *responseReader) alerts(p []byte) (bool, error) {
	if len(p) == 0 || len(p)%2 != 0 {
		return true, fmt.Errorf("%w: alert record of %d bytes", ErrMalformed, len(p))
	}
	for ; len(p) >= 2; p = p[2:] {
		a := Alert{Level: p[0], Description: p[1]}
		if a.Fatal() {
			rr.resp.Alert = &a
			return true, nil
		}
		rr.resp.Warnings = append(rr.resp.Warnings, a)
	}
	return false, nil
}

// messages consumes complete handshake messages from the buffer.
func (rr *responseReader) messages() (bool, error) {
	for len(rr.hs) >= handshakeHeaderLen {
		typ := rr.hs[0]
		length := int(rr.hs[1])<<16 | int(rr.hs[2])<<8 | int(rr.hs[3])
		// Refuse at once a message that could never fit the budget,
		// instead of waiting for (or allocating) what it declares.
		if length > maxResponseBytes-rr.n+len(rr.hs)-handshakeHeaderLen {
			return true, fmt.Errorf("%w: handshake message type %d declares %d bytes", ErrTooLarge, typ, length)
		}
		if len(rr.hs) < handshakeHeaderLen+length {
			return false, nil
		}
		body := rr.hs[handshakeHeaderLen : handshakeHeaderLen+length]
		rr.hs = rr.hs[handshakeHeaderLen+length:]
		done, err := rr.message(typ, body)
		if done || err != nil {
			return true, err
		}
	}
	return false, nil
}

// message handles one handshake message; it reports done when the
// cleartext part of the answer is complete.
func (rr *responseReader) message(typ uint8, body []byte) (bool, error) {
	resp := rr.resp
	if resp.Hello == nil {
		switch typ {
		case typeHelloRequest:
			return false, nil // RFC 5246 §7.4.1.1: ignored during a handshake
		case typeServerHello:
			sh, err := parseServerHello(body)
			if err != nil {
				return true, err
			}
			resp.Hello = sh
			return sh.HelloRetry || sh.Version >= VersionTLS13, nil
		}
		return true, fmt.Errorf("%w: handshake message type %d before ServerHello", ErrMalformed, typ)
	}
	switch typ {
	case typeCertificate:
		chain, err := parseCertificate(body)
		if err != nil {
			return true, err
		}
		resp.Chain = chain
	case typeServerKeyExchange:
		kx, err := parseServerKeyExchange(body, lookupSuite(resp.Hello.Suite).Kx)
		if err != nil {
			return true, err
		}
		resp.KeyExchange = kx
	case typeServerHelloDone:
		resp.HelloDone = true
		return true, nil
	case typeServerHello:
		return true, fmt.Errorf("%w: second ServerHello", ErrMalformed)
	}
	// CertificateRequest, CertificateStatus and the rest carry nothing we
	// grade; the response budget bounds how many can come.
	return false, nil
}

// cursor reads big-endian fields from a byte slice without ever reading
// past its end; the first failure sticks.
type cursor struct {
	b   []byte
	err error
}

func (c *cursor) fail(what string) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: truncated %s", ErrMalformed, what)
	}
}

func (c *cursor) bytes(n int, what string) []byte {
	if c.err != nil || n < 0 || n > len(c.b) {
		c.fail(what)
		return nil
	}
	out := c.b[:n]
	c.b = c.b[n:]
	return out
}

func (c *cursor) u8(what string) uint8 {
	b := c.bytes(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

func (c *cursor) u16(what string) uint16 {
	b := c.bytes(2, what)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (c *cursor) u24(what string) int {
	b := c.bytes(3, what)
	if b == nil {
		return 0
	}
	return int(b[0])<<16 | int(b[1])<<8 | int(b[2])
}

// vec8 and vec16 read a vector with a one- or two-byte length prefix.
func (c *cursor) vec8(what string) []byte  { return c.bytes(int(c.u8(what)), what) }
func (c *cursor) vec16(what string) []byte { return c.bytes(int(c.u16(what)), what) }

func (c *cursor) empty() bool { return len(c.b) == 0 }

func parseServerHello(body []byte) (*ServerHello, error) {
	c := &cursor{b: body}
	sh := &ServerHello{}
	sh.LegacyVersion = c.u16("server version")
	copy(sh.Random[:], c.bytes(randomLen, "server random"))
	sh.SessionID = bytes.Clone(c.vec8("session id"))
	sh.Suite = c.u16("cipher suite")
	sh.Compression = c.u8("compression method")
	if c.err != nil {
		return nil, c.err
	}
	if len(sh.SessionID) > sessionIDLen13 {
		return nil, fmt.Errorf("%w: session id of %d bytes", ErrMalformed, len(sh.SessionID))
	}
	sh.Version = sh.LegacyVersion
	sh.HelloRetry = sh.Random == helloRetryRandom()
	if c.empty() {
		return sh, nil // no extensions (SSLv3, old TLS)
	}
	exts := &cursor{b: c.vec16("extensions")}
	if c.err != nil {
		return nil, c.err
	}
	if !c.empty() {
		return nil, fmt.Errorf("%w: %d bytes after ServerHello extensions", ErrMalformed, len(c.b))
	}
	seen := make(map[uint16]bool)
	for !exts.empty() {
		typ := exts.u16("extension type")
		data := &cursor{b: exts.vec16("extension data")}
		if exts.err != nil {
			return nil, exts.err
		}
		if seen[typ] {
			return nil, fmt.Errorf("%w: duplicate extension %d", ErrMalformed, typ)
		}
		seen[typ] = true
		sh.Extensions = append(sh.Extensions, typ)
		switch typ {
		case extSupportedVersions:
			sh.SupportedVersion = data.u16("supported_versions")
		case extKeyShare:
			sh.KeyShareGroup = data.u16("key_share group")
			if !sh.HelloRetry {
				sh.KeyShareLen = len(data.vec16("key_share"))
			}
		default:
			continue
		}
		if data.err != nil {
			return nil, data.err
		}
		if !data.empty() {
			return nil, fmt.Errorf("%w: extension %d has %d trailing bytes", ErrMalformed, typ, len(data.b))
		}
	}
	if sh.SupportedVersion != 0 {
		sh.Version = sh.SupportedVersion
	}
	return sh, nil
}

func parseCertificate(body []byte) ([][]byte, error) {
	c := &cursor{b: body}
	list := &cursor{b: c.bytes(c.u24("certificate list length"), "certificate list")}
	if c.err != nil {
		return nil, c.err
	}
	if !c.empty() {
		return nil, fmt.Errorf("%w: %d bytes after the certificate list", ErrMalformed, len(c.b))
	}
	var chain [][]byte
	for !list.empty() {
		der := list.bytes(list.u24("certificate length"), "certificate")
		if list.err != nil {
			return nil, list.err
		}
		if len(der) == 0 {
			return nil, fmt.Errorf("%w: empty certificate in chain", ErrMalformed)
		}
		if len(chain) == maxChainCerts {
			return nil, fmt.Errorf("%w: more than %d certificates", ErrTooLarge, maxChainCerts)
		}
		chain = append(chain, bytes.Clone(der))
	}
	return chain, nil
}

// parseServerKeyExchange reads the parameters of a ServerKeyExchange for
// a suite whose normalised key exchange is kx (the registry's kx_norm).
func parseServerKeyExchange(body []byte, kx string) (*ServerKeyExchange, error) {
	c := &cursor{b: body}
	ske := &ServerKeyExchange{}
	switch kx {
	case "DHE_PSK", "ECDHE_PSK":
		c.vec16("psk identity hint")
	}
	switch kx {
	case "DHE", "DHE_EXPORT", "DHE_EXPORT1024", "DH_anon", "DH_anon_EXPORT", "DHE_PSK":
		ske.Format = SKEDH
		p := c.vec16("DH p")
		ske.DHGenerator = bytes.Clone(c.vec16("DH g"))
		ske.DHPublicLen = len(c.vec16("DH Ys"))
		if c.err != nil {
			return nil, c.err
		}
		ske.DHPrimeBits = bitLen(p)
		ske.DHPrime = bytes.Clone(p)
		if ske.DHPrimeBits == 0 {
			return nil, fmt.Errorf("%w: DH prime is zero", ErrMalformed)
		}
	case "ECDHE", "ECDH_anon", "ECDHE_PSK":
		ske.Format = SKEEC
		ske.CurveType = c.u8("curve type")
		switch ske.CurveType {
		case curveNamed:
			ske.Group = c.u16("named group")
			ske.PointLen = len(c.vec8("EC point"))
		case curveExplicitPrime, curveExplicitChar2:
			// Explicit curves (RFC 4492 §5.4) are rare and deprecated;
			// their type is what the grader needs.
		default:
			return nil, fmt.Errorf("%w: unknown EC curve type %d", ErrMalformed, ske.CurveType)
		}
		if c.err != nil {
			return nil, c.err
		}
	case "RSA_EXPORT", "RSA_EXPORT1024":
		ske.Format = SKERSA
		mod := c.vec16("RSA modulus")
		c.vec16("RSA exponent")
		if c.err != nil {
			return nil, c.err
		}
		ske.RSAModulusBits = bitLen(mod)
	}
	return ske, nil
}

// bitLen returns the bit length of a big-endian unsigned integer.
func bitLen(b []byte) int {
	for i, x := range b {
		if x != 0 {
			return (len(b)-i-1)*8 + bits.Len8(x)
		}
	}
	return 0
}
