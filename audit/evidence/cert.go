package evidence

import "time"

// Certificate is one X.509 certificate as presented, decoded into the
// fields an auditor reads. DER keeps the bytes so a later policy can look again.
type Certificate struct {
	Subject    string `json:"subject"`
	Issuer     string `json:"issuer"`
	CommonName string `json:"common_name,omitempty"`
	// DNSNames are the SAN DNS names; IPs the SAN IP addresses.
	DNSNames []string `json:"dns_names,omitempty"`
	IPs      []string `json:"ips,omitempty"`
	Serial   string   `json:"serial"`
	// NotBefore and NotAfter are the validity window.
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// KeyType is "RSA", "ECDSA", "Ed25519", "DSA" or "unknown"; KeyBits its size.
	KeyType string `json:"key_type"`
	KeyBits int    `json:"key_bits"`
	// Curve is the ECDSA curve name ("P-256").
	Curve string `json:"curve,omitempty"`
	// SignatureAlgorithm is the signature algorithm's name ("SHA256-RSA").
	SignatureAlgorithm string `json:"signature_algorithm"`
	// SelfSigned is set when subject equals issuer and the signature verifies with its own key.
	SelfSigned bool `json:"self_signed,omitempty"`
	IsCA       bool `json:"is_ca,omitempty"`
	// SHA256 is the hex SHA-256 fingerprint of DER.
	SHA256 string `json:"sha256"`
	// SPKISHA256 is the hex SHA-256 of the SubjectPublicKeyInfo (TLSA 1 1).
	SPKISHA256 string `json:"spki_sha256"`
	// DER is the certificate as presented.
	DER []byte `json:"der"`
	// ParseError is set when the bytes could not be parsed as X.509.
	ParseError string `json:"parse_error,omitempty"`
}

// CertCheck is the certificate presented by one address for one MX name,
// and how it checked out against that name and the trust store.
type CertCheck struct {
	// Name is the MX host name the certificate was requested (SNI) and checked for.
	Name string `json:"name"`
	// CheckedAt is the moment expiry and validity were judged.
	CheckedAt time.Time `json:"checked_at"`
	// Chain is the chain as presented, leaf first.
	Chain []Certificate `json:"chain"`
	// Trusted is whether the chain verifies to a trusted root (system roots
	// or --ca-file); nil when it could not be checked.
	Trusted *bool `json:"trusted"`
	// TrustError is the verification error when not trusted.
	TrustError string `json:"trust_error,omitempty"`
	// VerifiedChain is the chain built during verification (subjects), leaf first.
	VerifiedChain []string `json:"verified_chain,omitempty"`
	// ChainIncomplete is set when verification only succeeds with
	// intermediates the server did not send.
	ChainIncomplete bool `json:"chain_incomplete,omitempty"`
	// NameMatch is whether the leaf is valid for Name (RFC 6125, SAN first);
	// MatchedBy is the SAN or CN that matched.
	NameMatch *bool  `json:"name_match"`
	MatchedBy string `json:"matched_by,omitempty"`
	// Expired, NotYetValid and DaysToExpiry describe the leaf's validity window at CheckedAt.
	Expired      *bool `json:"expired"`
	NotYetValid  bool  `json:"not_yet_valid,omitempty"`
	DaysToExpiry int   `json:"days_to_expiry"`
	// SelfSigned is set when the leaf signs itself.
	SelfSigned bool `json:"self_signed,omitempty"`
	// WeakSignature names a weak signature in the chain (MD5, SHA-1), excluding the root's own.
	WeakSignature string `json:"weak_signature,omitempty"`
	// WeakKey describes a key below policy strength (RSA < 2048, EC < 224).
	WeakKey string `json:"weak_key,omitempty"`
	// Error is set when no certificate could be obtained.
	Error *Error `json:"error,omitempty"`
	// Connections is the number of connections this check opened (0 when
	// the capability probe's handshake already used this name).
	Connections int `json:"connections"`
	// Via says how a certificate of Address.OtherCerts was obtained ("ECDSA
	// key, in TLSv1.2 hellos", "without SNI"); empty for Address.Cert.
	Via string `json:"via,omitempty"`
	// DANE is the TLSA match of a certificate of Address.OtherCerts (the
	// primary certificate's is Address.DANE); nil when not checked.
	DANE *DANEMatch `json:"dane,omitempty"`
}
