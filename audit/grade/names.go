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

// versionSep separates a policy's name from its version in a policy
// reference ("mxaudit-default@2").
const versionSep = "@"

// PolicyNames lists the built-in policies as PolicyByName accepts them: the
// current version by its name, and each version as name@version.
func PolicyNames() []string {
	return []string{DefaultPolicyName, DefaultPolicyName + versionSep + PolicyVersion3, DefaultPolicyName + versionSep + PolicyVersion2}
}

// PolicyByName returns a built-in policy: "mxaudit-default" (or "") is the
// current version; "mxaudit-default@2", "v2" or "2" is version 2, and the
// same forms name version 3.
func PolicyByName(name string) (Policy, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" || n == DefaultPolicyName {
		return Default(), true
	}
	version := strings.TrimPrefix(n, DefaultPolicyName+versionSep)
	version = strings.TrimPrefix(version, "v")
	switch version {
	case PolicyVersion2, PolicyVersion3:
		return builtin(version), true
	}
	return Policy{}, false
}

// PolicyByNameVersion returns the built-in policy a stored run was graded
// with, from the name and version it recorded.
func PolicyByNameVersion(name, version string) (Policy, bool) {
	if name != DefaultPolicyName && name != "" {
		return Policy{}, false
	}
	switch version {
	case PolicyVersion2, PolicyVersion3:
		return builtin(version), true
	case "":
		return Default(), true
	}
	return Policy{}, false
}

// Rule returns the policy's rule for a finding code (the default policy's
// rule when the policy does not override it).
func (p Policy) Rule(code string) Rule { return p.rule(code) }
