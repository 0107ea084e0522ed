package report

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileAtomic(t *testing.T) {
	errWrite := errors.New("renderer failed")
	tests := []struct {
		name    string
		old     string // existing content; "" for none
		write   func(io.Writer) error
		wantErr error
		want    string // content of the file afterwards
	}{
		{name: "new file", write: writeString("hello\n"), want: "hello\n"},
		{name: "replace", old: "old", write: writeString("new"), want: "new"},
		{name: "empty", old: "old", write: func(io.Writer) error { return nil }, want: ""},
		{name: "error keeps old", old: "old", write: func(w io.Writer) error {
			if _, err := io.WriteString(w, "partial"); err != nil {
				return err
			}
			return errWrite
		}, wantErr: errWrite, want: "old"},
		{name: "error leaves no file", write: func(io.Writer) error { return errWrite }, wantErr: errWrite},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.json")
			if tc.old != "" {
				if err := os.WriteFile(path, []byte(tc.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteFileAtomic(path, tc.write)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			got, rerr := os.ReadFile(path)
			switch {
			case tc.old == "" && tc.wantErr != nil:
				if !errors.Is(rerr, os.ErrNotExist) {
					t.Fatalf("file exists after failed write: %v", rerr)
				}
			case rerr != nil:
				t.Fatal(rerr)
			case string(got) != tc.want:
				t.Fatalf("content = %q, want %q", got, tc.want)
			}
			if tc.wantErr == nil {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != reportFileMode {
					t.Fatalf("mode = %v, want %v", fi.Mode().Perm(), reportFileMode)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Name() != "out.json" {
					t.Errorf("stray file %q left in the directory", e.Name())
				}
			}
		})
	}
}

func TestWriteFileAtomicBadPath(t *testing.T) {
	tests := []struct {
		name string
		path func(dir string) string
	}{
		{name: "missing directory", path: func(dir string) string { return filepath.Join(dir, "nope", "out.pdf") }},
		{name: "directory as name", path: func(dir string) string { return dir + string(filepath.Separator) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			err := WriteFileAtomic(tc.path(t.TempDir()), func(io.Writer) error { called = true; return nil })
			if err == nil {
				t.Fatal("no error")
			}
			if called {
				t.Fatal("write called for a path that cannot be written")
			}
		})
	}
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}
