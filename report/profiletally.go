package report

import (
	"cmp"
	"slices"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// MaxProfileObservations bounds the distinct observations the summary
// keeps per profile control (Summary.ProfileControls); the domains of the
// others are counted in MoreObserved.
const MaxProfileObservations = 200

// MaxObservationDomains bounds the domains one observation names; the
// others are counted in MoreDomains.
const MaxObservationDomains = 40

// ProfileControl is one control of a sender-authentication profile (BOD
// 18-01, NIST SP 800-177r1) that fails, or could not be judged, on some
// domains of the run, with what was observed there: the tally the PDF's
// profiles section prints, counted once while the report is built.
type ProfileControl struct {
	// Profile is the profile's name, Control the control's title.
	Profile string `json:"profile"`
	Control string `json:"control"`
	// Status is "fail" or "incomplete".
	Status string `json:"status"`
	// Observed holds each distinct observation once, in the order first
	// seen (at most MaxProfileObservations).
	Observed []ProfileObservation `json:"observed"`
	// MoreObserved counts the domains whose observation was not kept.
	MoreObserved int `json:"more_observed"`
}

// ProfileObservation is one observation of a profile control and the
// domains it was made on.
type ProfileObservation struct {
	Reason string `json:"reason"`
	// Domains are the first MaxObservationDomains domains, in the order
	// the run stored them; MoreDomains counts the others.
	Domains     []string `json:"domains"`
	MoreDomains int      `json:"more_domains"`
}

// profileTally counts the failing and incomplete profile controls of the
// run's domains, one domain at a time, in memory bounded by the controls
// and the caps above.
type profileTally struct {
	at  map[[3]string]int
	out []ProfileControl
	// pos holds, per control counted, the position of its profile among
	// grade.SenderProfiles and of the control in the profile: the order.
	pos [][2]int
}

// add counts the profile controls of one domain's frameworks.
func (t *profileTally) add(domain string, fws []grade.Framework) {
	for _, fw := range fws {
		pi := slices.Index(grade.SenderProfiles(), fw.Name)
		if pi < 0 {
			continue
		}
		for ci, c := range fw.Controls {
			if c.Status != grade.ControlFail && c.Status != grade.ControlIncomplete {
				continue
			}
			if t.at == nil {
				t.at = map[[3]string]int{}
			}
			k := [3]string{fw.Name, c.Title, string(c.Status)}
			g, ok := t.at[k]
			if !ok {
				g = len(t.out)
				t.at[k] = g
				t.out = append(t.out, ProfileControl{Profile: fw.Name, Control: c.Title, Status: string(c.Status),
					Observed: []ProfileObservation{}})
				t.pos = append(t.pos, [2]int{pi, ci})
			}
			pc := &t.out[g]
			i := slices.IndexFunc(pc.Observed, func(o ProfileObservation) bool { return o.Reason == c.Reason })
			if i < 0 {
				if len(pc.Observed) >= MaxProfileObservations {
					pc.MoreObserved++
					continue
				}
				pc.Observed = append(pc.Observed, ProfileObservation{Reason: c.Reason, Domains: []string{}})
				i = len(pc.Observed) - 1
			}
			if o := &pc.Observed[i]; len(o.Domains) < MaxObservationDomains {
				o.Domains = append(o.Domains, domain)
			} else {
				o.MoreDomains++
			}
		}
	}
}

// controls returns the controls counted, by profile, then by the
// control's place in it, title and status.
func (t *profileTally) controls() []ProfileControl {
	idx := make([]int, len(t.out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := t.out[a], t.out[b]
		return cmp.Or(cmp.Compare(t.pos[a][0], t.pos[b][0]), cmp.Compare(t.pos[a][1], t.pos[b][1]),
			cmp.Compare(x.Control, y.Control), cmp.Compare(x.Status, y.Status))
	})
	out := make([]ProfileControl, 0, len(idx))
	for _, i := range idx {
		out = append(out, t.out[i])
	}
	return out
}

// ProfileControlsOf returns the report's failing profile controls: the
// summary's, or, for a report read from JSON written before the summary
// held them, counted from its domain views.
func ProfileControlsOf(r *Report) ([]ProfileControl, error) {
	if r.Summary.ProfileControls != nil {
		return r.Summary.ProfileControls, nil
	}
	var t profileTally
	err := r.EachDomain(func(dv *DomainView) error {
		t.add(dv.Domain, dv.Frameworks)
		return nil
	})
	return t.controls(), err
}
