package grade

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

func TestInconclusiveNeverF(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(d *evidence.Domain)
		wantReason string
	}{
		{"probe timed out, cert expired and sslv3 seen", func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe.Status = evidence.ProbeInconclusive
			a.Probe.Error = &evidence.Error{Kind: evidence.ErrTimeout, Step: "connect", Message: "i/o timeout"}
			setVersion(d, supported(evidence.SSLv3, sRSA128SHA()))
			a.Cert.Expired = yes()
		}, "timeout at connect: i/o timeout"},
		{"tls 1.3 inconclusive while sslv2 is on", func(d *evidence.Domain) {
			setVersion(d, supported(evidence.SSLv2, sSSLv2DES3()))
			setVersion(d, evidence.VersionResult{Version: evidence.TLS13, Support: evidence.Inconclusive,
				Error: &evidence.Error{Kind: evidence.ErrReset, Step: "hello", Message: "connection reset by peer"}})
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sECDHERSA128GCM())}
		}, "TLSv1.3 support could not be determined (hello: connection reset by peer)"},
		{"tls 1.2 not tested", func(d *evidence.Domain) {
			setVersion(d, evidence.VersionResult{Version: evidence.TLS12, Support: evidence.NotTested})
		}, "TLSv1.2 support could not be determined (not_tested)"},
		{"starttls refused with 454", func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe = &evidence.Probe{IP: ip1, Status: evidence.ProbeSTARTTLSFail,
				Error: &evidence.Error{Kind: evidence.ErrSMTPReject, Step: "starttls", Code: 454, Message: "454 4.7.0 TLS not available"}}
		}, "smtp_reject at starttls: 454 4.7.0 TLS not available"},
		{"554 banner", func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe = &evidence.Probe{IP: ip1, Status: evidence.ProbeRejected,
				Error: &evidence.Error{Kind: evidence.ErrSMTPReject, Step: "banner", Code: 554, Message: "554 no service"}}
			a.Cert = nil
		}, "smtp_reject at banner: 554 no service"},
		{"connection refused", func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe = &evidence.Probe{IP: ip1, Status: evidence.ProbeInconclusive,
				Error: &evidence.Error{Kind: evidence.ErrRefused, Step: "connect", Message: "connection refused"}}
			a.Cert = nil
		}, "refused at connect: connection refused"},
		{"no starttls but EHLO never answered", func(d *evidence.Domain) {
			a := addr1(d)
			a.Probe = &evidence.Probe{IP: ip1, Status: evidence.ProbeNoSTARTTLS, SMTP: &evidence.SMTPSession{},
				Error: &evidence.Error{Kind: evidence.ErrProtocol, Step: "ehlo", Message: "garbled reply"}}
			a.Cert = nil
		}, "protocol at ehlo: garbled reply"},
		{"no probe", func(d *evidence.Domain) {
			addr1(d).Probe, addr1(d).Cert = nil, nil
		}, "the address was not probed"},
		{"probe not tested", func(d *evidence.Domain) {
			addr1(d).Probe = &evidence.Probe{IP: ip1, Status: evidence.ProbeNotTested}
		}, "the address was not tested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			tt.mutate(d)
			g := GradeDomain(d, Default())
			a := g.MX[0].Addresses[0]
			if a.Grade != GradeInconclusive || !a.Inconclusive || a.Score != 0 {
				t.Fatalf("address Grade=%q Inconclusive=%v Score=%d, want ? true 0", a.Grade, a.Inconclusive, a.Score)
			}
			if a.Checks[CheckTLS] == Fail {
				t.Error("an inconclusive address must never read as 'no TLS'")
			}
			i := slices.IndexFunc(a.Findings, func(f Finding) bool { return f.Code == CodeInconclusive })
			if i < 0 {
				t.Fatalf("no INCONCLUSIVE finding: %q", codes(a.Findings))
			}
			if got := message(t, a.Findings[i]); !strings.HasSuffix(got, " could not be audited: "+tt.wantReason+".") {
				t.Errorf("message = %q, want it to end with %q", got, tt.wantReason)
			}
			if g.Grade != GradeInconclusive || !g.Incomplete || g.MX[0].Grade != GradeInconclusive || !g.MX[0].Inconclusive {
				t.Errorf("domain %q incomplete %v, MX %q", g.Grade, g.Incomplete, g.MX[0].Grade)
			}
			if g.ForcedTLS == ForcedTLSEligible {
				t.Error("an inconclusive address cannot be Forced-TLS eligible")
			}
		})
	}
}

func TestNotTestedNeverPasses(t *testing.T) {
	all := func(r Result) map[Check]Result { return newChecks(r) }
	with := func(m map[Check]Result, kv ...any) map[Check]Result {
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(Check)] = kv[i+1].(Result)
		}
		return m
	}
	tests := []struct {
		name   string
		mutate func(a *evidence.Address)
		want   map[Check]Result
	}{
		{"nothing observed", func(a *evidence.Address) { a.Probe, a.Cert = nil, nil }, all(NotTested)},
		{"no starttls", func(a *evidence.Address) {
			a.Probe = &evidence.Probe{IP: ip1, Status: evidence.ProbeNoSTARTTLS}
			a.Cert = nil
		}, with(all(NotTested), CheckTLS, Fail)},
		{"tls ok but nothing enumerated", func(a *evidence.Address) {
			a.Probe.Versions, a.Probe.Handshake = nil, nil
			a.Cert = nil
		}, with(all(NotTested), CheckTLS, Pass)},
		{"only the full handshake", func(a *evidence.Address) {
			a.Probe.Versions = nil
			a.Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sECDHERSA128GCM())}
		}, with(all(NotTested), CheckTLS, Pass, CheckCertName, Pass, CheckVerifiable, Pass, CheckTLS12, Pass,
			CheckWeakOff, Inconclusive, CheckNISTR1, Pass, CheckNISTR2, Pass, CheckForwardSecrecy, Pass)},
		{"certificate without facts", func(a *evidence.Address) {
			a.Cert = &evidence.CertCheck{Name: mx1, Error: &evidence.Error{Kind: evidence.ErrProtocol, Step: "certificate", Message: "no certificate presented"}}
		}, with(all(Pass), CheckTLS10Off, Pass, CheckCertName, NotTested, CheckVerifiable, NotTested)},
		{"certificate check timed out", func(a *evidence.Address) {
			a.Cert = &evidence.CertCheck{Name: mx1, Error: &evidence.Error{Kind: evidence.ErrTimeout, Step: "handshake", Message: "timeout"}}
		}, with(all(Pass), CheckTLS10Off, Pass, CheckCertName, Inconclusive, CheckVerifiable, Inconclusive)},
		{"trust unknown, name known", func(a *evidence.Address) {
			a.Cert.Trusted = nil
		}, with(all(Pass), CheckTLS10Off, Pass, CheckVerifiable, NotTested)},
		{"versions inconclusive", func(a *evidence.Address) {
			a.Probe.Versions[0] = evidence.VersionResult{Version: evidence.SSLv2, Support: evidence.Inconclusive}
			a.Probe.Versions[1] = evidence.VersionResult{Version: evidence.SSLv3, Support: evidence.Inconclusive}
			a.Probe.Versions[2] = evidence.VersionResult{Version: evidence.TLS10, Support: evidence.NotTested}
		}, with(all(Pass), CheckSSLv3Off, Inconclusive, CheckTLS10Off, NotTested, CheckWeakOff, Inconclusive)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			tt.mutate(addr1(d))
			g := GradeDomain(d, Default())
			got := g.MX[0].Addresses[0].Checks
			for _, c := range Checks() {
				if got[c] != tt.want[c] {
					t.Errorf("check %s = %q, want %q", c, got[c], tt.want[c])
				}
			}
		})
	}

	t.Run("enumeration cut short", func(t *testing.T) {
		d := perfectDomain()
		a := addr1(d)
		for i := range a.Probe.Versions {
			a.Probe.Versions[i].Complete = a.Probe.Versions[i].Support != evidence.Supported
		}
		// Only non-listed, non-forward-secret suites were found before the cut.
		a.Probe.Versions[4].Suites = []evidence.Suite{sRSA128SHA()}
		a.Probe.Versions[5].Suites = []evidence.Suite{sTLS13ChaCha()}
		a.Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sRSA128SHA())}
		g := GradeDomain(d, Default())
		got := g.MX[0].Addresses[0]
		want := map[Check]Result{CheckWeakOff: Inconclusive, CheckNISTR1: Pass, CheckNISTR2: Inconclusive, CheckForwardSecrecy: Pass}
		for c, w := range want {
			if got.Checks[c] != w {
				t.Errorf("check %s = %q, want %q", c, got.Checks[c], w)
			}
		}
		if slices.Contains(codes(got.Findings), CodeNoNISTR2Suite) {
			t.Error("NO_NIST_R2_SUITE raised on an incomplete enumeration")
		}
	})
}

func TestMXWorstOf(t *testing.T) {
	cAddr := func() evidence.Address {
		a := perfectAddress(mx1, ip2)
		a.Probe.Versions[1] = supported(evidence.SSLv3, sRSA128SHA())
		return a
	}
	bAddr := func() evidence.Address {
		a := perfectAddress(mx1, ip2)
		a.Cert.NameMatch, a.Cert.WeakKey = no(), "RSA 1024"
		return a
	}
	timeout := func(ip string) evidence.Address {
		return evidence.Address{IP: ip, Probe: &evidence.Probe{IP: ip, Status: evidence.ProbeInconclusive,
			Error: &evidence.Error{Kind: evidence.ErrTimeout, Step: "connect", Message: "i/o timeout"}}}
	}
	tests := []struct {
		name         string
		addrs        []evidence.Address
		wantMX       Grade
		inconclusive bool
		sslv3Col     Result
	}{
		{"A and C", []evidence.Address{perfectAddress(mx1, ip1), cAddr()}, GradeC, false, Fail},
		{"inconclusive and B", []evidence.Address{timeout(ip1), bAddr()}, GradeB, true, Inconclusive},
		{"all inconclusive", []evidence.Address{timeout(ip1), timeout(ip2)}, GradeInconclusive, true, Inconclusive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			d.Hosts[0].Addresses = tt.addrs
			g := GradeDomain(d, Default())
			m := g.MX[0]
			if m.Grade != tt.wantMX || m.Inconclusive != tt.inconclusive {
				t.Errorf("MX Grade=%q Inconclusive=%v, want %q %v", m.Grade, m.Inconclusive, tt.wantMX, tt.inconclusive)
			}
			if g.Grade != tt.wantMX || g.Incomplete != tt.inconclusive {
				t.Errorf("domain Grade=%q Incomplete=%v", g.Grade, g.Incomplete)
			}
			if m.Checks[CheckSSLv3Off] != tt.sslv3Col {
				t.Errorf("MX sslv3_off = %q, want %q", m.Checks[CheckSSLv3Off], tt.sslv3Col)
			}
		})
	}

	t.Run("domain is its worst MX", func(t *testing.T) {
		d := perfectDomain()
		h2 := d.Hosts[0]
		h2.Name, h2.Preference = mx2, 20
		da := perfectAddress(mx2, ip3)
		da.Probe.Versions[1] = supported(evidence.SSLv3, sRSA128SHA())
		da.Cert.NameMatch = no()
		h2.Addresses = []evidence.Address{da}
		d.Hosts = append(d.Hosts, h2)
		g := GradeDomain(d, Default())
		if g.Grade != GradeD || g.MX[0].Grade != GradeA || g.MX[1].Grade != GradeD || g.Incomplete {
			t.Errorf("domain %q, MX %q %q", g.Grade, g.MX[0].Grade, g.MX[1].Grade)
		}
		if g.MX[1].Host != mx2 || g.MX[1].Preference != 20 {
			t.Errorf("MX[1] = %q %d", g.MX[1].Host, g.MX[1].Preference)
		}
	})
}

func TestDomainLevel(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(d *evidence.Domain)
		grade      Grade
		incomplete bool
		forced     ForcedTLS
		domainCode string // a domain- or host-level finding expected
		host       string // its Host
		severity   Severity
		args       map[string]string
	}{
		{"null MX", func(d *evidence.Domain) {
			d.MX = evidence.MXLookup{Kind: evidence.MXNull, Records: []evidence.MXRecord{{Preference: 0, Host: ""}}}
			d.Hosts = nil
		}, GradeNA, false, ForcedTLSNotEligible, CodeNullMX, "", Info, nil},
		{"null MX beside another MX", func(d *evidence.Domain) {
			d.MX.Kind, d.MX.NullMXConflict = evidence.MXExplicit, true
			d.MX.Records = []evidence.MXRecord{{Preference: 0, Host: ""}, {Preference: 10, Host: mx1}}
		}, GradeAMinus, false, ForcedTLSEligible, CodeNullMXConflict, "", Medium, map[string]string{"records": "0 ., 10 mx1.example.com"}},
		{"no MX and no address", func(d *evidence.Domain) {
			d.MX = evidence.MXLookup{Kind: evidence.MXNone, Lookup: evidence.Lookup{Status: evidence.DNSNXDomain}}
			d.Hosts = nil
		}, GradeF, false, ForcedTLSNotEligible, CodeNoMX, "", Critical, map[string]string{"status": "nxdomain"}},
		{"MX lookup failed", func(d *evidence.Domain) {
			d.MX = evidence.MXLookup{Kind: evidence.MXError, Lookup: evidence.Lookup{Status: evidence.DNSServFail, Rcode: "SERVFAIL"}}
			d.Hosts = nil
		}, GradeInconclusive, true, ForcedTLSUnknown, CodeMXLookupFailed, "", High, map[string]string{"status": "servfail"}},
		{"MX is a CNAME", func(d *evidence.Domain) {
			d.Hosts[0].CNAME = true
			d.Hosts[0].A.CNAMEs = []string{"real.example.net"}
		}, GradeA, false, ForcedTLSEligible, CodeMXIsCNAME, mx1, Low, map[string]string{"cnames": "real.example.net"}},
		{"MX is an IP literal", func(d *evidence.Domain) {
			d.Hosts[0].IPLiteral = true
		}, GradeA, false, ForcedTLSEligible, CodeMXIsIPLiteral, mx1, Low, nil},
		{"MX host without address", func(d *evidence.Domain) {
			d.Hosts[0].Addresses = nil
			d.Hosts[0].A = &evidence.Lookup{Status: evidence.DNSNXDomain}
		}, GradeInconclusive, true, ForcedTLSUnknown, CodeMXNoAddress, mx1, Medium, map[string]string{"a": "nxdomain", "aaaa": "not_looked_up"}},
		{"second MX without address", func(d *evidence.Domain) {
			d.Hosts = append(d.Hosts, evidence.Host{Name: mx2, Preference: 20, A: &evidence.Lookup{Status: evidence.DNSNoData}, AAAA: &evidence.Lookup{Status: evidence.DNSNoData}})
		}, GradeA, true, ForcedTLSUnknown, CodeMXNoAddress, mx2, Medium, map[string]string{"a": "nodata", "aaaa": "nodata"}},
		{"port 25 blocked", func(d *evidence.Domain) {
			d.PortBlocked = true
			addr1(d).Probe = &evidence.Probe{IP: ip1, Status: evidence.ProbeInconclusive, Error: &evidence.Error{Kind: evidence.ErrTimeout, Step: "connect", Message: "i/o timeout"}}
			addr1(d).Cert = nil
		}, GradeInconclusive, true, ForcedTLSUnknown, CodePort25Blocked, "", Info, nil},
		{"audit could not run", func(d *evidence.Domain) {
			d.Error = &evidence.Error{Kind: evidence.ErrCanceled, Message: "context canceled"}
		}, GradeInconclusive, true, ForcedTLSUnknown, CodeInconclusive, "", Info, map[string]string{"kind": "canceled"}},
		{"no host resolved", func(d *evidence.Domain) {
			d.Hosts = nil
		}, GradeInconclusive, true, ForcedTLSUnknown, CodeInconclusive, "", Info, map[string]string{"cause": "no_mx_host"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			tt.mutate(d)
			g := GradeDomain(d, Default())
			if g.Grade != tt.grade || g.Incomplete != tt.incomplete || g.ForcedTLS != tt.forced {
				t.Errorf("Grade=%q Incomplete=%v ForcedTLS=%q (%s), want %q %v %q", g.Grade, g.Incomplete, g.ForcedTLS, sayText(t, g.ForcedTLSWhy),
					tt.grade, tt.incomplete, tt.forced)
			}
			i := slices.IndexFunc(g.Findings, func(f Finding) bool { return f.Code == tt.domainCode && f.IP == "" })
			if i < 0 {
				t.Fatalf("no %s finding: %q", tt.domainCode, codes(g.Findings))
			}
			f := g.Findings[i]
			if f.Host != tt.host || f.Severity != tt.severity || f.Deduction != Default().Rule(f.Code).Deduction || f.Domain != testDomain {
				t.Errorf("finding %+v, want host %q severity %s", f, tt.host, tt.severity)
			}
			for k, v := range tt.args {
				if f.Args[k] != v {
					t.Errorf("Args[%q] = %q, want %q", k, f.Args[k], v)
				}
			}
			if f.Code == CodeMXNoAddress {
				// The lookups are worded: "(A nxdomain, AAAA not looked up)".
				want := "(A " + strings.ReplaceAll(f.Args["a"], notLookedUp, "not looked up") + ", AAAA " + strings.ReplaceAll(f.Args["aaaa"], notLookedUp, "not looked up") + ")."
				if m := message(t, f); !strings.HasSuffix(m, want) {
					t.Errorf("message %q, want it to end %q", m, want)
				}
			}
		})
	}

	if g := GradeDomain(nil, Default()); g.Grade != GradeInconclusive || !g.Incomplete || g.ForcedTLS != ForcedTLSUnknown {
		t.Errorf("nil domain: %+v", g)
	}
}

func TestForcedTLS(t *testing.T) {
	second := func(mut func(a *evidence.Address)) func(d *evidence.Domain) {
		return func(d *evidence.Domain) {
			a := perfectAddress(mx1, ip2)
			mut(&a)
			d.Hosts[0].Addresses = append(d.Hosts[0].Addresses, a)
		}
	}
	noSTARTTLS := func(a *evidence.Address) {
		a.Probe = &evidence.Probe{IP: a.IP, Status: evidence.ProbeNoSTARTTLS}
		a.Cert = nil
	}
	timeout := func(a *evidence.Address) {
		a.Probe = &evidence.Probe{IP: a.IP, Status: evidence.ProbeInconclusive, Error: &evidence.Error{Kind: evidence.ErrTimeout, Message: "i/o timeout"}}
		a.Cert = nil
	}
	tests := []struct {
		name       string
		mutate     func(d *evidence.Domain)
		want       ForcedTLS
		wantReason string
	}{
		{"perfect", func(*evidence.Domain) {}, ForcedTLSEligible, "every address of every MX host offers TLS 1.0 or later with a NIST SP 800-52 Rev. 1 suite"},
		{"one address without STARTTLS", second(noSTARTTLS), ForcedTLSNotEligible, "mx1.example.com 192.0.2.11: TLS is not available"},
		{"one address inconclusive", second(timeout), ForcedTLSUnknown, "mx1.example.com 192.0.2.11: the address could not be audited"},
		{"inconclusive and failing", func(d *evidence.Domain) {
			second(timeout)(d)
			a := perfectAddress(mx1, ip3)
			noSTARTTLS(&a)
			d.Hosts[0].Addresses = append(d.Hosts[0].Addresses, a)
		}, ForcedTLSNotEligible, "mx1.example.com 198.51.100.7: TLS is not available"},
		{"tls 1.3 only: Rev. 2 suites meet the r1 rule", func(d *evidence.Domain) {
			setVersion(d, notSupported(evidence.TLS12))
		}, ForcedTLSEligible, ""},
		{"no NIST suite at all", func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS12, sECDHERSAChaCha()))
			setVersion(d, supported(evidence.TLS13, sTLS13ChaCha()))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS13, Suite: ptrSuite(sTLS13ChaCha())}
		}, ForcedTLSNotEligible, "mx1.example.com 192.0.2.10: no NIST SP 800-52 Rev. 1 cipher suite is accepted"},
		{"tls 1.0 only with a Rev. 1 suite", func(d *evidence.Domain) {
			setVersion(d, supported(evidence.TLS10, sECDHERSA128SHA()))
			setVersion(d, notSupported(evidence.TLS12))
			setVersion(d, notSupported(evidence.TLS13))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS10, Suite: ptrSuite(sECDHERSA128SHA())}
		}, ForcedTLSEligible, ""},
		{"Rev. 1 suites not fully enumerated", func(d *evidence.Domain) {
			vr := supported(evidence.TLS12, sECDHERSAChaCha())
			vr.Complete = false
			setVersion(d, vr)
			setVersion(d, notSupported(evidence.TLS13))
			addr1(d).Probe.Handshake = &evidence.Handshake{OK: true, Version: evidence.TLS12, Suite: ptrSuite(sECDHERSAChaCha())}
		}, ForcedTLSUnknown, "mx1.example.com 192.0.2.10: the accepted cipher suites could not be fully enumerated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := perfectDomain()
			tt.mutate(d)
			g := GradeDomain(d, Default())
			if g.ForcedTLS != tt.want {
				t.Fatalf("ForcedTLS = %q (%s), want %q", g.ForcedTLS, sayText(t, g.ForcedTLSWhy), tt.want)
			}
			if got := sayText(t, g.ForcedTLSWhy); tt.wantReason != "" && got != tt.wantReason {
				t.Errorf("reason = %q, want %q", got, tt.wantReason)
			}
		})
	}
}

func TestSeverity(t *testing.T) {
	order := []Severity{Info, Low, Medium, High, Critical}
	names := []string{"info", "low", "medium", "high", "critical"}
	for i, s := range order {
		t.Run(names[i], func(t *testing.T) {
			if s.String() != names[i] {
				t.Errorf("String() = %q", s.String())
			}
			b, err := s.MarshalText()
			if err != nil || string(b) != names[i] {
				t.Errorf("MarshalText = %q, %v", b, err)
			}
			var back Severity
			if err := back.UnmarshalText([]byte(strings.ToUpper(names[i]))); err != nil || back != s {
				t.Errorf("UnmarshalText = %v, %v", back, err)
			}
			if i > 0 && !(order[i-1] < s) {
				t.Errorf("%s must rank above %s", s, order[i-1])
			}
		})
	}
	var s Severity
	if err := s.UnmarshalText([]byte("severe")); err == nil {
		t.Error("unknown severity accepted")
	}
	if _, err := Severity(9).MarshalText(); err == nil {
		t.Error("out-of-range severity marshalled")
	}

	fs := []Finding{
		{Code: "B", Severity: Low, Host: "b"},
		{Code: "A", Severity: Low, Host: "b"},
		{Code: "Z", Severity: Critical, Host: "z"},
		{Code: "C", Severity: Low, Host: "a", IP: "2"},
		{Code: "C", Severity: Low, Host: "a", IP: "1"},
		{Code: "D", Severity: Info},
	}
	sortFindings(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.Severity.String()+"/"+f.Host+"/"+f.IP+"/"+f.Code)
	}
	want := []string{"critical/z//Z", "low/a/1/C", "low/a/2/C", "low/b//A", "low/b//B", "info///D"}
	if !slices.Equal(got, want) {
		t.Errorf("order = %q, want %q", got, want)
	}
}

func TestWorst(t *testing.T) {
	tests := []struct {
		name string
		in   []Grade
		want Grade
	}{
		{"none", nil, GradeInconclusive},
		{"A and ?", []Grade{GradeA, GradeInconclusive}, GradeA},
		{"? and ?", []Grade{GradeInconclusive, GradeInconclusive}, GradeInconclusive},
		{"A+ and F", []Grade{GradeAPlus, GradeF}, GradeF},
		{"B, A-, C", []Grade{GradeB, GradeAMinus, GradeC}, GradeC},
		{"N/A and A", []Grade{GradeNA, GradeA}, GradeA},
		{"N/A only", []Grade{GradeNA, GradeNA}, GradeNA},
		{"? and N/A", []Grade{GradeInconclusive, GradeNA}, GradeInconclusive},
		{"unknown string counts as ?", []Grade{"E"}, GradeInconclusive},
		{"D and unknown", []Grade{"E", GradeD}, GradeD},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Worst(tt.in...); got != tt.want {
				t.Errorf("Worst(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	ranked := []Grade{GradeF, GradeD, GradeC, GradeB, GradeAMinus, GradeA, GradeAPlus}
	for i, g := range ranked {
		if g.Rank() != i+1 || !g.Conclusive() {
			t.Errorf("%q.Rank() = %d", g, g.Rank())
		}
	}
	for _, g := range []Grade{GradeInconclusive, GradeNA, "", "E"} {
		if g.Rank() != 0 || g.Conclusive() {
			t.Errorf("%q.Rank() = %d, want 0", g, g.Rank())
		}
	}
}

func TestPolicy(t *testing.T) {
	t.Run("default identity", func(t *testing.T) {
		p := Default()
		if p.Name != "mxaudit-default" || p.Version != "3" || p.ExpiryWarnDays != 30 {
			t.Errorf("Default() = %q %q %d", p.Name, p.Version, p.ExpiryWarnDays)
		}
		cs := Codes()
		// 71 transport codes over both versions and the sender-authentication
		// codes; version 3 has one rule per code and no variant, version 2
		// lacks MTASTS_TESTING_MX_NOT_COVERED and the eight vulnerability
		// codes, and has two variants.
		if len(cs) != 71+len(senderAuthRules()) || !slices.IsSorted(cs) || len(p.Rules) != len(cs) {
			t.Errorf("Codes() has %d codes, rules %d", len(cs), len(p.Rules))
		}
		v2, ok := PolicyByName("mxaudit-default@2")
		if !ok || v2.Version != "2" || len(v2.Rules) != len(cs)-1-len(vulnRules())+2 {
			t.Fatalf("version 2: %v %q with %d rules", ok, v2.Version, len(v2.Rules))
		}
		for _, key := range []string{"MTASTS_MX_NOT_COVERED/testing", "TLSRPT_MISSING/with_policy"} {
			if _, ok := v2.Rules[key]; !ok || slices.Contains(cs, key) || !slices.Contains(v2.RuleKeys(), key) || slices.Contains(RuleKeys(), key) {
				t.Errorf("rule variant %s: in version 2's rules %v, listed as a code %v", key, ok, slices.Contains(cs, key))
			}
		}
		if keys := RuleKeys(); len(keys) != len(p.Rules) || !slices.IsSorted(keys) {
			t.Errorf("RuleKeys() = %q", keys)
		}
	})
	t.Run("custom rule and fallback", func(t *testing.T) {
		p := Policy{Name: "strict", Version: "7", Rules: map[string]Rule{CodeSSLv3Enabled: {Severity: Critical, Deduction: 50}}}
		d := perfectDomain()
		setVersion(d, supported(evidence.SSLv3, sRSA128SHA()))
		addr1(d).Cert.NameMatch = no()
		g := GradeDomain(d, p)
		a := g.MX[0].Addresses[0]
		if a.Score != 40 || a.Grade != GradeF || g.Policy != "strict" || g.PolicyVersion != "7" {
			t.Errorf("Score=%d Grade=%q policy %q %q", a.Score, a.Grade, g.Policy, g.PolicyVersion)
		}
		if a.Findings[0].Code != CodeSSLv3Enabled || a.Findings[0].Severity != Critical {
			t.Errorf("first finding %+v", a.Findings[0])
		}
	})
	t.Run("expiry window", func(t *testing.T) {
		for _, tc := range []struct {
			warn, days int
			want       bool
		}{{0, 30, true}, {0, 31, false}, {10, 30, false}, {10, 10, true}, {10, 0, true}} {
			d := perfectDomain()
			addr1(d).Cert.DaysToExpiry = tc.days
			g := GradeDomain(d, Policy{Name: "p", Version: "1", ExpiryWarnDays: tc.warn})
			if got := slices.Contains(codes(g.Findings), CodeCertExpiresSoon); got != tc.want {
				t.Errorf("warn %d, days %d: CERT_EXPIRES_SOON %v, want %v", tc.warn, tc.days, got, tc.want)
			}
		}
	})
}

func TestNISTLists(t *testing.T) {
	tests := []struct {
		code   string
		r1, r2 bool
	}{
		{"0xC0,0x2F", true, true},
		{"0xc0, 0x2f", true, true},
		{"0x00,0x0A", true, false},
		{"0x00,0x2F", true, false},
		{"0x00,0x05", false, false},
		{"0x00,0x8C", false, false}, // PSK, "should not" in Rev. 1
		{"0x13,0x01", false, true},
		{"0x13,0x05", false, true},
		{"0x13,0x03", false, false},
		{"0x00,0x9E", false, true},
		{"0xC0,0x14", false, true}, // not annotated in the Rev. 1 reconstruction
		{"0xC0,0x2D", true, true},
		{"0xCC,0xA8", false, false},
		{"0x07,0x00,0xC0", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			if inNISTR1(tt.code) != tt.r1 || inNISTR2(tt.code) != tt.r2 {
				t.Errorf("r1=%v r2=%v, want %v %v", inNISTR1(tt.code), inNISTR2(tt.code), tt.r1, tt.r2)
			}
		})
	}
}

func TestPureAndJSON(t *testing.T) {
	d := perfectDomain()
	setVersion(d, supported(evidence.TLS12, sECDHERSA128GCM(), sRC4SHA()))
	before, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("marshal evidence: %v", err)
	}
	g1 := GradeDomain(d, Default())
	g2 := GradeDomain(d, Default())
	after, _ := json.Marshal(d)
	if string(before) != string(after) {
		t.Error("GradeDomain modified its evidence")
	}
	if !reflect.DeepEqual(g1, g2) {
		t.Error("GradeDomain is not deterministic")
	}
	b, err := json.Marshal(g1)
	if err != nil {
		t.Fatalf("marshal grade: %v", err)
	}
	s := string(b)
	for _, want := range []string{`"grade":"A-"`, `"severity":"medium"`, `"code":"WEAK_CIPHERS"`, `"weak_off":"fail"`, `"forced_tls":"eligible"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s: %s", want, s)
		}
	}
	var back DomainGrade
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, g1) {
		t.Errorf("JSON round trip: %v", err)
	}
}
