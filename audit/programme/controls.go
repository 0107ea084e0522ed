package programme

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// ControlAccepted is the report's overlay status of a control that fails
// only on findings accepted by active exceptions. The measured status
// stays fail; the reader sees that the failure is an accepted risk.
const ControlAccepted grade.ControlStatus = "accepted"

// transportCodes are the findings that mean mail to the domain can travel
// unencrypted, or encrypted in a way the rules below do not count as
// protection: no or broken STARTTLS, protocols and suites every baseline
// forbids, and certificates a sender cannot rely on.
var transportCodes = []string{
	grade.CodeNoSTARTTLS, grade.CodeSTARTTLSFailed, grade.CodeSSLv2Enabled, grade.CodeSSLv3Enabled,
	grade.CodeNoModernTLS, grade.CodeNoNISTR1Suite, grade.CodeWeakCiphers, grade.CodeWeakDHCritical, grade.CodeWeakDH,
	grade.CodeCertExpired, grade.CodeCertNotYetValid, grade.CodeCertUntrusted, grade.CodeCertNameMismatch,
	grade.CodeCertWeakKey, grade.CodeCertWeakSignatureMD5, grade.CodeSTARTTLSAfterTLS, grade.CodeMTASTSEnforceMXFails,
}

// earlyTLSCodes are the protocol versions PCI DSS 4.0 does not count as
// strong cryptography (SSL and early TLS).
var earlyTLSCodes = []string{grade.CodeTLS10Enabled, grade.CodeTLS11Enabled}

// TransportControl is one control of a framework about mail in transit.
type TransportControl struct {
	// Framework is the canonical name the configuration uses ("HIPAA").
	Framework string
	ID        string
	// Title cites the section.
	Title string
	// Codes are the findings that fail it.
	Codes []string
}

// TransportControls lists the transport-encryption control of each
// framework the report can judge, in the configuration's canonical names.
func TransportControls() []TransportControl {
	return []TransportControl{
		{"HIPAA", "hipaa.164_312_e", "45 CFR §164.312(e)(1), (e)(2)(ii) transmission security: encryption in transit", transportCodes},
		{"GLBA", "glba.314_4_c_3", "16 CFR §314.4(c)(3) encrypt customer information in transit over external networks", transportCodes},
		{"NYDFS", "nydfs.500_15", "23 NYCRR §500.15 encryption of nonpublic information in transit over external networks", transportCodes},
		{"PCI DSS", "pcidss.4_2_1", "PCI DSS 4.0 Requirement 4.2.1 strong cryptography over open, public networks (no SSL or early TLS)",
			append(slices.Clone(transportCodes), earlyTLSCodes...)},
	}
}

// DomainFacts is what the control matrix needs of one domain.
type DomainFacts struct {
	Grade grade.Grade
	// Incomplete is set when part of the domain could not be audited.
	Incomplete bool
	Findings   []grade.Finding
}

// JudgeControls judges the transport control of each named framework for
// one domain: fail when a finding of the control's codes is present
// (accepted when every such finding is accepted, per accepted), incomplete
// when the audit was inconclusive or incomplete and nothing failed,
// not_applicable for a domain that accepts no mail (null MX), else pass.
func JudgeControls(frameworks []string, d DomainFacts, accepted func(grade.Finding) bool) []grade.Framework {
	var out []grade.Framework
	for _, tc := range TransportControls() {
		if !slices.ContainsFunc(frameworks, func(n string) bool { return frameworkKey(n) == frameworkKey(tc.Framework) }) {
			continue
		}
		c := grade.Control{ID: tc.ID, Title: tc.Title}
		var failing, open []string
		for _, f := range d.Findings {
			if !slices.Contains(tc.Codes, f.Code) {
				continue
			}
			failing = appendOnce(failing, f.Code)
			if accepted == nil || !accepted(f) {
				open = appendOnce(open, f.Code)
			}
		}
		sort.Strings(failing)
		sort.Strings(open)
		switch {
		case len(open) > 0:
			c.Status, c.Reason = grade.ControlFail, "fails on "+strings.Join(open, ", ")
		case len(failing) > 0:
			c.Status, c.Reason = ControlAccepted, "fails on "+strings.Join(failing, ", ")+", accepted by exception"
		case d.Grade == grade.GradeNA:
			c.Status, c.Reason = grade.ControlNotApplicable, "the domain accepts no mail (null MX)"
		case d.Grade == grade.GradeInconclusive || d.Incomplete:
			c.Status, c.Reason = grade.ControlIncomplete, "part of the domain's mail servers could not be audited"
		default:
			c.Status, c.Reason = grade.ControlPass, fmt.Sprintf("none of the %d findings that fail it was observed", len(tc.Codes))
		}
		fw := grade.Framework{Name: tc.Framework, Controls: []grade.Control{c}}
		fw.Status = grade.Rollup(fw.Controls)
		if c.Status == ControlAccepted {
			fw.Status = ControlAccepted
		}
		out = append(out, fw)
	}
	return out
}

func appendOnce(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// frameworkKey compares framework names loosely ("pci-dss" is "PCI DSS"),
// as the configuration accepts them.
func frameworkKey(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '_' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}
