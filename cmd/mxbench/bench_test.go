package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/samples/fleet"
)

// buildMxaudit builds the mxaudit binary the benchmark drives.
func buildMxaudit(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build mxaudit with")
	}
	bin := filepath.Join(t.TempDir(), "mxaudit")
	out, err := exec.Command(goTool, "build", "-o", bin, "github.com/mxaudit/mxaudit/cmd/mxaudit").CombinedOutput()
	if err != nil {
		t.Fatalf("build mxaudit: %v\n%s", err, out)
	}
	return bin
}

// TestBenchEndToEnd runs the whole benchmark on a small fleet: a real
// mxaudit subprocess against the fleet served on loopback, twice.
func TestBenchEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs mxaudit")
	}
	cfg := &config{
		name: "e2e", mxaudit: buildMxaudit(t), domains: 40, addresses: 14, seed: 3, mtasts: 1,
		concurrency: []int{8}, memLimits: []string{memLimitDefault, memLimitOff}, workDir: t.TempDir(), maxTime: time.Minute,
		sharedKeys: 2, profileDir: t.TempDir(), heapEvery: 10,
		// No retries: a 421 refuser costs one connection, not a backoff.
		extra: []string{"--retries", "0", "--timeout", "5s"},
	}
	def := generate(cfg)
	// Keep the test quick: no tarpits or slow greetings here.
	for i := range def.Servers {
		s := &def.Servers[i]
		s.BannerDelayMS = 0
		if s.Profile == "slow-banner" {
			s.Profile = "modern"
		}
	}
	res, err := bench(t.Context(), cfg, def, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.runs) != 2 {
		t.Fatalf("%d runs, want 2", len(res.runs))
	}
	for i, r := range res.runs {
		s := r.sum
		if r.stored != len(def.Domains) {
			t.Fatalf("run %d stored %d domains, want %d", i, r.stored, len(def.Domains))
		}
		if s.Seen != len(def.Servers) || s.Unprobed != 0 || s.ProbedTwice != 0 || s.SharedOnce != s.Shared || s.Shared == 0 {
			t.Fatalf("run %d: %d of %d addresses seen, %d unprobed, %d probed twice, %d of %d shared probed once",
				i, s.Seen, len(def.Servers), s.Unprobed, s.ProbedTwice, s.SharedOnce, s.Shared)
		}
		if s.Mismatched != 0 {
			t.Fatalf("run %d: the evidence disagrees with the fleet's count on %d addresses", i, s.Mismatched)
		}
		for _, a := range r.stats {
			// A lower bound above what was done would be a wrong bound.
			if a.Status == evidence.ProbeOK && a.Conns < a.Bound {
				t.Fatalf("run %d: %s (%s) made %d connections, below its lower bound %d", i, a.IP, a.Kind, a.Conns, a.Bound)
			}
		}
		if r.peakRSSKB <= 0 || r.wall <= 0 || r.auditEnd.Before(r.start) || r.auditEnd.After(r.start.Add(r.wall)) {
			t.Fatalf("run %d: peak RSS %d KB, wall %v, last domain finished at %v (run %v + %v)", i, r.peakRSSKB, r.wall, r.auditEnd, r.start, r.wall)
		}
	}
	// Each run is counted on its own: the same fleet costs the same.
	if a, b := res.runs[0].sum.TotalConns, res.runs[1].sum.TotalConns; a != b || a == 0 {
		t.Fatalf("runs made %d and %d connections, want the same non-zero count", a, b)
	}
	text := res.format()
	if a, b := res.runs[0].memLimit, res.runs[1].memLimit; a != memLimitDefault || b != memLimitOff {
		t.Fatalf("memory limits of the runs %q, %q", a, b)
	}
	// The profiles -profile asks for: CPU, the end of the run, the end of
	// the auditing, and every heapEvery domains stored.
	for _, tag := range []string{"off"} {
		for _, suffix := range []string{"cpu.pprof", "heap.pprof", "heap-audited.pprof", "heap-10.pprof", "heap-40.pprof"} {
			p := filepath.Join(cfg.profileDir, "e2e-c8-"+tag+"-"+suffix)
			if st, err := os.Stat(p); err != nil || st.Size() == 0 {
				t.Fatalf("profile %s: %v", p, err)
			}
		}
	}
	for _, want := range []string{"=== e2e ===", "mxaudit run --resolver 127.20.255.53:", "shared addresses", "connections vs lower bound", "provider",
		"GOMEMLIMIT=off", "peak RSS by memory limit", "2 shared RSA keys"} {
		if !strings.Contains(text, want) {
			t.Fatalf("report lacks %q:\n%s", want, text)
		}
	}
	out := filepath.Join(t.TempDir(), "results.txt")
	if err := updateResults(out, cfg.name, text); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != resultsHeader+"\n"+text {
		t.Fatalf("results file:\n%s\nwant the header, a blank line and the section", got)
	}
	detail := filepath.Join(t.TempDir(), "detail.csv")
	if err := writeDetail(detail, res.best().stats); err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(detail)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(b), "\n"); lines != len(def.Servers)+1 {
		t.Fatalf("detail has %d lines, want a header and %d addresses", lines, len(def.Servers))
	}
}

func TestStartFleetOnItsOwnAddress(t *testing.T) {
	def := fleet.Generate(fleet.GenOptions{Seed: 1, Domains: 5, Addresses: 4, Prefix: "127.21"})
	f, err := startFleet(def, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !strings.HasPrefix(f.Resolver, "127.21.255.53:") || strings.HasSuffix(f.Resolver, ":0") {
		t.Fatalf("resolver %s, want 127.21.255.53 on a chosen port", f.Resolver)
	}
	if len(f.Servers) != len(def.Servers) {
		t.Fatalf("%d servers running, want %d", len(f.Servers), len(def.Servers))
	}
}
