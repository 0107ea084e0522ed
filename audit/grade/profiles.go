package grade

import (
	"fmt"
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

func control(id, title string, st ControlStatus, reason string) Control {
	return Control{ID: id, Title: title, Status: st, Reason: reason}
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
	cs = append(cs, spfControl("bod1801.spf", "Valid SPF record (not +all or ?all; -all if the domain sends no mail)", d))
	m := d.DMARC
	dmarcKnown := func(id, title string) (Control, bool) {
		switch {
		case m == nil:
			return control(id, title, ControlIncomplete, "DMARC was not checked"), false
		case m.Status == evidence.DMARCTempError:
			return control(id, title, ControlIncomplete, "the DMARC record could not be read: "+m.Reason), false
		case m.Status == evidence.DMARCMissing:
			return control(id, title, ControlFail, "no DMARC record"), false
		case m.Status == evidence.DMARCInvalid:
			return control(id, title, ControlFail, "the DMARC record is invalid: "+m.Reason), false
		}
		return Control{}, true
	}
	const (
		tReject = "DMARC policy p=reject"
		tSP     = "No subdomain policy (sp) weaker than reject"
		tPct    = "DMARC applied to all mail (pct=100)"
		tRUA    = "At least one authorised aggregate report address (rua)"
	)
	if c, ok := dmarcKnown("bod1801.dmarc_reject", tReject); !ok {
		cs = append(cs, c)
	} else if m.Policy == "reject" {
		cs = append(cs, control("bod1801.dmarc_reject", tReject, ControlPass, "p=reject at "+m.PolicyDomain))
	} else {
		cs = append(cs, control("bod1801.dmarc_reject", tReject, ControlFail, "p="+m.Policy+", not reject"))
	}
	if c, ok := dmarcKnown("bod1801.dmarc_sp", tSP); !ok {
		cs = append(cs, c)
	} else if policyRank(m.SubdomainPolicy) >= 3 {
		cs = append(cs, control("bod1801.dmarc_sp", tSP, ControlPass, "subdomains: "+m.SubdomainPolicy+spSource(m)))
	} else {
		cs = append(cs, control("bod1801.dmarc_sp", tSP, ControlFail, "subdomains: "+m.SubdomainPolicy+spSource(m)))
	}
	if c, ok := dmarcKnown("bod1801.dmarc_pct", tPct); !ok {
		cs = append(cs, c)
	} else if m.PCT == nil || *m.PCT == 100 {
		cs = append(cs, control("bod1801.dmarc_pct", tPct, ControlPass, "pct=100"))
	} else {
		cs = append(cs, control("bod1801.dmarc_pct", tPct, ControlFail, "pct="+strconv.Itoa(*m.PCT)))
	}
	if c, ok := dmarcKnown("bod1801.dmarc_rua", tRUA); !ok {
		cs = append(cs, c)
	} else if ok := authorisedRUA(m); len(ok) > 0 {
		cs = append(cs, control("bod1801.dmarc_rua", tRUA, ControlPass, "rua: "+strings.Join(ok, ", ")))
	} else if ns {
		cs = append(cs, control("bod1801.dmarc_rua", tRUA, ControlNotApplicable, "the domain sends no mail (null MX): reports are optional"))
	} else if unknownDest(m) {
		cs = append(cs, control("bod1801.dmarc_rua", tRUA, ControlIncomplete, "the authorisation of the report destinations could not be read"))
	} else if len(m.RUA) > 0 {
		cs = append(cs, control("bod1801.dmarc_rua", tRUA, ControlFail, "no rua destination authorised the reports: "+strings.Join(unauthorisedDestinations(m), ", ")))
	} else {
		cs = append(cs, control("bod1801.dmarc_rua", tRUA, ControlFail, "no rua tag"))
	}
	return framework(FrameworkBOD1801, cs)
}

func spSource(m *evidence.DMARC) string {
	if m.SubdomainPolicySet {
		return " (sp=" + m.SubdomainPolicy + ")"
	}
	return " (no sp: p applies)"
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
func spfControl(id, title string, d *evidence.Domain) Control {
	s := d.SPF
	switch {
	case s == nil:
		return control(id, title, ControlIncomplete, "SPF was not checked")
	case s.Status == evidence.SPFTempError:
		return control(id, title, ControlIncomplete, "the SPF record could not be read: "+s.Reason)
	case s.Status == evidence.SPFMissing:
		return control(id, title, ControlFail, "no SPF record")
	case s.Status == evidence.SPFPermError:
		return control(id, title, ControlFail, "permerror: "+s.Reason)
	case nonSending(d) && s.All != "-all":
		return control(id, title, ControlFail, "the domain sends no mail (null MX) but SPF ends in "+allText(s.All))
	case s.All == "+all" || s.All == "?all" || s.All == "":
		return control(id, title, ControlFail, "SPF ends in "+allText(s.All))
	}
	return control(id, title, ControlPass, fmt.Sprintf("valid, %s, %d DNS-lookup terms", s.All, s.Lookups))
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
	const (
		tSTARTTLS = "Every mail server offers STARTTLS"
		tSSL      = "SSLv2 and SSLv3 disabled on mail servers"
		tCiphers  = "RC4 and 3DES disabled on mail servers"
	)
	ids := [3]string{prefix + ".starttls", prefix + ".no_sslv2_sslv3", prefix + ".no_rc4_3des"}
	if d.MX.Kind == evidence.MXNull || d.MX.Kind == evidence.MXNone {
		why := "the domain has no mail server (null MX)"
		if d.MX.Kind == evidence.MXNone {
			why = "the domain has no MX record and no address"
		}
		return []Control{
			control(ids[0], tSTARTTLS, ControlNotApplicable, why),
			control(ids[1], tSSL, ControlNotApplicable, why),
			control(ids[2], tCiphers, ControlNotApplicable, why),
		}
	}
	mk := func(id, title string, st ControlStatus, list []string, n int, pass, fail string) Control {
		switch st {
		case ControlFail:
			return control(id, title, st, fail+": "+strings.Join(list, ", "))
		case ControlIncomplete:
			if n == 0 {
				return control(id, title, st, "no mail server address could be audited")
			}
			return control(id, title, st, "not determined for "+strings.Join(list, ", "))
		}
		return control(id, title, st, fmt.Sprintf(pass, n))
	}
	st, list, n := addressOutcome(d, startTLSControl)
	out := []Control{mk(ids[0], tSTARTTLS, st, list, n, "STARTTLS works on all %d addresses", "no working STARTTLS on")}
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
	out = append(out, mk(ids[1], tSSL, st, list, n, "refused on all %d addresses", "SSLv2 or SSLv3 accepted on"))
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
	out = append(out, mk(ids[2], tCiphers, st, list, n, "no RC4 or 3DES suite accepted on %d addresses", "RC4 or 3DES accepted on"))
	return out
}

// NIST800177 judges the NIST SP 800-177 Rev. 1 recommendations for the
// domain: SPF (4-1), DKIM keys where selectors are known (4-3), DMARC,
// DNSSEC on the domain's MX records (4-2), and for receiving: MTA-STS or
// DANE to authenticate the server, TLS per SP 800-52 Rev. 2.
func NIST800177(d *evidence.Domain, dg *DomainGrade) Framework {
	ns := nonSending(d)
	cs := []Control{spfControl("nist800177.spf", "SPF published (-all if the domain sends no mail)", d)}
	cs = append(cs, dkimControl(d))

	const tDMARC = "DMARC policy that quarantines or rejects"
	m := d.DMARC
	switch {
	case m == nil:
		cs = append(cs, control("nist800177.dmarc", tDMARC, ControlIncomplete, "DMARC was not checked"))
	case m.Status == evidence.DMARCTempError:
		cs = append(cs, control("nist800177.dmarc", tDMARC, ControlIncomplete, "the DMARC record could not be read: "+m.Reason))
	case m.Status != evidence.DMARCValid:
		cs = append(cs, control("nist800177.dmarc", tDMARC, ControlFail, string(m.Status)+": "+m.Reason))
	case policyRank(m.Policy) >= 2:
		cs = append(cs, control("nist800177.dmarc", tDMARC, ControlPass, "p="+m.Policy))
	default:
		cs = append(cs, control("nist800177.dmarc", tDMARC, ControlFail, "p=none: monitoring only"))
	}

	const tDNSSEC = "DNSSEC-signed MX records"
	switch st := d.MX.Lookup.DNSSEC; st {
	case evidence.DNSSECSecure:
		cs = append(cs, control("nist800177.dnssec", tDNSSEC, ControlPass, "the MX answer validates (secure)"))
	case evidence.DNSSECInsecure:
		cs = append(cs, control("nist800177.dnssec", tDNSSEC, ControlFail, "the zone is not signed (insecure)"))
	case evidence.DNSSECBogus:
		cs = append(cs, control("nist800177.dnssec", tDNSSEC, ControlFail, "the signatures do not validate (bogus)"))
	case evidence.DNSSECNotChecked:
		cs = append(cs, control("nist800177.dnssec", tDNSSEC, ControlIncomplete, "DNSSEC was not checked"))
	default:
		cs = append(cs, control("nist800177.dnssec", tDNSSEC, ControlIncomplete, "DNSSEC status "+string(st)))
	}

	const (
		tAuth = "Server authentication with MTA-STS or DANE"
		tTLS  = "TLS per NIST SP 800-52 Rev. 2 on every mail server"
	)
	if ns || d.MX.Kind == evidence.MXNone {
		why := "the domain receives no mail (null MX)"
		if !ns {
			why = "the domain has no mail server"
		}
		cs = append(cs, control("nist800177.server_auth", tAuth, ControlNotApplicable, why),
			control("nist800177.tls", tTLS, ControlNotApplicable, why))
		return framework(FrameworkNIST177, cs)
	}
	cs = append(cs, serverAuthControl(d, tAuth))
	cs = append(cs, tlsControl(dg, tTLS))
	return framework(FrameworkNIST177, cs)
}

func dkimControl(d *evidence.Domain) Control {
	const id, title = "nist800177.dkim", "DKIM keys of approved algorithm and length (RSA 2048+, Ed25519)"
	if nonSending(d) {
		return control(id, title, ControlNotApplicable, "the domain sends no mail (null MX)")
	}
	if len(d.DKIM) == 0 {
		return control(id, title, ControlNotApplicable, "no DKIM selector is known for the domain; keys cannot be found without one")
	}
	var bad, unknown, good []string
	for _, k := range d.DKIM {
		switch k.Status {
		case evidence.DKIMKeyOK:
			if k.KeyType == "rsa" && k.Bits < dkimGoodRSABits {
				bad = append(bad, fmt.Sprintf("%s: RSA %d bits", k.Selector, k.Bits))
			} else {
				good = append(good, fmt.Sprintf("%s: %s %d bits", k.Selector, strings.ToUpper(k.KeyType), k.Bits))
			}
		case evidence.DKIMRevoked:
		case evidence.DKIMTempError:
			unknown = append(unknown, k.Selector)
		default:
			bad = append(bad, k.Selector+": "+string(k.Status))
		}
	}
	switch {
	case len(bad) > 0:
		return control(id, title, ControlFail, strings.Join(bad, "; "))
	case len(unknown) > 0:
		return control(id, title, ControlIncomplete, "could not be read: "+strings.Join(unknown, ", "))
	case len(good) == 0:
		return control(id, title, ControlFail, "every named selector's key is revoked")
	}
	return control(id, title, ControlPass, strings.Join(good, "; "))
}

func serverAuthControl(d *evidence.Domain, title string) Control {
	const id = "nist800177.server_auth"
	if p := stsPolicyOf(d.MTASTS); p != nil && p.Mode == "enforce" {
		return control(id, title, ControlPass, "MTA-STS policy in enforce mode")
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
		return control(id, title, ControlPass, "DANE TLSA records match on every MX address")
	}
	if d.MTASTS == nil && !daneChecked {
		return control(id, title, ControlIncomplete, "MTA-STS and DANE were not checked")
	}
	mode := "no MTA-STS policy"
	if p := stsPolicyOf(d.MTASTS); p != nil {
		mode = "MTA-STS in " + p.Mode + " mode"
	}
	return control(id, title, ControlFail, mode+" and no DANE on every MX")
}

func tlsControl(dg *DomainGrade, title string) Control {
	const id = "nist800177.tls"
	if dg == nil || len(dg.MX) == 0 {
		return control(id, title, ControlIncomplete, "no mail server was audited")
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
		return control(id, title, ControlFail, "no TLS 1.2 with an SP 800-52 Rev. 2 suite on "+strings.Join(failed, ", "))
	case len(unknown) > 0:
		return control(id, title, ControlIncomplete, "not determined for "+strings.Join(unknown, ", "))
	}
	return control(id, title, ControlPass, "TLS 1.2 with SP 800-52 Rev. 2 suites on every MX")
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
