package grade

import (
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// The sender-authentication profiles: CISA BOD 18-01 §II.1.a with its
// implementation guide, and the NIST SP 800-177 Rev. 1 recommendations,
// judged for one domain from its evidence and its transport grade. Each
// control says pass, fail, not_applicable or incomplete with its reason;
// a control whose evidence is missing or inconclusive is incomplete,
// never a pass.

// SenderProfiles lists the names of the sender-authentication profiles.
func SenderProfiles() []string { return []string{FrameworkBOD1801, FrameworkNIST177} }

// control is one control's outcome: its title is the phrase "title." +
// id and its reason why, both worded from the templates.
func control(id string, st ControlStatus, why *Phrase) Control {
	return Control{ID: id, Status: st, Why: why}
}

func framework(name string, cs []Control) Framework {
	return Framework{Name: name, Status: Rollup(cs), Controls: cs}
}

// BOD1801 judges CISA BOD 18-01 for the domain. A domain with a null MX is
// judged as one that sends no mail: its mail-server controls do not apply
// and it passes with "v=spf1 -all" and DMARC p=reject.
func BOD1801(d *evidence.Domain, dg *DomainGrade) Framework {
	ns := nonSending(d)
	var cs []Control
	cs = append(cs, transportControls("bod1801", d, dg)...)
	cs = append(cs, spfControl("bod1801.spf", d))
	m := d.DMARC
	dmarcKnown := func(id string) (Control, bool) {
		switch {
		case m == nil:
			return control(id, ControlIncomplete, say("control.dmarc_not_checked")), false
		case m.Status == evidence.DMARCTempError:
			return control(id, ControlIncomplete, say("control.dmarc_unreadable", "reason", m.Reason)), false
		case m.Status == evidence.DMARCMissing:
			return control(id, ControlFail, say("control.dmarc_missing")), false
		case m.Status == evidence.DMARCInvalid:
			return control(id, ControlFail, say("control.dmarc_invalid", "reason", m.Reason)), false
		}
		return Control{}, true
	}
	if c, ok := dmarcKnown("bod1801.dmarc_reject"); !ok {
		cs = append(cs, c)
	} else if m.Policy == "reject" {
		cs = append(cs, control("bod1801.dmarc_reject", ControlPass, say("control.dmarc_reject", "policy_domain", m.PolicyDomain)))
	} else {
		cs = append(cs, control("bod1801.dmarc_reject", ControlFail, say("control.dmarc_not_reject", "p", m.Policy)))
	}
	if c, ok := dmarcKnown("bod1801.dmarc_sp"); !ok {
		cs = append(cs, c)
	} else {
		st := ControlFail
		if policyRank(m.SubdomainPolicy) >= 3 {
			st = ControlPass
		}
		cs = append(cs, control("bod1801.dmarc_sp", st, say("control.dmarc_sp", "sp", m.SubdomainPolicy, "source", spSource(m))))
	}
	if c, ok := dmarcKnown("bod1801.dmarc_pct"); !ok {
		cs = append(cs, c)
	} else if m.PCT == nil || *m.PCT == 100 {
		cs = append(cs, control("bod1801.dmarc_pct", ControlPass, say("control.dmarc_pct", "pct", "100")))
	} else {
		cs = append(cs, control("bod1801.dmarc_pct", ControlFail, say("control.dmarc_pct", "pct", strconv.Itoa(*m.PCT))))
	}
	if c, ok := dmarcKnown("bod1801.dmarc_rua"); !ok {
		cs = append(cs, c)
	} else if ok := authorisedRUA(m); len(ok) > 0 {
		cs = append(cs, control("bod1801.dmarc_rua", ControlPass, say("control.rua", "rua", joinAll(ok))))
	} else if ns {
		cs = append(cs, control("bod1801.dmarc_rua", ControlNotApplicable, say("control.rua_not_sending")))
	} else if unknownDest(m) {
		cs = append(cs, control("bod1801.dmarc_rua", ControlIncomplete, say("control.rua_unknown")))
	} else if len(m.RUA) > 0 {
		cs = append(cs, control("bod1801.dmarc_rua", ControlFail, say("control.rua_unauthorised", "destinations", joinAll(unauthorisedDestinations(m)))))
	} else {
		cs = append(cs, control("bod1801.dmarc_rua", ControlFail, say("control.rua_missing")))
	}
	return framework(FrameworkBOD1801, cs)
}

// spSource says where the subdomain policy comes from: "sp" when the
// record sets it, "p" when subdomains take the domain's policy.
func spSource(m *evidence.DMARC) string {
	if m.SubdomainPolicySet {
		return "sp"
	}
	return "p"
}

func unknownDest(m *evidence.DMARC) bool {
	for _, dd := range m.Destinations {
		if dd.Auth == evidence.DestUnknown {
			return true
		}
	}
	return false
}

// spfControl judges the SPF record: valid and not authorising everyone;
// for a domain that sends no mail, -all.
func spfControl(id string, d *evidence.Domain) Control {
	s := d.SPF
	switch {
	case s == nil:
		return control(id, ControlIncomplete, say("control.spf_not_checked"))
	case s.Status == evidence.SPFTempError:
		return control(id, ControlIncomplete, say("control.spf_unreadable", "reason", s.Reason))
	case s.Status == evidence.SPFMissing:
		return control(id, ControlFail, say("control.spf_missing"))
	case s.Status == evidence.SPFPermError:
		return control(id, ControlFail, say("control.spf_permerror", "reason", s.Reason))
	case nonSending(d) && s.All != "-all":
		return control(id, ControlFail, say("control.spf_not_sending", "all", s.All))
	case s.All == "+all" || s.All == "?all" || s.All == "":
		return control(id, ControlFail, say("control.spf_all", "all", s.All))
	}
	return control(id, ControlPass, say("control.spf_valid", "all", s.All, "lookups", strconv.Itoa(s.Lookups)))
}

// addressOutcome walks every audited address of the domain: fail when any
// address fails test, incomplete when any could not be judged.
func addressOutcome(d *evidence.Domain, test func(v view) ControlStatus) (ControlStatus, []string, int) {
	var failed, unknown []string
	n := 0
	for _, h := range d.Hosts {
		for _, a := range h.Addresses {
			n++
			switch test(newView(a.Probe)) {
			case ControlFail:
				failed = append(failed, h.Name+" ("+a.IP+")")
			case ControlIncomplete:
				unknown = append(unknown, h.Name+" ("+a.IP+")")
			}
		}
	}
	switch {
	case len(failed) > 0:
		return ControlFail, failed, n
	case len(unknown) > 0 || n == 0:
		return ControlIncomplete, unknown, n
	}
	return ControlPass, nil, n
}

// transportControls are BOD 18-01's mail-server controls: STARTTLS on
// every address, SSLv2 and SSLv3 off, RC4 and 3DES off.
func transportControls(prefix string, d *evidence.Domain, dg *DomainGrade) []Control {
	ids := [3]string{prefix + ".starttls", prefix + ".no_sslv2_sslv3", prefix + ".no_rc4_3des"}
	if d.MX.Kind == evidence.MXNull || d.MX.Kind == evidence.MXNone {
		why := say("control.null_mx")
		if d.MX.Kind == evidence.MXNone {
			why = say("control.no_mx")
		}
		return []Control{
			control(ids[0], ControlNotApplicable, why),
			control(ids[1], ControlNotApplicable, why),
			control(ids[2], ControlNotApplicable, why),
		}
	}
	// pass and fail name the phrases of the two outcomes ("count" and
	// "addresses" their facts).
	mk := func(id string, st ControlStatus, list []string, n int, pass, fail string) Control {
		switch st {
		case ControlFail:
			return control(id, st, say(fail, "addresses", joinAll(list)))
		case ControlIncomplete:
			if n == 0 {
				return control(id, st, say("control.no_address_audited"))
			}
			return control(id, st, say("control.not_determined", "addresses", joinAll(list)))
		}
		return control(id, st, say(pass, "count", strconv.Itoa(n)))
	}
	st, list, n := addressOutcome(d, startTLSControl)
	out := []Control{mk(ids[0], st, list, n, "control.starttls_pass", "control.starttls_fail")}
	st, list, n = addressOutcome(d, func(v view) ControlStatus {
		if !hellosAnswered(v.probe) {
			return ControlIncomplete
		}
		s2, s3 := v.support(evidence.SSLv2), v.support(evidence.SSLv3)
		switch {
		case s2 == evidence.Supported || s3 == evidence.Supported:
			return ControlFail
		case s2 == evidence.NotSupported && s3 == evidence.NotSupported:
			return ControlPass
		}
		return ControlIncomplete
	})
	out = append(out, mk(ids[1], st, list, n, "control.ssl_pass", "control.ssl_fail"))
	st, list, n = addressOutcome(d, func(v view) ControlStatus {
		if !hellosAnswered(v.probe) {
			return ControlIncomplete
		}
		for _, a := range v.acceptedSuites(evidence.Versions...) {
			if a.suite.Flags.RC4 || a.suite.Flags.TripleDES {
				return ControlFail
			}
		}
		if !v.complete(evidence.Versions...) {
			return ControlIncomplete
		}
		return ControlPass
	})
	out = append(out, mk(ids[2], st, list, n, "control.rc4_3des_pass", "control.rc4_3des_fail"))
	return out
}

// NIST800177 judges the NIST SP 800-177 Rev. 1 recommendations for the
// domain: SPF (4-1), DKIM keys where selectors are known (4-3), DMARC,
// DNSSEC on the domain's MX records (4-2), and for receiving: MTA-STS or
// DANE to authenticate the server, TLS per SP 800-52 Rev. 2.
func NIST800177(d *evidence.Domain, dg *DomainGrade) Framework {
	ns := nonSending(d)
	cs := []Control{spfControl("nist800177.spf", d)}
	cs = append(cs, dkimControl(d))

	const dmarcID = "nist800177.dmarc"
	m := d.DMARC
	switch {
	case m == nil:
		cs = append(cs, control(dmarcID, ControlIncomplete, say("control.dmarc_not_checked")))
	case m.Status == evidence.DMARCTempError:
		cs = append(cs, control(dmarcID, ControlIncomplete, say("control.dmarc_unreadable", "reason", m.Reason)))
	case m.Status != evidence.DMARCValid:
		cs = append(cs, control(dmarcID, ControlFail, say("control.dmarc_status", "status", string(m.Status), "reason", m.Reason)))
	case policyRank(m.Policy) >= 2:
		cs = append(cs, control(dmarcID, ControlPass, say("control.dmarc_policy", "p", m.Policy)))
	default:
		cs = append(cs, control(dmarcID, ControlFail, say("control.dmarc_monitoring")))
	}

	const dnssecID = "nist800177.dnssec"
	switch st := d.MX.Lookup.DNSSEC; st {
	case evidence.DNSSECSecure:
		cs = append(cs, control(dnssecID, ControlPass, say("control.dnssec_secure")))
	case evidence.DNSSECInsecure:
		cs = append(cs, control(dnssecID, ControlFail, say("control.dnssec_insecure")))
	case evidence.DNSSECBogus:
		cs = append(cs, control(dnssecID, ControlFail, say("control.dnssec_bogus")))
	case evidence.DNSSECNotChecked:
		cs = append(cs, control(dnssecID, ControlIncomplete, say("control.dnssec_not_checked")))
	default:
		cs = append(cs, control(dnssecID, ControlIncomplete, say("control.dnssec_status", "status", string(st))))
	}

	if ns || d.MX.Kind == evidence.MXNone {
		why := say("control.receives_no_mail")
		if !ns {
			why = say("control.no_mail_server")
		}
		cs = append(cs, control("nist800177.server_auth", ControlNotApplicable, why),
			control("nist800177.tls", ControlNotApplicable, why))
		return framework(FrameworkNIST177, cs)
	}
	cs = append(cs, serverAuthControl(d))
	cs = append(cs, tlsControl(dg))
	return framework(FrameworkNIST177, cs)
}

func dkimControl(d *evidence.Domain) Control {
	const id = "nist800177.dkim"
	if nonSending(d) {
		return control(id, ControlNotApplicable, say("control.sends_no_mail"))
	}
	if len(d.DKIM) == 0 {
		return control(id, ControlNotApplicable, say("control.dkim_no_selector"))
	}
	var bad, good []Phrase
	var unknown []string
	for _, k := range d.DKIM {
		switch k.Status {
		case evidence.DKIMKeyOK:
			key := *say("control.dkim_key", "selector", k.Selector, "type", strings.ToUpper(k.KeyType), "bits", strconv.Itoa(k.Bits))
			if k.KeyType == "rsa" && k.Bits < dkimGoodRSABits {
				bad = append(bad, key)
			} else {
				good = append(good, key)
			}
		case evidence.DKIMRevoked:
		case evidence.DKIMTempError:
			unknown = append(unknown, k.Selector)
		default:
			bad = append(bad, *say("control.dkim_key_status", "selector", k.Selector, "status", string(k.Status)))
		}
	}
	switch {
	case len(bad) > 0:
		return control(id, ControlFail, &Phrase{Code: "control.dkim_keys", Items: bad})
	case len(unknown) > 0:
		return control(id, ControlIncomplete, say("control.dkim_unreadable", "selectors", joinAll(unknown)))
	case len(good) == 0:
		return control(id, ControlFail, say("control.dkim_all_revoked"))
	}
	return control(id, ControlPass, &Phrase{Code: "control.dkim_keys", Items: good})
}

func serverAuthControl(d *evidence.Domain) Control {
	const id = "nist800177.server_auth"
	if p := stsPolicyOf(d.MTASTS); p != nil && p.Mode == "enforce" {
		return control(id, ControlPass, say("control.mtasts_enforce"))
	}
	daneAll, daneChecked := len(d.Hosts) > 0, false
	for _, h := range d.Hosts {
		if h.TLSA != nil {
			daneChecked = true
		}
		if h.TLSA == nil || len(h.TLSA.Records) == 0 {
			daneAll = false
			continue
		}
		for _, a := range h.Addresses {
			if a.DANE == nil || len(a.DANE.Matched) == 0 {
				daneAll = false
			}
		}
	}
	if daneAll {
		return control(id, ControlPass, say("control.dane_everywhere"))
	}
	if d.MTASTS == nil && !daneChecked {
		return control(id, ControlIncomplete, say("control.server_auth_not_checked"))
	}
	why := say("control.no_server_auth")
	if p := stsPolicyOf(d.MTASTS); p != nil {
		why.Args = map[string]string{"mode": p.Mode}
	}
	return control(id, ControlFail, why)
}

func tlsControl(dg *DomainGrade) Control {
	const id = "nist800177.tls"
	if dg == nil || len(dg.MX) == 0 {
		return control(id, ControlIncomplete, say("control.no_mail_server_audited"))
	}
	var failed, unknown []string
	for _, mx := range dg.MX {
		r2, r12 := mx.Checks[CheckNISTR2], mx.Checks[CheckTLS12]
		switch {
		case r2 == Fail || r12 == Fail:
			failed = append(failed, mx.Host)
		case r2 != Pass || r12 != Pass:
			unknown = append(unknown, mx.Host)
		}
	}
	switch {
	case len(failed) > 0:
		return control(id, ControlFail, say("control.tls_fail", "hosts", joinAll(failed)))
	case len(unknown) > 0:
		return control(id, ControlIncomplete, say("control.not_determined", "addresses", joinAll(unknown)))
	}
	return control(id, ControlPass, say("control.tls_pass"))
}

// startTLSControl is one address's part of the STARTTLS control: a TLS
// session works after STARTTLS.
func startTLSControl(v view) ControlStatus {
	if v.probe == nil {
		return ControlIncomplete
	}
	switch v.probe.Status {
	case evidence.ProbeOK:
		return ControlPass
	case evidence.ProbeNoSTARTTLS, evidence.ProbeSTARTTLSFail, evidence.ProbeTLSFailed:
		return ControlFail
	case evidence.ProbeSessionFailed:
		// No session a sender can use, unless what ended it says
		// nothing about the server (a timeout, a 4xx met once).
		if v.probe.Error.Inconclusive() {
			return ControlIncomplete
		}
		return ControlFail
	}
	return ControlIncomplete
}

// hellosAnswered reports whether the probe's hellos show what the server
// offers: it is ok, or it answered in ServerHellos though no session could
// be had (what a ServerHello proves offered still stands).
func hellosAnswered(p *evidence.Probe) bool {
	return p != nil && (p.Status == evidence.ProbeOK || p.Status == evidence.ProbeSessionFailed)
}
