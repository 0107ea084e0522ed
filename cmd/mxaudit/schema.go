package main

import (
	"github.com/urfave/cli/v2"

	"github.com/mxaudit/mxaudit/report"
)

// schemaCommand prints the JSON Schema of the JSON report, or of
// `scan --json`, so consumers can validate what they read.
func schemaCommand() *cli.Command {
	return &cli.Command{
		Name:      "schema",
		Usage:     "print the JSON Schema (draft 2020-12) of the JSON report, or of scan --json",
		ArgsUsage: "[report|scan]",
		Description: `Prints the JSON Schema of what mxaudit writes: "report" (the default) for
report --format json, "scan" for scan --json. Every object of the schema is
closed (additionalProperties: false), so a document with a field the
schema does not know is refused.`,
		Action: func(c *cli.Context) error {
			name := "report"
			switch c.NArg() {
			case 0:
			case 1:
				name = c.Args().First()
			default:
				return usageErr("schema: at most one argument (report or scan)")
			}
			b, err := report.Schema(name)
			if err != nil {
				return usageErr("schema: %v", err)
			}
			_, err = c.App.Writer.Write(b)
			return err
		},
	}
}
