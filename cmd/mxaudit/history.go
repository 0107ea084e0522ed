package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/ingest"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
)

// openDB opens the --db database for reading only: the commands that only
// read history (runs, history, diff, report, policy-map) never create,
// migrate or lock it, so they work on a database in a read-only directory.
// A database that does not exist is a mistyped path, a usage error.
func openDB(c *cli.Context) (*db.DB, error) {
	p := c.String("db")
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageErr("no history database at %s (pass --db, or start one with: mxaudit run vendors.csv)", p)
		}
		return nil, runtimeErr(err)
	}
	store, err := db.OpenReadOnly(c.Context, p)
	if err != nil {
		return nil, runtimeErr(err)
	}
	return store, nil
}

// openDBLocked opens (creating if needed) the --db database for a command
// that writes runs, holding the run lock from before any table is created.
func openDBLocked(c *cli.Context) (*db.DB, error) {
	store, err := db.OpenLocked(c.Context, c.String("db"))
	if err != nil {
		return nil, runtimeErr(err)
	}
	return store, nil
}

func runsCommand() *cli.Command {
	return &cli.Command{
		Name:  "runs",
		Usage: "list the stored runs, newest first",
		Flags: []cli.Flag{dbFlag(), &cli.BoolFlag{Name: "json", Usage: "print as JSON"}},
		Action: func(c *cli.Context) error {
			store, err := openDB(c)
			if err != nil {
				return err
			}
			defer store.Close()
			runs, err := store.Runs(c.Context)
			if err != nil {
				return runtimeErr(err)
			}
			if c.Bool("json") {
				return writeIndented(c.App.Writer, runs)
			}
			if len(runs) == 0 {
				fmt.Fprintf(c.App.Writer, "no runs in %s yet; start one with: mxaudit run vendors.csv\n", store.Path())
				return nil
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tLIST\tSTARTED (UTC)\tSTATUS\tDOMAINS\tPOLICY")
			for _, r := range runs {
				status := r.Status
				if r.RegradedFrom != nil {
					status += fmt.Sprintf(" (regrade of %d)", *r.RegradedFrom)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d/%d\t%s %s\n", r.ID, report.Clean(r.ListName), r.StartedAt.UTC().Format("2006-01-02 15:04"),
					status, r.Done, r.TotalDomains, r.Policy, r.PolicyVersion)
			}
			return tw.Flush()
		},
	}
}

func historyCommand() *cli.Command {
	return &cli.Command{
		Name:      "history",
		Usage:     "show a domain's grade over time",
		ArgsUsage: "DOMAIN",
		Flags:     []cli.Flag{dbFlag(), &cli.BoolFlag{Name: "json", Usage: "print as JSON"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr("history needs one domain")
			}
			domain, err := ingest.Domain(c.Args().First())
			if err != nil {
				return usageErr("%v", err)
			}
			store, err := openDB(c)
			if err != nil {
				return err
			}
			defer store.Close()
			points, err := store.History(c.Context, domain)
			if err != nil {
				return runtimeErr(err)
			}
			if c.Bool("json") {
				return writeIndented(c.App.Writer, points)
			}
			if len(points) == 0 {
				fmt.Fprintf(c.App.Writer, "%s has not been audited in %s\n", domain, store.Path())
				return nil
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tDATE (UTC)\tLIST\tGRADE\tFORCED TLS\tFINDINGS")
			for _, p := range points {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\n", p.RunID, p.StartedAt.UTC().Format("2006-01-02"), report.Clean(p.ListName), p.Grade, p.ForcedTLS, p.Findings)
			}
			return tw.Flush()
		},
	}
}

func parseRunID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, usageErr("%q is not a run id (see mxaudit runs)", s)
	}
	return id, nil
}

func regradeCommand() *cli.Command {
	return &cli.Command{
		Name:      "regrade",
		Usage:     "grade a stored run again under a policy, without touching the network",
		ArgsUsage: "RUN",
		Flags: []cli.Flag{dbFlag(),
			&cli.StringFlag{Name: "policy", Value: grade.Default().Name, Usage: "policy `NAME` (" + strings.Join(grade.PolicyNames(), ", ") + ")"},
			&cli.IntFlag{Name: "expiry-warn", Value: 30, Usage: "report certificates expiring within `DAYS`"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr("regrade needs a run id (see mxaudit runs)")
			}
			if err := checkExpiryWarn(c); err != nil {
				return err
			}
			id, err := parseRunID(c.Args().First())
			if err != nil {
				return err
			}
			policy, ok := grade.PolicyByName(c.String("policy"))
			if !ok {
				return usageErr("--policy: unknown policy %q (known: %s)", c.String("policy"), strings.Join(grade.PolicyNames(), ", "))
			}
			store, err := openDBLocked(c)
			if err != nil {
				return err
			}
			defer store.Close()
			src, err := store.GetRun(c.Context, id)
			if err != nil {
				return usageErr("%v", err)
			}
			vendors, err := store.Vendors(c.Context, id)
			if err != nil {
				return runtimeErr(err)
			}
			problems, err := store.Problems(c.Context, id)
			if err != nil {
				return runtimeErr(err)
			}
			newID, err := store.CreateRun(c.Context, db.Run{
				ListName: src.ListName, InputPath: src.InputPath, InputSHA256: src.InputSHA256,
				Policy: policy.Name, PolicyVersion: policy.Version, ToolVersion: version,
				StartedAt: time.Now(), TotalDomains: src.TotalDomains, RegradedFrom: &id,
				// The evidence was gathered with the source run's settings.
				Settings: src.Settings,
			}, vendors, problems)
			if err != nil {
				return runtimeErr(err)
			}
			changed, total := 0, 0
			err = store.EachDomain(c.Context, id, func(r db.StoredDomain) error {
				g := grade.GradeDomain(r.Evidence, policy)
				total++
				if g.Grade != r.Grade.Grade {
					changed++
				}
				return store.SaveDomain(c.Context, newID, r.Evidence, &g)
			})
			if err != nil {
				return runtimeErr(err)
			}
			status := db.StatusCompleted
			if src.Status != db.StatusCompleted {
				status = src.Status
			}
			if err := store.FinishRun(c.Context, newID, status, time.Now()); err != nil {
				return runtimeErr(err)
			}
			if _, err := store.SealRun(c.Context, newID, time.Now()); err != nil {
				return runtimeErr(err)
			}
			// A regrade is compared with the run it re-grades.
			diff, err := store.ComputeDiff(c.Context, newID, &id, c.Int("expiry-warn"))
			if err != nil {
				return runtimeErr(err)
			}
			if err := store.SaveDiff(c.Context, newID, &id, diff); err != nil {
				return runtimeErr(err)
			}
			fmt.Fprintf(c.App.Writer, "run %d: run %d re-graded under %s %s; %d of %d domain grades changed\n",
				newID, id, policy.Name, policy.Version, changed, total)
			printChanges(c.Context, c.App.Writer, store, diff)
			return nil
		},
	}
}

func diffCommand() *cli.Command {
	return &cli.Command{
		Name:      "diff",
		Usage:     "show what changed between two runs (default: the latest completed run and the one before it)",
		ArgsUsage: "[RUN_A] [RUN_B]",
		Flags: []cli.Flag{dbFlag(),
			&cli.IntFlag{Name: "expiry-warn", Value: 30, Usage: "report certificates expiring within `DAYS`"},
			&cli.BoolFlag{Name: "json", Usage: "print as JSON"},
			&cli.StringFlag{Name: "fail-on", Usage: "exit 1 on `WHAT`: regression"},
		},
		Action: func(c *cli.Context) error {
			// Run ids are checked before the database is opened: a typo is
			// a usage error whatever --db holds.
			if c.NArg() > 2 {
				return usageErr("diff takes at most two run ids")
			}
			if err := checkExpiryWarn(c); err != nil {
				return err
			}
			for _, arg := range c.Args().Slice() {
				if _, err := parseRunID(arg); err != nil {
					return err
				}
			}
			store, err := openDB(c)
			if err != nil {
				return err
			}
			defer store.Close()
			var a, b int64
			switch c.NArg() {
			case 0:
				latest, err := store.LatestRun(c.Context, "", db.StatusCompleted)
				if errors.Is(err, db.ErrNotFound) {
					return usageErr("no completed run in %s", store.Path())
				} else if err != nil {
					return runtimeErr(err)
				}
				b = latest.ID
				prev, err := store.PreviousCompleted(c.Context, b, latest.ListName)
				if errors.Is(err, db.ErrNotFound) {
					return usageErr("run %d is the first completed run of list %q: nothing to compare with", b, latest.ListName)
				} else if err != nil {
					return runtimeErr(err)
				}
				a = prev.ID
			case 2:
				if a, err = parseRunID(c.Args().Get(0)); err != nil {
					return err
				}
				if b, err = parseRunID(c.Args().Get(1)); err != nil {
					return err
				}
			case 1:
				if b, err = parseRunID(c.Args().Get(0)); err != nil {
					return err
				}
				rb, err := store.GetRun(c.Context, b)
				if err != nil {
					return usageErr("%v", err)
				}
				prev, err := store.PreviousCompleted(c.Context, b, rb.ListName)
				if err != nil {
					return usageErr("run %d has no earlier completed run of list %q", b, rb.ListName)
				}
				a = prev.ID
			default:
				return usageErr("diff takes at most two run ids")
			}
			for _, id := range []int64{a, b} {
				if _, err := store.GetRun(c.Context, id); err != nil {
					return usageErr("%v", err)
				}
			}
			diff, err := store.StoredOrComputedDiff(c.Context, b, a, c.Int("expiry-warn"))
			if err != nil {
				return runtimeErr(err)
			}
			if c.Bool("json") {
				if err := writeIndented(c.App.Writer, diff); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(c.App.Writer, "changes from run %d to run %d: %d regressions, %d improvements\n", a, b, diff.Regressions, diff.Improvements)
				printChanges(c.Context, c.App.Writer, store, diff)
			}
			if c.String("fail-on") == "regression" && diff.Regressions+diff.Count(db.ChangeForcedLost) > 0 {
				return &exitError{code: exitThreshold, err: fmt.Errorf("%d regressions from run %d to run %d", diff.Regressions+diff.Count(db.ChangeForcedLost), a, b)}
			}
			return nil
		},
	}
}

// printChanges prints a diff: each vendor's change in one plain sentence
// (report.VendorChangesOf, as the reports word it), then every change
// per domain.
func printChanges(ctx context.Context, w io.Writer, store *db.DB, diff *db.Diff) {
	if len(diff.Changes) == 0 {
		if diff.HasBase {
			fmt.Fprintln(w, "  no changes")
		}
		return
	}
	// The sentences are a summary: if they cannot be made, the per-domain
	// changes below still say everything.
	if vcs, err := report.VendorChangesOf(ctx, store, diff, nil); err == nil {
		for _, vc := range vcs {
			fmt.Fprintf(w, "  %s\n", report.Clean(vc.Text))
		}
		if len(vcs) > 0 {
			fmt.Fprintln(w)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, ch := range diff.Changes {
		vendors := strings.Join(ch.Vendors, ", ")
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", report.Clean(ch.Domain), report.Clean(vendors), report.Clean(report.ChangeText(ch, nil)))
	}
	_ = tw.Flush()
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return runtimeErr(err)
	}
	return nil
}
