package tlsprobe

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// SSLv2 framing (draft-hickman-netscape-ssl-00).
const (
	sslv2HeaderBit             = 0x80
	sslv2HeaderLen             = 2
	sslv2MaxRecordLen          = 0x7FFF
	sslv2Version        uint16 = 0x0002
	sslv2ChallengeLen          = 16
	sslv2SpecLen               = 3
	sslv2CertX509       uint8  = 1
	sslv2MinConnIDLen          = 16
	sslv2MaxConnIDLen          = 32
	sslv2ServerHelloLen        = 11 // fixed part of SERVER-HELLO
	sslv2ErrorLen              = 3

	sslv2MsgError       uint8 = 0
	sslv2MsgClientHello uint8 = 1
	sslv2MsgServerHello uint8 = 4
)

// SSLv2ServerHello is a server's SSLv2 answer: a SERVER-HELLO, or an ERROR
// message (which also shows that the server speaks SSLv2).
type SSLv2ServerHello struct {
	// Error is set for an ERROR message; ErrorCode is its code.
	Error     bool
	ErrorCode uint16
	// SessionIDHit, CertificateType and Version are the SERVER-HELLO fields.
	SessionIDHit    bool
	CertificateType uint8
	Version         uint16
	// Certificate is the server's certificate (DER).
	Certificate []byte
	// Specs are the cipher specs the server accepts, in its order.
	Specs [][3]byte
	// ConnectionIDLen is the length of the connection id.
	ConnectionIDLen int
}

// SSLv2ErrorName returns the name of an SSLv2 ERROR code.
func SSLv2ErrorName(code uint16) string {
	switch code {
	case 1:
		return "NO-CIPHER-ERROR"
	case 2:
		return "NO-CERTIFICATE-ERROR"
	case 4:
		return "BAD-CERTIFICATE-ERROR"
	case 6:
		return "UNSUPPORTED-CERTIFICATE-TYPE-ERROR"
	}
	return fmt.Sprintf("error-%d", code)
}

// BuildSSLv2ClientHello returns an SSLv2 CLIENT-HELLO record offering all
// 13 SSLv2 cipher specs of the reference table: a two-byte header with the
// high bit set, message type 1, version 0x0002, no session id and a
// 16-byte random challenge.
func BuildSSLv2ClientHello() []byte {
	specs := SSLv2Specs()
	var body []byte
	body = append(body, sslv2MsgClientHello)
	body = binary.BigEndian.AppendUint16(body, sslv2Version)
	body = binary.BigEndian.AppendUint16(body, uint16(sslv2SpecLen*len(specs)))
	body = binary.BigEndian.AppendUint16(body, 0)
	body = binary.BigEndian.AppendUint16(body, sslv2ChallengeLen)
	for _, s := range specs {
		code, err := parseHexCode(s.Code, sslv2SpecLen)
		if err != nil {
			continue // the registry only holds well-formed codes
		}
		body = append(body, code...)
	}
	body = append(body, randomBytes(sslv2ChallengeLen)...)
	out := binary.BigEndian.AppendUint16(nil, sslv2HeaderBit<<8|uint16(len(body)))
	return append(out, body...)
}

// ParseSSLv2ServerHello parses one SSLv2 record (two-byte header included)
// holding a SERVER-HELLO or an ERROR message. It is strict, so that random
// bytes with the high bit set are not taken for SSLv2.
func ParseSSLv2ServerHello(b []byte) (*SSLv2ServerHello, error) {
	if len(b) < sslv2HeaderLen {
		return nil, fmt.Errorf("%w: truncated SSLv2 header", ErrMalformed)
	}
	if b[0]&sslv2HeaderBit == 0 {
		return nil, fmt.Errorf("%w: not an SSLv2 two-byte header", ErrMalformed)
	}
	n := int(binary.BigEndian.Uint16(b) &^ (sslv2HeaderBit << 8))
	if len(b)-sslv2HeaderLen != n {
		return nil, fmt.Errorf("%w: SSLv2 record declares %d bytes, has %d", ErrMalformed, n, len(b)-sslv2HeaderLen)
	}
	return parseSSLv2Body(b[sslv2HeaderLen:])
}

// readSSLv2 reads the rest of an SSLv2 record whose header is h.
func (rr *responseReader) readSSLv2(h []byte) error {
	n := int(binary.BigEndian.Uint16(h) &^ (sslv2HeaderBit << 8))
	body, err := rr.read(n)
	if err != nil {
		return truncated("SSLv2 record", err)
	}
	sh, err := parseSSLv2Body(body)
	if err != nil {
		return err
	}
	rr.resp.SSLv2 = sh
	return nil
}

func parseSSLv2Body(body []byte) (*SSLv2ServerHello, error) {
	c := &cursor{b: body}
	switch typ := c.u8("SSLv2 message type"); typ {
	case sslv2MsgError:
		code := c.u16("SSLv2 error code")
		if c.err != nil {
			return nil, c.err
		}
		if !c.empty() {
			return nil, fmt.Errorf("%w: SSLv2 ERROR of %d bytes", ErrMalformed, len(body))
		}
		return &SSLv2ServerHello{Error: true, ErrorCode: code}, nil
	case sslv2MsgServerHello:
	default:
		return nil, fmt.Errorf("%w: SSLv2 message type %d", ErrMalformed, typ)
	}
	sh := &SSLv2ServerHello{}
	sh.SessionIDHit = c.u8("session id hit") != 0
	sh.CertificateType = c.u8("certificate type")
	sh.Version = c.u16("server version")
	certLen := int(c.u16("certificate length"))
	specLen := int(c.u16("cipher specs length"))
	connLen := int(c.u16("connection id length"))
	cert := c.bytes(certLen, "certificate")
	specs := c.bytes(specLen, "cipher specs")
	c.bytes(connLen, "connection id")
	if c.err != nil {
		return nil, c.err
	}
	switch {
	case !c.empty():
		return nil, fmt.Errorf("%w: %d bytes after SSLv2 SERVER-HELLO", ErrMalformed, len(c.b))
	case sh.Version != sslv2Version:
		return nil, fmt.Errorf("%w: SSLv2 SERVER-HELLO version 0x%04X", ErrMalformed, sh.Version)
	case specLen%sslv2SpecLen != 0:
		return nil, fmt.Errorf("%w: SSLv2 cipher specs of %d bytes", ErrMalformed, specLen)
	case connLen < sslv2MinConnIDLen || connLen > sslv2MaxConnIDLen:
		return nil, fmt.Errorf("%w: SSLv2 connection id of %d bytes", ErrMalformed, connLen)
	case certLen > 0 && sh.CertificateType != sslv2CertX509:
		return nil, fmt.Errorf("%w: SSLv2 certificate type %d", ErrMalformed, sh.CertificateType)
	}
	sh.Certificate = bytes.Clone(cert)
	sh.ConnectionIDLen = connLen
	for i := 0; i+sslv2SpecLen <= len(specs); i += sslv2SpecLen {
		sh.Specs = append(sh.Specs, [3]byte{specs[i], specs[i+1], specs[i+2]})
	}
	return sh, nil
}

// describeSSLv2 summarises an SSLv2 answer for a Reason.
func describeSSLv2(sh *SSLv2ServerHello) string {
	if sh.Error {
		return fmt.Sprintf("ERROR %s", SSLv2ErrorName(sh.ErrorCode))
	}
	return fmt.Sprintf("SERVER-HELLO with %d cipher specs", len(sh.Specs))
}

// probeSSLv2 sends one SSLv2 CLIENT-HELLO: a SERVER-HELLO lists every spec
// the server accepts, so one connection tells all. Any valid SSLv2 answer,
// even one with no spec in common or an SSLv2 ERROR, shows the server speaks
// SSLv2 and counts as Supported. Any other answer (a TLS alert or record, a
// close, a reset, bytes that are not SSLv2) is NotSupported; a timeout or a
// failed dial is Inconclusive.
func (p *Prober) probeSSLv2(ctx context.Context) evidence.VersionResult {
	res := evidence.VersionResult{Version: evidence.SSLv2}
	offered := SSLv2Specs()
	x := p.exchange(ctx, &res.Connections, BuildSSLv2ClientHello)
	if x.dialed {
		res.Offered = len(offered)
	}
	notSupported := func(reason string) evidence.VersionResult {
		res.Support = evidence.NotSupported
		res.Complete = true
		res.Reason = reason
		return res
	}
	if x.dialErr != nil || x.ctxErr != nil {
		res.Support = evidence.Inconclusive
		res.Error = x.classify()
		res.Reason = "no usable answer: " + res.Error.Error()
		return res
	}
	resp := x.resp
	switch {
	case resp.SSLv2 != nil:
		return sslv2Result(res, resp.SSLv2, offered)
	case resp.Alert != nil:
		res.Alert = evidence.NewAlert(resp.Alert.Level, resp.Alert.Description)
		return notSupported(fmt.Sprintf("answered the SSLv2 hello with a TLS %s alert", resp.Alert))
	case resp.Hello != nil:
		return notSupported(fmt.Sprintf("answered the SSLv2 hello with a %s ServerHello", VersionName(resp.Hello.Version)))
	}
	if how, ok := x.closedClean(); ok {
		return notSupported(fmt.Sprintf("server %s after the SSLv2 hello", how))
	}
	ev := x.classify()
	if ev.Kind == evidence.ErrTimeout || ev.Kind == evidence.ErrCanceled {
		res.Support = evidence.Inconclusive
		res.Error = ev
		res.Reason = "no usable answer: " + ev.Error()
		return res
	}
	return notSupported("answer to the SSLv2 hello is not SSLv2: " + ev.Error())
}

func sslv2Result(res evidence.VersionResult, sh *SSLv2ServerHello, offered []evidence.Suite) evidence.VersionResult {
	res.Support = evidence.Supported
	res.Complete = true
	if sh.Error {
		res.Reason = fmt.Sprintf("answered with an SSLv2 ERROR (%s): the server speaks SSLv2, no cipher spec in common", SSLv2ErrorName(sh.ErrorCode))
		return res
	}
	var unoffered []string
	for _, code := range sh.Specs {
		s := lookupSSLv2(code)
		if !slices.ContainsFunc(offered, func(o evidence.Suite) bool { return o.Code == s.Code }) {
			unoffered = append(unoffered, s.Code)
		}
		res.Suites = append(res.Suites, s)
	}
	if len(sh.Specs) == 0 {
		res.Reason = "SSLv2 SERVER-HELLO with no cipher spec in common: the server speaks SSLv2, counted as supported"
	} else {
		res.Reason = fmt.Sprintf("SSLv2 SERVER-HELLO with %d cipher specs", len(sh.Specs))
	}
	if len(unoffered) > 0 {
		res.Reason += "; anomaly: specs not offered: " + strings.Join(unoffered, " ")
	}
	return res
}
