package grade

import "strings"

// The NIST SP 800-52 cipher suite lists, keyed by wire code as evidence
// records it ("0xC0,0x2F"). The Rev. 2 list is NIST's §3.3.1 as quoted in
// cisco/mercury (crypto_assess.h) and rustls issue 1538, cross-checked with
// TLS-Scanner and the stfbk/tls-compliance-dataset; the NIST PDF itself was
// not consulted. The Rev. 1 list is a reconstruction (see inNISTR1).

// inNISTR2 reports whether a suite is in the NIST SP 800-52 Rev. 2 §3.3.1
// lists: the 56 suites for TLS 1.2 and earlier (ECDSA, RSA, DSA and static
// DH/ECDH certificates) and the four TLS 1.3 suites of §3.3.1.2. The RSA
// key-transport suites of the transition appendix and the PSK suites are
// not included.
func inNISTR2(code string) bool {
	switch normCode(code) {
	case
		"0xC0,0x2B", // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
		"0xC0,0x2C", // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
		"0xC0,0xAC", // TLS_ECDHE_ECDSA_WITH_AES_128_CCM
		"0xC0,0xAD", // TLS_ECDHE_ECDSA_WITH_AES_256_CCM
		"0xC0,0xAE", // TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8
		"0xC0,0xAF", // TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8
		"0xC0,0x23", // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256
		"0xC0,0x24", // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384
		"0xC0,0x09", // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
		"0xC0,0x0A", // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA
		"0xC0,0x2F", // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
		"0xC0,0x30", // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
		"0x00,0x9E", // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
		"0x00,0x9F", // TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
		"0xC0,0x9E", // TLS_DHE_RSA_WITH_AES_128_CCM
		"0xC0,0x9F", // TLS_DHE_RSA_WITH_AES_256_CCM
		"0xC0,0xA2", // TLS_DHE_RSA_WITH_AES_128_CCM_8
		"0xC0,0xA3", // TLS_DHE_RSA_WITH_AES_256_CCM_8
		"0xC0,0x27", // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
		"0xC0,0x28", // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384
		"0x00,0x67", // TLS_DHE_RSA_WITH_AES_128_CBC_SHA256
		"0x00,0x6B", // TLS_DHE_RSA_WITH_AES_256_CBC_SHA256
		"0xC0,0x13", // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
		"0xC0,0x14", // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
		"0x00,0x33", // TLS_DHE_RSA_WITH_AES_128_CBC_SHA
		"0x00,0x39", // TLS_DHE_RSA_WITH_AES_256_CBC_SHA
		"0x00,0xA2", // TLS_DHE_DSS_WITH_AES_128_GCM_SHA256
		"0x00,0xA3", // TLS_DHE_DSS_WITH_AES_256_GCM_SHA384
		"0x00,0x40", // TLS_DHE_DSS_WITH_AES_128_CBC_SHA256
		"0x00,0x6A", // TLS_DHE_DSS_WITH_AES_256_CBC_SHA256
		"0x00,0x32", // TLS_DHE_DSS_WITH_AES_128_CBC_SHA
		"0x00,0x38", // TLS_DHE_DSS_WITH_AES_256_CBC_SHA
		"0x00,0xA4", // TLS_DH_DSS_WITH_AES_128_GCM_SHA256
		"0x00,0xA5", // TLS_DH_DSS_WITH_AES_256_GCM_SHA384
		"0x00,0x3E", // TLS_DH_DSS_WITH_AES_128_CBC_SHA256
		"0x00,0x68", // TLS_DH_DSS_WITH_AES_256_CBC_SHA256
		"0x00,0x30", // TLS_DH_DSS_WITH_AES_128_CBC_SHA
		"0x00,0x36", // TLS_DH_DSS_WITH_AES_256_CBC_SHA
		"0x00,0xA0", // TLS_DH_RSA_WITH_AES_128_GCM_SHA256
		"0x00,0xA1", // TLS_DH_RSA_WITH_AES_256_GCM_SHA384
		"0x00,0x3F", // TLS_DH_RSA_WITH_AES_128_CBC_SHA256
		"0x00,0x69", // TLS_DH_RSA_WITH_AES_256_CBC_SHA256
		"0x00,0x31", // TLS_DH_RSA_WITH_AES_128_CBC_SHA
		"0x00,0x37", // TLS_DH_RSA_WITH_AES_256_CBC_SHA
		"0xC0,0x2D", // TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256
		"0xC0,0x2E", // TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384
		"0xC0,0x25", // TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256
		"0xC0,0x26", // TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384
		"0xC0,0x04", // TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA
		"0xC0,0x05", // TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA
		"0xC0,0x31", // TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256
		"0xC0,0x32", // TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384
		"0xC0,0x29", // TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256
		"0xC0,0x2A", // TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384
		"0xC0,0x0E", // TLS_ECDH_RSA_WITH_AES_128_CBC_SHA
		"0xC0,0x0F", // TLS_ECDH_RSA_WITH_AES_256_CBC_SHA
		"0x13,0x01", // TLS_AES_128_GCM_SHA256
		"0x13,0x02", // TLS_AES_256_GCM_SHA384
		"0x13,0x04", // TLS_AES_128_CCM_SHA256
		"0x13,0x05": // TLS_AES_128_CCM_8_SHA256
		return true
	}
	return false
}

// inNISTR1 reports whether a suite is in mxaudit's NIST SP 800-52 Rev. 1
// list. CAUTION: the Rev. 1 tables could not be obtained verbatim; this is a
// PARTIAL RECONSTRUCTION from the MatrixSSL FIPS configuration, which
// annotates suites with their Rev. 1 level. It holds the rows marked shall,
// should or may, without the PSK rows (should not, Appendix C) and the
// "shall not" rows. Suites MatrixSSL does not annotate (DHE_RSA, ECDHE_RSA
// AES_256_CBC_SHA, ECDH_RSA, DH_DSS/DH_RSA, DHE_DSS, RSA AES-CCM) are
// missing although Rev. 1 may list some of them, so a server offering only
// those suites is reported without an r1 suite. Rev. 1 predates TLS 1.3.
func inNISTR1(code string) bool {
	switch normCode(code) {
	case
		"0x00,0x0A", // TLS_RSA_WITH_3DES_EDE_CBC_SHA (shall)
		"0x00,0x2F", // TLS_RSA_WITH_AES_128_CBC_SHA (shall)
		"0x00,0x9C", // TLS_RSA_WITH_AES_128_GCM_SHA256 (shall)
		"0x00,0x35", // TLS_RSA_WITH_AES_256_CBC_SHA (should)
		"0x00,0x9D", // TLS_RSA_WITH_AES_256_GCM_SHA384 (should)
		"0x00,0x3C", // TLS_RSA_WITH_AES_128_CBC_SHA256 (may)
		"0x00,0x3D", // TLS_RSA_WITH_AES_256_CBC_SHA256 (may)
		"0xC0,0x09", // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA (should)
		"0xC0,0x0A", // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA (may)
		"0xC0,0x23", // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (should)
		"0xC0,0x24", // TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 (may)
		"0xC0,0x2B", // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 (should)
		"0xC0,0x2C", // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (should)
		"0xC0,0x08", // TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA (should)
		"0xC0,0x12", // TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA (should)
		"0xC0,0x13", // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (should)
		"0xC0,0x27", // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 (should)
		"0xC0,0x28", // TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 (may)
		"0xC0,0x2F", // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (should)
		"0xC0,0x30", // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (should)
		"0xC0,0x03", // TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA (may)
		"0xC0,0x04", // TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA (may)
		"0xC0,0x05", // TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA (may)
		"0xC0,0x25", // TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256 (may)
		"0xC0,0x26", // TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384 (may)
		"0xC0,0x2D", // TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256 (may)
		"0xC0,0x2E": // TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384 (may)
		return true
	}
	return false
}

// normCode writes a suite code as the lists do ("0xC0,0x2F"), whatever the
// case of its hex digits and spacing.
func normCode(code string) string {
	return strings.ReplaceAll(strings.ToUpper(strings.ReplaceAll(code, " ", "")), "0X", "0x")
}

// inNISTR1OrR2 is the membership test of the nist_r1 check: Rev. 1's list
// as reconstructed, or Rev. 2's, which supersedes it.
func inNISTR1OrR2(code string) bool { return inNISTR1(code) || inNISTR2(code) }
