package evidence

// VulnStatus is the outcome of one known-vulnerability check. Only
// VulnVulnerable and VulnNotVulnerable are answers; the other values say
// why there is none and never count as a pass.
type VulnStatus string

// Vulnerability check outcomes.
const (
	VulnVulnerable    VulnStatus = "vulnerable"     // the server showed the flaw
	VulnNotVulnerable VulnStatus = "not_vulnerable" // the server answered the way a fixed server does
	// VulnNotApplicable: the precondition is absent (no heartbeat
	// extension for Heartbleed, no RSA key exchange for ROBOT), so the
	// flaw cannot be reached by any client.
	VulnNotApplicable VulnStatus = "not_applicable"
	VulnInconclusive  VulnStatus = "inconclusive" // the probe ran but its answer decides nothing (timeout, reset)
	VulnNotTested     VulnStatus = "not_tested"   // the probe did not run (no TLS ≤ 1.2, cancelled, not configured)
)

// VulnCheck is one known-vulnerability check of one address.
type VulnCheck struct {
	Status VulnStatus `json:"status"`
	// Detail says what was seen: the alert, the extension, the reply.
	Detail string `json:"detail,omitempty"`
	// Version is the protocol version the check's hello used, when it sent one.
	Version string `json:"version,omitempty"`
	// Error is the failure behind an inconclusive status.
	Error *Error `json:"error,omitempty"`
	// Connections is the number of connections the check opened itself
	// (0 when it read an exchange another check or the enumeration paid for).
	Connections int `json:"connections"`
}

// Vulns are the known-vulnerability checks of one address that need
// probes of their own. Findings derived from the suite and version lists
// alone (SWEET32, FREAK, LOGJAM, POODLE, DROWN, BEAST, LUCKY13, RC4) are
// the grader's: they need no evidence beyond Probe.Versions.
type Vulns struct {
	// STARTTLSInjection is the CVE-2011-0411 family: a command sent in the
	// same packet as STARTTLS is answered after the handshake.
	STARTTLSInjection VulnCheck `json:"starttls_injection"`
	// Heartbleed is CVE-2014-0160: an over-length heartbeat request is
	// answered.
	Heartbleed VulnCheck `json:"heartbleed"`
	// CCSInjection is CVE-2014-0224: an early ChangeCipherSpec is accepted.
	CCSInjection VulnCheck `json:"ccs_injection"`
	// SecureRenegotiation is RFC 5746: vulnerable when the ServerHello
	// does not echo renegotiation_info (CVE-2009-3555).
	SecureRenegotiation VulnCheck `json:"secure_renegotiation"`
	// ClientRenegotiation is a client-initiated renegotiation accepted
	// inside an established session (a denial-of-service lever).
	ClientRenegotiation VulnCheck `json:"client_renegotiation"`
	// Compression is TLS compression chosen when offered (CRIME, CVE-2012-4929).
	Compression VulnCheck `json:"compression"`
	// ROBOT is the Bleichenbacher padding oracle of RSA key exchange (CVE-2017-13099 and kin).
	ROBOT VulnCheck `json:"robot"`
}

// DHParams is one finite-field Diffie-Hellman group a server sent in a
// ServerKeyExchange, kept once per probe however many suites used it.
type DHParams struct {
	// Bits is the prime's length.
	Bits int `json:"bits"`
	// Prime is p in upper-case hex, as sent.
	Prime string `json:"prime"`
	// Known names a widely shared prime (RFC 2409 group 2, a server's
	// built-in default...), empty when it is not one we know.
	Known string `json:"known,omitempty"`
}
