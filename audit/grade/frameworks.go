package grade

// ControlStatus is the outcome of one control of a framework or profile
// (CISA BOD 18-01, NIST SP 800-177r1, HIPAA 45 CFR 164.312(e), ...) for one
// domain. Like Result it is a string so reports and JSON carry it as is.
type ControlStatus string

// Control outcomes. NotApplicable is a control that does not bear on the
// domain (a non-sending domain needs no DKIM); Incomplete is one whose
// evidence is missing or inconclusive, never a pass.
const (
	ControlPass          ControlStatus = "pass"
	ControlFail          ControlStatus = "fail"
	ControlNotApplicable ControlStatus = "not_applicable"
	ControlIncomplete    ControlStatus = "incomplete"
)

// Control is one requirement of a framework, judged for one domain.
type Control struct {
	// ID is stable within its framework ("bod1801.dmarc_reject").
	ID string `json:"id"`
	// Title names the requirement. The grader leaves it empty: readers
	// word it from the phrase "title." + ID (report.WordGrade); grades
	// stored by an older mxaudit carry it.
	Title  string        `json:"title"`
	Status ControlStatus `json:"status"`
	// Why names what was observed, for every status; Reason is that
	// sentence, filled by readers from Why (older stored grades carry
	// only Reason).
	Why    *Phrase `json:"why,omitempty"`
	Reason string  `json:"reason"`
	// PublishWhy names, for a failing control a DNS record fixes, the TXT
	// record to publish (its "name" and "record"); nil otherwise.
	PublishWhy *Phrase `json:"publish_why,omitempty"`
	// Publish is that record as readers show it ("TXT at
	// _dmarc.example.com: v=DMARC1; p=reject; ..."), "" otherwise: filled
	// from PublishWhy (report.WordGrade); the grader never sets it, and
	// older stored grades carry only it.
	Publish string `json:"publish,omitempty"`
}

// Framework is one framework or profile judged for one domain: its
// controls and the overall status (fail if any control fails, else
// incomplete if any is incomplete, else pass; not_applicable when every
// control is).
type Framework struct {
	Name     string        `json:"name"`
	Status   ControlStatus `json:"status"`
	Controls []Control     `json:"controls"`
}

// Rollup computes a framework's overall status from its controls.
func Rollup(cs []Control) ControlStatus {
	var fail, incomplete, pass bool
	for _, c := range cs {
		switch c.Status {
		case ControlFail:
			fail = true
		case ControlIncomplete:
			incomplete = true
		case ControlPass:
			pass = true
		}
	}
	switch {
	case fail:
		return ControlFail
	case incomplete:
		return ControlIncomplete
	case pass:
		return ControlPass
	}
	return ControlNotApplicable
}
