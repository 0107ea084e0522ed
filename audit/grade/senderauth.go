package grade

import (
	"slices"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Sender-authentication finding codes (SPF RFC 7208, DMARC RFC 7489, DKIM
// RFC 6376/8301/8463), all domain level. They never take from the score
// nor force F: the transport grade (A+..F) keeps its meaning, and sender
// authentication has its own rating (SenderAuth).
const (
	CodeSPFMissing          = "SPF_MISSING"
	CodeSPFPermError        = "SPF_PERMERROR"
	CodeSPFTempError        = "SPF_TEMPERROR"
	CodeSPFPassAll          = "SPF_PASS_ALL"
	CodeSPFNeutralAll       = "SPF_NEUTRAL_ALL"
	CodeSPFNonSendingStrict = "SPF_NONSENDING_NOT_STRICT"
	CodeSPFPtr              = "SPF_PTR"
	CodeDMARCMissing        = "DMARC_MISSING"
	CodeDMARCInvalid        = "DMARC_INVALID"
	CodeDMARCTempError      = "DMARC_TEMPERROR"
	CodeDMARCPolicyNone     = "DMARC_POLICY_NONE"
	CodeDMARCQuarantine     = "DMARC_POLICY_QUARANTINE"
	CodeDMARCSPWeaker       = "DMARC_SP_WEAKER"
	CodeDMARCPartialPct     = "DMARC_PCT_PARTIAL"
	CodeDMARCNoRUA          = "DMARC_NO_RUA"
	CodeDMARCUnauthorized   = "DMARC_UNAUTHORIZED_DEST"
	CodeDKIMKeyRefused      = "DKIM_KEY_REFUSED"
	CodeDKIMKeyWeak         = "DKIM_KEY_WEAK"
	CodeDKIMKeyInvalid      = "DKIM_KEY_INVALID"
	CodeDKIMKeyMissing      = "DKIM_KEY_MISSING"
	CodeDKIMKeyRevoked      = "DKIM_KEY_REVOKED"
)

// senderAuthRules are the default rules of the sender-authentication
// codes: severity only (deductions and ForceF are ignored for them, see
// senderAuthFindings). Forgery of the vendor's own domain (invoice fraud)
// is what they measure: a record that lets anyone send as the domain
// (+all, a broken SPF record, a 512-bit DKIM key) is high; no DMARC, a
// monitoring-only policy or a weak key is medium; what falls short of
// BOD 18-01's full policy is low; lookup failures are information.
func senderAuthRules() map[string]Rule {
	return map[string]Rule{
		CodeSPFMissing:          {Severity: Medium},
		CodeSPFPermError:        {Severity: High},
		CodeSPFTempError:        {Severity: Info},
		CodeSPFPassAll:          {Severity: High},
		CodeSPFNeutralAll:       {Severity: Medium},
		CodeSPFNonSendingStrict: {Severity: Medium},
		CodeSPFPtr:              {Severity: Low},
		CodeDMARCMissing:        {Severity: Medium},
		CodeDMARCInvalid:        {Severity: Medium},
		CodeDMARCTempError:      {Severity: Info},
		CodeDMARCPolicyNone:     {Severity: Medium},
		CodeDMARCQuarantine:     {Severity: Low},
		CodeDMARCSPWeaker:       {Severity: Low},
		CodeDMARCPartialPct:     {Severity: Low},
		CodeDMARCNoRUA:          {Severity: Low},
		CodeDMARCUnauthorized:   {Severity: Low},
		CodeDKIMKeyRefused:      {Severity: High},
		CodeDKIMKeyWeak:         {Severity: Medium},
		CodeDKIMKeyInvalid:      {Severity: Medium},
		CodeDKIMKeyMissing:      {Severity: Low},
		CodeDKIMKeyRevoked:      {Severity: Info},
	}
}

// IsSenderAuthCode reports whether a finding code is a sender-authentication
// one (SPF, DMARC, DKIM), which reports show apart from the transport findings.
func IsSenderAuthCode(code string) bool {
	_, ok := senderAuthRules()[code]
	return ok
}

// Sender-authentication ratings, best first. Unknown is a record that
// could not be read, never better than a known rating.
type SenderAuthRating string

// Ratings.
const (
	// RatingStrong: valid SPF ending in -all or ~all (-all for a domain
	// that receives no mail) and DMARC p=reject on every message and subdomain.
	RatingStrong SenderAuthRating = "strong"
	// RatingModerate: valid SPF that does not authorise everyone, and a
	// DMARC policy that quarantines or rejects, at least in part.
	RatingModerate SenderAuthRating = "moderate"
	// RatingWeak: only one of the two usable, or DMARC p=none.
	RatingWeak SenderAuthRating = "weak"
	// RatingNone: neither a usable SPF record nor a DMARC record.
	RatingNone SenderAuthRating = "none"
	// RatingUnknown: a record could not be read (DNS failed).
	RatingUnknown SenderAuthRating = "unknown"
)

// SenderAuth is the sender-authentication verdict on one domain.
type SenderAuth struct {
	Rating SenderAuthRating `json:"rating"`
	// Why names what decided the rating. Reason is that sentence: older
	// stored grades carry it, the grader leaves it empty and readers fill
	// it from Why (report.WordGrade).
	Why    *Phrase `json:"why,omitempty"`
	Reason string  `json:"reason"`
}

// DKIM key sizes (RFC 8301 §3.2; NIST SP 800-131A for 2048).
const (
	dkimMinRSABits  = 1024 // below: verifiers must not accept the key
	dkimGoodRSABits = 2048
)

// Framework names of the sender-authentication profiles.
const (
	FrameworkBOD1801  = "BOD 18-01"
	FrameworkNIST177  = "NIST SP 800-177r1"
	suggestedRUALocal = "dmarc-reports"
)

// nonSending reports whether the domain declares that it receives no mail
// (a null MX, RFC 7505): such domains should publish "v=spf1 -all" and
// DMARC p=reject so that nobody can send as them either.
func nonSending(d *evidence.Domain) bool {
	return d.MX.Kind == evidence.MXNull && !d.MX.NullMXConflict
}

// postureChecked reports whether the sender-authentication records were looked up.
func postureChecked(d *evidence.Domain) bool { return d.SPF != nil || d.DMARC != nil }

// senderAuthFindings adds the SPF, DMARC and DKIM findings of d to dg and
// sets its rating and profiles. Severity comes from the policy (a policy
// may override a code's rule), but deduction and ForceF are always zero:
// sender authentication never changes the transport grade.
func senderAuthFindings(d *evidence.Domain, p Policy, dg *DomainGrade) {
	if d == nil || !postureChecked(d) {
		return
	}
	add := func(code string, args map[string]string) {
		r := p.rule(code)
		a := map[string]string{"domain": d.Domain}
		for k, v := range args {
			a[k] = v
		}
		dg.Findings = append(dg.Findings, Finding{Code: code, Severity: r.Severity, Domain: d.Domain, Args: a})
	}
	spfFindings(d, add)
	dmarcFindings(d, add)
	dkimFindings(d, add)
	sa := rateSenderAuth(d)
	dg.SenderAuth = &sa
	for _, fw := range []Framework{BOD1801(d, dg), NIST800177(d, dg)} {
		for i := range fw.Controls {
			c := &fw.Controls[i]
			if c.Status != ControlFail {
				continue
			}
			switch {
			case strings.HasSuffix(c.ID, ".spf"):
				c.PublishWhy = say("control.publish", "name", d.Domain, "record", SuggestSPF(d))
			case strings.Contains(c.ID, ".dmarc"):
				c.PublishWhy = say("control.publish", "name", "_dmarc."+d.Domain, "record", SuggestDMARC(d))
			}
		}
		dg.Frameworks = append(dg.Frameworks, fw)
	}
}

type addFunc func(code string, args map[string]string)

func spfFindings(d *evidence.Domain, add addFunc) {
	s := d.SPF
	if s == nil {
		return
	}
	pub := map[string]string{"name": d.Domain, "publish": SuggestSPF(d)}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{"name": pub["name"], "publish": pub["publish"]}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	switch s.Status {
	case evidence.SPFMissing:
		add(CodeSPFMissing, with(map[string]string{"reason": s.Reason}))
		return
	case evidence.SPFPermError:
		add(CodeSPFPermError, with(map[string]string{"reason": s.Reason, "record": s.Record, "lookups": strconv.Itoa(s.Lookups)}))
		return
	case evidence.SPFTempError:
		add(CodeSPFTempError, map[string]string{"reason": s.Reason})
		return
	}
	rec := map[string]string{"record": s.Record, "all": s.All}
	switch {
	case nonSending(d) && s.All != "-all":
		add(CodeSPFNonSendingStrict, with(rec))
	case s.All == "+all":
		add(CodeSPFPassAll, with(rec))
	case s.All == "?all" || s.All == "":
		add(CodeSPFNeutralAll, with(rec))
	}
	if s.Ptr {
		add(CodeSPFPtr, map[string]string{"record": s.Record})
	}
}

func dmarcFindings(d *evidence.Domain, add addFunc) {
	m := d.DMARC
	if m == nil {
		return
	}
	base := map[string]string{"name": "_dmarc." + d.Domain, "publish": SuggestDMARC(d)}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{"name": base["name"], "publish": base["publish"]}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	switch m.Status {
	case evidence.DMARCMissing:
		add(CodeDMARCMissing, with(map[string]string{"reason": m.Reason}))
		return
	case evidence.DMARCInvalid:
		add(CodeDMARCInvalid, with(map[string]string{"reason": m.Reason, "record": m.Record}))
		return
	case evidence.DMARCTempError:
		add(CodeDMARCTempError, map[string]string{"reason": m.Reason})
		return
	}
	rec := map[string]string{"record": m.Record, "policy_domain": m.PolicyDomain}
	switch m.Policy {
	case "none":
		add(CodeDMARCPolicyNone, with(rec))
	case "quarantine":
		add(CodeDMARCQuarantine, with(rec))
	}
	if policyRank(m.SubdomainPolicy) < policyRank(m.Policy) {
		add(CodeDMARCSPWeaker, with(map[string]string{"record": m.Record, "sp": m.SubdomainPolicy, "p": m.Policy}))
	}
	if m.PCT != nil && *m.PCT < 100 {
		add(CodeDMARCPartialPct, with(map[string]string{"record": m.Record, "pct": strconv.Itoa(*m.PCT)}))
	}
	if len(authorisedRUA(m)) == 0 && !nonSending(d) {
		add(CodeDMARCNoRUA, with(map[string]string{"record": m.Record, "rua": strings.Join(m.RUA, ", ")}))
	}
	if un := unauthorisedDestinations(m); len(un) > 0 {
		add(CodeDMARCUnauthorized, map[string]string{"destinations": strings.Join(un, ", "), "policy_domain": m.PolicyDomain, "example": m.PolicyDomain + "._report._dmarc." + un[0]})
	}
}

// policyRank orders DMARC policies: reject 3, quarantine 2, none 1, unknown 0.
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

// UnauthorizedDestinations lists the external report destinations of a
// DMARC record that did not authorise the policy domain's reports (RFC
// 7489 §7.1); a destination whose record could not be read is not listed.
func UnauthorizedDestinations(m *evidence.DMARC) []string { return unauthorisedDestinations(m) }

func unauthorisedDestinations(m *evidence.DMARC) []string {
	if m == nil {
		return nil
	}
	var out []string
	for _, dd := range m.Destinations {
		if dd.Auth == evidence.DestUnauthorized {
			out = append(out, dd.Domain)
		}
	}
	return out
}

// authorisedRUA lists the rua URIs whose destination receives reports:
// one in the policy domain's own organisation, or an external one that
// authorised them. A destination whose authorisation could not be read
// is left out (not shown as a pass).
func authorisedRUA(m *evidence.DMARC) []string {
	var out []string
	for _, u := range m.RUA {
		dom := mailtoDomain(u)
		if dom == "" {
			continue
		}
		external := false
		ok := true
		for _, dd := range m.Destinations {
			if dd.Domain == dom {
				external = true
				ok = dd.Auth == evidence.DestAuthorized
			}
		}
		if !external || ok {
			out = append(out, u)
		}
	}
	return out
}

// mailtoDomain is the lower-case domain of "mailto:x@domain[!size]", "" if none.
func mailtoDomain(uri string) string {
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok || !strings.EqualFold(scheme, "mailto") {
		return ""
	}
	rest, _, _ = strings.Cut(rest, "!")
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(rest[at+1:], "."))
}

func dkimFindings(d *evidence.Domain, add addFunc) {
	for _, k := range d.DKIM {
		args := map[string]string{"selector": k.Selector, "name": k.Selector + "._domainkey." + d.Domain}
		switch k.Status {
		case evidence.DKIMKeyOK:
			if k.KeyType != "rsa" {
				continue
			}
			args["bits"] = strconv.Itoa(k.Bits)
			switch {
			case k.Bits < dkimMinRSABits:
				add(CodeDKIMKeyRefused, args)
			case k.Bits < dkimGoodRSABits:
				add(CodeDKIMKeyWeak, args)
			}
		case evidence.DKIMInvalid:
			args["reason"] = k.Reason
			add(CodeDKIMKeyInvalid, args)
		case evidence.DKIMMissing:
			add(CodeDKIMKeyMissing, args)
		case evidence.DKIMRevoked:
			add(CodeDKIMKeyRevoked, args)
		}
	}
}

// SuggestSPF returns the SPF record the domain should publish: "v=spf1
// -all" for a domain that receives no mail; the current record with its
// final all made -all when it authorises anyone or says nothing; a start
// ("v=spf1 mx -all", to which the services that send as the domain are
// added) when there is none or it is broken.
func SuggestSPF(d *evidence.Domain) string {
	if nonSending(d) {
		return "v=spf1 -all"
	}
	s := d.SPF
	if s == nil || s.Status != evidence.SPFValid || s.Record == "" {
		return "v=spf1 mx -all"
	}
	var terms []string
	for _, w := range strings.Fields(s.Record)[1:] {
		lw := strings.ToLower(w)
		if lw == "all" || (len(lw) == 4 && strings.HasSuffix(lw, "all") && strings.ContainsRune("+-~?", rune(lw[0]))) {
			continue
		}
		if strings.HasPrefix(lw, "redirect=") && s.All != "" {
			continue
		}
		terms = append(terms, w)
	}
	all := "-all"
	if s.All == "~all" {
		all = "~all"
	}
	if s.All == "" && slices.ContainsFunc(terms, func(t string) bool { return strings.HasPrefix(strings.ToLower(t), "redirect=") }) {
		return s.Record
	}
	return strings.Join(append(append([]string{"v=spf1"}, terms...), all), " ")
}

// SuggestDMARC returns the DMARC record the domain should publish at
// _dmarc.DOMAIN: p=reject for every message and subdomain, keeping the
// report addresses of the current record (and dropping unauthorised
// ones), or one at dmarc-reports@ the domain when there is none.
func SuggestDMARC(d *evidence.Domain) string {
	m := d.DMARC
	rua := []string{"mailto:" + suggestedRUALocal + "@" + d.Domain}
	if m != nil {
		if ok := authorisedRUA(m); len(ok) > 0 {
			rua = ok
		}
	}
	rec := "v=DMARC1; p=reject; rua=" + strings.Join(rua, ",")
	if m != nil && len(m.RUF) > 0 && m.Status == evidence.DMARCValid {
		rec += "; ruf=" + strings.Join(m.RUF, ",")
	}
	return rec
}

// rateSenderAuth rates the domain's SPF and DMARC records together.
func rateSenderAuth(d *evidence.Domain) SenderAuth {
	s, m := d.SPF, d.DMARC
	if (s != nil && s.Status == evidence.SPFTempError) || (m != nil && m.Status == evidence.DMARCTempError) || s == nil || m == nil {
		return SenderAuth{Rating: RatingUnknown, Why: say("sender_auth.unreadable")}
	}
	spfUsable := s.Status == evidence.SPFValid && s.All != "+all" && s.All != "?all" && s.All != ""
	spfStrict := spfUsable && (s.All == "-all" || (s.All == "~all" && !nonSending(d)))
	dmarcUsable := m.Status == evidence.DMARCValid
	pct := 100
	if m.PCT != nil {
		pct = *m.PCT
	}
	switch {
	case spfStrict && dmarcUsable && m.Policy == "reject" && policyRank(m.SubdomainPolicy) >= 3 && pct == 100:
		return SenderAuth{Rating: RatingStrong, Why: say("sender_auth.strong", "all", s.All)}
	case spfUsable && dmarcUsable && policyRank(m.Policy) >= 2:
		return SenderAuth{Rating: RatingModerate, Why: moderate(s, m, pct)}
	case spfUsable && dmarcUsable:
		return SenderAuth{Rating: RatingWeak, Why: say("sender_auth.dmarc_none")}
	case spfUsable:
		return SenderAuth{Rating: RatingWeak, Why: say("sender_auth.no_dmarc", "all", s.All, "dmarc_status", string(m.Status))}
	case dmarcUsable:
		return SenderAuth{Rating: RatingWeak, Why: say("sender_auth.no_spf", append([]string{"p", m.Policy}, spfState(s)...)...)}
	}
	return SenderAuth{Rating: RatingNone, Why: say("sender_auth.neither", append([]string{"dmarc_status", string(m.Status)}, spfState(s)...)...)}
}

// moderate is the moderate rating's phrase: the SPF all term, the DMARC
// policy, and pct or a weaker sp when they leave part of the mail out.
func moderate(s *evidence.SPF, m *evidence.DMARC, pct int) *Phrase {
	p := say("sender_auth.moderate", "all", s.All, "p", m.Policy)
	if pct < 100 {
		p.Args["pct"] = strconv.Itoa(pct)
	}
	if m.SubdomainPolicySet && policyRank(m.SubdomainPolicy) < policyRank(m.Policy) {
		p.Args["sp"] = m.SubdomainPolicy
	}
	return p
}

// spfState is the arguments saying why SPF is not usable: its status, or
// for a valid record its all term ("" for none: neutral by default).
func spfState(s *evidence.SPF) []string {
	if s.Status == evidence.SPFValid {
		return []string{"spf_status", string(s.Status), "spf_all", s.All}
	}
	return []string{"spf_status", string(s.Status)}
}
