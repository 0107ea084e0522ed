package posture

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// SPF record syntax (RFC 7208 §4.5 and §12).

// spfVersion is the version section every SPF record starts with.
const spfVersion = "v=spf1"

// maxSPFRecordLen bounds the record text parsed: a TXT record can hold
// 64 KiB, no SPF record needs more than a few hundred bytes, and the DNS
// answer is already capped by the resolver.
const maxSPFRecordLen = 4096

// IsSPF reports whether a TXT record is an SPF record: "v=spf1" alone or
// followed by a space, compared without regard to case (§4.5).
func IsSPF(txt string) bool {
	if len(txt) < len(spfVersion) || !strings.EqualFold(txt[:len(spfVersion)], spfVersion) {
		return false
	}
	return len(txt) == len(spfVersion) || txt[len(spfVersion)] == ' '
}

// Term is one parsed term of an SPF record: a directive (qualifier and
// mechanism) or a modifier.
type Term struct {
	// Qualifier is '+', '-', '~' or '?' for a directive ('+' when not
	// written); 0 for a modifier.
	Qualifier byte
	// Name is the mechanism or modifier name in lower case.
	Name string
	// Modifier is set for name=value terms.
	Modifier bool
	// Value is the domain-spec, network or modifier value ("" when absent);
	// for a and mx it is everything after the name (":domain/24", "/24").
	Value string
	// Macro is set when the domain-spec holds macros (%{...}), which can only
	// be expanded with a sender's address and so are not followed.
	Macro bool
}

// String writes the term back as it is written in a record.
func (t Term) String() string {
	if t.Modifier {
		return t.Name + "=" + t.Value
	}
	q := ""
	if t.Qualifier != '+' {
		q = string(t.Qualifier)
	}
	if t.Value == "" {
		return q + t.Name
	}
	sep := ":"
	if t.Name == "a" || t.Name == "mx" {
		sep = ""
	}
	return q + t.Name + sep + t.Value
}

// CostsLookup reports whether the term costs a DNS lookup under the limit
// of RFC 7208 §4.6.4: include, a, mx, ptr, exists and redirect.
func (t Term) CostsLookup() bool {
	switch t.Name {
	case "include", "a", "mx", "ptr", "exists":
		return !t.Modifier
	case "redirect":
		return t.Modifier
	}
	return false
}

// Record is a parsed SPF record.
type Record struct {
	Terms []Term
	// Redirect and Exp are the values of those modifiers ("" when absent).
	Redirect string
	Exp      string
	// All is the index in Terms of the first "all" directive, -1 when none.
	All int
}

// ErrSyntax marks a record that does not follow the RFC 7208 grammar.
var ErrSyntax = errors.New("spf syntax error")

// ParseSPF parses an SPF record. Any syntax error (an unknown mechanism,
// a malformed domain-spec, network or CIDR length, a repeated redirect or
// exp) is a permerror (§4.6) and returned wrapping ErrSyntax; unknown
// modifiers are kept and otherwise ignored (§6).
func ParseSPF(txt string) (*Record, error) {
	if len(txt) > maxSPFRecordLen {
		return nil, fmt.Errorf("%w: record longer than %d bytes", ErrSyntax, maxSPFRecordLen)
	}
	if !IsSPF(txt) {
		return nil, fmt.Errorf("%w: record does not begin with %q", ErrSyntax, spfVersion)
	}
	rec := &Record{All: -1}
	// §4.6.1: terms are separated by one or more spaces (SP only).
	for _, word := range strings.Split(txt[len(spfVersion):], " ") {
		if word == "" {
			continue
		}
		t, err := parseTerm(word)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrSyntax, word, err)
		}
		if t.Modifier {
			switch t.Name {
			case "redirect":
				if rec.Redirect != "" {
					return nil, fmt.Errorf("%w: redirect given more than once", ErrSyntax)
				}
				rec.Redirect = t.Value
			case "exp":
				if rec.Exp != "" {
					return nil, fmt.Errorf("%w: exp given more than once", ErrSyntax)
				}
				rec.Exp = t.Value
			}
		} else if t.Name == "all" && rec.All < 0 {
			rec.All = len(rec.Terms)
		}
		rec.Terms = append(rec.Terms, t)
	}
	return rec, nil
}

// parseTerm parses one term: a modifier (name=value) or a directive.
func parseTerm(word string) (Term, error) {
	// A modifier's name is ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ),
	// which cannot contain ':' or '/', so '=' before either marks one.
	if i := strings.IndexByte(word, '='); i >= 0 && !strings.ContainsAny(word[:i], ":/") {
		name, value := strings.ToLower(word[:i]), word[i+1:]
		if !validModifierName(name) {
			return Term{}, fmt.Errorf("invalid modifier name %q", word[:i])
		}
		t := Term{Name: name, Modifier: true, Value: value}
		switch name {
		case "redirect", "exp":
			macro, err := checkDomainSpec(value)
			if err != nil {
				return Term{}, err
			}
			t.Macro = macro
		default:
			if err := checkMacroString(value); err != nil {
				return Term{}, err
			}
		}
		return t, nil
	}
	t := Term{Qualifier: '+'}
	switch word[0] {
	case '+', '-', '~', '?':
		t.Qualifier = word[0]
		word = word[1:]
	}
	name, rest := word, ""
	if i := strings.IndexAny(word, ":/"); i >= 0 {
		name, rest = word[:i], word[i:]
	}
	t.Name = strings.ToLower(name)
	var err error
	switch t.Name {
	case "all":
		if rest != "" {
			return Term{}, errors.New("all takes no argument")
		}
	case "include", "exists":
		if !strings.HasPrefix(rest, ":") || len(rest) == 1 {
			return Term{}, fmt.Errorf("%s needs a domain", t.Name)
		}
		t.Value = rest[1:]
		t.Macro, err = checkDomainSpec(t.Value)
	case "a", "mx":
		t.Value = rest
		t.Macro, err = checkDomainCIDR(rest)
	case "ptr":
		if rest != "" {
			if rest[0] != ':' || len(rest) == 1 {
				return Term{}, errors.New("ptr takes only a domain")
			}
			t.Value = rest[1:]
			t.Macro, err = checkDomainSpec(t.Value)
		}
	case "ip4", "ip6":
		if !strings.HasPrefix(rest, ":") {
			return Term{}, fmt.Errorf("%s needs a network", t.Name)
		}
		t.Value = rest[1:]
		err = checkNetwork(t.Name, t.Value)
	default:
		return Term{}, fmt.Errorf("unknown mechanism %q", name)
	}
	if err != nil {
		return Term{}, err
	}
	return t, nil
}

func validModifierName(name string) bool {
	if name == "" || !isAlpha(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !isAlpha(c) && !isDigitByte(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool     { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// checkDomainCIDR checks the optional ":domain-spec" and dual-cidr-length
// that follow a or mx.
func checkDomainCIDR(rest string) (macro bool, err error) {
	spec, cidr := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		spec, cidr = rest[:i], rest[i:]
	}
	if spec != "" {
		if spec[0] != ':' || len(spec) == 1 {
			return false, errors.New("expected :domain")
		}
		if macro, err = checkDomainSpec(spec[1:]); err != nil {
			return false, err
		}
	}
	if cidr != "" {
		return macro, checkDualCIDR(cidr)
	}
	return macro, nil
}

// checkDualCIDR checks "/n", "//m" or "/n//m" (ip4 0-32, ip6 0-128).
func checkDualCIDR(s string) error {
	v4, v6 := s, ""
	if i := strings.Index(s, "//"); i >= 0 {
		v4, v6 = s[:i], s[i+2:]
		if v6 == "" {
			return errors.New("empty ip6 cidr length")
		}
	} else if !strings.HasPrefix(s, "/") {
		return fmt.Errorf("invalid cidr %q", s)
	} else {
		v4 = s
	}
	if v4 != "" {
		if err := checkCIDRLen(strings.TrimPrefix(v4, "/"), 32); err != nil || !strings.HasPrefix(v4, "/") {
			return fmt.Errorf("invalid ip4 cidr length %q", v4)
		}
	}
	if v6 != "" {
		if err := checkCIDRLen(v6, 128); err != nil {
			return fmt.Errorf("invalid ip6 cidr length %q", v6)
		}
	}
	return nil
}

// checkCIDRLen checks a prefix length without leading zeros (§12: "0" /
// %x31-39 0*1DIGIT, 0*2DIGIT for ip6) at most maxBits.
func checkCIDRLen(s string, maxBits int) error {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return errors.New("bad length")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxBits {
		return errors.New("bad length")
	}
	return nil
}

// checkNetwork checks the value of ip4: or ip6: with its optional prefix length.
func checkNetwork(kind, v string) error {
	addr, cidr := v, ""
	if i := strings.IndexByte(v, '/'); i >= 0 {
		addr, cidr = v[:i], v[i+1:]
		maxBits := 32
		if kind == "ip6" {
			maxBits = 128
		}
		if err := checkCIDRLen(cidr, maxBits); err != nil {
			return fmt.Errorf("invalid prefix length in %s:%s", kind, v)
		}
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return fmt.Errorf("invalid address in %s:%s", kind, v)
	}
	if kind == "ip4" && !a.Is4() {
		return fmt.Errorf("%s:%s is not an IPv4 address", kind, v)
	}
	if kind == "ip6" && a.Is4() {
		return fmt.Errorf("%s:%s is not an IPv6 address", kind, v)
	}
	return nil
}

// checkDomainSpec checks a domain-spec (§7.1: macro-string domain-end) and
// reports whether it holds macros. Without macros, the domain-end rule
// wants a name whose last label (the toplabel) is not all digits.
func checkDomainSpec(s string) (macro bool, err error) {
	if s == "" {
		return false, errors.New("empty domain")
	}
	if err := checkMacroString(s); err != nil {
		return false, err
	}
	if strings.Contains(s, "%") {
		return true, nil
	}
	name := strings.TrimSuffix(s, ".")
	if name == "" || len(name) > 253 {
		return false, fmt.Errorf("invalid domain %q", s)
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false, fmt.Errorf("domain %q has no dot", s)
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return false, fmt.Errorf("invalid domain %q", s)
		}
	}
	if !validTopLabel(labels[len(labels)-1]) {
		return false, fmt.Errorf("invalid top label in %q", s)
	}
	return false, nil
}

// validTopLabel is §7.1's toplabel: alphanumerics with at least one
// letter, or alphanumerics and inner hyphens.
func validTopLabel(l string) bool {
	alpha := false
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case isAlpha(c):
			alpha = true
		case isDigitByte(c):
		case c == '-' && i > 0 && i < len(l)-1:
			alpha = true // an inner hyphen makes it not all digits
		default:
			return false
		}
	}
	return alpha
}

// checkMacroString checks the macro syntax of §7.1: "%{" letter digits
// ["r"] delimiters "}", "%%", "%_" and "%-"; visible characters otherwise.
func checkMacroString(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e {
			return fmt.Errorf("invalid character 0x%02x", c)
		}
		if c != '%' {
			continue
		}
		if i+1 >= len(s) {
			return errors.New("dangling %")
		}
		switch s[i+1] {
		case '%', '_', '-':
			i++
			continue
		case '{':
		default:
			return fmt.Errorf("invalid macro %q", s[i:i+2])
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return errors.New("unterminated macro")
		}
		body := s[i+2 : i+end]
		if body == "" || !strings.ContainsRune("slodiphcrtvSLODIPHCRTV", rune(body[0])) {
			return fmt.Errorf("invalid macro letter in %q", s[i:i+end+1])
		}
		j := 1
		for j < len(body) && isDigitByte(body[j]) {
			j++
		}
		if j < len(body) && (body[j] == 'r' || body[j] == 'R') {
			j++
		}
		for ; j < len(body); j++ {
			if !strings.ContainsRune(".-+,/_=", rune(body[j])) {
				return fmt.Errorf("invalid macro delimiter in %q", s[i:i+end+1])
			}
		}
		i += end
	}
	return nil
}
