package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
)

// TestChecksListsArguments: mxaudit checks names every argument a
// finding's wording may use, an argument worded from a phrase with that
// phrase, and checks --phrases every phrase with its own arguments; a
// phrase override naming an argument the grader never sets is refused.
func TestChecksListsArguments(t *testing.T) {
	code, out, stderr := runCLI(t, "checks")
	if code != 0 {
		t.Fatalf("checks: exit %d, %s", code, stderr)
	}
	lines := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	for code, want := range map[string]string{
		grade.CodeMTASTSEnforceMXFails:    "domain,host,ip,pattern,reasons=mtasts_enforce.reasons",
		grade.CodeWeakDH:                  "details=kx.weaknesses,domain,host,ip,vulns",
		grade.CodeMXNoAddress:             "a,aaaa,domain,host",
		grade.CodeMTASTSPolicyUnavailable: "cause,domain,reason,status,url",
		grade.CodeMXHostsOmitted:          "audited,count,domain,hosts,more",
	} {
		if !strings.Contains(lines[code], " "+want+" ") {
			t.Errorf("checks lists %s as %q, want the arguments %s", code, lines[code], want)
		}
	}

	code, out, stderr = runCLI(t, "checks", "--phrases")
	if code != 0 {
		t.Fatalf("checks --phrases: exit %d, %s", code, stderr)
	}
	for _, p := range grade.PhraseCodes() {
		want := p
		if args := grade.PhraseParams(p); len(args) > 0 {
			want += " +" + strings.Join(args, ",")
		}
		found := false
		for _, l := range strings.Split(out, "\n") {
			if strings.Join(strings.Fields(l), " +") == want {
				found = true
			}
		}
		if !found {
			t.Errorf("checks --phrases lacks %q", want)
		}
	}
	if !strings.Contains(out, "mtasts_enforce.untrusted") || !strings.Contains(out, "cause,error") {
		t.Errorf("checks --phrases: %s", out)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "phrases.json"), []byte(`{"kx.dh": "{{.bitz}}-bit DH with {{.suite}}"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "checks", "--phrases", "--templates", dir)
	if code != exitUsage || !strings.Contains(stderr, "kx.dh uses {{.bitz}}") {
		t.Errorf("phrase override with an unknown argument: exit %d, stderr %q", code, stderr)
	}
}
