package report

import (
	"slices"
	"strconv"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
)

// SPFView is a domain's SPF record as reports show it (JSON "spf").
type SPFView struct {
	// Status is "valid", "missing", "permerror" or "temperror".
	Status string `json:"status"`
	// Record is the record checked; null when there is none (or several).
	Record *string `json:"record"`
	// All is the final "all" in effect ("-all", "~all", "?all", "+all");
	// null when the record has none.
	All *string `json:"all"`
	// Lookups counts the DNS-lookup terms through includes and redirects.
	Lookups int `json:"lookups"`
	// Reason explains a status other than valid ("" when valid).
	Reason   string   `json:"reason"`
	Warnings []string `json:"warnings,omitempty"`
}

// DMARCView is the DMARC record that applies to a domain (JSON "dmarc").
type DMARCView struct {
	// Status is "valid", "missing", "invalid" or "temperror".
	Status string  `json:"status"`
	Record *string `json:"record"`
	// PolicyDomain is where the record was found (the organisational
	// domain when the domain has none of its own).
	PolicyDomain string `json:"policy_domain,omitempty"`
	// Policy and SubdomainPolicy are "none", "quarantine" or "reject"; null
	// when unknown.
	Policy          *string `json:"policy"`
	SubdomainPolicy *string `json:"subdomain_policy"`
	// PCT is pct= (100 by default); null when no record was parsed.
	PCT *int     `json:"pct"`
	RUA []string `json:"rua"`
	RUF []string `json:"ruf"`
	// UnauthorizedDestinations are the external report domains that did
	// not authorise the reports (RFC 7489 §7.1).
	UnauthorizedDestinations []string `json:"unauthorized_destinations"`
	Reason                   string   `json:"reason"`
}

// DKIMView is one DKIM selector's key.
type DKIMView struct {
	Selector string `json:"selector"`
	// Status is "ok", "revoked", "missing", "invalid" or "temperror".
	Status  string `json:"status"`
	KeyType string `json:"key_type,omitempty"`
	Bits    int    `json:"bits,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// FrameworkStatus is one framework's overall status for a domain, for
// tables that show many domains.
type FrameworkStatus struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// SPFViewOf turns SPF evidence into its view; nil when not checked.
func SPFViewOf(s *evidence.SPF) *SPFView {
	if s == nil {
		return nil
	}
	v := &SPFView{Status: string(s.Status), Lookups: s.Lookups, Reason: s.Reason, Warnings: s.Warnings}
	if s.Record != "" {
		r := s.Record
		v.Record = &r
	}
	if s.All != "" {
		a := s.All
		v.All = &a
	}
	return v
}

// DMARCViewOf turns DMARC evidence into its view; nil when not checked.
func DMARCViewOf(m *evidence.DMARC) *DMARCView {
	if m == nil {
		return nil
	}
	v := &DMARCView{Status: string(m.Status), PolicyDomain: m.PolicyDomain, Reason: m.Reason,
		RUA: nonNil(m.RUA), RUF: nonNil(m.RUF), UnauthorizedDestinations: nonNil(grade.UnauthorizedDestinations(m))}
	if m.Record != "" {
		r := m.Record
		v.Record = &r
	}
	if m.Policy != "" {
		p := m.Policy
		v.Policy = &p
	}
	if m.SubdomainPolicy != "" {
		sp := m.SubdomainPolicy
		v.SubdomainPolicy = &sp
	}
	if m.PCT != nil {
		pct := *m.PCT
		v.PCT = &pct
	}
	return v
}

func dkimViews(ks []evidence.DKIMKey) []DKIMView {
	var out []DKIMView
	for _, k := range ks {
		out = append(out, DKIMView{Selector: k.Selector, Status: string(k.Status), KeyType: k.KeyType, Bits: k.Bits, Reason: k.Reason})
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// showFramework reports whether a report shows a framework: the
// sender-authentication profiles only when the organisation's Profiles
// list names them (every profile when there is no list; none for an
// empty one); any other framework always.
func showFramework(org Org, name string) bool {
	if !slices.Contains(grade.SenderProfiles(), name) || org.Profiles == nil {
		return true
	}
	return slices.Contains(org.Profiles, name)
}

// FrameworksShown returns the frameworks of a grade the report shows,
// never nil.
func FrameworksShown(org Org, fs []grade.Framework) []grade.Framework {
	out := []grade.Framework{}
	for _, f := range fs {
		if showFramework(org, f.Name) {
			out = append(out, f)
		}
	}
	return out
}

// frameworkStatuses lists each shown framework's status.
func frameworkStatuses(fs []grade.Framework) []FrameworkStatus {
	var out []FrameworkStatus
	for _, f := range fs {
		out = append(out, FrameworkStatus{Name: f.Name, Status: string(f.Status)})
	}
	return out
}

// SPFState is the short SPF state a table shows: the status, with the
// final all of a valid record ("valid -all"); "not checked" when nil.
func SPFState(v *SPFView) string {
	switch {
	case v == nil:
		return "not checked"
	case v.Status == string(evidence.SPFValid) && v.All != nil:
		return "valid " + *v.All
	case v.Status == string(evidence.SPFValid):
		return "valid, no all"
	}
	return v.Status
}

// DMARCState is the short DMARC state a table shows: "p=reject" for a
// valid record, else its status; "not checked" when nil.
func DMARCState(v *DMARCView) string {
	switch {
	case v == nil:
		return "not checked"
	case v.Status == string(evidence.DMARCValid) && v.Policy != nil:
		s := "p=" + *v.Policy
		if v.PCT != nil && *v.PCT < 100 {
			s += " pct=" + strconv.Itoa(*v.PCT)
		}
		return s
	}
	return v.Status
}

// senderAuthState is the rating and its reason; "not checked" when the
// records were not looked up.
func senderAuthState(g *grade.DomainGrade) (string, string) {
	if g == nil || g.SenderAuth == nil {
		return "not checked", ""
	}
	return string(g.SenderAuth.Rating), g.SenderAuth.Reason
}

// policyRank orders DMARC states: reject 3, quarantine 2, none 1, any
// other (missing, invalid, temperror) 0.
func policyRank(p string) int {
	switch p {
	case "reject":
		return 3
	case "quarantine":
		return 2
	case "none":
		return 1
	}
	return 0
}

// spfRank orders SPF states, better higher.
func spfRank(s string) int {
	switch s {
	case "valid -all":
		return 5
	case "valid ~all":
		return 4
	case "valid ?all", "valid, no all":
		return 3
	case "valid +all":
		return 2
	case "temperror":
		return 1
	}
	return 0 // missing, permerror
}

// statusRank orders control statuses, better higher; incomplete is no
// better than fail for a change's direction, as it is never a pass.
func statusRank(s string) int {
	switch s {
	case "pass", "not_applicable":
		return 2
	case "incomplete":
		return 1
	}
	return 0
}

// postureWorse reports whether a sender-authentication change is for the worse.
func postureWorse(c db.Change) bool {
	switch c.Kind {
	case db.ChangeSPFChanged:
		return spfRank(c.To) < spfRank(c.From)
	case db.ChangeDMARCChanged:
		return policyRank(c.To) < policyRank(c.From)
	case db.ChangeProfileChanged:
		return statusRank(c.To) < statusRank(c.From)
	}
	return false
}

// dmarcWords names a DMARC state in a sentence.
func dmarcWords(s string) string {
	if policyRank(s) > 0 {
		return "p=" + s
	}
	return s
}

// statusWords names a control status in a sentence.
func statusWords(s string) string {
	if s == "not_applicable" {
		return "not applicable"
	}
	return s
}
