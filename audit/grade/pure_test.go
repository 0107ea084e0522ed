package grade_test

import (
	"go/build"
	"strings"
	"testing"
)

// TestGradeIsPure checks that the grader, and every package of this module
// it imports, stays free of I/O: no network, TLS, SMTP, probe, resolver or
// database package, directly or through another of our packages. The
// grader calls the pure rules it shares with the scanner (TLSA usability,
// MTA-STS mx patterns) instead of keeping copies of them.
func TestGradeIsPure(t *testing.T) {
	const module = "github.com/mxaudit/mxaudit/"
	forbidden := []string{"net", "net/http", "crypto/tls", "crypto/x509", "os/exec", "database/sql",
		module + "audit/smtp", module + "audit/tlsprobe", module + "audit/resolve", module + "db",
		module + "audit/certs", module + "audit/mtasts", module + "audit/dane"}
	seen := map[string]bool{}
	var walk func(path, from string)
	walk = func(path, from string) {
		if seen[path] {
			return
		}
		seen[path] = true
		for _, f := range forbidden {
			if path == f {
				t.Errorf("%s imports %s", from, path)
				return
			}
		}
		if !strings.HasPrefix(path, module) {
			return // standard library imports are checked against the list only
		}
		pkg, err := build.Import(path, ".", 0)
		if err != nil {
			t.Fatalf("import %s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			walk(imp, path)
		}
	}
	walk(module+"audit/grade", "test")
	if !seen[module+"audit/dane/tlsa"] || !seen[module+"audit/mtasts/mxpattern"] {
		t.Errorf("the grader no longer calls the shared TLSA and mx pattern rules")
	}
}
