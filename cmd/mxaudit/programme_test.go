package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/report"
)

// TestProgrammeCommands drives exceptions, letters and the --exceptions
// file through the command line, on the clock MXAUDIT_NOW sets.
func TestProgrammeCommands(t *testing.T) {
	c := startCLIFleet(t, smallFleet())
	dbPath := filepath.Join(c.dir, "h.db")
	list := writeList(t, c.dir, "Old Ltd,old.example,Bob,2", "Plain Inc,plain.example,Di,1")
	t.Setenv(nowEnv, "2027-01-01T09:00:00Z")
	if code, _, stderr := runCLI(t, append(append([]string{"run", "--db", dbPath, "--quiet", "--no-report"}, c.flags()...), list)...); code != exitOK {
		t.Fatalf("run 1: exit %d: %s", code, stderr)
	}
	add := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"exception", "add", "--db", dbPath}, args...)...)
	}
	refusals := []struct {
		name string
		args []string
		want string
	}{
		{"expires today", []string{"--domain", "plain.example", "--approver", "J", "--reason", "r", "--expires", "2027-01-01"}, "not after today"},
		{"expired", []string{"--domain", "plain.example", "--approver", "J", "--reason", "r", "--expires", "2026-06-01"}, "not after today"},
		{"bad date", []string{"--domain", "plain.example", "--approver", "J", "--reason", "r", "--expires", "next month"}, "not a date"},
		{"unknown code", []string{"--domain", "plain.example", "--finding", "NOPE", "--approver", "J", "--reason", "r", "--expires", "2027-02-01"}, `unknown finding code "NOPE"`},
		{"no approver", []string{"--domain", "plain.example", "--reason", "r", "--expires", "2027-02-01"}, "--approver: an approver is required"},
		{"no reason", []string{"--domain", "plain.example", "--approver", "J", "--expires", "2027-02-01"}, "--reason: a reason is required"},
		{"no domain", []string{"--approver", "J", "--reason", "r", "--expires", "2027-02-01"}, "domain"},
	}
	for _, r := range refusals {
		if code, _, stderr := add(r.args...); code != exitUsage || !strings.Contains(stderr, r.want) {
			t.Errorf("%s: exit %d, %q; want exit 2 saying %q", r.name, code, stderr, r.want)
		}
	}
	code, out, stderr := add("--domain", "plain.example", "--vendor", "Plain Inc", "--approver", "Jane Roe", "--reason", "legacy relay, replacement ordered",
		"--expires", "2027-03-01", "--ticket", "CHG-1")
	if code != exitOK || strings.TrimSpace(out) != "EX-1" {
		t.Fatalf("add: exit %d %q %s", code, out, stderr)
	}
	if code, out, _ = add("--domain", "old.example", "--approver", "Ann", "--reason", "short", "--expires", "2027-01-05"); code != exitOK || strings.TrimSpace(out) != "EX-2" {
		t.Fatalf("add EX-2: exit %d %q", code, out)
	}

	// Run 2 on January 10: plain.example is F but its risk is accepted, so
	// --fail-under does not count it; old.example's exception expired on the 5th.
	t.Setenv(nowEnv, "2027-01-10T09:00:00Z")
	code, _, stderr = runCLI(t, append(append([]string{"run", "--db", dbPath, "--quiet", "--no-report", "--fail-under", "A+"}, c.flags()...), list)...)
	if code != exitThreshold || strings.Contains(stderr, "plain.example") || !strings.Contains(stderr, "old.example") {
		t.Errorf("run 2 --fail-under: exit %d %s; want old.example counted and plain.example not", code, stderr)
	}
	code, out, stderr = runCLI(t, "report", "--db", dbPath, "--format", "json", "--out", "-")
	if code != exitOK {
		t.Fatalf("report: exit %d %s", code, stderr)
	}
	var r report.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	accepted, reopened := 0, 0
	for _, f := range r.Findings {
		switch {
		case f.Domain == "plain.example" && f.SeverityNum > 0:
			if f.Status != "accepted" || f.Exception == nil || f.Exception.ID != "EX-1" || f.Exception.Approver != "Jane Roe" || f.Exception.Ticket != "CHG-1" {
				t.Errorf("plain.example finding = %+v", f)
			}
			accepted++
		case f.Domain == "old.example" && f.Status == "reopened":
			reopened++
		}
		if f.ID == "" || f.FirstSeen == nil || f.FirstSeen.Run != 1 || f.LastSeen.Run != 2 || f.AgeDays != 9 {
			t.Errorf("finding %s %s: id %q first %+v last %+v age %d", f.Domain, f.Code, f.ID, f.FirstSeen, f.LastSeen, f.AgeDays)
		}
	}
	if accepted == 0 || reopened == 0 || r.Summary.AcceptedFindings != accepted || r.Summary.VendorsAcceptedRisk != 1 {
		t.Errorf("accepted %d reopened %d summary %+v", accepted, reopened, r.Summary)
	}
	if len(r.Changes) == 0 || !strings.Contains(r.Changes[0].Text, "Exception EX-2 by Ann expired on 2027-01-05") {
		t.Errorf("first change = %+v", r.Changes)
	}

	// Letters: Plain Inc's only changes are accepted, so only Old Ltd gets one.
	code, out, _ = runCLI(t, "letter", "list", "--db", dbPath)
	refs := regexp.MustCompile(`MXA-2-[0-9A-F]{6}`).FindAllString(out, -1)
	if code != exitOK || len(refs) != 1 || !strings.Contains(out, "not sent") || !strings.Contains(out, "Old Ltd") || strings.Contains(out, "Plain Inc") {
		t.Fatalf("letter list: exit %d\n%s", code, out)
	}
	if code, out, stderr = runCLI(t, "letter", "sent", "--db", dbPath, "--date", "2027-01-09", refs[0]); code != exitOK || !strings.Contains(out, "marked sent on 2027-01-09") {
		t.Errorf("letter sent: exit %d %s %s", code, out, stderr)
	}
	if code, _, stderr = runCLI(t, "letter", "sent", "--db", dbPath, refs[0]); code != exitUsage || !strings.Contains(stderr, "already marked sent") {
		t.Errorf("letter sent twice: exit %d %s", code, stderr)
	}
	if code, _, stderr = runCLI(t, "letter", "sent", "--db", dbPath, "MXA-2-000000"); code != exitUsage || !strings.Contains(stderr, "wrote no letter") {
		t.Errorf("unknown letter: exit %d %s", code, stderr)
	}
	if code, _, _ = runCLI(t, "letter", "sent", "--db", dbPath, "--date", "2027-02-01", "MXA-2-ABCDEF"); code != exitUsage {
		t.Errorf("a future date: exit %d", code)
	}
	if code, out, _ = runCLI(t, "letter", "list", "--db", dbPath); code != exitOK || !strings.Contains(out, refs[0]+"  2027-01-09") {
		t.Errorf("letter list after sending:\n%s", out)
	}

	// Revocation: recorded beside the exception, which stays visible.
	if code, _, stderr = runCLI(t, "exception", "revoke", "--db", dbPath, "--reason", "x", "EX-1"); code != exitUsage || !strings.Contains(stderr, "--by") {
		t.Errorf("revoke without --by: exit %d %s", code, stderr)
	}
	if code, out, stderr = runCLI(t, "exception", "revoke", "--db", dbPath, "--by", "Bob Auditor", "--reason", "relay replaced", "EX-1"); code != exitOK || !strings.Contains(out, "EX-1 revoked") {
		t.Fatalf("revoke: exit %d %s %s", code, out, stderr)
	}
	if code, _, stderr = runCLI(t, "exception", "revoke", "--db", dbPath, "--by", "Bob", "--reason", "again", "EX-1"); code != exitUsage || !strings.Contains(stderr, "already revoked") {
		t.Errorf("second revoke: exit %d %s", code, stderr)
	}
	if code, _, _ = runCLI(t, "exception", "revoke", "--db", dbPath, "--by", "Bob", "--reason", "x", "EX-9"); code != exitUsage {
		t.Errorf("revoke of an unknown id: exit %d", code)
	}
	if code, out, _ = runCLI(t, "exception", "list", "--db", dbPath); code != exitOK || !strings.Contains(out, "no active exceptions") {
		t.Errorf("list after revoke and expiry:\n%s", out)
	}
	code, out, _ = runCLI(t, "exception", "list", "--db", dbPath, "--all")
	if code != exitOK || !strings.HasPrefix(strings.SplitN(out, "\n", 3)[1], "EX-1") || !strings.Contains(out, "Jane Roe") ||
		!strings.Contains(out, "revoked 2027-01-10T09:00:00Z by Bob Auditor: relay replaced") || !strings.Contains(out, "EX-2  expired") {
		t.Errorf("list --all:\n%s", out)
	}
	code, out, _ = runCLI(t, "exception", "list", "--db", dbPath, "--all", "--json")
	var entries []exceptionListEntry
	if err := json.Unmarshal([]byte(out), &entries); code != exitOK || err != nil || len(entries) != 2 ||
		entries[0].State != "revoked" || entries[0].Approver != "Jane Roe" || entries[0].Revoked == nil || entries[0].Revoked.By != "Bob Auditor" {
		t.Errorf("list --json: exit %d %v %+v", code, err, entries)
	}

	// The exceptions file: applied, and a conflict with a recorded one reported.
	if code, _, _ = add("--domain", "old.example", "--approver", "Ann", "--reason", "vendor notice", "--expires", "2027-06-01"); code != exitOK {
		t.Fatal("add EX-3")
	}
	file := filepath.Join(c.dir, "exceptions.yaml")
	body := `exceptions:
  - id: plain-all
    domain: plain.example
    approver: CISO
    reason: board decision
    expires: 2027-12-31
    ticket: RISK-9
  - id: old-longer
    domain: old.example
    approver: Someone
    reason: other terms
    expires: 2028-01-01
`
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runCLI(t, "report", "--db", dbPath, "--format", "json", "--out", "-", "--exceptions", file)
	if code != exitOK || !strings.Contains(stderr, "exception old-longer of the exceptions file not applied: conflicts with EX-3") {
		t.Errorf("report --exceptions: exit %d %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		if f.Domain == "plain.example" && f.SeverityNum > 0 && (f.Exception == nil || f.Exception.ID != "plain-all") {
			t.Errorf("the file exception does not apply: %+v", f)
		}
	}
	for name, bad := range map[string]string{
		"unknown code": "exceptions:\n  - id: a\n    domain: x.example\n    finding: NOPE\n    approver: A\n    reason: r\n    expires: 2027-12-31\n",
		"no id":        "exceptions:\n  - domain: x.example\n    approver: A\n    reason: r\n    expires: 2027-12-31\n",
		"no approver":  "exceptions:\n  - id: a\n    domain: x.example\n    reason: r\n    expires: 2027-12-31\n",
		"unknown key":  "exceptions:\n  - id: a\n    domain: x.example\n    approver: A\n    reason: r\n    expires: 2027-12-31\n    until: soon\n",
	} {
		if err := os.WriteFile(file, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr = runCLI(t, "report", "--db", dbPath, "--format", "json", "--out", "-", "--exceptions", file); code != exitUsage || !strings.Contains(stderr, "--exceptions") {
			t.Errorf("%s: exit %d %s", name, code, stderr)
		}
	}
	t.Setenv(nowEnv, "soon")
	if code, _, stderr = runCLI(t, "exception", "list", "--db", dbPath); code != exitUsage || !strings.Contains(stderr, nowEnv) {
		t.Errorf("a bad %s: exit %d %s", nowEnv, code, stderr)
	}
}
