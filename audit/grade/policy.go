package grade

import (
	"maps"
	"slices"
	"strings"
)

// Finding codes. They are stable identifiers: reports, templates and stored
// history refer to them.
const (
	CodeNoSTARTTLS            = "NO_STARTTLS"
	CodeSTARTTLSFailed        = "STARTTLS_FAILED"
	CodeSSLv2Enabled          = "SSLV2_ENABLED"
	CodeSSLv3Enabled          = "SSLV3_ENABLED"
	CodeNoModernTLS           = "NO_MODERN_TLS"
	CodeCertExpired           = "CERT_EXPIRED"
	CodeCertNotYetValid       = "CERT_NOT_YET_VALID"
	CodeCertUntrusted         = "CERT_UNTRUSTED"
	CodeNoNISTR1Suite         = "NO_NIST_R1_SUITE"
	CodeCertWeakSignatureMD5  = "CERT_WEAK_SIGNATURE_MD5"
	CodeWeakDHCritical        = "WEAK_DH_CRITICAL"
	CodeCertNameMismatch      = "CERT_NAME_MISMATCH"
	CodeWeakCiphers           = "WEAK_CIPHERS"
	CodeWeakDH                = "WEAK_DH"
	CodeCertWeakKey           = "CERT_WEAK_KEY"
	CodeCertWeakSignatureSHA1 = "CERT_WEAK_SIGNATURE_SHA1"
	CodeNoNISTR2Suite         = "NO_NIST_R2_SUITE"
	CodeNoForwardSecrecy      = "NO_FORWARD_SECRECY"
	CodeCertExpiresSoon       = "CERT_EXPIRES_SOON"
	CodeCertChainIncomplete   = "CERT_CHAIN_INCOMPLETE"
	CodeTLS10Enabled          = "TLS10_ENABLED"
	CodeTLS11Enabled          = "TLS11_ENABLED"
	CodeNoTLS13               = "NO_TLS13"
	CodeClientCipherOrder     = "CLIENT_CIPHER_ORDER"
	CodeSTARTTLSAfterTLS      = "STARTTLS_AFTER_TLS"
	CodeProtocolAnomaly       = "PROTOCOL_ANOMALY"
	CodeInconclusive          = "INCONCLUSIVE"
	CodeNullMX                = "NULL_MX"
	CodeNullMXConflict        = "NULL_MX_CONFLICT"
	CodeNoMX                  = "NO_MX"
	CodeMXLookupFailed        = "MX_LOOKUP_FAILED"
	CodeMXIsCNAME             = "MX_IS_CNAME"
	CodeMXIsIPLiteral         = "MX_IS_IP_LITERAL"
	CodeMXNoAddress           = "MX_NO_ADDRESS"
	CodePort25Blocked         = "PORT25_BLOCKED"
	CodeHTTPSBlocked          = "HTTPS_BLOCKED"
	// CodeScanRestricted: the scan left protocol versions out (--versions),
	// so what only they could show (SSLv3, weak suites) is unknown.
	CodeScanRestricted = "SCAN_RESTRICTED"
	// CodeMXPrivateAddress is an MX address that is not globally reachable
	// (RFC 6890): per address, never dialled unless private addresses are
	// allowed, so the address is not audited.
	CodeMXPrivateAddress = "MX_PRIVATE_ADDRESS"
	// CodeMXHostsOmitted is a domain with more MX targets than the scanner
	// audits; CodeMXAddressesOmitted an MX host with more addresses. What
	// was left out is listed and the audit is incomplete.
	CodeMXHostsOmitted     = "MX_HOSTS_OMITTED"
	CodeMXAddressesOmitted = "MX_ADDRESSES_OMITTED"

	// MTA-STS (RFC 8461) and TLS reporting (RFC 8460), domain level
	// unless noted.
	CodeMTASTSMissing           = "MTASTS_MISSING"
	CodeMTASTSLookupFailed      = "MTASTS_LOOKUP_FAILED"
	CodeMTASTSRecordInvalid     = "MTASTS_RECORD_INVALID"
	CodeMTASTSPolicyUnavailable = "MTASTS_POLICY_UNAVAILABLE"
	CodeMTASTSPolicyInvalid     = "MTASTS_POLICY_INVALID"
	CodeMTASTSTesting           = "MTASTS_TESTING"
	CodeMTASTSModeNone          = "MTASTS_MODE_NONE"
	CodeMTASTSMXNotCovered      = "MTASTS_MX_NOT_COVERED"   // per MX host
	CodeMTASTSEnforceMXFails    = "MTASTS_ENFORCE_MX_FAILS" // per address
	CodeMTASTSMediaType         = "MTASTS_MEDIA_TYPE"
	CodeMTASTSShortMaxAge       = "MTASTS_SHORT_MAX_AGE"
	// CodeMTASTSHostPrivate is a policy host that resolves only to
	// addresses that are not globally reachable: not fetched.
	CodeMTASTSHostPrivate  = "MTASTS_HOST_PRIVATE"
	CodeTLSRPTMissing      = "TLSRPT_MISSING"
	CodeTLSRPTInvalid      = "TLSRPT_INVALID"
	CodeTLSRPTLookupFailed = "TLSRPT_LOOKUP_FAILED"

	// DANE (RFC 7672) per MX host or address, and DNSSEC (RFC 4035) for
	// the domain's MX records or a host's address records.
	CodeDANEInvalid          = "DANE_INVALID"            // per address
	CodeDANEUnusable         = "DANE_UNUSABLE"           // per MX host
	CodeDANENoRollover       = "DANE_NO_ROLLOVER"        // per MX host
	CodeDANETLSALookupFailed = "DANE_TLSA_LOOKUP_FAILED" // per MX host
	CodeDNSSECBogus          = "DNSSEC_BOGUS"            // domain or MX host
	CodeDNSSECUnsigned       = "DNSSEC_UNSIGNED"
)

// Rule variants. A code whose severity depends on the situation has one
// rule per situation: the main rule is keyed by the code itself, the others
// by RuleKey(code, variant), so a policy can set each one.
const (
	// VariantTesting is MTASTS_MX_NOT_COVERED under a policy in testing
	// mode, where senders report but still deliver.
	VariantTesting = "testing"
	// VariantWithPolicy is TLSRPT_MISSING for a domain that publishes
	// MTA-STS or DANE, whose failures then go unreported.
	VariantWithPolicy = "with_policy"
)

// variantSep separates a code from its variant in a rule key.
const variantSep = "/"

// RuleKey returns the key of a rule in Policy.Rules: the code for the main
// rule, "CODE/variant" for a variant ("MTASTS_MX_NOT_COVERED/testing").
func RuleKey(code, variant string) string {
	if variant == "" {
		return code
	}
	return code + variantSep + variant
}

// Policy identity and defaults of the built-in policy.
const (
	DefaultPolicyName     = "mxaudit-default"
	DefaultPolicyVersion  = "2"
	DefaultExpiryWarnDays = 30
)

// Rule is what a policy does with one finding code.
type Rule struct {
	Severity Severity `json:"severity"`
	// Deduction is taken once, however often the finding's cause appears,
	// from the score (which starts at 100) of every address in the
	// finding's scope: the address itself for an address-level finding,
	// every address of the MX host for a host-level one, every address of
	// the domain for a domain-level one.
	Deduction int `json:"deduction"`
	// ForceF grades F whatever the score, within the finding's scope: the
	// address; the MX host and its addresses; or the domain, its MX hosts
	// and their addresses. An address that could not be audited stays "?".
	ForceF bool `json:"force_f,omitempty"`
}

// Policy is a versioned set of grading rules. Every graded result records
// the policy's Name and Version.
type Policy struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// ExpiryWarnDays is how many days before expiry CERT_EXPIRES_SOON is
	// raised; 0 means DefaultExpiryWarnDays.
	ExpiryWarnDays int `json:"expiry_warn_days"`
	// Rules maps rule keys (a finding code, or RuleKey(code, variant)) to
	// their rule; a key missing here falls back to the default policy's rule.
	Rules map[string]Rule `json:"rules,omitempty"`
}

// Default returns the built-in policy "mxaudit-default", version 2.
func Default() Policy {
	return Policy{
		Name:           DefaultPolicyName,
		Version:        DefaultPolicyVersion,
		ExpiryWarnDays: DefaultExpiryWarnDays,
		Rules:          defaultRules(),
	}
}

// Codes lists every finding code the grader can emit, sorted.
func Codes() []string {
	rules := defaultRules()
	codes := make([]string, 0, len(rules))
	for key := range rules {
		if !strings.Contains(key, variantSep) {
			codes = append(codes, key)
		}
	}
	slices.Sort(codes)
	return codes
}

// RuleKeys lists every rule key of the default policy, sorted: each code
// of Codes and each rule variant ("MTASTS_MX_NOT_COVERED/testing"), for a
// complete table of the rules.
func RuleKeys() []string {
	rules := defaultRules()
	keys := make([]string, 0, len(rules))
	for key := range rules {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}

func (p Policy) expiryWarnDays() int {
	if p.ExpiryWarnDays <= 0 {
		return DefaultExpiryWarnDays
	}
	return p.ExpiryWarnDays
}

// rule returns the rule of a rule key (see RuleKey).
func (p Policy) rule(key string) Rule {
	if r, ok := p.Rules[key]; ok {
		return r
	}
	return defaultRules()[key]
}

// Deductions of the default policy.
const (
	deductHeavy  = 35
	deductMedium = 10
	deductLight  = 5
)

// defaultRules is the table of policy mxaudit-default v2. Changing a value
// here changes the meaning of stored grades: raise DefaultPolicyVersion.
//
// Version 2 adds MTA-STS, TLS-RPT, DANE and DNSSEC. Their rules follow the
// TLS table: a failure that makes standard-conforming senders refuse to
// deliver is critical and forces F in its scope (an MX outside an enforced
// MTA-STS policy or failing what the policy requires, a DANE mismatch,
// bogus DNSSEC); a TLSA lookup failure, which makes DANE senders treat the
// host as unreachable but leaves other senders unaffected, is high like the
// certificate failures (35); a broken MTA-STS deployment that senders
// ignore is medium (10) like a name mismatch, as is an MX host outside a
// testing policy and TLSA records senders cannot use; a policy served with
// another media type is low with 5, like an incomplete chain, because the
// senders that check it ignore the policy; a short max_age, a TLSA set
// without a rollover record and a TLS-RPT problem are low with no
// deduction, like a certificate that expires soon: nothing fails today;
// the absence of MTA-STS, TLS-RPT or DNSSEC, testing and none modes, and a
// lookup that could not be answered are information.
func defaultRules() map[string]Rule {
	rules := map[string]Rule{
		CodeNoSTARTTLS:            {Severity: Critical, ForceF: true},
		CodeSTARTTLSFailed:        {Severity: Critical, ForceF: true},
		CodeSSLv2Enabled:          {Severity: Critical, ForceF: true},
		CodeSSLv3Enabled:          {Severity: High, Deduction: deductHeavy},
		CodeNoModernTLS:           {Severity: High, Deduction: deductHeavy},
		CodeCertExpired:           {Severity: High, Deduction: deductHeavy},
		CodeCertNotYetValid:       {Severity: High, Deduction: deductHeavy},
		CodeCertUntrusted:         {Severity: High, Deduction: deductHeavy},
		CodeNoNISTR1Suite:         {Severity: High, Deduction: deductHeavy},
		CodeCertWeakSignatureMD5:  {Severity: High, Deduction: deductHeavy},
		CodeWeakDHCritical:        {Severity: High, Deduction: deductHeavy},
		CodeCertNameMismatch:      {Severity: Medium, Deduction: deductMedium},
		CodeWeakCiphers:           {Severity: Medium, Deduction: deductMedium},
		CodeWeakDH:                {Severity: Medium, Deduction: deductMedium},
		CodeCertWeakKey:           {Severity: Medium, Deduction: deductMedium},
		CodeCertWeakSignatureSHA1: {Severity: Medium, Deduction: deductMedium},
		CodeNoNISTR2Suite:         {Severity: Low, Deduction: deductMedium},
		CodeNoForwardSecrecy:      {Severity: Low, Deduction: deductLight},
		CodeCertExpiresSoon:       {Severity: Low},
		CodeCertChainIncomplete:   {Severity: Low, Deduction: deductLight},
		CodeTLS10Enabled:          {Severity: Info},
		CodeTLS11Enabled:          {Severity: Info},
		CodeNoTLS13:               {Severity: Low},
		CodeClientCipherOrder:     {Severity: Info},
		CodeSTARTTLSAfterTLS:      {Severity: Info},
		CodeProtocolAnomaly:       {Severity: Info},
		CodeInconclusive:          {Severity: Info},
		CodeNullMX:                {Severity: Info},
		CodeNullMXConflict:        {Severity: Medium},
		CodeNoMX:                  {Severity: High},
		CodeMXLookupFailed:        {Severity: High},
		CodeMXIsCNAME:             {Severity: Low},
		CodeMXIsIPLiteral:         {Severity: Low},
		CodeMXNoAddress:           {Severity: Medium},
		CodePort25Blocked:         {Severity: Info},
		CodeHTTPSBlocked:          {Severity: Info},
		CodeScanRestricted:        {Severity: Info},
		CodeMXPrivateAddress:      {Severity: High},
		CodeMXHostsOmitted:        {Severity: Low},
		CodeMXAddressesOmitted:    {Severity: Low},

		CodeMTASTSMissing:                               {Severity: Info},
		CodeMTASTSLookupFailed:                          {Severity: Info},
		CodeMTASTSRecordInvalid:                         {Severity: Medium, Deduction: deductMedium},
		CodeMTASTSPolicyUnavailable:                     {Severity: Medium, Deduction: deductMedium},
		CodeMTASTSPolicyInvalid:                         {Severity: Medium, Deduction: deductMedium},
		CodeMTASTSTesting:                               {Severity: Info},
		CodeMTASTSModeNone:                              {Severity: Info},
		CodeMTASTSMXNotCovered:                          {Severity: Critical, ForceF: true},
		RuleKey(CodeMTASTSMXNotCovered, VariantTesting): {Severity: Medium, Deduction: deductMedium},
		CodeMTASTSEnforceMXFails:                        {Severity: Critical, ForceF: true},
		CodeMTASTSMediaType:                             {Severity: Low, Deduction: deductLight},
		CodeMTASTSShortMaxAge:                           {Severity: Low},
		CodeMTASTSHostPrivate:                           {Severity: Medium, Deduction: deductMedium},
		CodeTLSRPTMissing:                               {Severity: Info},
		RuleKey(CodeTLSRPTMissing, VariantWithPolicy):   {Severity: Low},
		CodeTLSRPTInvalid:                               {Severity: Low},
		CodeTLSRPTLookupFailed:                          {Severity: Info},
		CodeDANEInvalid:                                 {Severity: Critical, ForceF: true},
		CodeDANEUnusable:                                {Severity: Medium, Deduction: deductMedium},
		CodeDANENoRollover:                              {Severity: Low},
		CodeDANETLSALookupFailed:                        {Severity: High, Deduction: deductHeavy},
		CodeDNSSECBogus:                                 {Severity: Critical, ForceF: true},
		CodeDNSSECUnsigned:                              {Severity: Info},
	}
	// Sender authentication (SPF, DMARC, DKIM) never changes the
	// transport grade; its rules carry a severity only.
	maps.Copy(rules, senderAuthRules())
	return rules
}

// Score thresholds of the letter grades.
const (
	fullScore   = 100
	minAMinus   = 90
	minB        = 80
	minC        = 65
	minD        = 50
	minimumZero = 0
)

// letter maps a score to its letter (without A+, which needs more than a score).
func letter(score int) Grade {
	switch {
	case score >= fullScore:
		return GradeA
	case score >= minAMinus:
		return GradeAMinus
	case score >= minB:
		return GradeB
	case score >= minC:
		return GradeC
	case score >= minD:
		return GradeD
	}
	return GradeF
}
