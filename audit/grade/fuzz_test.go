package grade

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// FuzzGradeDomain grades arbitrary stored evidence (JSON, as the database
// keeps it): grading must never panic and must keep its invariants.
func FuzzGradeDomain(f *testing.F) {
	for _, d := range SampleDomainsForTest()[:3] {
		b, err := json.Marshal(d)
		if err != nil {
			f.Fatalf("marshal seed: %v", err)
		}
		f.Add(b)
	}
	known := []Grade{GradeAPlus, GradeA, GradeAMinus, GradeB, GradeC, GradeD, GradeF, GradeInconclusive, GradeNA}
	codes := Codes()
	f.Fuzz(func(t *testing.T, data []byte) {
		var d evidence.Domain
		if err := json.Unmarshal(data, &d); err != nil {
			return
		}
		g := GradeDomain(&d, Default())
		checkExplained(t, g)
		if !slices.Contains(known, g.Grade) {
			t.Fatalf("domain grade %q", g.Grade)
		}
		for _, m := range g.MX {
			for _, a := range m.Addresses {
				if a.Inconclusive != (a.Grade == GradeInconclusive) {
					t.Fatalf("address %s: Inconclusive=%v Grade=%q", a.IP, a.Inconclusive, a.Grade)
				}
				if len(a.Checks) != len(Checks()) {
					t.Fatalf("address %s has %d checks", a.IP, len(a.Checks))
				}
				forced := slices.ContainsFunc(a.Findings, func(f Finding) bool { return f.ForceF })
				if forced && !a.Inconclusive && a.Grade != GradeF {
					t.Fatalf("address %s has a finding that forces F but grade %q", a.IP, a.Grade)
				}
				if a.Grade == GradeAPlus && a.Checks[CheckTLS13] != Pass {
					t.Fatalf("address %s is A+ without TLS 1.3", a.IP)
				}
			}
		}
		if !slices.IsSortedFunc(g.Findings, func(a, b Finding) int { return int(b.Severity) - int(a.Severity) }) {
			t.Fatal("findings not sorted by severity")
		}
		for _, fd := range g.Findings {
			if !slices.Contains(codes, fd.Code) {
				t.Fatalf("unknown code %s", fd.Code)
			}
		}
	})
}
