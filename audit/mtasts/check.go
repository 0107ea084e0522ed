package mtasts

import (
	"context"
	"fmt"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Owner-name prefixes of the TXT records (RFC 8461 §3.1, RFC 8460 §3).
const (
	stsPrefix    = "_mta-sts."
	tlsrptPrefix = "_smtp._tls."
)

// TXTResolver answers TXT questions. It returns the record of the lookup
// and, per TXT record, its strings concatenated without separators.
type TXTResolver interface {
	TXT(ctx context.Context, name string) (evidence.Lookup, []string)
}

// Check builds the MTA-STS evidence for domain given its MX host names: the
// TXT lookup of _mta-sts.<domain>, record selection, the policy fetch (only
// when a single valid record exists), the policy parse, and for each MX host
// the pattern that covers it ("" when none does).
//
// Policy is set only when senders would use the policy: the fetch succeeded
// and the text is valid. PolicyErrors then stays empty; otherwise it holds
// every reason the policy is invalid. PolicyWarnings holds problems that do
// not invalidate it (media type, short max_age, ignored lines). MXMatch is
// filled only when Policy is set. A nil Fetcher fetches with defaults.
func Check(ctx context.Context, r TXTResolver, f *Fetcher, domain string, mxHosts []string) *evidence.MTASTS {
	out := &evidence.MTASTS{}
	name := stsPrefix + normName(domain)
	if r == nil {
		out.RecordError = "no resolver to look up " + name
		return out
	}
	lookup, txts := r.TXT(ctx, name)
	out.TXT = lookup
	if lookupFailed(lookup) {
		out.RecordError = fmt.Sprintf("TXT lookup of %s failed (%s)", name, lookup.Status)
		return out
	}
	records, id, err := SelectSTSRecords(txts)
	out.Records = records
	if err != nil {
		out.RecordError = err.Error()
		return out
	}
	out.ID = id
	out.PolicyURL = PolicyURL(domain)
	out.Fetch = f.Fetch(ctx, domain)
	if out.Fetch.Error != nil {
		return out
	}
	if p := mediaTypeProblem(out.Fetch.ContentType); p != "" {
		out.PolicyWarnings = append(out.PolicyWarnings, p)
	}
	policy, problems, err := ParsePolicy(out.Fetch.Body)
	out.PolicyWarnings = append(out.PolicyWarnings, problems...)
	if err != nil {
		out.PolicyErrors = errorList(err)
		return out
	}
	out.Policy = &policy
	out.MXMatch = make(map[string]string, len(mxHosts))
	for _, h := range mxHosts {
		pattern, _ := MatchMX(policy.MX, h)
		out.MXMatch[h] = pattern
	}
	return out
}

// CheckTLSRPT builds the TLS-RPT evidence for domain: the TXT lookup of
// _smtp._tls.<domain> and its record. RUA is set only when the record is
// valid; Error says why it is not.
func CheckTLSRPT(ctx context.Context, r TXTResolver, domain string) *evidence.TLSRPT {
	out := &evidence.TLSRPT{}
	name := tlsrptPrefix + normName(domain)
	if r == nil {
		out.Error = "no resolver to look up " + name
		return out
	}
	lookup, txts := r.TXT(ctx, name)
	out.TXT = lookup
	if lookupFailed(lookup) {
		out.Error = fmt.Sprintf("TXT lookup of %s failed (%s)", name, lookup.Status)
		return out
	}
	records, rua, err := ParseTLSRPT(txts)
	out.Records = records
	out.RUA = rua
	if err != nil {
		out.Error = err.Error()
	}
	return out
}

// lookupFailed reports whether a lookup ended without an answer; NXDOMAIN and
// NODATA are answers (there is no record).
func lookupFailed(l evidence.Lookup) bool {
	switch l.Status {
	case evidence.DNSServFail, evidence.DNSRefused, evidence.DNSTimeout, evidence.DNSError:
		return true
	}
	return false
}

// errorList flattens an errors.Join result into its messages.
func errorList(err error) []string {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range joined.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}
