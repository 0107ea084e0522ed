package grade

// Scopes of a finding: where it was observed, and so which addresses its
// deduction or cap applies to.
const (
	ScopeDomain  = "domain"
	ScopeHost    = "host"
	ScopeAddress = "address"
)

// Deduction is one finding's cost to an address's score: the rule's
// points, taken once per scope (see Rule.Deduction).
type Deduction struct {
	// Code is the finding's code; Points what its rule deducts.
	Code   string `json:"code"`
	Points int    `json:"points"`
	// Scope is where the finding was observed: "domain", "host" or
	// "address"; a domain or host finding costs every address inside it.
	Scope string `json:"scope"`
	// Host is the MX host of a host or address finding.
	Host string `json:"host,omitempty"`
}

// Cap is a cause that sets a grade whatever the score: a finding whose
// rule forces F within its scope (an MX outside an enforced MTA-STS
// policy, bogus DNSSEC, no STARTTLS...), or a domain with no mail host.
type Cap struct {
	Code string `json:"code"`
	// Grade is the grade the cause sets ("F").
	Grade Grade `json:"grade"`
	// Scope and Host say where the cause was observed, as for Deduction.
	Scope string `json:"scope"`
	Host  string `json:"host,omitempty"`
	// Args are the finding's facts, so readers can word the cause from
	// the templates as they word the finding.
	Args map[string]string `json:"args,omitempty"`
	// Phrases are the finding's worded arguments (see Finding.Phrases).
	Phrases map[string]Phrase `json:"phrases,omitempty"`
	// Reason is the English sentence of a cap stored before the wording
	// moved to templates (see Finding.Reason); never set by the grader.
	Reason string `json:"reason,omitempty"`
}

// ScopeOf says where a finding was observed.
func (f Finding) ScopeOf() string {
	switch {
	case f.Host == "":
		return ScopeDomain
	case f.IP == "":
		return ScopeHost
	}
	return ScopeAddress
}

// explain returns the deductions and caps of findings, in order.
func explain(fs []Finding) (ds []Deduction, cs []Cap) {
	for _, f := range fs {
		if f.Deduction > 0 {
			ds = append(ds, Deduction{Code: f.Code, Points: f.Deduction, Scope: f.ScopeOf(), Host: f.Host})
		}
		if f.ForceF {
			cs = append(cs, capOf(f))
		}
	}
	return ds, cs
}

func capOf(f Finding) Cap {
	return Cap{Code: f.Code, Grade: GradeF, Scope: f.ScopeOf(), Host: f.Host, Args: f.Args, Phrases: f.Phrases, Reason: f.Reason}
}

// capsOf returns the caps among findings.
func capsOf(fs []Finding) []Cap {
	_, cs := explain(fs)
	return cs
}
