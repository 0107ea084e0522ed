package grade

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// dateLayout is how certificate dates appear in finding arguments.
const dateLayout = "2006-01-02"

// collector gathers the findings of one scope (domain, host or address),
// each code at most once, and whether one of them forces F.
type collector struct {
	policy           Policy
	domain, host, ip string
	findings         []Finding
	// deduction totals the findings' deductions; forceF is set when a
	// finding's rule forces F. Both apply to every address in the scope.
	deduction int
	forceF    bool
}

func newCollector(p Policy, domain, host, ip string) *collector {
	return &collector{policy: p, domain: domain, host: host, ip: ip}
}

// add records a finding under the code's main rule unless the code was
// already recorded in this scope.
func (c *collector) add(code string, args map[string]string) {
	c.addVariant(code, "", args)
}

// addVariant records a finding under the rule RuleKey(code, variant)
// unless the code was already recorded in this scope.
func (c *collector) addVariant(code, variant string, args map[string]string) {
	if c.has(code) {
		return
	}
	r := c.policy.rule(RuleKey(code, variant))
	a := map[string]string{"domain": c.domain}
	if c.host != "" {
		a["host"] = c.host
	}
	if c.ip != "" {
		a["ip"] = c.ip
	}
	maps.Copy(a, args)
	c.findings = append(c.findings, Finding{
		Code: code, Severity: r.Severity, Deduction: r.Deduction, ForceF: r.ForceF,
		Domain: c.domain, Host: c.host, IP: c.ip, Args: a,
	})
	if r.Deduction > 0 {
		c.deduction += r.Deduction
	}
	c.forceF = c.forceF || r.ForceF
}

// addPhrases records a finding like add, with arguments worded from
// phrases (see Finding.Phrases).
func (c *collector) addPhrases(code string, args map[string]string, phrases map[string]Phrase) {
	n := len(c.findings)
	c.add(code, args)
	if len(c.findings) > n {
		c.findings[n].Phrases = phrases
	}
}

// waive marks the scope's findings of the given codes as waived for why:
// they stay listed, and their deductions are given back.
func (c *collector) waive(codes []string, why string) {
	for i := range c.findings {
		f := &c.findings[i]
		if f.Waived != "" || !slices.Contains(codes, f.Code) {
			continue
		}
		c.deduction -= f.Deduction
		f.Deduction, f.Waived = 0, why
	}
}

// has reports whether the code was recorded in this scope.
func (c *collector) has(code string) bool {
	return slices.ContainsFunc(c.findings, func(f Finding) bool { return f.Code == code })
}

// inherited is what the findings of enclosing scopes (domain, MX host) do
// to every address inside them.
type inherited struct {
	deduction int
	forceF    bool
	// findings are those of the enclosing scopes, domain first, so each
	// address can say which of them cost it points or capped its grade.
	findings []Finding
}

// with adds the findings of one more enclosing scope.
func (in inherited) with(c *collector) inherited {
	fs := append(append([]Finding(nil), in.findings...), c.findings...)
	return inherited{deduction: in.deduction + c.deduction, forceF: in.forceF || c.forceF, findings: fs}
}

// newChecks returns every check set to r.
func newChecks(r Result) map[Check]Result {
	m := make(map[Check]Result, len(Checks()))
	for _, c := range Checks() {
		m[c] = r
	}
	return m
}

// addressInput is what grading one address needs.
type addressInput struct {
	policy Policy
	domain string
	host   *evidence.Host
	addr   *evidence.Address
	// sts is the domain's MTA-STS policy as senders use it, with whether it
	// covers this host.
	sts stsHost
	// dane is the host's TLSA evaluation.
	dane hostDANE
	// outer is what the domain- and host-level findings impose.
	outer inherited
}

// probeStatus is the probe's status, read defensively because the failure
// statuses grade F: a missing probe is not tested; a failure status whose
// deciding error is itself inconclusive (a timeout, a 454 "TLS not
// available now" not confirmed by a second attempt) is inconclusive; and "no STARTTLS" when the dialogue shows EHLO never
// succeeded is inconclusive too.
func probeStatus(p *evidence.Probe) evidence.ProbeStatus {
	if p == nil || p.Status == "" {
		return evidence.ProbeNotTested
	}
	if p.Status == evidence.ProbeNoSTARTTLS && p.SMTP != nil && p.SMTP.STARTTLSOffered == nil {
		return evidence.ProbeInconclusive
	}
	switch p.Status {
	case evidence.ProbeNoSTARTTLS, evidence.ProbeSTARTTLSFail, evidence.ProbeTLSFailed:
		if p.Error.Inconclusive() {
			return evidence.ProbeInconclusive
		}
	}
	return p.Status
}

// gradeAddress applies the policy to one address.
func gradeAddress(in addressInput) AddressGrade {
	c := newCollector(in.policy, in.domain, in.host.Name, in.addr.IP)
	ag := AddressGrade{IP: in.addr.IP, Checks: newChecks(NotTested)}
	pr := in.addr.Probe
	v := newView(pr)
	st := probeStatus(pr)

	inconclusive, why := false, map[string]string(nil)
	if st == evidence.ProbeSessionFailed && !in.policy.v3() {
		// Version 2 did not look at the session: it graded what the
		// hellos showed, as it did before the status existed.
		st = evidence.ProbeOK
	}
	// Version 3 counts TLS as working only when a full handshake completed
	// and the session survived its first command. Evidence from before the
	// status session_failed existed says ok for such a server: the
	// handshake and the session are read again from the evidence.
	var sf sessionFailure
	if in.policy.v3() && (st == evidence.ProbeOK || st == evidence.ProbeSessionFailed) {
		sf = sessionOf(pr, v)
		if sf.status == "" && st == evidence.ProbeSessionFailed {
			sf = recordedSessionFailure(pr)
		}
		if sf.status != "" {
			st = sf.status
			ag.HandshakeNeverCompleted = len(sf.helloOnly) > 0
		}
	}
	switch st {
	case evidence.ProbeOK:
		ag.Checks[CheckTLS] = Pass
	case evidence.ProbeNoSTARTTLS:
		ag.Checks[CheckTLS] = Fail
		c.add(CodeNoSTARTTLS, nil)
	case evidence.ProbeSTARTTLSFail, evidence.ProbeTLSFailed:
		ag.Checks[CheckTLS] = Fail
		args := startTLSFailure(pr, st)
		if sf.cause != "" {
			args = map[string]string{"cause": sf.cause, "error": sf.err.Error()}
		}
		if len(sf.helloOnly) > 0 {
			args["suites"] = strings.Join(sf.helloOnly, ", ")
		}
		c.add(CodeSTARTTLSFailed, args)
	case evidence.ProbeInconclusive, evidence.ProbeRejected:
		ag.Checks[CheckTLS] = Inconclusive
		if sf.cause != "" {
			inconclusive, why = true, map[string]string{"cause": sf.cause, "error": sf.err.Error(), "kind": string(sf.err.Kind), "step": sf.err.Step}
		} else {
			inconclusive, why = true, probeErrorArgs(pr, st)
		}
	case evidence.ProbePrivateAddress:
		// Not dialled: the finding says why, and the address is never
		// graded as audited.
		inconclusive = true
		// The guard's own account when it gave one; the template words
		// the default.
		var args map[string]string
		if pr.Error != nil && pr.Error.Message != "" {
			args = map[string]string{"reason": pr.Error.Message}
		}
		c.add(CodeMXPrivateAddress, args)
	default:
		inconclusive, why = true, probeErrorArgs(pr, st)
	}

	if pr != nil {
		versionChecks(c, ag.Checks, v, st == evidence.ProbeOK)
		suiteChecks(c, ag.Checks, v, st == evidence.ProbeOK)
		if pr.SMTP != nil && pr.SMTP.STARTTLSAfterTLS != nil && *pr.SMTP.STARTTLSAfterTLS {
			c.add(CodeSTARTTLSAfterTLS, nil)
		}
		if d := pr.SMTP; d != nil && d.DataAfterSTARTTLS != nil {
			n := strconv.Itoa(d.DataAfterSTARTTLS.Bytes)
			c.add(CodeDataAfterSTARTTLS, map[string]string{"bytes": n, "hex": d.DataAfterSTARTTLS.Hex})
		}
		if len(pr.Anomalies) > 0 {
			list := strings.Join(pr.Anomalies, "; ")
			c.add(CodeProtocolAnomaly, map[string]string{"anomalies": list})
		}
		vulnChecks(c, v, pr)
	}
	if st == evidence.ProbeInconclusive || st == evidence.ProbeRejected {
		// The probe ran but learnt nothing: what it would have told is
		// inconclusive rather than never attempted.
		for _, ch := range Checks() {
			if ch != CheckCertName && ch != CheckVerifiable && ag.Checks[ch] == NotTested {
				ag.Checks[ch] = Inconclusive
			}
		}
	}
	certChecks(c, ag.Checks, in.addr.Cert, in.policy)
	otherCertChecks(c, ag.Checks, in.addr.OtherCerts, in.policy)

	if st == evidence.ProbeOK && !inconclusive {
		for _, ver := range []string{evidence.TLS12, evidence.TLS13} {
			if !v.known(ver) {
				inconclusive, why = true, versionUnknownArgs(v, ver)
				break
			}
		}
	}

	// What a sender enforcing MTA-STS requires is judged only on an address
	// the probe could audit: an unknown fact never fails it. A DANE mismatch
	// is a fact about the presented chain and is reported whatever the
	// probe learnt, but an address that could not be audited stays "?".
	enforce := NotTested
	if in.sts.enforced() && !inconclusive {
		var reasons []Phrase
		enforce, reasons = enforceCheck(st, v, in.addr.Cert)
		enforce, reasons = othersEnforce(st, v, in.addr.OtherCerts, in.policy, enforce, reasons)
		if enforce == Fail {
			list := Phrase{Code: "mtasts_enforce.reasons", Items: reasons}
			c.addPhrases(CodeMTASTSEnforceMXFails, map[string]string{"pattern": in.sts.pattern}, map[string]Phrase{"reasons": list})
		}
	}
	daneMatch, daneVia := addressDANE(in.dane, in.addr, in.policy)
	dstate := in.dane.addressState(daneMatch)
	if in.policy.v3() && dstate == daneValid && matchedByEE(in.addr.DANE) && othersMatchedByEE(in.addr.OtherCerts) {
		// RFC 7672 §3.1.1: DANE senders authenticate a DANE-EE chain by
		// its key alone, without PKIX trust, names or dates.
		c.waive(waivedByDANEEE(), WaivedDANEEE)
	}
	if dstate == daneInvalid {
		// "detail" is the matcher's account, "via" how the certificate
		// that fails was obtained when it is not the default one.
		args := map[string]string{"records": strings.Join(in.dane.usableLabels(), ", ")}
		if r := daneMatch.Reason; r != "" {
			args["detail"] = r
		}
		if daneVia != "" {
			args["via"] = daneVia
		}
		c.add(CodeDANEInvalid, args)
	}

	if inconclusive {
		ag.Inconclusive = true
		ag.Grade = GradeInconclusive
		if why != nil {
			c.add(CodeInconclusive, why)
		}
	} else {
		ag.Score, ag.Grade = c.score(in.outer)
		if ag.Grade == GradeA && aPlus(v, enforce, dstate) {
			ag.Grade = GradeAPlus
			ag.APlusWhy = aPlusReason(enforce, dstate)
		}
		// The score's arithmetic and what capped it, from the enclosing
		// scopes first: the same findings in the same order as c.score.
		ag.Deductions, ag.Caps = explain(append(append([]Finding(nil), in.outer.findings...), c.findings...))
	}
	ag.ForcedTLS, ag.ForcedTLSWhy = addressForcedTLS(ag, v)
	ag.Findings = c.findings
	sortFindings(ag.Findings)
	return ag
}

// sessionFailure is why version 3 does not count TLS as working on an
// address whose probe status is ok; the zero value when it does.
type sessionFailure struct {
	// status replaces the probe's: tls_failed, or inconclusive when the
	// failure says nothing about the server (a timeout, a hang-up).
	status evidence.ProbeStatus
	// cause says what failed, for the templates to word: hello_only or
	// session_ended (STARTTLS_FAILED), hello_incomplete or
	// session_unchecked (INCONCLUSIVE); "" when nothing failed.
	cause string
	err   *evidence.Error
	// helloOnly names the suites chosen in a ServerHello of a handshake
	// that never completed.
	helloOnly []string
}

// recordedSessionFailure is the failure a session_failed probe records,
// for evidence whose handshake and session sessionOf cannot read again:
// never a pass, inconclusive when the recorded error says nothing about
// the server.
func recordedSessionFailure(pr *evidence.Probe) sessionFailure {
	e := pr.Error
	if e == nil {
		// No error recorded: a failed handshake, said without details.
		e = &evidence.Error{Kind: evidence.ErrTLS}
	}
	inside := e.Step == evidence.StepPostTLSEHLO
	switch {
	case e.Inconclusive() && inside:
		return sessionFailure{status: evidence.ProbeInconclusive, err: e, cause: causeSessionUnchecked}
	case e.Inconclusive():
		return sessionFailure{status: evidence.ProbeInconclusive, err: e, cause: causeHelloIncomplete}
	case inside:
		return sessionFailure{status: evidence.ProbeTLSFailed, err: e, cause: causeSessionEnded}
	}
	return sessionFailure{status: evidence.ProbeTLSFailed, err: e, cause: causeHandshakeFailed}
}

// sessionOf checks, for an ok or session_failed probe, that a full handshake completed and
// that the session survived the first command inside TLS.
//
// A full handshake that failed although the server accepted, in the raw
// hellos, a suite it also offered broke after the ServerHello: the server
// chose that suite, then ended the handshake. A TLS alert from the server
// makes that a TLS failure (STARTTLS_FAILED); a timeout or a hang-up makes
// the address inconclusive; a failure of our own client (a certificate it
// cannot parse) is not held against the server. Evidence from before the
// handshake recorded what it offered cannot tell, and is left as it is.
func sessionOf(pr *evidence.Probe, v view) sessionFailure {
	hs := pr.Handshake
	if hs != nil && !hs.OK && hs.Error != nil && len(hs.Offered) > 0 {
		offered := map[string]bool{}
		for _, code := range hs.Offered {
			offered[normCode(code)] = true
		}
		var chosen []accepted
		for _, a := range v.acceptedSuites(tlsVersions()...) {
			if offered[normCode(a.suite.Code)] {
				chosen = append(chosen, a)
			}
		}
		if len(chosen) > 0 {
			names := uniqueNames(chosen)
			e := hs.Error
			switch {
			case e.Inconclusive():
				return sessionFailure{status: evidence.ProbeInconclusive, err: e, helloOnly: names, cause: causeHelloIncomplete}
			case e.RemoteTLSFailure():
				return sessionFailure{status: evidence.ProbeTLSFailed, err: e, helloOnly: names, cause: causeHelloOnly}
			}
		}
	}
	if pr.SMTP != nil && pr.SMTP.PostTLSError != nil {
		e := pr.SMTP.PostTLSError
		if e.Inconclusive() {
			return sessionFailure{status: evidence.ProbeInconclusive, err: e, cause: causeSessionUnchecked}
		}
		return sessionFailure{status: evidence.ProbeTLSFailed, err: e, cause: causeSessionEnded}
	}
	return sessionFailure{}
}

// WaivedDANEEE is Finding.Waived for the certificate findings a
// DNSSEC-secure DANE-EE match waives.
const WaivedDANEEE = "dane-ee"

// waivedByDANEEE are the findings DANE-EE senders never check (RFC 7672
// §3.1.1): PKIX trust, the names in the certificate and its dates.
func waivedByDANEEE() []string {
	return []string{CodeCertUntrusted, CodeCertChainIncomplete, CodeCertNameMismatch, CodeCertExpired, CodeCertNotYetValid, CodeCertExpiresSoon}
}

// matchedByEE reports whether a DANE-EE (usage 3) record matched the chain.
func matchedByEE(m *evidence.DANEMatch) bool {
	if m == nil {
		return false
	}
	for _, label := range m.Matched {
		if strings.HasPrefix(label, "3 ") {
			return true
		}
	}
	return false
}

// score subtracts the address's own deductions and those of the enclosing
// domain and host (each code once per scope, as the collectors keep them)
// and picks the letter; a rule with ForceF in any of these scopes makes it F.
func (c *collector) score(outer inherited) (int, Grade) {
	s := max(fullScore-c.deduction-outer.deduction, minimumZero)
	if c.forceF || outer.forceF {
		return s, GradeF
	}
	return s, letter(s)
}

// startTLSFailure gives the facts of why STARTTLS did not lead to TLS:
// "cause" refused (with the server's "reply_code", first "reply" line and
// the "attempts" of a confirmed refusal) or handshake_failed, and the
// recorded "error" when the reply does not say it all.
func startTLSFailure(p *evidence.Probe, st evidence.ProbeStatus) map[string]string {
	args := map[string]string{"cause": causeHandshakeFailed}
	if st == evidence.ProbeSTARTTLSFail {
		args["cause"] = causeRefused
		if p.SMTP != nil && p.SMTP.STARTTLS != nil {
			// The reply says it all; the error would repeat it.
			args["reply_code"] = strconv.Itoa(p.SMTP.STARTTLS.Code)
			if len(p.SMTP.STARTTLS.Lines) > 0 {
				args["reply"] = p.SMTP.STARTTLS.Lines[0]
			}
			if p.Error.ConfirmedSTARTTLSRefusal() {
				args["attempts"] = strconv.Itoa(p.Error.Attempts)
			}
			return args
		}
	}
	if p.Error != nil && p.Error.Message != "" {
		args["error"] = p.Error.Error()
	}
	return args
}

// Causes of STARTTLS_FAILED and of an inconclusive session ("cause"),
// which the templates word.
const (
	causeRefused          = "refused"
	causeHandshakeFailed  = "handshake_failed"
	causeHelloOnly        = "hello_only"
	causeSessionEnded     = "session_ended"
	causeHelloIncomplete  = "hello_incomplete"
	causeSessionUnchecked = "session_unchecked"
)

// Causes of an inconclusive address or domain (INCONCLUSIVE's "cause"),
// which the templates word; a recorded error is given by its parts instead
// ("kind", "step", "code", "error").
const (
	causeNotProbed      = "not_probed"
	causeNotTested      = "not_tested"
	causeRejected       = "rejected"
	causeUnclear        = "unclear"
	causeNoMXHost       = "no_mx_host"
	causeVersionUnknown = "version_unknown"
)

// probeErrorArgs gives the facts of an inconclusive or untested probe.
func probeErrorArgs(p *evidence.Probe, st evidence.ProbeStatus) map[string]string {
	args := map[string]string{}
	switch {
	case p == nil:
		args["cause"] = causeNotProbed
	case st == evidence.ProbeNotTested:
		args["cause"] = causeNotTested
	case st == evidence.ProbeRejected:
		args["cause"] = causeRejected
	default:
		args["cause"] = causeUnclear
	}
	if p != nil && p.Error != nil {
		errorArgs(args, p.Error)
	}
	return args
}

// errorArgs adds a recorded error's parts to args.
func errorArgs(args map[string]string, e *evidence.Error) {
	args["kind"] = string(e.Kind)
	if e.Step != "" {
		args["step"] = e.Step
	}
	if e.Code != 0 {
		args["code"] = strconv.Itoa(e.Code)
	}
	args["error"] = e.Message
}

// versionUnknownArgs gives the facts of a version that decides the grade
// but whose support is unknown: "detail" is the recorded error, the
// probe's own account, or the support state.
func versionUnknownArgs(v view, version string) map[string]string {
	args := map[string]string{"cause": causeVersionUnknown, "version": version}
	detail := string(v.support(version))
	if vr, ok := v.byVersion[version]; ok {
		if vr.Error != nil {
			args["kind"] = string(vr.Error.Kind)
			detail = vr.Error.Error()
		} else if vr.Reason != "" {
			detail = vr.Reason
		}
	}
	args["detail"] = detail
	return args
}

// resultOfSupport turns a version's support into a "supported?" result.
func resultOfSupport(s evidence.Support) Result {
	switch s {
	case evidence.Supported:
		return Pass
	case evidence.NotSupported:
		return Fail
	case evidence.Inconclusive:
		return Inconclusive
	}
	return NotTested
}

// invert swaps pass and fail, for a check that passes when a version is refused.
func invert(r Result) Result {
	switch r {
	case Pass:
		return Fail
	case Fail:
		return Pass
	}
	return r
}

// versionChecks fills the version columns and raises version findings.
// Findings about something missing are raised only when TLS works (tlsOK):
// with no TLS at all they would repeat STARTTLS_FAILED.
func versionChecks(c *collector, checks map[Check]Result, v view, tlsOK bool) {
	switch v.support(evidence.SSLv3) {
	case evidence.Supported:
		checks[CheckSSLv3Off] = Fail
	case evidence.NotSupported:
		checks[CheckSSLv3Off] = Pass
	case evidence.Inconclusive:
		checks[CheckSSLv3Off] = Inconclusive
	}
	// Refusing TLS 1.0 is the good state, so its check is inverted.
	checks[CheckTLS10Off] = invert(resultOfSupport(v.support(evidence.TLS10)))
	checks[CheckTLS12] = resultOfSupport(v.support(evidence.TLS12))
	checks[CheckTLS13] = resultOfSupport(v.support(evidence.TLS13))

	if v.support(evidence.SSLv2) == evidence.Supported {
		args := versionSuitesArgs(v, evidence.SSLv2)
		c.add(CodeSSLv2Enabled, args)
	}
	if v.support(evidence.SSLv3) == evidence.Supported {
		args := versionSuitesArgs(v, evidence.SSLv3)
		c.add(CodeSSLv3Enabled, args)
	}
	if v.support(evidence.TLS10) == evidence.Supported {
		c.add(CodeTLS10Enabled, map[string]string{"version": evidence.TLS10})
	}
	if v.support(evidence.TLS11) == evidence.Supported {
		c.add(CodeTLS11Enabled, map[string]string{"version": evidence.TLS11})
	}
	if !tlsOK {
		return
	}
	if v.support(evidence.TLS12) == evidence.NotSupported && v.support(evidence.TLS13) == evidence.NotSupported {
		var supported []string
		for _, ver := range evidence.Versions {
			if v.support(ver) == evidence.Supported {
				supported = append(supported, ver)
			}
		}
		list := strings.Join(supported, ", ")
		c.add(CodeNoModernTLS, map[string]string{"versions": list})
	}
	if v.support(evidence.TLS13) == evidence.NotSupported {
		c.add(CodeNoTLS13, map[string]string{"version": evidence.TLS13})
	}
}

// versionSuitesArgs names a version and the suites accepted under it.
func versionSuitesArgs(v view, version string) map[string]string {
	args := map[string]string{"version": version}
	if names := uniqueNames(v.acceptedSuites(version)); len(names) > 0 {
		args["suites"] = strings.Join(names, ", ")
	}
	return args
}

// suiteChecks fills the suite columns and raises suite findings.
func suiteChecks(c *collector, checks map[Check]Result, v view, tlsOK bool) {
	if len(v.byVersion) == 0 && v.handshake() == nil {
		return // nothing about suites was observed: the checks stay not tested
	}
	all := v.acceptedSuites(evidence.Versions...)
	tlsSuites := v.acceptedSuites(tlsVersions()...)
	suitesArg := map[string]string{}
	if names := uniqueNames(tlsSuites); len(names) > 0 {
		suitesArg["suites"] = strings.Join(names, ", ")
	}

	cats, grouped := weakSummary(all)
	switch {
	case grouped != "":
		checks[CheckWeakOff] = Fail
		c.add(CodeWeakCiphers, map[string]string{"categories": cats, "suites": grouped})
	case v.complete(evidence.Versions...):
		checks[CheckWeakOff] = Pass
	default:
		checks[CheckWeakOff] = Inconclusive
	}

	// Rev. 2 supersedes Rev. 1, and mxaudit's Rev. 1 list is only a partial
	// reconstruction: a suite on either list meets the r1 check, so a server
	// offering only DHE_RSA AES-GCM or only TLS 1.3 is not penalised for a gap
	// in our copy of a withdrawn table.
	checks[CheckNISTR1] = listCheck(tlsSuites, inNISTR1OrR2, v.complete(tlsVersions()...))
	if checks[CheckNISTR1] == Fail && tlsOK {
		c.add(CodeNoNISTR1Suite, suitesArg)
	}
	checks[CheckNISTR2] = listCheck(tlsSuites, inNISTR2, v.complete(tlsVersions()...))
	if checks[CheckNISTR2] == Fail && tlsOK {
		c.add(CodeNoNISTR2Suite, suitesArg)
	}
	checks[CheckForwardSecrecy] = anyCheck(tlsSuites, forwardSecret, v.complete(tlsVersions()...))
	if checks[CheckForwardSecrecy] == Fail && tlsOK {
		c.add(CodeNoForwardSecrecy, suitesArg)
	}

	critical, weak := kxWeaknesses(all)
	if len(critical) > 0 {
		d := Phrase{Code: "kx.weaknesses", Items: critical}
		c.addPhrases(CodeWeakDHCritical, nil, map[string]Phrase{"details": d})
	}
	if len(weak) > 0 {
		d := Phrase{Code: "kx.weaknesses", Items: weak}
		c.addPhrases(CodeWeakDH, nil, map[string]Phrase{"details": d})
	}

	var clientOrder []string
	for _, ver := range evidence.Versions {
		vr, ok := v.byVersion[ver]
		if !ok || vr.Support != evidence.Supported || vr.Preference != evidence.PreferClient {
			continue
		}
		if slices.ContainsFunc(vr.Suites, func(s evidence.Suite) bool { return len(weakCategories(s)) > 0 }) {
			clientOrder = append(clientOrder, ver)
		}
	}
	if len(clientOrder) > 0 {
		list := strings.Join(clientOrder, ", ")
		c.add(CodeClientCipherOrder, map[string]string{"versions": list})
	}
}

// listCheck passes when an accepted suite is in the list, fails when the
// enumeration is complete and none is, and is inconclusive otherwise.
func listCheck(as []accepted, in func(string) bool, complete bool) Result {
	return anyCheck(as, func(a accepted) bool { return in(a.suite.Code) }, complete)
}

func anyCheck(as []accepted, ok func(accepted) bool, complete bool) Result {
	if slices.ContainsFunc(as, ok) {
		return Pass
	}
	if complete {
		return Fail
	}
	return Inconclusive
}

// certChecks fills the certificate columns and raises certificate findings.
func certChecks(c *collector, checks map[Check]Result, cc *evidence.CertCheck, p Policy) {
	if cc == nil {
		return
	}
	if cc.Error != nil && cc.Error.Inconclusive() {
		checks[CheckCertName] = Inconclusive
		checks[CheckVerifiable] = Inconclusive
		return
	}
	checks[CheckCertName] = boolResult(cc.NameMatch)
	checks[CheckVerifiable] = verifiable(cc)

	var leaf evidence.Certificate
	if len(cc.Chain) > 0 {
		leaf = cc.Chain[0]
	}
	if cc.Expired != nil && *cc.Expired {
		c.add(CodeCertExpired, map[string]string{"not_after": leaf.NotAfter.Format(dateLayout), "days": strconv.Itoa(cc.DaysToExpiry)})
	}
	if cc.Expired != nil && cc.NotYetValid {
		c.add(CodeCertNotYetValid, map[string]string{"not_before": leaf.NotBefore.Format(dateLayout)})
	}
	if cc.Expired != nil && !*cc.Expired && !cc.NotYetValid && cc.DaysToExpiry <= p.expiryWarnDays() {
		c.add(CodeCertExpiresSoon, map[string]string{"not_after": leaf.NotAfter.Format(dateLayout), "days": strconv.Itoa(cc.DaysToExpiry)})
	}
	if cc.Trusted != nil && !*cc.Trusted {
		args := untrustedArgs(cc)
		args["subject"], args["issuer"] = leaf.Subject, leaf.Issuer
		c.add(CodeCertUntrusted, args)
	}
	if cc.ChainIncomplete {
		c.add(CodeCertChainIncomplete, map[string]string{"issuer": leaf.Issuer})
	}
	if cc.NameMatch != nil && !*cc.NameMatch {
		names := strings.Join(leaf.DNSNames, ", ")
		if names == "" && leaf.CommonName != "" {
			names = "CN " + leaf.CommonName
		}
		c.add(CodeCertNameMismatch, map[string]string{"names": names})
	}
	if cc.WeakKey != "" {
		c.add(CodeCertWeakKey, map[string]string{"key": cc.WeakKey})
	}
	if sig := strings.ToUpper(cc.WeakSignature); sig != "" {
		args := map[string]string{"signature": cc.WeakSignature}
		switch {
		case strings.Contains(sig, "MD5"), strings.Contains(sig, "MD2"):
			c.add(CodeCertWeakSignatureMD5, args)
		case strings.Contains(sig, "SHA1"):
			c.add(CodeCertWeakSignatureSHA1, args)
		}
	}
}

// untrustedArgs gives why a chain is not trusted: "cause" (self_signed,
// issuer_missing, verify_error with the verifier's "error", or
// chain_invalid), as CERT_UNTRUSTED and the MTA-STS enforce reasons carry
// it for the templates to word.
func untrustedArgs(cc *evidence.CertCheck) map[string]string {
	switch {
	case cc.SelfSigned:
		return map[string]string{"cause": "self_signed"}
	case cc.ChainIncomplete:
		return map[string]string{"cause": "issuer_missing"}
	case cc.TrustError != "":
		return map[string]string{"cause": "verify_error", "error": cc.TrustError}
	}
	return map[string]string{"cause": "chain_invalid"}
}

// boolResult maps a three-state fact to a result.
func boolResult(b *bool) Result {
	switch {
	case b == nil:
		return NotTested
	case *b:
		return Pass
	}
	return Fail
}

// verifiable is trusted, named for the host and within its validity
// window: any known failure fails, all known good passes, else not tested.
func verifiable(cc *evidence.CertCheck) Result {
	if cc.Trusted != nil && !*cc.Trusted || cc.NameMatch != nil && !*cc.NameMatch ||
		cc.Expired != nil && (*cc.Expired || cc.NotYetValid) {
		return Fail
	}
	if cc.Trusted == nil || cc.NameMatch == nil || cc.Expired == nil {
		return NotTested
	}
	return Pass
}

// aPlus reports whether an address that scored 100 earns A+: TLS 1.3 and
// an authenticated transport senders enforce. Either the domain's MTA-STS
// policy is in enforce mode, covers the host, and the address meets every
// requirement of a sender enforcing it (enforce is the result of
// enforceCheck; testing mode never qualifies), or the address's DANE state
// is valid: DNSSEC-secure, usable TLSA records that the chain matches.
func aPlus(v view, enforce Result, dstate daneState) bool {
	if v.support(evidence.TLS13) != evidence.Supported {
		return false
	}
	return enforce == Pass || dstate == daneValid
}

// aPlusReason says what earned an A+ besides the perfect score.
func aPlusReason(enforce Result, dstate daneState) *Phrase {
	if enforce == Pass {
		return say("a_plus.mta_sts")
	}
	if dstate == daneValid {
		return say("a_plus.dane")
	}
	return nil
}

// addressForcedTLS is the address's part of the Forced-TLS verdict. A
// definite failure decides even when other facts are unknown. The verdict
// is about TLS capability only: MTA-STS, DANE and DNSSEC findings, critical
// or not, leave it unchanged.
func addressForcedTLS(ag AddressGrade, v view) (ForcedTLS, *Phrase) {
	anyVersion := Fail
	for _, ver := range tlsVersions() {
		anyVersion = bestResult(anyVersion, resultOfSupport(v.support(ver)))
	}
	switch {
	case ag.Checks[CheckTLS] == Fail:
		return ForcedTLSNotEligible, say("forced_tls.no_tls")
	case anyVersion == Fail:
		return ForcedTLSNotEligible, say("forced_tls.no_version")
	case ag.Checks[CheckNISTR1] == Fail:
		return ForcedTLSNotEligible, say("forced_tls.no_nist_r1_suite")
	case ag.Inconclusive:
		return ForcedTLSUnknown, say("forced_tls.not_audited")
	case ag.Checks[CheckTLS] != Pass, anyVersion != Pass:
		return ForcedTLSUnknown, say("forced_tls.tls_unknown")
	case ag.Checks[CheckNISTR1] != Pass:
		return ForcedTLSUnknown, say("forced_tls.suites_incomplete")
	}
	return ForcedTLSEligible, nil
}

// bestResult returns the better of two results.
func bestResult(a, b Result) Result {
	if resultRank(b) > resultRank(a) {
		return b
	}
	return a
}
