package evidence

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Alert is a TLS alert a server sent (RFC 5246 §7.2, RFC 8446 §6).
type Alert struct {
	// Level is AlertWarning or AlertFatal; empty when the TLS library that
	// received the alert does not say (Go's crypto/tls reports only the
	// alerts that end a handshake).
	Level string `json:"level,omitempty"`
	// Code is the AlertDescription number (40 for handshake_failure).
	Code int `json:"code"`
	// Name is the description's name in the RFCs ("handshake_failure").
	Name string `json:"name"`
}

// Alert levels.
const (
	AlertWarning = "warning"
	AlertFatal   = "fatal"
)

// Wire values of the alert levels.
const (
	alertLevelWarning = 1
	alertLevelFatal   = 2
)

// NewAlert returns the Alert of a level and description as they are on
// the wire; an unknown level is left empty.
func NewAlert(level, description uint8) *Alert {
	a := &Alert{Code: int(description), Name: AlertName(description)}
	switch level {
	case alertLevelWarning:
		a.Level = AlertWarning
	case alertLevelFatal:
		a.Level = AlertFatal
	}
	return a
}

// String reads "fatal handshake_failure (40)".
func (a *Alert) String() string {
	if a == nil {
		return ""
	}
	s := a.Name + " (" + strconv.Itoa(a.Code) + ")"
	if a.Level != "" {
		s = a.Level + " " + s
	}
	return s
}

// alertNames are the AlertDescription names of the IANA TLS Alerts
// registry (RFC 8446 §6, RFC 5246 §7.2 and their updates).
var alertNames = map[uint8]string{
	0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 21: "decryption_failed",
	22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure", 41: "no_certificate",
	42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
	46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied",
	50: "decode_error", 51: "decrypt_error", 60: "export_restriction", 70: "protocol_version",
	71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled",
	100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension",
	111: "certificate_unobtainable", 112: "unrecognized_name", 113: "bad_certificate_status_response",
	114: "bad_certificate_hash_value", 115: "unknown_psk_identity", 116: "certificate_required",
	120: "no_application_protocol", 121: "ech_required",
}

// AlertName returns the RFC name of a TLS alert description
// ("handshake_failure"), or "alert_N" when unknown.
func AlertName(d uint8) string {
	if n, ok := alertNames[d]; ok {
		return n
	}
	return fmt.Sprintf("alert_%d", d)
}

// goAlertText maps the text of Go's crypto/tls alert values ("tls:
// handshake failure") to their numbers; unknown numbers read "tls:
// alert(N)". It is data, so this package stays free of crypto/tls: the
// tests of audit/tlsprobe hold it equal to crypto/tls's own table.
var goAlertText = map[string]uint8{
	"tls: close notify": 0, "tls: unexpected message": 10, "tls: bad record MAC": 20,
	"tls: decryption failed": 21, "tls: record overflow": 22, "tls: decompression failure": 30,
	"tls: handshake failure": 40, "tls: bad certificate": 42, "tls: unsupported certificate": 43,
	"tls: revoked certificate": 44, "tls: expired certificate": 45, "tls: unknown certificate": 46,
	"tls: illegal parameter": 47, "tls: unknown certificate authority": 48, "tls: access denied": 49,
	"tls: error decoding message": 50, "tls: error decrypting message": 51, "tls: export restriction": 60,
	"tls: protocol version not supported": 70, "tls: insufficient security level": 71,
	"tls: internal error": 80, "tls: inappropriate fallback": 86, "tls: user canceled": 90,
	"tls: no renegotiation": 100, "tls: missing extension": 109, "tls: unsupported extension": 110,
	"tls: certificate unobtainable": 111, "tls: unrecognized name": 112,
	"tls: bad certificate status response": 113, "tls: bad certificate hash value": 114,
	"tls: unknown PSK identity": 115, "tls: certificate required": 116,
	"tls: no application protocol": 120, "tls: encrypted client hello required": 121,
}

// GoRemoteError is the Op of the *net.OpError Go's crypto/tls returns when
// the peer sent an alert over TCP; its Err is the alert.
const GoRemoteError = "remote error"

// RemoteAlert reads the alert a peer sent from the parts of the
// *net.OpError Go's crypto/tls returns for it (Op GoRemoteError, Err an
// unexported alert value). Over TCP that is the only form an alert takes:
// tls.AlertError appears on the QUIC path alone, so errors.As on it never
// matches a TCP handshake. The caller unwraps the *net.OpError, keeping
// this package free of the network.
func RemoteAlert(op string, cause error) (*Alert, bool) {
	if op != GoRemoteError || cause == nil {
		return nil, false
	}
	if d, ok := alertNumber(cause); ok {
		return NewAlert(0, d), true
	}
	return nil, false
}

// AlertError is the classified error of a step ended by an alert.
func AlertError(step string, a *Alert) *Error {
	return &Error{Kind: ErrTLSAlert, Step: step, Code: a.Code, Alert: a, Message: "received TLS alert " + a.String()}
}

// alertNumber reads the description of crypto/tls's alert value: by its
// kind when it is a byte, as it has always been, else by its text.
func alertNumber(err error) (uint8, bool) {
	if v := reflect.ValueOf(err); v.Kind() == reflect.Uint8 {
		return uint8(v.Uint()), true
	}
	text := err.Error()
	if d, ok := goAlertText[text]; ok {
		return d, true
	}
	if rest, ok := strings.CutPrefix(text, "tls: alert("); ok {
		if n, err := strconv.ParseUint(strings.TrimSuffix(rest, ")"), 10, 8); err == nil {
			return uint8(n), true
		}
	}
	return 0, false
}
