// Command preview renders the sample PDF report and letters for a person
// to look at (make report-preview): from the demo history database when
// one exists, else from the reporttest fixture, which it audits on
// loopback. It writes report.pdf and letters/ into the output directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/pdf"
	"github.com/mxaudit/mxaudit/report/reporttest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "preview:", err)
		os.Exit(1)
	}
}

func run() error {
	dbPath := flag.String("db", "demo/history.db", "history database to render the latest run of, if it exists")
	out := flag.String("out", "out/preview", "output directory")
	flag.Parse()
	ctx := context.Background()
	if err := os.MkdirAll(*out, 0o750); err != nil {
		return err
	}
	path := *dbPath
	var runID int64
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		tmp, err := os.MkdirTemp("", "mxaudit-preview")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		fmt.Println("no", path, "- auditing the reporttest fixture on loopback")
		if path, _, runID, err = reporttest.Build(tmp); err != nil {
			return err
		}
	}
	store, err := db.Open(ctx, path)
	if err != nil {
		return err
	}
	defer store.Close()
	if runID == 0 {
		runs, err := store.Runs(ctx)
		if err != nil {
			return err
		}
		if len(runs) == 0 {
			return fmt.Errorf("%s holds no run", path)
		}
		runID = runs[0].ID
	}
	org := report.Org{Name: "Example Health", Title: "Vendor mail TLS audit", Contact: "security@example-health.test",
		PolicyLabel: "Vendor mail TLS standard", Frameworks: []string{"HIPAA", "GLBA"}}
	r, err := report.Build(ctx, store, runID, report.Options{Org: org, ToolVersion: "preview", Now: time.Now})
	if err != nil {
		return err
	}
	defer r.Close()
	file := filepath.Join(*out, "report.pdf")
	if err := report.WriteFileAtomic(file, func(w io.Writer) error { return pdf.Write(w, r, pdf.Options{}) }); err != nil {
		return err
	}
	letters, err := pdf.WriteLetters(filepath.Join(*out, "letters"), r, pdf.Options{})
	if err != nil {
		return err
	}
	fmt.Printf("wrote %s (run %d of %s) and %d letters\n", file, runID, path, len(letters))
	return nil
}
