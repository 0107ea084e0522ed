package grade

import "slices"

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
)

// Policy identity and defaults of the built-in policy.
const (
	DefaultPolicyName     = "mxaudit-default"
	DefaultPolicyVersion  = "1"
	DefaultExpiryWarnDays = 30
)

// Rule is what a policy does with one finding code.
type Rule struct {
	Severity Severity `json:"severity"`
	// Deduction is taken once from the address score (which starts at 100),
	// however often the finding's cause appears. Domain- and host-level
	// findings deduct nothing: they shape the grade through the rules
	// below, not through a score.
	Deduction int `json:"deduction"`
	// ForceF grades the address F whatever its score.
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
	// Rules maps finding codes to their rule; a code missing here falls
	// back to the default policy's rule.
	Rules map[string]Rule `json:"rules,omitempty"`
}

// Default returns the built-in policy "mxaudit-default", version 1.
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
	for code := range rules {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

func (p Policy) expiryWarnDays() int {
	if p.ExpiryWarnDays <= 0 {
		return DefaultExpiryWarnDays
	}
	return p.ExpiryWarnDays
}

func (p Policy) rule(code string) Rule {
	if r, ok := p.Rules[code]; ok {
		return r
	}
	return defaultRules()[code]
}

// Deductions of the default policy.
const (
	deductHeavy  = 35
	deductMedium = 10
	deductLight  = 5
)

// defaultRules is the table of policy mxaudit-default v1. Changing a value
// here changes the meaning of stored grades: raise DefaultPolicyVersion.
func defaultRules() map[string]Rule {
	return map[string]Rule{
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
	}
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
