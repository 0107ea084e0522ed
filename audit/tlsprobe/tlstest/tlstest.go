// Package tlstest is a raw fake TLS server for tests and the demo fleet. It
// speaks just enough TLS and SSLv2 to answer one hello per connection the
// way a configured server would: it picks a version and a suite, sends the
// ServerHello with the cleartext messages that follow it, and closes. It
// never completes a handshake.
//
// Use Listen for a server with its own accept loop, or call Serve from your
// own loop for each accepted connection.
package tlstest

import (
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/tlsprobe"
)

// Timeouts of one served connection.
const (
	// helloTimeout bounds reading the hello and writing the answer.
	helloTimeout = 5 * time.Second
	// lingerTimeout is how long the fake waits for the client to go away
	// after answering, so the client reads the answer before the close.
	lingerTimeout = 2 * time.Second
	// maxLingerBytes caps what is read (and discarded) while lingering.
	maxLingerBytes = 64 << 10
)

// Wire values of the answers.
const (
	versionTLS10 uint16 = 0x0301
	versionTLS12 uint16 = 0x0303
	versionTLS13 uint16 = 0x0304

	groupSecp256r1 uint16 = 23
	groupSecp384r1 uint16 = 24
	groupSecp521r1 uint16 = 25
	groupX25519    uint16 = 29
	groupX448      uint16 = 30

	alertLevelWarning uint8 = 1
	alertLevelFatal   uint8 = 2
	alertHandshake    uint8 = 40
	alertDecodeError  uint8 = 50
	alertProtocol     uint8 = 70
	alertMissingExt   uint8 = 109
	alertUnrecognized uint8 = 112

	curveNamed       uint8 = 3
	sigRSAPKCS1SHA1        = 0x0201
	fakeSignatureLen       = 64
	dhGenerator      uint8 = 2

	defaultDHPrimeBits = 2048
	exportDHPrimeBits  = 512
	exportRSABits      = 512
	export1024RSABits  = 1024
	rsaExponent        = 0x010001

	sslv2Version         uint16 = 0x0002
	sslv2MsgError        uint8  = 0
	sslv2MsgServerHello  uint8  = 4
	sslv2ErrNoCipher     uint16 = 1
	sslv2CertX509        uint8  = 1
	sslv2ConnectionIDLen        = 16

	garbageLen  = 512
	garbageSeed = 0x7a5e_ed00
)

// Config is how the fake server behaves.
type Config struct {
	// Versions it accepts (0x0300..0x0304); the highest one the client
	// offers is chosen. With no Versions but SSLv2Specs set, the server
	// speaks only SSLv2 and answers TLS hellos with an SSLv2 ERROR.
	Versions []uint16
	// Suites are the accepted suites, in server preference order.
	Suites []uint16
	// ClientOrder picks by the client's order instead.
	ClientOrder bool
	// SSLv2Specs, if non-empty, makes the server answer SSLv2 CLIENT-HELLOs
	// with a SERVER-HELLO listing these specs.
	SSLv2Specs [][3]byte
	// CertDER is the chain sent in Certificate (and the first one in an
	// SSLv2 SERVER-HELLO).
	CertDER [][]byte
	// DHPrimeBits is the size of the prime in a DHE ServerKeyExchange
	// (default 2048, 512 for export suites). The value only looks like a
	// prime: top and bottom bits set.
	DHPrimeBits int
	// ECGroup is the named group of an ECDHE ServerKeyExchange (default
	// secp256r1).
	ECGroup uint16
	// TLS13Group is the group the server wants for TLS 1.3 (default
	// x25519): a hello without a key share for it but listing it in
	// supported_groups gets a HelloRetryRequest.
	TLS13Group uint16
	// MaxHelloSuites, if > 0, answers hellos offering more suites than this
	// with a decode_error alert (hello-length intolerance).
	MaxHelloSuites int
	// Garbage answers any hello with 512 pseudo-random bytes (the same
	// bytes every time, so tests are reproducible).
	Garbage bool
	// ForceSuite, if set, is chosen whatever the hello offered; ForceVersion
	// likewise: a broken server.
	ForceSuite   uint16
	ForceVersion uint16
	// WarnUnrecognizedName sends a warning unrecognized_name alert before
	// the ServerHello, as some Java and OpenSSL servers do.
	WarnUnrecognizedName bool
	// FragmentSize, if > 0, splits the handshake messages into records of
	// at most this many bytes; otherwise all messages share one record.
	FragmentSize int
	// Alert, when set, answers every TLS hello with this alert: a server
	// whose TLS stack refuses every client (a broken key, a policy that
	// wants a client certificate, an internal error).
	Alert *Alert

	// The known vulnerabilities a fake can show, for the vulnerability
	// probes' tests. Without them it answers like a fixed server.

	// NoSecureRenegotiation leaves renegotiation_info out of the
	// ServerHello (RFC 5746 not supported).
	NoSecureRenegotiation bool
	// Compression chooses DEFLATE when the hello offers it (CRIME).
	Compression bool
	// Heartbeat echoes the heartbeat extension when offered; an
	// over-length request is then discarded silently (RFC 6520 §4) unless
	// Heartbleed answers it with a heartbeat record (CVE-2014-0160).
	Heartbeat  bool
	Heartbleed bool
	// CCSInjection accepts an early ChangeCipherSpec and answers a second
	// one with bad_record_mac, as OpenSSL before 1.0.1h did (CVE-2014-0224).
	CCSInjection bool
	// RSAKey, with ROBOTOracle, decrypts an RSA ClientKeyExchange and
	// answers well-formed PKCS #1 padding with bad_record_mac (the
	// Finished fails) and malformed padding with decrypt_error: a
	// Bleichenbacher oracle. Without ROBOTOracle every key exchange gets
	// the same alert.
	RSAKey      *rsa.PrivateKey
	ROBOTOracle bool
}

// Alert is one TLS alert as sent on the wire.
type Alert struct {
	Level       uint8 // 1 warning, 2 fatal
	Description uint8
}

// Serve answers exactly one hello on conn, then closes it. Every read and
// write is under a deadline. It returns the first error met; the answer
// may already have been sent.
func Serve(conn net.Conn, cfg Config) error {
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(helloTimeout)); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}
	raw, err := readHello(conn)
	if err != nil {
		return err
	}
	out, err := Respond(raw, cfg)
	if err != nil {
		return err
	}
	if _, err := conn.Write(out); err != nil {
		return fmt.Errorf("write answer: %w", err)
	}
	// Let the client read and go away first: closing with its bytes unread
	// could turn our answer into a reset.
	if err := conn.SetDeadline(time.Now().Add(lingerTimeout)); err != nil {
		return fmt.Errorf("set deadline: %w", err)
	}
	// A real client (crypto/tls) goes on with its key exchange and waits
	// for our Finished, which this fake cannot send: refuse at once rather
	// than leave it waiting for the linger deadline. A client that refuses
	// (an alert) or closes is left to go. The vulnerability probes' next
	// messages get the answer cfg says.
	if answer := afterFlight(conn, cfg); answer != nil {
		_, _ = conn.Write(answer)
	}
	// Read what the client still sends until it goes: closing with its
	// bytes unread would turn our answer into a reset.
	_, _ = io.Copy(io.Discard, io.LimitReader(conn, maxLingerBytes))
	return nil
}

// Record types and alerts of the vulnerability fakes.
const (
	recordTypeHeartbeat   uint8 = 24
	typeClientKeyExchange uint8 = 16
	heartbeatResponse     uint8 = 2
	alertBadRecordMAC     uint8 = 20
	alertDecryptError     uint8 = 51
	// leakLen is how much fake "memory" a Heartbleed answer carries.
	leakLen = 64
)

// afterFlight reads the client's next record after our hello flight and
// returns the answer to write (nil: none, the client is going away or the
// fake stays silent).
func afterFlight(conn net.Conn, cfg Config) []byte {
	refuse := record(recordTypeAlert, versionTLS10, []byte{alertLevelFatal, alertHandshake})
	typ, payload, err := readRecord(conn)
	if err != nil || typ == recordTypeAlert {
		return nil
	}
	switch {
	case typ == recordTypeHeartbeat && cfg.Heartbleed:
		body := []byte{heartbeatResponse}
		body = binary.BigEndian.AppendUint16(body, leakLen)
		return record(recordTypeHeartbeat, versionTLS12, append(body, make([]byte, leakLen)...))
	case typ == recordTypeHeartbeat && cfg.Heartbeat:
		return nil // RFC 6520 §4: discarded silently
	case typ == recordTypeCCS && cfg.CCSInjection:
		if typ, _, err := readRecord(conn); err != nil || typ != recordTypeCCS {
			return refuse
		}
		return record(recordTypeAlert, versionTLS12, []byte{alertLevelFatal, alertBadRecordMAC})
	case typ == recordTypeHandshake && cfg.RSAKey != nil && len(payload) > 6 && payload[0] == typeClientKeyExchange:
		if cfg.ROBOTOracle && !wellFormedPMS(cfg.RSAKey, payload[6:]) {
			return record(recordTypeAlert, versionTLS12, []byte{alertLevelFatal, alertDecryptError})
		}
		return record(recordTypeAlert, versionTLS12, []byte{alertLevelFatal, alertBadRecordMAC})
	}
	return refuse
}

// readRecord reads one TLS record whole.
func readRecord(conn net.Conn) (uint8, []byte, error) {
	h := make([]byte, recordHeaderLen)
	if _, err := io.ReadFull(conn, h); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint16(h[3:]))
	if n > maxRecordLen {
		return 0, nil, fmt.Errorf("%w: record of %d bytes", ErrMalformed, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(conn, b); err != nil {
		return 0, nil, err
	}
	return h[0], b, nil
}

// wellFormedPMS decrypts an RSA key exchange without any padding check and
// reports whether the block is PKCS #1 v1.5 type 2 with a zero separator
// before a 48-byte secret.
func wellFormedPMS(key *rsa.PrivateKey, enc []byte) bool {
	k := (key.N.BitLen() + 7) / 8
	c := new(big.Int).SetBytes(enc)
	if c.Cmp(key.N) >= 0 {
		return false
	}
	m := new(big.Int).Exp(c, key.D, key.N).FillBytes(make([]byte, k))
	const pms = 48
	return m[0] == 0 && m[1] == 2 && m[k-pms-1] == 0 && !slices.Contains(m[2:k-pms-1], 0)
}

// Respond returns the server's answer to one hello (the TLS records of a
// ClientHello, or an SSLv2 CLIENT-HELLO record) without any connection:
// the bytes Serve would write.
func Respond(hello []byte, cfg Config) ([]byte, error) {
	if cfg.Garbage {
		return garbage(), nil
	}
	if len(hello) > 0 && hello[0]&sslv2HeaderBit != 0 {
		v2, err := ParseSSLv2ClientHello(hello)
		if err != nil {
			return nil, err
		}
		return answerSSLv2(v2, cfg), nil
	}
	h, err := ParseClientHello(hello)
	if err != nil {
		return nil, err
	}
	return answerTLS(h, cfg)
}

// readHello reads the bytes of one TLS ClientHello (all its records) or
// SSLv2 CLIENT-HELLO.
func readHello(conn net.Conn) ([]byte, error) {
	h := make([]byte, 2)
	if _, err := io.ReadFull(conn, h); err != nil {
		return nil, fmt.Errorf("read hello: %w", err)
	}
	if h[0]&sslv2HeaderBit != 0 {
		n := int(binary.BigEndian.Uint16(h) &^ (sslv2HeaderBit << 8))
		rec := make([]byte, 2+n)
		copy(rec, h)
		if _, err := io.ReadFull(conn, rec[2:]); err != nil {
			return nil, fmt.Errorf("read SSLv2 hello: %w", err)
		}
		return rec, nil
	}
	rest := make([]byte, recordHeaderLen-2)
	if _, err := io.ReadFull(conn, rest); err != nil {
		return nil, fmt.Errorf("read record header: %w", err)
	}
	hdr := append(h, rest...)
	var all, hs []byte
	// Read records until the handshake message they carry is complete.
	for {
		n := int(binary.BigEndian.Uint16(hdr[3:5]))
		if n > maxRecordLen || len(all)+recordHeaderLen+n > maxHelloBytes {
			return nil, fmt.Errorf("%w: record of %d bytes", ErrMalformed, n)
		}
		rec := make([]byte, recordHeaderLen+n)
		copy(rec, hdr)
		if _, err := io.ReadFull(conn, rec[recordHeaderLen:]); err != nil {
			return nil, fmt.Errorf("read record: %w", err)
		}
		all = append(all, rec...)
		hs = append(hs, rec[recordHeaderLen:]...)
		if len(hs) >= handshakeHeaderLen {
			want := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
			if len(hs) >= handshakeHeaderLen+want {
				break
			}
		}
		hdr = make([]byte, recordHeaderLen)
		if _, err := io.ReadFull(conn, hdr); err != nil {
			return nil, fmt.Errorf("read record header: %w", err)
		}
	}
	return all, nil
}

// garbage returns the same pseudo-random bytes every time.
func garbage() []byte {
	r := mrand.New(mrand.NewPCG(garbageSeed, garbageSeed))
	b := make([]byte, garbageLen)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func alert(version uint16, level, desc uint8) []byte {
	return record(recordTypeAlert, version, []byte{level, desc})
}

func record(typ uint8, version uint16, payload []byte) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint16(b, version)
	b = binary.BigEndian.AppendUint16(b, uint16(len(payload)))
	return append(b, payload...)
}

func handshake(typ uint8, body []byte) []byte {
	b := []byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	return append(b, body...)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func answerSSLv2(h *SSLv2ClientHello, cfg Config) []byte {
	if cfg.Alert != nil {
		return alert(versionTLS10, cfg.Alert.Level, cfg.Alert.Description)
	}
	if len(cfg.SSLv2Specs) == 0 {
		// A modern server does not speak SSLv2.
		return alert(versionTLS10, alertLevelFatal, alertProtocol)
	}
	var cert []byte
	if len(cfg.CertDER) > 0 {
		cert = cfg.CertDER[0]
	}
	body := []byte{sslv2MsgServerHello, 0, sslv2CertX509}
	body = binary.BigEndian.AppendUint16(body, sslv2Version)
	body = binary.BigEndian.AppendUint16(body, uint16(len(cert)))
	body = binary.BigEndian.AppendUint16(body, uint16(sslv2SpecLen*len(cfg.SSLv2Specs)))
	body = binary.BigEndian.AppendUint16(body, sslv2ConnectionIDLen)
	body = append(body, cert...)
	for _, s := range cfg.SSLv2Specs {
		body = append(body, s[:]...)
	}
	body = append(body, randomBytes(sslv2ConnectionIDLen)...)
	return sslv2Record(body)
}

func sslv2Record(body []byte) []byte {
	out := binary.BigEndian.AppendUint16(nil, sslv2HeaderBit<<8|uint16(len(body)))
	return append(out, body...)
}

// clientVersions is what the client offers: supported_versions when
// present, otherwise every version up to legacy_version.
func clientVersions(h *ClientHello) []uint16 {
	if v := h.SupportedVersions(); v != nil {
		return v
	}
	var out []uint16
	for v := tlsprobe.VersionSSL30; v <= min(h.Version, versionTLS12); v++ {
		out = append(out, v)
	}
	return out
}

func answerTLS(h *ClientHello, cfg Config) ([]byte, error) {
	alertVersion := min(h.Version, versionTLS12)
	if cfg.Alert != nil {
		return alert(alertVersion, cfg.Alert.Level, cfg.Alert.Description), nil
	}
	if len(cfg.Versions) == 0 && len(cfg.SSLv2Specs) > 0 {
		body := []byte{sslv2MsgError}
		return sslv2Record(binary.BigEndian.AppendUint16(body, sslv2ErrNoCipher)), nil
	}
	if cfg.MaxHelloSuites > 0 && len(h.Suites) > cfg.MaxHelloSuites {
		return alert(alertVersion, alertLevelFatal, alertDecodeError), nil
	}
	version := cfg.ForceVersion
	if version == 0 {
		offered := clientVersions(h)
		for _, v := range cfg.Versions {
			if slices.Contains(offered, v) && v > version {
				version = v
			}
		}
	}
	if version == 0 {
		return alert(alertVersion, alertLevelFatal, alertProtocol), nil
	}
	suite := cfg.ForceSuite
	if suite == 0 {
		suite = pickSuite(h.Suites, cfg)
	}
	if suite == 0 {
		return alert(alertVersion, alertLevelFatal, alertHandshake), nil
	}
	var out []byte
	if cfg.WarnUnrecognizedName {
		out = alert(alertVersion, alertLevelWarning, alertUnrecognized)
	}
	if version >= versionTLS13 {
		return append(out, answerTLS13(h, cfg, suite)...), nil
	}
	flight, err := flight12(h, cfg, version, suite)
	if err != nil {
		return nil, err
	}
	return append(out, fragment(flight, version, cfg.FragmentSize)...), nil
}

// pickSuite returns the first mutually acceptable suite in the server's
// (or the client's) order, 0 when there is none.
func pickSuite(offered []uint16, cfg Config) uint16 {
	if cfg.ClientOrder {
		for _, s := range offered {
			if slices.Contains(cfg.Suites, s) {
				return s
			}
		}
		return 0
	}
	for _, s := range cfg.Suites {
		if slices.Contains(offered, s) {
			return s
		}
	}
	return 0
}

// fragment packs handshake bytes into records.
func fragment(hs []byte, version uint16, size int) []byte {
	if size <= 0 {
		size = maxRecordLen
	}
	var out []byte
	for len(hs) > 0 {
		n := min(size, len(hs))
		out = append(out, record(recordTypeHandshake, version, hs[:n])...)
		hs = hs[n:]
	}
	return out
}

// serverHello builds a ServerHello body.
func serverHello(version uint16, random, sessionID []byte, suite uint16, exts []byte, withExts bool) []byte {
	return serverHelloComp(version, random, sessionID, suite, 0, exts, withExts)
}

// serverHelloComp is serverHello with a compression method.
func serverHelloComp(version uint16, random, sessionID []byte, suite uint16, comp uint8, exts []byte, withExts bool) []byte {
	b := binary.BigEndian.AppendUint16(nil, version)
	b = append(b, random...)
	b = append(b, byte(len(sessionID)))
	b = append(b, sessionID...)
	b = binary.BigEndian.AppendUint16(b, suite)
	b = append(b, comp)
	if withExts {
		b = binary.BigEndian.AppendUint16(b, uint16(len(exts)))
		b = append(b, exts...)
	}
	return b
}

func ext(b []byte, typ uint16, data []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

// flight12 is ServerHello, Certificate, ServerKeyExchange and
// ServerHelloDone for TLS ≤ 1.2 and SSLv3.
func flight12(h *ClientHello, cfg Config, version, suite uint16) ([]byte, error) {
	info, _ := tlsprobe.SuiteByCode(suite)
	var exts []byte
	_, reneg := h.Extension(extRenegotiationInfo)
	if (reneg || slices.Contains(h.Suites, 0x00FF)) && !cfg.NoSecureRenegotiation {
		exts = ext(exts, extRenegotiationInfo, []byte{0})
	}
	if _, hb := h.Extension(extHeartbeat); hb && cfg.Heartbeat {
		exts = ext(exts, extHeartbeat, []byte{1})
	}
	var comp uint8
	if cfg.Compression && slices.Contains(h.Compression, compressionDeflate) {
		comp = compressionDeflate
	}
	if info.Kx == "ECDHE" || info.Kx == "ECDH_anon" || info.Kx == "ECDHE_PSK" {
		exts = ext(exts, extECPointFormats, []byte{1, 0})
	}
	out := handshake(typeServerHello, serverHelloComp(version, randomBytes(32), randomBytes(32), suite, comp, exts, h.HasExtensions))
	if !info.Flags.Anon && info.Au != "PSK" {
		var list []byte
		for _, c := range cfg.CertDER {
			list = append(list, byte(len(c)>>16), byte(len(c)>>8), byte(len(c)))
			list = append(list, c...)
		}
		body := []byte{byte(len(list) >> 16), byte(len(list) >> 8), byte(len(list))}
		out = append(out, handshake(typeCertificate, append(body, list...))...)
	}
	ske, err := serverKeyExchange(cfg, info, version)
	if err != nil {
		return nil, err
	}
	if ske != nil {
		out = append(out, handshake(typeServerKeyExchange, ske)...)
	}
	return append(out, handshake(typeServerHelloDone, nil)...), nil
}

// serverKeyExchange builds the ServerKeyExchange body for the suite's key
// exchange, nil when the suite has none.
func serverKeyExchange(cfg Config, info evidence.Suite, version uint16) ([]byte, error) {
	var b []byte
	switch info.Kx {
	case "DHE_PSK", "ECDHE_PSK":
		b = binary.BigEndian.AppendUint16(b, 0) // empty identity hint
	}
	switch info.Kx {
	case "DHE", "DHE_EXPORT", "DHE_EXPORT1024", "DH_anon", "DH_anon_EXPORT", "DHE_PSK":
		bits := cfg.DHPrimeBits
		if bits <= 0 {
			bits = defaultDHPrimeBits
			if info.Flags.Export {
				bits = exportDHPrimeBits
			}
		}
		p := pseudoPrime(bits)
		b = vec16(b, p)
		b = vec16(b, []byte{dhGenerator})
		b = vec16(b, randomBytes(len(p)))
	case "ECDHE", "ECDH_anon", "ECDHE_PSK":
		g := cfg.ECGroup
		if g == 0 {
			g = groupSecp256r1
		}
		point, err := publicKey(g)
		if err != nil {
			return nil, err
		}
		b = append(b, curveNamed)
		b = binary.BigEndian.AppendUint16(b, g)
		b = append(b, byte(len(point)))
		b = append(b, point...)
	case "RSA_EXPORT", "RSA_EXPORT1024":
		bits := exportRSABits
		if info.Kx == "RSA_EXPORT1024" {
			bits = export1024RSABits
		}
		b = vec16(b, pseudoPrime(bits))
		b = vec16(b, binary.BigEndian.AppendUint32(nil, rsaExponent)[1:])
	default:
		return nil, nil
	}
	if info.Flags.Anon || info.Au == "PSK" {
		return b, nil
	}
	// A signature of the right shape; nobody checks it.
	if version >= versionTLS12 {
		b = binary.BigEndian.AppendUint16(b, sigRSAPKCS1SHA1)
	}
	return vec16(b, randomBytes(fakeSignatureLen)), nil
}

func vec16(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

// pseudoPrime returns a fixed value of exactly bits bits (a multiple of 8)
// with the top and bottom bits set: the shape of a DH prime or RSA modulus.
func pseudoPrime(bits int) []byte {
	n := (bits + 7) / 8
	out := make([]byte, 0, n+sha256.Size)
	for i := uint32(0); len(out) < n; i++ {
		sum := sha256.Sum256(binary.BigEndian.AppendUint32([]byte("tlstest prime"), i))
		out = append(out, sum[:]...)
	}
	out = out[:n]
	out[0] |= 0x80
	out[n-1] |= 1
	return out
}

// publicKey returns a valid public key (or point) for a named group.
func publicKey(g uint16) ([]byte, error) {
	var curve ecdh.Curve
	switch g {
	case groupX25519:
		curve = ecdh.X25519()
	case groupSecp256r1:
		curve = ecdh.P256()
	case groupSecp384r1:
		curve = ecdh.P384()
	case groupSecp521r1:
		curve = ecdh.P521()
	case groupX448:
		return randomBytes(56), nil
	default:
		return randomBytes(32), nil
	}
	k, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return k.PublicKey().Bytes(), nil
}

// helloRetryRandom is SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3).
func helloRetryRandom() []byte {
	sum := sha256.Sum256([]byte("HelloRetryRequest"))
	return sum[:]
}

// answerTLS13 is a ServerHello with a key share, or a HelloRetryRequest
// asking for the server's group, followed by what a real server sends next
// (a compatibility change_cipher_spec and encrypted records, here random).
func answerTLS13(h *ClientHello, cfg Config, suite uint16) []byte {
	g := cfg.TLS13Group
	if g == 0 {
		g = groupX25519
	}
	if h.SupportedGroups() == nil || h.KeyShares() == nil {
		return alert(versionTLS12, alertLevelFatal, alertMissingExt)
	}
	sv := ext(nil, extSupportedVersions, binary.BigEndian.AppendUint16(nil, versionTLS13))
	ccs := record(recordTypeCCS, versionTLS12, []byte{1})
	hasShare := slices.ContainsFunc(h.KeyShares(), func(k KeyShare) bool { return k.Group == g })
	switch {
	case hasShare:
		key, err := publicKey(g)
		if err != nil {
			return alert(versionTLS12, alertLevelFatal, alertHandshake)
		}
		ks := binary.BigEndian.AppendUint16(nil, g)
		ks = vec16(ks, key)
		exts := ext(sv, extKeyShare, ks)
		sh := handshake(typeServerHello, serverHello(versionTLS12, randomBytes(32), h.SessionID, suite, exts, true))
		out := record(recordTypeHandshake, versionTLS12, sh)
		out = append(out, ccs...)
		return append(out, record(recordTypeAppData, versionTLS12, randomBytes(fakeSignatureLen))...)
	case slices.Contains(h.SupportedGroups(), g):
		exts := ext(sv, extKeyShare, binary.BigEndian.AppendUint16(nil, g))
		hrr := handshake(typeServerHello, serverHello(versionTLS12, helloRetryRandom(), h.SessionID, suite, exts, true))
		return append(record(recordTypeHandshake, versionTLS12, hrr), ccs...)
	}
	return alert(versionTLS12, alertLevelFatal, alertHandshake)
}

// Server is a fake server with its own accept loop.
type Server struct {
	ln  net.Listener
	cfg Config
	wg  sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted int
	errs     []error
}

// maxKeptErrors bounds the Serve errors a Server remembers.
const maxKeptErrors = 16

// Listen starts a fake server on addr ("127.0.0.1:0"); every accepted
// connection is answered by Serve with cfg. The accept loop ends when the
// server is closed.
func Listen(addr string, cfg Config) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{ln: ln, cfg: cfg, conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

func (s *Server) loop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return // closed
		}
		s.mu.Lock()
		s.accepted++
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			err := Serve(c, s.cfg)
			s.mu.Lock()
			delete(s.conns, c)
			if err != nil && len(s.errs) < maxKeptErrors {
				s.errs = append(s.errs, err)
			}
			s.mu.Unlock()
		}()
	}
}

// Addr is the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Accepted is the number of connections accepted so far.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Errors returns the errors Serve returned so far (at most 16).
func (s *Server) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.errs)
}

// Close stops the server, closes open connections and waits for their
// handlers to return.
func (s *Server) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
