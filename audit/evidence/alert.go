package evidence

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
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

// goAlertText maps crypto/tls's text of each alert ("tls: handshake
// failure") to its number, built from tls.AlertError, whose text is the
// same as that of the error a TCP handshake returns.
var goAlertText = func() map[string]uint8 {
	m := make(map[string]uint8, 256)
	for d := range 256 {
		m[tls.AlertError(uint8(d)).Error()] = uint8(d)
	}
	return m
}()

// goRemoteError is the Op of the *net.OpError crypto/tls returns when the
// peer sent an alert over TCP.
const goRemoteError = "remote error"

// AlertOf finds the TLS alert a peer sent in an error from Go's
// crypto/tls. Over TCP the alert comes as a *net.OpError with Op "remote
// error" around an unexported alert value: tls.AlertError only appears on
// the QUIC path, so errors.As on it alone never matches a TCP handshake.
func AlertOf(err error) (*Alert, bool) {
	if err == nil {
		return nil, false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == goRemoteError && op.Err != nil {
		if d, ok := alertNumber(op.Err); ok {
			return NewAlert(0, d), true
		}
	}
	var qa tls.AlertError
	if errors.As(err, &qa) {
		return NewAlert(0, uint8(qa)), true
	}
	return nil, false
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
