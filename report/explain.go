package report

import (
	"fmt"
	"strings"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/templates"
)

// Deduction is one cost to an address's score, worded for readers.
type Deduction struct {
	Code string `json:"code"`
	// Title is the finding's title from the wording templates.
	Title  string `json:"title"`
	Points int    `json:"points"`
	// Scope is where the finding was observed ("domain", "host" or
	// "address"); a domain or host finding costs every address inside it.
	Scope string `json:"scope"`
	Host  string `json:"host,omitempty"`
}

// Cap is a cause that sets a grade whatever the score, worded.
type Cap struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	// Grade is the grade the cause sets ("F").
	Grade  string `json:"grade"`
	Scope  string `json:"scope"`
	Host   string `json:"host,omitempty"`
	Reason string `json:"reason"`
}

// minus is the sign of a deduction in an explanation (U+2212).
const minus = "\u2212"

// titleOf is a finding code's title, or the code when the templates lack it.
func titleOf(texts *templates.Set, code string) string {
	if texts != nil {
		if t, err := texts.Finding(code, nil); err == nil && t.Title != "" {
			return t.Title
		}
	}
	return code
}

func capsView(texts *templates.Set, cs []grade.Cap) []Cap {
	out := []Cap{}
	for _, c := range cs {
		out = append(out, Cap{Code: c.Code, Title: titleOf(texts, c.Code), Grade: string(c.Grade), Scope: c.Scope, Host: c.Host,
			Reason: messageOf(texts, c.Code, FindingArgs(texts, c.Args, c.Phrases), c.Reason)})
	}
	return out
}

// messageOf is a finding's message rendered from the templates with its
// arguments. A code the templates lack falls back to the sentence a grade
// stored by an older mxaudit carried (stored), else to the code itself.
func messageOf(texts *templates.Set, code string, args map[string]string, stored string) string {
	if texts != nil {
		if t, err := texts.Finding(code, args); err == nil && t.Message != "" {
			return t.Message
		}
	}
	if stored != "" {
		return stored
	}
	return code
}

// capsText is "; Title (scope) → F" for each cap.
func capsText(caps []Cap) string {
	var b strings.Builder
	for _, c := range caps {
		fmt.Fprintf(&b, "; %s (%s) → %s", c.Title, scopeWord(c.Scope, c.Host), c.Grade)
	}
	return b.String()
}

func scopeWord(scope, host string) string {
	switch scope {
	case grade.ScopeDomain:
		return "domain"
	case grade.ScopeHost:
		return "MX " + host
	}
	return "this address"
}

// ExplainAddress words how an address got its grade: its deductions and
// caps, and one line of arithmetic every format prints beside the grade,
// "100 − 35 SSLv3 enabled − 5 No forward secrecy = 60 → D", with the
// causes that cap the grade after it ("; MX not covered by the MTA-STS
// policy (MX mx2.example) → F"). An address that could not be audited
// says why instead.
func ExplainAddress(texts *templates.Set, ag grade.AddressGrade) (ds []Deduction, caps []Cap, text string) {
	ds, caps = []Deduction{}, capsView(texts, ag.Caps)
	if ag.Inconclusive || !ag.Grade.Conclusive() {
		why := "the address could not be audited"
		for _, f := range ag.Findings {
			if f.Code == grade.CodeInconclusive {
				why = strings.TrimSuffix(messageOf(texts, f.Code, FindingArgs(texts, f.Args, f.Phrases), f.Reason), ".")
				break
			}
		}
		return ds, caps, fmt.Sprintf("not graded (%s): %s", ag.Grade, why)
	}
	var b strings.Builder
	b.WriteString("100")
	sum := 0
	for _, d := range ag.Deductions {
		t := titleOf(texts, d.Code)
		ds = append(ds, Deduction{Code: d.Code, Title: t, Points: d.Points, Scope: d.Scope, Host: d.Host})
		fmt.Fprintf(&b, " %s %d %s", minus, d.Points, t)
		if d.Scope != grade.ScopeAddress {
			fmt.Fprintf(&b, " (%s)", scopeWord(d.Scope, d.Host))
		}
		sum += d.Points
	}
	switch {
	case len(ag.Deductions) == 0 && ag.Score != 100:
		// A grade stored before grades were explained, whose findings do
		// not add up: say what is known rather than a wrong sum.
		fmt.Fprintf(&b, " %s %d (deductions not recorded)", minus, 100-ag.Score)
	case 100-sum < 0:
		b.WriteString(" (floored at 0)")
	}
	fmt.Fprintf(&b, " = %d", ag.Score)
	if len(caps) > 0 {
		b.WriteString(capsText(caps))
		return ds, caps, b.String()
	}
	fmt.Fprintf(&b, " → %s", ag.Grade)
	switch {
	case ag.Grade == grade.GradeAPlus && ag.APlus != "":
		fmt.Fprintf(&b, " (%s)", ag.APlus)
	case ag.Grade == grade.GradeA:
		b.WriteString(" (A+ needs TLS 1.3 and an enforced MTA-STS policy or DANE)")
	}
	return ds, caps, b.String()
}

// ExplainMX words how an MX host got its grade: the worst of its
// addresses, or a cap.
func ExplainMX(texts *templates.Set, mg grade.MXGrade) (caps []Cap, text string) {
	caps = capsView(texts, mg.Caps)
	var worst *grade.AddressGrade
	for i := range mg.Addresses {
		a := &mg.Addresses[i]
		if a.Grade.Conclusive() && (worst == nil || a.Grade.Rank() < worst.Grade.Rank()) {
			worst = a
		}
	}
	switch {
	case worst != nil:
		text = fmt.Sprintf("worst of its addresses: %s is %s", worst.IP, worst.Grade)
	case len(mg.Addresses) == 0:
		text = "no address could be found"
	default:
		text = "no address could be audited"
	}
	if len(caps) > 0 {
		return caps, text + capsText(caps)
	}
	return caps, text
}

// ExplainDomain words how a domain got its grade: its worst MX host, or a
// domain-level cap, or why it could not be graded.
func ExplainDomain(texts *templates.Set, dg grade.DomainGrade) (caps []Cap, text string) {
	caps = capsView(texts, dg.Caps)
	var worst *grade.MXGrade
	for i := range dg.MX {
		m := &dg.MX[i]
		if m.Grade.Conclusive() && (worst == nil || m.Grade.Rank() < worst.Grade.Rank()) {
			worst = m
		}
	}
	switch {
	case dg.Grade == grade.GradeNA:
		return caps, "N/A: the domain accepts no mail (null MX)"
	case worst != nil:
		text = fmt.Sprintf("worst of its MX hosts: %s is %s", worst.Host, worst.Grade)
	case len(caps) == 0:
		why := dg.ForcedTLSReason
		if why == "" {
			why = "nothing could be audited"
		}
		return caps, fmt.Sprintf("not graded (%s): %s", dg.Grade, why)
	default:
		text = "no MX host could be graded"
	}
	if len(caps) > 0 {
		return caps, text + capsText(caps)
	}
	return caps, text
}

// DomainScore is a domain's score: the score of the address that sets
// its grade, that is of its worst-graded address, the lowest score among
// several. A domain is its worst address, so the figure matches the
// grade beside it ("F, 45"). It is nil when no address was graded (no
// MX, a null MX, nothing conclusive).
func DomainScore(g grade.DomainGrade) *int {
	var worst grade.Grade
	score := 0
	found := false
	for _, mx := range g.MX {
		for _, a := range mx.Addresses {
			if !a.Grade.Conclusive() {
				continue
			}
			switch {
			case !found, a.Grade.Rank() < worst.Rank(), a.Grade == worst && a.Score < score:
				worst, score, found = a.Grade, a.Score, true
			}
		}
	}
	if !found {
		return nil
	}
	return &score
}
