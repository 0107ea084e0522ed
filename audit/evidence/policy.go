package evidence

import "time"

// MTASTS is the MTA-STS (RFC 8461) record and policy of a domain.
type MTASTS struct {
	// TXT is the _mta-sts TXT lookup.
	TXT Lookup `json:"txt"`
	// Records are the TXT strings that begin with v=STSv1, concatenated per record.
	Records []string `json:"records,omitempty"`
	// ID is the policy id from the single valid record.
	ID string `json:"id,omitempty"`
	// RecordError explains why the TXT record is not usable.
	RecordError string `json:"record_error,omitempty"`
	// PolicyURL is the policy location that was fetched.
	PolicyURL string `json:"policy_url,omitempty"`
	// Fetch is the HTTPS fetch of the policy; nil when not attempted.
	Fetch *PolicyFetch `json:"fetch,omitempty"`
	// Policy is the parsed policy; nil when none was obtained.
	Policy *STSPolicy `json:"policy,omitempty"`
	// PolicyErrors are the syntax problems of the policy text.
	PolicyErrors []string `json:"policy_errors,omitempty"`
	// PolicyWarnings are problems that do not make the policy invalid (a
	// media type other than text/plain, a max_age below one day, lines the
	// grammar does not allow and that were skipped). Validity is told by
	// Policy (set only for a usable policy) and PolicyErrors.
	PolicyWarnings []string `json:"policy_warnings,omitempty"`
	// MXMatch maps each MX host name to the pattern that covers it ("" if none).
	MXMatch map[string]string `json:"mx_match,omitempty"`
}

// PolicyFetch is the HTTPS request for an MTA-STS policy.
type PolicyFetch struct {
	URL         string     `json:"url"`
	StatusCode  int        `json:"status_code,omitempty"`
	ContentType string     `json:"content_type,omitempty"`
	Location    string     `json:"location,omitempty"`
	Size        int        `json:"size"`
	Truncated   bool       `json:"truncated,omitempty"`
	Body        string     `json:"body,omitempty"`
	Cert        *CertCheck `json:"cert,omitempty"`
	Error       *Error     `json:"error,omitempty"`
	// Proxy is the HTTPS proxy (host:port) the fetch went through; "" for
	// a direct connection.
	Proxy     string    `json:"proxy,omitempty"`
	FetchedAt time.Time `json:"fetched_at"`
	Duration  Duration  `json:"duration_ms"`
}

// Steps of a policy fetch that come before any policy server answers.
const (
	StepConnect = "connect" // the TCP connection to the policy host
	StepProxy   = "proxy"   // the connection through an HTTPS proxy
)

// Unreached reports whether the fetch failed before a policy server
// answered: the TCP connection to the policy host (or to the proxy) timed
// out, was refused or reset, or had no route. A name that does not
// resolve, a TLS failure or an HTTP status are answers about the domain,
// not this.
func (f *PolicyFetch) Unreached() bool {
	if f == nil || f.Error == nil || f.StatusCode != 0 {
		return false
	}
	if f.Error.Step != StepConnect && f.Error.Step != StepProxy {
		return false
	}
	switch f.Error.Kind {
	case ErrTimeout, ErrRefused, ErrUnreach, ErrReset, ErrClosed:
		return true
	}
	return false
}

// STSPolicy is a parsed MTA-STS policy.
type STSPolicy struct {
	Version string   `json:"version"`
	Mode    string   `json:"mode"`
	MX      []string `json:"mx"`
	MaxAge  int64    `json:"max_age"`
}

// TLSRPT is the SMTP TLS reporting (RFC 8460) record of a domain.
type TLSRPT struct {
	TXT     Lookup   `json:"txt"`
	Records []string `json:"records,omitempty"`
	RUA     []string `json:"rua,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// TLSALookup is the _25._tcp TLSA question of an MX host.
type TLSALookup struct {
	Lookup  Lookup       `json:"lookup"`
	Records []TLSARecord `json:"records,omitempty"`
}

// TLSARecord is one TLSA record.
type TLSARecord struct {
	Usage        uint8  `json:"usage"`
	Selector     uint8  `json:"selector"`
	MatchingType uint8  `json:"matching_type"`
	Data         string `json:"data"`
}

// DANEMatch is the match of one address's presented chain against the TLSA records.
type DANEMatch struct {
	// Matched lists the records (as "3 1 1 abcd...") that match the chain.
	Matched []string `json:"matched,omitempty"`
	// Usable counts the records usable for SMTP (usage 2 or 3, known selector and type).
	Usable int `json:"usable"`
	// NameOK is set for DANE-TA when the leaf names the host.
	NameOK *bool  `json:"name_ok,omitempty"`
	Reason string `json:"reason,omitempty"`
}
