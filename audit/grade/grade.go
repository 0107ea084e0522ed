// Package grade turns audit evidence into findings and grades under a
// versioned policy. It is a pure function of its inputs: it opens no socket,
// reads no clock and keeps no state, so a stored run can be re-graded years
// later with the same result.
//
// Severity only rises: an MX host is its worst address, a domain its worst
// MX host. A check that could not run is "not_tested" or "inconclusive",
// never "pass" and never "fail"; an address that could not be audited is
// graded "?", never F.
package grade

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Severity ranks findings: Info < Low < Medium < High < Critical.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

// String returns "info", "low", "medium", "high" or "critical".
func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Low:
		return "low"
	case Medium:
		return "medium"
	case High:
		return "high"
	case Critical:
		return "critical"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) {
	if s < Info || s > Critical {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a severity name, ignoring case.
func (s *Severity) UnmarshalText(b []byte) error {
	name := strings.ToLower(string(b))
	for v := Info; v <= Critical; v++ {
		if v.String() == name {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q", string(b))
}

// Grade is a letter grade, or one of the two non-grades "?" and "N/A".
type Grade string

// Grades, best first, then the non-grades.
const (
	GradeAPlus  Grade = "A+"
	GradeA      Grade = "A"
	GradeAMinus Grade = "A-"
	GradeB      Grade = "B"
	GradeC      Grade = "C"
	GradeD      Grade = "D"
	GradeF      Grade = "F"
	// GradeInconclusive means nothing conclusive could be observed.
	GradeInconclusive Grade = "?"
	// GradeNA means the domain accepts no mail (null MX): nothing to grade.
	GradeNA Grade = "N/A"
)

// Rank orders real grades so that worse grades rank lower: F is 1, A+ is 7.
// The non-grades ("?", "N/A") and unknown strings rank 0: they are neither
// better nor worse than a real grade, so callers must test Conclusive
// before comparing ranks.
func (g Grade) Rank() int {
	switch g {
	case GradeF:
		return 1
	case GradeD:
		return 2
	case GradeC:
		return 3
	case GradeB:
		return 4
	case GradeAMinus:
		return 5
	case GradeA:
		return 6
	case GradeAPlus:
		return 7
	}
	return 0
}

// Conclusive reports whether g is a real letter grade.
func (g Grade) Conclusive() bool { return g.Rank() > 0 }

// Worst returns the worst real grade among gs. Non-grades never win against
// a real grade: Worst(A, ?) is A (the caller flags the result incomplete).
// Without a real grade, "?" wins over "N/A", and no grades at all give "?".
func Worst(gs ...Grade) Grade {
	var worst Grade
	sawNA, sawOther := false, false
	for _, g := range gs {
		switch {
		case g.Conclusive():
			if worst == "" || g.Rank() < worst.Rank() {
				worst = g
			}
		case g == GradeNA:
			sawNA = true
		default:
			sawOther = true
		}
	}
	switch {
	case worst != "":
		return worst
	case sawNA && !sawOther:
		return GradeNA
	}
	return GradeInconclusive
}

// Check names one column of the per-address results table.
type Check string

// The checks, in table order.
const (
	CheckTLS        Check = "tls"
	CheckCertName   Check = "cert_name"
	CheckVerifiable Check = "verifiable"
	CheckSSLv3Off   Check = "sslv3_off"
	// CheckTLS10Off passes when the server refuses TLS 1.0 (schema 1
	// called it "tls10" and passed when TLS 1.0 was accepted).
	CheckTLS10Off Check = "tls10_off"
	// CheckTLS12 and CheckTLS13 pass when the version is accepted.
	CheckTLS12          Check = "tls12_on"
	CheckTLS13          Check = "tls13_on"
	CheckWeakOff        Check = "weak_off"
	CheckNISTR1         Check = "nist_r1"
	CheckNISTR2         Check = "nist_r2"
	CheckForwardSecrecy Check = "forward_secrecy"
)

// Checks returns every check in table order.
func Checks() []Check {
	return []Check{CheckTLS, CheckCertName, CheckVerifiable, CheckSSLv3Off, CheckTLS10Off, CheckTLS12, CheckTLS13,
		CheckWeakOff, CheckNISTR1, CheckNISTR2, CheckForwardSecrecy}
}

// Result is the outcome of one check. Every check is named for the good
// state, so "pass" is always good: "tls10_off" passes when TLS 1.0 is
// refused, "tls12_on" when TLS 1.2 is accepted.
type Result string

// Results. Inconclusive and NotTested never count as pass or fail.
const (
	Pass          Result = "pass"
	Fail          Result = "fail"
	Inconclusive  Result = "inconclusive"
	NotTested     Result = "not_tested"
	NotApplicable Result = "n/a"
)

// resultRank orders results worst first for the worst-of over addresses.
func resultRank(r Result) int {
	switch r {
	case Fail:
		return 0
	case Inconclusive:
		return 1
	case NotTested:
		return 2
	case NotApplicable:
		return 3
	case Pass:
		return 4
	}
	return 1 // an unknown value is treated as inconclusive
}

// worstResult returns the worse of two results.
func worstResult(a, b Result) Result {
	if resultRank(b) < resultRank(a) {
		return b
	}
	return a
}

// Finding is one observation held against a policy rule.
type Finding struct {
	// Code is the stable identifier of the rule ("SSLV3_ENABLED").
	Code string `json:"code"`
	// Severity and Deduction come from the policy's rule for the finding
	// (for a code with rule variants, the variant that applied).
	Severity  Severity `json:"severity"`
	Deduction int      `json:"deduction"`
	// ForceF is set when that rule grades F whatever the score, within the
	// finding's scope (see Rule.ForceF).
	ForceF bool `json:"force_f,omitempty"`
	// Domain is the audited domain; Host and IP are empty for domain-level
	// findings, and IP is empty for host-level ones.
	Domain string `json:"domain"`
	Host   string `json:"host,omitempty"`
	IP     string `json:"ip,omitempty"`
	// Args are the facts the finding's wording needs (host, ip, version,
	// suites, days...), under the names Params lists for its code. All
	// wording (title, message, remediation) is rendered from Code and Args
	// by the templates package; the grader writes no sentence.
	Args map[string]string `json:"args,omitempty"`
	// Phrases are the arguments whose facts are themselves worded: a list
	// of reasons or details, each a phrase code with its own facts
	// (MTASTS_ENFORCE_MX_FAILS's "reasons", WEAK_DH's "details"). Readers
	// render each from templates/phrases.json and give the wording the
	// text under the same name, beside Args (report.FindingArgs); Params
	// lists these names too. Findings stored before carry the English in
	// Args instead, which still renders.
	Phrases map[string]Phrase `json:"phrases,omitempty"`
	// Reason is the English sentence that grades stored by mxaudit before
	// the wording moved to templates carried. The grader never sets it;
	// readers show it only for such a stored finding whose code has no
	// wording, and scan --json fills it with the templates' message.
	Reason string `json:"reason,omitempty"`
	// Waived names why the finding costs nothing under this policy although
	// its fact stands ("dane-ee": DANE senders do not check it); Deduction
	// is then 0.
	Waived string `json:"waived,omitempty"`
}

// ForcedTLS says whether a sender may require TLS for every message to the
// domain: every address of every MX offers TLS with a protocol version and a
// NIST SP 800-52 Rev. 1 suite the sender can use.
type ForcedTLS string

// Forced-TLS verdicts.
const (
	ForcedTLSEligible    ForcedTLS = "eligible"
	ForcedTLSNotEligible ForcedTLS = "not_eligible"
	ForcedTLSUnknown     ForcedTLS = "unknown"
)

// AddressGrade is the verdict on one address of an MX host.
type AddressGrade struct {
	IP string `json:"ip"`
	// Checks holds every check of Checks().
	Checks map[Check]Result `json:"checks"`
	// Score is 100 minus the deductions of the address's own findings and
	// of the domain- and host-level findings that apply to all its
	// addresses (those are listed with the domain, not in Findings); 0 when
	// Grade is "?".
	Score int   `json:"score"`
	Grade Grade `json:"grade"`
	// Inconclusive is set when the address could not be audited (Grade "?").
	Inconclusive bool `json:"inconclusive,omitempty"`
	// HandshakeNeverCompleted is set when the server chose suites in its
	// ServerHello but no full handshake ever completed (policy version 3):
	// the accepted suites were chosen in a ServerHello, not used.
	HandshakeNeverCompleted bool `json:"handshake_never_completed,omitempty"`
	// Deductions are what Score subtracted from 100, domain and host
	// findings first, then the address's own; Caps the causes, from any
	// scope, that set Grade whatever the score. Both are empty for an
	// address that could not be audited. 100 minus the points, floored at
	// 0, is Score; the letter is that of Score unless a cap applies.
	Deductions []Deduction `json:"deductions,omitempty"`
	Caps       []Cap       `json:"caps,omitempty"`
	// APlusWhy names what earned an A+ besides a perfect score; nil
	// otherwise. APlus is that sentence as grades stored before the
	// wording moved to templates carried it: the grader never sets it,
	// readers fill it from APlusWhy (report.WordGrade).
	APlusWhy *Phrase `json:"a_plus_why,omitempty"`
	APlus    string  `json:"a_plus,omitempty"`
	// ForcedTLS and ForcedTLSWhy are this address's part of the domain's
	// Forced-TLS verdict. ForcedTLSReason is the sentence older stored
	// grades carry; the grader never sets it (see APlus).
	ForcedTLS       ForcedTLS `json:"forced_tls"`
	ForcedTLSWhy    *Phrase   `json:"forced_tls_why,omitempty"`
	ForcedTLSReason string    `json:"forced_tls_reason,omitempty"`
	// Findings are this address's findings, in the domain's order.
	Findings []Finding `json:"findings,omitempty"`
}

// MXGrade is the verdict on one MX host: the worst of its addresses.
type MXGrade struct {
	Host       string         `json:"host"`
	Preference uint16         `json:"preference"`
	Addresses  []AddressGrade `json:"addresses"`
	// Grade is the worst grade of the conclusive addresses, "?" if none;
	// F whatever the addresses when a host- or domain-level finding forces F.
	Grade Grade `json:"grade"`
	// Inconclusive is set when any address (or the host's addresses
	// themselves) could not be audited.
	Inconclusive bool `json:"inconclusive,omitempty"`
	// Checks is the worst result of each check over the addresses.
	Checks map[Check]Result `json:"checks"`
	// CertName is the common name of the leaf certificate presented by the
	// first address that presented one.
	CertName string `json:"cert_name,omitempty"`
	// Caps are the domain- and host-level causes that force Grade.
	Caps []Cap `json:"caps,omitempty"`
}

// DomainGrade is the verdict on one domain under one policy.
type DomainGrade struct {
	Domain string `json:"domain"`
	// Policy and PolicyVersion identify the rules used.
	Policy        string `json:"policy"`
	PolicyVersion string `json:"policy_version"`
	// Grade is the worst MX grade; "?" when nothing could be audited, "N/A"
	// for a null MX.
	Grade Grade `json:"grade"`
	// Incomplete is set when part of the domain could not be audited, so
	// Grade rests on fewer hosts than the domain has.
	Incomplete bool      `json:"incomplete,omitempty"`
	ForcedTLS  ForcedTLS `json:"forced_tls"`
	// ForcedTLSWhy names why the domain is or is not Forced-TLS eligible;
	// ForcedTLSReason is that sentence as older stored grades carry it
	// (the grader never sets it; report.WordGrade fills it).
	ForcedTLSWhy    *Phrase   `json:"forced_tls_why,omitempty"`
	ForcedTLSReason string    `json:"forced_tls_reason,omitempty"`
	MX              []MXGrade `json:"mx,omitempty"`
	// Findings are all findings (domain, host and address level), sorted by
	// severity (highest first), then host, IP and code.
	Findings []Finding `json:"findings,omitempty"`
	// SenderAuth is the sender-authentication (SPF, DMARC) rating, apart
	// from Grade; nil when those records were not checked.
	SenderAuth *SenderAuth `json:"sender_auth,omitempty"`
	// Frameworks are the profiles and frameworks judged for the domain
	// (BOD 18-01, NIST SP 800-177r1, and the transport frameworks).
	Frameworks []Framework `json:"frameworks,omitempty"`
	// PortBlocked repeats evidence.Domain.PortBlocked: the scanner's own
	// network probably blocks outbound port 25.
	PortBlocked bool `json:"port_blocked,omitempty"`
	// Caps are the domain-level causes that set Grade whatever its MX
	// hosts: a forced-F finding, or a domain with no mail host (NO_MX).
	Caps []Cap `json:"caps,omitempty"`
}

// ID is the finding's stable identifier: the same rule on the same domain,
// MX host and address has the same ID in every run and under every policy
// version, so reports, exceptions and trackers can follow it over time. It
// is the first 16 hex digits of SHA-256 over "code|domain|host|ip", names
// lower-cased and without a trailing dot.
func (f Finding) ID() string { return FindingID(f.Code, f.Domain, f.Host, f.IP) }

// FindingID computes Finding.ID from its parts, for callers (the database,
// the exceptions register) that hold the parts and not a Finding.
func FindingID(code, domain, host, ip string) string {
	norm := func(s string) string { return strings.TrimSuffix(strings.ToLower(s), ".") }
	sum := sha256.Sum256([]byte(strings.ToUpper(code) + "|" + norm(domain) + "|" + norm(host) + "|" + strings.ToLower(ip)))
	return hex.EncodeToString(sum[:8])
}
