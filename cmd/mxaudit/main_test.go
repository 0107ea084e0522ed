package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/samples/fleet"
)

// TestMain lets the test binary stand in for the mxaudit binary, so the
// resume test can kill a real process with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("MXAUDIT_TEST_MAIN") == "1" {
		os.Exit(run(os.Args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

type cliFleet struct {
	f     *fleet.Fleet
	caPEM string
	dir   string
}

func smallFleet() *fleet.Definition {
	d := &fleet.Definition{Resolver: "127.0.0.53:0", SMTPPort: -1, HTTPS: "127.0.4.80", HTTPSPort: -1}
	add := func(ip, name, profile string) {
		d.Servers = append(d.Servers, fleet.Server{IP: ip, Names: []string{"mx." + name}, Profile: profile})
		d.Domains = append(d.Domains, fleet.Domain{Name: name, MX: []fleet.MX{{Preference: 10, Host: "mx." + name}}})
	}
	add("127.0.4.1", "good.example", "modern")
	add("127.0.4.2", "old.example", "legacy")
	add("127.0.4.3", "plain.example", "no-starttls")
	add("127.0.4.4", "mismatch.example", "name-mismatch")
	d.Domains[0].MTASTS = &fleet.STS{TXT: []string{"v=STSv1; id=1"}, Policy: "version: STSv1\r\nmode: enforce\r\nmx: mx.good.example\r\nmax_age: 604800\r\n"}
	d.Domains[0].TLSRPT = "v=TLSRPTv1; rua=mailto:tls@good.example"
	return d
}

func startCLIFleet(t *testing.T, def *fleet.Definition) *cliFleet {
	t.Helper()
	f, err := fleet.Start(def, fleet.Options{RemapPrefix: fmt.Sprintf("127.%d", 100+rand.IntN(150))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, f.CA.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return &cliFleet{f: f, caPEM: ca, dir: dir}
}

func (c *cliFleet) flags() []string {
	flags := []string{"--resolver", c.f.Resolver, "--port", fmt.Sprint(c.f.Port), "--ca-file", c.caPEM,
		"--https-proxy", "none", "--ehlo", "scanner.mxaudit.test", "--timeout", "2s", "--retries", "0", "--allow-private"}
	if c.f.HTTPSPort != 0 { // a fleet without MTA-STS policies serves no HTTPS
		flags = append(flags, "--mta-sts-port", fmt.Sprint(c.f.HTTPSPort))
	}
	return flags
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"mxaudit"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no domain", []string{"scan"}, "scan needs at least one domain"},
		{"bad domain", []string{"scan", "not a domain!"}, "not a valid domain name"},
		{"ip", []string{"scan", "192.0.2.1"}, "is an IP address"},
		{"bad grade", []string{"scan", "--fail-under", "Z", "example.com"}, "is not a grade"},
		{"bad versions", []string{"scan", "--versions", "TLSv9", "example.com"}, "unknown version"},
		{"unknown flag", []string{"scan", "--bogus", "example.com"}, "bogus"},
		{"run without file", []string{"run"}, "exactly one vendor list"},
		{"run missing file", []string{"run", "/nonexistent/vendors.csv", "--db", "/tmp/x.db"}, "vendors.csv"},
		{"diff bad id", []string{"diff", "--db", filepath.Join(t.TempDir(), "h.db"), "x", "y"}, "is not a run id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Fatalf("stderr %q does not say %q", stderr, tt.want)
			}
		})
	}
}

func TestScanJSONAndThresholds(t *testing.T) {
	c := startCLIFleet(t, smallFleet())
	args := append([]string{"scan", "--json"}, c.flags()...)
	code, out, stderr := runCLI(t, append(args, "good.example", "ops@Plain.Example")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := report.Validate("scan", []byte(out)); err != nil {
		t.Fatalf("scan --json: %v", err)
	}
	var res struct {
		SchemaVersion int `json:"schema_version"`
		Domains       []struct {
			Domain string `json:"domain"`
			Grade  struct {
				Grade     string `json:"grade"`
				ForcedTLS string `json:"forced_tls"`
			} `json:"grade"`
			Findings []struct {
				Code        string `json:"code"`
				Title       string `json:"title"`
				Remediation string `json:"remediation"`
			} `json:"findings"`
			Evidence struct {
				Input  string `json:"input"`
				MTASTS *struct {
					Policy *struct {
						Mode string `json:"mode"`
					} `json:"policy"`
				} `json:"mta_sts"`
			} `json:"evidence"`
			Connections map[string]int `json:"connections_per_address"`
		} `json:"domains"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if res.SchemaVersion != 1 || len(res.Domains) != 2 {
		t.Fatalf("schema %d, %d domains", res.SchemaVersion, len(res.Domains))
	}
	good, plain := res.Domains[0], res.Domains[1]
	if good.Domain != "good.example" || good.Grade.ForcedTLS != "eligible" || good.Evidence.MTASTS == nil ||
		good.Evidence.MTASTS.Policy == nil || good.Evidence.MTASTS.Policy.Mode != "enforce" {
		t.Errorf("good.example = %+v", good)
	}
	for ip, n := range good.Connections {
		if n < 2 || n > 20 {
			t.Errorf("good.example %s: %d connections", ip, n)
		}
	}
	if plain.Domain != "plain.example" || plain.Evidence.Input != "ops@Plain.Example" || plain.Grade.Grade != "F" {
		t.Errorf("plain.example = %+v", plain)
	}
	if len(plain.Findings) == 0 || plain.Findings[0].Code != "NO_STARTTLS" || plain.Findings[0].Title == "" || plain.Findings[0].Remediation == "" {
		t.Errorf("plain.example findings = %+v", plain.Findings)
	}

	code, _, stderr = runCLI(t, append(append([]string{"scan", "--fail-under", "B"}, c.flags()...), "plain.example")...)
	if code != exitThreshold || !strings.Contains(stderr, "plain.example (F)") {
		t.Fatalf("--fail-under B on an F: exit %d, stderr %q", code, stderr)
	}
	code, out, _ = runCLI(t, append(append([]string{"scan", "--fail-under", "C"}, c.flags()...), "mismatch.example")...)
	if code != exitOK || !strings.Contains(out, "Certificate name does not match") {
		t.Fatalf("--fail-under C on an A-: exit %d, out %s", code, out)
	}
}

// TestScanTableIsPlainWhenPiped: piped output carries no colour codes (the
// escaping of hostile remote text is tested in report/term).
func TestScanTableIsPlainWhenPiped(t *testing.T) {
	c := startCLIFleet(t, smallFleet())
	code, out, _ := runCLI(t, append(append([]string{"scan"}, c.flags()...), "good.example")...)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if strings.ContainsRune(out, 0x1b) {
		t.Fatalf("escape sequences in piped output: %q", out)
	}
	for _, want := range []string{"good.example", "Grade: A", "Forced TLS: eligible", "MTA-STS: enforce", "every MX covered", "TLS-RPT: reports to mailto:tls@good.example"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func writeList(t *testing.T, dir string, rows ...string) string {
	t.Helper()
	p := filepath.Join(dir, "vendors.csv")
	body := "Vendor,Domain,Owner,Tier\n" + strings.Join(rows, "\n") + "\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunHistoryDiffRegrade(t *testing.T) {
	def := smallFleet()
	c := startCLIFleet(t, def)
	dbPath := filepath.Join(c.dir, "h.db")
	list := writeList(t, c.dir,
		"Good Co,good.example,Ann,1",
		"Old Ltd,old.example,Bob,2",
		"Broken row,,Cy,3",
		"Plain Inc,plain.example,Di,2")
	base := append([]string{"run", "--db", dbPath, "--quiet"}, c.flags()...)
	code, _, stderr := runCLI(t, append(base, list)...)
	if code != exitOK {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	// Between runs the vendor list changes: one domain leaves, one arrives.
	list = writeList(t, c.dir,
		"Good Co,good.example,Ann,1",
		"Old Ltd,old.example,Bob,2",
		"Mismatch AG,mismatch.example,Eve,1")
	code, out, stderr := runCLI(t, append([]string{"run", "--db", dbPath, "--fail-on", "regression"}, append(c.flags(), list)...)...)
	if code != exitOK {
		t.Fatalf("second run: exit %d: %s %s", code, out, stderr)
	}
	if !strings.Contains(out, "since run 1") || !strings.Contains(out, "Added to the vendor list") || !strings.Contains(out, "Removed from the vendor list") {
		t.Errorf("summary lacks the diff:\n%s", out)
	}
	// Each vendor's change in a plain sentence first, never a finding code.
	if !strings.Contains(out, "Mismatch AG is new to the list, graded ") {
		t.Errorf("summary lacks the vendor sentence:\n%s", out)
	}
	if m := regexp.MustCompile(`\b[A-Z0-9]+(_[A-Z0-9]+)+\b`).FindString(out); m != "" {
		t.Errorf("a finding code (%s) in the run's output:\n%s", m, out)
	}
	code, out, _ = runCLI(t, "runs", "--db", dbPath)
	if code != exitOK || !strings.Contains(out, "completed") || strings.Count(out, "vendors.csv") != 2 {
		t.Errorf("runs: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "history", "--db", dbPath, "good.example")
	if code != exitOK || strings.Count(out, "\n") != 3 {
		t.Errorf("history: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "diff", "--db", dbPath, "--json")
	var diff db.Diff
	if err := json.Unmarshal([]byte(out), &diff); code != exitOK || err != nil {
		t.Fatalf("diff: exit %d, %v", code, err)
	}
	if diff.Run != 2 || diff.Base != 1 || diff.Count(db.ChangeDomainAdded) != 1 || diff.Count(db.ChangeDomainRemoved) != 1 {
		t.Errorf("diff = %+v", diff)
	}
	code, out, stderr = runCLI(t, "regrade", "--db", dbPath, "2")
	if code != exitOK || !strings.Contains(out, "re-graded") || !strings.Contains(out, "0 of 3 domain grades changed") {
		t.Errorf("regrade: exit %d %s %s", code, out, stderr)
	}
	store, err := db.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// The scan settings are stored with the run as it starts.
	r1, err := store.GetRun(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var set db.ScanSettings
	if err := json.Unmarshal(r1.Settings, &set); err != nil {
		t.Fatalf("settings %q: %v", r1.Settings, err)
	}
	if set.EHLOName != "scanner.mxaudit.test" || len(set.Resolvers) != 1 || set.SMTPPort != c.f.Port || set.TimeoutMS != 2000 ||
		set.Retries != 0 || !set.AllowPrivate || set.HTTPSProxy != "none" || set.PerHost < 1 || set.ToolVersion != version ||
		set.Policy != grade.DefaultPolicyName || set.ScannerHost == "" {
		t.Errorf("stored settings %+v", set)
	}
	probs, err := store.Problems(context.Background(), 1)
	if err != nil || len(probs) != 1 || probs[0].Row != 4 {
		t.Errorf("input problems of run 1 = %+v, %v", probs, err)
	}
}

// TestResumeAfterSIGKILL kills a real run mid-way and resumes it; the result
// must equal an uninterrupted run, with no duplicates.
func TestResumeAfterSIGKILL(t *testing.T) {
	def := &fleet.Definition{Resolver: "127.0.0.53:0", SMTPPort: -1}
	var rows []string
	for i := 1; i <= 6; i++ {
		name := fmt.Sprintf("slow%d.example", i)
		// Slow greetings make the run last long enough to be killed mid-way.
		def.Servers = append(def.Servers, fleet.Server{IP: fmt.Sprintf("127.0.5.%d", i), Names: []string{"mx." + name}, Profile: "modern", BannerDelayMS: 250})
		def.Domains = append(def.Domains, fleet.Domain{Name: name, MX: []fleet.MX{{Preference: 10, Host: "mx." + name}}})
		rows = append(rows, fmt.Sprintf("Vendor %d,%s,,", i, name))
	}
	c := startCLIFleet(t, def)
	list := writeList(t, c.dir, rows...)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	killed := filepath.Join(c.dir, "killed.db")
	args := append([]string{"run", "--db", killed, "--quiet", "--concurrency", "1", "--versions", "TLSv1.2,TLSv1.3"}, append(c.flags(), list)...)
	cmd := exec.Command(self, args...)
	cmd.Args[0] = "mxaudit"
	cmd.Env = append(os.Environ(), "MXAUDIT_TEST_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait (bounded) until at least one domain is stored, then SIGKILL.
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if n := storedDomains(t, killed); n >= 1 && n < 6 {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the run stored nothing within 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	before := storedDomains(t, killed)
	if before >= 6 {
		t.Skip("the run finished before it could be killed")
	}
	code, _, stderr := runCLI(t, append([]string{"run", "--resume", "--db", killed, "--quiet", "--concurrency", "1", "--versions", "TLSv1.2,TLSv1.3"}, append(c.flags(), list)...)...)
	if code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	clean := filepath.Join(c.dir, "clean.db")
	code, _, stderr = runCLI(t, append([]string{"run", "--db", clean, "--quiet", "--versions", "TLSv1.2,TLSv1.3"}, append(c.flags(), list)...)...)
	if code != exitOK {
		t.Fatalf("clean run: exit %d: %s", code, stderr)
	}
	a, b := summary(t, ctx, killed), summary(t, ctx, clean)
	if !slices.Equal(a, b) {
		t.Fatalf("resumed run differs from a clean run:\n%v\n%v", a, b)
	}
	if len(a) != 1+6 { // the status line and six domains
		t.Fatalf("resumed run holds %d domains, want 6: %v", len(a)-1, a)
	}
	t.Logf("killed after %d of 6 domains; resume completed the run", before)
}

func storedDomains(t *testing.T, path string) int {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return 0
	}
	store, err := db.Open(context.Background(), path)
	if err != nil {
		return 0
	}
	defer store.Close()
	r, err := store.LatestRun(context.Background(), "")
	if err != nil {
		return 0
	}
	return r.Done
}

// summary is the comparable state of the latest run: its status and each
// domain's grade and finding codes.
func summary(t *testing.T, ctx context.Context, path string) []string {
	t.Helper()
	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runs, err := store.Runs(ctx)
	if err != nil || len(runs) != 1 {
		t.Fatalf("%s: %d runs (%v), want exactly 1", path, len(runs), err)
	}
	out := []string{"status " + runs[0].Status}
	res, err := store.DomainResults(ctx, runs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		var codes []string
		for _, f := range r.Grade.Findings {
			codes = append(codes, f.Code)
		}
		out = append(out, fmt.Sprintf("%s %s %s", r.Domain, r.Grade.Grade, strings.Join(codes, ",")))
	}
	return out
}
