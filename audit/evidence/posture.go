package evidence

import "strings"

// SPFStatus is the outcome of checking a domain's SPF record (RFC 7208 §2.6).
type SPFStatus string

// SPF outcomes. The empty value means not checked.
const (
	SPFValid     SPFStatus = "valid"     // exactly one record, every term valid, within the limits
	SPFMissing   SPFStatus = "missing"   // no v=spf1 record (RFC 7208 "none")
	SPFPermError SPFStatus = "permerror" // a record receivers cannot use (§2.6.7)
	SPFTempError SPFStatus = "temperror" // DNS failed; the record could not be read (§2.6.6)
)

// SPF is the SPF (RFC 7208) record of a domain and the records it reaches
// through include and redirect, with the result of the static check: the
// syntax of every term and the DNS-lookup limits of §4.6.4.
type SPF struct {
	// TXT is the TXT question of the domain.
	TXT Lookup `json:"txt"`
	// Records are every TXT record beginning with "v=spf1", strings joined (§3.3).
	Records []string `json:"records,omitempty"`
	// Status is the outcome of the check.
	Status SPFStatus `json:"status"`
	// Record is the single record checked ("" unless exactly one exists).
	Record string `json:"record,omitempty"`
	// All is the qualifier and "all" in effect at the end of the
	// evaluation ("-all", "~all", "?all", "+all"), through a redirect when
	// the record has none; "" when the record ends without one.
	All string `json:"all,omitempty"`
	// Lookups counts the DNS-lookup terms (include, a, mx, ptr, exists,
	// redirect) over the record and every record it includes or redirects to.
	Lookups int `json:"lookups"`
	// VoidLookups counts the lookups that found no records (§4.6.4).
	VoidLookups int `json:"void_lookups"`
	// Ptr is set when any record reached uses the ptr mechanism (§5.5).
	Ptr bool `json:"ptr,omitempty"`
	// Reason explains a permerror or temperror.
	Reason string `json:"reason,omitempty"`
	// Warnings are problems that do not make the record unusable.
	Warnings []string `json:"warnings,omitempty"`
	// Includes are the records reached through include and redirect, in order.
	Includes []SPFInclude `json:"includes,omitempty"`
	// Truncated is set when the check stopped at its own bound (queries,
	// depth or deadline) before every term was followed.
	Truncated bool `json:"truncated,omitempty"`
}

// SPFInclude is one record reached through include or redirect.
type SPFInclude struct {
	// Term is the mechanism or modifier that reached it ("include", "redirect").
	Term string `json:"term"`
	// Domain is the target domain; From is the domain whose record named it.
	Domain string `json:"domain"`
	From   string `json:"from"`
	// Status is the TXT question's DNS status.
	Status DNSStatus `json:"status"`
	// Record is the target's v=spf1 record ("" when none or several).
	Record string `json:"record,omitempty"`
	// Error says why the target's record is unusable.
	Error string `json:"error,omitempty"`
}

// DMARCStatus is the outcome of looking up a domain's DMARC record.
type DMARCStatus string

// DMARC outcomes. The empty value means not checked.
const (
	DMARCValid     DMARCStatus = "valid"     // exactly one record, every tag valid
	DMARCMissing   DMARCStatus = "missing"   // no record at the domain nor at its organisational domain
	DMARCInvalid   DMARCStatus = "invalid"   // a record exists but is not usable as written
	DMARCTempError DMARCStatus = "temperror" // DNS failed; the record could not be read
)

// DMARC is the DMARC (RFC 7489) record that applies to a domain: its own,
// or its organisational domain's (§6.6.3), with every tag parsed and the
// external report destinations checked (§7.1).
type DMARC struct {
	// TXT is the _dmarc question of the domain itself.
	TXT Lookup `json:"txt"`
	// OrgTXT is the _dmarc question of the organisational domain, asked
	// when the domain has no record of its own; nil otherwise.
	OrgTXT *Lookup `json:"org_txt,omitempty"`
	// OrgDomain is the domain's organisational domain (Public Suffix List).
	OrgDomain string `json:"org_domain,omitempty"`
	// PolicyDomain is where the record was found ("" when none was).
	PolicyDomain string `json:"policy_domain,omitempty"`
	// Records are every TXT record at the policy domain beginning with "v=DMARC1".
	Records []string    `json:"records,omitempty"`
	Status  DMARCStatus `json:"status"`
	// Record is the single record parsed.
	Record string `json:"record,omitempty"`
	// Policy (p) and SubdomainPolicy (sp, defaulting to p) as receivers
	// apply them: "none", "quarantine", "reject"; "" when unknown.
	Policy          string `json:"policy,omitempty"`
	SubdomainPolicy string `json:"subdomain_policy,omitempty"`
	// SubdomainPolicySet is set when sp= is written, not inherited from p.
	SubdomainPolicySet bool `json:"subdomain_policy_set,omitempty"`
	// PCT is pct= (default 100); nil when the record was not parsed.
	PCT *int `json:"pct,omitempty"`
	// RUA and RUF are the report URIs as written.
	RUA []string `json:"rua,omitempty"`
	RUF []string `json:"ruf,omitempty"`
	// ADKIM and ASPF are the alignment modes ("r" or "s", default "r").
	ADKIM string `json:"adkim,omitempty"`
	ASPF  string `json:"aspf,omitempty"`
	// FO are the failure-reporting options ("0", "1", "d", "s"; default "0").
	FO []string `json:"fo,omitempty"`
	// RI is the aggregate report interval in seconds (default 86400).
	RI *int64 `json:"ri,omitempty"`
	// Errors are the syntax errors of the record; any makes Status invalid.
	Errors []string `json:"errors,omitempty"`
	// Reason explains a status other than valid.
	Reason string `json:"reason,omitempty"`
	// Destinations are the report destinations outside the policy
	// domain's organisational domain and whether each authorised it.
	Destinations []DMARCDestination `json:"destinations,omitempty"`
}

// DestinationAuth says whether an external report destination accepts a
// domain's reports (RFC 7489 §7.1).
type DestinationAuth string

// Destination outcomes.
const (
	DestAuthorized   DestinationAuth = "authorized"
	DestUnauthorized DestinationAuth = "unauthorized"
	// DestUnknown is a verification record that could not be read (DNS failure).
	DestUnknown DestinationAuth = "unknown"
)

// DMARCDestination is one external report destination.
type DMARCDestination struct {
	// Domain is the destination host of the mailto URI.
	Domain string `json:"domain"`
	// Lookup is the DOMAIN._report._dmarc.DEST TXT question.
	Lookup Lookup          `json:"lookup"`
	Auth   DestinationAuth `json:"auth"`
}

// DKIMStatus is the outcome of looking up one DKIM selector.
type DKIMStatus string

// DKIM key outcomes.
const (
	DKIMKeyOK     DKIMStatus = "ok"        // a usable key record
	DKIMRevoked   DKIMStatus = "revoked"   // p= empty (RFC 6376 §3.6.1)
	DKIMMissing   DKIMStatus = "missing"   // no key record at the selector
	DKIMInvalid   DKIMStatus = "invalid"   // a record that is not a usable key
	DKIMTempError DKIMStatus = "temperror" // DNS failed
)

// DKIMKey is the key record of one DKIM selector (RFC 6376 §3.6.1).
type DKIMKey struct {
	Selector string `json:"selector"`
	// Lookup is the SELECTOR._domainkey.DOMAIN TXT question.
	Lookup Lookup     `json:"lookup"`
	Status DKIMStatus `json:"status"`
	Record string     `json:"record,omitempty"`
	// KeyType is k= ("rsa" or "ed25519").
	KeyType string `json:"key_type,omitempty"`
	// Bits is the key size (RSA modulus bits; 256 for Ed25519).
	Bits   int    `json:"bits,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// ValidDKIMSelector reports whether sel can be a DKIM selector: dot-separated
// labels of letters, digits, '-' and '_' (RFC 6376 §3.1), short enough to
// fit in a DNS name with its domain.
func ValidDKIMSelector(sel string) bool {
	if sel == "" || len(sel) > 200 {
		return false
	}
	for _, l := range strings.Split(sel, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
