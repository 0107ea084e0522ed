package grade

import (
	"slices"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Finding codes of the known-vulnerability probes (policy version 3 on).
// Each finding carries its CVE (or RFC) in the "cve" argument.
const (
	CodeVulnSTARTTLSInjection   = "VULN_STARTTLS_INJECTION"
	CodeVulnHeartbleed          = "VULN_HEARTBLEED"
	CodeVulnCCSInjection        = "VULN_CCS_INJECTION"
	CodeVulnROBOT               = "VULN_ROBOT"
	CodeVulnInsecureReneg       = "VULN_INSECURE_RENEGOTIATION"
	CodeVulnClientRenegotiation = "VULN_CLIENT_RENEGOTIATION"
	CodeVulnCompression         = "VULN_TLS_COMPRESSION"
	CodeVulnDHCommonPrime       = "VULN_DH_COMMON_PRIME"
)

// vulnRules are the rules of the vulnerability findings, part of policy
// version 3. Severities follow SSL Labs' caps where it has one (Heartbleed,
// CCS injection and ROBOT grade F; compression caps at C), the rest the
// table's scale: STARTTLS injection and missing secure renegotiation let an
// attacker on the path splice data into a session (medium, 10);
// client-initiated renegotiation is a denial-of-service lever (low, 5); a
// widely shared DH prime above 1024 bits is information (a 1024-bit one is
// already WEAK_DH, tagged LOGJAM).
func vulnRules() map[string]Rule {
	return map[string]Rule{
		CodeVulnSTARTTLSInjection:   {Severity: Medium, Deduction: deductMedium},
		CodeVulnHeartbleed:          {Severity: Critical, ForceF: true},
		CodeVulnCCSInjection:        {Severity: Critical, ForceF: true},
		CodeVulnROBOT:               {Severity: Critical, ForceF: true},
		CodeVulnInsecureReneg:       {Severity: Medium, Deduction: deductMedium},
		CodeVulnClientRenegotiation: {Severity: Low, Deduction: deductLight},
		CodeVulnCompression:         {Severity: Medium, Deduction: deductMedium},
		CodeVulnDHCommonPrime:       {Severity: Info},
	}
}

// minDHBitsSharedSafe is the size from which a widely shared DH prime is
// an approved named group rather than a precomputation target.
const minDHBitsSharedSafe = 2048

// Known vulnerabilities a finding can imply, named with their identifier.
const (
	tagSWEET32 = "SWEET32 (CVE-2016-2183)"
	tagFREAK   = "FREAK (CVE-2015-0204)"
	tagLOGJAM  = "LOGJAM (CVE-2015-4000)"
	tagPOODLE  = "POODLE (CVE-2014-3566)"
	tagDROWN   = "DROWN (CVE-2016-0800)"
	tagBEAST   = "BEAST (CVE-2011-3389)"
	tagLUCKY13 = "LUCKY13 (CVE-2013-0169)"
	tagRC4     = "RC4 (RFC 7465)"
)

// judgesVulns reports whether the policy has the vulnerability rules: the
// built-in version 2 does not, so its results stay what they were.
func (p Policy) judgesVulns() bool {
	if _, ok := p.Rules[CodeVulnHeartbleed]; ok {
		return true
	}
	_, ok := rulesOf(p.Version)[CodeVulnHeartbleed]
	return ok
}

// vulnChecks raises the findings of the vulnerability probes and tags the
// version and suite findings with the known attacks they imply (argument
// "vulns"). Only a "vulnerable" answer raises a finding: not tested,
// inconclusive and not applicable never read as a pass or a fail.
func vulnChecks(c *collector, v view, pr *evidence.Probe) {
	if !c.policy.judgesVulns() || pr == nil {
		return
	}
	if vs := pr.Vulns; vs != nil {
		for _, x := range []struct {
			code, cve string
			check     evidence.VulnCheck
		}{
			{CodeVulnSTARTTLSInjection, "CVE-2011-0411", vs.STARTTLSInjection},
			{CodeVulnHeartbleed, "CVE-2014-0160", vs.Heartbleed},
			{CodeVulnCCSInjection, "CVE-2014-0224", vs.CCSInjection},
			{CodeVulnROBOT, "CVE-2017-13099", vs.ROBOT},
			{CodeVulnInsecureReneg, "CVE-2009-3555", vs.SecureRenegotiation},
			{CodeVulnClientRenegotiation, "CVE-2011-1473", vs.ClientRenegotiation},
			{CodeVulnCompression, "CVE-2012-4929", vs.Compression},
		} {
			if x.check.Status != evidence.VulnVulnerable {
				continue
			}
			c.add(x.code, map[string]string{"cve": x.cve, "detail": x.check.Detail, "version": x.check.Version})
		}
	}
	// A shared prime is a LOGJAM concern only while one precomputation
	// against it is within reach: at or below 1024 bits it is already
	// WEAK_DH (tagged LOGJAM); from 2048 bits the shared groups are the
	// approved safe-prime groups (RFC 3526 MODP-2048 and up, RFC 7919
	// ffdhe2048 and up: NIST SP 800-56A Rev. 3 Appendix D), which a
	// report must not present as a vulnerability.
	var common []string
	for _, dh := range pr.DHParams {
		if dh.Known != "" && dh.Bits > minDHBitsCritical && dh.Bits < minDHBitsSharedSafe {
			name := dh.Known
			if bits := strconv.Itoa(dh.Bits) + "-bit"; !strings.Contains(name, bits) {
				name += " (" + bits + ")"
			}
			common = append(common, name)
		}
	}
	if len(common) > 0 {
		list := strings.Join(common, "; ")
		c.add(CodeVulnDHCommonPrime, map[string]string{"cve": "CVE-2015-4000", "details": list})
	}
	tagFindings(c, v, pr)
}

// tagFindings adds the "vulns" argument to findings whose evidence implies
// a known attack.
func tagFindings(c *collector, v view, pr *evidence.Probe) {
	all := v.acceptedSuites(evidence.Versions...)
	has := func(versions []string, ok func(evidence.Suite) bool) bool {
		return slices.ContainsFunc(v.acceptedSuites(versions...), func(a accepted) bool { return ok(a.suite) })
	}
	cbc := func(s evidence.Suite) bool { return s.Flags.CBC }
	tags := map[string][]string{}
	tag := func(code string, ok bool, t string) {
		if ok {
			tags[code] = append(tags[code], t)
		}
	}
	old := []string{evidence.SSLv3, evidence.TLS10}
	tag(CodeSSLv2Enabled, true, tagDROWN)
	tag(CodeSSLv3Enabled, has([]string{evidence.SSLv3}, cbc), tagPOODLE)
	tag(CodeSSLv3Enabled, has([]string{evidence.SSLv3}, cbc), tagBEAST)
	tag(CodeTLS10Enabled, has(old, cbc), tagBEAST)
	for _, code := range []string{CodeSSLv3Enabled, CodeTLS10Enabled, CodeTLS11Enabled} {
		ver := map[string]string{CodeSSLv3Enabled: evidence.SSLv3, CodeTLS10Enabled: evidence.TLS10, CodeTLS11Enabled: evidence.TLS11}[code]
		tag(code, has([]string{ver}, cbc), tagLUCKY13)
	}
	sweet := slices.ContainsFunc(all, func(a accepted) bool { return blockBits64(a.suite) })
	rc4 := slices.ContainsFunc(all, func(a accepted) bool { return a.suite.Flags.RC4 })
	tag(CodeWeakCiphers, sweet, tagSWEET32)
	tag(CodeWeakCiphers, rc4, tagRC4)
	freak := slices.ContainsFunc(all, func(a accepted) bool {
		return a.suite.Flags.Export && strings.HasPrefix(strings.ToUpper(a.suite.Kx), "RSA")
	})
	exportDH := slices.ContainsFunc(all, func(a accepted) bool {
		return a.suite.Flags.Export && strings.Contains(strings.ToUpper(a.suite.Kx), "DH")
	})
	shortDH := slices.ContainsFunc(all, func(a accepted) bool {
		kx := a.suite.KeyExchange
		return kx != nil && isFiniteFieldDH(kx) && kx.Bits > 0 && kx.Bits <= minDHBitsCritical
	}) || slices.ContainsFunc(pr.DHParams, func(d evidence.DHParams) bool { return d.Bits > 0 && d.Bits <= minDHBitsCritical })
	tag(CodeWeakDHCritical, freak, tagFREAK)
	tag(CodeWeakDHCritical, exportDH, tagLOGJAM)
	tag(CodeWeakDH, shortDH && !exportDH, tagLOGJAM)
	tag(CodeWeakDHCritical, shortDH && !exportDH, tagLOGJAM)
	for i := range c.findings {
		f := &c.findings[i]
		t := tags[f.Code]
		if len(t) == 0 {
			continue
		}
		if f.Args == nil {
			f.Args = map[string]string{}
		}
		f.Args["vulns"] = strings.Join(slices.Compact(t), ", ")
	}
}

// blockBits64 reports a 64-bit block cipher (3DES, DES, IDEA, RC2): SWEET32.
func blockBits64(s evidence.Suite) bool {
	f := s.Flags
	enc := strings.ToUpper(s.Enc)
	return f.TripleDES || f.DES || f.RC2 || strings.Contains(enc, "IDEA") || strings.Contains(enc, "RC2") ||
		strings.Contains(enc, "3DES") || (strings.Contains(enc, "DES") && !strings.Contains(enc, "AES"))
}
