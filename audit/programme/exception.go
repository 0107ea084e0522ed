// Package programme is the vendor-risk programme around the audit: the
// status, age and deadline of each finding across runs, and the effect of
// accepted-risk exceptions. It is pure: the history of findings, the
// exceptions, the letters sent and the deadlines come in; nothing is read
// or written here. The measured grade never changes because of it: an
// exception changes what a finding counts toward, never what was observed.
package programme

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// Exception is an accepted risk: a named approver accepts one finding (or
// every finding of a code, or of a domain) until a date. It is a fact of
// the record; a revocation is another fact added beside it, never an edit.
type Exception struct {
	// ID is "EX-<n>" for an exception of the database, or the id the
	// exceptions file gives it.
	ID string `json:"id"`
	// Domain is required; Code, Host and IP narrow the exception when set
	// (an empty Code covers every finding of the domain, host or address).
	Domain string `json:"domain"`
	Code   string `json:"code,omitempty"`
	Host   string `json:"host,omitempty"`
	IP     string `json:"ip,omitempty"`
	// Vendor names whose risk it is, for the reader; matching is by domain.
	Vendor   string `json:"vendor,omitempty"`
	Approver string `json:"approver"`
	Reason   string `json:"reason"`
	Ticket   string `json:"ticket,omitempty"`
	// Expires is the first day the exception no longer applies (00:00 UTC
	// of the expiry date): "accepted until 2027-03-31" covers the run of
	// March 30 and not the run of March 31.
	Expires time.Time `json:"expires"`
	// CreatedAt is when it was recorded (zero for one from a file).
	CreatedAt time.Time `json:"created_at,omitempty"`
	// Source is "database" or the exceptions file it came from.
	Source string `json:"source"`
	// Revoked is set once the exception was revoked.
	Revoked *Revocation `json:"revoked,omitempty"`
}

// Revocation is the fact that an exception was withdrawn before its expiry.
type Revocation struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Reason string    `json:"reason"`
}

// Exception states, as listed and shown.
const (
	StateActive  = "active"
	StateExpired = "expired"
	StateRevoked = "revoked"
)

// SourceDatabase is the Source of an exception recorded with `mxaudit exception add`.
const SourceDatabase = "database"

// DateLayout is how dates of the programme are written and read (expiry,
// letter sent on).
const DateLayout = time.DateOnly

// ParseDate reads a YYYY-MM-DD date as 00:00 UTC of that day.
func ParseDate(s string) (time.Time, error) {
	t, err := time.ParseInLocation(DateLayout, strings.TrimSpace(s), time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return t, nil
}

// Day is the start (00:00 UTC) of t's day.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Covers reports whether the exception's scope includes the finding
// (code, domain, host, ip), compared as grade.FindingID compares them.
func (e Exception) Covers(code, domain, host, ip string) bool {
	norm := func(s string) string { return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".") }
	switch {
	case norm(e.Domain) != norm(domain):
		return false
	case e.Code != "" && !strings.EqualFold(e.Code, code):
		return false
	case e.Host != "" && norm(e.Host) != norm(host):
		return false
	case e.IP != "" && !strings.EqualFold(e.IP, ip):
		return false
	}
	return true
}

// State is the exception's state at time at.
func (e Exception) State(at time.Time) string {
	switch {
	case e.Revoked != nil && !at.Before(e.Revoked.At):
		return StateRevoked
	case !at.Before(e.Expires):
		return StateExpired
	}
	return StateActive
}

// Active reports whether the exception applies at time at.
func (e Exception) Active(at time.Time) bool { return e.State(at) == StateActive }

// Ended is when the exception stopped applying (its revocation or its
// expiry, whichever came first).
func (e Exception) Ended() time.Time {
	if e.Revoked != nil && e.Revoked.At.Before(e.Expires) {
		return e.Revoked.At
	}
	return e.Expires
}

// ExpiresOn is the expiry date as written (YYYY-MM-DD).
func (e Exception) ExpiresOn() string { return e.Expires.UTC().Format(DateLayout) }

// Scope says what the exception covers, for a reader: "SSLV3_ENABLED on
// mx1.example.com (192.0.2.1) of example.com".
func (e Exception) Scope() string {
	what := "every finding"
	if e.Code != "" {
		what = e.Code
	}
	at := ""
	if e.Host != "" {
		at = " on " + e.Host
	}
	if e.IP != "" {
		if at == "" {
			at = " on " + e.IP
		} else {
			at += " (" + e.IP + ")"
		}
	}
	return what + at + " of " + e.Domain
}

// Label is the accepted-risk mark of a finding: "accepted risk until
// 2027-03-31, Jane Roe, vendor migration under way, ticket CHG-1".
func (e Exception) Label() string {
	s := "accepted risk until " + e.ExpiresOn() + ", " + e.Approver + ", " + e.Reason
	if e.Ticket != "" {
		s += ", ticket " + e.Ticket
	}
	return s
}

// Problems of an exception that make it unfit to record.
var (
	ErrNoDomain   = fmt.Errorf("a domain is required")
	ErrNoApprover = fmt.Errorf("an approver is required")
	ErrNoReason   = fmt.Errorf("a reason is required")
)

// Validate checks an exception before it is recorded or applied: a
// domain, an approver and a reason, a finding code the policy knows, and
// an expiry after the day of now (an exception expiring today or in the
// past accepts nothing).
func (e Exception) Validate(now time.Time) error {
	switch {
	case strings.TrimSpace(e.Domain) == "":
		return ErrNoDomain
	case strings.TrimSpace(e.Approver) == "":
		return ErrNoApprover
	case strings.TrimSpace(e.Reason) == "":
		return ErrNoReason
	}
	if e.Code != "" && !KnownCode(e.Code) {
		return fmt.Errorf("unknown finding code %q (mxaudit checks lists the codes)", e.Code)
	}
	if e.Expires.IsZero() {
		return fmt.Errorf("an expiry date is required")
	}
	if !Day(e.Expires).After(Day(now)) {
		return fmt.Errorf("expiry %s is not after today (%s): an exception must expire in the future",
			e.ExpiresOn(), Day(now).Format(DateLayout))
	}
	return nil
}

// KnownCode reports whether code is a finding code of the policy (any
// case; a rule variant such as "MTASTS_MX_NOT_COVERED/testing" is not a code).
func KnownCode(code string) bool {
	c := strings.ToUpper(strings.TrimSpace(code))
	return slices.ContainsFunc(grade.RuleKeys(), func(k string) bool { return k == c })
}

// Conflict is an exception of the exceptions file that disagrees with one
// of the database: the same id with other terms, or the same scope with
// other terms. Neither is merged into the other; the file's is not applied.
type Conflict struct {
	File   Exception `json:"file"`
	Stored Exception `json:"stored"`
	Why    string    `json:"why"`
}

// Merge combines the exceptions of the database with those of a file: a
// file exception identical to a stored one (same scope and terms) is the
// same exception and appears once; one that disagrees with a stored
// exception active at now is reported as a conflict and left out.
func Merge(stored, file []Exception, now time.Time) (merged []Exception, conflicts []Conflict) {
	merged = append(merged, stored...)
	for _, f := range file {
		dup, bad := false, false
		for _, s := range stored {
			sameScope := sameScope(s, f)
			sameTerms := s.Approver == f.Approver && s.Reason == f.Reason && s.Ticket == f.Ticket && s.Expires.Equal(f.Expires)
			switch {
			case s.ID == f.ID && !(sameScope && sameTerms):
				conflicts = append(conflicts, Conflict{File: f, Stored: s, Why: "the same id " + f.ID + " with other terms"})
				bad = true
			case sameScope && sameTerms && s.Revoked == nil:
				dup = true
			case sameScope && s.Active(now):
				conflicts = append(conflicts, Conflict{File: f, Stored: s,
					Why: fmt.Sprintf("%s already covers %s with other terms (approver, reason, ticket or expiry)", s.ID, f.Scope())})
				bad = true
			}
		}
		if !dup && !bad {
			merged = append(merged, f)
		}
	}
	return merged, conflicts
}

func sameScope(a, b Exception) bool {
	return a.Covers(b.Code, b.Domain, b.Host, b.IP) && b.Covers(a.Code, a.Domain, a.Host, a.IP)
}

// LowersGrade reports whether a finding took points off the grade or
// forced an F: the findings that put a vendor at risk.
func LowersGrade(f grade.Finding) bool { return f.Deduction > 0 || f.ForceF }

// Covering returns the active exception at time at that covers finding f,
// the one expiring last when several do; nil when none does.
func Covering(exs []Exception, f grade.Finding, at time.Time) *Exception {
	var out *Exception
	for i := range exs {
		e := &exs[i]
		if e.Active(at) && e.Covers(f.Code, f.Domain, f.Host, f.IP) && (out == nil || e.Expires.After(out.Expires)) {
			out = e
		}
	}
	return out
}

// RiskAccepted reports whether every finding that lowers a domain's grade
// is covered by an exception active at time at: the domain's grade stays
// as measured, but it counts as accepted risk, not at risk, and no
// threshold fails on it. A domain with no such finding is not "accepted".
func RiskAccepted(findings []grade.Finding, exs []Exception, at time.Time) bool {
	any := false
	for _, f := range findings {
		if !LowersGrade(f) {
			continue
		}
		if Covering(exs, f, at) == nil {
			return false
		}
		any = true
	}
	return any
}
