package grade

import "strings"

// AllGrades lists the grades best first, then the non-grades.
func AllGrades() []Grade {
	return []Grade{GradeAPlus, GradeA, GradeAMinus, GradeB, GradeC, GradeD, GradeF, GradeInconclusive, GradeNA}
}

// ParseGrade reads a letter grade as a user types it ("a-", "B", "A+").
// Only real grades parse; "?" and "N/A" are not thresholds.
func ParseGrade(s string) (Grade, bool) {
	g := Grade(strings.ToUpper(strings.TrimSpace(s)))
	return g, g.Conclusive()
}

// PolicyNames lists the built-in policies.
func PolicyNames() []string { return []string{DefaultPolicyName} }

// PolicyByName returns a built-in policy.
func PolicyByName(name string) (Policy, bool) {
	if name == DefaultPolicyName || name == "" {
		return Default(), true
	}
	return Policy{}, false
}

// Rule returns the policy's rule for a finding code (the default policy's
// rule when the policy does not override it).
func (p Policy) Rule(code string) Rule { return p.rule(code) }
