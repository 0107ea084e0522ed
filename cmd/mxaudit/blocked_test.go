package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/samples/fleet"
)

// stsFleet is smallFleet with an MTA-STS record on the first n domains.
func stsFleet(n int) *fleet.Definition {
	d := smallFleet()
	for i := range d.Domains[:n] {
		name := d.Domains[i].Name
		d.Domains[i].MTASTS = &fleet.STS{TXT: []string{"v=STSv1; id=1"},
			Policy: "version: STSv1\r\nmode: enforce\r\nmx: mx." + name + "\r\nmax_age: 604800\r\n"}
	}
	return d
}

// closedPort returns a port on ip where nothing listens.
func closedPort(t *testing.T, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// unreachableSTS returns the fleet's flags with the MTA-STS port pointing
// where nothing listens: every policy fetch is refused at connect.
func unreachableSTS(t *testing.T, c *cliFleet) []string {
	flags := slices.Clone(c.flags())
	i := slices.Index(flags, "--mta-sts-port")
	flags[i+1] = fmt.Sprint(closedPort(t, c.f.Definition().HTTPS))
	return flags
}

func findingCodes(g grade.DomainGrade) []string {
	var out []string
	for _, f := range g.Findings {
		out = append(out, f.Code)
	}
	return out
}

// TestHTTPSBlocked: when no MTA-STS policy host of the run can be
// connected to (three or more fetches), the policies are unknown, not
// missing: HTTPS_BLOCKED instead of MTASTS_POLICY_UNAVAILABLE, and the
// grade is marked incomplete. With fewer fetches, the failures are the
// vendors' own.
func TestHTTPSBlocked(t *testing.T) {
	domains := []string{"good.example", "old.example", "plain.example"} // smallFleet order
	tests := []struct {
		name      string
		sts       int // domains with an MTA-STS record
		blocked   bool
		wantCode  string
		wantOther string
	}{
		{name: "every fetch refused", sts: 3, blocked: true, wantCode: grade.CodeHTTPSBlocked, wantOther: grade.CodeMTASTSPolicyUnavailable},
		{name: "two fetches refused", sts: 2, wantCode: grade.CodeMTASTSPolicyUnavailable, wantOther: grade.CodeHTTPSBlocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startCLIFleet(t, stsFleet(tt.sts))
			flags := unreachableSTS(t, c)
			code, out, stderr := runCLI(t, append(append([]string{"scan", "--json"}, flags...), domains...)...)
			if code != exitOK {
				t.Fatalf("scan exit %d: %s", code, stderr)
			}
			var res struct {
				Domains []scanResult `json:"domains"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Domains) != len(domains) {
				t.Fatalf("scan json: %v, %d domains", err, len(res.Domains))
			}
			for i, d := range res.Domains[:tt.sts] {
				codes := findingCodes(d.Grade)
				if d.Evidence.HTTPSBlocked != tt.blocked || !slices.Contains(codes, tt.wantCode) || slices.Contains(codes, tt.wantOther) ||
					d.Grade.Incomplete != tt.blocked {
					t.Errorf("scan %s: https blocked %v, incomplete %v, findings %v; want blocked %v and %s",
						domains[i], d.Evidence.HTTPSBlocked, d.Grade.Incomplete, codes, tt.blocked, tt.wantCode)
				}
			}

			// The batch decides the same from the domains it audits, and
			// re-grades what it stored.
			dir := t.TempDir()
			list := writeList(t, dir, "Good,good.example,a,1", "Old,old.example,b,2", "Plain,plain.example,c,3")
			dbPath := filepath.Join(dir, "h.db")
			code, _, stderr = runCLI(t, append(append([]string{"run", "--no-report", "--db", dbPath}, flags...), list)...)
			if code != exitOK {
				t.Fatalf("run exit %d: %s", code, stderr)
			}
			if got := strings.Contains(stderr, "outbound HTTPS may be blocked"); got != tt.blocked {
				t.Errorf("run warned of blocked HTTPS: %v, want %v (stderr %q)", got, tt.blocked, stderr)
			}
			store, err := db.Open(context.Background(), dbPath)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			for _, name := range domains[:tt.sts] {
				r, err := store.DomainResult(context.Background(), 1, name)
				if err != nil {
					t.Fatal(err)
				}
				codes := findingCodes(*r.Grade)
				if r.Evidence.HTTPSBlocked != tt.blocked || !slices.Contains(codes, tt.wantCode) || slices.Contains(codes, tt.wantOther) {
					t.Errorf("run %s: https blocked %v, findings %v; want blocked %v and %s", name, r.Evidence.HTTPSBlocked, codes, tt.blocked, tt.wantCode)
				}
			}

			// The reports say so once, and show MTA-STS as not checked.
			code, out, stderr = runCLI(t, "report", "--db", dbPath, "--format", "json", "--out", "-")
			if code != exitOK {
				t.Fatalf("report exit %d: %s", code, stderr)
			}
			var rep struct {
				Summary struct {
					HTTPSBlocked bool `json:"https_blocked"`
				} `json:"summary"`
				Vendors []struct {
					Domain string `json:"domain"`
					MTASTS string `json:"mta_sts"`
				} `json:"vendor_rows"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Summary.HTTPSBlocked != tt.blocked {
				t.Errorf("report summary https_blocked %v, want %v", rep.Summary.HTTPSBlocked, tt.blocked)
			}
			wantState := map[bool]string{true: "not checked", false: "invalid"}[tt.blocked]
			for _, v := range rep.Vendors {
				if slices.Index(domains, v.Domain) < tt.sts && v.MTASTS != wantState {
					t.Errorf("report: %s MTA-STS %q, want %q", v.Domain, v.MTASTS, wantState)
				}
			}
			// The terminal says why, once per domain.
			_, out, _ = runCLI(t, append(append([]string{"scan"}, flags...), domains...)...)
			if got := strings.Count(out, "outbound HTTPS may be blocked"); got != map[bool]int{true: len(domains), false: 0}[tt.blocked] {
				t.Errorf("scan table warns %d times:\n%s", got, out)
			}
		})
	}
}
