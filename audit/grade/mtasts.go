package grade

import (
	"mime"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/mtasts/mxpattern"
)

// MTA-STS policy modes (RFC 8461 §5).
const (
	stsModeEnforce = "enforce"
	stsModeTesting = "testing"
	stsModeNone    = "none"
)

// stsShortMaxAge is the max_age, in seconds, below which a policy is
// flagged: one day, as audit/mtasts flags it (RFC 8461 §3.2 expects weeks
// or more, §10.2 "as long as is practical").
const stsShortMaxAge = 86400

// stsMediaType is the media type senders should check (RFC 8461 §3.2).
const stsMediaType = "text/plain"

// httpOK is the only status under which a fetched policy is valid
// (RFC 8461 §3.3).
const httpOK = 200

// cnMatchPrefix marks in CertCheck.MatchedBy a name matched on the subject
// common name rather than a SAN DNS-ID (audit/certs writes "CN:<name>").
const cnMatchPrefix = "CN:"

// stsOutcome is what a sender concludes from a domain's MTA-STS evidence.
type stsOutcome int

// MTA-STS outcomes, in the order they are decided.
const (
	stsNotChecked    stsOutcome = iota // no evidence, or a failure on our side
	stsLookupFailed                    // the TXT question got no answer
	stsMissing                         // no v=STSv1 record
	stsRecordInvalid                   // records present, none usable
	stsUnavailable                     // a valid record, but no policy could be fetched
	stsInvalid                         // fetched, but the policy is invalid
	stsValid                           // a policy senders apply
)

// txtLookupFailed reports whether a TXT question ended without an answer
// (as audit/mtasts decides it); NXDOMAIN and NODATA are answers.
func txtLookupFailed(s evidence.DNSStatus) bool {
	switch s {
	case evidence.DNSServFail, evidence.DNSRefused, evidence.DNSTimeout, evidence.DNSError:
		return true
	}
	return false
}

// txtAnswered reports whether a TXT question got a definite answer.
func txtAnswered(s evidence.DNSStatus) bool {
	return s == evidence.DNSOK || s == evidence.DNSNoData || s == evidence.DNSNXDomain
}

// classifySTS reads the MTA-STS evidence the way a sender acts on it
// (RFC 8461 §3): a failed TXT lookup decides nothing; no v=STSv1 record is
// no policy; a record error makes senders ignore MTA-STS; a usable policy
// is one that was fetched and parsed without error; a fetch failure means
// no policy, unless the failure was ours (the run was cancelled, or a local
// error), which is not checked.
func classifySTS(m *evidence.MTASTS) stsOutcome {
	switch {
	case m == nil:
		return stsNotChecked
	case txtLookupFailed(m.TXT.Status):
		return stsLookupFailed
	case len(m.Records) == 0 && m.Policy == nil:
		if txtAnswered(m.TXT.Status) {
			return stsMissing
		}
		return stsNotChecked
	case m.RecordError != "":
		return stsRecordInvalid
	case m.Policy != nil && len(m.PolicyErrors) == 0:
		return stsValid
	case m.Fetch == nil:
		return stsNotChecked
	}
	if cause, _, ours := fetchFailure(m.Fetch); cause != "" {
		if ours {
			return stsNotChecked
		}
		return stsUnavailable
	}
	return stsInvalid
}

// stsBlocked reports whether the domain's policy fetch failed to connect in
// a run where every fetch did (evidence.Domain.HTTPSBlocked): its MTA-STS
// state is then unknown, not a finding.
func stsBlocked(d *evidence.Domain) bool {
	return d.HTTPSBlocked && d.MTASTS != nil && d.MTASTS.Fetch.Unreached() && classifySTS(d.MTASTS) == stsUnavailable
}

// stsPolicyOf returns the policy senders apply, or nil.
func stsPolicyOf(m *evidence.MTASTS) *evidence.STSPolicy {
	if classifySTS(m) != stsValid {
		return nil
	}
	return m.Policy
}

// Causes of a failed policy fetch (MTASTS_POLICY_UNAVAILABLE's "cause").
const (
	fetchError     = "error"     // the fetch failed: "reason" is the recorded error
	fetchStatus    = "status"    // the server answered another status than 200
	fetchTruncated = "truncated" // the policy is larger than the size limit
)

// fetchFailure says why a policy fetch gave no policy: the cause (""
// when it did not fail), the recorded error for fetchError, and whether
// the cause is on the scanner's side.
func fetchFailure(f *evidence.PolicyFetch) (cause, reason string, ours bool) {
	switch {
	case f.Error != nil:
		reason = f.Error.Message
		if reason == "" {
			reason = string(f.Error.Kind)
		}
		return fetchError, reason, f.Error.Kind == evidence.ErrCanceled || f.Error.Kind == evidence.ErrInternal || proxyFault(f.Error)
	case f.StatusCode != 0 && f.StatusCode != httpOK:
		return fetchStatus, "", false
	case f.Truncated:
		return fetchTruncated, "", false
	}
	return "", "", false
}

// proxyFault reports whether a fetch failed at our own HTTPS proxy rather
// than at the vendor: the proxy broke the protocol, hung up or answered
// too much. A proxy that says it cannot reach the policy host (502, 504:
// kinds unreachable and timeout) speaks about the vendor, or, when every
// fetch of the run says so, about blocked HTTPS (see stsBlocked).
func proxyFault(e *evidence.Error) bool {
	if e.Step != evidence.StepProxy {
		return false
	}
	switch e.Kind {
	case evidence.ErrProtocol, evidence.ErrTooLong, evidence.ErrClosed, evidence.ErrTLS:
		return true
	}
	return false
}

// stsFindings raises the domain-level MTA-STS findings.
func stsFindings(c *collector, m *evidence.MTASTS) {
	switch classifySTS(m) {
	case stsLookupFailed:
		st := string(m.TXT.Status)
		c.add(CodeMTASTSLookupFailed, map[string]string{"status": st})
	case stsMissing:
		c.add(CodeMTASTSMissing, map[string]string{"status": string(m.TXT.Status)})
	case stsRecordInvalid:
		args := map[string]string{"reason": m.RecordError}
		if len(m.Records) > 0 {
			quoted := make([]string, len(m.Records))
			for i, r := range m.Records {
				quoted[i] = strconv.Quote(r)
			}
			args["records"] = strings.Join(quoted, ", ")
		}
		c.add(CodeMTASTSRecordInvalid, args)
	case stsUnavailable:
		cause, reason, _ := fetchFailure(m.Fetch)
		if m.Fetch.Error != nil && m.Fetch.Error.Kind == evidence.ErrPrivateAddress {
			c.add(CodeMTASTSHostPrivate, map[string]string{"reason": reason, "url": m.Fetch.URL})
			return
		}
		args := map[string]string{"cause": cause, "url": m.Fetch.URL}
		if reason != "" {
			args["reason"] = reason
		}
		if m.Fetch.StatusCode != 0 {
			args["status"] = strconv.Itoa(m.Fetch.StatusCode)
		}
		c.add(CodeMTASTSPolicyUnavailable, args)
	case stsInvalid:
		// No recorded error leaves "errors" out: the wording says no
		// policy could be read.
		args := map[string]string{"url": m.Fetch.URL}
		if len(m.PolicyErrors) > 0 {
			args["errors"] = strings.Join(m.PolicyErrors, "; ")
		}
		c.add(CodeMTASTSPolicyInvalid, args)
	case stsValid:
		stsPolicyFindings(c, m)
	}
}

// stsPolicyFindings raises the findings about a policy senders apply.
func stsPolicyFindings(c *collector, m *evidence.MTASTS) {
	p := m.Policy
	switch p.Mode {
	case stsModeTesting:
		c.add(CodeMTASTSTesting, nil)
	case stsModeNone:
		c.add(CodeMTASTSModeNone, nil)
	}
	if m.Fetch != nil {
		if ct, bad := mediaTypeProblem(m.Fetch.ContentType); bad {
			args := map[string]string{"url": m.Fetch.URL}
			if ct != "" {
				args["content_type"] = ct
			}
			c.add(CodeMTASTSMediaType, args)
		}
	}
	if p.Mode != stsModeNone && p.MaxAge < stsShortMaxAge {
		age := strconv.FormatInt(p.MaxAge, 10)
		c.add(CodeMTASTSShortMaxAge, map[string]string{"max_age": age, "mode": p.Mode})
	}
}

// mediaTypeProblem reports whether a policy's Content-Type is not
// text/plain, and names what was served ("" when the header is missing).
// Parameters (charset) are ignored.
func mediaTypeProblem(contentType string) (string, bool) {
	if strings.TrimSpace(contentType) == "" {
		return "", true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return strconv.Quote(contentType), true
	}
	if mt != stsMediaType {
		return mt, true
	}
	return "", false
}

// stsHost is the domain's MTA-STS policy as it applies to one MX host.
type stsHost struct {
	// mode is the policy's mode when it is enforce or testing, else "".
	mode string
	// covered is set when an mx pattern matches the host; pattern is it.
	covered bool
	pattern string
}

// enforced reports whether senders enforcing MTA-STS hold this host to the
// policy's requirements.
func (s stsHost) enforced() bool { return s.mode == stsModeEnforce && s.covered }

// stsForHost applies the policy p (nil when senders apply none) to one MX
// host and raises MTASTS_MX_NOT_COVERED when no mx pattern matches it.
func stsForHost(c *collector, m *evidence.MTASTS, p *evidence.STSPolicy, host string) stsHost {
	if p == nil || p.Mode != stsModeEnforce && p.Mode != stsModeTesting {
		return stsHost{}
	}
	pattern, ok := stsCovers(m, p, host)
	if !ok {
		args := map[string]string{"mode": p.Mode, "patterns": strings.Join(p.MX, ", ")}
		if p.Mode == stsModeEnforce {
			c.add(CodeMTASTSMXNotCovered, args)
		} else {
			if c.policy.v3() {
				c.add(CodeMTASTSTestingMXNotCovered, args)
			} else {
				c.addVariant(CodeMTASTSMXNotCovered, VariantTesting, args)
			}
		}
	}
	return stsHost{mode: p.Mode, covered: ok, pattern: pattern}
}

// stsCovers returns the mx pattern that covers host: as recorded in MXMatch
// when the host is there, else by matching the policy's patterns.
func stsCovers(m *evidence.MTASTS, p *evidence.STSPolicy, host string) (string, bool) {
	if pattern, ok := m.MXMatch[host]; ok {
		return pattern, pattern != ""
	}
	return mxpattern.Match(p.MX, host)
}

// enforceCheck judges one address against what a sender enforcing MTA-STS
// requires (RFC 8461 §4.2, §5, §7.2): STARTTLS with a working TLS session,
// TLS 1.2 or 1.3, and a certificate that is trusted, within its validity
// period, and valid for the MX host name through a SAN DNS-ID (a match on
// the common name alone does not count). It returns Fail with every known
// reason when any requirement definitely fails, Pass when all are known to
// hold, and NotTested otherwise: an unknown fact never fails an address.
// Each reason is a phrase (mtasts_enforce.*), worded by the templates.
func enforceCheck(st evidence.ProbeStatus, v view, cc *evidence.CertCheck) (Result, []Phrase) {
	switch st {
	case evidence.ProbeOK:
	case evidence.ProbeNoSTARTTLS:
		return Fail, []Phrase{{Code: "mtasts_enforce.no_starttls"}}
	case evidence.ProbeSTARTTLSFail, evidence.ProbeTLSFailed:
		return Fail, []Phrase{{Code: "mtasts_enforce.no_tls"}}
	default:
		return NotTested, nil
	}
	var fails []Phrase
	unknown := false
	t12, t13 := v.support(evidence.TLS12), v.support(evidence.TLS13)
	switch {
	case t12 == evidence.Supported || t13 == evidence.Supported:
	case t12 == evidence.NotSupported && t13 == evidence.NotSupported:
		fails = append(fails, Phrase{Code: "mtasts_enforce.no_tls12"})
	default:
		unknown = true
	}
	certFails, certUnknown := enforceCert(cc)
	fails = append(fails, certFails...)
	switch {
	case len(fails) > 0:
		return Fail, fails
	case unknown || certUnknown:
		return NotTested, nil
	}
	return Pass, nil
}

// enforceCert judges the certificate presented for the MX name as a sender
// enforcing MTA-STS does.
func enforceCert(cc *evidence.CertCheck) (fails []Phrase, unknown bool) {
	if cc == nil || cc.Error != nil {
		return nil, true
	}
	switch {
	case cc.Trusted == nil:
		unknown = true
	case !*cc.Trusted:
		fails = append(fails, Phrase{Code: "mtasts_enforce.untrusted", Args: untrustedArgs(cc)})
	}
	switch {
	case cc.Expired == nil:
		unknown = true
	case *cc.Expired:
		fails = append(fails, Phrase{Code: "mtasts_enforce.expired"})
	case cc.NotYetValid:
		fails = append(fails, Phrase{Code: "mtasts_enforce.not_yet_valid"})
	}
	switch {
	case cc.NameMatch == nil:
		unknown = true
	case !*cc.NameMatch:
		fails = append(fails, Phrase{Code: "mtasts_enforce.name_mismatch"})
	case strings.HasPrefix(cc.MatchedBy, cnMatchPrefix):
		fails = append(fails, Phrase{Code: "mtasts_enforce.cn_only"})
	case cc.MatchedBy == "":
		unknown = true
	}
	return fails, unknown
}

// tlsrptFindings raises the domain-level TLS-RPT findings. withPolicy says
// the domain publishes MTA-STS or DANE, whose failures TLS-RPT reports.
func tlsrptFindings(c *collector, r *evidence.TLSRPT, withPolicy bool) {
	switch {
	case r == nil:
	case txtLookupFailed(r.TXT.Status):
		st := string(r.TXT.Status)
		c.add(CodeTLSRPTLookupFailed, map[string]string{"status": st})
	case len(r.Records) == 0:
		if !txtAnswered(r.TXT.Status) {
			return
		}
		variant := ""
		if withPolicy {
			variant = VariantWithPolicy
		}
		c.addVariant(CodeTLSRPTMissing, variant, map[string]string{"status": string(r.TXT.Status)})
	case r.Error != "":
		c.add(CodeTLSRPTInvalid, map[string]string{"reason": r.Error})
	}
}

// publishesPolicy reports whether the domain publishes MTA-STS (a v=STSv1
// record, usable or not) or DANE (TLSA records for an MX host).
func publishesPolicy(d *evidence.Domain) bool {
	if m := d.MTASTS; m != nil && (len(m.Records) > 0 || m.Policy != nil) {
		return true
	}
	for _, h := range d.Hosts {
		if h.TLSA != nil && len(h.TLSA.Records) > 0 {
			return true
		}
	}
	return false
}
