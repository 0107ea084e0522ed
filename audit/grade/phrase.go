package grade

import (
	"slices"
	"strings"
)

// Phrase names a sentence a reader sees that is not a finding (why a
// domain is or is not Forced-TLS eligible, what earned an A+, what
// decided the sender-authentication rating, a control's title and
// outcome) without writing it: Code names the wording in
// templates/phrases.json, Args are the facts it needs (enum values,
// numbers, names), and Items are phrases listed inside it, rendered and
// joined with "; " into the argument "items". The grader writes no
// English: the words come from the templates, overridable like the
// finding wording.
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

// joinAll joins a list of names with ", " (a fact, not a sentence).
func joinAll(xs []string) string { return strings.Join(xs, ", ") }
