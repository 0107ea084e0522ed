package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/mxaudit/mxaudit/report/reporttest"
)

// TestVerify: reports written from a run verify against the database;
// an edited PDF byte, an edited JSON grade, a changed evidence row in the
// database and a signature checked with another key do not.
func TestVerify(t *testing.T) {
	dir := t.TempDir()
	dbPath, _, run2, err := reporttest.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "signer")
	if code, _, stderr := runCLI(t, "keygen", keys); code != exitOK {
		t.Fatalf("keygen: exit %d: %s", code, stderr)
	}
	if fi, err := os.Stat(keys + ".key"); err != nil || fi.Mode().Perm() != privateKeyMode {
		t.Fatalf("private key %v, %v", fi, err)
	}
	if code, _, _ := runCLI(t, "keygen", keys); code != exitUsage {
		t.Errorf("keygen over existing keys: exit %d, want %d", code, exitUsage)
	}
	other := filepath.Join(dir, "other")
	if code, _, stderr := runCLI(t, "keygen", other); code != exitOK {
		t.Fatalf("keygen: %s", stderr)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, "report", "--db", dbPath, "--format", "json,pdf", "--out", out, "--sign-key", keys+".key")
	if code != exitOK {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	var files []string
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		files = append(files, strings.TrimPrefix(l, "wrote "))
	}
	if len(files) != 4 || !strings.HasSuffix(files[3], "manifest.json.sig") {
		t.Fatalf("files written: %q", files)
	}
	jsonFile, pdfFile := files[0], files[1]
	verify := func(args ...string) (int, string) {
		t.Helper()
		code, out, _ := runCLI(t, append([]string{"verify", "--db", dbPath}, args...)...)
		return code, out
	}
	if code, out := verify(append([]string{"--pub", keys + ".pub"}, files...)...); code != exitOK {
		t.Fatalf("untouched reports: exit %d\n%s", code, out)
	}
	// The report says which evidence it came from.
	r := readReportJSON(t, jsonFile)
	if len(r.Manifest.RootDigest) != 64 || !r.Manifest.Sealed {
		t.Errorf("report manifest %+v", r.Manifest)
	}
	if code, out := verify("--pub", other+".pub", jsonFile); code != exitThreshold || !strings.Contains(out, "signature") {
		t.Errorf("another key's signature: exit %d\n%s", code, out)
	}

	tamper := func(path string, edit func([]byte) []byte) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "edited-"+filepath.Base(path))
		if err := os.WriteFile(p, edit(b), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pdfEdited := tamper(pdfFile, func(b []byte) []byte { b[len(b)/2] ^= 1; return b })
	if code, out := verify(pdfEdited); code != exitThreshold || !strings.Contains(out, "not a file this database wrote") {
		t.Errorf("a PDF with one byte changed: exit %d\n%s", code, out)
	}
	jsonEdited := tamper(jsonFile, func(b []byte) []byte {
		edited := strings.Replace(string(b), `"grade":"F"`, `"grade":"A"`, 1)
		if edited == string(b) {
			t.Fatal("no grade F in the JSON report to change")
		}
		return []byte(edited)
	})
	if code, out := verify(jsonEdited); code != exitThreshold {
		t.Errorf("a JSON with a grade changed: exit %d\n%s", code, out)
	}

	// A grade changed in the database after the run.
	sdb, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	res, err := sdb.Exec(`UPDATE domain_results SET grade_json = replace(grade_json, '"grade":"F"', '"grade":"A"') WHERE run_id = ? AND domain = 'acme-billing.example'`, run2)
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("tamper: %v, %d rows", err, n)
	}
	code, out2 := verify(jsonFile)
	if code != exitThreshold || !strings.Contains(out2, "acme-billing.example changed") {
		t.Errorf("evidence changed in the database: exit %d\n%s", code, out2)
	}
	if code, out := verify(filepath.Join(dir, "missing.pdf")); code != exitThreshold {
		t.Errorf("missing file: exit %d\n%s", code, out)
	}
}
