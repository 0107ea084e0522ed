package tlstest

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire constants the fake needs; tlstest keeps its own parser so that a
// bug in tlsprobe's encoder is not mirrored by the decoder that checks it.
const (
	recordHeaderLen    = 5
	handshakeHeaderLen = 4
	maxRecordLen       = 1 << 14
	maxHelloBytes      = 64 << 10

	recordTypeCCS       uint8 = 20
	recordTypeAlert     uint8 = 21
	recordTypeHandshake uint8 = 22
	recordTypeAppData   uint8 = 23

	typeClientHello       uint8 = 1
	typeServerHello       uint8 = 2
	typeCertificate       uint8 = 11
	typeServerKeyExchange uint8 = 12
	typeServerHelloDone   uint8 = 14

	extServerName        uint16 = 0
	extSupportedGroups   uint16 = 10
	extECPointFormats    uint16 = 11
	extSignatureAlgs     uint16 = 13
	extPadding           uint16 = 21
	extSupportedVersions uint16 = 43
	extPSKModes          uint16 = 45
	extKeyShare          uint16 = 51
	extRenegotiationInfo uint16 = 0xFF01
	extHeartbeat         uint16 = 15
	compressionDeflate   uint8  = 1

	sslv2HeaderBit            = 0x80
	sslv2MsgClientHello uint8 = 1
	sslv2SpecLen              = 3
)

// ErrMalformed is wrapped by every parse error of this package.
var ErrMalformed = errors.New("malformed hello")

// Extension is one ClientHello extension.
type Extension struct {
	Type uint16
	Data []byte
}

// KeyShare is one entry of a key_share extension.
type KeyShare struct {
	Group uint16
	Key   []byte
}

// ClientHello is a parsed TLS or SSLv3 ClientHello.
type ClientHello struct {
	// RecordVersion is the version of the (first) record that carried it.
	RecordVersion uint16
	// Version is legacy_version.
	Version     uint16
	Random      []byte
	SessionID   []byte
	Suites      []uint16
	Compression []byte
	// HasExtensions is set when the hello carries an extensions block,
	// even an empty one.
	HasExtensions bool
	Extensions    []Extension
	// HandshakeLen is the length of the handshake message, 4-byte header
	// included (the length the padding rule is about).
	HandshakeLen int

	serverName  string
	versions    []uint16
	groups      []uint16
	schemes     []uint16
	keyShares   []KeyShare
	pointFormat []byte
	pskModes    []byte
}

// Extension returns the data of the extension of the given type.
func (h *ClientHello) Extension(typ uint16) ([]byte, bool) {
	for _, e := range h.Extensions {
		if e.Type == typ {
			return e.Data, true
		}
	}
	return nil, false
}

// ServerName is the host name of server_name, "" when absent.
func (h *ClientHello) ServerName() string { return h.serverName }

// SupportedVersions is the supported_versions list, nil when absent.
func (h *ClientHello) SupportedVersions() []uint16 { return h.versions }

// SupportedGroups is the supported_groups list, nil when absent.
func (h *ClientHello) SupportedGroups() []uint16 { return h.groups }

// SignatureSchemes is the signature_algorithms list, nil when absent.
func (h *ClientHello) SignatureSchemes() []uint16 { return h.schemes }

// KeyShares are the key_share entries, nil when absent.
func (h *ClientHello) KeyShares() []KeyShare { return h.keyShares }

// PointFormats is the ec_point_formats list, nil when absent.
func (h *ClientHello) PointFormats() []byte { return h.pointFormat }

// PSKModes is the psk_key_exchange_modes list, nil when absent.
func (h *ClientHello) PSKModes() []byte { return h.pskModes }

// reader reads big-endian fields; the first failure sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated %s", ErrMalformed, what)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8(what string) int {
	b := r.take(1, what)
	if b == nil {
		return 0
	}
	return int(b[0])
}

func (r *reader) u16(what string) int {
	b := r.take(2, what)
	if b == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(b))
}

func (r *reader) u24(what string) int {
	b := r.take(3, what)
	if b == nil {
		return 0
	}
	return int(b[0])<<16 | int(b[1])<<8 | int(b[2])
}

func (r *reader) done() bool { return len(r.b) == 0 }

// list16 reads a vector of uint16 values with a byte-length prefix of
// prefixLen bytes.
func (r *reader) list16(prefixLen int, what string) []uint16 {
	var n int
	if prefixLen == 1 {
		n = r.u8(what)
	} else {
		n = r.u16(what)
	}
	b := r.take(n, what)
	if r.err != nil {
		return nil
	}
	if n%2 != 0 {
		r.err = fmt.Errorf("%w: odd %s length %d", ErrMalformed, what, n)
		return nil
	}
	out := make([]uint16, 0, n/2)
	for i := 0; i < n; i += 2 {
		out = append(out, binary.BigEndian.Uint16(b[i:]))
	}
	return out
}

// ParseClientHello parses the bytes of one or more handshake records that
// together hold exactly one ClientHello.
func ParseClientHello(b []byte) (*ClientHello, error) {
	var hs []byte
	var recVersion uint16
	for first := true; len(b) > 0; first = false {
		if len(b) < recordHeaderLen {
			return nil, fmt.Errorf("%w: truncated record header", ErrMalformed)
		}
		if b[0] != recordTypeHandshake {
			return nil, fmt.Errorf("%w: record type %d", ErrMalformed, b[0])
		}
		n := int(binary.BigEndian.Uint16(b[3:5]))
		if n > maxRecordLen || len(b) < recordHeaderLen+n {
			return nil, fmt.Errorf("%w: record of %d bytes", ErrMalformed, n)
		}
		if first {
			recVersion = binary.BigEndian.Uint16(b[1:3])
		}
		hs = append(hs, b[recordHeaderLen:recordHeaderLen+n]...)
		b = b[recordHeaderLen+n:]
	}
	h, err := parseHandshake(hs)
	if err != nil {
		return nil, err
	}
	h.RecordVersion = recVersion
	return h, nil
}

// parseHandshake parses a ClientHello handshake message, header included.
func parseHandshake(hs []byte) (*ClientHello, error) {
	r := &reader{b: hs}
	if typ := r.u8("handshake type"); r.err == nil && uint8(typ) != typeClientHello {
		return nil, fmt.Errorf("%w: handshake type %d", ErrMalformed, typ)
	}
	body := &reader{b: r.take(r.u24("handshake length"), "handshake body")}
	if r.err != nil {
		return nil, r.err
	}
	if !r.done() {
		return nil, fmt.Errorf("%w: %d bytes after the ClientHello", ErrMalformed, len(r.b))
	}
	h := &ClientHello{HandshakeLen: len(hs)}
	h.Version = uint16(body.u16("version"))
	h.Random = body.take(32, "random")
	h.SessionID = body.take(body.u8("session id length"), "session id")
	h.Suites = body.list16(2, "cipher suites")
	h.Compression = body.take(body.u8("compression length"), "compression methods")
	if body.err != nil {
		return nil, body.err
	}
	if len(h.SessionID) > 32 {
		return nil, fmt.Errorf("%w: session id of %d bytes", ErrMalformed, len(h.SessionID))
	}
	if body.done() {
		return h, nil
	}
	h.HasExtensions = true
	exts := &reader{b: body.take(body.u16("extensions length"), "extensions")}
	if body.err != nil {
		return nil, body.err
	}
	if !body.done() {
		return nil, fmt.Errorf("%w: %d bytes after the extensions", ErrMalformed, len(body.b))
	}
	for !exts.done() {
		typ := uint16(exts.u16("extension type"))
		data := exts.take(exts.u16("extension length"), "extension data")
		if exts.err != nil {
			return nil, exts.err
		}
		if _, dup := h.Extension(typ); dup {
			return nil, fmt.Errorf("%w: duplicate extension %d", ErrMalformed, typ)
		}
		h.Extensions = append(h.Extensions, Extension{Type: typ, Data: data})
		if err := h.parseExtension(typ, data); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func (h *ClientHello) parseExtension(typ uint16, data []byte) error {
	r := &reader{b: data}
	switch typ {
	case extServerName:
		list := &reader{b: r.take(r.u16("server_name list"), "server_name list")}
		for r.err == nil && list.err == nil && !list.done() {
			kind := list.u8("name type")
			name := list.take(list.u16("name length"), "name")
			if kind == 0 && h.serverName == "" {
				h.serverName = string(name)
			}
		}
		if list.err != nil {
			return list.err
		}
	case extSupportedGroups:
		h.groups = r.list16(2, "supported_groups")
	case extSignatureAlgs:
		h.schemes = r.list16(2, "signature_algorithms")
	case extSupportedVersions:
		h.versions = r.list16(1, "supported_versions")
	case extECPointFormats:
		h.pointFormat = r.take(r.u8("ec_point_formats"), "ec_point_formats")
	case extPSKModes:
		h.pskModes = r.take(r.u8("psk_key_exchange_modes"), "psk_key_exchange_modes")
	case extKeyShare:
		list := &reader{b: r.take(r.u16("key_share list"), "key_share list")}
		h.keyShares = []KeyShare{}
		for r.err == nil && list.err == nil && !list.done() {
			g := uint16(list.u16("key_share group"))
			key := list.take(list.u16("key_share key"), "key_share key")
			h.keyShares = append(h.keyShares, KeyShare{Group: g, Key: key})
		}
		if list.err != nil {
			return list.err
		}
	default:
		return nil
	}
	if r.err != nil {
		return r.err
	}
	if !r.done() {
		return fmt.Errorf("%w: extension %d has %d trailing bytes", ErrMalformed, typ, len(r.b))
	}
	return nil
}

// SSLv2ClientHello is a parsed SSLv2 CLIENT-HELLO.
type SSLv2ClientHello struct {
	Version   uint16
	Specs     [][3]byte
	SessionID []byte
	Challenge []byte
}

// ParseSSLv2ClientHello parses one SSLv2 record (two-byte header included)
// holding a CLIENT-HELLO.
func ParseSSLv2ClientHello(b []byte) (*SSLv2ClientHello, error) {
	if len(b) < 2 || b[0]&sslv2HeaderBit == 0 {
		return nil, fmt.Errorf("%w: not an SSLv2 two-byte header", ErrMalformed)
	}
	n := int(binary.BigEndian.Uint16(b) &^ (sslv2HeaderBit << 8))
	if len(b)-2 != n {
		return nil, fmt.Errorf("%w: SSLv2 record declares %d bytes, has %d", ErrMalformed, n, len(b)-2)
	}
	r := &reader{b: b[2:]}
	if typ := r.u8("message type"); r.err == nil && uint8(typ) != sslv2MsgClientHello {
		return nil, fmt.Errorf("%w: SSLv2 message type %d", ErrMalformed, typ)
	}
	h := &SSLv2ClientHello{Version: uint16(r.u16("version"))}
	specLen, sidLen, chLen := r.u16("specs length"), r.u16("session id length"), r.u16("challenge length")
	specs := r.take(specLen, "cipher specs")
	h.SessionID = r.take(sidLen, "session id")
	h.Challenge = r.take(chLen, "challenge")
	if r.err != nil {
		return nil, r.err
	}
	if !r.done() || specLen%sslv2SpecLen != 0 {
		return nil, fmt.Errorf("%w: SSLv2 CLIENT-HELLO lengths", ErrMalformed)
	}
	for i := 0; i < len(specs); i += sslv2SpecLen {
		h.Specs = append(h.Specs, [3]byte{specs[i], specs[i+1], specs[i+2]})
	}
	return h, nil
}
