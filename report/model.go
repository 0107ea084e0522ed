package report

import (
	"fmt"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
)

// SchemaVersion is the version of the report JSON shape (Report and the
// types below). It rises when a field changes meaning or is removed.
// Version 2: checks named for their good state, "vendor_rows" (was
// "vendors"), finding ids, grade explanations, scan settings, the run
// manifest; the README lists every change. Version 3: each distinct
// address probe written once, in "probes", and named by the address views
// of "domains" ("probe_ref"); the document written one element per line.
const SchemaVersion = 3

// Report is the view of one stored run that every format renders: the PDF,
// the workbook, the JSON and the vendor letters. It is built from the
// database alone (Build), never from the network. Strings from remote
// servers and from the input file are raw here; each renderer escapes them
// for its medium.
type Report struct {
	SchemaVersion int       `json:"schema_version"`
	GeneratedAt   time.Time `json:"generated_at"`
	Tool          string    `json:"tool"`
	ToolVersion   string    `json:"tool_version"`
	Org           Org       `json:"organisation"`
	Run           RunInfo   `json:"run"`
	// Base is the run this one is compared with; nil for a first run.
	Base    *RunInfo `json:"base,omitempty"`
	Summary Summary  `json:"summary"`
	// Vendors holds one row per (vendor, domain) pair of the list, riskiest
	// first: a vendor with two mail domains has two rows. JSON calls them
	// "vendor_rows" so they are not mistaken for a count of vendors.
	Vendors []VendorRow `json:"vendor_rows"`
	// Probes holds the probes of a report read back from JSON: each
	// distinct address probe once, before the domains that name it. A
	// report built from the database or made in memory leaves it empty;
	// EachProbe serves every kind.
	Probes []ProbeView `json:"probes"`
	// Domains holds the domain views of a report made in memory or read
	// back from JSON. A report built from the database (Build) leaves it
	// empty and reads each view from the database when a renderer asks
	// (EachDomain), so a 10,000-domain run is never in memory whole.
	// Renderers use EachDomain, DomainNamed and DomainCount, which serve
	// both kinds.
	Domains  []DomainView `json:"domains"`
	Findings []Finding    `json:"findings"`
	Changes  []Change     `json:"changes"`
	// VendorChanges says each vendor's change since the base run in one
	// plain sentence (grade move and main causes, no finding codes), worst
	// first; empty for a first run.
	VendorChanges []VendorChange `json:"vendor_changes"`
	Problems      []Problem      `json:"input_problems"`
	// Methodology is the prose and rule tables of the methodology section.
	Methodology Methodology `json:"methodology"`
	// Manifest identifies the stored evidence the report was made from.
	Manifest ManifestInfo `json:"manifest"`
	// Programme is the vendor-risk programme: statuses, deadlines,
	// exceptions, control matrix (see programme.go).
	Programme *Programme `json:"programme,omitempty"`

	// source reads the domain views of a built report; nil when Domains holds them.
	source *domainSource
	// probes reads the distinct probes of a built report; nil when they
	// are in Probes or are collected from the domain views (EachProbe).
	probes *probeSource
	// rows serves the vendor rows, findings and changes of a built report
	// from its spool; nil when the slices hold them (stream.go).
	rows rowSource
	// mem indexes the rows in memory by domain and vendor (memindex.go);
	// nil for a report made in memory, whose queries scan the rows.
	mem *memIndex
}

// ManifestInfo is what a report says of its run's manifest (db.Manifest):
// enough for a reader to check the report against the database with
// `mxaudit verify`, or to recompute the digests by hand.
type ManifestInfo struct {
	// Version is the manifest's canonical form (db.ManifestVersion).
	Version int `json:"version"`
	// RootDigest is the SHA-256 over the run's input, settings, vendor list
	// and every domain's evidence digest; printed on the PDF cover and in
	// the workbook's Summary sheet.
	RootDigest string `json:"root_digest"`
	// Sealed is set when the manifest was recorded as the run finished;
	// unset when it was computed from what the database holds now (a run
	// still running or interrupted, or stored before manifests existed).
	Sealed bool `json:"sealed"`
	// InputSHA256, SettingsSHA256 and VendorsSHA256 are its parts.
	InputSHA256    string `json:"input_sha256"`
	SettingsSHA256 string `json:"settings_sha256"`
	VendorsSHA256  string `json:"vendors_sha256"`
}

// Org is the organisation branding and wording from the config file.
type Org struct {
	Name    string `json:"name"`
	Title   string `json:"title"`
	Contact string `json:"contact,omitempty"`
	// Logo is a PNG or JPEG file path for the PDF cover ("" for none).
	Logo string `json:"logo,omitempty"`
	// PolicyLabel is how the policy is named for readers ("Vendor mail TLS standard").
	PolicyLabel string `json:"policy_label,omitempty"`
	// Frameworks are the obligations the reader answers to ("HIPAA",
	// "GLBA", "NYDFS", "PCI DSS"), used to pick citations.
	Frameworks []string `json:"frameworks,omitempty"`
	// Profiles are the sender-authentication profiles the report shows
	// ("BOD 18-01", "NIST SP 800-177r1"); nil shows every one, an empty
	// list none.
	Profiles []string `json:"profiles,omitempty"`
	// RemediationDays is the deadline vendor letters give ("within N days").
	RemediationDays int `json:"remediation_days,omitempty"`
	// Signatory is who signs the vendor letters ("Dana Reyes, Privacy Officer").
	Signatory string `json:"signatory,omitempty"`
	// LetterBasis is the contract the vendor letters rest on ("our
	// business associate agreement (45 CFR 164.314(a))").
	LetterBasis string `json:"letter_basis,omitempty"`
}

// RunInfo identifies a run.
type RunInfo struct {
	ID            int64      `json:"id"`
	ListName      string     `json:"list_name"`
	InputPath     string     `json:"input_path,omitempty"`
	InputSHA256   string     `json:"input_sha256,omitempty"`
	Status        string     `json:"status"`
	StartedAt     time.Time  `json:"started_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
	Policy        string     `json:"policy"`
	PolicyVersion string     `json:"policy_version"`
	ToolVersion   string     `json:"tool_version"`
	RegradedFrom  *int64     `json:"regraded_from,omitempty"`
	// Settings are the scan settings the run used (resolvers, EHLO name,
	// ports, timeouts, per-host limit, scanning host...); absent for runs
	// stored before they were recorded.
	Settings *db.ScanSettings `json:"scan_settings,omitempty"`
}

// GradeCount is how many vendors (or domains) got a grade.
type GradeCount struct {
	Grade string `json:"grade"`
	Count int    `json:"count"`
}

// Summary holds the figures of the executive summary.
type Summary struct {
	// VendorsInList counts the vendors of the list; VendorsAudited those
	// whose every domain was graded (a letter, or N/A for a domain that
	// accepts no mail); VendorsAtRisk those graded D or F, or not audited.
	VendorsInList  int `json:"vendors_in_list"`
	VendorsAudited int `json:"vendors_audited"`
	VendorsAtRisk  int `json:"vendors_at_risk"`
	// NotAudited names each vendor not audited and why.
	NotAudited []NotAudited `json:"not_audited"`
	// ForcedEligibleAtRisk counts the Forced-TLS-eligible vendors graded D
	// or F: TLS can be required of them without losing mail, yet what
	// they accept is weak.
	ForcedEligibleAtRisk int `json:"forced_tls_eligible_graded_d_or_f"`
	// ByTier and ByTag break the vendors down by the list's tier and tags.
	ByTier []Breakdown `json:"by_tier"`
	ByTag  []Breakdown `json:"by_tag"`
	// Scope is the scope line every format prints: "20 of 23 vendors audited".
	Scope string `json:"scope"`
	// Conclusion is the executive summary's three sentences, written from
	// the figures once, so every format says the same words.
	Conclusion []string `json:"conclusion"`
	Vendors    int      `json:"vendors"`
	Domains    int      `json:"domains"`
	MXHosts    int      `json:"mx_hosts"`
	Addresses  int      `json:"addresses"`
	// Grades counts domains per grade, best first, every grade listed.
	Grades []GradeCount `json:"grades"`
	// VendorGrades counts vendors per grade (a vendor is its worst domain).
	VendorGrades []GradeCount `json:"vendor_grades"`
	// Forced TLS: vendors whose every domain is eligible / not / unknown.
	ForcedEligible    int     `json:"forced_tls_eligible"`
	ForcedNotEligible int     `json:"forced_tls_not_eligible"`
	ForcedUnknown     int     `json:"forced_tls_unknown"`
	ForcedShare       float64 `json:"forced_tls_share"` // eligible vendors / vendors, 0..1
	// Findings by severity over all domains.
	Critical int `json:"critical_findings"`
	High     int `json:"high_findings"`
	Medium   int `json:"medium_findings"`
	Low      int `json:"low_findings"`
	// Changes since the base run.
	Regressions  int `json:"regressions"`
	Improvements int `json:"improvements"`
	// ExpiringSoon counts certificates expiring within ExpiryWarnDays.
	ExpiringSoon   int `json:"expiring_soon"`
	ExpiryWarnDays int `json:"expiry_warn_days"`
	// Inconclusive counts domains that could not be fully audited.
	Inconclusive  int  `json:"inconclusive"`
	InputProblems int  `json:"input_problems"`
	PortBlocked   bool `json:"port_blocked,omitempty"`
	// HTTPSBlocked is set when no MTA-STS policy host could be connected
	// to in the run: outbound HTTPS is probably blocked at the scanner.
	HTTPSBlocked bool `json:"https_blocked,omitempty"`
	// MTASTSEnforce and DANEValid count domains with those protections.
	MTASTSEnforce int `json:"mta_sts_enforce"`
	DANEValid     int `json:"dane_valid"`
	// Findings above info by programme status: open (reopened included),
	// overdue (past their deadline, not accepted) and accepted by an exception.
	OpenFindings     int `json:"open_findings"`
	OverdueFindings  int `json:"overdue_findings"`
	AcceptedFindings int `json:"accepted_findings"`
	// VendorsAcceptedRisk counts vendors whose every grade-lowering
	// finding is accepted by an active exception.
	VendorsAcceptedRisk int `json:"vendors_accepted_risk"`
	// Trend is the vendor figures of the last runs of the same list (at
	// most db.TrendRuns), oldest first, ending with this run: runs with
	// the same list name, completed, not made by regrade (db.TrendRunIDs).
	Trend []TrendPoint `json:"trend"`
	// ProfileControls are the sender-authentication profile controls that
	// fail or could not be judged on some domains, each with what was
	// observed and where (bounded: MaxProfileObservations observations of
	// MaxObservationDomains domains each), counted once while the report
	// is built so that no renderer reads every domain for them. Absent
	// from a report written before it: ProfileControlsOf counts them then.
	ProfileControls []ProfileControl `json:"profile_controls,omitempty"`
}

// TrendPoint is one run of the summary's trend, counted by the rules of
// the summary's own figures (a vendor is its worst domain).
type TrendPoint struct {
	// RunID is the run's id.
	RunID int64 `json:"run_id"`
	// FinishedAt is when the run finished; null for a run still running.
	FinishedAt *time.Time `json:"finished_at"`
	// VendorsInList counts the vendors of the run's list as it was then;
	// VendorsAudited those whose every domain was graded (a letter, or N/A).
	VendorsInList  int `json:"vendors_in_list"`
	VendorsAudited int `json:"vendors_audited"`
	// VendorsAtRisk counts vendors graded D or F, or not audited.
	VendorsAtRisk int `json:"vendors_at_risk"`
	// VendorGrades counts vendors per grade, best first, every grade
	// listed (as summary.vendor_grades).
	VendorGrades []GradeCount `json:"vendor_grades"`
	// ForcedEligible counts vendors whose every domain is eligible for
	// Forced TLS (as summary.forced_tls_eligible).
	ForcedEligible int `json:"forced_tls_eligible"`
}

// NotAudited is a vendor that could not be audited, and why.
type NotAudited struct {
	Vendor  string   `json:"vendor"`
	Domains []string `json:"domains"`
	Reason  string   `json:"reason"`
}

// Breakdown is the vendors of one tier or tag: how many, how many at risk,
// and how many per grade (a vendor is its worst domain).
type Breakdown struct {
	// Key is the tier or tag as written ("" for vendors without one).
	Key     string       `json:"key"`
	Vendors int          `json:"vendors"`
	AtRisk  int          `json:"at_risk"`
	Grades  []GradeCount `json:"grades"`
}

// VendorRow is one (vendor, domain) line of the vendor table, in risk order.
type VendorRow struct {
	Vendor string `json:"vendor"`
	Domain string `json:"domain"`
	Input  string `json:"input,omitempty"` // the value as written in the list
	// Owner, Tier, Tags, Contact and Notes are the vendor list's columns,
	// as written.
	Owner string `json:"owner,omitempty"`
	Tier  string `json:"tier,omitempty"`
	// TierNumber is Tier read as a number ("1", "Tier 2", "T3"); nil when
	// the tier is empty or not numeric, so sorting by tier works.
	TierNumber *int     `json:"tier_number,omitempty"`
	Tags       []string `json:"tags,omitempty"`
	Contact    string   `json:"contact,omitempty"`
	Notes      string   `json:"notes,omitempty"`
	Grade      string   `json:"grade"`
	// PreviousGrade is the domain's grade in the base run; "" when there is
	// no base run or the domain was not audited in it.
	PreviousGrade string `json:"previous_grade,omitempty"`
	// GradeRank orders grades: higher is better; 0 for "?" and "N/A".
	GradeRank int `json:"grade_rank"`
	// Score is the domain's score (DomainScore): that of the address that
	// sets its grade; null when no address was graded.
	Score      *int   `json:"score"`
	Incomplete bool   `json:"incomplete,omitempty"`
	ForcedTLS  string `json:"forced_tls"`
	// MTASTS is "enforce", "testing", "none", "invalid" or "absent"; DANE is
	// "valid", "invalid", "unusable", "none" or "not checked".
	MTASTS string `json:"mta_sts"`
	DANE   string `json:"dane"`
	// TopFinding is the title of the most severe finding, TopSeverity its severity.
	TopFinding  string `json:"top_finding,omitempty"`
	TopSeverity string `json:"top_severity,omitempty"`
	Findings    int    `json:"findings"`
	// Change is the grade change since the base run: "A → C", "new", or "".
	Change string `json:"change,omitempty"`
	// ChangeText is the domain's change since the base run in plain words,
	// its main causes named ("Dropped from A- to F: SSLv3 turned on");
	// "" when nothing worth saying changed.
	ChangeText string `json:"change_text,omitempty"`
	// Regressed is set when the grade went down or Forced TLS was lost.
	Regressed bool `json:"regressed,omitempty"`
	// EarliestExpiry is the soonest leaf certificate expiry over the domain's MX.
	EarliestExpiry *time.Time `json:"earliest_expiry,omitempty"`
	// AcceptedRisk is set when every finding that lowers the domain's
	// grade is accepted by an active exception; the grade stays as measured.
	AcceptedRisk bool `json:"accepted_risk,omitempty"`
	// CarriedFrom is set when the domain could not be audited in this run
	// but an earlier run audited it: that run's grade, shown marked as
	// carried. Grade stays what this run found ("?" or "not audited").
	CarriedFrom *Carried `json:"carried_from,omitempty"`
	// SPF and DMARC are the short states of the sender-authentication
	// records ("valid -all", "p=reject", "missing"...; "not checked"),
	// SenderAuth the rating, and Frameworks the status of each framework
	// shown.
	SPF        string            `json:"spf"`
	DMARC      string            `json:"dmarc"`
	SenderAuth string            `json:"sender_auth"`
	Frameworks []FrameworkStatus `json:"frameworks,omitempty"`
}

// Carried is the last audited result of a domain this run could not audit.
type Carried struct {
	// Run is the run that last audited the domain; Date is when it
	// started (YYYY-MM-DD, UTC).
	Run  int64  `json:"run"`
	Date string `json:"date"`
	// Grade is the grade that run gave the domain.
	Grade string `json:"grade"`
}

// Text is how a carried grade is shown: "A- (carried from run 3, 2026-11-02)".
func (c *Carried) Text() string {
	return fmt.Sprintf("%s (carried from run %d, %s)", c.Grade, c.Run, c.Date)
}

// DomainView is one domain with its MX hosts and evidence, for the
// appendix, the MX sheet and the letters.
type DomainView struct {
	Domain     string   `json:"domain"`
	Input      string   `json:"input,omitempty"`
	Vendors    []string `json:"vendors"`
	Grade      string   `json:"grade"`
	Incomplete bool     `json:"incomplete,omitempty"`
	ForcedTLS  string   `json:"forced_tls"`
	// ForcedReason says why Forced TLS is not eligible or unknown.
	ForcedReason string `json:"forced_tls_reason,omitempty"`
	MXKind       string `json:"mx_kind"`
	MXLookup     string `json:"mx_lookup"` // DNS status of the MX question
	DNSSEC       string `json:"dnssec,omitempty"`
	MTASTS       string `json:"mta_sts"`
	MTASTSDetail string `json:"mta_sts_detail,omitempty"`
	TLSRPT       string `json:"tls_rpt"`
	// Caps are the domain-level causes that set the grade whatever its MX
	// hosts; GradeExplanation says in one line how the grade came about.
	Caps             []Cap  `json:"caps"`
	GradeExplanation string `json:"grade_explanation"`
	// Score is the domain's score (DomainScore); null when no address
	// was graded.
	Score     *int      `json:"score"`
	MX        []MXView  `json:"mx"`
	AuditedAt time.Time `json:"audited_at"`
	// EvidenceDigest is the domain's digest in the run's manifest.
	EvidenceDigest string `json:"evidence_digest"`
	// CarriedFrom: see VendorRow.CarriedFrom.
	CarriedFrom *Carried `json:"carried_from,omitempty"`
	// SPF and DMARC are the sender-authentication records; null when not
	// checked. DKIM lists the keys of the selectors named for the domain.
	SPF   *SPFView   `json:"spf"`
	DMARC *DMARCView `json:"dmarc"`
	DKIM  []DKIMView `json:"dkim,omitempty"`
	// SenderAuth is the sender-authentication rating ("strong",
	// "moderate", "weak", "none", "unknown"; "not checked"), apart from
	// Grade, and SenderAuthReason what decided it.
	SenderAuth       string `json:"sender_auth"`
	SenderAuthReason string `json:"sender_auth_reason,omitempty"`
	// Frameworks are the profiles and frameworks judged for the domain,
	// those the configuration shows ([] when none).
	Frameworks []grade.Framework `json:"frameworks"`
}

// MXView is one MX host of a domain.
type MXView struct {
	Host       string   `json:"host"`
	Preference uint16   `json:"preference"`
	Grade      string   `json:"grade"`
	DANE       string   `json:"dane"`
	TLSA       []string `json:"tlsa,omitempty"`
	// Caps are the domain- and host-level causes that force the grade;
	// GradeExplanation says in one line how the grade came about.
	Caps             []Cap         `json:"caps"`
	GradeExplanation string        `json:"grade_explanation"`
	Addresses        []AddressView `json:"addresses"`
}

// AddressView is one address of an MX host: its verdict for the host and
// domain (grade, score, checks, DANE), and the probe it rests on.
//
// The probe (ProbeView) is what the address showed, the same for every
// domain that uses the address in the run. In memory every view carries
// its probe, so renderers read av.Versions, av.Cert... directly; the JSON
// report (schema 3) writes each distinct probe once, in "probes", and
// each address view names it by "probe_ref". ReadJSON joins them again.
type AddressView struct {
	IP    string `json:"ip"`
	Grade string `json:"grade"`
	// Score is 100 minus the deductions, floored at 0 (0 when not graded).
	Score int `json:"score"`
	// Deductions are what the score lost and why, domain and host findings
	// included; Caps the causes that set the grade whatever the score.
	Deductions []Deduction `json:"deductions"`
	Caps       []Cap       `json:"caps"`
	// GradeExplanation is the one-line arithmetic every format prints
	// beside the grade ("100 − 35 SSLv3 enabled = 65 → C").
	GradeExplanation string `json:"grade_explanation"`
	// Checks are the per-address check results by check name (grade.Check).
	Checks map[string]string `json:"checks"`
	// HandshakeNeverCompleted is set when the server chose suites in its
	// ServerHellos but no full handshake with it ever completed (grading
	// policy v3): every supported version's suites are ServerHello-only
	// (VersionView.ServerHelloOnly).
	HandshakeNeverCompleted bool `json:"handshake_never_completed,omitempty"`
	// DANE is the TLSA match of the presented chain for this host.
	DANE string `json:"dane,omitempty"`
	// ProbeRef names the probe (ProbeView.Ref) in the JSON report's
	// "probes": the SHA-256 of the address evidence as stored.
	ProbeRef string `json:"probe_ref"`
	// ProbeView is the probe; JSON writes it apart, once per run.
	ProbeView `json:"-"`
}

// ProbeView is what one address showed in a run: the probe, the
// certificates judged for the MX name, the vulnerability answers and the
// SMTP transcript. It is a function of the stored address evidence alone,
// so the domains sharing a provider's address share one.
type ProbeView struct {
	// Ref is the hex SHA-256 of the address evidence as stored
	// (address_evidence.sha256 in the database, named in the run's
	// manifest); the address views that rest on this probe carry it as
	// probe_ref.
	Ref string `json:"ref"`
	// IP is the address probed.
	IP string `json:"ip"`
	// ProbeStatus is the probe's outcome ("ok", "no_starttls", "session_failed", "inconclusive"...).
	ProbeStatus string    `json:"probe_status"`
	ProbeError  string    `json:"probe_error,omitempty"`
	ProbedAt    time.Time `json:"probed_at"`
	Connections int       `json:"connections"`
	Banner      string    `json:"banner,omitempty"`
	// Protocol is the version and suite of the full handshake.
	Protocol string `json:"protocol,omitempty"`
	// HandshakeError is why the full handshake failed, when it did; a TLS
	// alert from the server is named with its number ("received TLS alert
	// handshake_failure (40)").
	HandshakeError string        `json:"handshake_error,omitempty"`
	Versions       []VersionView `json:"versions"`
	Cert           *CertView     `json:"certificate,omitempty"`
	// Certificates are every certificate a sender can be given at the
	// address, each judged for the MX name: the primary one (Cert) first,
	// then the others (an ECDSA one beside an RSA one, the one served
	// without SNI), each saying how it was obtained (CertView.Via).
	Certificates []CertView `json:"certificates,omitempty"`
	// Throttled says how the server limited our connections and how long
	// the probe waited for it ("3 connections refused, waited 35s"); empty
	// when it did not.
	Throttled string `json:"throttled,omitempty"`
	// Vulnerabilities are the known-vulnerability probes' answers, one per
	// probe, in a fixed order.
	Vulnerabilities []VulnView `json:"vulnerabilities,omitempty"`
	// Transcript is the cleartext SMTP dialogue, "C: " / "S: " prefixed,
	// as readable text: bytes that are not printable text (control bytes,
	// invalid UTF-8, direction overrides) are written as \xNN or \uXXXX
	// here, once, so every format shows the same escapes.
	Transcript []string `json:"transcript,omitempty"`
	// TranscriptBase64 holds each transcript line's exact bytes, base64
	// (standard alphabet, padded), without the "C: " / "S: " prefix: the
	// same length and order as Transcript.
	TranscriptBase64 []string `json:"transcript_base64,omitempty"`
}

// VersionView is one protocol version at one address.
type VersionView struct {
	Version string `json:"version"`
	Support string `json:"support"`
	// Reason is why the version was refused or is inconclusive (the alert,
	// the close, the error), as the probe recorded it.
	Reason string `json:"reason,omitempty"`
	// Alert is the TLS alert with which the server refused the last hello
	// of this version, with its level and number ("fatal
	// handshake_failure (40)"); empty when it refused otherwise.
	Alert      string `json:"alert,omitempty"`
	Preference string `json:"preference,omitempty"`
	Complete   bool   `json:"complete"`
	// ServerHelloOnly is set when the suites were chosen in a ServerHello
	// but no handshake with the server ever completed (grading policy v3):
	// the server picks them, then ends every handshake. It is a verdict of
	// the address (AddressView.HandshakeNeverCompleted), so JSON carries it
	// there and not in the shared probe.
	ServerHelloOnly bool        `json:"-"`
	Suites          []SuiteView `json:"suites,omitempty"`
}

// SuiteView is one accepted cipher suite with the flags a reader scans for.
type SuiteView struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Bits int    `json:"bits"`
	// Flags are the weakness and property labels ("export", "rc4", "3des",
	// "no-fs", "aead", "nist-r2"...).
	Flags []string `json:"flags,omitempty"`
	// Weak is set when any weakness flag applies.
	Weak bool `json:"weak,omitempty"`
	// KeyExchange is e.g. "ECDHE x25519", "DHE 1024 bits".
	KeyExchange string `json:"key_exchange,omitempty"`
}

// CertView is the leaf certificate an address presented, and its checks.
type CertView struct {
	Subject      string    `json:"subject"`
	Issuer       string    `json:"issuer"`
	CommonName   string    `json:"common_name,omitempty"`
	SANs         []string  `json:"sans,omitempty"`
	NotBefore    time.Time `json:"not_before"`
	NotAfter     time.Time `json:"not_after"`
	DaysToExpiry int       `json:"days_to_expiry"`
	// DaysExpired is how many whole days the leaf had been expired when it
	// was checked (0 in its first day), for "expired N days ago": the
	// negative DaysToExpiry rounds down and would read one day too many.
	// Meaningful only when DaysToExpiry is negative.
	DaysExpired   int      `json:"days_expired,omitempty"`
	KeyType       string   `json:"key_type"`
	KeyBits       int      `json:"key_bits"`
	Signature     string   `json:"signature"`
	Trusted       string   `json:"trusted"`    // "yes", "no", "not checked"
	NameMatch     string   `json:"name_match"` // "yes", "no", "not checked"
	TrustError    string   `json:"trust_error,omitempty"`
	SelfSigned    bool     `json:"self_signed,omitempty"`
	ChainSubjects []string `json:"chain,omitempty"`
	SHA256        string   `json:"sha256"`

	// ChainIncomplete is set when the chain verifies only with
	// intermediates the server did not send: many senders (Postfix and
	// Exim with OpenSSL) then fail verification.
	ChainIncomplete bool `json:"chain_incomplete,omitempty"`
	// Via says how a certificate other than the primary was obtained
	// ("ECDSA key, in TLSv1.2 hellos", "without SNI"); empty for the primary.
	Via string `json:"via,omitempty"`
}

// VulnView is one known-vulnerability probe at one address.
type VulnView struct {
	// Name is the probe ("Heartbleed"); CVE its identifier.
	Name string `json:"name"`
	CVE  string `json:"cve,omitempty"`
	// Status is "vulnerable", "not_vulnerable", "not_applicable",
	// "inconclusive" or "not_tested".
	Status string `json:"status"`
	// Detail is what the probe saw.
	Detail string `json:"detail,omitempty"`
}

// Finding is one finding with its wording, located, and its place in
// the programme (status, sightings, deadline, exception).
type Finding struct {
	// ID is grade.Finding.ID: the same rule on the same domain, host and
	// address has the same id in every run.
	ID          string   `json:"id"`
	Vendors     []string `json:"vendors"`
	Domain      string   `json:"domain"`
	Host        string   `json:"host,omitempty"`
	IP          string   `json:"ip,omitempty"`
	Code        string   `json:"code"`
	Severity    string   `json:"severity"`
	SeverityNum int      `json:"severity_rank"` // 0 info .. 4 critical
	Title       string   `json:"title"`
	Message     string   `json:"message"`
	Remediation string   `json:"remediation,omitempty"`
	Why         string   `json:"why,omitempty"`
	// Standards are the technical rules (RFC, NIST sections) the finding cites.
	Standards []string `json:"standards,omitempty"`
	// Waived names why the finding costs no points under the run's policy
	// although its fact stands ("dane-ee": a DNSSEC-secure DANE-EE record
	// authenticates the server's key, RFC 7672 §3.1.1).
	Waived string `json:"waived,omitempty"`
	// New is set when the finding did not exist in the base run.
	New bool `json:"new,omitempty"`
	// Status is open, accepted or reopened (resolved findings are listed
	// in Programme.Resolved).
	Status    string  `json:"status"`
	FirstSeen *SeenAt `json:"first_seen"`
	LastSeen  *SeenAt `json:"last_seen"`
	AgeDays   int     `json:"age_days"`
	// Due is the remediation deadline (nil when the severity has none);
	// Overdue is set when the report's time is past it and it is not accepted.
	Due     *time.Time `json:"due"`
	Overdue bool       `json:"overdue"`
	// Exception is the active exception that accepts the finding.
	Exception *FindingException `json:"exception,omitempty"`
}

// Change is one change since the base run, in plain words.
type Change struct {
	Kind    string   `json:"kind"`
	Domain  string   `json:"domain"`
	Vendors []string `json:"vendors,omitempty"`
	Host    string   `json:"host,omitempty"`
	IP      string   `json:"ip,omitempty"`
	From    string   `json:"from,omitempty"`
	To      string   `json:"to,omitempty"`
	Text    string   `json:"text"`
	// Bad is set for changes for the worse (regressions, new findings,
	// lost Forced TLS, expiring certificates).
	Bad bool `json:"bad,omitempty"`
}

// Problem is an input problem of the run's vendor list.
type Problem struct {
	Sheet   string `json:"sheet,omitempty"`
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
}

// Methodology is what the methodology section says: each check, how grades
// are computed, the policy's rules, and the limits of an outside view.
type Methodology struct {
	Checks []CheckDef `json:"checks"`
	Rules  []RuleDef  `json:"rules"`
	// Grading, Limits and Scope are paragraphs of prose from templates.
	Grading []string `json:"grading"`
	Limits  []string `json:"limits"`
	Scope   []string `json:"scope"`
}

// CheckDef explains one check column.
type CheckDef struct {
	Name    string `json:"name"`
	Label   string `json:"label"`
	Meaning string `json:"meaning"`
}

// RuleDef is one row of the policy's rule table.
type RuleDef struct {
	Code      string `json:"code"`
	Title     string `json:"title"`
	Severity  string `json:"severity"`
	Deduction int    `json:"deduction"`
	ForceF    bool   `json:"force_f,omitempty"`
	// Effect says in words what the rule does to the grade, so a rule
	// with no points reads right: "grades the domain F (no mail host)".
	Effect string `json:"effect"`
}
