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

	// Policy version 3.
	//
	// CodeMTASTSTestingMXNotCovered is an MX host outside a policy in
	// testing mode, which version 2 rates as a variant of
	// MTASTS_MX_NOT_COVERED: a code of its own keeps one severity per code.
	CodeMTASTSTestingMXNotCovered = "MTASTS_TESTING_MX_NOT_COVERED" // per MX host
	// CodeDataAfterSTARTTLS is bytes the server sent after its 220 to
	// STARTTLS and before the TLS handshake (per address).
	CodeDataAfterSTARTTLS = "DATA_AFTER_STARTTLS"
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
	DefaultPolicyVersion  = PolicyVersion3
	DefaultExpiryWarnDays = 30
)

// The versions of the built-in policy. Version 2 stays selectable, so a
// stored run re-graded under it gets version 2's results.
const (
	PolicyVersion2 = "2"
	PolicyVersion3 = "3"
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

// Default returns the built-in policy "mxaudit-default" in its current
// version, 3.
func Default() Policy { return builtin(DefaultPolicyVersion) }

// builtin returns a version of the built-in policy; an unknown version is
// the current one.
func builtin(version string) Policy {
	if version != PolicyVersion2 {
		version = PolicyVersion3
	}
	return Policy{
		Name:           DefaultPolicyName,
		Version:        version,
		ExpiryWarnDays: DefaultExpiryWarnDays,
		Rules:          rulesOf(version),
	}
}

// rulesOf is the rule table of a version of the built-in policy.
func rulesOf(version string) map[string]Rule {
	if version == PolicyVersion2 {
		return rulesV2()
	}
	return rulesV3()
}

// Codes lists every finding code the grader can emit under any version of
// the built-in policy, sorted.
func Codes() []string {
	var codes []string
	for _, v := range []string{PolicyVersion2, PolicyVersion3} {
		for key := range rulesOf(v) {
			if !strings.Contains(key, variantSep) && !slices.Contains(codes, key) {
				codes = append(codes, key)
			}
		}
	}
	slices.Sort(codes)
	return codes
}

// RuleKeys lists every rule key of the default policy, sorted (see
// Policy.RuleKeys).
func RuleKeys() []string { return Default().RuleKeys() }

// RuleKeys lists the policy's rule keys, sorted: each code and, in
// version 2, each rule variant ("MTASTS_MX_NOT_COVERED/testing"), for a
// complete table of the rules. A policy without its own rules lists the
// current built-in table.
func (p Policy) RuleKeys() []string {
	rules := p.Rules
	if len(rules) == 0 {
		rules = rulesOf(p.Version)
	}
	keys := make([]string, 0, len(rules))
	for key := range rules {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}

// v3 reports whether the policy judges by the rules version 3 added
// (see rulesV3). Only the built-in version 2 does not; a policy of any
// other version is judged by the current rules.
func (p Policy) v3() bool { return p.Version != PolicyVersion2 }

func (p Policy) expiryWarnDays() int {
	if p.ExpiryWarnDays <= 0 {
		return DefaultExpiryWarnDays
	}
	return p.ExpiryWarnDays
}

// rule returns the rule of a rule key (see RuleKey): the policy's own, else
// the built-in table of its version; a variant without a rule of its own
// falls back to its code's rule.
func (p Policy) rule(key string) Rule {
	if r, ok := p.Rules[key]; ok {
		return r
	}
	table := rulesOf(p.Version)
	if r, ok := table[key]; ok {
		return r
	}
	code, _, _ := strings.Cut(key, variantSep)
	if r, ok := p.Rules[code]; ok {
		return r
	}
	return table[code]
}

// Deductions of the default policy.
const (
	deductHeavy  = 35
	deductMedium = 10
	deductLight  = 5
)

// rulesV2 is the table of policy mxaudit-default v2. Changing a value here
// changes the meaning of stored grades: add a version instead.
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
func rulesV2() map[string]Rule {
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
		CodeDataAfterSTARTTLS:                           {Severity: Medium, Deduction: deductMedium},
	}
	// Sender authentication (SPF, DMARC, DKIM) never changes the
	// transport grade; its rules carry a severity only.
	maps.Copy(rules, senderAuthRules())
	return rules
}

// rulesV3 is the table of policy mxaudit-default v3: version 2's, with one
// severity per code, each consistent with its points (critical forces F,
// high costs 35, medium 10, low at most 5, information nothing) and with
// the standard the finding cites:
//   - TLS 1.0 and 1.1 accepted are medium and cost 10 each: RFC 8996
//     deprecates them, PCI DSS v4.0 Req. 4.2.1 and NIST SP 800-52 Rev. 2
//     §3.1 rule them out (version 2: information, no points);
//   - no NIST SP 800-52 Rev. 2 suite is medium, as its 10 points are
//     (version 2: low with 10);
//   - a null MX beside other MX records costs the 10 points of a medium
//     finding (version 2: none); no MX at all is critical, as its F is;
//   - TLS-RPT missing is information for every domain (version 2: low for
//     a domain with MTA-STS or DANE): RFC 8460 reports, it protects nothing;
//   - an MX host outside a testing MTA-STS policy has a code of its own,
//     MTASTS_TESTING_MX_NOT_COVERED, medium;
//   - bytes sent after the 220 to STARTTLS and before TLS are medium:
//     senders whose TLS reads them fail the handshake.
//
// Version 3 also has the findings of the vulnerability probes (vulnRules).
//
// Version 3 also judges differently (see Policy.v3): TLS counts as working
// only when a full handshake completed and the session survived its first
// command; a DNSSEC-bogus TLSA RRset is DNSSEC_BOGUS, critical, like a DANE
// mismatch (RFC 7672 §2.1.1); and a chain authenticated by a DNSSEC-secure
// DANE-EE record waives the PKIX trust, name and expiry findings for the
// grade (RFC 7672 §3.1.1).
func rulesV3() map[string]Rule {
	r := rulesV2()
	delete(r, RuleKey(CodeMTASTSMXNotCovered, VariantTesting))
	delete(r, RuleKey(CodeTLSRPTMissing, VariantWithPolicy))
	r[CodeTLS10Enabled] = Rule{Severity: Medium, Deduction: deductMedium}
	r[CodeTLS11Enabled] = Rule{Severity: Medium, Deduction: deductMedium}
	r[CodeNoNISTR2Suite] = Rule{Severity: Medium, Deduction: deductMedium}
	r[CodeNullMXConflict] = Rule{Severity: Medium, Deduction: deductMedium}
	r[CodeNoMX] = Rule{Severity: Critical, ForceF: true}
	r[CodeTLSRPTMissing] = Rule{Severity: Info}
	r[CodeMTASTSTestingMXNotCovered] = Rule{Severity: Medium, Deduction: deductMedium}
	maps.Copy(r, vulnRules())
	return r
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
