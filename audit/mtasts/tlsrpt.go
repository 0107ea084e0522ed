package mtasts

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// Report URI schemes RFC 8460 §3 supports.
const (
	schemeMailto = "mailto"
	schemeHTTPS  = "https"
)

// ParseTLSRPT applies RFC 8460 §3 to the TXT records of _smtp._tls.<domain>:
// records that do not begin with "v=TLSRPTv1" (followed by ";", WSP or the
// end) are discarded, exactly one must remain, and it must follow the
// grammar with one rua field. It returns the remaining records (whatever
// their number), and the report URIs only when the record is valid.
//
// Each URI must be mailto: with an address that has a local part and a
// domain, or https: with a host; any other scheme makes the record invalid.
// Commas, "!" and ";" inside a URI must be percent-encoded, so an unencoded
// comma splits a URI in two and the second half, having no scheme, is
// reported. A repeated rua is treated as invalid, as for the MTA-STS id.
// The error is a *CountError when not exactly one record remains.
func ParseTLSRPT(txts []string) ([]string, []string, error) {
	records := withVersion(txts, tlsrptVersion)
	if len(records) != 1 {
		return records, nil, &CountError{Record: "TLS-RPT", Count: len(records)}
	}
	rua, err := parseTLSRPTRecord(records[0])
	if err != nil {
		return records, nil, fmt.Errorf("invalid TLS-RPT record: %w", err)
	}
	return records, rua, nil
}

// parseTLSRPTRecord checks one record and returns its rua URIs.
func parseTLSRPTRecord(txt string) ([]string, error) {
	fields, err := splitRecord(txt, tlsrptVersion, fieldRUA)
	if err != nil {
		return nil, err
	}
	var (
		rua  []string
		seen bool
	)
	for _, f := range fields {
		if f.name != fieldRUA {
			continue
		}
		if seen {
			return nil, errors.New("rua appears more than once")
		}
		seen = true
		var errs []error
		for _, u := range strings.Split(f.value, ",") {
			u = trimWSP(u)
			if err := checkReportURI(u); err != nil {
				errs = append(errs, err)
				continue
			}
			rua = append(rua, u)
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	if !seen {
		return nil, errors.New("no rua field")
	}
	return rua, nil
}

// checkReportURI checks one rua URI: RFC 3986 characters with ",", "!" and
// ";" percent-encoded, and a mailto or https scheme with a usable target.
func checkReportURI(u string) error {
	if u == "" {
		return errors.New("empty rua URI")
	}
	if err := checkURIChars(u); err != nil {
		return fmt.Errorf("rua URI %q: %w", u, err)
	}
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok || !validScheme(scheme) {
		msg := fmt.Sprintf("rua URI %q has no scheme", u)
		if strings.Contains(u, "@") || strings.Contains(u, "/") {
			msg += "; if it continues the previous URI, the comma inside it must be encoded as %2C"
		}
		return errors.New(msg)
	}
	switch strings.ToLower(scheme) {
	case schemeMailto:
		if err := checkMailto(rest); err != nil {
			return fmt.Errorf("rua URI %q: %w", u, err)
		}
	case schemeHTTPS:
		if err := checkHTTPS(u); err != nil {
			return fmt.Errorf("rua URI %q: %w", u, err)
		}
	default:
		return fmt.Errorf("rua URI %q: scheme %q is not supported (only mailto and https)", u, scheme)
	}
	return nil
}

// checkURIChars checks that u holds only RFC 3986 URI characters, that every
// "%" starts a two-digit hex escape, and that "!" is encoded (RFC 8460 §3;
// "," and ";" cannot reach here, they separate URIs and fields).
func checkURIChars(u string) error {
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case c == '%':
			if i+2 >= len(u) || !isHex(u[i+1]) || !isHex(u[i+2]) {
				return errors.New("\"%\" not followed by two hex digits")
			}
			i += 2
		case c == '!':
			return errors.New("unencoded \"!\" (must be %21)")
		case isAlnum(c) || strings.IndexByte("-._~:/?#[]@$&'()*+=", c) >= 0:
		default:
			return fmt.Errorf("character %q is not allowed in a URI", c)
		}
	}
	return nil
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// validScheme checks ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func validScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// checkMailto checks the part of a mailto URI after "mailto:": one or more
// addresses (separated by an encoded comma, RFC 6068), each with a non-empty
// local part and a domain, before any "?" header fields.
func checkMailto(rest string) error {
	to, _, _ := strings.Cut(rest, "?")
	dec, err := url.PathUnescape(to)
	if err != nil {
		return fmt.Errorf("bad percent-encoding: %w", err)
	}
	if dec == "" {
		return errors.New("mailto without an address")
	}
	for _, addr := range strings.Split(dec, ",") {
		at := strings.LastIndexByte(addr, '@')
		if at <= 0 {
			return fmt.Errorf("%q is not an address local@domain", addr)
		}
		if err := checkMailDomain(addr[at+1:]); err != nil {
			return fmt.Errorf("address %q: %w", addr, err)
		}
	}
	return nil
}

// checkMailDomain accepts a host name or an address literal "[192.0.2.1]",
// "[IPv6:2001:db8::1]".
func checkMailDomain(d string) error {
	if lit, ok := strings.CutPrefix(d, "["); ok {
		lit, ok = strings.CutSuffix(lit, "]")
		if !ok {
			return errors.New("unterminated address literal")
		}
		lit = strings.TrimPrefix(strings.TrimPrefix(lit, "IPv6:"), "ipv6:")
		if _, err := netip.ParseAddr(lit); err != nil {
			return fmt.Errorf("bad address literal: %w", err)
		}
		return nil
	}
	return checkDomain(d)
}

// checkHTTPS checks that an https URI parses and names a host.
func checkHTTPS(u string) error {
	parsed, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("does not parse: %w", err)
	}
	host := parsed.Hostname()
	if host == "" {
		return errors.New("no host")
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	return checkDomain(strings.TrimSuffix(host, "."))
}
