package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"gopkg.in/yaml.v3"

	"github.com/mxaudit/mxaudit/audit/programme"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
)

// nowEnv names the environment variable that sets the time mxaudit takes
// as now (RFC 3339, or a date for its midnight UTC): for demos and tests
// of deadlines and exceptions, which otherwise need months to pass.
const nowEnv = "MXAUDIT_NOW"

// now is the clock of the commands: MXAUDIT_NOW when set, else the system clock.
func now() (time.Time, error) {
	s := os.Getenv(nowEnv)
	if s == "" {
		return time.Now().UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := programme.ParseDate(s); err == nil {
		return t, nil
	}
	return time.Time{}, usageErr("%s=%q: want an RFC 3339 time or a date (YYYY-MM-DD)", nowEnv, s)
}

// clock is now for code paths that have checked the variable already.
func clock() time.Time {
	t, err := now()
	if err != nil {
		return time.Now().UTC()
	}
	return t
}

func exceptionCommand() *cli.Command {
	return &cli.Command{
		Name:  "exception",
		Usage: "record, list and revoke accepted-risk exceptions",
		Description: `An exception accepts the risk of a finding until a date, on a named
approver's authority. The finding stays in every report, marked "accepted
risk until DATE, approver, reason, ticket"; it no longer counts toward
vendors at risk, --fail-under and --fail-on, or the changes a letter asks
for. The measured grade never changes. The record is append-only: a
revocation is recorded beside the exception, which stays visible.`,
		Subcommands: []*cli.Command{
			{
				Name:  "add",
				Usage: "record an exception and print its id",
				Flags: []cli.Flag{
					dbFlag(),
					&cli.StringFlag{Name: "domain", Required: true, Usage: "the vendor `DOMAIN` the finding is on"},
					&cli.StringFlag{Name: "vendor", Usage: "the `VENDOR` whose risk it is (for the reader)"},
					&cli.StringFlag{Name: "finding", Usage: "finding `CODE` (see mxaudit checks); every finding of the domain when not given"},
					&cli.StringFlag{Name: "host", Usage: "only on this MX `HOST`"},
					&cli.StringFlag{Name: "ip", Usage: "only on this `ADDRESS`"},
					&cli.StringFlag{Name: "approver", Usage: "`NAME` of who accepts the risk (required)"},
					&cli.StringFlag{Name: "reason", Usage: "why the risk is accepted (`TEXT`, required)"},
					&cli.StringFlag{Name: "expires", Required: true, Usage: "`YYYY-MM-DD`, after today: the first day it no longer applies"},
					&cli.StringFlag{Name: "ticket", Usage: "change or risk `REF`"},
				},
				Action: exceptionAdd,
			},
			{
				Name:  "list",
				Usage: "list active exceptions (id first); --all adds expired and revoked ones",
				Flags: []cli.Flag{
					dbFlag(),
					&cli.BoolFlag{Name: "all", Usage: "include expired and revoked exceptions, with who revoked them, when and why"},
					&cli.BoolFlag{Name: "json", Usage: "JSON instead of a table"},
				},
				Action: exceptionList,
			},
			{
				Name:      "revoke",
				Usage:     "revoke an exception: recorded beside it, with who, when and why",
				ArgsUsage: "ID",
				Flags: []cli.Flag{
					dbFlag(),
					&cli.StringFlag{Name: "by", Usage: "`NAME` of who revokes it (required)"},
					&cli.StringFlag{Name: "reason", Usage: "why (`TEXT`, required)"},
				},
				Action: exceptionRevoke,
			},
		},
	}
}

func exceptionAdd(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr("exception add takes no arguments, only flags (got %q)", c.Args().First())
	}
	at, err := now()
	if err != nil {
		return err
	}
	expires, err := programme.ParseDate(c.String("expires"))
	if err != nil {
		return usageErr("--expires: %v", err)
	}
	e := programme.Exception{Domain: strings.ToLower(strings.TrimSpace(c.String("domain"))), Vendor: strings.TrimSpace(c.String("vendor")),
		Code: strings.ToUpper(strings.TrimSpace(c.String("finding"))), Host: strings.ToLower(strings.TrimSpace(c.String("host"))),
		IP: strings.TrimSpace(c.String("ip")), Approver: strings.TrimSpace(c.String("approver")), Reason: strings.TrimSpace(c.String("reason")),
		Ticket: strings.TrimSpace(c.String("ticket")), Expires: expires, CreatedAt: at}
	if err := e.Validate(at); err != nil {
		switch {
		case errors.Is(err, programme.ErrNoApprover):
			return usageErr("--approver: %v", err)
		case errors.Is(err, programme.ErrNoReason):
			return usageErr("--reason: %v", err)
		}
		return usageErr("%v", err)
	}
	for _, s := range []string{e.Domain, e.Vendor, e.Host, e.IP, e.Approver, e.Reason, e.Ticket} {
		if !report.IsClean(s) {
			return usageErr("%q contains control or direction-changing characters", s)
		}
	}
	store, err := openDBWrite(c)
	if err != nil {
		return err
	}
	defer store.Close()
	id, err := store.AddException(c.Context, db.ExceptionRecord{Domain: e.Domain, Vendor: e.Vendor, Code: e.Code, Host: e.Host, IP: e.IP,
		Approver: e.Approver, Reason: e.Reason, Ticket: e.Ticket, Expires: e.Expires, CreatedAt: e.CreatedAt})
	if err != nil {
		return runtimeErr(err)
	}
	fmt.Fprintln(c.App.Writer, db.ExceptionID(id))
	return nil
}

// exceptionListEntry is one exception as `exception list --json` prints it.
type exceptionListEntry struct {
	programme.Exception
	State string `json:"state"`
}

func exceptionList(c *cli.Context) error {
	at, err := now()
	if err != nil {
		return err
	}
	store, err := openDB(c)
	if err != nil {
		return err
	}
	defer store.Close()
	recs, err := store.Exceptions(c.Context)
	if err != nil {
		return runtimeErr(err)
	}
	entries := []exceptionListEntry{}
	for _, r := range recs {
		e := report.ExceptionOfRecord(r)
		st := e.State(at)
		if st != programme.StateActive && !c.Bool("all") {
			continue
		}
		entries = append(entries, exceptionListEntry{Exception: e, State: st})
	}
	w := c.App.Writer
	if c.Bool("json") {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	if len(entries) == 0 {
		if c.Bool("all") {
			fmt.Fprintln(w, "no exceptions recorded")
		} else {
			fmt.Fprintln(w, "no active exceptions (--all lists expired and revoked ones)")
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tEXPIRES\tSCOPE\tAPPROVER\tREASON\tTICKET\tRECORDED")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.State, e.ExpiresOn(), report.Clean(e.Scope()), report.Clean(e.Approver),
			report.Clean(e.Reason), report.Clean(e.Ticket), e.CreatedAt.UTC().Format(time.DateOnly))
		if r := e.Revoked; r != nil {
			fmt.Fprintf(tw, "\t\trevoked %s by %s: %s\t\t\t\t\t\n", r.At.UTC().Format(time.RFC3339), report.Clean(r.By), report.Clean(r.Reason))
		}
	}
	return tw.Flush()
}

func exceptionRevoke(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErr("exception revoke takes one exception id (see mxaudit exception list)")
	}
	id, err := db.ParseExceptionID(c.Args().First())
	if err != nil {
		return usageErr("%v", err)
	}
	by, reason := strings.TrimSpace(c.String("by")), strings.TrimSpace(c.String("reason"))
	if by == "" {
		return usageErr("--by: the name of who revokes the exception is required")
	}
	if reason == "" {
		return usageErr("--reason: a reason is required")
	}
	if !report.IsClean(by) || !report.IsClean(reason) {
		return usageErr("--by and --reason must not contain control or direction-changing characters")
	}
	at, err := now()
	if err != nil {
		return err
	}
	store, err := openDBWrite(c)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.RevokeException(c.Context, id, at, by, reason); err != nil {
		if errors.Is(err, db.ErrNotFound) || errors.Is(err, db.ErrAlreadyRevoked) {
			return usageErr("%v", err)
		}
		return runtimeErr(err)
	}
	fmt.Fprintf(c.App.Writer, "%s revoked at %s by %s\n", db.ExceptionID(id), at.Format(time.RFC3339), by)
	return nil
}

// fileException is one entry of an --exceptions file.
type fileException struct {
	ID       string `yaml:"id"`
	Domain   string `yaml:"domain"`
	Vendor   string `yaml:"vendor"`
	Finding  string `yaml:"finding"`
	Host     string `yaml:"host"`
	IP       string `yaml:"ip"`
	Approver string `yaml:"approver"`
	Reason   string `yaml:"reason"`
	Expires  string `yaml:"expires"`
	Ticket   string `yaml:"ticket"`
}

// maxExceptionsFile bounds an --exceptions file.
const maxExceptionsFile = 4 << 20

// loadExceptionsFile reads an --exceptions YAML file: a list of
// exceptions with the fields of `exception add` and an id of their own.
// Entries that have expired are kept (they re-open their findings and say
// so); entries that are malformed, or name an unknown finding code, make
// the whole file an error, so a typo never silently accepts nothing.
func loadExceptionsFile(path string) ([]programme.Exception, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErr("--exceptions: %v", err)
	}
	if len(b) > maxExceptionsFile {
		return nil, usageErr("--exceptions: %s is larger than %d bytes", path, maxExceptionsFile)
	}
	var doc struct {
		Exceptions []fileException `yaml:"exceptions"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, usageErr("--exceptions: %s: %v", path, err)
	}
	var out []programme.Exception
	ids := map[string]bool{}
	for i, f := range doc.Exceptions {
		where := fmt.Sprintf("--exceptions: %s: entry %d", path, i+1)
		if strings.TrimSpace(f.ID) == "" {
			return nil, usageErr("%s: an id is required", where)
		}
		if ids[f.ID] {
			return nil, usageErr("%s: id %q is used twice", where, f.ID)
		}
		ids[f.ID] = true
		exp, err := programme.ParseDate(f.Expires)
		if err != nil {
			return nil, usageErr("%s (%s): expires: %v", where, f.ID, err)
		}
		e := programme.Exception{ID: strings.TrimSpace(f.ID), Domain: strings.ToLower(strings.TrimSpace(f.Domain)), Vendor: f.Vendor,
			Code: strings.ToUpper(strings.TrimSpace(f.Finding)), Host: strings.ToLower(strings.TrimSpace(f.Host)), IP: strings.TrimSpace(f.IP),
			Approver: strings.TrimSpace(f.Approver), Reason: strings.TrimSpace(f.Reason), Ticket: strings.TrimSpace(f.Ticket), Expires: exp, Source: path}
		// Validated as of the day before expiry: a file entry may have expired
		// since it was written, and then re-opens its findings.
		if err := e.Validate(exp.AddDate(0, 0, -1)); err != nil {
			return nil, usageErr("%s (%s): %v", where, f.ID, err)
		}
		for _, s := range []string{e.ID, e.Domain, e.Vendor, e.Host, e.IP, e.Approver, e.Reason, e.Ticket} {
			if !report.IsClean(s) {
				return nil, usageErr("%s (%s): %q contains control or direction-changing characters", where, f.ID, s)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func letterCommand() *cli.Command {
	return &cli.Command{
		Name:  "letter",
		Usage: "record that vendor letters went out, and list sent and unsent letters",
		Description: `Every letter mxaudit writes carries a reference (printed in the letter
and by mxaudit report --letters). Marking it sent starts the remediation
deadline of its findings from that day when it is later than the day the
finding was first seen. The record is append-only.`,
		Subcommands: []*cli.Command{
			{
				Name:      "sent",
				Usage:     "record that the letter REF went out (today, or --date)",
				ArgsUsage: "REF",
				Flags:     []cli.Flag{dbFlag(), &cli.StringFlag{Name: "date", Usage: "the `YYYY-MM-DD` it was sent (default today)"}},
				Action:    letterSent,
			},
			{
				Name:      "list",
				Usage:     "list the letters of a run (default the latest completed) and whether each was sent",
				ArgsUsage: "[RUN]",
				Flags:     []cli.Flag{dbFlag()},
				Action:    letterList,
			},
		},
	}
}

// lettersOfRun builds a run's report (with the stored exceptions) and
// returns its letters.
func lettersOfRun(ctx context.Context, store *db.DB, runID int64, at time.Time) ([]report.Letter, error) {
	r, err := report.Build(ctx, store, runID, report.Options{Now: func() time.Time { return at }, ToolVersion: version})
	if err != nil {
		return nil, runtimeErr(err)
	}
	defer r.Close()
	return report.Letters(r), nil
}

func letterSent(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErr("letter sent takes one letter reference (see mxaudit letter list)")
	}
	ref := strings.TrimSpace(c.Args().First())
	runID, err := report.ParseLetterRef(ref)
	if err != nil {
		return usageErr("%v", err)
	}
	at, err := now()
	if err != nil {
		return err
	}
	on := programme.Day(at)
	if d := c.String("date"); d != "" {
		if on, err = programme.ParseDate(d); err != nil {
			return usageErr("--date: %v", err)
		}
		if on.After(at) {
			return usageErr("--date: %s is in the future", d)
		}
	}
	if _, err := os.Stat(c.String("db")); err != nil {
		return usageErr("no history database at %s (pass --db)", c.String("db"))
	}
	store, err := openDBWrite(c)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.GetRun(c.Context, runID); errors.Is(err, db.ErrNotFound) {
		return usageErr("letter %s: no run %d in %s", ref, runID, store.Path())
	}
	letters, err := lettersOfRun(c.Context, store, runID, at)
	if err != nil {
		return err
	}
	var found *report.Letter
	for i := range letters {
		if strings.EqualFold(letters[i].Ref, ref) {
			found = &letters[i]
		}
	}
	if found == nil {
		return usageErr("run %d wrote no letter %s (see mxaudit letter list %d)", runID, ref, runID)
	}
	if err := store.MarkLetterSent(c.Context, db.LetterSent{Ref: found.Ref, RunID: runID, Domains: found.Domains, SentOn: on, RecordedAt: at}); err != nil {
		if errors.Is(err, db.ErrAlreadySent) {
			return usageErr("%v", err)
		}
		return runtimeErr(err)
	}
	fmt.Fprintf(c.App.Writer, "%s (%s) marked sent on %s\n", found.Ref, report.Clean(found.Vendor), on.Format(time.DateOnly))
	return nil
}

func letterList(c *cli.Context) error {
	if c.NArg() > 1 {
		return usageErr("letter list takes at most one run id")
	}
	at, err := now()
	if err != nil {
		return err
	}
	store, err := openDB(c)
	if err != nil {
		return err
	}
	defer store.Close()
	run, err := pickRun(c.Context, store, c.Args().First())
	if err != nil {
		return err
	}
	letters, err := lettersOfRun(c.Context, store, run.ID, at)
	if err != nil {
		return err
	}
	sent, err := store.LettersSent(c.Context)
	if err != nil {
		return runtimeErr(err)
	}
	sentOn := map[string]time.Time{}
	for _, s := range sent {
		sentOn[s.Ref] = s.SentOn
	}
	w := c.App.Writer
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REF\tSENT\tVENDOR\tDOMAINS\tFINDINGS")
	for _, l := range letters {
		state := "not sent"
		if t, ok := sentOn[l.Ref]; ok {
			state = t.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n", l.Ref, state, report.Clean(l.Vendor), report.Clean(strings.Join(l.Domains, ", ")), len(l.Findings))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(letters) == 0 {
		fmt.Fprintf(w, "run %d has no letters: no vendor has findings to correct\n", run.ID)
	}
	var older []string
	for _, s := range sent {
		if s.RunID != run.ID {
			older = append(older, fmt.Sprintf("%s sent %s (run %d: %s)", s.Ref, s.SentOn.Format(time.DateOnly), s.RunID, report.Clean(strings.Join(s.Domains, ", "))))
		}
	}
	if len(older) > 0 {
		fmt.Fprintln(w, "\nSent from other runs:")
		for _, s := range older {
			fmt.Fprintln(w, "  "+s)
		}
	}
	return nil
}

// openDBWrite opens (creating if needed) the --db database for the
// programme's records: exceptions and letters sent are written without
// the run lock, since they add rows no run writes.
func openDBWrite(c *cli.Context) (*db.DB, error) {
	store, err := db.Open(c.Context, c.String("db"))
	if err != nil {
		return nil, runtimeErr(err)
	}
	return store, nil
}
