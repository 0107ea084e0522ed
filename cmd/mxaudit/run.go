package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/mxaudit/mxaudit/audit"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/ingest"
	"github.com/mxaudit/mxaudit/audit/programme"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/config"
)

const defaultDB = "mxaudit.db"

func dbFlag() cli.Flag {
	return &cli.StringFlag{Name: "db", Value: defaultDB, EnvVars: []string{"MXAUDIT_DB"}, Usage: "history database `FILE` (SQLite)"}
}

func runCommand() *cli.Command {
	flags := append(scanFlags(),
		dbFlag(),
		&cli.StringFlag{Name: "sheet", Usage: "XLSX sheet `NAME` to read (default: the first visible sheet)"},
		&cli.IntFlag{Name: "max-rows", Value: ingest.DefaultMaxRows, Usage: "refuse a vendor list with data past row `N` (header included)"},
		&cli.StringFlag{Name: "list-name", Usage: "`NAME` of the vendor list; runs of one list are compared (default: the file name)"},
		&cli.BoolFlag{Name: "resume", Usage: "continue the last interrupted run of this list (a new run starts when there is none)"},
		&cli.IntFlag{Name: "expiry-warn", Value: 30, Usage: "report certificates expiring within `DAYS`"},
		&cli.StringFlag{Name: "fail-on", Usage: "exit 1 on `WHAT`: regression (any grade went down or Forced TLS was lost)"},
		&cli.StringFlag{Name: "fail-under", Usage: "exit 1 when any domain grades below `GRADE`"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress and no summary; errors only"},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "`FORMAT` of log lines on stderr: text or json"},
		&cli.BoolFlag{Name: "no-report", Usage: "do not write the reports at the end of the run (see mxaudit report)"},
		&cli.StringSliceFlag{Name: "mail-to", Usage: "mail the summary and the PDF to `ADDR` (repeatable) through the relay of the --config file's mail settings; TLS to the relay is required"},
		&cli.StringFlag{Name: "notify", Usage: "POST a JSON summary of the run (grades, regressions, overdue findings) to `URL`"},
	)
	flags = append(flags, reportFlags()...)
	flags = append(flags, profileFlags()...)
	for _, f := range flags {
		if sf, ok := f.(*cli.IntFlag); ok && sf.Name == "concurrency" {
			sf.Value = audit.DefaultConcurrency
		}
	}
	return &cli.Command{
		Name:      "run",
		Usage:     "audit every domain of a vendor list (CSV or XLSX) and store the results",
		ArgsUsage: "FILE",
		Description: `Reads the vendor list, audits each unique domain once (a domain used by
two vendors is reported for both; an address shared by many domains is
probed once), stores every domain's evidence and grade in the history
database as soon as it is done, and compares the run with the previous
completed run of the same list.

The list needs a column of domains or e-mail addresses; vendor, owner,
tier, tags and notes columns are used when present. Rows that cannot be used
are reported with their row number and kept as input problems of the run.

A killed or interrupted run keeps every finished domain; --resume finishes it.

At the end of a completed run the reports are written, as mxaudit report
would write them (see its help for --format, --out, --config and --letters),
unless --no-report is given.

EXAMPLES
   mxaudit run vendors.xlsx
   mxaudit run --db /var/lib/mxaudit/history.db --fail-on regression vendors.csv
   mxaudit run --resume vendors.csv`,
		Flags:  flags,
		Action: func(c *cli.Context) error { return runAction(c, defaultRenderers()) },
	}
}

func newLogger(c *cli.Context) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if c.Bool("quiet") {
		opts.Level = slog.LevelError
	}
	switch c.String("log-format") {
	case "text", "":
		return slog.New(slog.NewTextHandler(c.App.ErrWriter, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(c.App.ErrWriter, opts)), nil
	}
	return nil, usageErr("--log-format must be text or json")
}

func runAction(c *cli.Context, rend renderers) error {
	if c.NArg() != 1 {
		return usageErr("run needs exactly one vendor list file; try: mxaudit run vendors.csv")
	}
	if err := checkExpiryWarn(c); err != nil {
		return err
	}
	// Report settings are checked before the audit, not after hours of it.
	var reports *reportSettings
	if !c.Bool("no-report") {
		var err error
		if reports, err = parseReportSettings(c, rend); err != nil {
			return err
		}
		if reports.outDir == "-" {
			return usageErr("--out -: run prints its summary on standard output; write the reports to a directory")
		}
	}
	deliv, err := runDelivery(c, reports)
	if err != nil {
		return err
	}
	log, err := newLogger(c)
	if err != nil {
		return err
	}
	var failUnder grade.Grade
	if s := c.String("fail-under"); s != "" {
		g, ok := grade.ParseGrade(s)
		if !ok {
			return usageErr("--fail-under: %q is not a grade (A+, A, A-, B, C, D, F)", s)
		}
		failUnder = g
	}
	if f := c.String("fail-on"); f != "" && f != "regression" {
		return usageErr("--fail-on: only \"regression\" is known")
	}
	fileExs, err := loadExceptionsFile(c.String("exceptions"))
	if err != nil {
		return err
	}
	if _, err := now(); err != nil {
		return err
	}
	path := c.Args().First()
	if n := c.Int("max-rows"); n < 1 {
		return usageErr("--max-rows %d: must be at least 1", n)
	}
	prof, err := startProfiling(c)
	if err != nil {
		return err
	}
	defer prof.stop()
	list, err := ingest.ReadFile(path, ingest.Options{Sheet: c.String("sheet"), MaxRows: c.Int("max-rows")})
	var rowLimit *ingest.RowLimitError
	if errors.As(err, &rowLimit) {
		return usageErr("%v; the limit is %d rows: split the list, or raise the limit with --max-rows N", err, rowLimit.Limit)
	}
	if err != nil {
		return usageErr("%v", err)
	}
	if list.Sheet != "" {
		log.Info("vendor list read", "file", path, "sheet", list.Sheet, "hidden_sheets_skipped", strings.Join(list.HiddenSheets, ", "))
	}
	if len(list.Domains) == 0 {
		// Nothing to audit is an input error, found before any network
		// work: a run of no domain would look like a month with no vendor.
		for _, p := range list.Problems {
			log.Warn("input problem", "sheet", p.Sheet, "row", p.Row, "column", p.Column, "problem", p.Message)
		}
		return usageErr("%s has no usable row (%d input problems): nothing to audit", path, len(list.Problems))
	}
	listName := c.String("list-name")
	if listName == "" {
		listName = filepath.Base(path)
	}
	var runCfg config.Config
	switch {
	case reports != nil:
		runCfg = reports.cfg
	case c.String("config") != "":
		cfg, err := config.LoadConfig(c.String("config"))
		if err != nil {
			return usageErr("--config: %v", err)
		}
		runCfg = cfg
	}
	setup, err := newScanSetup(c, runCfg.AllowPrivate)
	if err != nil {
		return err
	}
	for _, sel := range runCfg.DKIMSelectors {
		if !slices.Contains(setup.allSelectors, sel) {
			setup.allSelectors = append(setup.allSelectors, sel)
		}
	}
	for _, v := range list.Vendors {
		if len(v.DKIMSelectors) == 0 {
			continue // no entry per domain of the list: this map lives for the whole run
		}
		for _, d := range v.Domains {
			setup.selectors[d] = append(setup.selectors[d], v.DKIMSelectors...)
		}
	}
	store, err := openDBLocked(c)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := setup.probeResolver(c.Context); err != nil {
		return err
	}

	runID, done, err := startOrResume(c, log, store, setup, list, listName, path)
	if err != nil {
		return err
	}
	todo := make([]string, 0, max(len(list.Domains)-len(done), 0))
	for _, d := range list.Domains {
		if !done[d] {
			todo = append(todo, d)
		}
	}
	for _, p := range list.Problems {
		log.Warn("input problem", "sheet", p.Sheet, "row", p.Row, "column", p.Column, "problem", p.Message)
	}
	total, resumed := len(list.Domains), len(done)
	log.Info("run started", "run", runID, "list", listName, "domains", total, "to_audit", len(todo), "db", store.Path())

	sink := newRunSink(c, store, setup.policy, runID, total, resumed, inputsOf(list))
	sink.probe = setup.probeResolver
	sink.prof = prof
	// The vendors and problems are stored with the run: from here on the
	// run holds the list only as the names still to audit (todo), each
	// let go once handed out, so a 100,000-row list does not stay in
	// memory beside the audit (it took 5.7 MB of a 60 MB heap at 5,000
	// domains of 10,000, with the rows of all 10,000 held to the end).
	list, done = nil, nil
	runner := &audit.Runner{Auditor: setup.auditor, Concurrency: c.Int("concurrency"), Sink: sink}
	runErr := runner.RunSeq(c.Context, handOut(todo))
	sink.finish()
	prof.audited()
	resume := "mxaudit run --resume" + dbArg(c) + " " + shellQuote(path)
	if runErr != nil {
		status := db.StatusFailed
		if c.Context.Err() != nil {
			status = db.StatusInterrupted
		}
		// The run context is gone; record the status on a short context of its own.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context), 5*time.Second)
		defer cancel()
		_ = store.FinishRun(ctx, runID, status, clock())
		if status == db.StatusInterrupted {
			fmt.Fprintf(c.App.ErrWriter, "mxaudit: run %d interrupted with %d of %d domains stored; finish it with: %s\n",
				runID, sink.stored+resumed, total, resume)
			return c.Context.Err()
		}
		return runtimeErr(fmt.Errorf("run %d failed with %d of %d domains stored (%w); when the cause is fixed, finish it with: %s",
			runID, sink.stored+resumed, total, runErr, resume))
	}
	if sink.resolverDead() {
		return failRun(c, store, runID, fmt.Sprintf("the DNS resolver answered none of the %d MX lookups", sink.stored), resume)
	}
	if sink.portBlocked() {
		grades, err := regradeStored(c.Context, store, setup.policy, runID, func(ev *evidence.Domain) { ev.PortBlocked = true })
		if err != nil {
			return runtimeErr(err)
		}
		sink.grades = grades
		log.Warn("no mail server answered on the SMTP port: outbound port 25 may be blocked from this machine; results are inconclusive")
	}
	if httpsBlocked(sink.fetched, sink.unreached) {
		grades, err := regradeStored(c.Context, store, setup.policy, runID, func(ev *evidence.Domain) { ev.HTTPSBlocked = true })
		if err != nil {
			return runtimeErr(err)
		}
		sink.grades = grades
		log.Warn("no MTA-STS policy host could be connected to: outbound HTTPS may be blocked from this machine; MTA-STS is left out of the grades, which are marked incomplete",
			"fetches", sink.fetched)
	}
	audited, err := store.AuditedDomains(c.Context, runID)
	if err != nil {
		return runtimeErr(err)
	}
	if audited == 0 {
		why := "every domain was inconclusive"
		if sink.portBlocked() {
			why = "no mail server answered on the SMTP port (outbound port 25 is probably blocked from this machine)"
		}
		return failRun(c, store, runID, why, resume)
	}
	if err := store.FinishRun(c.Context, runID, db.StatusCompleted, clock()); err != nil {
		return runtimeErr(err)
	}
	// The manifest is recorded as the run completes: later changes to the
	// stored evidence are then visible to mxaudit verify.
	if _, err := store.SealRun(c.Context, runID, clock()); err != nil {
		return runtimeErr(err)
	}
	diff, err := storeDiff(c.Context, store, runID, listName, c.Int("expiry-warn"))
	if err != nil {
		return runtimeErr(err)
	}
	if !c.Bool("quiet") {
		if err := printRunSummary(c.Context, c.App.Writer, store, runID, sink, resumed, diff); err != nil {
			return runtimeErr(err)
		}
	}
	if reports == nil {
		thrErr := thresholds(c, store, runID, diff, failUnder, fileExs)
		return deliverRun(c, store, runID, deliv, nil, fileExs, thrErr)
	}
	progress := c.App.Writer
	if c.Bool("quiet") {
		progress = io.Discard
	}
	files, repErr := writeReports(c.Context, store, runID, reports, rend, c.App.Writer, progress)
	thrErr := thresholds(c, store, runID, diff, failUnder, fileExs)
	if repErr != nil {
		// The run is stored; the missing reports are the more urgent news.
		if thrErr != nil {
			fmt.Fprintln(c.App.ErrWriter, "mxaudit:", thrErr)
		}
		return fmt.Errorf("run %d is stored but its reports are not (retry with: mxaudit report%s %d): %w", runID, dbArg(c), runID, repErr)
	}
	return deliverRun(c, store, runID, deliv, files, fileExs, thrErr)
}

// runDelivery resolves --mail-to and --notify before the audit; the
// configuration comes from the report settings, or from --config itself
// under --no-report.
func runDelivery(c *cli.Context, reports *reportSettings) (*deliverySetup, error) {
	var cfg config.Config
	if reports != nil {
		cfg = reports.cfg
	} else if p := c.String("config"); p != "" && (len(c.StringSlice("mail-to")) > 0 || c.String("notify") != "") {
		var err error
		if cfg, err = config.LoadConfig(p); err != nil {
			return nil, usageErr("--config: %v", err)
		}
	}
	d, err := parseDelivery(c, cfg)
	if err != nil || d == nil {
		return nil, err
	}
	s := reports
	if s == nil {
		s = &reportSettings{cfg: cfg, expiryWarn: c.Int("expiry-warn"), warn: c.App.ErrWriter}
	}
	return &deliverySetup{delivery: d, settings: s}, nil
}

// deliverySetup is a delivery with the settings its report is built with.
type deliverySetup struct {
	*delivery
	settings *reportSettings
}

// deliverRun sends the run's summary and PDF when asked. A delivery
// failure has its own exit code and outranks a threshold (both are
// reported); the run and its reports are kept either way.
func deliverRun(c *cli.Context, store *db.DB, runID int64, d *deliverySetup, files []string, fileExs []programme.Exception, thrErr error) error {
	if d == nil {
		return thrErr
	}
	d.settings.exceptions = fileExs
	r, err := buildReport(c.Context, store, runID, d.settings)
	if err == nil {
		err = d.deliver(c.Context, r, files)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		if !c.Bool("quiet") {
			fmt.Fprintf(c.App.Writer, "delivered the summary of run %d\n", runID)
		}
		return thrErr
	}
	if thrErr != nil {
		fmt.Fprintln(c.App.ErrWriter, "mxaudit:", thrErr)
	}
	return &exitError{code: exitDelivery, err: fmt.Errorf("run %d and its reports are stored, but delivery failed: %w", runID, err)}
}

// startOrResume creates the run, or finds the interrupted run to resume and
// the domains it already stored.
func startOrResume(c *cli.Context, log *slog.Logger, store *db.DB, setup *scanSetup, list *ingest.List, listName, path string) (int64, map[string]bool, error) {
	ctx := c.Context
	if c.Bool("resume") {
		r, err := store.LatestRun(ctx, listName, db.StatusRunning, db.StatusInterrupted, db.StatusFailed)
		switch {
		case errors.Is(err, db.ErrNotFound):
			// Nothing to resume: a scheduler can always pass --resume.
			log.Info("no interrupted run to resume; starting a new run", "list", listName)
			return newRun(c, store, setup, list, listName, path)
		case err != nil:
			return 0, nil, runtimeErr(err)
		}
		if r.InputSHA256 != list.SHA256 {
			return 0, nil, usageErr("--resume: %s changed since run %d started; start a new run without --resume", path, r.ID)
		}
		done, err := store.DoneDomains(ctx, r.ID)
		if err != nil {
			return 0, nil, runtimeErr(err)
		}
		// Nothing was learnt about an inconclusive domain (a dead resolver,
		// a blocked port): it is audited again.
		again, err := store.InconclusiveDomains(ctx, r.ID)
		if err != nil {
			return 0, nil, runtimeErr(err)
		}
		for d := range again {
			delete(done, d)
		}
		if err := store.ReopenRun(ctx, r.ID); err != nil {
			return 0, nil, runtimeErr(err)
		}
		log.Info("resuming run", "run", r.ID, "status", r.Status, "stored", len(done), "again", len(again))
		return r.ID, done, nil
	}
	return newRun(c, store, setup, list, listName, path)
}

// newRun stores a new run with its vendor list and input problems.
func newRun(c *cli.Context, store *db.DB, setup *scanSetup, list *ingest.List, listName, path string) (int64, map[string]bool, error) {
	ctx := c.Context
	var vendors []db.VendorRow
	for _, v := range list.Vendors {
		for _, d := range v.Domains {
			name := v.Name
			if name == "" {
				name = d
			}
			vendors = append(vendors, db.VendorRow{Vendor: name, Domain: d, Input: v.Inputs[d], Owner: v.Owner,
				Tier: v.Tier, Notes: v.Notes, Contact: v.Contact, Tags: v.Tags, Sheet: v.Sheet, Row: v.Row})
		}
	}
	var problems []db.Problem
	for _, p := range list.Problems {
		problems = append(problems, db.Problem{Sheet: p.Sheet, Row: p.Row, Column: p.Column, Value: p.Value, Message: p.Message})
	}
	abs, _ := filepath.Abs(path)
	id, err := store.CreateRun(ctx, db.Run{
		ListName: listName, InputPath: abs, InputSHA256: list.SHA256,
		Policy: setup.policy.Name, PolicyVersion: setup.policy.Version, ToolVersion: version,
		StartedAt: clock(), TotalDomains: len(list.Domains), Settings: settingsJSON(setup.settings),
	}, vendors, problems)
	if err != nil {
		return 0, nil, runtimeErr(err)
	}
	return id, map[string]bool{}, nil
}

// handOut yields the domains of todo in order and clears each entry as
// it is handed out, so a domain's name is not kept past its audit.
func handOut(todo []string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := range todo {
			d := todo[i]
			todo[i] = ""
			if !yield(d) {
				return
			}
		}
	}
}

func inputsOf(list *ingest.List) map[string]string {
	m := map[string]string{}
	for _, v := range list.Vendors {
		for d, in := range v.Inputs {
			if in != d {
				m[d] = in
			}
		}
	}
	return m
}

// failRun marks a run that audited nothing as failed: it is no result,
// never the baseline of a diff, and --resume can finish it.
func failRun(c *cli.Context, store *db.DB, runID int64, why, resume string) error {
	if err := store.FinishRun(c.Context, runID, db.StatusFailed, clock()); err != nil {
		return runtimeErr(err)
	}
	return runtimeErr(fmt.Errorf("run %d audited nothing: %s; it is marked failed, is not a result and will never be the baseline of a diff; when the cause is fixed, finish it with: %s",
		runID, why, resume))
}

// dbArg is " --db FILE" when the database is not the default one, for the
// commands a message suggests, so they act on the same database.
func dbArg(c *cli.Context) string {
	if p := c.String("db"); p != defaultDB {
		return " --db " + shellQuote(p)
	}
	return ""
}

// shellQuote quotes s for a POSIX shell when it holds anything but plain
// path characters.
func shellQuote(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./,:+@", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runSink grades and stores each finished domain, and keeps the progress
// display and the tallies. The Runner calls it from one goroutine.
type runSink struct {
	store *db.DB
	// writer stores each domain, a shared address's evidence once.
	writer  *db.RunWriter
	policy  grade.Policy
	runID   int64
	inputs  map[string]string
	bar     *progressbar.ProgressBar
	started time.Time

	stored, failures   int
	probed, unanswered int
	// fetched counts the MTA-STS policy fetches, unreached those that
	// could not connect (see httpsBlocked).
	fetched, unreached int
	grades             map[grade.Grade]int
	// dnsLost counts the domains whose MX lookup no server answered at
	// all, streak the latest ones in a row; probe asks the resolver again
	// after lostStreak of them (see Put).
	dnsLost, streak int
	probe           func(context.Context) error
	// prof writes the heap profiles of --memprofile-every (nil: none).
	prof *profiler
}

// lostStreak is how many domains in a row whose MX lookup got no answer
// at all make the run ask whether the resolver itself has died.
const lostStreak = 10

// errResolverLost stops a run whose resolver stopped answering mid-way.
var errResolverLost = errors.New("the DNS resolver stopped answering")

// dnsUnanswered reports whether no DNS server answered the domain's MX
// question at all (a timeout or a network error, no rcode): the resolver's
// failure, not the domain's.
func dnsUnanswered(ev *evidence.Domain) bool {
	l := ev.MX.Lookup
	return ev.MX.Kind == evidence.MXError && l.Rcode == "" && (l.Status == evidence.DNSTimeout || l.Status == evidence.DNSError)
}

// resolverDead reports whether every domain this session audited failed
// for want of any DNS answer.
func (s *runSink) resolverDead() bool { return s.stored > 0 && s.dnsLost == s.stored }

func newRunSink(c *cli.Context, store *db.DB, p grade.Policy, runID int64, total, done int, inputs map[string]string) *runSink {
	s := &runSink{store: store, writer: store.NewRunWriter(runID), policy: p, runID: runID, inputs: inputs, started: time.Now(), grades: map[grade.Grade]int{}}
	if !c.Bool("quiet") && isTerminal(c.App.ErrWriter) {
		s.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(c.App.ErrWriter),
			progressbar.OptionSetDescription("auditing"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("domains"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(200*time.Millisecond),
		)
		_ = s.bar.Set(done)
	}
	return s
}

func (s *runSink) Put(ctx context.Context, ev *evidence.Domain) error {
	if in, ok := s.inputs[ev.Domain]; ok {
		ev.Input = in
		// Each domain is handed over once: a list of e-mail addresses
		// (an input per domain) does not stay in memory as it is audited.
		delete(s.inputs, ev.Domain)
	}
	g := grade.GradeDomain(ev, s.policy)
	if err := s.writer.Save(ctx, ev, &g); err != nil {
		return err
	}
	s.stored++
	s.prof.stored(s.stored)
	s.grades[g.Grade]++
	if dnsUnanswered(ev) {
		s.dnsLost++
		s.streak++
	} else {
		s.streak = 0
	}
	if s.streak >= lostStreak && s.probe != nil {
		if err := s.probe(ctx); err != nil {
			return fmt.Errorf("%w: %w", errResolverLost, err)
		}
		s.streak = 0
	}
	if g.Grade == grade.GradeInconclusive || g.Incomplete {
		s.failures++
	}
	for _, h := range ev.Hosts {
		for _, a := range h.Addresses {
			if dialled(a.Probe) {
				s.probed++
				if unanswered(a.Probe) {
					s.unanswered++
				}
			}
		}
	}
	if m := ev.MTASTS; m != nil && fetchTried(m.Fetch) {
		s.fetched++
		if m.Fetch.Unreached() {
			s.unreached++
		}
	}
	if s.bar != nil {
		s.bar.Describe(fmt.Sprintf("auditing (%d inconclusive)", s.failures))
		_ = s.bar.Add(1)
	}
	return nil
}

func (s *runSink) finish() {
	if s.bar != nil {
		_ = s.bar.Finish()
	}
}

func (s *runSink) portBlocked() bool { return s.probed > 0 && s.unanswered == s.probed }

// minBlockedFetches is the fewest MTA-STS policy fetches that, all failing
// to connect, make mxaudit conclude that outbound HTTPS is blocked from
// this machine. One or two unreachable policy hosts are the vendors' own
// problem, and are reported as such.
const minBlockedFetches = 3

// httpsBlocked reports whether every policy fetch of the run failed to
// connect, enough of them to blame this machine's network.
func httpsBlocked(fetched, unreached int) bool {
	return fetched >= minBlockedFetches && unreached == fetched
}

// regradeStored re-grades a run's stored domains after mark has set a
// run-wide fact on each one's evidence (PortBlocked, HTTPSBlocked), and
// counts the new grades.
func regradeStored(ctx context.Context, store *db.DB, p grade.Policy, runID int64, mark func(*evidence.Domain)) (map[grade.Grade]int, error) {
	grades := map[grade.Grade]int{}
	err := store.EachDomain(ctx, runID, func(r db.StoredDomain) error {
		mark(r.Evidence)
		g := grade.GradeDomain(r.Evidence, p)
		grades[g.Grade]++
		return store.SaveDomain(ctx, runID, r.Evidence, &g)
	})
	return grades, err
}

// storeDiff compares the run with the previous completed run of its list
// and stores the result with the run.
func storeDiff(ctx context.Context, store *db.DB, runID int64, listName string, expiryWarn int) (*db.Diff, error) {
	var base *int64
	if prev, err := store.PreviousCompleted(ctx, runID, listName); err == nil {
		base = &prev.ID
	} else if !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	diff, err := store.ComputeDiff(ctx, runID, base, expiryWarn)
	if err != nil {
		return nil, err
	}
	return diff, store.SaveDiff(ctx, runID, base, diff)
}

// printRunSummary prints one summary line (fit for cron mail) and the
// changes. The counts are the whole run's, read from the database, so a
// resumed run is counted whole, not only the domains of its last session.
func printRunSummary(ctx context.Context, w io.Writer, store *db.DB, runID int64, s *runSink, resumed int, diff *db.Diff) error {
	counts, err := store.GradeCounts(ctx, runID)
	if err != nil {
		return err
	}
	var parts []string
	total := 0
	for _, g := range grade.AllGrades() {
		if n := counts[string(g)]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", g, n))
		}
		total += counts[string(g)]
	}
	fmt.Fprintf(w, "run %d: %d domains stored", runID, total)
	if resumed > 0 {
		fmt.Fprintf(w, " (%d before the resume, %d now)", resumed, s.stored)
	}
	fmt.Fprintf(w, " in %s (%s) [%s]", time.Since(s.started).Round(time.Second), store.Path(), strings.Join(parts, " "))
	if diff.HasBase {
		fmt.Fprintf(w, "; since run %d: %d regressions, %d improvements, %d changes", diff.Base, diff.Regressions, diff.Improvements, len(diff.Changes))
	}
	fmt.Fprintln(w)
	printChanges(ctx, w, store, diff)
	return nil
}

// thresholds applies --fail-on and --fail-under. A domain whose every
// grade-lowering finding is accepted by an active exception counts toward
// neither: its grade stays as measured, its risk is accepted.
func thresholds(c *cli.Context, store *db.DB, runID int64, diff *db.Diff, failUnder grade.Grade, fileExs []programme.Exception) error {
	exs, err := activeExceptions(c.Context, store, fileExs)
	if err != nil {
		return runtimeErr(err)
	}
	at := clock()
	accepted := map[string]bool{}
	// Without an exception no risk is accepted: the run's evidence is not
	// read again (a walk decodes every domain of the list).
	if len(exs) > 0 && (c.String("fail-on") == "regression" || failUnder != "") {
		err = store.EachDomain(c.Context, runID, func(r db.StoredDomain) error {
			fs := make([]grade.Finding, len(r.Grade.Findings))
			for i, f := range r.Grade.Findings {
				f.Domain = r.Domain
				fs[i] = f
			}
			if programme.RiskAccepted(fs, exs, at) {
				accepted[r.Domain] = true
			}
			return nil
		})
		if err != nil {
			return runtimeErr(err)
		}
	}
	var reasons []string
	if c.String("fail-on") == "regression" {
		n, skipped := 0, 0
		for _, ch := range diff.Changes {
			if ch.Kind != db.ChangeGradeDown && ch.Kind != db.ChangeForcedLost {
				continue
			}
			if accepted[ch.Domain] {
				skipped++
				continue
			}
			n++
		}
		if n > 0 {
			reasons = append(reasons, fmt.Sprintf("%d regressions since run %d", n, diff.Base))
		}
		if skipped > 0 {
			fmt.Fprintf(c.App.ErrWriter, "mxaudit: %d regressions not counted: accepted risk (mxaudit exception list)\n", skipped)
		}
	}
	if failUnder != "" {
		var below []string
		// The stored grade column answers this; no evidence is decoded.
		grades, err := store.Grades(c.Context, runID)
		if err != nil {
			return runtimeErr(err)
		}
		names := make([]string, 0, len(grades))
		for name := range grades {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			g := grade.Grade(grades[name])
			if g.Conclusive() && g.Rank() < failUnder.Rank() && !accepted[name] {
				below = append(below, name+" ("+string(g)+")")
			}
		}
		if len(below) > 0 {
			reasons = append(reasons, "graded below "+string(failUnder)+": "+strings.Join(below, ", "))
		}
	}
	if len(reasons) > 0 {
		return &exitError{code: exitThreshold, err: errors.New(strings.Join(reasons, "; "))}
	}
	return nil
}

// activeExceptions are the recorded exceptions merged with those of the
// --exceptions file (conflicting file entries left out, as in the reports).
func activeExceptions(ctx context.Context, store *db.DB, fileExs []programme.Exception) ([]programme.Exception, error) {
	recs, err := store.Exceptions(ctx)
	if err != nil {
		return nil, err
	}
	var stored []programme.Exception
	for _, r := range recs {
		stored = append(stored, report.ExceptionOfRecord(r))
	}
	merged, _ := programme.Merge(stored, fileExs, clock())
	return merged, nil
}
