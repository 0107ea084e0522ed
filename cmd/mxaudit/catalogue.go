package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/tlsprobe"
)

func checksCommand() *cli.Command {
	return &cli.Command{
		Name:  "checks",
		Usage: "list every finding the default policy can report, with its wording and the arguments its templates may use",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "templates", Usage: "`DIR` whose files override the built-in wording"},
			&cli.BoolFlag{Name: "phrases", Usage: "list the phrases (templates/phrases.json) and the arguments each may use instead"},
		},
		Action: func(c *cli.Context) error {
			texts, err := loadTemplates(c.String("templates"))
			if err != nil {
				return usageErr("--templates: %v", err)
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			if c.Bool("phrases") {
				// The arguments a phrase of DIR/phrases.json may use;
				// "items" is the list of phrases worded inside it.
				fmt.Fprintln(tw, "PHRASE\tARGUMENTS")
				for _, code := range grade.PhraseCodes() {
					fmt.Fprintf(tw, "%s\t%s\n", code, strings.Join(grade.PhraseParams(code), ","))
				}
				return tw.Flush()
			}
			// ARGUMENTS are the facts a --templates override may use in
			// the code's message and remediation ({{.host}}...); an
			// argument worded from a phrase names it ("reasons=
			// mtasts_enforce.reasons": see checks --phrases).
			fmt.Fprintln(tw, "CODE\tTITLE\tARGUMENTS\tSTANDARDS")
			for _, code := range texts.Codes() {
				t, err := texts.Finding(code, nil)
				if err != nil {
					return runtimeErr(err)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", code, t.Title, strings.Join(argumentNames(code), ","), strings.Join(t.Standards, "; "))
			}
			return tw.Flush()
		},
	}
}

// argumentNames lists the arguments of a finding code for checks: each
// name, and for one worded from a phrase, name=phrase.
func argumentNames(code string) []string {
	ps := grade.Params(code)
	for i, p := range ps {
		if head := grade.PhraseArg(code, p); head != "" {
			ps[i] = p + "=" + head
		}
	}
	return ps
}

func suitesCommand() *cli.Command {
	return &cli.Command{
		Name:  "suites",
		Usage: "list the cipher suites mxaudit tests, with the flags the grader uses",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "sslv2", Usage: "list the SSLv2 cipher specs instead"}},
		Action: func(c *cli.Context) error {
			suites := tlsprobe.Suites()
			if c.Bool("sslv2") {
				suites = tlsprobe.SSLv2Specs()
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "CODE\tIANA NAME\tOPENSSL\tKX\tBITS\tFLAGS")
			for _, s := range suites {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", s.Code, s.Name, s.OpenSSL, s.Kx, s.Bits, flagList(s.Flags))
			}
			return tw.Flush()
		},
	}
}

func flagList(f evidence.SuiteFlags) string {
	var out []string
	add := func(on bool, name string) {
		if on {
			out = append(out, name)
		}
	}
	add(f.Export, "export")
	add(f.Null, "null")
	add(f.Anon, "anon")
	add(f.RC2, "rc2")
	add(f.RC4, "rc4")
	add(f.DES, "des")
	add(f.TripleDES, "3des")
	add(f.MD5, "md5")
	add(f.AEAD, "aead")
	add(f.ForwardSecret, "fs")
	add(f.TLS13Only, "tls13")
	return strings.Join(out, ",")
}
