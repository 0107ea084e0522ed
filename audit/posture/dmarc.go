package posture

import (
	"fmt"
	"strconv"
	"strings"
)

// DMARC record syntax (RFC 7489 §6.3 and §6.4). Where the DMARCbis drafts
// differ it is said beside the tag: they drop pct (replaced by t=), rf and
// ri, and add np (the policy for non-existent subdomains) and psd.

// dmarcVersion is the first tag of every DMARC record.
const dmarcVersion = "v=DMARC1"

// maxDMARCRecordLen bounds the record text parsed.
const maxDMARCRecordLen = 4096

// maxURIs bounds the rua and ruf URIs kept from one record.
const maxURIs = 20

// IsDMARC reports whether a TXT record is a DMARC record: its first tag is
// v=DMARC1 (§6.4: "v" must be first; the value compares exactly).
func IsDMARC(txt string) bool {
	first, _, _ := strings.Cut(txt, ";")
	name, value, ok := strings.Cut(first, "=")
	return ok && strings.TrimSpace(name) == "v" && strings.TrimSpace(value) == "DMARC1"
}

// DMARCRecord is a parsed DMARC record. Fields take their defaults
// (§6.3) when the tag is absent.
type DMARCRecord struct {
	// Policy is p (none, quarantine, reject); "" when missing or invalid.
	Policy string
	// SubdomainPolicy is sp, or Policy when sp is absent.
	SubdomainPolicy    string
	SubdomainPolicySet bool
	// NonexistentPolicy is DMARCbis np ("" when absent).
	NonexistentPolicy string
	// PCT is pct (default 100). DMARCbis removes it.
	PCT int
	// RUA and RUF are the report URIs as written (size suffix included).
	RUA, RUF []string
	// ADKIM and ASPF are "r" or "s" (default "r").
	ADKIM, ASPF string
	// FO are the failure-reporting options (default ["0"]).
	FO []string
	// RI is the report interval in seconds (default 86400). DMARCbis removes it.
	RI int64
	// Errors are the syntax errors met; an invalid record has at least one.
	Errors []string
}

// Default tag values (RFC 7489 §6.3).
const (
	defaultPCT = 100
	defaultRI  = 86400
)

// ParseDMARC parses a DMARC record. It never fails: the problems are in
// Errors (a record with errors is invalid), and every valid tag is kept so
// a report can say what the record meant to say. Unknown tags are ignored
// (§6.3).
func ParseDMARC(txt string) *DMARCRecord {
	rec := &DMARCRecord{PCT: defaultPCT, ADKIM: "r", ASPF: "r", FO: []string{"0"}, RI: defaultRI}
	bad := func(format string, args ...any) { rec.Errors = append(rec.Errors, fmt.Sprintf(format, args...)) }
	if len(txt) > maxDMARCRecordLen {
		bad("record longer than %d bytes", maxDMARCRecordLen)
		return rec
	}
	if !IsDMARC(txt) {
		bad("the record does not begin with %s", dmarcVersion)
		return rec
	}
	seen := map[string]bool{}
	pSet := false
	for i, part := range strings.Split(txt, ";") {
		part = strings.Trim(part, " \t")
		if i == 0 || part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			bad("%q is not a tag=value pair", part)
			continue
		}
		name, value = strings.ToLower(strings.Trim(name, " \t")), strings.Trim(value, " \t")
		if seen[name] {
			bad("tag %s given more than once", name)
			continue
		}
		seen[name] = true
		switch name {
		case "v":
			bad("v must be the first tag only")
		case "p":
			if p, ok := policyValue(value); ok {
				rec.Policy, pSet = p, true
			} else {
				bad("p=%s is not none, quarantine or reject", value)
			}
		case "sp":
			if p, ok := policyValue(value); ok {
				rec.SubdomainPolicy, rec.SubdomainPolicySet = p, true
			} else {
				bad("sp=%s is not none, quarantine or reject", value)
			}
		case "np": // DMARCbis only; RFC 7489 receivers ignore it
			if p, ok := policyValue(value); ok {
				rec.NonexistentPolicy = p
			} else {
				bad("np=%s is not none, quarantine or reject", value)
			}
		case "pct":
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 || n > 100 || value != strconv.Itoa(n) {
				bad("pct=%s is not a whole number from 0 to 100", value)
			} else {
				rec.PCT = n
			}
		case "rua", "ruf":
			uris, errs := parseURIs(value)
			for _, e := range errs {
				bad("%s: %s", name, e)
			}
			if name == "rua" {
				rec.RUA = uris
			} else {
				rec.RUF = uris
			}
		case "adkim", "aspf":
			v := strings.ToLower(value)
			if v != "r" && v != "s" {
				bad("%s=%s is not r or s", name, value)
				continue
			}
			if name == "adkim" {
				rec.ADKIM = v
			} else {
				rec.ASPF = v
			}
		case "fo":
			var fo []string
			for _, o := range strings.Split(value, ":") {
				o = strings.ToLower(strings.Trim(o, " \t"))
				switch o {
				case "0", "1", "d", "s":
					fo = append(fo, o)
				default:
					bad("fo option %q is not 0, 1, d or s", o)
				}
			}
			if len(fo) > 0 {
				rec.FO = fo
			}
		case "ri":
			n, err := strconv.ParseUint(value, 10, 32)
			if err != nil {
				bad("ri=%s is not a number of seconds", value)
			} else {
				rec.RI = int64(n)
			}
		case "rf":
			// The only report format RFC 7489 §6.3 defines; DMARCbis drops rf.
			for _, f := range strings.Split(value, ":") {
				if !strings.EqualFold(strings.Trim(f, " \t"), "afrf") {
					bad("rf=%s names an unknown report format", value)
					break
				}
			}
		}
	}
	if !pSet {
		if !seen["p"] {
			bad("the required tag p is missing")
		}
		// §6.6.3: with a valid rua, a record without a usable p is
		// applied as p=none.
		if len(rec.RUA) > 0 {
			rec.Policy = "none"
		}
	}
	if !rec.SubdomainPolicySet {
		rec.SubdomainPolicy = rec.Policy
	}
	return rec
}

// policyValue reads a p, sp or np value.
func policyValue(v string) (string, bool) {
	switch p := strings.ToLower(v); p {
	case "none", "quarantine", "reject":
		return p, true
	}
	return "", false
}

// parseURIs splits a rua or ruf value (§6.2: comma-separated URIs, each
// with an optional "!size[kmgt]") and checks each; only mailto URIs are
// usable, as receivers deliver reports by mail.
func parseURIs(v string) (uris, errs []string) {
	for _, u := range strings.Split(v, ",") {
		u = strings.Trim(u, " \t")
		if u == "" {
			errs = append(errs, "empty URI")
			continue
		}
		if len(uris) >= maxURIs {
			errs = append(errs, fmt.Sprintf("more than %d URIs", maxURIs))
			break
		}
		if _, err := MailtoDomain(u); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		uris = append(uris, u)
	}
	return uris, errs
}

// MailtoDomain returns the lower-case domain of a DMARC report URI
// "mailto:local@domain[!size]", or an error when the URI is not one.
func MailtoDomain(uri string) (string, error) {
	scheme, rest, ok := strings.Cut(uri, ":")
	if !ok || !strings.EqualFold(scheme, "mailto") {
		return "", fmt.Errorf("%q is not a mailto: URI", uri)
	}
	addr, size, hasSize := strings.Cut(rest, "!")
	if hasSize && !validSize(size) {
		return "", fmt.Errorf("%q has an invalid size limit", uri)
	}
	if i := strings.IndexByte(addr, '?'); i >= 0 {
		addr = addr[:i]
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", fmt.Errorf("%q has no address", uri)
	}
	dom := strings.ToLower(strings.TrimSuffix(addr[at+1:], "."))
	if _, err := checkDomainSpec(dom); err != nil || strings.Contains(dom, "%") {
		return "", fmt.Errorf("%q has an invalid domain", uri)
	}
	return dom, nil
}

// validSize checks a URI size limit: digits and an optional unit.
func validSize(s string) bool {
	if n := len(s); n > 0 && strings.ContainsRune("kmgtKMGT", rune(s[n-1])) {
		s = s[:n-1]
	}
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigitByte(s[i]) {
			return false
		}
	}
	return true
}
