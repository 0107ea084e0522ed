package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/programme"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/config"
	"github.com/mxaudit/mxaudit/report/pdf"
	"github.com/mxaudit/mxaudit/report/xlsx"
	"github.com/mxaudit/mxaudit/templates"
)

// Report output defaults.
const (
	// defaultReportDir is where reports go without --out or output_dir:
	// a directory beside the history database.
	defaultReportDir = "reports"
	// lettersDir is the subdirectory of the output directory for letters.
	lettersDir = "letters"
	// reportDirMode is the permission of created report directories.
	reportDirMode fs.FileMode = 0o750
	// defaultExpiryWarn is the default "expiring soon" window in days.
	defaultExpiryWarn = 30
)

// renderOptions are what a renderer needs besides the report.
type renderOptions struct {
	// templates is the --templates directory ("" for the embedded wording).
	templates string
	// appendixDomains, remediationVendors and changeRows are the PDF's
	// caps from the config file, in pdf.Options' convention (0 for the
	// default, negative for no limit).
	appendixDomains, remediationVendors, changeRows, vendorRows int
}

// newRenderOptions are the render options of resolved report settings.
func newRenderOptions(s *reportSettings) renderOptions {
	return renderOptions{templates: s.templates, appendixDomains: s.cfg.PDFAppendixDomains,
		remediationVendors: s.cfg.PDFRemediationVendors, changeRows: s.cfg.PDFChangeRows,
		vendorRows: s.cfg.PDFVendorRows}
}

// pdfOptions are the options of the PDF report and of the letters.
func (o renderOptions) pdfOptions() pdf.Options {
	return pdf.Options{Templates: o.templates, AppendixDomains: o.appendixDomains,
		RemediationVendors: o.remediationVendors, ChangeRows: o.changeRows,
		VendorRows: o.vendorRows}
}

// renderers are the writers of each report format. A nil writer is a
// format this build cannot write; tests replace them.
type renderers struct {
	formats map[string]func(w io.Writer, r *report.Report, o renderOptions) error
	// letters writes one letter per vendor with findings into dir and
	// returns the files it wrote.
	letters func(dir string, r *report.Report, o renderOptions) ([]string, error)
}

// defaultRenderers are the renderers built into mxaudit.
func defaultRenderers() renderers {
	return renderers{
		formats: map[string]func(io.Writer, *report.Report, renderOptions) error{
			config.FormatJSON: func(w io.Writer, r *report.Report, _ renderOptions) error { return report.WriteJSON(w, r) },
			config.FormatPDF: func(w io.Writer, r *report.Report, o renderOptions) error {
				return pdf.Write(w, r, o.pdfOptions())
			},
			config.FormatXLSX: func(w io.Writer, r *report.Report, _ renderOptions) error { return xlsx.Write(w, r) },
		},
		letters: func(dir string, r *report.Report, o renderOptions) ([]string, error) {
			return pdf.WriteLetters(dir, r, o.pdfOptions())
		},
	}
}

// reportFlags are the flags of `report`, shared with `run`.
func reportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "format", Usage: "comma-separated report `FORMATS`: " + strings.Join(config.AllFormats(), ",") + " (default: the config file's formats, else all)"},
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "`DIR` to write reports to (default: the config file's output_dir, else \"" + defaultReportDir + "\" beside the database)"},
		&cli.StringFlag{Name: "config", Usage: "organisation configuration `FILE` (YAML): name, title, logo, contact, policy label, frameworks, letters' deadline, output_dir, the PDF's caps (pdf_appendix_domains, pdf_remediation_vendors, pdf_change_rows, pdf_vendor_rows)"},
		&cli.BoolFlag{Name: "letters", Usage: "also write one PDF letter per vendor with findings, under letters/"},
		&cli.StringFlag{Name: "sign-key", Usage: "Ed25519 private key `FILE` (mxaudit keygen): sign the run's manifest, written beside the reports as mxaudit-run<ID>-manifest.json.sig"},
		&cli.StringFlag{Name: "exceptions", Usage: "accepted-risk exceptions kept as YAML `FILE` (e.g. in version control), applied with the recorded ones; conflicts are reported, never merged"},
	}
}

func reportCommand() *cli.Command {
	flags := append(reportFlags(),
		dbFlag(),
		&cli.StringFlag{Name: "templates", Usage: "`DIR` whose files override the built-in wording (findings, methodology, report prose)"},
		&cli.IntFlag{Name: "expiry-warn", Value: defaultExpiryWarn, Usage: "count certificates expiring within `DAYS` as expiring soon"},
	)
	flags = append(flags, profileFlags()...)
	return &cli.Command{
		Name:      "report",
		Usage:     "write the PDF, workbook and JSON reports of a stored run",
		ArgsUsage: "[RUN]",
		Description: `Renders the reports of a stored run (default: the latest completed run)
from the history database alone; nothing is sent over the network. Files are
named mxaudit-run<ID>-<DATE>.<FORMAT> after the run's id and start date, and
replace earlier renderings of the same run atomically. --letters adds one
letter per vendor with findings under letters/.

The --config file brands the reports and can cap the PDF's long sections
(see templates/config-example.yaml); --templates overrides the wording.

EXAMPLES
   mxaudit report
   mxaudit report --config /etc/mxaudit/mxaudit.yaml --letters 12
   mxaudit report --format json --out - 12 > run12.json`,
		Flags:  flags,
		Action: func(c *cli.Context) error { return reportAction(c, defaultRenderers()) },
	}
}

// reportSettings are the resolved report options of a command line.
type reportSettings struct {
	cfg        config.Config
	formats    []string
	outDir     string // "-" for standard output (one format only)
	letters    bool
	templates  string
	expiryWarn int
	// exceptions are those of the --exceptions file.
	exceptions []programme.Exception
	// signKey is the --sign-key file ("" for no signature).
	signKey string
	// warn receives warnings (standard error).
	warn io.Writer
}

// parseReportSettings resolves --config, --format, --out and --letters:
// flags win over the config file, which wins over the defaults. It is
// called before any work, so a bad flag or config file fails at once.
func parseReportSettings(c *cli.Context, rend renderers) (*reportSettings, error) {
	if err := checkExpiryWarn(c); err != nil {
		return nil, err
	}
	s := &reportSettings{templates: c.String("templates"), expiryWarn: c.Int("expiry-warn"), warn: c.App.ErrWriter}
	if p := c.String("config"); p != "" {
		cfg, err := config.LoadConfig(p)
		if err != nil {
			return nil, usageErr("--config: %v", err)
		}
		s.cfg = cfg
	}
	s.formats = s.cfg.Formats
	if f := c.String("format"); f != "" {
		s.formats = nil
		for _, name := range strings.Split(f, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if !slices.Contains(config.AllFormats(), name) {
				return nil, usageErr("--format: unknown format %q (known: %s)", name, strings.Join(config.AllFormats(), ", "))
			}
			if !slices.Contains(s.formats, name) {
				s.formats = append(s.formats, name)
			}
		}
	}
	if len(s.formats) == 0 {
		for _, f := range config.AllFormats() {
			if rend.formats[f] != nil {
				s.formats = append(s.formats, f)
			}
		}
	}
	for _, f := range s.formats {
		if rend.formats[f] == nil {
			return nil, usageErr("--format: this mxaudit cannot write %s reports yet", f)
		}
	}
	s.letters = s.cfg.Letters || c.Bool("letters")
	if s.signKey = c.String("sign-key"); s.signKey != "" {
		if _, err := readPrivateKey(s.signKey); err != nil {
			return nil, usageErr("--sign-key: %v", err)
		}
	}
	if s.letters && rend.letters == nil {
		return nil, usageErr("--letters: this mxaudit cannot write letters yet")
	}
	s.outDir = c.String("out")
	if s.outDir == "" {
		s.outDir = s.cfg.OutputDir
	}
	if s.outDir == "" {
		s.outDir = filepath.Join(filepath.Dir(c.String("db")), defaultReportDir)
	}
	if s.outDir == "-" && (len(s.formats) != 1 || s.letters) {
		return nil, usageErr("--out -: standard output takes exactly one format and no letters")
	}
	if s.expiryWarn < 1 {
		return nil, usageErr("--expiry-warn must be at least 1 day")
	}
	var err error
	if s.exceptions, err = loadExceptionsFile(c.String("exceptions")); err != nil {
		return nil, err
	}
	// Every template is parsed now, before an audit of hours: a syntax
	// error names its file and line here rather than after the run.
	if _, err := loadTemplates(s.templates); err != nil {
		return nil, usageErr("--templates: %v", err)
	}
	if _, err := templates.LoadMethodology(s.templates); err != nil {
		return nil, usageErr("--templates: %v", err)
	}
	if _, err := templates.LoadPDFProse(s.templates); err != nil {
		return nil, usageErr("--templates: %v", err)
	}
	if _, err := templates.LoadLetterProse(s.templates); err != nil {
		return nil, usageErr("--templates: %v", err)
	}
	if s.templates != "" && slices.Contains(s.formats, config.FormatPDF) {
		// Overridden wording is tried on a small report now, so that a
		// block naming a field the report lacks fails before the audit.
		if err := rend.formats[config.FormatPDF](io.Discard, trialReport(), newRenderOptions(s)); err != nil {
			return nil, usageErr("--templates: a trial rendering of the PDF failed: %v", err)
		}
	}
	if s.outDir != "-" {
		if err := checkWritableDir(s.outDir); err != nil {
			return nil, runtimeErr(fmt.Errorf("report directory %s cannot be written: %w", s.outDir, err))
		}
	}
	return s, nil
}

// checkWritableDir creates dir if needed and proves a file can be created
// in it, so that a run finds an unwritable report directory before it
// audits, not after.
func checkWritableDir(dir string) error {
	if err := os.MkdirAll(dir, reportDirMode); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".mxaudit-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func reportAction(c *cli.Context, rend renderers) error {
	if c.NArg() > 1 {
		return usageErr("report takes at most one run id (see mxaudit runs)")
	}
	s, err := parseReportSettings(c, rend)
	if err != nil {
		return err
	}
	prof, err := startProfiling(c)
	if err != nil {
		return err
	}
	defer prof.stop()
	// Report files are recorded in the database (their SHA-256, for mxaudit
	// verify), so writing files needs it writable; a report to standard
	// output writes nothing and works on a read-only database.
	store, err := openDB(c)
	if err != nil {
		return err
	}
	if s.outDir != "-" {
		store.Close()
		if store, err = openDBWrite(c); err != nil {
			return err
		}
	}
	defer store.Close()
	run, err := pickRun(c.Context, store, c.Args().First())
	if err != nil {
		return err
	}
	if run.Status != db.StatusCompleted {
		fmt.Fprintf(c.App.ErrWriter, "mxaudit: run %d is %s: its reports cover the %d of %d domains it stored\n",
			run.ID, run.Status, run.Done, run.TotalDomains)
	}
	out := c.App.Writer
	if s.outDir == "-" {
		out = io.Discard // standard output carries the report itself
	}
	if _, err := writeReports(c.Context, store, run.ID, s, rend, c.App.Writer, out); err != nil {
		return err
	}
	return nil
}

// pickRun returns the run named by arg, or the latest completed run.
func pickRun(ctx context.Context, store *db.DB, arg string) (db.Run, error) {
	if arg != "" {
		id, err := parseRunID(arg)
		if err != nil {
			return db.Run{}, err
		}
		r, err := store.GetRun(ctx, id)
		if errors.Is(err, db.ErrNotFound) {
			return db.Run{}, usageErr("no run %d in %s (see mxaudit runs)", id, store.Path())
		}
		if err != nil {
			return db.Run{}, runtimeErr(err)
		}
		return r, nil
	}
	r, err := store.LatestRun(ctx, "", db.StatusCompleted)
	if errors.Is(err, db.ErrNotFound) {
		return db.Run{}, usageErr("no completed run in %s; name a run id (see mxaudit runs)", store.Path())
	}
	if err != nil {
		return db.Run{}, runtimeErr(err)
	}
	return r, nil
}

// reportFileName is the file name of one report of a run.
func reportFileName(r *report.Report, format string) string {
	return fmt.Sprintf("mxaudit-run%d-%s.%s", r.Run.ID, r.Run.StartedAt.UTC().Format(time.DateOnly), format)
}

// buildReport assembles the report model of a run with the settings'
// organisation, wording and expiry window.
func buildReport(ctx context.Context, store *db.DB, runID int64, s *reportSettings) (*report.Report, error) {
	texts, err := loadTemplates(s.templates)
	if err != nil {
		return nil, usageErr("--templates: %v", err)
	}
	meth, err := templates.LoadMethodology(s.templates)
	if err != nil {
		return nil, usageErr("--templates: %v", err)
	}
	// The report's time is the run's finish unless the as-of time is set
	// explicitly: rendering a run twice gives the same bytes.
	var asOf func() time.Time
	if os.Getenv(nowEnv) != "" {
		asOf = clock
	}
	r, err := report.Build(ctx, store, runID, report.Options{Org: s.cfg.Org, Texts: texts, Methodology: &meth,
		ExpiryWarnDays: s.expiryWarn, ToolVersion: version, Now: asOf,
		Programme: report.ProgrammeOptions{SLA: s.cfg.SLA, FileExceptions: s.exceptions, CadenceDays: s.cfg.CadenceDays}})
	if err != nil {
		return nil, runtimeErr(fmt.Errorf("run %d: %w", runID, err))
	}
	return r, nil
}

// writeReports renders a run's reports into the output directory (or one
// report to stdout for --out -), prints each file written to progress, and
// returns their paths.
func writeReports(ctx context.Context, store *db.DB, runID int64, s *reportSettings, rend renderers, stdout, progress io.Writer) ([]string, error) {
	// A finished run older than manifests gets its manifest now, before
	// its first report file says which evidence it was made from.
	var manifest db.Manifest
	if s.outDir != "-" {
		var err error
		if manifest, err = store.SealRun(ctx, runID, time.Now()); err != nil {
			return nil, runtimeErr(fmt.Errorf("run %d manifest: %w", runID, err))
		}
	}
	r, err := buildReport(ctx, store, runID, s)
	if err != nil {
		return nil, err
	}
	// Every format walks the rows from the report's spool (the
	// iterators); Close removes it.
	defer r.Close()
	if p := r.Programme; p != nil && s.warn != nil {
		for _, c := range p.Conflicts {
			fmt.Fprintf(s.warn, "mxaudit: exception %s of the exceptions file not applied: conflicts with %s: %s\n", c.FileID, c.StoredID, c.Why)
		}
	}
	opt := newRenderOptions(s)
	if s.outDir == "-" {
		if err := rend.formats[s.formats[0]](stdout, r, opt); err != nil {
			return nil, runtimeErr(fmt.Errorf("%s report: %w", s.formats[0], err))
		}
		return nil, nil
	}
	if err := os.MkdirAll(s.outDir, reportDirMode); err != nil {
		return nil, runtimeErr(fmt.Errorf("report directory: %w", err))
	}
	// The formats are rendered side by side: each reads the report
	// (through its iterators and domain walks, which are safe for
	// concurrent readers) and writes its own file, so the phase after
	// auditing uses every core instead of one format after another. The
	// files are recorded and announced in the order of --format.
	errs := make([]error, len(s.formats))
	paths := make([]string, len(s.formats))
	var wg sync.WaitGroup
	for i, f := range s.formats {
		paths[i] = filepath.Join(s.outDir, reportFileName(r, f))
		write := rend.formats[f]
		wg.Go(func() {
			errs[i] = report.WriteFileAtomic(paths[i], func(w io.Writer) error { return write(w, r, opt) })
		})
	}
	wg.Wait()
	// A format that failed does not hide the ones that were written: they
	// are recorded and announced, and the first failure is returned.
	var written []string
	var failed error
	for i, f := range s.formats {
		if errs[i] != nil {
			if failed == nil {
				failed = runtimeErr(fmt.Errorf("%s report: %w", f, errs[i]))
			}
			continue
		}
		if err := recordFiles(ctx, store, runID, manifest.RootDigest, f, paths[i]); err != nil {
			return written, runtimeErr(err)
		}
		written = append(written, paths[i])
		fmt.Fprintf(progress, "wrote %s\n", paths[i])
	}
	if failed != nil {
		return written, failed
	}
	if s.letters {
		dir := filepath.Join(s.outDir, lettersDir)
		if err := os.MkdirAll(dir, reportDirMode); err != nil {
			return written, runtimeErr(fmt.Errorf("letters directory: %w", err))
		}
		files, err := rend.letters(dir, r, opt)
		if err != nil {
			return written, runtimeErr(err) // the renderer names the letters
		}
		if err := recordFiles(ctx, store, runID, manifest.RootDigest, "letter", files...); err != nil {
			return written, runtimeErr(err)
		}
		for _, f := range files {
			written = append(written, f)
			fmt.Fprintf(progress, "wrote %s\n", f)
		}
		if len(files) == 0 {
			fmt.Fprintln(progress, "no letters: no vendor has findings")
		}
	}
	if s.signKey == "" {
		return written, nil
	}
	// The signed manifest and its signature go beside the reports.
	mfiles, err := writeManifestFiles(s.outDir, manifest, s.signKey)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return written, err
		}
		return written, runtimeErr(fmt.Errorf("manifest: %w", err))
	}
	if err := recordFiles(ctx, store, runID, manifest.RootDigest, "manifest", mfiles...); err != nil {
		return written, runtimeErr(err)
	}
	for _, f := range mfiles {
		written = append(written, f)
		fmt.Fprintf(progress, "wrote %s\n", f)
	}
	return written, nil
}

// trialReport is the smallest report every PDF block can be rendered from:
// a completed run with no vendor.
func trialReport() *report.Report {
	now := time.Now().UTC()
	var grades []report.GradeCount
	for _, g := range grade.AllGrades() {
		grades = append(grades, report.GradeCount{Grade: string(g)})
	}
	return &report.Report{SchemaVersion: report.SchemaVersion, GeneratedAt: now, Tool: "mxaudit", ToolVersion: version,
		Run:     report.RunInfo{ID: 1, ListName: "trial.csv", Status: db.StatusCompleted, StartedAt: now, FinishedAt: &now, Policy: grade.Default().Name, PolicyVersion: grade.Default().Version},
		Summary: report.Summary{Grades: grades, VendorGrades: grades}}
}
