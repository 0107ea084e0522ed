package grade

import "testing"

// TestUpgradeChecks: grades stored under the old check names read
// "pass = good" after the upgrade; TLS 1.0 accepted ("tls10": pass) is now
// a failed "tls10_off".
func TestUpgradeChecks(t *testing.T) {
	tests := []struct {
		name string
		in   map[Check]Result
		want map[Check]Result
	}{
		{"tls10 accepted", map[Check]Result{"tls10": Pass, "tls12": Pass, "tls13": Fail},
			map[Check]Result{CheckTLS10Off: Fail, CheckTLS12: Pass, CheckTLS13: Fail}},
		{"tls10 refused", map[Check]Result{"tls10": Fail}, map[Check]Result{CheckTLS10Off: Pass}},
		{"unknown kept", map[Check]Result{"tls10": Inconclusive, "tls12": NotTested}, map[Check]Result{CheckTLS10Off: Inconclusive, CheckTLS12: NotTested}},
		{"current names untouched", map[Check]Result{CheckTLS10Off: Pass, CheckSSLv3Off: Fail}, map[Check]Result{CheckTLS10Off: Pass, CheckSSLv3Off: Fail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dg := DomainGrade{MX: []MXGrade{{Checks: clone(tt.in), Addresses: []AddressGrade{{Checks: clone(tt.in)}}}}}
			dg.UpgradeLegacy()
			for _, got := range []map[Check]Result{dg.MX[0].Checks, dg.MX[0].Addresses[0].Checks} {
				if len(got) != len(tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
				for k, v := range tt.want {
					if got[k] != v {
						t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
					}
				}
			}
		})
	}
}

func clone(m map[Check]Result) map[Check]Result {
	out := map[Check]Result{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestExplainStored: a grade stored without deductions and caps gets them
// back from its findings, the same as a fresh grade has.
func TestExplainStored(t *testing.T) {
	for _, d := range SampleDomainsForTest() {
		fresh := GradeDomain(d, Default())
		stored := GradeDomain(d, Default())
		stored.Caps = nil
		for i := range stored.MX {
			stored.MX[i].Caps = nil
			for j := range stored.MX[i].Addresses {
				stored.MX[i].Addresses[j].Deductions, stored.MX[i].Addresses[j].Caps = nil, nil
			}
		}
		stored.UpgradeLegacy()
		checkExplained(t, stored)
		for i := range fresh.MX {
			for j, a := range fresh.MX[i].Addresses {
				b := stored.MX[i].Addresses[j]
				if len(a.Deductions) != len(b.Deductions) || len(a.Caps) != len(b.Caps) {
					t.Errorf("%s %s: fresh %v %v, recovered %v %v", d.Domain, a.IP, a.Deductions, a.Caps, b.Deductions, b.Caps)
				}
			}
		}
	}
}
