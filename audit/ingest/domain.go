package ingest

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// maxDomainLength is the longest domain name in presentation form (RFC 1035 §2.3.4).
const maxDomainLength = 253

// maxQuoted is how many characters of a bad value an error message repeats.
const maxQuoted = 100

// idnaProfile converts IDNs to A-labels with the checks browsers and mail
// systems apply (UTS #46, transitional processing off, STD3 rules on).
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.StrictDomainName(true),
	idna.BidiRule(),
)

// maxLabelLength is the longest DNS label, in octets (RFC 1035 §2.3.4).
const maxLabelLength = 63

// Domain normalises one user-supplied value into a domain to audit: an
// e-mail address gives its domain; an IDN becomes its A-label; letter case
// and a trailing dot are dropped. It returns the A-label, and an error that
// says in plain words what is wrong with the value.
func Domain(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	s = strings.Trim(s, "<>\"'")
	if s == "" {
		return "", errors.New("empty value")
	}
	if !utf8.ValidString(s) {
		// IDNA would turn the bad bytes into U+FFFD and encode that.
		return "", fmt.Errorf("%s is not valid UTF-8 text", quote(raw))
	}
	if strings.HasPrefix(strings.ToLower(s), "mailto:") {
		s = s[len("mailto:"):]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		if i == len(s)-1 {
			return "", fmt.Errorf("%s is an e-mail address without a domain", quote(raw))
		}
		s = s[i+1:]
	}
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/?#") {
		return "", fmt.Errorf("%s looks like a URL, not a domain name", quote(raw))
	}
	s = strings.TrimSuffix(s, ".")
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return "", fmt.Errorf("%s is an IP address; give the mail domain instead", quote(raw))
	}
	a, err := idnaProfile.ToASCII(s)
	if err != nil {
		return "", fmt.Errorf("%s is not a valid domain name: %w", quote(raw), err)
	}
	a = strings.ToLower(a)
	if len(a) > maxDomainLength {
		return "", fmt.Errorf("%s is longer than %d characters", quote(raw), maxDomainLength)
	}
	if !strings.Contains(a, ".") {
		return "", fmt.Errorf("%s has no dot: give a full domain name such as example.com", quote(raw))
	}
	labels := strings.Split(a, ".")
	for _, label := range labels {
		if label == "" {
			return "", fmt.Errorf("%s has an empty label", quote(raw))
		}
		if len(label) > maxLabelLength {
			return "", fmt.Errorf("%s has a label of %d characters, longer than the %d DNS allows (RFC 1035 §2.3.4)", quote(raw), len(label), maxLabelLength)
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		// No top-level domain is all digits (RFC 3696 §2): "192.0.2" is a
		// truncated address, not a name.
		return "", fmt.Errorf("%s ends in a number: give a domain name, not an IP address", quote(raw))
	}
	if again, err := idnaProfile.ToASCII(a); err != nil || again != a {
		return "", fmt.Errorf("%s is not a valid domain name: its A-label form %q does not convert back", quote(raw), a)
	}
	return a, nil
}

// quote quotes a value for an error message, shortened to maxQuoted
// characters so that a huge cell does not make a huge message.
func quote(s string) string {
	return strconv.Quote(shorten(s, maxQuoted))
}

// shorten cuts s to at most n characters, the last one an ellipsis when
// something was cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n-1 {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
