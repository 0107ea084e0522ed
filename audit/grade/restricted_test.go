package grade

import (
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// TestRestrictedScanIsIncomplete: a scan restricted with --versions never
// reads as complete, however good what it tested; it says what it did not
// test.
func TestRestrictedScanIsIncomplete(t *testing.T) {
	full := GradeDomain(perfectDomain(), Default())
	if full.Incomplete || !full.Grade.Conclusive() {
		t.Fatalf("the perfect domain grades %s (incomplete %v)", full.Grade, full.Incomplete)
	}
	tests := []struct {
		tested   []string
		want     string
		complete bool
	}{
		{[]string{evidence.TLS12, evidence.TLS13}, "SSLv3 and weak suites were not tested (SSLv2, SSLv3, TLSv1.0, TLSv1.1)", false},
		{[]string{evidence.SSLv2, evidence.SSLv3, evidence.TLS10, evidence.TLS11, evidence.TLS12}, "TLSv1.3 and the weak suites only they carry were not tested", false},
		{nil, "", true},
		{slices.Clone(evidence.Versions), "", true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.tested, ","), func(t *testing.T) {
			d := perfectDomain()
			d.VersionsTested = tt.tested
			g := GradeDomain(d, Default())
			var f *Finding
			for i := range g.Findings {
				if g.Findings[i].Code == CodeScanRestricted {
					f = &g.Findings[i]
				}
			}
			if tt.complete {
				if f != nil || g.Incomplete {
					t.Fatalf("a full scan is marked restricted: %+v incomplete %v", f, g.Incomplete)
				}
				return
			}
			if f == nil || !g.Incomplete {
				t.Fatalf("restricted scan: finding %v, incomplete %v; want both", f, g.Incomplete)
			}
			if m := message(t, *f); !strings.Contains(m, tt.want) {
				t.Errorf("message %q lacks %q", m, tt.want)
			}
		})
	}
}
