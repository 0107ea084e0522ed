// Command mxaudit audits how securely the inbound mail servers of a list of
// domains accept email over TLS, and reports it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"
)

// Exit codes, documented in --help so a cron job can act on them.
const (
	exitOK          = 0
	exitThreshold   = 1 // --fail-under or --fail-on was triggered
	exitUsage       = 2 // bad flags, arguments or input file
	exitRuntime     = 3 // the run could not be carried out (DNS unusable, nothing audited, database locked or newer...)
	exitDelivery    = 4 // the run and its reports are stored, but --mail-to or --notify failed
	exitInterrupted = 130
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries an exit code through urfave/cli to main.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func runtimeErr(err error) error { return &exitError{code: exitRuntime, err: err} }

func main() {
	setMemoryLimit()
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run is main without the exit, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "mxaudit: interrupted")
		return exitInterrupted
	}
	fmt.Fprintln(stderr, "mxaudit:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	// urfave/cli reports unknown flags and commands as plain errors.
	return exitUsage
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:    "mxaudit",
		Usage:   "audit how securely vendors' mail servers accept email over TLS",
		Version: version,
		Description: `mxaudit looks up each domain's mail servers (MX), connects to every
address on the SMTP port, and records what it sees: the SMTP greeting,
STARTTLS, every protocol version from SSLv2 to TLS 1.3, every cipher suite
the server accepts and its preference, key-exchange strength and the
certificate. A policy then grades each mail server and the domain (its worst
server) from A+ to F, decides Forced-TLS eligibility and lists what to fix.

The scanner is polite: it never sends MAIL, RCPT or DATA, always QUITs,
holds at most --per-host connections to one address, and probes an address
shared by many domains once per run.

EXIT CODES
   0    the run completed and audited at least one domain (whatever the
        grades), and no threshold below was hit
   1    a threshold was hit: --fail-under (a domain graded below it) or
        --fail-on regression
   2    usage or input error, before any network work: a bad flag value,
        a list that cannot be read or has no usable row or too many rows,
        a template or config that does not parse
   3    the run could not be carried out: the DNS resolver does not answer,
        nothing could be audited (the run is stored as failed; --resume
        finishes it), the database is in use, newer or unreadable, or the
        reports could not be written
   4    run --mail-to or --notify failed; the run and its reports are stored
        (outranks 1: a threshold hit is then reported on standard error)
   130  interrupted (Ctrl-C or SIGTERM); --resume completes the run

ENVIRONMENT
   MXAUDIT_NOW  the time mxaudit takes as now (RFC 3339 or YYYY-MM-DD) for run
                dates, deadlines and exceptions: for demos and tests
   GOMEMLIMIT   soft memory limit of the Go runtime (default here 384MiB:
                the collector works harder near it; "off" for none)`,
		Writer:               stdout,
		ErrWriter:            stderr,
		HideHelpCommand:      true,
		EnableBashCompletion: true,
		ExitErrHandler:       func(*cli.Context, error) {}, // run() decides the exit code
		Commands: []*cli.Command{
			scanCommand(),
			runCommand(),
			runsCommand(),
			historyCommand(),
			diffCommand(),
			reportCommand(),
			policyMapCommand(),
			regradeCommand(),
			checksCommand(),
			suitesCommand(),
			exceptionCommand(),
			letterCommand(),
			schemaCommand(),
			verifyCommand(),
			keygenCommand(),
		},
	}
}
