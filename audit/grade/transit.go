package grade

// InTransitCodes lists the finding codes about the encryption of mail in
// transit: no or broken STARTTLS, weak protocol versions, suites and key
// exchange, certificates senders reject, policies that make senders
// refuse, and TLS vulnerabilities. Each bears on every framework's
// in-transit encryption rule (45 CFR §164.312(e)(1), 16 CFR §314.4(c)(3),
// 23 NYCRR §500.15, PCI DSS v4.0 Req. 4.2.1), so the wording cites them
// all.
func InTransitCodes() []string {
	return []string{
		CodeNoSTARTTLS, CodeSTARTTLSFailed, CodeSSLv2Enabled, CodeSSLv3Enabled, CodeNoModernTLS,
		CodeTLS10Enabled, CodeTLS11Enabled, CodeWeakCiphers, CodeWeakDHCritical, CodeWeakDH,
		CodeNoNISTR1Suite, CodeNoNISTR2Suite, CodeNoForwardSecrecy,
		CodeCertExpired, CodeCertNotYetValid, CodeCertUntrusted, CodeCertNameMismatch, CodeCertWeakKey,
		CodeCertWeakSignatureMD5, CodeCertWeakSignatureSHA1,
		CodeMTASTSMXNotCovered, CodeMTASTSEnforceMXFails, CodeDANEInvalid, CodeDataAfterSTARTTLS,
		CodeVulnSTARTTLSInjection, CodeVulnHeartbleed, CodeVulnCCSInjection, CodeVulnROBOT,
		CodeVulnInsecureReneg, CodeVulnCompression, CodeVulnDHCommonPrime,
	}
}

// InTransitCitations are the framework sections every in-transit
// encryption finding cites, as the wording templates write them.
func InTransitCitations() []string {
	return []string{"45 CFR §164.312(e)(1)", "16 CFR §314.4(c)(3)", "23 NYCRR §500.15", "PCI DSS v4.0 Req. 4.2.1"}
}
