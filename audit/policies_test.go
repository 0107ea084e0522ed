package audit_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit"
	"github.com/mxaudit/mxaudit/audit/certs"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/resolve"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/samples/fleet"
)

func stsPolicy(mode string, mx ...string) string {
	var b strings.Builder
	b.WriteString("version: STSv1\r\nmode: " + mode + "\r\n")
	for _, m := range mx {
		b.WriteString("mx: " + m + "\r\n")
	}
	b.WriteString("max_age: 604800\r\n")
	return b.String()
}

// policyFleet is a DNSSEC-signed fleet with one domain per MTA-STS,
// TLS-RPT and DANE case, each on its own server.
func policyFleet() *fleet.Definition {
	d := &fleet.Definition{Resolver: "127.0.0.53:0", SMTPPort: -1, HTTPS: "127.0.7.80", HTTPSPort: -1, DNSSEC: true}
	n := 0
	add := func(name, profile string, tlsa []string, sts *fleet.STS, tlsrpt string, unsigned bool) {
		n++
		host := "mx." + name
		d.Servers = append(d.Servers, fleet.Server{IP: fmt.Sprintf("127.0.7.%d", n), Names: []string{host}, Profile: profile, TLSA: tlsa})
		d.Domains = append(d.Domains, fleet.Domain{Name: name, MX: []fleet.MX{{Preference: 10, Host: host}}, MTASTS: sts, TLSRPT: tlsrpt, Unsigned: unsigned})
	}
	txt := []string{"v=STSv1; id=20261123"}
	add("sts-enforce.example", "modern", nil, &fleet.STS{TXT: txt, Policy: stsPolicy("enforce", "mx.sts-enforce.example")}, "v=TLSRPTv1; rua=mailto:tls@sts-enforce.example", false)
	add("sts-testing.example", "modern", nil, &fleet.STS{TXT: txt, Policy: stsPolicy("testing", "mx.sts-testing.example")}, "", false)
	add("sts-none.example", "modern", nil, &fleet.STS{TXT: txt, Policy: stsPolicy("none")}, "", false)
	add("sts-twotxt.example", "modern", nil, &fleet.STS{TXT: []string{"v=STSv1; id=1", "v=STSv1; id=2"}, Policy: stsPolicy("enforce", "mx.sts-twotxt.example")}, "", false)
	add("sts-badid.example", "modern", nil, &fleet.STS{TXT: []string{"v=STSv1; id=2026-11-23"}, Policy: stsPolicy("enforce", "mx.sts-badid.example")}, "", false)
	add("sts-404.example", "modern", nil, &fleet.STS{TXT: txt, Status: 404}, "", false)
	add("sts-redirect.example", "modern", nil, &fleet.STS{TXT: txt, Status: 301, Location: "https://elsewhere.example/mta-sts.txt"}, "", false)
	add("sts-html.example", "modern", nil, &fleet.STS{TXT: txt, Policy: stsPolicy("enforce", "mx.sts-html.example"), ContentType: "text/html"}, "", false)
	add("sts-oversize.example", "modern", nil, &fleet.STS{TXT: txt, Policy: stsPolicy("enforce", "mx.sts-oversize.example") + strings.Repeat("# padding\r\n", 7000)}, "", false)
	add("sts-wrongcert.example", "modern", nil, &fleet.STS{TXT: txt, Policy: stsPolicy("enforce", "mx.sts-wrongcert.example"), Cert: "wrong-name"}, "", false)
	add("sts-uncovered.example", "modern", nil, &fleet.STS{TXT: txt, Policy: stsPolicy("enforce", "mail.sts-uncovered.example")}, "", false)
	add("sts-wildcard.example", "modern", nil, &fleet.STS{TXT: txt, Policy: stsPolicy("enforce", "*.sts-wildcard.example")}, "", false)
	add("sts-wildmiss.example", "modern", nil, &fleet.STS{TXT: txt, Policy: stsPolicy("enforce", "*.example")}, "", false)
	add("sts-enforce-fails.example", "self-signed", nil, &fleet.STS{TXT: txt, Policy: stsPolicy("enforce", "mx.sts-enforce-fails.example")}, "", false)
	add("tlsrpt-bad.example", "modern", nil, nil, "v=TLSRPTv1; rua=ftp://reports.tlsrpt-bad.example", false)
	add("dane-ok.example", "modern", []string{"3 1 1 self"}, nil, "", false)
	add("dane-rollover.example", "modern", []string{"3 1 1 self", "3 1 1 wrong"}, nil, "", false)
	add("dane-bad.example", "modern", []string{"3 1 1 wrong"}, nil, "", false)
	add("dane-pkix.example", "modern", []string{"1 1 1 self"}, nil, "", false)
	add("dane-unsigned.example", "modern", []string{"3 1 1 self"}, nil, "", true)
	return d
}

func startPolicies(t *testing.T) (*fleet.Fleet, *audit.Auditor) {
	t.Helper()
	f, err := fleet.Start(policyFleet(), fleet.Options{RemapPrefix: fmt.Sprintf("127.%d", 100+rand.IntN(150))})
	if err != nil {
		t.Fatalf("start fleet: %v", err)
	}
	t.Cleanup(f.Close)
	res, err := resolve.New(resolve.Config{Servers: []string{f.Resolver}, Timeout: time.Second,
		DNSSEC: resolve.DNSSECValidate, TrustAnchors: f.TrustAnchors})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := smtp.New(smtp.Config{Port: f.Port, EHLOName: "scanner.mxaudit.test",
		ConnectTimeout: 2 * time.Second, BannerTimeout: 2 * time.Second, CommandTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.New(audit.Config{Resolver: res, SMTP: sc, Port: f.Port, Verifier: &certs.Verifier{Roots: f.CA.Pool()},
		StepTimeout: 2 * time.Second, Retries: 0, Policies: true, HTTPSPort: f.HTTPSPort,
		Versions: []string{evidence.TLS12, evidence.TLS13}, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	return f, a
}

func TestPolicies(t *testing.T) {
	_, a := startPolicies(t)
	ctx := context.Background()
	tests := []struct {
		domain  string
		mode    string // MTA-STS policy mode in effect ("" when none is usable)
		dane    string // "", "valid", "invalid", "unusable"
		grade   grade.Grade
		want    []string // finding codes that must be present
		wantNot []string // finding codes that must be absent
	}{
		{domain: "sts-enforce.example", mode: "enforce", grade: grade.GradeAPlus,
			wantNot: []string{grade.CodeTLSRPTMissing, grade.CodeMTASTSMXNotCovered, grade.CodeMTASTSEnforceMXFails}},
		{domain: "sts-testing.example", mode: "testing", grade: grade.GradeA, want: []string{grade.CodeMTASTSTesting}},
		{domain: "sts-none.example", mode: "none", grade: grade.GradeA, want: []string{grade.CodeMTASTSModeNone}},
		{domain: "sts-twotxt.example", want: []string{grade.CodeMTASTSRecordInvalid}},
		{domain: "sts-badid.example", want: []string{grade.CodeMTASTSRecordInvalid}},
		{domain: "sts-404.example", want: []string{grade.CodeMTASTSPolicyUnavailable}},
		{domain: "sts-redirect.example", want: []string{grade.CodeMTASTSPolicyUnavailable}},
		{domain: "sts-html.example", mode: "enforce", want: []string{grade.CodeMTASTSMediaType}},
		{domain: "sts-oversize.example", want: []string{grade.CodeMTASTSPolicyUnavailable}},
		{domain: "sts-wrongcert.example", want: []string{grade.CodeMTASTSPolicyUnavailable}},
		{domain: "sts-uncovered.example", mode: "enforce", grade: grade.GradeF, want: []string{grade.CodeMTASTSMXNotCovered}},
		{domain: "sts-wildcard.example", mode: "enforce", grade: grade.GradeAPlus, wantNot: []string{grade.CodeMTASTSMXNotCovered}},
		{domain: "sts-wildmiss.example", mode: "enforce", grade: grade.GradeF, want: []string{grade.CodeMTASTSMXNotCovered}},
		{domain: "sts-enforce-fails.example", mode: "enforce", grade: grade.GradeF, want: []string{grade.CodeMTASTSEnforceMXFails, grade.CodeCertUntrusted}},
		{domain: "tlsrpt-bad.example", want: []string{grade.CodeTLSRPTInvalid, grade.CodeMTASTSMissing}},
		{domain: "dane-ok.example", dane: "valid", grade: grade.GradeAPlus, want: []string{grade.CodeDANENoRollover}},
		{domain: "dane-rollover.example", dane: "valid", grade: grade.GradeAPlus, wantNot: []string{grade.CodeDANENoRollover, grade.CodeDANEInvalid}},
		{domain: "dane-bad.example", dane: "invalid", grade: grade.GradeF, want: []string{grade.CodeDANEInvalid}},
		{domain: "dane-pkix.example", dane: "unusable", want: []string{grade.CodeDANEUnusable}, wantNot: []string{grade.CodeDANEInvalid}},
		{domain: "dane-unsigned.example", dane: "unusable", want: []string{grade.CodeDANEUnusable}, wantNot: []string{grade.CodeDANEInvalid}},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			t.Parallel()
			d := a.Domain(ctx, tt.domain)
			if d.MX.Lookup.DNSSEC != evidence.DNSSECSecure && !strings.HasPrefix(tt.domain, "dane-unsigned") {
				t.Errorf("MX DNSSEC = %s (%s), want secure", d.MX.Lookup.DNSSEC, d.MX.Lookup.DNSSECReason)
			}
			if d.MTASTS == nil || d.TLSRPT == nil || len(d.Hosts) != 1 || d.Hosts[0].TLSA == nil {
				t.Fatalf("policy evidence missing: sts %v rpt %v hosts %+v", d.MTASTS, d.TLSRPT, d.Hosts)
			}
			mode := ""
			if d.MTASTS.Policy != nil {
				mode = d.MTASTS.Policy.Mode
			}
			if mode != tt.mode {
				t.Errorf("MTA-STS mode %q, want %q (record error %q, fetch %+v, policy errors %v)", mode, tt.mode, d.MTASTS.RecordError, d.MTASTS.Fetch, d.MTASTS.PolicyErrors)
			}
			if got := daneOf(d); got != tt.dane {
				t.Errorf("DANE %q, want %q (tlsa %+v, match %+v)", got, tt.dane, d.Hosts[0].TLSA, d.Hosts[0].Addresses[0].DANE)
			}
			g := grade.GradeDomain(d, grade.Default())
			codes := findingCodes(g)
			if tt.grade != "" && g.Grade != tt.grade {
				t.Errorf("grade %s, want %s; findings %v", g.Grade, tt.grade, codes)
			}
			for _, c := range tt.want {
				if !slices.Contains(codes, c) {
					t.Errorf("finding %s missing; findings %v", c, codes)
				}
			}
			for _, c := range tt.wantNot {
				if slices.Contains(codes, c) {
					t.Errorf("finding %s present; findings %v", c, codes)
				}
			}
		})
	}
}

// daneOf summarises the DANE outcome of a single-address domain.
func daneOf(d *evidence.Domain) string {
	h := d.Hosts[0]
	if len(h.TLSA.Records) == 0 {
		return ""
	}
	m := h.Addresses[0].DANE
	switch {
	case h.TLSA.Lookup.DNSSEC != evidence.DNSSECSecure, m == nil || m.Usable == 0:
		return "unusable"
	case len(m.Matched) > 0:
		return "valid"
	}
	return "invalid"
}
