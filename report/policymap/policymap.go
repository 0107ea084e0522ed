package policymap

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/report"
)

// PolicyFormat is the mail server a TLS policy map is written for.
type PolicyFormat string

// Policy map formats.
const (
	// PolicyPostfix is a Postfix smtp_tls_policy_maps table.
	PolicyPostfix PolicyFormat = "postfix"
	// PolicyExim is an Exim lsearch file read by the router and transports
	// its header shows.
	PolicyExim PolicyFormat = "exim"
)

// PolicyFormats lists the policy map formats.
func PolicyFormats() []PolicyFormat { return []PolicyFormat{PolicyPostfix, PolicyExim} }

// PolicyLevel is how strictly a sender may require TLS to a domain.
type PolicyLevel string

// Policy levels, weakest first. The names are Postfix's security levels.
const (
	// LevelNone means no line: the domain is not eligible for Forced TLS
	// or cannot be written as a table key.
	LevelNone PolicyLevel = ""
	// LevelEncrypt requires TLS without checking the certificate.
	LevelEncrypt PolicyLevel = "encrypt"
	// LevelVerify requires TLS and a certificate that chains to a trusted
	// CA and names the MX host.
	LevelVerify PolicyLevel = "verify"
	// LevelDANEOnly requires TLS authenticated by DANE TLSA records.
	LevelDANEOnly PolicyLevel = "dane-only"
)

// Values of the report model a policy decision reads (see build.go).
const (
	forcedEligible = "eligible"
	daneValid      = "valid"
	certYes        = "yes"
	dnssecSecure   = "secure"
	mxExplicit     = "explicit"
	// checkVerifiable and resultPass are grade.CheckVerifiable and grade.Pass.
	checkVerifiable = string(grade.CheckVerifiable)
	resultPass      = string(grade.Pass)
)

// PolicyEntry is one domain's place in a policy map: its level and why, or
// why it is left out.
type PolicyEntry struct {
	Domain  string
	Vendors []string
	Grade   string
	// AuditedAt is when the domain's evidence was taken.
	AuditedAt time.Time
	// MX are the domain's mail hosts, best preference first.
	MX []string
	// Level is the strictest level the evidence supports; LevelNone when
	// the domain gets no line.
	Level PolicyLevel
	// Reason says why the level is what it is, or why there is no line.
	Reason string
}

// PolicyEntries decides, for every domain of the report, the level a
// sender may enforce:
//
//   - no line unless the domain is eligible for Forced TLS (every address
//     of every MX offers TLS 1.0 or later with a NIST-listed suite) and is
//     a valid A-label domain name;
//   - dane-only when the MX records are DNSSEC-signed (RFC 7672 §2.2.1:
//     DANE authenticates the next hop only through a secure MX lookup)
//     and every MX host has valid DANE (a secure, usable TLSA RRset that
//     every address's chain matches);
//   - verify when every address of every MX presented a certificate that
//     chains to a trusted root and matches its MX host name;
//   - encrypt otherwise.
//
// Entries come in domain order, listed domains first.
func PolicyEntries(r *report.Report) ([]PolicyEntry, error) {
	var in, out []PolicyEntry
	err := r.EachDomain(func(d *report.DomainView) error {
		e := PolicyEntry{Domain: d.Domain, Vendors: d.Vendors, Grade: d.Grade, AuditedAt: d.AuditedAt}
		if e.AuditedAt.IsZero() {
			e.AuditedAt = r.Run.StartedAt
		}
		for _, m := range d.MX {
			e.MX = append(e.MX, m.Host)
		}
		e.Level, e.Reason = policyLevel(d)
		if e.Level == LevelNone {
			out = append(out, e)
		} else {
			in = append(in, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	byDomain := func(a, b PolicyEntry) int { return strings.Compare(a.Domain, b.Domain) }
	slices.SortStableFunc(in, byDomain)
	slices.SortStableFunc(out, byDomain)
	return append(in, out...), nil
}

func policyLevel(d *report.DomainView) (PolicyLevel, string) {
	if d.ForcedTLS != forcedEligible {
		why := "not eligible for Forced TLS (" + strings.ReplaceAll(d.ForcedTLS, "_", " ") + ")"
		if d.ForcedReason != "" {
			why += ": " + d.ForcedReason
		}
		return LevelNone, why
	}
	if err := CheckALabel(d.Domain); err != nil {
		return LevelNone, "cannot be a table key: " + err.Error()
	}
	if len(d.MX) == 0 { // eligibility needs MX hosts; guard a hand-made report
		return LevelNone, "no MX host in the evidence"
	}
	dane, daneWhy := daneEverywhere(d)
	if dane {
		return LevelDANEOnly, daneWhy
	}
	level, why := certLevel(d)
	if level == LevelVerify {
		return level, why
	}
	return LevelEncrypt, why + "; " + daneWhy
}

// daneEverywhere says whether every MX host of d has valid DANE behind a
// DNSSEC-signed MX lookup, and if not, why.
func daneEverywhere(d *report.DomainView) (bool, string) {
	switch {
	case d.MXKind != mxExplicit:
		return false, "no dane-only: the domain has no MX records of its own"
	case d.DNSSEC != dnssecSecure:
		state := d.DNSSEC
		if state == "" {
			state = "not checked"
		}
		return false, "no dane-only: the MX lookup is not DNSSEC-secure (" + state + ")"
	}
	var missing []string
	for _, m := range d.MX {
		if m.DANE != daneValid {
			missing = append(missing, m.Host+" "+m.DANE)
		}
	}
	if len(missing) > 0 {
		return false, "no dane-only: DANE is not valid on " + strings.Join(missing, ", ")
	}
	return true, "DNSSEC-signed MX and valid DANE on every MX host"
}

// certLevel says whether every address of every MX presented a
// certificate a verifying sender accepts (verify), and if not, why
// (encrypt). The grade's "verifiable" check decides (trusted root, within
// its validity, names the MX host); a chain that verifies only with
// intermediates the server did not send is not enough, since Postfix and
// Exim do not fetch missing intermediates.
func certLevel(d *report.DomainView) (PolicyLevel, string) {
	var bad []string
	for _, m := range d.MX {
		if len(m.Addresses) == 0 {
			bad = append(bad, m.Host+" has no address")
		}
		for _, a := range m.Addresses {
			if why := unverifiable(a); why != "" {
				bad = append(bad, m.Host+" ("+a.IP+"): "+why)
			}
		}
	}
	if len(bad) > 0 {
		return LevelEncrypt, "no verify: " + strings.Join(bad, "; ")
	}
	return LevelVerify, "every MX certificate chains to a trusted root, is within its validity and names its host"
}

// unverifiable says why a verifying sender would refuse the address's
// certificate; "" when it would accept it.
func unverifiable(a report.AddressView) string {
	c := a.Cert
	if c == nil {
		return "no certificate checked"
	}
	var why []string
	if c.Trusted != certYes {
		s := "not trusted (" + c.Trusted
		if c.TrustError != "" {
			s += ": " + c.TrustError
		}
		why = append(why, s+")")
	}
	if c.NameMatch != certYes {
		why = append(why, "not issued for this host ("+c.NameMatch+")")
	}
	if c.DaysToExpiry < 0 {
		why = append(why, "expired "+report.ExpiredSpan(c.DaysExpired)+" before the audit")
	}
	if c.ChainIncomplete {
		why = append(why, "intermediate certificates not sent by the server")
	}
	if check := a.Checks[checkVerifiable]; len(why) == 0 && check != resultPass {
		why = append(why, "verifiable check "+orDefault(strings.ReplaceAll(check, "_", " "), "not tested"))
	}
	if len(why) == 0 {
		return ""
	}
	return "certificate " + strings.Join(why, ", ")
}

// DNS name limits (RFC 1035 §2.3.4).
const (
	maxDomainLen = 253
	maxLabelLen  = 63
)

// CheckALabel returns an error unless s is a domain name as a policy
// table key must be: lower-case ASCII letters, digits and hyphens, at
// least two labels of 1 to 63 characters, no hyphen at either end of a
// label, no trailing dot, and every "xn--" label a valid IDNA A-label.
func CheckALabel(s string) error {
	if s == "" {
		return fmt.Errorf("empty domain name")
	}
	if len(s) > maxDomainLen {
		return fmt.Errorf("%q is longer than %d characters", report.Clean(s), maxDomainLen)
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return fmt.Errorf("%q is not a domain name with a dot", report.Clean(s))
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabelLen {
			return fmt.Errorf("%q has an empty label or one longer than %d characters", report.Clean(s), maxLabelLen)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return fmt.Errorf("%q is not a lower-case A-label name (character %q)", report.Clean(s), report.Clean(string(c)))
			}
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("%q has a label that begins or ends with a hyphen", report.Clean(s))
		}
		if len(l) >= 4 && l[2:4] == "--" && !strings.HasPrefix(l, "xn--") {
			return fmt.Errorf("%q has a label with hyphens in the third and fourth places that is not an A-label", report.Clean(s))
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return fmt.Errorf("%q ends in a numeric label, like an address, not a domain name", report.Clean(s))
	}
	if strings.Contains(s, "xn--") {
		u, err := idna.Registration.ToUnicode(s)
		if err != nil {
			return fmt.Errorf("%q holds an invalid A-label: %w", report.Clean(s), err)
		}
		a, err := idna.Registration.ToASCII(u)
		if err != nil || a != s {
			return fmt.Errorf("%q holds an A-label that does not round-trip", report.Clean(s))
		}
	}
	return nil
}

// WritePolicyMap writes the TLS policy table of the report's run for a
// sender's mail server: one line per domain eligible for Forced TLS, each
// after a comment with its vendors, grade, audit date and the reason for
// its level, and at the end a comment block listing the domains left out
// and why. Only text from the report that passes CheckALabel is written
// outside comments; everything in comments goes through report.Clean and can
// neither end the comment nor hide characters.
func WritePolicyMap(w io.Writer, r *report.Report, format PolicyFormat) error {
	if r == nil {
		return fmt.Errorf("write policy map: no report")
	}
	var line func(PolicyEntry) string
	var header []string
	switch format {
	case PolicyPostfix:
		line, header = postfixLine, postfixHeader
	case PolicyExim:
		line, header = eximLine, eximHeader
	default:
		return fmt.Errorf("write policy map: unknown format %q (postfix or exim)", format)
	}
	entries, err := PolicyEntries(r)
	if err != nil {
		return fmt.Errorf("write policy map: %w", err)
	}
	listed := 0
	for _, e := range entries {
		if e.Level != LevelNone {
			listed++
		}
	}
	bw := bufio.NewWriter(w)
	c := commenter{w: bw}
	c.line("mxaudit TLS policy map for %s, from run %d (%s) of %s, policy %s %s.",
		format, r.Run.ID, r.Run.ListName, dateOf(r.Run.StartedAt), r.Run.Policy, r.Run.PolicyVersion)
	c.line("Generated %s by %s %s. %d domains listed, %d left out (see the end).",
		r.GeneratedAt.UTC().Format(time.RFC3339), orDefault(r.Tool, "mxaudit"), r.ToolVersion, listed, len(entries)-listed)
	c.blank()
	for _, h := range header {
		c.raw(h)
	}
	c.blank()
	c.raw("Certificates were judged against the CA roots of the audit run; your")
	c.raw("mail server must trust the same roots for the verify lines to hold.")
	c.raw("Regenerate this file after every run: mail servers and certificates change.")
	for _, e := range entries {
		if e.Level == LevelNone {
			continue
		}
		fmt.Fprintln(bw)
		c.line("%s: %s; grade %s, audited %s (run %d); MX %s.", e.Domain, vendorList(e.Vendors), e.Grade,
			dateOf(e.AuditedAt), r.Run.ID, strings.Join(e.MX, ", "))
		c.line("%s: %s.", e.Level, e.Reason)
		fmt.Fprintln(bw, line(e))
	}
	if listed < len(entries) {
		fmt.Fprintln(bw)
		c.raw("Left out: no line is written for these domains.")
		for _, e := range entries {
			if e.Level == LevelNone {
				c.line("  %s (%s; grade %s): %s", e.Domain, vendorList(e.Vendors), e.Grade, e.Reason)
			}
		}
	}
	if c.err != nil {
		return fmt.Errorf("write policy map: %w", c.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write policy map: %w", err)
	}
	return nil
}

var postfixHeader = []string{
	"Postfix: save as /etc/postfix/tls_policy, run postmap /etc/postfix/tls_policy,",
	"and set in main.cf: smtp_tls_policy_maps = hash:/etc/postfix/tls_policy",
	"  encrypt                TLS required; the certificate is not checked.",
	"  verify match=hostname  TLS required; the certificate must chain to a CA in",
	"                         smtp_tls_CAfile/smtp_tls_CApath and name the MX host.",
	"                         The MX records themselves are trusted as DNS returns them.",
	"  dane-only              TLS required and authenticated by DANE (RFC 7672); needs",
	"                         smtp_dns_support_level = dnssec and a validating resolver.",
}

func postfixLine(e PolicyEntry) string {
	switch e.Level {
	case LevelVerify:
		return e.Domain + " verify match=hostname"
	case LevelDANEOnly:
		return e.Domain + " dane-only"
	}
	return e.Domain + " encrypt"
}

var eximHeader = []string{
	"Exim: save as /etc/exim4/mxaudit-tls-policy. In the routers section, before",
	"the router that delivers to the internet (dnslookup), add:",
	"",
	"  mxaudit_tls:",
	"    driver = dnslookup",
	"    domains = lsearch;/etc/exim4/mxaudit-tls-policy",
	"    transport = mxaudit_tls_${lookup{$domain}lsearch{/etc/exim4/mxaudit-tls-policy}}",
	"    dnssec_request_domains = *",
	"    no_more",
	"",
	"and in the transports section:",
	"",
	"  mxaudit_tls_encrypt:       # TLS required; the certificate is not checked",
	"    driver = smtp",
	"    hosts_require_tls = *",
	"",
	"  mxaudit_tls_verify:        # TLS required; trusted certificate naming the MX host",
	"    driver = smtp",
	"    hosts_require_tls = *",
	"    tls_verify_certificates = system",
	"    tls_verify_hosts = *",
	"    tls_verify_cert_hostnames = *",
	"",
	"  mxaudit_tls_dane:          # TLS authenticated by DANE; needs a validating resolver",
	"    driver = smtp",
	"    hosts_require_tls = *",
	"    dnssec_request_domains = *",
	"    hosts_require_dane = *",
}

func eximLine(e PolicyEntry) string {
	switch e.Level {
	case LevelVerify:
		return e.Domain + ": verify"
	case LevelDANEOnly:
		return e.Domain + ": dane"
	}
	return e.Domain + ": encrypt"
}

// commenter writes comment lines: "# " and the text, cleaned so that no
// remote or input text can end the comment line or hide characters.
type commenter struct {
	w   io.Writer
	err error
}

func (c *commenter) raw(s string) {
	if c.err != nil {
		return
	}
	if s == "" {
		_, c.err = fmt.Fprintln(c.w, "#")
		return
	}
	_, c.err = fmt.Fprintln(c.w, "# "+report.Clean(s))
}

func (c *commenter) line(format string, args ...any) { c.raw(fmt.Sprintf(format, args...)) }

func (c *commenter) blank() { c.raw("") }

func vendorList(v []string) string {
	if len(v) == 0 {
		return "no vendor named"
	}
	return strings.Join(v, ", ")
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return "an unknown date"
	}
	return t.UTC().Format(time.DateOnly)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
