package db

// ScanSettings are the settings a run scanned with, recorded when it
// starts so a report can say how its evidence was gathered and the
// manifest can vouch for it. Durations are whole milliseconds.
type ScanSettings struct {
	// Resolvers are the DNS resolvers asked ("host:port"); DNSSEC the
	// validation mode.
	Resolvers []string `json:"resolvers"`
	DNSSEC    string   `json:"dnssec"`
	// EHLOName is the name the scanner gave in EHLO.
	EHLOName string `json:"ehlo_name"`
	// SMTPPort is the port probed; MTASTSPort the HTTPS port of policy
	// hosts (0: 443).
	SMTPPort   int `json:"smtp_port"`
	MTASTSPort int `json:"mta_sts_port,omitempty"`
	// TimeoutMS bounds each network step, ProbeTimeoutMS one address's
	// whole probe, GapMS the pause between connections to one address.
	TimeoutMS      int64 `json:"timeout_ms"`
	ProbeTimeoutMS int64 `json:"probe_timeout_ms"`
	GapMS          int64 `json:"gap_ms"`
	// ThrottleBudgetMS is how long a throttling server may be waited for.
	ThrottleBudgetMS int64 `json:"throttle_budget_ms,omitempty"`
	// PerHost is the number of connections held at once to one address;
	// Retries how often a failed step is tried again.
	PerHost int `json:"per_host"`
	Retries int `json:"retries"`
	// Versions are the protocol versions probed (empty: all).
	Versions []string `json:"versions,omitempty"`
	// Policies says whether MTA-STS, TLS-RPT and DANE were checked;
	// Posture whether SPF, DMARC and DKIM were.
	Policies bool `json:"policies"`
	Posture  bool `json:"posture"`
	// HTTPSProxy is how policies were fetched: "environment", "none" or
	// the proxy's host:port (never its credentials).
	HTTPSProxy string `json:"https_proxy,omitempty"`
	// CAFile and TrustAnchor are the files given for certificate roots
	// and DNSSEC trust anchors ("" for the system's and IANA's).
	CAFile      string `json:"ca_file,omitempty"`
	TrustAnchor string `json:"trust_anchor,omitempty"`
	// AllowPrivate says whether special-purpose addresses could be dialled.
	AllowPrivate bool `json:"allow_private,omitempty"`
	// DKIMSelectors are the selectors checked for every domain.
	DKIMSelectors []string `json:"dkim_selectors,omitempty"`
	// Concurrency is the number of domains audited at once.
	Concurrency   int    `json:"concurrency,omitempty"`
	ToolVersion   string `json:"tool_version"`
	Policy        string `json:"policy"`
	PolicyVersion string `json:"policy_version"`
	// ScannerHost is the name of the machine that scanned.
	ScannerHost string `json:"scanner_host"`
}
