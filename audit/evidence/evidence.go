// Package evidence holds the plain, JSON-tagged types of what mxaudit observed
// on the wire and in DNS. It does no I/O and knows nothing of grades: the
// grader turns these values into findings, and the database stores them
// whole so a run can be re-graded or re-reported years later.
//
// Facts that can be unknown are pointers or enums, never a bare bool with
// omitempty: "not tested" must never look like "false".
package evidence

import (
	"encoding/json"
	"strconv"
	"time"
)

// SchemaVersion is the version of the JSON shape of these types. It rises
// whenever a field changes meaning or is removed; adding a field does not.
const SchemaVersion = 1

// Domain is everything observed for one audited domain.
type Domain struct {
	// Domain is the audited name as an A-label, lower case, no trailing dot.
	Domain string `json:"domain"`
	// Input is the name as the user gave it, when it differs from Domain (an IDN, say).
	Input string `json:"input,omitempty"`
	// StartedAt and FinishedAt bound the audit of this domain.
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// MX is the MX lookup and what it meant (explicit, implicit or null MX).
	MX MXLookup `json:"mx"`
	// Hosts holds one entry per MX target, in preference order.
	Hosts []Host `json:"hosts"`
	// MTASTS is the MTA-STS record and policy; nil when not checked.
	MTASTS *MTASTS `json:"mta_sts,omitempty"`
	// TLSRPT is the TLS reporting record; nil when not checked.
	TLSRPT *TLSRPT `json:"tls_rpt,omitempty"`
	// VersionsTested lists the protocol versions the scan was configured
	// to enumerate when that was not every version (--versions): the
	// others, and the weak suites only they carry, were never tested.
	// Empty when every version was tested.
	VersionsTested []string `json:"versions_tested,omitempty"`
	// SPF, DMARC and DKIM are the sender-authentication records (RFC 7208,
	// RFC 7489, RFC 6376); nil when not checked. DKIM has one entry per
	// selector named in the vendor list or the config, none when no
	// selector is known (selectors cannot be discovered from DNS).
	SPF   *SPF      `json:"spf,omitempty"`
	DMARC *DMARC    `json:"dmarc,omitempty"`
	DKIM  []DKIMKey `json:"dkim,omitempty"`
	// PortBlocked is set when no address of any domain in the run answered
	// on the SMTP port, so the scanner's own network probably blocks it.
	PortBlocked bool `json:"port_blocked,omitempty"`
	// HTTPSBlocked is set when the MTA-STS policy fetches of the run all
	// failed to connect (PolicyFetch.Unreached), so the scanner's own
	// network probably blocks outbound HTTPS: a fetch that could not
	// connect then says nothing about the domain.
	HTTPSBlocked bool `json:"https_blocked,omitempty"`
	// Error is set when the audit could not run at all (cancelled, internal error).
	Error *Error `json:"error,omitempty"`
}

// DNSStatus classifies the outcome of one DNS question.
type DNSStatus string

// DNS outcomes. NXDOMAIN, SERVFAIL and timeout are told apart because they
// mean different things to a sender: NXDOMAIN bounces, the others retry.
const (
	DNSOK       DNSStatus = "ok"       // an answer with records
	DNSNoData   DNSStatus = "nodata"   // the name exists, no records of the type
	DNSNXDomain DNSStatus = "nxdomain" // the name does not exist
	DNSServFail DNSStatus = "servfail" // the server failed (often a DNSSEC failure)
	DNSRefused  DNSStatus = "refused"  // the server refused the question
	DNSTimeout  DNSStatus = "timeout"  // no answer in time, after retries
	DNSError    DNSStatus = "error"    // any other failure (network, malformed reply)
)

// DNSSECStatus is the RFC 4035 §4.3 security status of an answer.
type DNSSECStatus string

// DNSSEC statuses. The empty value means not checked.
const (
	DNSSECNotChecked    DNSSECStatus = ""
	DNSSECSecure        DNSSECStatus = "secure"
	DNSSECInsecure      DNSSECStatus = "insecure"
	DNSSECBogus         DNSSECStatus = "bogus"
	DNSSECIndeterminate DNSSECStatus = "indeterminate"
)

// Lookup is the record of one DNS question and its answer.
type Lookup struct {
	// Name and Type are the question (Type as a mnemonic: "MX", "A", ...).
	Name string `json:"name"`
	Type string `json:"type"`
	// Status is the classified outcome.
	Status DNSStatus `json:"status"`
	// Rcode is the DNS response code mnemonic, when an answer arrived.
	Rcode string `json:"rcode,omitempty"`
	// CNAMEs is the CNAME chain followed from Name, in order.
	CNAMEs []string `json:"cnames,omitempty"`
	// Records are the answer records in presentation format.
	Records []string `json:"records,omitempty"`
	// TTL is the smallest TTL of the answer, in seconds.
	TTL uint32 `json:"ttl,omitempty"`
	// AD is the authenticated-data bit of the reply.
	AD bool `json:"ad,omitempty"`
	// DNSSEC is the validated security status; empty when not checked.
	DNSSEC DNSSECStatus `json:"dnssec,omitempty"`
	// DNSSECReason explains a bogus or indeterminate status.
	DNSSECReason string `json:"dnssec_reason,omitempty"`
	// TCP is set when the answer came over TCP after a truncated UDP reply.
	TCP bool `json:"tcp,omitempty"`
	// Server is the resolver that answered (host:port).
	Server string `json:"server,omitempty"`
	// Error is the error text for DNSError and DNSTimeout.
	Error string `json:"error,omitempty"`
	// Duration is how long the question took, retries included.
	Duration Duration `json:"duration_ms"`
}

// MXKind says how the domain's mail hosts were found.
type MXKind string

// MX kinds.
const (
	MXExplicit MXKind = "explicit" // one or more MX records
	MXImplicit MXKind = "implicit" // no MX: the domain's own A/AAAA (RFC 5321 §5.1)
	MXNull     MXKind = "null"     // RFC 7505 "0 ." alone: accepts no mail
	MXNone     MXKind = "none"     // no MX and no address: no mail can be delivered
	MXError    MXKind = "error"    // the lookup failed; see Lookup.Status
)

// MXLookup is the MX question for the domain and what it meant.
type MXLookup struct {
	// Lookup is the raw MX question.
	Lookup Lookup `json:"lookup"`
	// Kind is how mail hosts were found.
	Kind MXKind `json:"kind"`
	// Records are the MX records as published, sorted by preference then name.
	Records []MXRecord `json:"records,omitempty"`
	// NullMXConflict is set when "0 ." is published beside other MX records
	// (RFC 7505 §3 forbids it).
	NullMXConflict bool `json:"null_mx_conflict,omitempty"`
	// Omitted are the MX targets past the per-domain cap, by preference
	// then name: neither resolved nor probed, so the domain's audit is
	// incomplete.
	Omitted []MXRecord `json:"omitted,omitempty"`
}

// MXRecord is one published MX record.
type MXRecord struct {
	Preference uint16 `json:"preference"`
	// Host is the target, lower case, no trailing dot ("" for null MX).
	Host string `json:"host"`
}

// Host is one MX target and everything observed on its addresses.
type Host struct {
	// Name is the MX target (or the domain itself for an implicit MX).
	Name       string `json:"name"`
	Preference uint16 `json:"preference"`
	// Implicit is set for the implicit MX of a domain without MX records.
	Implicit bool `json:"implicit,omitempty"`
	// IPLiteral is set when the MX target is an IP address, which RFC 5321
	// §5.1 does not allow.
	IPLiteral bool `json:"ip_literal,omitempty"`
	// CNAME is set when the MX target is an alias (RFC 2181 §10.3 forbids it).
	CNAME bool `json:"cname,omitempty"`
	// A and AAAA are the address lookups of Name.
	A    *Lookup `json:"a,omitempty"`
	AAAA *Lookup `json:"aaaa,omitempty"`
	// Addresses has one entry per address of Name, A before AAAA.
	Addresses []Address `json:"addresses"`
	// OmittedAddresses are the addresses past the per-host cap, in the
	// same order: not probed, so the host's audit is incomplete.
	OmittedAddresses []string `json:"omitted_addresses,omitempty"`
	// TLSA is the _25._tcp TLSA lookup; nil when not checked.
	TLSA *TLSALookup `json:"tlsa,omitempty"`
}

// Address is the probe of one address of an MX host, seen under that host's name.
type Address struct {
	// IP is the address in canonical text form.
	IP string `json:"ip"`
	// Probe is the capability probe of this address. It is shared by every
	// MX name and domain that uses the address in a run, so it is a copy of
	// the same observation.
	Probe *Probe `json:"probe,omitempty"`
	// Cert is the certificate presented when the SNI is this host's name.
	Cert *CertCheck `json:"cert,omitempty"`
	// OtherCerts are the other certificates a sender can be given at this
	// address, each judged for this host's name: a server with an RSA and
	// an ECDSA certificate picks by the suites and signature algorithms a
	// sender offers, and one that picks by SNI shows senders that send none
	// (Postfix by default) another. Empty when only Cert was seen.
	OtherCerts []CertCheck `json:"other_certs,omitempty"`
	// DANE is the TLSA match of the presented chain; nil when not checked.
	DANE *DANEMatch `json:"dane,omitempty"`
}

// Duration is a time.Duration that marshals as whole milliseconds.
type Duration time.Duration

// MarshalJSON writes the duration in milliseconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatInt(time.Duration(d).Milliseconds(), 10)), nil
}

// UnmarshalJSON reads a duration in milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return err
	}
	*d = Duration(time.Duration(ms * float64(time.Millisecond)))
	return nil
}
