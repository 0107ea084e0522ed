package certs

import (
	"net/netip"
	"strings"
)

// minLabelsAfterWildcard is how many labels must follow "*." so that a
// wildcard never covers a bare top-level domain ("*.com"). Without a public
// suffix list, "*.co.uk" is still accepted.
const minLabelsAfterWildcard = 2

// MatchName reports whether a certificate name pattern (a SAN DNS name or a
// common name) covers host, following RFC 6125 §6.4: comparison is
// case-insensitive and ignores one trailing dot; IDN A-labels are compared as
// they are; a '*' is only allowed as the complete left-most label and then
// matches exactly one non-empty label; partial-label wildcards
// ("f*.example.com") never match; a wildcard needs at least two labels after
// it; IP addresses never match a wildcard.
func MatchName(pattern, host string) bool {
	p, h := normalizeName(pattern), normalizeName(host)
	if !validName(h, false) || !validName(p, true) {
		return false
	}
	if !strings.Contains(p, "*") {
		return p == h
	}
	rest, ok := strings.CutPrefix(p, "*.")
	if !ok || strings.Contains(rest, "*") {
		return false
	}
	if strings.Count(rest, ".")+1 < minLabelsAfterWildcard {
		return false
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return false
	}
	first, tail, ok := strings.Cut(h, ".")
	return ok && first != "" && tail == rest
}

// validName reports whether s is a non-empty dotted name without empty
// labels or spaces; '*' is only allowed in patterns.
func validName(s string, pattern bool) bool {
	if s == "" {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" {
			return false
		}
	}
	if !pattern && strings.Contains(s, "*") {
		return false
	}
	return !strings.ContainsAny(s, " \t\r\n")
}
