package grade

import (
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/dane/tlsa"
	"github.com/mxaudit/mxaudit/audit/evidence"
)

// policyCase is one MTA-STS, TLS-RPT, DANE or DNSSEC finding raised on an
// otherwise perfect domain (one MX host, one address).
type policyCase struct {
	name   string
	mutate func(d *evidence.Domain)
	// wantCodes is every finding of the domain, sorted.
	wantCodes []string
	// code is the finding under test (none when empty); host and ip its scope.
	code      string
	host, ip  string
	severity  Severity
	deduction int
	// score and grade are the address's; domain is the domain's grade.
	score  int
	grade  Grade
	domain Grade
	// args are checked exactly, besides domain, host and ip.
	args map[string]string
	// says is part of the finding's message, when the case says.
	says string
	// incomplete is the domain grade's Incomplete.
	incomplete bool
}

// Fixed texts of the cases.
const (
	recordsTwo       = "2 MTA-STS records: senders ignore both"
	status404        = "status 404: a policy is only valid with status 200"
	certRefused      = "certificate of mta-sts.example.com refused: not valid for mta-sts.example.com"
	badMode          = `line 2: mode "enforcing" is not enforce, testing or none`
	tlsrptBadScheme  = `invalid TLS-RPT record: rua URI "ftp://r.example.com/": scheme "ftp" is not supported (only mailto and https)`
	daneNoMatch      = "TLSA 3 1 1 abababababababab… does not match the leaf; no usable TLSA record matches the presented chain"
	tlsaShortAB      = "3 1 1 abababababababab…"
	reasonNotSigned  = "the TLSA records are not DNSSEC-signed (insecure), so senders ignore them"
	reasonPKIXOnly   = "no TLSA record is usable for SMTP (1 1 1 abababababababab…: usage 1 (PKIX) is unusable for SMTP)"
	reasonSANMissing = "the certificate names the MX host only in its common name, not in a subject alternative name"
)

func policyCases() []policyCase {
	sts := func(m *evidence.MTASTS) func(d *evidence.Domain) {
		return func(d *evidence.Domain) { d.MTASTS = m }
	}
	enforceWith := func(mut func(d *evidence.Domain)) func(d *evidence.Domain) {
		return func(d *evidence.Domain) {
			d.MTASTS = stsEnforce()
			mut(d)
		}
	}
	fetchFailed := func(code int, e *evidence.Error) *evidence.MTASTS {
		m := stsEnforce()
		m.Fetch = &evidence.PolicyFetch{URL: stsURL, StatusCode: code, Error: e, FetchedAt: tStart}
		m.Policy, m.MXMatch = nil, nil
		return m
	}
	ab := tlsaRec(3, 1, "ab")
	abLabel := tlsa.Label(ab)
	return []policyCase{
		{name: "mta-sts record missing", mutate: sts(&evidence.MTASTS{
			TXT: evidence.Lookup{Name: "_mta-sts." + testDomain, Type: "TXT", Status: evidence.DNSNXDomain}, RecordError: "no MTA-STS record"}),
			wantCodes: []string{CodeMTASTSMissing}, code: CodeMTASTSMissing, severity: Info, score: 100, grade: GradeA, domain: GradeA,
			args: map[string]string{"status": "nxdomain"}},
		{name: "txt records without v=STSv1", mutate: sts(&evidence.MTASTS{
			TXT:         evidence.Lookup{Name: "_mta-sts." + testDomain, Type: "TXT", Status: evidence.DNSOK, Records: []string{`"v=spf1 -all"`}},
			RecordError: "no MTA-STS record"}),
			wantCodes: []string{CodeMTASTSMissing}, code: CodeMTASTSMissing, severity: Info, score: 100, grade: GradeA, domain: GradeA,
			args: map[string]string{"status": "ok"}},
		{name: "mta-sts lookup servfail", mutate: sts(&evidence.MTASTS{
			TXT: evidence.Lookup{Status: evidence.DNSServFail}, RecordError: "TXT lookup of _mta-sts.example.com failed (servfail)"}),
			wantCodes: []string{CodeMTASTSLookupFailed}, code: CodeMTASTSLookupFailed, severity: Info, score: 100, grade: GradeA, domain: GradeA,
			args: map[string]string{"status": "servfail"}},
		{name: "two mta-sts records", mutate: sts(&evidence.MTASTS{
			TXT:     evidence.Lookup{Status: evidence.DNSOK},
			Records: []string{"v=STSv1; id=1", "v=STSv1; id=2"}, RecordError: recordsTwo}),
			wantCodes: []string{CodeMTASTSRecordInvalid}, code: CodeMTASTSRecordInvalid, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus,
			args: map[string]string{"reason": recordsTwo, "records": `"v=STSv1; id=1", "v=STSv1; id=2"`}},
		{name: "policy answers 404", mutate: sts(fetchFailed(404, &evidence.Error{Kind: evidence.ErrProtocol, Step: "http", Message: status404})),
			wantCodes: []string{CodeMTASTSPolicyUnavailable}, code: CodeMTASTSPolicyUnavailable, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus,
			args: map[string]string{"cause": "error", "reason": status404, "status": "404", "url": stsURL}},
		{name: "policy answers 301 without an error recorded", mutate: sts(fetchFailed(301, nil)),
			wantCodes: []string{CodeMTASTSPolicyUnavailable}, code: CodeMTASTSPolicyUnavailable, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus,
			args: map[string]string{"cause": "status", "status": "301", "url": stsURL}, says: "fetched: status 301: a policy is only valid with status 200."},
		{name: "policy larger than the size limit", mutate: func(d *evidence.Domain) {
			d.MTASTS = fetchFailed(0, nil)
			d.MTASTS.Fetch.Truncated = true
		},
			wantCodes: []string{CodeMTASTSPolicyUnavailable}, code: CodeMTASTSPolicyUnavailable, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus,
			args: map[string]string{"cause": "truncated", "url": stsURL}, says: "fetched: the policy is larger than the size limit."},
		{name: "policy host certificate refused", mutate: sts(fetchFailed(0, &evidence.Error{Kind: evidence.ErrTLS, Step: "certificate", Message: certRefused})),
			wantCodes: []string{CodeMTASTSPolicyUnavailable}, code: CodeMTASTSPolicyUnavailable, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus,
			args: map[string]string{"cause": "error", "reason": certRefused, "url": stsURL}},
		{name: "policy host unreached, outbound https blocked", mutate: func(d *evidence.Domain) {
			d.MTASTS = fetchFailed(0, &evidence.Error{Kind: evidence.ErrTimeout, Step: evidence.StepConnect, Message: "i/o timeout"})
			d.HTTPSBlocked = true
		},
			wantCodes: []string{CodeHTTPSBlocked}, code: CodeHTTPSBlocked, severity: Info, score: 100, grade: GradeA, domain: GradeA,
			args: map[string]string{"url": stsURL}, incomplete: true},
		{name: "proxy unreached, outbound https blocked", mutate: func(d *evidence.Domain) {
			d.MTASTS = fetchFailed(0, &evidence.Error{Kind: evidence.ErrRefused, Step: evidence.StepProxy, Message: "connection refused"})
			d.HTTPSBlocked = true
		},
			wantCodes: []string{CodeHTTPSBlocked}, code: CodeHTTPSBlocked, severity: Info, score: 100, grade: GradeA, domain: GradeA,
			args: map[string]string{"url": stsURL}, incomplete: true},
		{name: "policy host unreached in a run that reached others", mutate: sts(fetchFailed(0, &evidence.Error{Kind: evidence.ErrTimeout, Step: evidence.StepConnect, Message: "i/o timeout"})),
			wantCodes: []string{CodeMTASTSPolicyUnavailable}, code: CodeMTASTSPolicyUnavailable, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus, args: map[string]string{"cause": "error", "reason": "i/o timeout", "url": stsURL}},
		{name: "policy answers 404 while outbound https is blocked", mutate: func(d *evidence.Domain) {
			d.MTASTS = fetchFailed(404, &evidence.Error{Kind: evidence.ErrProtocol, Step: "http", Message: status404})
			d.HTTPSBlocked = true
		},
			wantCodes: []string{CodeMTASTSPolicyUnavailable}, code: CodeMTASTSPolicyUnavailable, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus, args: map[string]string{"cause": "error", "reason": status404, "status": "404", "url": stsURL}},
		{name: "policy host name unknown while outbound https is blocked", mutate: func(d *evidence.Domain) {
			d.MTASTS = fetchFailed(0, &evidence.Error{Kind: evidence.ErrProtocol, Step: evidence.StepConnect, Message: "no such host"})
			d.HTTPSBlocked = true
		},
			wantCodes: []string{CodeMTASTSPolicyUnavailable}, code: CodeMTASTSPolicyUnavailable, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus, args: map[string]string{"cause": "error", "reason": "no such host", "url": stsURL}},
		{name: "our proxy broke the fetch: not checked", mutate: sts(fetchFailed(0, &evidence.Error{Kind: evidence.ErrProtocol, Step: evidence.StepProxy,
			Message: "proxy 10.0.0.1:3128: answer to CONNECT is not HTTP/1.x"})),
			score: 100, grade: GradeA, domain: GradeA},
		{name: "proxy cannot reach the policy host: the vendor's", mutate: sts(fetchFailed(0, &evidence.Error{Kind: evidence.ErrUnreach, Step: evidence.StepProxy,
			Message: "proxy 10.0.0.1:3128 answered 502 Bad Gateway"})),
			wantCodes: []string{CodeMTASTSPolicyUnavailable}, code: CodeMTASTSPolicyUnavailable, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus, args: map[string]string{"cause": "error", "reason": "proxy 10.0.0.1:3128 answered 502 Bad Gateway", "url": stsURL}},
		{name: "policy host resolves to a private address", mutate: sts(fetchFailed(0, &evidence.Error{Kind: evidence.ErrPrivateAddress, Step: evidence.StepConnect,
			Message: "mta-sts.example.com resolves to " + privateReason})),
			wantCodes: []string{CodeMTASTSHostPrivate}, code: CodeMTASTSHostPrivate, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus, args: map[string]string{"reason": "mta-sts.example.com resolves to " + privateReason, "url": stsURL}},
		{name: "policy fetch cancelled is not checked", mutate: sts(fetchFailed(0, &evidence.Error{Kind: evidence.ErrCanceled, Step: "http", Message: "context canceled"})),
			score: 100, grade: GradeA, domain: GradeA},
		{name: "policy invalid", mutate: func(d *evidence.Domain) {
			m := stsEnforce()
			m.Fetch.Body = "version: STSv1\nmode: enforcing\nmx: *.example.com\nmax_age: 604800\n"
			m.Policy, m.MXMatch, m.PolicyErrors = nil, nil, []string{badMode}
			d.MTASTS = m
		}, wantCodes: []string{CodeMTASTSPolicyInvalid}, code: CodeMTASTSPolicyInvalid, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus,
			args: map[string]string{"errors": badMode, "url": stsURL}},
		{name: "policy fetched but not parsed, no error recorded", mutate: func(d *evidence.Domain) {
			m := stsEnforce()
			m.Policy, m.MXMatch, m.PolicyErrors = nil, nil, nil
			d.MTASTS = m
		}, wantCodes: []string{CodeMTASTSPolicyInvalid}, code: CodeMTASTSPolicyInvalid, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus,
			args: map[string]string{"url": stsURL}, says: "is invalid: no policy could be read."},
		{name: "policy in testing mode", mutate: sts(stsEvidence(stsModeTesting, stsWeek, "*.example.com")),
			wantCodes: []string{CodeMTASTSTesting}, code: CodeMTASTSTesting, severity: Info, score: 100, grade: GradeA, domain: GradeA,
			args: map[string]string{}},
		{name: "policy in mode none with a short max_age", mutate: sts(stsEvidence(stsModeNone, 300)),
			wantCodes: []string{CodeMTASTSModeNone}, code: CodeMTASTSModeNone, severity: Info, score: 100, grade: GradeA, domain: GradeA,
			args: map[string]string{}},
		{name: "enforced policy does not cover the MX", mutate: sts(stsEvidence(stsModeEnforce, stsWeek, "mail.other.example", "*.mail.example.com")),
			wantCodes: []string{CodeMTASTSMXNotCovered}, code: CodeMTASTSMXNotCovered, host: mx1, severity: Critical, score: 100,
			grade: GradeF, domain: GradeF,
			args: map[string]string{"mode": "enforce", "patterns": "mail.other.example, *.mail.example.com"}},
		{name: "testing policy does not cover the MX", mutate: sts(stsEvidence(stsModeTesting, stsWeek, "mail.other.example")),
			wantCodes: []string{CodeMTASTSTesting, CodeMTASTSTestingMXNotCovered}, code: CodeMTASTSTestingMXNotCovered, host: mx1, severity: Medium,
			deduction: 10, score: 90, grade: GradeAMinus, domain: GradeAMinus,
			args: map[string]string{"mode": "testing", "patterns": "mail.other.example"}},
		{name: "enforced MX with an expired certificate", mutate: enforceWith(func(d *evidence.Domain) {
			addr1(d).Cert.Expired, addr1(d).Cert.DaysToExpiry = yes(), -3
		}), wantCodes: []string{CodeCertExpired, CodeMTASTSEnforceMXFails}, code: CodeMTASTSEnforceMXFails, host: mx1, ip: ip1,
			severity: Critical, score: 65, grade: GradeF, domain: GradeF,
			args: map[string]string{"reasons": "the certificate has expired", "pattern": "*.example.com"}},
		{name: "enforced MX named only in the certificate CN", mutate: enforceWith(func(d *evidence.Domain) {
			c := addr1(d).Cert
			c.Chain[0].DNSNames, c.MatchedBy = nil, "CN:"+mx1
		}), wantCodes: []string{CodeMTASTSEnforceMXFails}, code: CodeMTASTSEnforceMXFails, host: mx1, ip: ip1,
			severity: Critical, score: 100, grade: GradeF, domain: GradeF,
			args: map[string]string{"reasons": reasonSANMissing, "pattern": "*.example.com"}},
		{name: "enforced MX without STARTTLS", mutate: enforceWith(func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe = &evidence.Probe{IP: ip1, Port: 25, Status: evidence.ProbeNoSTARTTLS,
				SMTP: &evidence.SMTPSession{STARTTLSOffered: no(), Extensions: []string{"PIPELINING"}}}
			a.Cert = nil
		}), wantCodes: []string{CodeMTASTSEnforceMXFails, CodeNoSTARTTLS}, code: CodeMTASTSEnforceMXFails, host: mx1, ip: ip1,
			severity: Critical, score: 100, grade: GradeF, domain: GradeF,
			args: map[string]string{"reasons": "STARTTLS is not offered", "pattern": "*.example.com"}},
		{name: "enforced MX with TLS 1.0 only", mutate: enforceWith(func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS10, sECDHERSA128SHA()))
			setVersion(d, notSupported(evidence.TLS12))
			setVersion(d, notSupported(evidence.TLS13))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS10, Suite: ptrSuite(sECDHERSA128SHA())}
		}), wantCodes: []string{CodeMTASTSEnforceMXFails, CodeNoModernTLS, CodeNoTLS13, CodeTLS10Enabled}, code: CodeMTASTSEnforceMXFails,
			host: mx1, ip: ip1, severity: Critical, score: 55, grade: GradeF, domain: GradeF,
			args: map[string]string{"reasons": "neither TLS 1.2 nor TLS 1.3 is supported", "pattern": "*.example.com"}},
		{name: "enforced MX with a self-signed certificate for another name", mutate: enforceWith(func(d *evidence.Domain) {
			c := addr1(d).Cert
			c.Trusted, c.SelfSigned, c.NameMatch, c.MatchedBy = no(), true, no(), ""
		}), wantCodes: []string{CodeCertNameMismatch, CodeCertUntrusted, CodeMTASTSEnforceMXFails}, code: CodeMTASTSEnforceMXFails,
			host: mx1, ip: ip1, severity: Critical, score: 55, grade: GradeF, domain: GradeF,
			args: map[string]string{"pattern": "*.example.com",
				"reasons": "the certificate is not trusted (the certificate is self-signed); the certificate is not valid for the MX host name"}},
		{name: "policy served as text/html", mutate: enforceWith(func(d *evidence.Domain) {
			d.MTASTS.Fetch.ContentType = "text/html; charset=utf-8"
		}), wantCodes: []string{CodeMTASTSMediaType}, code: CodeMTASTSMediaType, severity: Low, deduction: 5, score: 95,
			grade: GradeAMinus, domain: GradeAMinus,
			args: map[string]string{"content_type": "text/html", "url": stsURL}},
		{name: "policy without Content-Type", mutate: enforceWith(func(d *evidence.Domain) {
			d.MTASTS.Fetch.ContentType = ""
		}), wantCodes: []string{CodeMTASTSMediaType}, code: CodeMTASTSMediaType, severity: Low, deduction: 5, score: 95,
			grade: GradeAMinus, domain: GradeAMinus,
			args: map[string]string{"url": stsURL}, says: "without a Content-Type"},
		{name: "enforced policy with a short max_age", mutate: sts(stsEvidence(stsModeEnforce, 3600, "*.example.com")),
			wantCodes: []string{CodeMTASTSShortMaxAge}, code: CodeMTASTSShortMaxAge, severity: Low, score: 100, grade: GradeAPlus,
			domain: GradeAPlus, args: map[string]string{"max_age": "3600", "mode": "enforce"}},
		{name: "tls-rpt missing", mutate: func(d *evidence.Domain) {
			d.TLSRPT = &evidence.TLSRPT{TXT: evidence.Lookup{Status: evidence.DNSNoData}, Error: "no TLS-RPT record"}
		}, wantCodes: []string{CodeTLSRPTMissing}, code: CodeTLSRPTMissing, severity: Info, score: 100, grade: GradeA, domain: GradeA,
			args: map[string]string{"status": "nodata"}},
		{name: "tls-rpt missing beside MTA-STS", mutate: enforceWith(func(d *evidence.Domain) {
			d.TLSRPT = &evidence.TLSRPT{TXT: evidence.Lookup{Status: evidence.DNSNXDomain}, Error: "no TLS-RPT record"}
		}), wantCodes: []string{CodeTLSRPTMissing}, code: CodeTLSRPTMissing, severity: Info, score: 100, grade: GradeAPlus,
			domain: GradeAPlus, args: map[string]string{"status": "nxdomain"}},
		{name: "tls-rpt missing beside DANE", mutate: func(d *evidence.Domain) {
			withDANE(d, daneMatch(2, ab), ab, tlsaRec(3, 1, "cd"))
			d.TLSRPT = &evidence.TLSRPT{TXT: evidence.Lookup{Status: evidence.DNSNXDomain}, Error: "no TLS-RPT record"}
		}, wantCodes: []string{CodeTLSRPTMissing}, code: CodeTLSRPTMissing, severity: Info, score: 100, grade: GradeAPlus,
			domain: GradeAPlus, args: map[string]string{"status": "nxdomain"}},
		{name: "tls-rpt invalid", mutate: func(d *evidence.Domain) {
			d.TLSRPT = &evidence.TLSRPT{TXT: evidence.Lookup{Status: evidence.DNSOK},
				Records: []string{"v=TLSRPTv1; rua=ftp://r.example.com/"}, Error: tlsrptBadScheme}
		}, wantCodes: []string{CodeTLSRPTInvalid}, code: CodeTLSRPTInvalid, severity: Low, score: 100, grade: GradeA, domain: GradeA,
			args: map[string]string{"reason": tlsrptBadScheme}},
		{name: "tls-rpt lookup timed out", mutate: func(d *evidence.Domain) {
			d.TLSRPT = &evidence.TLSRPT{TXT: evidence.Lookup{Status: evidence.DNSTimeout}, Error: "TXT lookup of _smtp._tls.example.com failed (timeout)"}
		}, wantCodes: []string{CodeTLSRPTLookupFailed}, code: CodeTLSRPTLookupFailed, severity: Info, score: 100, grade: GradeA, domain: GradeA,
			args: map[string]string{"status": "timeout"}},
		{name: "dane chain matches no record", mutate: func(d *evidence.Domain) {
			withDANE(d, &evidence.DANEMatch{Usable: 1, Reason: daneNoMatch}, ab)
		}, wantCodes: []string{CodeDANEInvalid}, code: CodeDANEInvalid, host: mx1, ip: ip1, severity: Critical, score: 100,
			grade: GradeF, domain: GradeF, args: map[string]string{"detail": daneNoMatch, "records": abLabel}, says: ": " + daneNoMatch + "."},
		{name: "dane records in an unsigned zone", mutate: func(d *evidence.Domain) {
			d.Hosts[0].TLSA = tlsaLookup(evidence.DNSSECInsecure, ab)
			addr1(d).DANE = daneMatch(1, ab)
		}, wantCodes: []string{CodeDANEUnusable}, code: CodeDANEUnusable, host: mx1, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus, args: map[string]string{"dnssec": "insecure", "records": tlsaShortAB}, says: ": " + reasonNotSigned + "."},
		{name: "dane records with PKIX usages only", mutate: func(d *evidence.Domain) {
			withDANE(d, &evidence.DANEMatch{Reason: "no TLSA record is usable for SMTP"}, tlsaRec(1, 1, "ab"))
		}, wantCodes: []string{CodeDANEUnusable}, code: CodeDANEUnusable, host: mx1, severity: Medium, deduction: 10, score: 90,
			grade: GradeAMinus, domain: GradeAMinus, args: map[string]string{"unusable": "1 1 1 abababababababab…: usage 1 (PKIX) is unusable for SMTP", "records": "1 1 1 abababababababab…"},
			says: ": " + reasonPKIXOnly + "."},
		{name: "dane valid without a rollover record", mutate: func(d *evidence.Domain) {
			withDANE(d, daneMatch(1, ab), ab)
		}, wantCodes: []string{CodeDANENoRollover}, code: CodeDANENoRollover, host: mx1, severity: Low, score: 100, grade: GradeAPlus,
			domain: GradeAPlus, args: map[string]string{"records": abLabel, "count": "1"}},
		{name: "tlsa lookup servfail", mutate: func(d *evidence.Domain) {
			d.Hosts[0].TLSA = &evidence.TLSALookup{Lookup: evidence.Lookup{Name: "_25._tcp." + mx1, Type: "TLSA", Status: evidence.DNSServFail}}
		}, wantCodes: []string{CodeDANETLSALookupFailed}, code: CodeDANETLSALookupFailed, host: mx1, severity: High, deduction: 35,
			score: 65, grade: GradeC, domain: GradeC,
			args: map[string]string{"status": "servfail"}, says: " (servfail). DANE-validating senders treat mx1.example.com as unreachable."},
		{name: "tlsa lookup timed out", mutate: func(d *evidence.Domain) {
			d.Hosts[0].TLSA = &evidence.TLSALookup{Lookup: evidence.Lookup{Status: evidence.DNSTimeout, Error: "no answer after 3 tries"}}
		}, wantCodes: []string{CodeDANETLSALookupFailed}, code: CodeDANETLSALookupFailed, host: mx1, severity: High, deduction: 35,
			score: 65, grade: GradeC, domain: GradeC,
			args: map[string]string{"status": "timeout", "error": "no answer after 3 tries"},
			says: " (timeout: no answer after 3 tries). DANE-validating senders treat mx1.example.com as unreachable."},
		{name: "tlsa answer bogus", mutate: func(d *evidence.Domain) {
			d.Hosts[0].TLSA = tlsaLookup(evidence.DNSSECBogus, ab)
			d.Hosts[0].TLSA.Lookup.DNSSECReason = "RRSIG expired"
			addr1(d).DANE = daneMatch(1, ab)
		}, wantCodes: []string{CodeDNSSECBogus}, code: CodeDNSSECBogus, host: mx1, severity: Critical,
			score: 100, grade: GradeF, domain: GradeF,
			args: map[string]string{"lookup": "TLSA", "reason": "TLSA: RRSIG expired"}},
		{name: "MX records bogus", mutate: func(d *evidence.Domain) {
			d.MX.Lookup.DNSSEC, d.MX.Lookup.DNSSECReason = evidence.DNSSECBogus, "no valid RRSIG for example.com MX"
		}, wantCodes: []string{CodeDNSSECBogus}, code: CodeDNSSECBogus, severity: Critical, score: 100, grade: GradeF, domain: GradeF,
			args: map[string]string{"lookup": "MX", "reason": "no valid RRSIG for example.com MX"}},
		{name: "MX host address records bogus", mutate: func(d *evidence.Domain) {
			d.Hosts[0].A.DNSSEC = evidence.DNSSECBogus
		}, wantCodes: []string{CodeDNSSECBogus}, code: CodeDNSSECBogus, host: mx1, severity: Critical, score: 100, grade: GradeF,
			domain: GradeF, args: map[string]string{"lookup": "A"}},
		{name: "MX records unsigned", mutate: func(d *evidence.Domain) {
			d.MX.Lookup.DNSSEC = evidence.DNSSECInsecure
		}, wantCodes: []string{CodeDNSSECUnsigned}, code: CodeDNSSECUnsigned, severity: Info, score: 100, grade: GradeA, domain: GradeA,
			args: map[string]string{}},
	}
}

func TestPolicyFindings(t *testing.T) {
	for _, tt := range policyCases() {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			tt.mutate(d)
			g := GradeDomain(d, Default())
			got := codes(g.Findings)
			slices.Sort(got)
			if !slices.Equal(got, tt.wantCodes) {
				t.Fatalf("codes = %q, want %q", got, tt.wantCodes)
			}
			a := g.MX[0].Addresses[0]
			if a.Score != tt.score || a.Grade != tt.grade || g.Grade != tt.domain {
				t.Errorf("address %d %q, domain %q; want %d %q, %q", a.Score, a.Grade, g.Grade, tt.score, tt.grade, tt.domain)
			}
			if g.MX[0].Grade != tt.grade {
				t.Errorf("MX grade %q, want %q", g.MX[0].Grade, tt.grade)
			}
			if g.Incomplete != tt.incomplete {
				t.Errorf("incomplete %v, want %v", g.Incomplete, tt.incomplete)
			}
			if tt.code == "" {
				return
			}
			i := slices.IndexFunc(g.Findings, func(f Finding) bool { return f.Code == tt.code })
			f := g.Findings[i]
			if f.Host != tt.host || f.IP != tt.ip || f.Domain != testDomain {
				t.Errorf("scope %q %q %q, want %q %q", f.Domain, f.Host, f.IP, tt.host, tt.ip)
			}
			if f.Severity != tt.severity || f.Deduction != tt.deduction || f.ForceF != (tt.severity == Critical) {
				t.Errorf("severity %s deduction %d force F %v, want %s %d", f.Severity, f.Deduction, f.ForceF, tt.severity, tt.deduction)
			}
			want := map[string]string{"domain": testDomain}
			if tt.host != "" {
				want["host"] = tt.host
			}
			if tt.ip != "" {
				want["ip"] = tt.ip
			}
			for k, v := range tt.args {
				want[k] = v
			}
			// Worded arguments (a list of reasons) are compared as worded.
			if got := wordedArgs(t, f); tt.args != nil && !mapsEqual(got, want) {
				t.Errorf("Args = %q, want %q", got, want)
			}
			if f.Reason != "" {
				t.Errorf("the grader wrote a sentence: %q", f.Reason)
			}
			if m := message(t, f); !strings.Contains(m, tt.says) {
				t.Errorf("%s says %q, want it to say %q", f.Code, m, tt.says)
			}
			if tt.ip != "" && !slices.ContainsFunc(a.Findings, func(af Finding) bool { return af.Code == tt.code }) {
				t.Errorf("address findings %q lack %s", codes(a.Findings), tt.code)
			}
			if tt.ip == "" && slices.ContainsFunc(a.Findings, func(af Finding) bool { return af.Code == tt.code }) {
				t.Errorf("a %s-level finding is repeated in the address's findings", scopeName(tt.host))
			}
		})
	}
}

func scopeName(host string) string {
	if host == "" {
		return "domain"
	}
	return "host"
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// twoHosts adds mx2 (preference 20) with one perfect address.
func twoHosts(d *evidence.Domain) {
	d.MX.Records = append(d.MX.Records, evidence.MXRecord{Preference: 20, Host: mx2})
	d.Hosts = append(d.Hosts, evidence.Host{Name: mx2, Preference: 20,
		A:         &evidence.Lookup{Name: mx2, Type: "A", Status: evidence.DNSOK, Records: []string{ip3}},
		Addresses: []evidence.Address{perfectAddress(mx2, ip3)}})
}

func TestPolicyGrades(t *testing.T) {
	timeout := func(ip string) evidence.Address {
		return evidence.Address{IP: ip, Probe: &evidence.Probe{IP: ip, Status: evidence.ProbeInconclusive,
			Error: &evidence.Error{Kind: evidence.ErrTimeout, Step: "connect", Message: "i/o timeout"}}}
	}
	tests := []struct {
		name   string
		mutate func(d *evidence.Domain)
		policy *Policy
		// want is the domain grade, mxGrades each MX's.
		want       Grade
		mxGrades   []Grade
		incomplete bool
		forced     ForcedTLS
		wantCodes  []string // every finding, sorted
		// finding, when set, must be raised for host/ip with this severity.
		finding  string
		host, ip string
		severity Severity
	}{
		{name: "enforce covering every MX", mutate: func(d *evidence.Domain) {
			twoHosts(d)
			d.MTASTS = stsEnforce()
			d.TLSRPT = tlsrptEvidence()
		}, want: GradeAPlus, mxGrades: []Grade{GradeAPlus, GradeAPlus}, forced: ForcedTLSEligible},
		{name: "enforce with the second MX failing", mutate: func(d *evidence.Domain) {
			twoHosts(d)
			d.MTASTS = stsEnforce()
			d.Hosts[1].Addresses[0].Cert.Expired = yes()
		}, want: GradeF, mxGrades: []Grade{GradeAPlus, GradeF}, forced: ForcedTLSEligible,
			wantCodes: []string{CodeCertExpired, CodeMTASTSEnforceMXFails}, finding: CodeMTASTSEnforceMXFails, host: mx2, ip: ip3, severity: Critical},
		{name: "enforce not covering the second MX", mutate: func(d *evidence.Domain) {
			twoHosts(d)
			d.MTASTS = stsEvidence(stsModeEnforce, stsWeek, mx1)
		}, want: GradeF, mxGrades: []Grade{GradeAPlus, GradeF}, forced: ForcedTLSEligible,
			wantCodes: []string{CodeMTASTSMXNotCovered}, finding: CodeMTASTSMXNotCovered, host: mx2, severity: Critical},
		{name: "enforce, MXMatch missing a host: the patterns decide", mutate: func(d *evidence.Domain) {
			twoHosts(d)
			d.MTASTS = stsEvidence(stsModeEnforce, stsWeek, mx1)
			delete(d.MTASTS.MXMatch, mx2)
		}, want: GradeF, mxGrades: []Grade{GradeAPlus, GradeF}, forced: ForcedTLSEligible,
			wantCodes: []string{CodeMTASTSMXNotCovered}, finding: CodeMTASTSMXNotCovered, host: mx2, severity: Critical},
		{name: "enforce, MXMatch wins over the patterns", mutate: func(d *evidence.Domain) {
			d.MTASTS = stsEnforce()
			d.MTASTS.MXMatch[mx1] = ""
		}, want: GradeF, mxGrades: []Grade{GradeF}, forced: ForcedTLSEligible,
			wantCodes: []string{CodeMTASTSMXNotCovered}, finding: CodeMTASTSMXNotCovered, host: mx1, severity: Critical},
		{name: "testing mode is not A+", mutate: func(d *evidence.Domain) {
			d.MTASTS = stsEvidence(stsModeTesting, stsWeek, "*.example.com")
		}, want: GradeA, mxGrades: []Grade{GradeA}, forced: ForcedTLSEligible, wantCodes: []string{CodeMTASTSTesting}},
		{name: "enforce with an inconclusive address", mutate: func(d *evidence.Domain) {
			d.MTASTS = stsEnforce()
			a := timeout(ip2)
			a.Cert = perfectAddress(mx1, ip2).Cert
			a.Cert.Expired = yes()
			d.Hosts[0].Addresses = append(d.Hosts[0].Addresses, a)
		}, want: GradeAPlus, mxGrades: []Grade{GradeAPlus}, incomplete: true, forced: ForcedTLSUnknown,
			wantCodes: []string{CodeCertExpired, CodeInconclusive}},
		{name: "enforce with certificate trust unknown", mutate: func(d *evidence.Domain) {
			d.MTASTS = stsEnforce()
			addr1(d).Cert.Trusted = nil
		}, want: GradeA, mxGrades: []Grade{GradeA}, forced: ForcedTLSEligible},
		{name: "enforce with the matching name unrecorded", mutate: func(d *evidence.Domain) {
			d.MTASTS = stsEnforce()
			addr1(d).Cert.MatchedBy = ""
		}, want: GradeA, mxGrades: []Grade{GradeA}, forced: ForcedTLSEligible},
		{name: "enforce with TLS 1.3 unknown", mutate: func(d *evidence.Domain) {
			d.MTASTS = stsEnforce()
			addr1(d).Cert.Expired = yes()
			setVersion(d, evidence.VersionResult{Version: evidence.TLS13, Support: evidence.Inconclusive})
			addr1(d).Probe.Handshake.Version = evidence.TLS12
		}, want: GradeInconclusive, mxGrades: []Grade{GradeInconclusive}, incomplete: true, forced: ForcedTLSUnknown,
			wantCodes: []string{CodeCertExpired, CodeInconclusive}},
		{name: "DANE valid with TLS 1.3", mutate: func(d *evidence.Domain) {
			withDANE(d, daneMatch(2, tlsaRec(3, 1, "ab")), tlsaRec(3, 1, "ab"), tlsaRec(2, 0, "cd"))
		}, want: GradeAPlus, mxGrades: []Grade{GradeAPlus}, forced: ForcedTLSEligible},
		{name: "DANE valid without TLS 1.3", mutate: func(d *evidence.Domain) {
			withDANE(d, daneMatch(2, tlsaRec(3, 1, "ab")), tlsaRec(3, 1, "ab"), tlsaRec(3, 1, "cd"))
			setVersion(d, notSupported(evidence.TLS13))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sECDHERSA256GCM())}
		}, want: GradeA, mxGrades: []Grade{GradeA}, forced: ForcedTLSEligible, wantCodes: []string{CodeNoTLS13}},
		{name: "DANE records whose DNSSEC status was not checked", mutate: func(d *evidence.Domain) {
			d.Hosts[0].TLSA = tlsaLookup(evidence.DNSSECNotChecked, tlsaRec(3, 1, "ab"))
			addr1(d).DANE = &evidence.DANEMatch{Usable: 1, Reason: daneNoMatch}
		}, want: GradeA, mxGrades: []Grade{GradeA}, forced: ForcedTLSEligible},
		{name: "DANE match not tested", mutate: func(d *evidence.Domain) {
			withDANE(d, nil, tlsaRec(3, 1, "ab"))
		}, want: GradeA, mxGrades: []Grade{GradeA}, forced: ForcedTLSEligible},
		{name: "DANE invalid on one address of two", mutate: func(d *evidence.Domain) {
			withDANE(d, daneMatch(2, tlsaRec(3, 1, "ab")), tlsaRec(3, 1, "ab"), tlsaRec(3, 1, "cd"))
			b := perfectAddress(mx1, ip2)
			b.DANE = &evidence.DANEMatch{Usable: 2, Reason: daneNoMatch}
			d.Hosts[0].Addresses = append(d.Hosts[0].Addresses, b)
		}, want: GradeF, mxGrades: []Grade{GradeF}, forced: ForcedTLSEligible,
			wantCodes: []string{CodeDANEInvalid}, finding: CodeDANEInvalid, host: mx1, ip: ip2, severity: Critical},
		{name: "DANE invalid and MTA-STS enforce valid", mutate: func(d *evidence.Domain) {
			// RFC 8461 §2: MTA-STS never overrides a failing DANE validation.
			d.MTASTS = stsEnforce()
			withDANE(d, &evidence.DANEMatch{Usable: 1, Reason: daneNoMatch}, tlsaRec(3, 1, "ab"))
		}, want: GradeF, mxGrades: []Grade{GradeF}, forced: ForcedTLSEligible,
			wantCodes: []string{CodeDANEInvalid}, finding: CodeDANEInvalid, host: mx1, ip: ip1, severity: Critical},
		{name: "MX records bogus with every address inconclusive", mutate: func(d *evidence.Domain) {
			d.MX.Lookup.DNSSEC = evidence.DNSSECBogus
			d.Hosts[0].Addresses = []evidence.Address{timeout(ip1)}
		}, want: GradeF, mxGrades: []Grade{GradeF}, incomplete: true, forced: ForcedTLSUnknown,
			wantCodes: []string{CodeDNSSECBogus, CodeInconclusive}, finding: CodeDNSSECBogus, severity: Critical},
		{name: "MX records bogus while port 25 is blocked", mutate: func(d *evidence.Domain) {
			d.MX.Lookup.DNSSEC = evidence.DNSSECBogus
			d.PortBlocked = true
			d.Hosts[0].Addresses = []evidence.Address{timeout(ip1)}
		}, want: GradeF, mxGrades: []Grade{GradeF}, incomplete: true, forced: ForcedTLSUnknown,
			wantCodes: []string{CodeDNSSECBogus, CodeInconclusive, CodePort25Blocked}},
		{name: "MX records bogus but the audit could not run", mutate: func(d *evidence.Domain) {
			d.MX.Lookup.DNSSEC = evidence.DNSSECBogus
			d.Error = &evidence.Error{Kind: evidence.ErrCanceled, Message: "context canceled"}
		}, want: GradeInconclusive, mxGrades: []Grade{GradeF}, incomplete: true, forced: ForcedTLSUnknown,
			wantCodes: []string{CodeDNSSECBogus, CodeInconclusive}},
		{name: "MX lookup failed with a bogus status", mutate: func(d *evidence.Domain) {
			d.MX = evidence.MXLookup{Kind: evidence.MXError, Lookup: evidence.Lookup{Status: evidence.DNSServFail, DNSSEC: evidence.DNSSECBogus}}
			d.Hosts = nil
		}, want: GradeF, incomplete: true, forced: ForcedTLSUnknown, wantCodes: []string{CodeDNSSECBogus, CodeMXLookupFailed}},
		{name: "null MX with a bogus status stays N/A", mutate: func(d *evidence.Domain) {
			d.MX = evidence.MXLookup{Kind: evidence.MXNull, Records: []evidence.MXRecord{{}},
				Lookup: evidence.Lookup{Status: evidence.DNSOK, DNSSEC: evidence.DNSSECBogus}}
			d.Hosts = nil
		}, want: GradeNA, forced: ForcedTLSNotEligible, wantCodes: []string{CodeDNSSECBogus, CodeNullMX}},
		{name: "MX host with bogus address records and no address", mutate: func(d *evidence.Domain) {
			twoHosts(d)
			d.Hosts[1].A = &evidence.Lookup{Name: mx2, Type: "A", Status: evidence.DNSServFail, DNSSEC: evidence.DNSSECBogus}
			d.Hosts[1].Addresses = nil
		}, want: GradeF, mxGrades: []Grade{GradeA, GradeF}, incomplete: true, forced: ForcedTLSUnknown,
			wantCodes: []string{CodeDNSSECBogus, CodeMXNoAddress}, finding: CodeDNSSECBogus, host: mx2, severity: Critical},
		{name: "domain-level deduction reaches every address", mutate: func(d *evidence.Domain) {
			twoHosts(d)
			d.MTASTS = &evidence.MTASTS{TXT: evidence.Lookup{Status: evidence.DNSOK}, Records: []string{"v=STSv1; id=1", "v=STSv1; id=2"}, RecordError: recordsTwo}
		}, want: GradeAMinus, mxGrades: []Grade{GradeAMinus, GradeAMinus}, forced: ForcedTLSEligible,
			wantCodes: []string{CodeMTASTSRecordInvalid}},
		{name: "policy override of a rule variant", mutate: func(d *evidence.Domain) {
			d.MTASTS = stsEvidence(stsModeTesting, stsWeek, "mail.other.example")
		}, policy: &Policy{Name: "strict", Version: PolicyVersion2, Rules: map[string]Rule{
			RuleKey(CodeMTASTSMXNotCovered, VariantTesting): {Severity: High, Deduction: 20}}},
			want: GradeB, mxGrades: []Grade{GradeB}, forced: ForcedTLSEligible,
			wantCodes: []string{CodeMTASTSMXNotCovered, CodeMTASTSTesting}, finding: CodeMTASTSMXNotCovered, host: mx1, severity: High},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			tt.mutate(d)
			p := Default()
			if tt.policy != nil {
				p = *tt.policy
			}
			g := GradeDomain(d, p)
			if g.Grade != tt.want || g.Incomplete != tt.incomplete || g.ForcedTLS != tt.forced {
				t.Errorf("Grade=%q Incomplete=%v ForcedTLS=%q (%s), want %q %v %q", g.Grade, g.Incomplete, g.ForcedTLS, sayText(t, g.ForcedTLSWhy),
					tt.want, tt.incomplete, tt.forced)
			}
			var mxGrades []Grade
			for _, m := range g.MX {
				mxGrades = append(mxGrades, m.Grade)
			}
			if !slices.Equal(mxGrades, tt.mxGrades) {
				t.Errorf("MX grades %q, want %q", mxGrades, tt.mxGrades)
			}
			got := codes(g.Findings)
			slices.Sort(got)
			if !slices.Equal(got, tt.wantCodes) {
				t.Errorf("codes = %q, want %q", got, tt.wantCodes)
			}
			if tt.finding == "" {
				return
			}
			i := slices.IndexFunc(g.Findings, func(f Finding) bool { return f.Code == tt.finding })
			if i < 0 {
				t.Fatalf("no %s", tt.finding)
			}
			if f := g.Findings[i]; f.Host != tt.host || f.IP != tt.ip || f.Severity != tt.severity {
				t.Errorf("%s at %q %q severity %s, want %q %q %s", f.Code, f.Host, f.IP, f.Severity, tt.host, tt.ip, tt.severity)
			}
		})
	}
}

// TestNotCheckedRaisesNothing: evidence that was not gathered, or that
// cannot be judged, raises no MTA-STS, TLS-RPT, DANE or DNSSEC finding.
func TestNotCheckedRaisesNothing(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d *evidence.Domain)
		want   Grade
	}{
		{"all nil", func(*evidence.Domain) {}, GradeA},
		{"lookups without a status", func(d *evidence.Domain) {
			d.MTASTS = &evidence.MTASTS{RecordError: "no resolver to look up _mta-sts.example.com"}
			d.TLSRPT = &evidence.TLSRPT{Error: "no resolver to look up _smtp._tls.example.com"}
		}, GradeA},
		{"valid record, fetch not attempted", func(d *evidence.Domain) {
			m := stsEnforce()
			m.Fetch, m.Policy, m.MXMatch = nil, nil, nil
			d.MTASTS = m
		}, GradeA},
		{"TLSA answered empty", func(d *evidence.Domain) {
			d.Hosts[0].TLSA = tlsaLookup(evidence.DNSSECSecure)
			d.Hosts[0].TLSA.Lookup.Status = evidence.DNSNXDomain
		}, GradeA},
		{"TLSA lookup refused by our resolver", func(d *evidence.Domain) {
			d.Hosts[0].TLSA = &evidence.TLSALookup{Lookup: evidence.Lookup{Status: evidence.DNSRefused}}
		}, GradeA},
		{"TLSA with an indeterminate DNSSEC status", func(d *evidence.Domain) {
			d.Hosts[0].TLSA = tlsaLookup(evidence.DNSSECIndeterminate, tlsaRec(3, 1, "ab"))
			addr1(d).DANE = daneMatch(1, tlsaRec(3, 1, "ab"))
		}, GradeA},
		{"DNSSEC statuses not checked or secure", func(d *evidence.Domain) {
			d.MX.Lookup.DNSSEC = evidence.DNSSECSecure
			d.Hosts[0].A.DNSSEC = evidence.DNSSECIndeterminate
		}, GradeA},
		{"null MX with MTA-STS and TLS-RPT evidence", func(d *evidence.Domain) {
			d.MX = evidence.MXLookup{Kind: evidence.MXNull, Records: []evidence.MXRecord{{}}}
			d.Hosts = nil
			d.MTASTS = &evidence.MTASTS{TXT: evidence.Lookup{Status: evidence.DNSNXDomain}, RecordError: "no MTA-STS record"}
			d.TLSRPT = &evidence.TLSRPT{TXT: evidence.Lookup{Status: evidence.DNSNXDomain}, Error: "no TLS-RPT record"}
		}, GradeNA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			tt.mutate(d)
			g := GradeDomain(d, Default())
			if g.Grade != tt.want {
				t.Errorf("Grade = %q, want %q", g.Grade, tt.want)
			}
			if got := codesWithPrefix(g.Findings, "MTASTS_", "TLSRPT_", "DANE_", "DNSSEC_"); len(got) != 0 {
				t.Errorf("findings %q raised from evidence that was not checked", got)
			}
		})
	}
}

func TestEnforceCheck(t *testing.T) {
	ok := perfectAddress(mx1, ip1)
	tests := []struct {
		name    string
		mutate  func(a *evidence.Address)
		want    Result
		reasons []string // phrase codes
	}{
		{"perfect", func(*evidence.Address) {}, Pass, nil},
		{"tls 1.3 only", func(a *evidence.Address) { a.Probe.Versions[4] = notSupported(evidence.TLS12) }, Pass, nil},
		{"tls 1.2 unknown, 1.3 refused", func(a *evidence.Address) {
			a.Probe.Versions[4] = evidence.VersionResult{Version: evidence.TLS12, Support: evidence.Inconclusive}
			a.Probe.Versions[5] = notSupported(evidence.TLS13)
			a.Probe.Handshake = nil
		}, NotTested, nil},
		{"no certificate check", func(a *evidence.Address) { a.Cert = nil }, NotTested, nil},
		{"certificate check failed", func(a *evidence.Address) {
			a.Cert = &evidence.CertCheck{Error: &evidence.Error{Kind: evidence.ErrTimeout, Message: "timeout"}}
		}, NotTested, nil},
		{"expiry unknown", func(a *evidence.Address) { a.Cert.Expired = nil }, NotTested, nil},
		{"not yet valid", func(a *evidence.Address) { a.Cert.NotYetValid = true }, Fail, []string{"mtasts_enforce.not_yet_valid"}},
		{"a known failure decides beside an unknown", func(a *evidence.Address) {
			a.Cert.Trusted, a.Cert.Expired = nil, yes()
		}, Fail, []string{"mtasts_enforce.expired"}},
		{"starttls refused", func(a *evidence.Address) {
			a.Probe.Status = evidence.ProbeSTARTTLSFail
		}, Fail, []string{"mtasts_enforce.no_tls"}},
		{"probe inconclusive", func(a *evidence.Address) {
			a.Probe.Status = evidence.ProbeInconclusive
			a.Cert.Expired = yes()
		}, NotTested, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := ok
			a.Probe = clonedProbe(ok.Probe)
			c := *ok.Cert
			a.Cert = &c
			tt.mutate(&a)
			got, why := enforceCheck(probeStatus(a.Probe), newView(a.Probe), a.Cert)
			var reasons []string
			for _, p := range why {
				reasons = append(reasons, p.Code)
			}
			if got != tt.want || !slices.Equal(reasons, tt.reasons) {
				t.Errorf("enforceCheck = %q %q, want %q %q", got, reasons, tt.want, tt.reasons)
			}
		})
	}
}

func clonedProbe(p *evidence.Probe) *evidence.Probe {
	c := *p
	c.Versions = slices.Clone(p.Versions)
	if p.Handshake != nil {
		h := *p.Handshake
		c.Handshake = &h
	}
	return &c
}

func TestMediaTypeProblem(t *testing.T) {
	tests := []struct {
		in   string
		want string
		bad  bool
	}{
		{"text/plain", "", false},
		{"text/plain; charset=utf-8", "", false},
		{"TEXT/PLAIN", "", false},
		{"text/html", "text/html", true},
		{"", "", true},
		{"text/plain; charset", `"text/plain; charset"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, bad := mediaTypeProblem(tt.in)
			if got != tt.want || bad != tt.bad {
				t.Errorf("mediaTypeProblem(%q) = %q %v, want %q %v", tt.in, got, bad, tt.want, tt.bad)
			}
		})
	}
}
