package grade

import (
	"fmt"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// SampleDomainsForTest returns hand-built evidence that, together, raises
// every finding code the grader emits. It lets the external test package
// render real findings through the templates.
func SampleDomainsForTest() []*evidence.Domain {
	var out []*evidence.Domain
	for _, fc := range findingCases() {
		d := perfectDomain()
		fc.mutate(d)
		out = append(out, d)
	}
	extra := []func(d *evidence.Domain){
		func(d *evidence.Domain) {
			// A second certificate the TLSA records do not cover
			// (DANE_INVALID's "via").
			rec := tlsaRec(3, 1, "ab")
			withDANE(d, daneMatch(1, rec), rec)
			otherCert(d, "ECDSA key, in TLSv1.2 hellos", func(c *evidence.CertCheck) { c.DANE = daneMatch(1) })
		},
		func(d *evidence.Domain) {
			bad := evidence.VulnCheck{Status: evidence.VulnVulnerable, Detail: "seen in a test", Version: evidence.TLS12}
			addr1(d).Probe.Vulns = &evidence.Vulns{STARTTLSInjection: bad, Heartbleed: bad, CCSInjection: bad, ROBOT: bad,
				SecureRenegotiation: bad, ClientRenegotiation: bad, Compression: bad}
			addr1(d).Probe.DHParams = []evidence.DHParams{{Bits: 1536, Prime: "FF", Known: "RFC 3526 group 5 (1536-bit)"}}
		},
		func(d *evidence.Domain) {
			setVersion(d, supported(evidence.SSLv2, sSSLv2DES3()))
			setVersion(d, supported(evidence.TLS12, sECDHERSA128GCM(), sExportRC4()))
		},
		func(d *evidence.Domain) {
			d.MX = evidence.MXLookup{Kind: evidence.MXNull, Records: []evidence.MXRecord{{}}}
			d.Hosts = nil
		},
		func(d *evidence.Domain) {
			d.MX.NullMXConflict = true
			d.MX.Records = append(d.MX.Records, evidence.MXRecord{})
		},
		func(d *evidence.Domain) {
			d.MX = evidence.MXLookup{Kind: evidence.MXNone, Lookup: evidence.Lookup{Status: evidence.DNSNXDomain}}
			d.Hosts = nil
		},
		func(d *evidence.Domain) {
			d.MX = evidence.MXLookup{Kind: evidence.MXError, Lookup: evidence.Lookup{Status: evidence.DNSTimeout, Error: "no answer after 3 tries"}}
			d.Hosts = nil
		},
		func(d *evidence.Domain) {
			d.Hosts[0].CNAME, d.Hosts[0].IPLiteral = true, true
			d.Hosts[0].A.CNAMEs = []string{"alias.example.net"}
			d.Hosts = append(d.Hosts, evidence.Host{Name: mx2, A: &evidence.Lookup{Status: evidence.DNSNXDomain}})
		},
		func(d *evidence.Domain) { d.PortBlocked = true },
		func(d *evidence.Domain) {
			d.MX.Omitted = []evidence.MXRecord{{Preference: 50, Host: "mx21.example.com"}, {Preference: 60, Host: "mx22.example.com"}}
			d.Hosts[0].OmittedAddresses = []string{"192.0.2.17", "192.0.2.18"}
		},
		func(d *evidence.Domain) { // more left out than a finding lists
			for i := range 12 {
				d.MX.Omitted = append(d.MX.Omitted, evidence.MXRecord{Preference: uint16(50 + i), Host: fmt.Sprintf("mx%d.example.com", 21+i)})
				d.Hosts[0].OmittedAddresses = append(d.Hosts[0].OmittedAddresses, fmt.Sprintf("192.0.2.%d", 17+i))
			}
		},
		func(d *evidence.Domain) { d.VersionsTested = []string{evidence.TLS12, evidence.TLS13} },
		func(d *evidence.Domain) {
			d.Error = &evidence.Error{Kind: evidence.ErrCanceled, Message: "context canceled"}
		},
	}
	for _, m := range extra {
		d := perfectDomain()
		m(d)
		out = append(out, d)
	}
	// Policy v3's cases: a session that fails after the handshake, a
	// handshake that never completes, DANE-EE waivers, a bogus TLSA RRset.
	for _, m := range []func(d *evidence.Domain){
		clientCertRequired,
		helloOnly(&evidence.Error{Kind: evidence.ErrTLSAlert, Step: "handshake", Code: 80, Message: "remote error: tls: internal error"}),
		daneEESelfSigned,
		legacyRSACBC,
		func(d *evidence.Domain) {
			d.Hosts[0].TLSA = tlsaLookup(evidence.DNSSECBogus, tlsaRec(3, 1, "ab"))
			d.Hosts[0].TLSA.Lookup.DNSSECReason = "RRSIG expired"
		},
		// A chain that does not verify, with the verifier's reason.
		func(d *evidence.Domain) {
			addr1(d).Cert.Trusted = no()
			addr1(d).Cert.TrustError = "x509: certificate signed by unknown authority"
		},
		// Inconclusive: a handshake that timed out after a ServerHello,
		// and a version that decides the grade left undetermined.
		helloOnly(&evidence.Error{Kind: evidence.ErrTimeout, Step: "handshake", Message: "i/o timeout"}),
		func(d *evidence.Domain) {
			setVersion(d, supported(evidence.SSLv2, sSSLv2DES3()))
			setVersion(d, evidence.VersionResult{Version: evidence.TLS13, Support: evidence.Inconclusive,
				Error: &evidence.Error{Kind: evidence.ErrReset, Step: "hello", Message: "connection reset by peer"}})
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sECDHERSA128GCM())}
		},
	} {
		d := perfectDomain()
		m(d)
		out = append(out, d)
	}
	for _, pc := range policyCases() {
		d := perfectDomain()
		pc.mutate(d)
		out = append(out, d)
	}
	for _, sc := range senderCases() {
		d := perfectDomain()
		sc.mutate(d)
		out = append(out, d)
	}
	return out
}
