package grade

import (
	"maps"
	"slices"
	"strings"
)

// Phrase names a sentence a reader sees that is not a finding (why a
// domain is or is not Forced-TLS eligible, what earned an A+, what
// decided the sender-authentication rating, a control's title and
// outcome, a reason in a finding's list of reasons) without writing it:
// Code names the wording in templates/phrases.json, Args are the facts it
// needs (enum values, numbers, names), and Items are phrases listed inside
// it, rendered and given to its wording as the list argument "items"
// (printed joined with "; " unless the wording joins it otherwise). The
// grader writes no English: the words come from the templates,
// overridable like the finding wording.
type Phrase struct {
	Code  string            `json:"code"`
	Args  map[string]string `json:"args,omitempty"`
	Items []Phrase          `json:"items,omitempty"`
}

// say is a Phrase of code with args given as name, value pairs.
func say(code string, kv ...string) *Phrase {
	p := &Phrase{Code: code}
	for i := 0; i+1 < len(kv); i += 2 {
		if p.Args == nil {
			p.Args = make(map[string]string, len(kv)/2)
		}
		p.Args[kv[i]] = kv[i+1]
	}
	return p
}

// phraseParams names, per phrase code, the arguments the grader may set
// for it: the contract between the grader and templates/phrases.json (and
// any override), held by the tests and checked on --templates before a
// run. "items" is the rendered list of the phrase's Items.
var phraseParams = map[string][]string{
	// Forced TLS, per address.
	"forced_tls.no_tls":            nil,
	"forced_tls.no_version":        nil,
	"forced_tls.no_nist_r1_suite":  nil,
	"forced_tls.not_audited":       nil,
	"forced_tls.tls_unknown":       nil,
	"forced_tls.suites_incomplete": nil,
	// Forced TLS, per domain.
	"forced_tls.no_evidence":      nil,
	"forced_tls.null_mx":          nil,
	"forced_tls.no_mail_host":     nil,
	"forced_tls.mx_lookup_failed": nil,
	"forced_tls.audit_failed":     nil,
	"forced_tls.port25_blocked":   nil,
	"forced_tls.no_mx_resolved":   nil,
	"forced_tls.no_mx_host":       nil,
	"forced_tls.eligible":         nil,
	"forced_tls.addresses":        {"items"},
	"forced_tls.address":          {"host", "ip", "items"},
	"forced_tls.host_no_address":  {"host"},
	// A+.
	"a_plus.mta_sts": nil,
	"a_plus.dane":    nil,
	// Sender-authentication rating.
	"sender_auth.unreadable": nil,
	"sender_auth.strong":     {"all"},
	"sender_auth.moderate":   {"all", "p", "pct", "sp"},
	"sender_auth.dmarc_none": nil,
	"sender_auth.no_dmarc":   {"all", "dmarc_status"},
	"sender_auth.no_spf":     {"p", "spf_all", "spf_status"},
	"sender_auth.neither":    {"dmarc_status", "spf_all", "spf_status"},
	// Control titles of the sender-authentication profiles, by control ID.
	"title.bod1801.starttls":       nil,
	"title.bod1801.no_sslv2_sslv3": nil,
	"title.bod1801.no_rc4_3des":    nil,
	"title.bod1801.spf":            nil,
	"title.bod1801.dmarc_reject":   nil,
	"title.bod1801.dmarc_sp":       nil,
	"title.bod1801.dmarc_pct":      nil,
	"title.bod1801.dmarc_rua":      nil,
	"title.nist800177.spf":         nil,
	"title.nist800177.dkim":        nil,
	"title.nist800177.dmarc":       nil,
	"title.nist800177.dnssec":      nil,
	"title.nist800177.server_auth": nil,
	"title.nist800177.tls":         nil,
	// Control outcomes.
	"control.dmarc_not_checked":       nil,
	"control.dmarc_unreadable":        {"reason"},
	"control.dmarc_missing":           nil,
	"control.dmarc_invalid":           {"reason"},
	"control.dmarc_reject":            {"policy_domain"},
	"control.dmarc_not_reject":        {"p"},
	"control.dmarc_sp":                {"source", "sp"},
	"control.dmarc_pct":               {"pct"},
	"control.rua":                     {"rua"},
	"control.rua_not_sending":         nil,
	"control.rua_unknown":             nil,
	"control.rua_unauthorised":        {"destinations"},
	"control.rua_missing":             nil,
	"control.spf_not_checked":         nil,
	"control.spf_unreadable":          {"reason"},
	"control.spf_missing":             nil,
	"control.spf_permerror":           {"reason"},
	"control.spf_not_sending":         {"all"},
	"control.spf_all":                 {"all"},
	"control.spf_valid":               {"all", "lookups"},
	"control.null_mx":                 nil,
	"control.no_mx":                   nil,
	"control.no_address_audited":      nil,
	"control.not_determined":          {"addresses"},
	"control.starttls_pass":           {"count"},
	"control.starttls_fail":           {"addresses"},
	"control.ssl_pass":                {"count"},
	"control.ssl_fail":                {"addresses"},
	"control.rc4_3des_pass":           {"count"},
	"control.rc4_3des_fail":           {"addresses"},
	"control.dmarc_status":            {"reason", "status"},
	"control.dmarc_policy":            {"p"},
	"control.dmarc_monitoring":        nil,
	"control.dnssec_secure":           nil,
	"control.dnssec_insecure":         nil,
	"control.dnssec_bogus":            nil,
	"control.dnssec_not_checked":      nil,
	"control.dnssec_status":           {"status"},
	"control.receives_no_mail":        nil,
	"control.no_mail_server":          nil,
	"control.sends_no_mail":           nil,
	"control.dkim_no_selector":        nil,
	"control.dkim_key":                {"bits", "selector", "type"},
	"control.dkim_key_status":         {"selector", "status"},
	"control.dkim_keys":               {"items"},
	"control.dkim_unreadable":         {"selectors"},
	"control.dkim_all_revoked":        nil,
	"control.mtasts_enforce":          nil,
	"control.dane_everywhere":         nil,
	"control.server_auth_not_checked": nil,
	"control.no_server_auth":          {"mode"},
	"control.no_mail_server_audited":  nil,
	"control.tls_fail":                {"hosts"},
	"control.tls_pass":                nil,
	"control.publish":                 {"name", "record"},
	// Why an address fails an enforced MTA-STS policy
	// (MTASTS_ENFORCE_MX_FAILS's "reasons").
	"mtasts_enforce.reasons":           {"items"},
	"mtasts_enforce.no_starttls":       nil,
	"mtasts_enforce.no_tls":            nil,
	"mtasts_enforce.no_tls12":          nil,
	"mtasts_enforce.untrusted":         {"cause", "error"},
	"mtasts_enforce.expired":           nil,
	"mtasts_enforce.not_yet_valid":     nil,
	"mtasts_enforce.name_mismatch":     nil,
	"mtasts_enforce.cn_only":           nil,
	"mtasts_enforce.other_certificate": {"certificate", "items"},
	// Weak key exchanges (WEAK_DH and WEAK_DH_CRITICAL's "details").
	"kx.weaknesses": {"items"},
	"kx.export":     {"suite"},
	"kx.dh":         {"bits", "suite"},
	"kx.ec":         {"bits", "curve", "suite"},
}

// PhraseParams lists, sorted, the argument names a phrase of code may
// carry; nil for an unknown code or one that takes none (see PhraseCodes).
func PhraseParams(code string) []string {
	ps := slices.Clone(phraseParams[code])
	slices.Sort(ps)
	return ps
}

// PhraseCodes lists, sorted, every phrase code the grader can write.
func PhraseCodes() []string {
	out := make([]string, 0, len(phraseParams))
	for c := range phraseParams {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// KnownPhrase reports whether the grader can write a phrase of code.
func KnownPhrase(code string) bool {
	_, ok := phraseParams[code]
	return ok
}

// equal reports whether q is the same phrase as p: code, facts and items.
func (p Phrase) equal(q Phrase) bool {
	return p.Code == q.Code && maps.Equal(p.Args, q.Args) && slices.EqualFunc(p.Items, q.Items, Phrase.equal)
}

// joinAll joins a list of names with ", " (a fact, not a sentence).
func joinAll(xs []string) string { return strings.Join(xs, ", ") }
