package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report/reporttest"
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
			code, _, stderr := runCLI(t, append(append([]string{"run", "--db", path, "--quiet", "--no-report", "--versions", "TLSv1.2"}, c.flags()...), list)...)
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
