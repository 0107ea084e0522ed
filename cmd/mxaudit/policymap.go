package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/policymap"
)

func policyMapCommand() *cli.Command {
	var names []string
	for _, f := range policymap.PolicyFormats() {
		names = append(names, string(f))
	}
	return &cli.Command{
		Name:      "policy-map",
		Usage:     "print the TLS policy table that makes your mail server require TLS to vendors",
		ArgsUsage: "[RUN]",
		Description: `Writes, from a stored run (default: the latest completed run), the table a
sending mail server uses to require TLS to each vendor domain eligible for
Forced TLS:

   encrypt     TLS required (every MX offers TLS 1.0+ with a NIST-listed suite)
   verify      TLS required and the certificate verified: every MX address
               presented a trusted, unexpired certificate naming its host
   dane-only   TLS authenticated by DANE: DNSSEC-signed MX records and valid
               DANE on every MX host

Each line is preceded by a comment with the vendors, the grade and the date
the line rests on; the domains left out are listed, with the reason, in a
comment block at the end. The header says how to install the table.

EXAMPLES
   mxaudit policy-map --format postfix > /etc/postfix/tls_policy && postmap /etc/postfix/tls_policy
   mxaudit policy-map --format exim --out /etc/exim4/mxaudit-tls-policy 12`,
		Flags: []cli.Flag{dbFlag(),
			&cli.StringFlag{Name: "format", Value: string(policymap.PolicyPostfix), Usage: "mail server `NAME`: " + strings.Join(names, " or ")},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write to `FILE` (atomically) instead of standard output"},
		},
		Action: policyMapAction,
	}
}

func policyMapAction(c *cli.Context) error {
	if c.NArg() > 1 {
		return usageErr("policy-map takes at most one run id (see mxaudit runs)")
	}
	format := policymap.PolicyFormat(strings.ToLower(c.String("format")))
	if !slices.Contains(policymap.PolicyFormats(), format) {
		return usageErr("--format: unknown mail server %q (postfix or exim)", c.String("format"))
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
	if run.Status != db.StatusCompleted {
		fmt.Fprintf(c.App.ErrWriter, "mxaudit: run %d is %s: the map covers only the %d of %d domains it stored\n",
			run.ID, run.Status, run.Done, run.TotalDomains)
	}
	r, err := buildReport(c.Context, store, run.ID, &reportSettings{expiryWarn: defaultExpiryWarn})
	if err != nil {
		return err
	}
	defer r.Close()
	write := func(w io.Writer) error { return policymap.WritePolicyMap(w, r, format) }
	if p := c.String("out"); p != "" && p != "-" {
		if err := report.WriteFileAtomic(p, write); err != nil {
			return runtimeErr(err)
		}
		fmt.Fprintf(c.App.ErrWriter, "wrote %s\n", p)
		return nil
	}
	if err := write(c.App.Writer); err != nil {
		return runtimeErr(err)
	}
	return nil
}
