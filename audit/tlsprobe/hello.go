package tlsprobe

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"net"
	"strings"
)

// Record and handshake framing (RFC 5246 §6.2.1, §7.4).
const (
	recordHeaderLen    = 5
	handshakeHeaderLen = 4
	randomLen          = 32
	sessionIDLen13     = 32 // TLS 1.3 middlebox compatibility mode (RFC 8446 §D.4)
	x25519KeyLen       = 32

	recordTypeCCS       uint8 = 20
	recordTypeAlert     uint8 = 21
	recordTypeHandshake uint8 = 22
	recordTypeAppData   uint8 = 23

	typeHelloRequest       uint8 = 0
	typeClientHello        uint8 = 1
	typeServerHello        uint8 = 2
	typeCertificate        uint8 = 11
	typeServerKeyExchange  uint8 = 12
	typeCertificateRequest uint8 = 13
	typeServerHelloDone    uint8 = 14
	typeCertificateStatus  uint8 = 22

	compressionNull    uint8 = 0
	compressionDeflate uint8 = 1 // RFC 3749
)

// Extension numbers (IANA TLS ExtensionType registry).
const (
	extServerName        uint16 = 0
	extSupportedGroups   uint16 = 10
	extECPointFormats    uint16 = 11
	extSignatureAlgs     uint16 = 13
	extHeartbeat         uint16 = 15
	extPadding           uint16 = 21
	extExtendedMaster    uint16 = 23 // RFC 7627
	extSupportedVersions uint16 = 43
	extPSKModes          uint16 = 45
	extKeyShare          uint16 = 51
	extRenegotiationInfo uint16 = 0xFF01

	sniHostName        uint8 = 0
	pointUncompressed  uint8 = 0
	pskModeDHE         uint8 = 1
	maxSNILen                = 253
	printableASCIILow        = 0x21
	printableASCIIHigh       = 0x7E
)

// Signalling cipher suite values. The renegotiation SCSV stands in for the
// renegotiation_info extension in SSLv3 hellos, which carry no extensions.
// TLS_FALLBACK_SCSV is never sent: a server that also speaks a higher
// version would answer every lower-version probe with inappropriate_fallback.
const (
	scsvRenegotiation uint16 = 0x00FF
	scsvFallback      uint16 = 0x5600
)

// The F5 padding rule (RFC 7685, as BoringSSL and OpenSSL apply it): a
// ClientHello whose handshake message is 256..511 bytes long is padded to 512.
const (
	padLow        = 256
	padTarget     = 512
	extHeaderLen  = 4
	minPadPayload = 1 // WebSphere 7 rejects an empty last extension
)

// maxHelloSuites bounds the suites one hello carries, so that the hello
// always fits one plaintext record (2^14 bytes).
const maxHelloSuites = 4096

// HelloOptions says what a ClientHello offers.
type HelloOptions struct {
	// Version is the highest version offered, as a wire value from
	// VersionSSL30 to VersionTLS13. An SSLv3 hello carries no extensions
	// and signals secure renegotiation with the SCSV; a TLS 1.3 hello offers
	// only TLS 1.3 in supported_versions, with an X25519 key share.
	Version uint16
	// Suites are the cipher suites offered, in order (at most 4096; the
	// signalling values 0x00FF and 0x5600 are dropped, the hello adds what
	// it needs).
	Suites []uint16
	// SNI is the server name; it is left out when empty or an IP address.
	SNI string
	// Compression offers DEFLATE before the null method (TLS ≤ 1.2): a
	// server that picks it has TLS compression on (CRIME).
	Compression bool
	// Heartbeat offers the heartbeat extension (RFC 6520), peer allowed to
	// send, so a server that speaks it says so in its ServerHello.
	Heartbeat bool
	// RenegotiatedConnection, when set, makes this a renegotiation hello
	// (TLS 1.0 to 1.2): renegotiation_info carries it, the client's
	// verify_data of the session's last handshake (RFC 5746 §3.5), where an
	// initial hello sends it empty.
	RenegotiatedConnection []byte
	// ExtendedMasterSecret offers extended_master_secret (RFC 7627). A
	// renegotiation hello must carry it when the session used it (RFC 7627
	// §5.2); servers abort the new handshake otherwise.
	ExtendedMasterSecret bool
}

// BuildClientHello returns a complete ClientHello record (record header and
// handshake message) as tls-wire.md lays it out: record version 0x0301
// (0x0300 for SSLv3), legacy_version min(Version, TLS 1.2), fresh random
// bytes, the full supported_groups, ec_point_formats (uncompressed),
// signature_algorithms (TLS 1.2 and up, every scheme including SHA-1 and
// MD5), server_name, renegotiation_info and, for TLS 1.3, supported_versions,
// a fresh X25519 key_share, a 32-byte session id and psk_key_exchange_modes.
// A hello whose handshake message would be 256 to 511 bytes long gets a
// padding extension that brings it to 512.
func BuildClientHello(opts HelloOptions) []byte {
	v := max(opts.Version, VersionSSL30)
	v = min(v, VersionTLS13)
	ssl3 := v == VersionSSL30
	tls13 := v == VersionTLS13

	suites := make([]uint16, 0, len(opts.Suites)+1)
	for _, s := range opts.Suites {
		if s == scsvRenegotiation || s == scsvFallback || len(suites) == maxHelloSuites {
			continue
		}
		suites = append(suites, s)
	}
	if ssl3 {
		suites = append(suites, scsvRenegotiation)
	}

	var body []byte
	body = binary.BigEndian.AppendUint16(body, min(v, VersionTLS12))
	body = append(body, randomBytes(randomLen)...)
	if tls13 {
		body = append(body, sessionIDLen13)
		body = append(body, randomBytes(sessionIDLen13)...)
	} else {
		body = append(body, 0)
	}
	body = binary.BigEndian.AppendUint16(body, uint16(2*len(suites)))
	for _, s := range suites {
		body = binary.BigEndian.AppendUint16(body, s)
	}
	if opts.Compression && !tls13 {
		body = append(body, 2, compressionDeflate, compressionNull)
	} else {
		body = append(body, 1, compressionNull)
	}

	if !ssl3 {
		exts := helloExtensions(v, opts.SNI, opts.RenegotiatedConnection)
		if opts.Heartbeat && !tls13 {
			exts = appendExtension(exts, extHeartbeat, []byte{heartbeatPeerAllowed})
		}
		if opts.ExtendedMasterSecret {
			exts = appendExtension(exts, extExtendedMaster, nil)
		}
		// Length the handshake message would have without padding.
		msgLen := handshakeHeaderLen + len(body) + 2 + len(exts)
		if msgLen >= padLow && msgLen < padTarget {
			pad := padTarget - msgLen
			if pad >= extHeaderLen+minPadPayload {
				pad -= extHeaderLen
			} else {
				pad = minPadPayload
			}
			exts = appendExtension(exts, extPadding, make([]byte, pad))
		}
		body = binary.BigEndian.AppendUint16(body, uint16(len(exts)))
		body = append(body, exts...)
	}

	recVersion := VersionTLS10
	if ssl3 {
		recVersion = VersionSSL30
	}
	out := make([]byte, 0, recordHeaderLen+handshakeHeaderLen+len(body))
	out = append(out, recordTypeHandshake)
	out = binary.BigEndian.AppendUint16(out, recVersion)
	out = binary.BigEndian.AppendUint16(out, uint16(handshakeHeaderLen+len(body)))
	out = append(out, typeClientHello)
	out = appendUint24(out, len(body))
	return append(out, body...)
}

// helloExtensions builds the extension block (without its length) for a
// TLS hello of version v.
func helloExtensions(v uint16, sni string, reneg []byte) []byte {
	var exts []byte
	if name, ok := sniName(sni); ok {
		var d []byte
		d = binary.BigEndian.AppendUint16(d, uint16(1+2+len(name)))
		d = append(d, sniHostName)
		d = binary.BigEndian.AppendUint16(d, uint16(len(name)))
		d = append(d, name...)
		exts = appendExtension(exts, extServerName, d)
	}

	groups := supportedGroups(v)
	d := binary.BigEndian.AppendUint16(nil, uint16(2*len(groups)))
	for _, g := range groups {
		d = binary.BigEndian.AppendUint16(d, g)
	}
	exts = appendExtension(exts, extSupportedGroups, d)
	exts = appendExtension(exts, extECPointFormats, []byte{1, pointUncompressed})

	// RFC 5246 §7.4.1.4.1: not meaningful before TLS 1.2, and some old
	// stacks reject it there.
	if v >= VersionTLS12 {
		schemes := signatureSchemes()
		d = binary.BigEndian.AppendUint16(nil, uint16(2*len(schemes)))
		for _, s := range schemes {
			d = binary.BigEndian.AppendUint16(d, s)
		}
		exts = appendExtension(exts, extSignatureAlgs, d)
	}

	if v == VersionTLS13 {
		exts = appendExtension(exts, extSupportedVersions, []byte{2, byte(VersionTLS13 >> 8), byte(VersionTLS13 & 0xFF)})
		key := x25519PublicKey()
		d = binary.BigEndian.AppendUint16(nil, uint16(2+2+len(key)))
		d = binary.BigEndian.AppendUint16(d, groupX25519)
		d = binary.BigEndian.AppendUint16(d, uint16(len(key)))
		d = append(d, key...)
		exts = appendExtension(exts, extKeyShare, d)
		exts = appendExtension(exts, extPSKModes, []byte{1, pskModeDHE})
	}

	// renegotiated_connection: empty in an initial handshake, the
	// client's last verify_data in a renegotiation (at most 255 bytes).
	ri := append([]byte{byte(min(len(reneg), 0xFF))}, reneg[:min(len(reneg), 0xFF)]...)
	return appendExtension(exts, extRenegotiationInfo, ri)
}

// sniName returns the host name to send in server_name: no trailing dot,
// lower case, and nothing at all for IP literals (RFC 6066 §3) or names that
// are not printable ASCII.
func sniName(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	if s == "" || len(s) > maxSNILen || net.ParseIP(s) != nil {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < printableASCIILow || s[i] > printableASCIIHigh {
			return "", false
		}
	}
	return s, true
}

// x25519PublicKey returns a fresh X25519 public key. Servers check the
// length, and a real key keeps the hello valid for any server that goes on
// to derive secrets.
func x25519PublicKey() []byte {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		// Only a broken system random source gets here; random bytes have
		// the right length, which is all a server checks before deriving.
		return randomBytes(x25519KeyLen)
	}
	return k.PublicKey().Bytes()
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(b)
	return b
}

func appendExtension(b []byte, typ uint16, data []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func appendUint24(b []byte, n int) []byte {
	return append(b, byte(n>>16), byte(n>>8), byte(n))
}
