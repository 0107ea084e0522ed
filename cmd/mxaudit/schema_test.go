package main

import (
	"encoding/json"
	"testing"

	"github.com/mxaudit/mxaudit/report"
)

// TestSchemaCommand: `mxaudit schema` prints the report's schema, `schema
// scan` the scan's, each the embedded document; another name is a usage
// error.
func TestSchemaCommand(t *testing.T) {
	for args, name := range map[string]string{"": "report", "report": "report", "scan": "scan"} {
		argv := []string{"schema"}
		if args != "" {
			argv = append(argv, args)
		}
		code, out, stderr := runCLI(t, argv...)
		if code != exitOK {
			t.Fatalf("schema %s: exit %d: %s", args, code, stderr)
		}
		want, err := report.Schema(name)
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) || !json.Valid([]byte(out)) {
			t.Errorf("schema %s printed %d bytes, want the %s schema (%d bytes)", args, len(out), name, len(want))
		}
	}
	if code, _, _ := runCLI(t, "schema", "letters"); code != exitUsage {
		t.Errorf("schema letters: exit %d, want %d", code, exitUsage)
	}
}
