package grade

import "slices"

// params names, per finding code, the arguments (Finding.Args) the grader
// may set: the facts its wording may use. It is the contract between the
// grader and templates/findings.json (and any override of it): a template
// may refer to these names and no others, and the tests hold both sides
// to it. "domain" is always set; "host" and "ip" whenever the finding is
// observed on an MX host or an address.
var params = map[string][]string{
	"CERT_CHAIN_INCOMPLETE":         {"domain", "host", "ip", "issuer"},
	"CERT_EXPIRED":                  {"days", "domain", "host", "ip", "not_after"},
	"CERT_EXPIRES_SOON":             {"days", "domain", "host", "ip", "not_after"},
	"CERT_NAME_MISMATCH":            {"domain", "host", "ip", "names"},
	"CERT_NOT_YET_VALID":            {"domain", "host", "ip", "not_before"},
	"CERT_UNTRUSTED":                {"cause", "domain", "error", "host", "ip", "issuer", "subject"},
	"CERT_WEAK_KEY":                 {"domain", "host", "ip", "key"},
	"CERT_WEAK_SIGNATURE_MD5":       {"domain", "host", "ip", "signature"},
	"CERT_WEAK_SIGNATURE_SHA1":      {"domain", "host", "ip", "signature"},
	"CLIENT_CIPHER_ORDER":           {"domain", "host", "ip", "versions"},
	"DANE_INVALID":                  {"detail", "domain", "host", "ip", "records", "via"},
	"DANE_NO_ROLLOVER":              {"count", "domain", "host", "records"},
	"DANE_TLSA_LOOKUP_FAILED":       {"dnssec", "dnssec_reason", "domain", "error", "host", "status"},
	"DANE_UNUSABLE":                 {"dnssec", "domain", "host", "records", "unusable"},
	"DATA_AFTER_STARTTLS":           {"bytes", "domain", "hex", "host", "ip"},
	"DKIM_KEY_INVALID":              {"domain", "name", "reason", "selector"},
	"DKIM_KEY_MISSING":              {"domain", "name", "selector"},
	"DKIM_KEY_REFUSED":              {"bits", "domain", "name", "selector"},
	"DKIM_KEY_REVOKED":              {"domain", "name", "selector"},
	"DKIM_KEY_WEAK":                 {"bits", "domain", "name", "selector"},
	"DMARC_INVALID":                 {"domain", "name", "publish", "reason", "record"},
	"DMARC_MISSING":                 {"domain", "name", "publish", "reason"},
	"DMARC_NO_RUA":                  {"domain", "name", "publish", "record", "rua"},
	"DMARC_PCT_PARTIAL":             {"domain", "name", "pct", "publish", "record"},
	"DMARC_POLICY_NONE":             {"domain", "name", "policy_domain", "publish", "record"},
	"DMARC_POLICY_QUARANTINE":       {"domain", "name", "policy_domain", "publish", "record"},
	"DMARC_SP_WEAKER":               {"domain", "name", "p", "publish", "record", "sp"},
	"DMARC_TEMPERROR":               {"domain", "reason"},
	"DMARC_UNAUTHORIZED_DEST":       {"destinations", "domain", "example", "policy_domain"},
	"DNSSEC_BOGUS":                  {"domain", "host", "lookup", "reason"},
	"DNSSEC_UNSIGNED":               {"domain"},
	"HTTPS_BLOCKED":                 {"domain", "url"},
	"INCONCLUSIVE":                  {"cause", "code", "detail", "domain", "error", "host", "ip", "kind", "step", "version"},
	"MTASTS_ENFORCE_MX_FAILS":       {"domain", "host", "ip", "pattern", "reasons"},
	"MTASTS_HOST_PRIVATE":           {"domain", "reason", "url"},
	"MTASTS_LOOKUP_FAILED":          {"domain", "status"},
	"MTASTS_MEDIA_TYPE":             {"content_type", "domain", "url"},
	"MTASTS_MISSING":                {"domain", "status"},
	"MTASTS_MODE_NONE":              {"domain"},
	"MTASTS_MX_NOT_COVERED":         {"domain", "host", "mode", "patterns"},
	"MTASTS_POLICY_INVALID":         {"domain", "errors", "url"},
	"MTASTS_POLICY_UNAVAILABLE":     {"cause", "domain", "reason", "status", "url"},
	"MTASTS_RECORD_INVALID":         {"domain", "reason", "records"},
	"MTASTS_SHORT_MAX_AGE":          {"domain", "max_age", "mode"},
	"MTASTS_TESTING":                {"domain"},
	"MTASTS_TESTING_MX_NOT_COVERED": {"domain", "host", "mode", "patterns"},
	"MX_ADDRESSES_OMITTED":          {"addresses", "audited", "count", "domain", "host", "more"},
	"MX_HOSTS_OMITTED":              {"audited", "count", "domain", "hosts", "more"},
	"MX_IS_CNAME":                   {"cnames", "domain", "host"},
	"MX_IS_IP_LITERAL":              {"domain", "host"},
	"MX_LOOKUP_FAILED":              {"domain", "error", "status"},
	"MX_NO_ADDRESS":                 {"a", "aaaa", "domain", "host"},
	"MX_PRIVATE_ADDRESS":            {"domain", "host", "ip", "reason"},
	"NO_FORWARD_SECRECY":            {"domain", "host", "ip", "suites"},
	"NO_MODERN_TLS":                 {"domain", "host", "ip", "versions"},
	"NO_MX":                         {"domain", "status"},
	"NO_NIST_R1_SUITE":              {"domain", "host", "ip", "suites"},
	"NO_NIST_R2_SUITE":              {"domain", "host", "ip", "suites"},
	"NO_STARTTLS":                   {"domain", "host", "ip"},
	"NO_TLS13":                      {"domain", "host", "ip", "version"},
	"NULL_MX":                       {"domain"},
	"NULL_MX_CONFLICT":              {"domain", "records"},
	"PORT25_BLOCKED":                {"domain"},
	"PROTOCOL_ANOMALY":              {"anomalies", "domain", "host", "ip"},
	"SCAN_RESTRICTED":               {"domain", "sslv3", "tested", "untested"},
	"SPF_MISSING":                   {"domain", "name", "publish", "reason"},
	"SPF_NEUTRAL_ALL":               {"all", "domain", "name", "publish", "record"},
	"SPF_NONSENDING_NOT_STRICT":     {"all", "domain", "name", "publish", "record"},
	"SPF_PASS_ALL":                  {"all", "domain", "name", "publish", "record"},
	"SPF_PERMERROR":                 {"domain", "lookups", "name", "publish", "reason", "record"},
	"SPF_PTR":                       {"domain", "record"},
	"SPF_TEMPERROR":                 {"domain", "reason"},
	"SSLV2_ENABLED":                 {"domain", "host", "ip", "suites", "version", "vulns"},
	"SSLV3_ENABLED":                 {"domain", "host", "ip", "suites", "version", "vulns"},
	"STARTTLS_AFTER_TLS":            {"domain", "host", "ip"},
	"STARTTLS_FAILED":               {"attempts", "cause", "domain", "error", "host", "ip", "reply", "reply_code", "suites"},
	"TLS10_ENABLED":                 {"domain", "host", "ip", "version", "vulns"},
	"TLS11_ENABLED":                 {"domain", "host", "ip", "version", "vulns"},
	"TLSRPT_INVALID":                {"domain", "reason"},
	"TLSRPT_LOOKUP_FAILED":          {"domain", "status"},
	"TLSRPT_MISSING":                {"domain", "status"},
	"VULN_CCS_INJECTION":            {"cve", "detail", "domain", "host", "ip", "version"},
	"VULN_CLIENT_RENEGOTIATION":     {"cve", "detail", "domain", "host", "ip", "version"},
	"VULN_DH_COMMON_PRIME":          {"cve", "details", "domain", "host", "ip"},
	"VULN_HEARTBLEED":               {"cve", "detail", "domain", "host", "ip", "version"},
	"VULN_INSECURE_RENEGOTIATION":   {"cve", "detail", "domain", "host", "ip", "version"},
	"VULN_ROBOT":                    {"cve", "detail", "domain", "host", "ip", "version"},
	"VULN_STARTTLS_INJECTION":       {"cve", "detail", "domain", "host", "ip", "version"},
	"VULN_TLS_COMPRESSION":          {"cve", "detail", "domain", "host", "ip", "version"},
	"WEAK_CIPHERS":                  {"categories", "domain", "host", "ip", "suites", "vulns"},
	"WEAK_DH":                       {"details", "domain", "host", "ip", "vulns"},
	"WEAK_DH_CRITICAL":              {"details", "domain", "host", "ip", "vulns"},
}

// phraseArgs names, per finding code, the arguments worded from a phrase
// (Finding.Phrases) and the phrase code that words each: a list whose
// items are phrases of their own (mtasts_enforce.*, kx.*).
var phraseArgs = map[string]map[string]string{
	CodeMTASTSEnforceMXFails: {"reasons": "mtasts_enforce.reasons"},
	CodeWeakDH:               {"details": "kx.weaknesses"},
	CodeWeakDHCritical:       {"details": "kx.weaknesses"},
}

// PhraseArg is the phrase code that words argument arg of a finding of
// code (see Finding.Phrases); "" when the argument is a plain fact.
func PhraseArg(code, arg string) string {
	return phraseArgs[code][arg]
}

// legacyParams are arguments that only findings stored by an older mxaudit
// carry, which the wording still reads so that those runs render as they
// did: NO_MX's "reason" ("MX lookup NXDOMAIN") became "status",
// CERT_UNTRUSTED's "reason" became "cause" and "error", STARTTLS_FAILED's
// "reason" became "cause" with "reply_code", "reply", "attempts", "error";
// the DANE findings' "reason" became "detail" and "via" (DANE_INVALID),
// "dnssec", "dnssec_reason" and "error" (DANE_TLSA_LOOKUP_FAILED), "dnssec"
// and "unusable" (DANE_UNUSABLE); SCAN_RESTRICTED's "what" became "sslv3";
// MX_NO_ADDRESS's "reason" ("A NXDOMAIN, AAAA not looked up") became "a"
// and "aaaa".
var legacyParams = map[string][]string{
	CodeNoMX:                 {"reason"},
	CodeCertUntrusted:        {"reason"},
	CodeSTARTTLSFailed:       {"reason"},
	CodeInconclusive:         {"reason"},
	CodeDANEInvalid:          {"reason"},
	CodeDANETLSALookupFailed: {"reason"},
	CodeDANEUnusable:         {"reason"},
	CodeScanRestricted:       {"what"},
	CodeMXNoAddress:          {"reason"},
}

// LegacyParams lists the arguments of code that only stored findings of an
// older mxaudit carry (see Params); nil when there are none.
func LegacyParams(code string) []string {
	return slices.Clone(legacyParams[code])
}

// Params lists, sorted, the argument names a finding of code may carry;
// nil for an unknown code.
func Params(code string) []string {
	ps, ok := params[code]
	if !ok {
		return nil
	}
	return slices.Clone(ps)
}
