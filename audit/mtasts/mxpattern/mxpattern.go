// Package mxpattern is the MTA-STS rule for matching an MX host name
// against a policy's mx patterns (RFC 8461 §4.1, Appendix B). It is pure
// string work, so both audit/mtasts, which records the match, and the
// grader, which judges policies stored without it, apply the same rule.
package mxpattern

import "strings"

// Match returns the first pattern that covers host, and whether one does:
// an exact match, or "*." followed by the host without its first label
// (a wildcard stands for exactly one whole label). Case and one trailing
// dot are ignored on both sides.
func Match(patterns []string, host string) (string, bool) {
	h := norm(host)
	if h == "" {
		return "", false
	}
	first, parent, hasParent := strings.Cut(h, ".")
	for _, pat := range patterns {
		p := norm(pat)
		if p == "" {
			continue
		}
		if p == h {
			return pat, true
		}
		if rest, ok := strings.CutPrefix(p, "*."); ok && hasParent && first != "" && rest != "" && rest == parent {
			return pat, true
		}
	}
	return "", false
}

// norm lowers the case of a name and drops one trailing dot.
func norm(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
}
