package grade

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// GradeDomain grades one domain's evidence under policy p. It is pure: the
// same evidence and policy always give the same result.
//
// Domain-level outcomes: a null MX is "N/A" (the domain accepts no mail by
// design, not a failure); a domain with neither MX nor address is F with
// NO_MX, because mail to a vendor that cannot receive it cannot be sent
// securely either, and the vendor list likely needs fixing; a failed MX
// lookup, a blocked port 25, or an audit that could not run is "?".
// Otherwise the grade is the worst MX grade, with Incomplete set when some
// host or address could not be audited.
//
// MTA-STS, TLS-RPT, DANE and DNSSEC evidence that is nil (not checked)
// raises no finding and earns no A+. A domain-level finding whose rule
// forces F (DNSSEC_BOGUS on the MX lookup) makes the domain F even when no
// address could be audited or the MX lookup failed, since senders fail on
// DNS alone; only an audit that could not run at all stays "?".
func GradeDomain(d *evidence.Domain, p Policy) DomainGrade {
	if d == nil {
		return DomainGrade{Policy: p.Name, PolicyVersion: p.Version, Grade: GradeInconclusive, Incomplete: true,
			ForcedTLS: ForcedTLSUnknown, ForcedTLSWhy: say("forced_tls.no_evidence")}
	}
	dg := DomainGrade{Domain: d.Domain, Policy: p.Name, PolicyVersion: p.Version, PortBlocked: d.PortBlocked}
	dc := newCollector(p, d.Domain, "", "")
	var all []Finding

	finish := func() DomainGrade {
		if dg.Grade == GradeF {
			dg.Caps = capsOf(dc.findings)
		}
		dg.Findings = append(all, dc.findings...)
		senderAuthFindings(d, p, &dg)
		sortFindings(dg.Findings)
		return dg
	}
	inconclusive := func(why string) {
		dg.Grade, dg.Incomplete = GradeInconclusive, true
		dg.ForcedTLS, dg.ForcedTLSWhy = ForcedTLSUnknown, say(why)
	}

	mx := d.MX
	dnssecDomain(dc, mx)
	if mx.NullMXConflict {
		dc.add(CodeNullMXConflict, map[string]string{"records": mxRecords(mx.Records)})
	}
	switch {
	case mx.Kind == evidence.MXNull && !mx.NullMXConflict:
		dc.add(CodeNullMX, nil)
		dg.Grade = GradeNA
		dg.ForcedTLS, dg.ForcedTLSWhy = ForcedTLSNotEligible, say("forced_tls.null_mx")
		return finish()
	case mx.Kind == evidence.MXNone:
		args := map[string]string{}
		if st := mx.Lookup.Status; st != "" {
			args["status"] = string(st)
		}
		dc.add(CodeNoMX, args)
		dg.Grade = GradeF
		// NO_MX deducts nothing (there is no address to score) but sets F;
		// from policy v3 on its rule says so itself (critical, force F).
		noMX := dc.findings[len(dc.findings)-1]
		dg.ForcedTLS, dg.ForcedTLSWhy = ForcedTLSNotEligible, say("forced_tls.no_mail_host")
		out := finish()
		if !noMX.ForceF {
			out.Caps = append([]Cap{capOf(noMX)}, out.Caps...)
		}
		return out
	case mx.Kind == evidence.MXError:
		args := map[string]string{"status": string(mx.Lookup.Status)}
		if mx.Lookup.Error != "" {
			args["error"] = mx.Lookup.Error
		}
		if args["status"] == "" {
			args["status"] = string(evidence.DNSError)
		}
		dc.add(CodeMXLookupFailed, args)
		inconclusive("forced_tls.mx_lookup_failed")
		if dc.forceF {
			dg.Grade = GradeF
		}
		return finish()
	}

	if stsBlocked(d) {
		// The fetch never reached a server, and neither did any other of
		// the run: the scanner's network, not the domain, is at fault.
		dc.add(CodeHTTPSBlocked, map[string]string{"url": d.MTASTS.Fetch.URL})
		dg.Incomplete = true
	} else {
		stsFindings(dc, d.MTASTS)
	}
	if untested := untestedVersions(d); len(untested) > 0 {
		// A restricted scan cannot show the worst a server accepts: its
		// grade is never presented as complete.
		// "sslv3" says whether SSLv3, the version the weakest suites live
		// in, was left out: the templates word the consequence.
		sslv3 := "tested"
		if slices.Contains(untested, evidence.SSLv3) {
			sslv3 = "untested"
		}
		dc.add(CodeScanRestricted, map[string]string{"tested": strings.Join(d.VersionsTested, ", "), "untested": strings.Join(untested, ", "), "sslv3": sslv3})
		dg.Incomplete = true
	}
	tlsrptFindings(dc, d.TLSRPT, publishesPolicy(d))
	sts := stsPolicyOf(d.MTASTS)
	outer := inherited{}.with(dc)
	for i := range d.Hosts {
		mg, fs := gradeMX(p, d, &d.Hosts[i], sts, outer)
		dg.MX = append(dg.MX, mg)
		all = append(all, fs...)
	}
	if n := len(mx.Omitted); n > 0 {
		names := make([]string, 0, n)
		for _, r := range mx.Omitted {
			names = append(names, r.Host)
		}
		args := map[string]string{"count": strconv.Itoa(n), "audited": strconv.Itoa(len(d.Hosts))}
		shortList(args, "hosts", names)
		dc.add(CodeMXHostsOmitted, args)
		dg.Incomplete = true
	}
	var grades []Grade
	for _, m := range dg.MX {
		grades = append(grades, m.Grade)
		dg.Incomplete = dg.Incomplete || m.Inconclusive
	}
	// A suite list cut short (a throttling server that outlasted the
	// budget, a timeout mid-enumeration) leaves the domain incomplete
	// whatever grade the suites found so far earn.
	dg.Incomplete = dg.Incomplete || enumerationCut(d)
	dg.Grade = Worst(grades...)
	if !dg.Grade.Conclusive() {
		dg.Grade, dg.Incomplete = GradeInconclusive, true
	}
	dg.ForcedTLS, dg.ForcedTLSWhy = domainForcedTLS(dg.MX)

	switch {
	case d.Error != nil:
		args := map[string]string{}
		errorArgs(args, d.Error)
		dc.add(CodeInconclusive, args)
		inconclusive("forced_tls.audit_failed")
		return finish()
	case d.PortBlocked:
		dc.add(CodePort25Blocked, nil)
		inconclusive("forced_tls.port25_blocked")
	case len(d.Hosts) == 0:
		dc.add(CodeInconclusive, map[string]string{"cause": causeNoMXHost})
		inconclusive("forced_tls.no_mx_resolved")
	}
	if dc.forceF {
		dg.Grade = GradeF
	}
	return finish()
}

// gradeMX grades one MX host and returns its host- and address-level
// findings. sts is the domain's MTA-STS policy as senders apply it (nil for
// none) and outer what the domain-level findings impose on every address.
// A host-level finding whose rule forces F makes the MX F, with or without
// conclusive addresses.
func gradeMX(p Policy, d *evidence.Domain, h *evidence.Host, sts *evidence.STSPolicy, outer inherited) (MXGrade, []Finding) {
	hc := newCollector(p, d.Domain, h.Name, "")
	mg := MXGrade{Host: h.Name, Preference: h.Preference, Checks: newChecks(NotTested)}
	if h.CNAME {
		args := map[string]string{}
		if h.A != nil && len(h.A.CNAMEs) > 0 {
			args["cnames"] = strings.Join(h.A.CNAMEs, " -> ")
		} else if h.AAAA != nil && len(h.AAAA.CNAMEs) > 0 {
			args["cnames"] = strings.Join(h.AAAA.CNAMEs, " -> ")
		}
		hc.add(CodeMXIsCNAME, args)
	}
	if h.IPLiteral {
		hc.add(CodeMXIsIPLiteral, nil)
	}
	dnssecHost(hc, h)
	sh := stsForHost(hc, d.MTASTS, sts, h.Name)
	hd := daneHost(hc, h)
	if slices.ContainsFunc(h.Addresses, func(a evidence.Address) bool { return hd.addressState(a.DANE) == daneValid }) {
		noRolloverFinding(hc, hd)
	}
	if n := len(h.OmittedAddresses); n > 0 {
		args := map[string]string{"count": strconv.Itoa(n), "audited": strconv.Itoa(len(h.Addresses))}
		shortList(args, "addresses", h.OmittedAddresses)
		hc.add(CodeMXAddressesOmitted, args)
		mg.Inconclusive = true
	}
	inner := outer.with(hc)
	if len(h.Addresses) == 0 {
		hc.add(CodeMXNoAddress, lookupArgs(h))
		mg.Grade, mg.Inconclusive = GradeInconclusive, true
		if inner.forceF {
			mg.Grade, mg.Caps = GradeF, capsOf(inner.findings)
		}
		return mg, hc.findings
	}

	var addrFindings []Finding
	var grades []Grade
	for i := range h.Addresses {
		a := &h.Addresses[i]
		ag := gradeAddress(addressInput{policy: p, domain: d.Domain, host: h, addr: a, sts: sh, dane: hd, outer: inner})
		mg.Addresses = append(mg.Addresses, ag)
		addrFindings = append(addrFindings, ag.Findings...)
		if ag.Inconclusive {
			mg.Inconclusive = true
		} else {
			grades = append(grades, ag.Grade)
		}
		for _, c := range Checks() {
			if i == 0 {
				mg.Checks[c] = ag.Checks[c]
			} else {
				mg.Checks[c] = worstResult(mg.Checks[c], ag.Checks[c])
			}
		}
		if mg.CertName == "" && a.Cert != nil && len(a.Cert.Chain) > 0 {
			mg.CertName = a.Cert.Chain[0].CommonName
		}
	}
	mg.Grade = Worst(grades...)
	if inner.forceF {
		mg.Grade, mg.Caps = GradeF, capsOf(inner.findings)
	}
	return mg, append(hc.findings, addrFindings...)
}

// shortListMax is how many names a finding lists before counting the rest.
const shortListMax = 10

// shortList sets args[name] to the first shortListMax names, joined, and
// "more" to how many it leaves out (none: "more" is not set), which the
// wording counts ("and N more").
func shortList(args map[string]string, name string, names []string) {
	if len(names) <= shortListMax {
		args[name] = strings.Join(names, ", ")
		return
	}
	args[name] = strings.Join(names[:shortListMax], ", ")
	args["more"] = strconv.Itoa(len(names) - shortListMax)
}

// notLookedUp is the "a" or "aaaa" argument of MX_NO_ADDRESS for a
// lookup that was not made.
const notLookedUp = "not_looked_up"

// lookupArgs gives the outcome of the A and AAAA lookups of a host
// without addresses: each lookup's DNS status, or notLookedUp.
func lookupArgs(h *evidence.Host) map[string]string {
	status := func(l *evidence.Lookup) string {
		if l == nil {
			return notLookedUp
		}
		return string(l.Status)
	}
	return map[string]string{"a": status(h.A), "aaaa": status(h.AAAA)}
}

// mxRecords lists MX records as "10 mx.example.com, 0 .".
func mxRecords(rs []evidence.MXRecord) string {
	var parts []string
	for _, r := range rs {
		host := r.Host
		if host == "" {
			host = "."
		}
		parts = append(parts, itoaU16(r.Preference)+" "+host)
	}
	return strings.Join(parts, ", ")
}

// domainForcedTLS combines the addresses' Forced-TLS verdicts: one address
// that definitely fails makes the domain not eligible; otherwise one that is
// unknown makes it unknown. Eligibility is about TLS capability: a critical
// MTA-STS, DANE or DNSSEC failure, which forces the grade to F, leaves it
// unchanged.
func domainForcedTLS(mxs []MXGrade) (ForcedTLS, *Phrase) {
	var notEligible, unknown []Phrase
	at := func(host, ip string, why *Phrase) Phrase {
		p := say("forced_tls.address", "host", host, "ip", ip)
		if why != nil {
			p.Items = []Phrase{*why}
		}
		return *p
	}
	for _, m := range mxs {
		if len(m.Addresses) == 0 {
			unknown = append(unknown, *say("forced_tls.host_no_address", "host", m.Host))
		}
		for _, a := range m.Addresses {
			switch a.ForcedTLS {
			case ForcedTLSNotEligible:
				notEligible = append(notEligible, at(m.Host, a.IP, a.ForcedTLSWhy))
			case ForcedTLSUnknown:
				unknown = append(unknown, at(m.Host, a.IP, a.ForcedTLSWhy))
			}
		}
	}
	switch {
	case len(notEligible) > 0:
		return ForcedTLSNotEligible, &Phrase{Code: "forced_tls.addresses", Items: notEligible}
	case len(unknown) > 0:
		return ForcedTLSUnknown, &Phrase{Code: "forced_tls.addresses", Items: unknown}
	case len(mxs) == 0:
		return ForcedTLSUnknown, say("forced_tls.no_mx_host")
	}
	return ForcedTLSEligible, say("forced_tls.eligible")
}

// sortFindings orders findings by severity (highest first), then host, IP
// and code.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.Host, b.Host),
			cmp.Compare(a.IP, b.IP),
			cmp.Compare(a.Code, b.Code),
		)
	})
}

// enumerationCut reports whether some address accepted a version whose
// suites were not all enumerated.
func enumerationCut(d *evidence.Domain) bool {
	for _, h := range d.Hosts {
		for _, a := range h.Addresses {
			if a.Probe == nil {
				continue
			}
			for _, v := range a.Probe.Versions {
				if v.Support == evidence.Supported && !v.Complete {
					return true
				}
			}
		}
	}
	return false
}

// untestedVersions lists the protocol versions a restricted scan left out.
func untestedVersions(d *evidence.Domain) []string {
	if len(d.VersionsTested) == 0 {
		return nil
	}
	var out []string
	for _, v := range evidence.Versions {
		if !slices.Contains(d.VersionsTested, v) {
			out = append(out, v)
		}
	}
	return out
}
