package evidence

import (
	"strings"
	"time"
)

// ErrorKind classifies why a network step failed. The kinds are told apart
// because they mean different things: a refused connection or a timeout is
// inconclusive, a handshake refusal is an answer.
type ErrorKind string

// Error kinds.
const (
	ErrRefused    ErrorKind = "refused"     // TCP connection refused
	ErrTimeout    ErrorKind = "timeout"     // a deadline passed (connect, read or the whole step)
	ErrReset      ErrorKind = "reset"       // the peer reset the connection
	ErrClosed     ErrorKind = "closed"      // the peer closed the connection early (EOF)
	ErrUnreach    ErrorKind = "unreachable" // no route, network unreachable
	ErrProtocol   ErrorKind = "protocol"    // the peer sent something that breaks the protocol
	ErrTooLong    ErrorKind = "too_long"    // a line, reply or record exceeded our size cap
	ErrSMTPReject ErrorKind = "smtp_reject" // the server answered 421, 554 or another refusal
	ErrTLSAlert   ErrorKind = "tls_alert"   // the server sent a TLS alert
	ErrTLS        ErrorKind = "tls"         // any other TLS handshake failure
	ErrCanceled   ErrorKind = "canceled"    // the run was cancelled
	// ErrPrivateAddress: the address is in a special-purpose block that is
	// not globally reachable (RFC 6890), so it was not dialled.
	ErrPrivateAddress ErrorKind = "private_address"
	ErrInternal       ErrorKind = "internal" // a bug or local failure on our side
)

// Error is a classified failure with its text.
type Error struct {
	Kind ErrorKind `json:"kind"`
	// Step names where it happened: "connect", "banner", "ehlo", "starttls",
	// "handshake", "quit", "dns", ...
	Step    string `json:"step,omitempty"`
	Message string `json:"message"`
	// Code is the SMTP reply code for ErrSMTPReject, or the alert number for ErrTLSAlert.
	Code int `json:"code,omitempty"`
	// Alert is the alert the peer sent, for ErrTLSAlert.
	Alert *Alert `json:"alert,omitempty"`
	// Attempts is how many connections in a row, a pause apart, ended in
	// this same refusal; set for a 4xx reply to STARTTLS, which two or
	// more attempts confirm as a broken TLS setup (see Inconclusive).
	Attempts int `json:"attempts,omitempty"`
}

// StepSTARTTLS is the step of a refusal of the STARTTLS command.
const StepSTARTTLS = "starttls"

// minConfirmations is how many attempts must meet the same 4xx reply to
// STARTTLS before it counts as a refusal rather than a passing state.
const minConfirmations = 2

// ConfirmedSTARTTLSRefusal reports whether the error is a temporary (4xx)
// refusal of STARTTLS ("454 4.7.0 TLS not available due to local
// problem") met on every one of at least two attempts a pause apart: the
// server's TLS is broken, and senders deliver in plain text.
func (e *Error) ConfirmedSTARTTLSRefusal() bool {
	return e != nil && e.Kind == ErrSMTPReject && e.Step == StepSTARTTLS &&
		e.Code >= 400 && e.Code < 500 && e.Attempts >= minConfirmations
}

// StepPostTLSEHLO is the Step of an error at the first command inside TLS
// (the same name package smtp uses).
const StepPostTLSEHLO = "post_tls_ehlo"

// ConfirmedPostTLSRefusal reports whether the error is a temporary (4xx)
// reply to the first command inside TLS, after a completed handshake, met
// on every one of at least two sessions a pause apart: Postfix requiring a
// client certificate answers "421 4.7.1 Error: No client certificate
// presented" to every sender that has none, so no sender delivers over TLS.
func (e *Error) ConfirmedPostTLSRefusal() bool {
	return e != nil && e.Kind == ErrSMTPReject && e.Step == StepPostTLSEHLO &&
		e.Code >= 400 && e.Code < 500 && e.Attempts >= minConfirmations
}

// Inconclusive reports whether the error says nothing about the server's
// TLS configuration (the server could not be reached or asked us to come back).
func (e *Error) Inconclusive() bool {
	if e == nil {
		return false
	}
	switch e.Kind {
	case ErrRefused, ErrTimeout, ErrReset, ErrClosed, ErrUnreach, ErrCanceled, ErrInternal:
		return true
	case ErrSMTPReject:
		// 4xx is temporary (421 too many connections, 454 TLS not available
		// now), unless a 4xx to STARTTLS or inside TLS persisted across
		// attempts.
		return e.Code >= 400 && e.Code < 500 && !e.ConfirmedSTARTTLSRefusal() && !e.ConfirmedPostTLSRefusal()
	}
	return false
}

// RemoteTLSFailure reports whether a handshake error came from the server:
// a TLS alert it sent, or a protocol error it caused ("remote error"),
// rather than a failure of our own client or of the network.
func (e *Error) RemoteTLSFailure() bool {
	if e == nil {
		return false
	}
	switch e.Kind {
	case ErrTLSAlert:
		return true
	case ErrTLS, ErrProtocol:
		return strings.Contains(e.Message, "remote error")
	}
	return false
}

// ProbeStatus summarises a capability probe of one address.
type ProbeStatus string

// Probe statuses.
const (
	ProbeOK           ProbeStatus = "ok"            // STARTTLS, a full TLS handshake and the first command inside TLS succeeded
	ProbeNoSTARTTLS   ProbeStatus = "no_starttls"   // the server does not offer STARTTLS
	ProbeSTARTTLSFail ProbeStatus = "starttls_fail" // STARTTLS offered, but refused permanently, or with a 4xx on every attempt
	ProbeTLSFailed    ProbeStatus = "tls_failed"    // STARTTLS accepted, then no handshake succeeded and no hello drew a ServerHello
	// ProbeSessionFailed: the server answered in TLS (it chose suites in
	// ServerHellos, so the versions and suites are listed), but no TLS
	// session a sender can use was had: every full handshake ended after
	// the ServerHello (OpenSMTPD 6.8 under OpenSSL 3, a server requiring a
	// client certificate under TLS 1.2), or the session was refused at its
	// first command inside TLS (Postfix requiring a client certificate:
	// "421 4.7.1 Error: No client certificate presented"). Error says
	// which; an inconclusive Error (a timeout, a 4xx met once) leaves the
	// address inconclusive rather than failed.
	ProbeSessionFailed ProbeStatus = "session_failed"
	ProbeRejected      ProbeStatus = "rejected"     // the server refused us permanently (554 banner, say)
	ProbeInconclusive  ProbeStatus = "inconclusive" // could not connect, timed out, 421: nothing learnt
	ProbeNotTested     ProbeStatus = "not_tested"   // not attempted (null MX, cancelled, skipped)
	// ProbePrivateAddress: the address is not globally reachable (a
	// private, loopback, link-local... address) and was not dialled, so
	// the scanner cannot be turned against its own network.
	ProbePrivateAddress ProbeStatus = "private_address"
)

// Probe is the capability probe of one address on the SMTP port: the SMTP
// dialogue, a full handshake, and the versions and suites it accepts.
type Probe struct {
	// IP and Port are the address probed.
	IP   string `json:"ip"`
	Port int    `json:"port"`
	// SNI is the server name sent in every hello of this probe.
	SNI string `json:"sni"`
	// Status is the summary outcome.
	Status ProbeStatus `json:"status"`
	// Error is the failure that decided Status, when it is not ok.
	Error *Error `json:"error,omitempty"`
	// StartedAt and Duration bound the whole probe.
	StartedAt time.Time `json:"started_at"`
	Duration  Duration  `json:"duration_ms"`
	// SMTP is the cleartext dialogue of the first connection.
	SMTP *SMTPSession `json:"smtp,omitempty"`
	// Handshake is the full crypto/tls handshake of the first connection.
	Handshake *Handshake `json:"handshake,omitempty"`
	// Versions has one entry per protocol version, SSLv2 first.
	Versions []VersionResult `json:"versions,omitempty"`
	// Connections is the number of TCP connections this probe opened.
	Connections int `json:"connections"`
	// Retries is the number of connections repeated after 421 or a timeout.
	Retries int `json:"retries,omitempty"`
	// Transient are the failures that a repeated attempt got past, oldest
	// first: a 421 greeting, a timeout, a 454 to STARTTLS that cleared on
	// the next connection, a 4xx to the first command inside TLS that a
	// second session did not meet. They do not decide Status (a refusal
	// that clears is not a broken setup); they are kept so the evidence
	// shows what the server did. Empty when every first attempt succeeded.
	Transient []Error `json:"transient,omitempty"`
	// Throttle is set when the server limited our connections and the
	// probe paused for it; nil when it never did.
	Throttle *Throttle `json:"throttle,omitempty"`
	// Anomalies are protocol violations seen on the way (a suite we did not
	// offer, a version above the one offered, STARTTLS after TLS...).
	Anomalies []string `json:"anomalies,omitempty"`
	// Vulns are the known-vulnerability probes; nil when they did not run
	// (evidence from before they existed, or no TLS at all).
	Vulns *Vulns `json:"vulns,omitempty"`
	// DHParams are the distinct finite-field DH groups the server sent,
	// for LOGJAM (a short or widely shared prime).
	DHParams []DHParams `json:"dh_params,omitempty"`
}

// Reply is one SMTP reply, possibly multi-line.
type Reply struct {
	Code int `json:"code"`
	// Lines are the reply's text lines without code and separator.
	Lines []string `json:"lines"`
}

// TranscriptLine is one line of the cleartext SMTP dialogue.
type TranscriptLine struct {
	// Dir is "C" for what we sent and "S" for what the server sent.
	Dir  string `json:"dir"`
	Line string `json:"line"`
	// Raw holds the line's exact bytes when they are not valid UTF-8,
	// which Line cannot keep once stored as JSON; nil otherwise (Line is
	// then exact).
	Raw []byte `json:"raw,omitempty"`
	// At is the time since the connection opened.
	At Duration `json:"at_ms"`
}

// SMTPSession is what the SMTP dialogue of one connection showed.
type SMTPSession struct {
	// Banner is the 220 greeting (or the refusal).
	Banner *Reply `json:"banner,omitempty"`
	// BannerDelay is the time from connect to the end of the greeting.
	BannerDelay Duration `json:"banner_delay_ms"`
	// EHLOName is the name we announced.
	EHLOName string `json:"ehlo_name"`
	// EHLO is the reply to EHLO (or to HELO when UsedHELO).
	EHLO *Reply `json:"ehlo,omitempty"`
	// UsedHELO is set when EHLO was refused and HELO used instead.
	UsedHELO bool `json:"used_helo,omitempty"`
	// Extensions are the EHLO keywords with their parameters, upper-cased keyword first.
	Extensions []string `json:"extensions,omitempty"`
	// STARTTLSOffered is nil when EHLO never succeeded.
	STARTTLSOffered *bool `json:"starttls_offered"`
	// STARTTLS is the reply to the STARTTLS command, if sent.
	STARTTLS *Reply `json:"starttls,omitempty"`
	// PostTLSEHLO is the reply to EHLO sent inside TLS.
	PostTLSEHLO *Reply `json:"post_tls_ehlo,omitempty"`
	// STARTTLSAfterTLS is set when STARTTLS is advertised again inside TLS (RFC 3207 §4.2 forbids it).
	STARTTLSAfterTLS *bool `json:"starttls_after_tls,omitempty"`
	// PostTLSError is why the first command inside TLS (EHLO) failed after
	// a completed handshake: the session a sender needs did not survive it
	// (a server that demands a client certificate rejects here). Nil when
	// EHLO inside TLS was answered, or was never sent.
	PostTLSError *Error `json:"post_tls_error,omitempty"`
	// DataAfterSTARTTLS is what the server sent after its 220 reply to
	// STARTTLS and before the TLS handshake. TLS is client-first (RFC 8446
	// §2, RFC 3207 §4), so such bytes are injected or a buffering bug. They
	// are recorded here, then read by the TLS handshake as a sender's TLS
	// library would read them. Nil when none arrived with the 220 reply.
	DataAfterSTARTTLS *UnexpectedData `json:"data_after_starttls,omitempty"`
	// Transcript is the cleartext dialogue, truncated lines marked.
	Transcript []TranscriptLine `json:"transcript,omitempty"`
	// ConnectedAt is when the TCP connection opened; transcript offsets
	// count from it. Zero when the connection never opened.
	ConnectedAt time.Time `json:"connected_at,omitzero"`
}

// UnexpectedData is bytes a server sent where the protocol allows none.
type UnexpectedData struct {
	// Bytes is how many bytes arrived.
	Bytes int `json:"bytes"`
	// Hex is the first of them (at most MaxUnexpectedHex bytes), hex-encoded
	// so that no remote byte reaches a report unescaped.
	Hex string `json:"hex"`
}

// MaxUnexpectedHex is how many unexpected bytes UnexpectedData keeps.
const MaxUnexpectedHex = 64

// Handshake is a completed (or failed) full TLS handshake with crypto/tls.
type Handshake struct {
	// OK is set when the handshake completed.
	OK bool `json:"ok"`
	// Version is the negotiated version ("TLSv1.2", "TLSv1.3").
	Version string `json:"version,omitempty"`
	// Suite is the negotiated cipher suite.
	Suite *Suite `json:"suite,omitempty"`
	// Group is the key-exchange group when known ("x25519", "secp256r1", ...).
	Group string `json:"group,omitempty"`
	// Chain is the certificate chain as presented, leaf first.
	Chain []Certificate `json:"chain,omitempty"`
	// OCSPStapled is set when the server stapled an OCSP response.
	OCSPStapled bool `json:"ocsp_stapled,omitempty"`
	// Error is the handshake failure.
	Error *Error `json:"error,omitempty"`
	// Offered are the suite codes the handshake offered ("0xC0,0x2F"), for
	// TLS 1.0 to 1.3. A suite the raw hellos saw accepted and that is
	// listed here was one the server could choose in this handshake too:
	// when it then fails, the handshake broke after the ServerHello.
	Offered []string `json:"offered,omitempty"`
	// Duration is the handshake time.
	Duration Duration `json:"duration_ms"`
}

// Protocol version names used in evidence.
const (
	SSLv2 = "SSLv2"
	SSLv3 = "SSLv3"
	TLS10 = "TLSv1.0"
	TLS11 = "TLSv1.1"
	TLS12 = "TLSv1.2"
	TLS13 = "TLSv1.3"
)

// Versions lists every protocol version mxaudit tests, oldest first.
var Versions = []string{SSLv2, SSLv3, TLS10, TLS11, TLS12, TLS13}

// Support is the three-state answer to "is this version accepted".
type Support string

// Support values. NotTested and Inconclusive never count as either answer.
const (
	Supported    Support = "supported"
	NotSupported Support = "not_supported"
	Inconclusive Support = "inconclusive"
	NotTested    Support = "not_tested"
)

// Preference says whose order picks the suite.
type Preference string

// Preference values.
const (
	PreferServer  Preference = "server"  // the server enforces its own order
	PreferClient  Preference = "client"  // the server follows the client's order
	PreferUnknown Preference = "unknown" // fewer than two suites, or not decidable
)

// VersionResult is what one protocol version showed.
type VersionResult struct {
	// Version is one of the names in Versions.
	Version string `json:"version"`
	// Support is whether the server accepts the version.
	Support Support `json:"support"`
	// Reason explains the verdict: the alert, the close, the error.
	Reason string `json:"reason,omitempty"`
	// Error is set when Support is Inconclusive.
	Error *Error `json:"error,omitempty"`
	// Alert is the alert with which the server refused the last hello of
	// the enumeration, when it refused with one.
	Alert *Alert `json:"alert,omitempty"`
	// Suites are the accepted suites; in server preference order when
	// Preference is PreferServer, otherwise in the order they were found.
	Suites []Suite `json:"suites,omitempty"`
	// Complete is set when enumeration ran to a refusal, so Suites is the
	// whole accepted set (false when it was cut short by an error).
	Complete bool `json:"complete"`
	// Preference is whose order the server follows for this version.
	Preference Preference `json:"preference,omitempty"`
	// Chunked is set when the server refused long hellos and the suites
	// were offered in smaller chunks.
	Chunked bool `json:"chunked,omitempty"`
	// Offered is the number of distinct suites offered in all.
	Offered int `json:"offered"`
	// Connections is the number of connections this version cost.
	Connections int `json:"connections"`
}

// Suite is one cipher suite with the attributes the grader needs, copied
// from the registry at probe time so that stored evidence is self-describing.
type Suite struct {
	// Code is the wire code: "0xC0,0x2F" (two bytes) or "0x07,0x00,0xC0" (SSLv2).
	Code string `json:"code"`
	// Name is the IANA name (or the SSLv2 name).
	Name string `json:"name"`
	// OpenSSL is the OpenSSL name, when it has one.
	OpenSSL string `json:"openssl,omitempty"`
	// Kx, Au and Enc are key exchange, authentication and cipher, normalised.
	Kx  string `json:"kx"`
	Au  string `json:"au"`
	Enc string `json:"enc"`
	// Bits is the symmetric key strength in bits (0 for NULL).
	Bits int `json:"bits"`
	// Mac is the MAC ("AEAD" for AEAD suites).
	Mac string `json:"mac"`
	// Flags are the weakness and property flags of the suite.
	Flags SuiteFlags `json:"flags"`
	// KeyExchange is what the server's key exchange showed when this suite
	// was chosen (DH prime size, named group), when observed.
	KeyExchange *KeyExchange `json:"key_exchange,omitempty"`
}

// SuiteFlags are the properties of a suite from the reference table.
type SuiteFlags struct {
	Export        bool `json:"export,omitempty"`
	Null          bool `json:"null,omitempty"`
	Anon          bool `json:"anon,omitempty"`
	RC2           bool `json:"rc2,omitempty"`
	RC4           bool `json:"rc4,omitempty"`
	DES           bool `json:"des,omitempty"`
	TripleDES     bool `json:"3des,omitempty"`
	MD5           bool `json:"md5,omitempty"`
	SHA1MAC       bool `json:"sha1_mac,omitempty"`
	AEAD          bool `json:"aead,omitempty"`
	ForwardSecret bool `json:"forward_secret,omitempty"`
	TLS13Only     bool `json:"tls13_only,omitempty"`
	CBC           bool `json:"cbc,omitempty"`
}

// KeyExchange is the server's key-exchange parameters seen in one handshake.
type KeyExchange struct {
	// Type is "DHE", "ECDHE", "RSA", "DH", "ECDH", "PSK", ... as the suite says.
	Type string `json:"type"`
	// Group is the named group for ECDHE and TLS 1.3 ("x25519", "secp256r1",
	// "ffdhe2048"), or "" when the server sent explicit DH parameters.
	Group string `json:"group,omitempty"`
	// Bits is the DH prime length, or the curve size for ECDHE.
	Bits int `json:"bits,omitempty"`
	// HelloRetry is set when the server asked for another TLS 1.3 key share.
	HelloRetry bool `json:"hello_retry,omitempty"`
}

// Throttle is what a server that limits connections did to a probe: it
// refused connections after accepting some, and the probe paused and went
// on from where it stopped.
type Throttle struct {
	// Refusals counts the connections refused (421, reset, refused) after
	// the server had accepted one.
	Refusals int `json:"refusals"`
	// Waited is the time the probe spent paused.
	Waited Duration `json:"waited_ms"`
	// Budget is the time the probe could spend from the first refusal.
	Budget Duration `json:"budget_ms"`
	// BudgetExhausted is set when the server still refused when the budget
	// ran out: the enumeration is then incomplete (see VersionResult.Complete).
	BudgetExhausted bool `json:"budget_exhausted,omitempty"`
}
