package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunProfiles: the hidden profiling hooks of run write a CPU profile
// and heap profiles at the end, when the last domain is stored, and every
// N domains stored (cmd/mxbench -profile relies on these names).
func TestRunProfiles(t *testing.T) {
	c := startCLIFleet(t, smallFleet())
	list := writeList(t, c.dir, "Good Co,good.example,Ann,1", "Old Ltd,old.example,Bob,2", "Plain Inc,plain.example,Di,2")
	prof := t.TempDir()
	base := append([]string{"run", "--db", filepath.Join(c.dir, "h.db"), "--quiet", "--no-report"}, c.flags()...)

	code, _, stderr := runCLI(t, append(base, "--memprofile-every", "2", list)...)
	if code != exitUsage || !strings.Contains(stderr, "--memprofile-every needs --memprofile") {
		t.Fatalf("--memprofile-every alone: exit %d: %s", code, stderr)
	}

	args := append(base, "--cpuprofile", filepath.Join(prof, "cpu.pprof"),
		"--memprofile", filepath.Join(prof, "heap.pprof"), "--memprofile-every", "2", list)
	if code, _, stderr := runCLI(t, args...); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"cpu.pprof", "heap.pprof", "heap-audited.pprof", "heap-2.pprof"} {
		st, err := os.Stat(filepath.Join(prof, name))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Three domains, every two: one profile mid-way, none at 3 or 4.
	if _, err := os.Stat(filepath.Join(prof, "heap-4.pprof")); err == nil {
		t.Error("heap-4.pprof written with three domains")
	}
}
