package mtasts

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/mtasts/mxpattern"
)

// Policy field names and values (RFC 8461 §3.2).
const (
	keyVersion = "version"
	keyMode    = "mode"
	keyMaxAge  = "max_age"
	keyMX      = "mx"

	policyVersion = "STSv1"
)

// Policy modes (RFC 8461 §5).
const (
	ModeEnforce = "enforce"
	ModeTesting = "testing"
	ModeNone    = "none"
)

// Limits of max_age (RFC 8461 §3.2).
const (
	// MaxMaxAge is the largest max_age allowed: 31557600 seconds, one year.
	MaxMaxAge = 31557600
	// maxAgeDigits bounds the max_age value: 1*10(DIGIT).
	maxAgeDigits = 10
	// ShortMaxAge is the max_age below which a policy is flagged: RFC 8461
	// §3.2 expects "weeks or greater" and §10.2 "as long as is practical",
	// and a policy cached for less than a day protects little.
	ShortMaxAge = 86400
)

// Limits of a domain name in text form (RFC 1035 §2.3.4).
const (
	maxLabelLen  = 63
	maxDomainLen = 253
)

// utf8BOM is a byte order mark, which some editors put before "version".
const utf8BOM = "\ufeff"

// ParsePolicy parses an MTA-STS policy body by RFC 8461 §3.2. It returns the
// policy, the problems that do not make it invalid, and an error (joined with
// errors.Join when there are several) when senders must reject it. The
// policy is only meaningful when the error is nil.
//
// Lines end in LF or CRLF and the last terminator is optional. A line is
// "key:" *WSP value *WSP. version (STSv1), mode (enforce, testing, none) and
// max_age (at most 10 digits, at most 31557600) are required; mx is
// required at least once unless mode is none, and every mx must be a
// pattern ["*."] Domain of RFC 5321 in A-labels. Unknown keys are ignored. A
// repeated version, mode or max_age is ignored after its first occurrence
// (RFC 8461 §3.2), noted as a problem. Lines the grammar does not allow (an
// empty line, no ":", a bad key) are noted as problems and skipped: if they
// hid a required field, that field is reported missing. A max_age below one
// day is a problem, except with mode none, where a short max_age is the
// recommended way to retire a policy (RFC 8461 §8.3).
func ParsePolicy(body string) (evidence.STSPolicy, []string, error) {
	var (
		p        evidence.STSPolicy
		problems []string
		errs     []error
		seen     = map[string]bool{}
	)
	if strings.HasPrefix(body, utf8BOM) {
		problems = append(problems, "the policy begins with a UTF-8 byte order mark")
	}
	lines := strings.Split(body, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return p, problems, errors.New("empty policy")
	}
	for i, raw := range lines {
		n := i + 1
		line := strings.TrimSuffix(raw, "\r")
		if trimWSP(line) == "" {
			problems = append(problems, fmt.Sprintf("line %d: empty line", n))
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			problems = append(problems, fmt.Sprintf("line %d: no \":\" after a key; line ignored", n))
			continue
		}
		if !validExtName(key) {
			problems = append(problems, fmt.Sprintf("line %d: invalid key %q; line ignored", n, key))
			continue
		}
		value = trimWSP(value)
		switch key {
		case keyMX:
			if err := checkMXPattern(value); err != nil {
				errs = append(errs, fmt.Errorf("line %d: %w", n, err))
				continue
			}
			p.MX = append(p.MX, value)
		case keyVersion, keyMode, keyMaxAge:
			if seen[key] {
				problems = append(problems, fmt.Sprintf("line %d: repeated %s ignored (the first one applies)", n, key))
				continue
			}
			seen[key] = true
			if err := setField(&p, key, value); err != nil {
				errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			}
		}
	}
	for _, key := range []string{keyVersion, keyMode, keyMaxAge} {
		if !seen[key] {
			errs = append(errs, fmt.Errorf("%s missing", key))
		}
	}
	if (p.Mode == ModeEnforce || p.Mode == ModeTesting) && len(p.MX) == 0 {
		errs = append(errs, fmt.Errorf("mode %s needs at least one valid mx", p.Mode))
	}
	if seen[keyMaxAge] && p.MaxAge < ShortMaxAge && p.Mode != ModeNone {
		problems = append(problems, fmt.Sprintf("max_age %d is below one day (%d)", p.MaxAge, ShortMaxAge))
	}
	return p, problems, errors.Join(errs...)
}

// setField checks and stores the value of a non-repeated field.
func setField(p *evidence.STSPolicy, key, value string) error {
	switch key {
	case keyVersion:
		p.Version = value
		if value != policyVersion {
			return fmt.Errorf("version %q is not %s", value, policyVersion)
		}
	case keyMode:
		p.Mode = value
		if value != ModeEnforce && value != ModeTesting && value != ModeNone {
			return fmt.Errorf("mode %q is not enforce, testing or none", value)
		}
	case keyMaxAge:
		if value == "" || len(value) > maxAgeDigits || strings.TrimLeft(value, "0123456789") != "" {
			return fmt.Errorf("max_age %q is not 1 to %d digits", value, maxAgeDigits)
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return fmt.Errorf("max_age %q: %w", value, err)
		}
		p.MaxAge = n
		if n > MaxMaxAge {
			return fmt.Errorf("max_age %d is above the maximum %d", n, MaxMaxAge)
		}
	}
	return nil
}

// checkMXPattern checks an mx value: ["*."] Domain, with Domain as in
// RFC 5321 §4.1.2 (LDH labels, no trailing dot) written in A-labels.
func checkMXPattern(v string) error {
	if v == "" {
		return errors.New("empty mx")
	}
	name := strings.TrimPrefix(v, "*.")
	if strings.Contains(name, "*") {
		return fmt.Errorf("mx %q: a wildcard is only allowed as the whole left-most label \"*.\"", v)
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return fmt.Errorf("mx %q: not ASCII; internationalised names must be written as A-labels (xn--)", v)
		}
	}
	if err := checkDomain(name); err != nil {
		return fmt.Errorf("mx %q: %w", v, err)
	}
	return nil
}

// checkDomain checks a host name as RFC 5321 §4.1.2 Domain: dot-separated
// labels of letters, digits and inner hyphens, no trailing dot.
func checkDomain(name string) error {
	if name == "" {
		return errors.New("empty domain")
	}
	if len(name) > maxDomainLen {
		return fmt.Errorf("longer than %d characters", maxDomainLen)
	}
	if strings.HasSuffix(name, ".") {
		return errors.New("trailing dot is not allowed")
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return errors.New("empty label")
		}
		if len(label) > maxLabelLen {
			return fmt.Errorf("label %q longer than %d characters", label, maxLabelLen)
		}
		if !isAlnum(label[0]) || !isAlnum(label[len(label)-1]) {
			return fmt.Errorf("label %q must begin and end with a letter or digit", label)
		}
		for i := 1; i < len(label)-1; i++ {
			if c := label[i]; !isAlnum(c) && c != '-' {
				return fmt.Errorf("label %q has %q, not a letter, digit or hyphen", label, c)
			}
		}
	}
	return nil
}

// MatchMX returns the first policy mx pattern that covers the MX host name
// (RFC 8461 §4.1 and Appendix B): an exact match, or "*." followed by the
// host without its first label. Matching ignores letter case and one
// trailing dot on either side; "*.example.com" covers "mail.example.com" but
// neither "example.com" nor "a.b.example.com". The pattern is returned as
// the policy wrote it.
func MatchMX(patterns []string, host string) (string, bool) {
	return mxpattern.Match(patterns, host)
}

// normName lowers the case of a name and drops one trailing dot.
func normName(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
}
