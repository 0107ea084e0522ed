package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/urfave/cli/v2"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report/reporttest"
	"github.com/mxaudit/mxaudit/samples/fleet"
)

// runCLIAs runs mxaudit with args as an unprivileged user: in-process when
// the tests already run unprivileged, else the test binary re-executed
// under setpriv as nobody, because root ignores directory permissions and
// a read-only directory would prove nothing.
func runCLIAs(t *testing.T, binDir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return runCLI(t, args...)
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("running as root without setpriv: cannot drop privileges to test a read-only directory")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "mxaudit.test")
	if _, err := os.Stat(bin); err != nil {
		if err := copyFile(self, bin, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(setpriv, append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin}, args...)...)
	cmd.Env = append(os.Environ(), "MXAUDIT_TEST_MAIN=1", "HOME=/nonexistent")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errOut.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// TestReadOnlyDirectory: the commands that only read history work on a
// database in a directory nobody may write to, and leave nothing behind.
func TestReadOnlyDirectory(t *testing.T) {
	// Directories of our own, open to the unprivileged user (t.TempDir's
	// parents are private to this user).
	top, err := os.MkdirTemp("", "mxaudit-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.Chmod(filepath.Join(top, "hist"), 0o755)
		os.RemoveAll(top)
	})
	binDir, dir := filepath.Join(top, "bin"), filepath.Join(top, "hist")
	for _, d := range []string{top, binDir, dir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	path, _, run2, err := reporttest.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if err := os.Chmod(filepath.Join(dir, e.Name()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	before := dirNames(t, dir)
	for _, args := range [][]string{
		{"runs", "--db", path},
		{"history", "--db", path, "bolt-bank.example"},
		{"diff", "--db", path},
		{"report", "--db", path, "--format", "json", "--out", "-"},
		{"policy-map", "--db", path},
	} {
		t.Run(args[0], func(t *testing.T) {
			code, out, stderr := runCLIAs(t, binDir, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if args[0] == "runs" && !strings.Contains(out, fmt.Sprint(run2)) {
				t.Errorf("runs does not list run %d:\n%s", run2, out)
			}
			if args[0] == "history" && !strings.Contains(out, "bolt-bank.example") && strings.Count(out, "\n") < 3 {
				t.Errorf("history:\n%s", out)
			}
		})
	}
	if after := dirNames(t, dir); after != before {
		t.Errorf("files in the read-only directory changed: %s -> %s", before, after)
	}
}

func dirNames(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

// TestDBPathIsAFileName: --db names a file, whatever characters it holds,
// and the run lock sits beside that file.
func TestDBPathIsAFileName(t *testing.T) {
	c := startCLIFleet(t, smallFleet())
	list := writeList(t, c.dir, "Good Co,good.example,Ann,1")
	for _, name := range []string{"X#a.db", "b%20c.db", "d?_pragma=journal_mode(DELETE).db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			code, _, stderr := runCLI(t, append(append([]string{"run", "--db", path, "--quiet", "--no-report", "--versions", "TLSv1.2,TLSv1.3"}, c.flags()...), list)...)
			if code != exitOK {
				t.Fatalf("run: exit %d: %s", code, stderr)
			}
			for _, f := range strings.Fields(dirNames(t, dir)) {
				if !strings.HasPrefix(f, name) {
					t.Errorf("%q written for --db %q", f, name)
				}
			}
			if _, err := os.Stat(path + ".lock"); err != nil {
				t.Errorf("the run lock is not beside the database: %v", err)
			}
			code, out, stderr := runCLI(t, "runs", "--db", path)
			if code != exitOK || !strings.Contains(out, "completed") {
				t.Errorf("runs: exit %d: %s %s", code, out, stderr)
			}
		})
	}
}

// TestNewerSchemaDatabase: a database a newer mxaudit wrote is refused with
// exit 3 by every command, and left untouched.
func TestNewerSchemaDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "h.db")
	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := store.SchemaVersion(ctx)
	store.Close()
	bumpSchema(t, path, v+3)
	list := writeList(t, dir, "Good Co,good.example,Ann,1")
	before, _ := os.ReadFile(path)
	for _, args := range [][]string{
		{"run", "--db", path, "--resolver", "127.0.0.1:1", list},
		{"runs", "--db", path},
		{"report", "--db", path},
		{"regrade", "--db", path, "1"},
	} {
		code, _, stderr := runCLI(t, args...)
		want := fmt.Sprintf("written by a newer mxaudit (schema %d", v+3)
		if code != exitRuntime || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", args[0], code, stderr, exitRuntime, want)
		}
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("the newer database was written to")
	}
}

// bumpSchema records a migration this build does not have, as a newer
// mxaudit would.
func bumpSchema(t *testing.T, path string, version int) {
	t.Helper()
	sdb, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', '2030-01-01T00:00:00Z')`, version); err != nil {
		t.Fatal(err)
	}
}

// startProbeOnlyDNS serves a resolver that answers the question about the
// root zone (so the probe before a run passes) and nothing else: it dies,
// as it were, once the run has started.
func startProbeOnlyDNS(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if len(r.Question) == 1 && r.Question[0].Name == "." {
			m := new(dns.Msg)
			m.SetReply(r)
			_ = w.WriteMsg(m)
		}
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

// withFlag returns flags with the value of one flag replaced.
func withFlag(flags []string, name, value string) []string {
	out := slices.Clone(flags)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == name {
			out[i+1] = value
			return out
		}
	}
	return append(out, name, value)
}

func regressionFleet(profile string) *fleet.Definition {
	d := &fleet.Definition{Resolver: "127.0.0.53:0", SMTPPort: -1, HTTPS: "127.0.7.80", HTTPSPort: -1}
	add := func(ip, name, profile string) {
		d.Servers = append(d.Servers, fleet.Server{IP: ip, Names: []string{"mx." + name}, Profile: profile})
		d.Domains = append(d.Domains, fleet.Domain{Name: name, MX: []fleet.MX{{Preference: 10, Host: "mx." + name}}})
	}
	add("127.0.7.1", "good.example", "modern")
	add("127.0.7.2", "fabrikam.example", profile)
	return d
}

// TestRegressionSurvivesBadNights: a real A- → F regression is caught by
// --fail-on regression although a dead-resolver run, a resolver that dies
// mid-run and a run that could not reach the vendor sit between; the runs
// that audited nothing are marked failed and never become a baseline; the
// unreachable vendor's last grade is carried, marked as such.
func TestRegressionSurvivesBadNights(t *testing.T) {
	month1 := startCLIFleet(t, regressionFleet("name-mismatch"))
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "h#1.db")
	list := writeList(t, dir, "Good Co,good.example,Ann,1", "Fabrikam Labs,fabrikam.example,Bob,1")
	run := func(flags []string, extra ...string) (int, string, string) {
		args := append([]string{"run", "--db", dbPath, "--no-report"}, extra...)
		return runCLI(t, append(append(args, flags...), list)...)
	}
	if code, _, stderr := run(month1.flags()); code != exitOK {
		t.Fatalf("month 1: exit %d: %s", code, stderr)
	}

	// A dead resolver: refused before a run is even created.
	code, _, stderr := run(withFlag(month1.flags(), "--resolver", "127.0.0.1:1"), "--fail-on", "regression")
	if code != exitRuntime || !strings.Contains(stderr, "DNS resolver cannot be used") {
		t.Fatalf("dead resolver: exit %d, stderr %q; want %d and a clear message", code, stderr, exitRuntime)
	}

	// A resolver that answers the probe and then nothing: the run is failed.
	code, _, stderr = run(withFlag(withFlag(month1.flags(), "--resolver", startProbeOnlyDNS(t)), "--dnssec", "off"), "--fail-on", "regression")
	if code != exitRuntime || !strings.Contains(stderr, "audited nothing") || !strings.Contains(stderr, "answered none") ||
		!strings.Contains(stderr, "--resume --db '"+dbPath+"'") {
		t.Fatalf("resolver dead mid-run: exit %d, stderr %q", code, stderr)
	}

	// The vendor's server refuses every connection this month: it is
	// inconclusive, its A- carried; good.example is audited.
	month2 := startCLIFleet(t, regressionFleet("refuse-421"))
	code, out, stderr := run(month2.flags(), "--fail-on", "regression")
	if code != exitOK {
		t.Fatalf("month 2: exit %d: %s %s", code, out, stderr)
	}
	if !strings.Contains(out, "grade A- carried from run 1") {
		t.Errorf("month 2 summary does not carry fabrikam's A-:\n%s", out)
	}

	// The vendor is back, with STARTTLS gone: A- → F, against run 1.
	month3 := startCLIFleet(t, regressionFleet("no-starttls"))
	code, out, stderr = run(month3.flags(), "--fail-on", "regression")
	if code != exitThreshold || !strings.Contains(stderr, "regressions since run 3") {
		t.Fatalf("month 3: exit %d, want %d (the A- → F regression): %s %s", code, exitThreshold, out, stderr)
	}
	if !strings.Contains(out, "Grade dropped from A- to F") {
		t.Errorf("month 3 summary lacks the regression:\n%s", out)
	}

	ctx := context.Background()
	store, err := db.OpenReadOnly(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runs, err := store.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, r := range runs {
		statuses = append(statuses, fmt.Sprintf("%d:%s", r.ID, r.Status))
	}
	if got := strings.Join(statuses, " "); got != "4:completed 3:completed 2:failed 1:completed" {
		t.Errorf("runs = %s", got)
	}
	var diff db.Diff
	if _, err := store.LoadDiff(ctx, 4, &diff); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ch := range diff.Changes {
		if ch.Kind == db.ChangeGradeDown && ch.Domain == "fabrikam.example" && ch.From == "A-" && ch.To == "F" && ch.Since == 1 {
			found = true
		}
	}
	if diff.Base != 3 || !found {
		t.Errorf("diff of run 4 = base %d, changes %+v; want base 3 and fabrikam A- → F since run 1", diff.Base, diff.Changes)
	}

	// The report of month 2 shows the carried grade.
	code, out, stderr = runCLI(t, "report", "--db", dbPath, "--format", "json", "--out", "-", "3")
	if code != exitOK {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	var rep struct {
		Vendors []struct {
			Domain      string `json:"domain"`
			Grade       string `json:"grade"`
			CarriedFrom *struct {
				Run   int64  `json:"run"`
				Date  string `json:"date"`
				Grade string `json:"grade"`
			} `json:"carried_from"`
		} `json:"vendors"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	for _, v := range rep.Vendors {
		switch v.Domain {
		case "fabrikam.example":
			if v.Grade != "?" || v.CarriedFrom == nil || v.CarriedFrom.Run != 1 || v.CarriedFrom.Grade != "A-" || len(v.CarriedFrom.Date) != len("2006-01-02") {
				t.Errorf("fabrikam in run 3: grade %s, carried %+v", v.Grade, v.CarriedFrom)
			}
		case "good.example":
			if v.CarriedFrom != nil {
				t.Errorf("good.example was audited, yet carried %+v", v.CarriedFrom)
			}
		}
	}

	// The failed run can be resumed: with a working resolver it completes,
	// and its summary counts the whole run.
	code, out, stderr = runCLI(t, append(append([]string{"run", "--db", dbPath, "--no-report", "--resume"}, month3.flags()...), list)...)
	if code != exitOK || !strings.Contains(out, "run 2: 2 domains stored") {
		t.Fatalf("resume: exit %d: %s %s", code, out, stderr)
	}
}

// TestScanDeadResolver: scan, too, refuses a resolver that answers
// nothing, with exit 3 and a clear message, instead of a page of "?".
func TestScanDeadResolver(t *testing.T) {
	code, out, stderr := runCLI(t, "scan", "--resolver", "127.0.0.1:1", "good.example")
	if code != exitRuntime || !strings.Contains(stderr, "DNS resolver cannot be used") || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

// TestEmptyList: a list with no usable row is an input error (exit 2),
// found before any network work (the resolver here is dead) and before
// any run is stored.
func TestEmptyList(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "h.db")
	for name, rows := range map[string][]string{
		"header only": nil,
		"all invalid": {"Broken,not a domain!,Ann,1", "Empty,,Bob,2", "IP,192.0.2.1,Cy,3"},
	} {
		t.Run(name, func(t *testing.T) {
			list := writeList(t, dir, rows...)
			code, _, stderr := runCLI(t, "run", "--db", dbPath, "--resolver", "127.0.0.1:1", list)
			if code != exitUsage || !strings.Contains(stderr, "no usable row") {
				t.Fatalf("exit %d, stderr %q; want %d and \"no usable row\"", code, stderr, exitUsage)
			}
			if _, err := os.Stat(dbPath); err == nil {
				t.Fatal("a database was created for a list with nothing to audit")
			}
		})
	}
}

// TestFlagValues: nonsense values are refused with exit 2 naming the flag,
// before any network work (the resolver here would be dead anyway).
func TestFlagValues(t *testing.T) {
	dir := t.TempDir()
	list := writeList(t, dir, "Good Co,good.example,Ann,1")
	dbPath := filepath.Join(dir, "h.db")
	tests := []struct {
		args []string
		flag string
	}{
		{[]string{"--timeout", "-1s"}, "--timeout"},
		{[]string{"--timeout", "1ns"}, "--timeout"},
		{[]string{"--probe-timeout", "1ms"}, "--probe-timeout"},
		{[]string{"--timeout", "20s", "--probe-timeout", "5s"}, "--probe-timeout"},
		{[]string{"--probe-timeout", "10m", "--domain-timeout", "5m"}, "--domain-timeout"},
		{[]string{"--mta-sts-port", "0"}, "--mta-sts-port"},
		{[]string{"--port", "70000"}, "--port"},
		{[]string{"--expiry-warn", "-5"}, "--expiry-warn"},
		{[]string{"--concurrency", "100000"}, "--concurrency"},
		{[]string{"--concurrency", "0"}, "--concurrency"},
		{[]string{"--per-host", "0"}, "--per-host"},
		{[]string{"--retries", "-1"}, "--retries"},
		{[]string{"--gap", "-1s"}, "--gap"},
		{[]string{"--resolver", "999.1.1.1"}, "--resolver"},
		{[]string{"--resolver", "resolver.example:53"}, "--resolver"},
		{[]string{"--resolver", "127.0.0.1:0"}, "--resolver"},
	}
	for _, tt := range tests {
		name := strings.Join(tt.args, " ")
		t.Run(name, func(t *testing.T) {
			for _, cmd := range [][]string{{"run", "--db", dbPath, "--no-report"}, {"scan"}} {
				if cmd[0] == "scan" && tt.flag == "--expiry-warn" {
					continue // run and report only
				}
				target := list
				if cmd[0] == "scan" {
					target = "good.example"
				}
				args := append(append(append(slices.Clone(cmd), "--resolver", "127.0.0.1:1"), tt.args...), target)
				code, _, stderr := runCLI(t, args...)
				if code != exitUsage || !strings.Contains(stderr, tt.flag) {
					t.Errorf("%s %s: exit %d, stderr %q; want %d naming %s", cmd[0], name, code, stderr, exitUsage, tt.flag)
				}
			}
		})
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Error("a database was created although every run was refused")
	}
	for _, args := range [][]string{{"report", "--db", dbPath, "--expiry-warn", "-5"}, {"diff", "--db", dbPath, "--expiry-warn", "-5"}} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage || !strings.Contains(stderr, "--expiry-warn") {
			t.Errorf("%s: exit %d, stderr %q", args[0], code, stderr)
		}
	}
}

// TestRestrictedVersions: a scan restricted with --versions says what it
// did not test, and its grade is marked incomplete, in the table and in
// the JSON.
func TestRestrictedVersions(t *testing.T) {
	c := startCLIFleet(t, smallFleet())
	args := append(append([]string{"scan", "--versions", "TLSv1.2,TLSv1.3"}, c.flags()...), "good.example")
	code, out, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"incomplete: the scan was restricted with --versions", "SSLv3 and weak suites were not tested"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, stderr = runCLI(t, append([]string{"scan", "--json", "--versions", "TLSv1.2,TLSv1.3"}, append(c.flags(), "good.example")...)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Domains []struct {
			Evidence struct {
				VersionsTested []string `json:"versions_tested"`
			} `json:"evidence"`
			Grade struct {
				Grade      string `json:"grade"`
				Incomplete bool   `json:"incomplete"`
				Findings   []struct {
					Code string `json:"code"`
				} `json:"findings"`
			} `json:"grade"`
		} `json:"domains"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Domains) != 1 {
		t.Fatalf("json: %v", err)
	}
	d := res.Domains[0]
	restricted := slices.ContainsFunc(d.Grade.Findings, func(f struct {
		Code string `json:"code"`
	}) bool {
		return f.Code == "SCAN_RESTRICTED"
	})
	if !d.Grade.Incomplete || !restricted || strings.Join(d.Evidence.VersionsTested, ",") != "TLSv1.2,TLSv1.3" {
		t.Errorf("restricted scan: %+v", d)
	}
}

// TestRowLimit: a list longer than the limit is refused with exit 2
// before any network work, naming the limit and --max-rows; the default
// limit is at most 100,000 rows.
func TestRowLimit(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "h.db")
	list := writeList(t, dir, "A,a.example,,", "B,b.example,,", "C,c.example,,")
	code, _, stderr := runCLI(t, "run", "--db", dbPath, "--resolver", "127.0.0.1:1", "--max-rows", "3", list)
	if code != exitUsage || !strings.Contains(stderr, "the limit is 3 rows") || !strings.Contains(stderr, "--max-rows N") {
		t.Fatalf("exit %d, stderr %q; want %d naming the limit and --max-rows", code, stderr, exitUsage)
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Error("a database was created for a refused list")
	}
	for _, f := range runCommand().Flags {
		if ifl, ok := f.(*cli.IntFlag); ok && ifl.Name == "max-rows" && (ifl.Value < 1 || ifl.Value > 100000) {
			t.Errorf("default --max-rows %d, want at most 100,000", ifl.Value)
		}
	}
}

// TestChecksBeforeAuditing: templates, config and the report directory are
// checked before any network work (the resolver here is dead): a template
// syntax error names the file and line (exit 2), an unwritable report
// directory is exit 3, and neither leaves a run behind.
func TestChecksBeforeAuditing(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "h.db")
	list := writeList(t, dir, "Good Co,good.example,Ann,1")
	tdir := filepath.Join(dir, "wording")
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tdir, "letter.tmpl"), []byte("{{define \"x\"}}\n{{.A}\n{{end}}"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "run", "--db", dbPath, "--resolver", "127.0.0.1:1", "--templates", tdir, list)
	if code != exitUsage || !strings.Contains(stderr, "letter.tmpl:2") {
		t.Errorf("template syntax error: exit %d, stderr %q; want %d naming letter.tmpl:2", code, stderr, exitUsage)
	}
	// A findings.json override that names an argument the grader never
	// sets would print a blank in every report: refused before auditing.
	wdir := filepath.Join(dir, "wording2")
	if err := os.MkdirAll(wdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wdir, "findings.json"), []byte(`{"SSLV3_ENABLED": {"message": "{{.hots}} accepts SSLv3."}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "run", "--db", dbPath, "--resolver", "127.0.0.1:1", "--templates", wdir, list)
	if code != exitUsage || !strings.Contains(stderr, "SSLV3_ENABLED uses {{.hots}}") {
		t.Errorf("override with an unknown argument: exit %d, stderr %q; want %d naming SSLV3_ENABLED and {{.hots}}", code, stderr, exitUsage)
	}
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "run", "--db", dbPath, "--resolver", "127.0.0.1:1", "--out", filepath.Join(blocker, "reports"), list)
	if code != exitRuntime || !strings.Contains(stderr, "report directory") {
		t.Errorf("unwritable report directory: exit %d, stderr %q; want %d", code, stderr, exitRuntime)
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Error("a database was created although the run was refused")
	}
}

// TestInterruptedReportLeavesNoTempFiles: a report interrupted at any
// moment leaves either finished reports or nothing, never a .tmp-* file.
func TestInterruptedReportLeavesNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	path, _, _, err := reporttest.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for i, delay := range []time.Duration{20 * time.Millisecond, 80 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		out := filepath.Join(dir, fmt.Sprintf("out%d", i))
		cmd := exec.Command(self, "report", "--db", path, "--out", out, "--format", "pdf,xlsx,json", "--letters")
		cmd.Args[0] = "mxaudit"
		cmd.Env = append(os.Environ(), "MXAUDIT_TEST_MAIN=1")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
		_ = filepath.WalkDir(out, func(p string, e os.DirEntry, err error) error {
			if err == nil && strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("interrupted after %v: %s left behind", delay, p)
			}
			return nil
		})
	}
}

// TestTemplateMissingFieldBeforeAuditing: an overridden PDF block naming a
// field the report lacks fails before any network work (exit 2), naming
// the file and line, never printing "<no value>" into a report.
func TestTemplateMissingFieldBeforeAuditing(t *testing.T) {
	dir := t.TempDir()
	tdir := filepath.Join(dir, "wording")
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tdir, "pdf.tmpl"), []byte("{{define \"cover.title\"}}\nCover {{.NoSuchField}}{{end}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	list := writeList(t, dir, "Good Co,good.example,Ann,1")
	code, _, stderr := runCLI(t, "run", "--db", filepath.Join(dir, "h.db"), "--resolver", "127.0.0.1:1", "--templates", tdir, "--format", "pdf", list)
	if code != exitUsage || !strings.Contains(stderr, "pdf.tmpl:2") || !strings.Contains(stderr, "NoSuchField") || len(stderr) > 1000 {
		t.Fatalf("exit %d, stderr %q; want %d naming pdf.tmpl:2 and the field, briefly", code, stderr, exitUsage)
	}
}
