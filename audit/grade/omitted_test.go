package grade

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// TestOmitted: MX hosts and addresses left out by the caps are findings,
// and the domain is incomplete; its grade rests on what was audited.
func TestOmitted(t *testing.T) {
	t.Run("hosts", func(t *testing.T) {
		d := perfectDomain()
		for i := range 25 {
			d.MX.Omitted = append(d.MX.Omitted, evidence.MXRecord{Preference: uint16(20 + i), Host: fmt.Sprintf("mx%02d.example.com", i)})
		}
		g := GradeDomain(d, Default())
		if !g.Incomplete || g.Grade != GradeA {
			t.Fatalf("grade %q incomplete %v, want A (what was audited) and incomplete", g.Grade, g.Incomplete)
		}
		i := slices.IndexFunc(g.Findings, func(f Finding) bool { return f.Code == CodeMXHostsOmitted })
		if i < 0 {
			t.Fatalf("no %s in %q", CodeMXHostsOmitted, codes(g.Findings))
		}
		f := g.Findings[i]
		if f.Args["count"] != "25" || f.Args["audited"] != "1" || f.Host != "" || f.Severity != Low {
			t.Errorf("finding %+v", f)
		}
		if want := "mx00.example.com, mx01.example.com, mx02.example.com, mx03.example.com, mx04.example.com, mx05.example.com, " +
			"mx06.example.com, mx07.example.com, mx08.example.com, mx09.example.com"; f.Args["hosts"] != want || f.Args["more"] != "15" {
			t.Errorf("hosts %q more %q, want %q and 15", f.Args["hosts"], f.Args["more"], want)
		}
		if m := message(t, f); !strings.HasSuffix(m, "mx09.example.com and 15 more.") {
			t.Errorf("message %q, want the first ten hosts and 15 more", m)
		}
	})
	t.Run("addresses", func(t *testing.T) {
		d := perfectDomain()
		d.Hosts[0].OmittedAddresses = []string{"192.0.2.17", "2001:db8::17"}
		g := GradeDomain(d, Default())
		if !g.Incomplete || !g.MX[0].Inconclusive || g.MX[0].Grade != GradeA {
			t.Fatalf("grade %q MX %q inconclusive %v incomplete %v", g.Grade, g.MX[0].Grade, g.MX[0].Inconclusive, g.Incomplete)
		}
		i := slices.IndexFunc(g.Findings, func(f Finding) bool { return f.Code == CodeMXAddressesOmitted })
		if i < 0 {
			t.Fatalf("no %s in %q", CodeMXAddressesOmitted, codes(g.Findings))
		}
		if f := g.Findings[i]; f.Host != mx1 || f.Args["addresses"] != "192.0.2.17, 2001:db8::17" || f.Args["count"] != "2" || f.Args["more"] != "" {
			t.Errorf("finding %+v", f)
		}
	})
}
