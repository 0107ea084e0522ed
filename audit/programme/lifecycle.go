package programme

import (
	"slices"
	"sort"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// Status is where a finding stands in the programme.
type Status string

// Finding statuses.
const (
	// StatusOpen: present in the run, not accepted, never closed before.
	StatusOpen Status = "open"
	// StatusAccepted: present and covered by an active exception.
	StatusAccepted Status = "accepted"
	// StatusResolved: present in the previous run, gone in this one.
	StatusResolved Status = "resolved"
	// StatusReopened: present and not accepted, after having been closed
	// once: gone in an earlier run, or accepted by an exception that has
	// since expired or been revoked.
	StatusReopened Status = "reopened"
)

// RunRef is one run of a vendor list, as the history knows it.
type RunRef struct {
	ID int64     `json:"id"`
	At time.Time `json:"at"`
}

// Seen is one finding (by grade.Finding.ID) across the runs of a list.
type Seen struct {
	Code, Domain, Host, IP string
	Severity               grade.Severity
	// Runs are the runs it appeared in, oldest first.
	Runs []int64
}

// History is the findings of every completed run of a vendor list up to
// the run reported on, and that run itself.
type History struct {
	// Runs are the runs, oldest first; the last one is the run reported on.
	Runs []RunRef
	// Findings by finding id.
	Findings map[string]*Seen
}

// Letter is a vendor letter marked as sent.
type Letter struct {
	Ref     string    `json:"ref"`
	RunID   int64     `json:"run"`
	Domains []string  `json:"domains"`
	SentOn  time.Time `json:"sent_on"`
}

// Finding is what the programme needs of one finding of the run.
type Finding struct {
	ID, Code, Domain, Host, IP string
	Severity                   grade.Severity
	// Tier is the most critical tier (the smallest number) of the vendors
	// using the domain; 0 when unknown.
	Tier int
}

// FindingOf is the programme's view of a graded finding of a vendor of tier.
func FindingOf(f grade.Finding, tier int) Finding {
	return Finding{ID: f.ID(), Code: f.Code, Domain: f.Domain, Host: f.Host, IP: f.IP, Severity: f.Severity, Tier: tier}
}

// Input is everything Evaluate judges from.
type Input struct {
	// Now is the time of the report: ages, deadlines and exceptions are
	// judged at it.
	Now        time.Time
	History    History
	Exceptions []Exception
	Letters    []Letter
	SLA        SLA
	// ExpiringDays is the window of "exceptions expiring soon" (default 30).
	ExpiringDays int
}

// DefaultExpiringDays is the window within which an exception is listed
// as expiring soon.
const DefaultExpiringDays = 30

// Track is one finding's place in the programme.
type Track struct {
	ID     string `json:"id"`
	Status Status `json:"status"`
	// FirstSeen and LastSeen are the first and latest runs it appeared in.
	FirstSeen RunRef `json:"first_seen"`
	LastSeen  RunRef `json:"last_seen"`
	// AgeDays is whole days from FirstSeen to Now.
	AgeDays int `json:"age_days"`
	// Notified is when the vendor's letter was marked sent, if after FirstSeen.
	Notified *time.Time `json:"notified,omitempty"`
	// Due is FirstSeen (or Notified, if later) plus the SLA; nil when the
	// severity has no deadline.
	Due *time.Time `json:"due,omitempty"`
	// Overdue is set when Now is past Due and the finding is not accepted.
	Overdue bool `json:"overdue"`
	// Exception is the active exception that accepts it.
	Exception *Exception `json:"exception,omitempty"`
	// SLADays is the deadline applied, in days (0 for none).
	SLADays int `json:"sla_days,omitempty"`
}

// Lapse is an exception that stopped applying since the previous run while
// a finding it covered is still there: the finding is open again.
type Lapse struct {
	Exception Exception `json:"exception"`
	// Revoked is set when it ended by revocation rather than expiry.
	Revoked bool `json:"revoked"`
	// FindingIDs are the findings it re-opens.
	FindingIDs []string `json:"finding_ids"`
}

// Result is the programme's judgement of one run.
type Result struct {
	// Tracks by finding id, for every finding of the run.
	Tracks map[string]Track
	// Resolved are the findings of the previous run that are gone.
	Resolved []Seen
	// Lapsed are the exceptions that ended since the previous run and re-open findings.
	Lapsed []Lapse
	// Expiring are the active exceptions that expire within the window, soonest first.
	Expiring []Exception
	// Active are the exceptions active at Now, soonest expiry first.
	Active []Exception
}

// Evaluate judges the findings of the run (the last run of in.History) at
// in.Now: status, first and last sighting, age, deadline and exception.
func Evaluate(in Input, findings []Finding) Result {
	res := Result{Tracks: make(map[string]Track, len(findings))}
	runs := in.History.Runs
	var current, previous RunRef
	if len(runs) > 0 {
		current = runs[len(runs)-1]
	}
	if len(runs) > 1 {
		previous = runs[len(runs)-2]
	}
	runAt := map[int64]time.Time{}
	pos := map[int64]int{}
	for i, r := range runs {
		runAt[r.ID], pos[r.ID] = r.At, i
	}
	window := in.ExpiringDays
	if window <= 0 {
		window = DefaultExpiringDays
	}
	for _, e := range in.Exceptions {
		if e.Active(in.Now) {
			res.Active = append(res.Active, e)
			if e.Expires.Before(in.Now.AddDate(0, 0, window)) {
				res.Expiring = append(res.Expiring, e)
			}
		}
	}
	bySoonest := func(s []Exception) {
		sort.SliceStable(s, func(i, j int) bool { return s[i].Expires.Before(s[j].Expires) })
	}
	bySoonest(res.Active)
	bySoonest(res.Expiring)

	lapses := map[string]*Lapse{}
	var lapseOrder []string
	present := map[string]bool{}
	for _, f := range findings {
		present[f.ID] = true
		t := Track{ID: f.ID, Status: StatusOpen, FirstSeen: current, LastSeen: current}
		seen := in.History.Findings[f.ID]
		if seen != nil && len(seen.Runs) > 0 {
			t.FirstSeen = RunRef{ID: seen.Runs[0], At: runAt[seen.Runs[0]]}
			// A gap between its first sighting and now: it was resolved once.
			if p, ok := pos[seen.Runs[0]]; ok && len(runs)-p > countUpTo(seen.Runs, current.ID) {
				t.Status = StatusReopened
			}
		}
		t.AgeDays = max(0, int(in.Now.Sub(t.FirstSeen.At)/(24*time.Hour)))
		for i := range in.Exceptions {
			e := in.Exceptions[i]
			if !e.Covers(f.Code, f.Domain, f.Host, f.IP) {
				continue
			}
			if e.Active(in.Now) {
				if t.Exception == nil || e.Expires.After(t.Exception.Expires) {
					t.Exception = &e
				}
				continue
			}
			// Ended after the finding was first seen: it was accepted once and is open again.
			if end := e.Ended(); end.After(t.FirstSeen.At) && !end.After(in.Now) {
				if t.Status == StatusOpen {
					t.Status = StatusReopened
				}
				if end.After(previous.At) && !previous.At.IsZero() {
					l, ok := lapses[e.ID]
					if !ok {
						l = &Lapse{Exception: e, Revoked: e.Revoked != nil && !e.Revoked.At.After(e.Expires)}
						lapses[e.ID] = l
						lapseOrder = append(lapseOrder, e.ID)
					}
					l.FindingIDs = append(l.FindingIDs, f.ID)
				}
			}
		}
		if t.Exception != nil {
			t.Status = StatusAccepted
		}
		t.Notified = notified(in.Letters, f.Domain, t.FirstSeen)
		if days, ok := in.SLA.For(f.Severity, f.Tier); ok {
			from := t.FirstSeen.At
			if t.Notified != nil {
				from = *t.Notified
			}
			due := from.AddDate(0, 0, days)
			t.Due, t.SLADays = &due, days
			t.Overdue = t.Status != StatusAccepted && in.Now.After(due)
		}
		res.Tracks[f.ID] = t
	}
	for _, id := range lapseOrder {
		res.Lapsed = append(res.Lapsed, *lapses[id])
	}
	if previous.ID != 0 {
		for _, s := range in.History.Findings {
			if slices.Contains(s.Runs, previous.ID) && !present[grade.FindingID(s.Code, s.Domain, s.Host, s.IP)] {
				res.Resolved = append(res.Resolved, *s)
			}
		}
		sort.Slice(res.Resolved, func(i, j int) bool {
			a, b := res.Resolved[i], res.Resolved[j]
			if a.Domain != b.Domain {
				return a.Domain < b.Domain
			}
			return grade.FindingID(a.Code, a.Domain, a.Host, a.IP) < grade.FindingID(b.Code, b.Domain, b.Host, b.IP)
		})
	}
	return res
}

// countUpTo counts the runs of a sighting list up to and including run id.
func countUpTo(runs []int64, id int64) int {
	n := 0
	for _, r := range runs {
		if r <= id {
			n++
		}
	}
	// The run reported on holds the finding even when the history was
	// loaded before it was stored.
	if !slices.Contains(runs, id) {
		n++
	}
	return n
}

// notified is the day the first letter to the domain was marked sent on or
// after the finding was first seen (the deadline counts from the vendor's
// first notice of it, not from each reminder).
func notified(letters []Letter, domain string, first RunRef) *time.Time {
	var out *time.Time
	for _, l := range letters {
		if !slices.Contains(l.Domains, domain) || l.RunID < first.ID || l.SentOn.Before(Day(first.At)) {
			continue
		}
		if out == nil || l.SentOn.Before(*out) {
			t := l.SentOn
			out = &t
		}
	}
	if out != nil && out.Before(first.At) {
		return nil
	}
	return out
}
