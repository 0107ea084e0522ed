package grade

import (
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// checkExplained holds every graded address and MX to its explanation:
// the score is 100 minus the listed deductions (floored at 0), the letter
// is the score's unless a listed cap sets it, and every F that the score
// does not give has a cap beside it.
func checkExplained(t *testing.T, g DomainGrade) {
	t.Helper()
	for _, m := range g.MX {
		for _, a := range m.Addresses {
			if a.Inconclusive {
				if len(a.Deductions) > 0 || len(a.Caps) > 0 {
					t.Errorf("%s %s: an address that could not be audited has deductions %v caps %v", m.Host, a.IP, a.Deductions, a.Caps)
				}
				continue
			}
			sum := 0
			for _, d := range a.Deductions {
				if d.Points <= 0 || d.Code == "" || d.Scope == "" {
					t.Errorf("%s %s: deduction %+v", m.Host, a.IP, d)
				}
				sum += d.Points
			}
			if want := max(100-sum, 0); a.Score != want {
				t.Errorf("%s %s: score %d, deductions add up to 100 - %d = %d", m.Host, a.IP, a.Score, sum, want)
			}
			want := letter(a.Score)
			if len(a.Caps) > 0 {
				want = GradeF
			}
			if a.Grade != want && !(a.Grade == GradeAPlus && want == GradeA && a.APlusWhy != nil) {
				t.Errorf("%s %s: grade %s, explained %s (score %d, caps %v)", m.Host, a.IP, a.Grade, want, a.Score, a.Caps)
			}
		}
		if m.Grade == GradeF {
			worstAddrF := false
			for _, a := range m.Addresses {
				worstAddrF = worstAddrF || a.Grade == GradeF
			}
			if !worstAddrF && len(m.Caps) == 0 {
				t.Errorf("MX %s is F with no F address and no cap", m.Host)
			}
		}
	}
	if g.Grade == GradeF && len(g.Caps) == 0 {
		anyF := false
		for _, m := range g.MX {
			anyF = anyF || m.Grade == GradeF
		}
		if !anyF {
			t.Errorf("domain %s is F with no F MX and no cap", g.Domain)
		}
	}
}

// TestExplainDeductions: an address with SSLv3 and no forward secrecy
// lists both deductions; a domain-level deduction is listed on every
// address with its scope.
func TestExplainDeductions(t *testing.T) {
	d := perfectDomain()
	setVersion(d, supported(evidence.SSLv3, sRSA128SHA()))
	d.MTASTS = stsEvidence(stsModeEnforce, stsWeek, "*.example.com")
	d.MTASTS.PolicyErrors = nil
	g := GradeDomain(d, Default())
	checkExplained(t, g)
	a := g.MX[0].Addresses[0]
	found := false
	for _, x := range a.Deductions {
		if x.Code == CodeSSLv3Enabled && x.Points == Default().Rules[CodeSSLv3Enabled].Deduction && x.Scope == ScopeAddress {
			found = true
		}
	}
	if !found {
		t.Fatalf("deductions %+v lack SSLV3_ENABLED at address scope", a.Deductions)
	}
}

// TestExplainCaps: an MX outside an enforced MTA-STS policy is F with the
// cap on the MX and on each of its addresses, scope host; the other MX
// carries no cap.
func TestExplainCaps(t *testing.T) {
	d := perfectDomain()
	other := d.Hosts[0]
	other.Name = "mx.elsewhere.example"
	other.Addresses = []evidence.Address{perfectAddress("mx.elsewhere.example", "192.0.2.99")}
	d.Hosts = append(d.Hosts, other)
	d.MTASTS = stsEnforce()
	d.MTASTS.MXMatch = map[string]string{d.Hosts[0].Name: "*.example.com"}
	g := GradeDomain(d, Default())
	checkExplained(t, g)
	var capped, clean *MXGrade
	for i := range g.MX {
		if g.MX[i].Host == "mx.elsewhere.example" {
			capped = &g.MX[i]
		} else {
			clean = &g.MX[i]
		}
	}
	if capped == nil || clean == nil {
		t.Fatalf("MX %+v", g.MX)
	}
	if capped.Grade != GradeF || len(capped.Caps) != 1 || capped.Caps[0].Code != CodeMTASTSMXNotCovered || capped.Caps[0].Scope != ScopeHost {
		t.Fatalf("uncovered MX grade %s caps %+v", capped.Grade, capped.Caps)
	}
	for _, a := range capped.Addresses {
		if a.Grade != GradeF || len(a.Caps) != 1 || a.Caps[0].Code != CodeMTASTSMXNotCovered {
			t.Errorf("address %s grade %s caps %+v", a.IP, a.Grade, a.Caps)
		}
	}
	if len(clean.Caps) != 0 || len(clean.Addresses[0].Caps) != 0 {
		t.Errorf("covered MX caps %+v / %+v", clean.Caps, clean.Addresses[0].Caps)
	}
}

// TestExplainNoMX: a domain without mail host is F with a NO_MX cap.
func TestExplainNoMX(t *testing.T) {
	d := perfectDomain()
	d.MX = evidence.MXLookup{Kind: evidence.MXNone, Lookup: evidence.Lookup{Status: evidence.DNSNXDomain}}
	d.Hosts = nil
	g := GradeDomain(d, Default())
	if g.Grade != GradeF || len(g.Caps) != 1 || g.Caps[0].Code != CodeNoMX {
		t.Fatalf("grade %s caps %+v", g.Grade, g.Caps)
	}
}

// TestExplainSamples holds every sample domain to its explanation.
func TestExplainSamples(t *testing.T) {
	for _, d := range SampleDomainsForTest() {
		checkExplained(t, GradeDomain(d, Default()))
	}
}
