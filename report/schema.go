package report

import (
	"bytes"
	"embed"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemas holds the JSON Schemas (draft 2020-12) of what mxaudit writes.
// They are generated from the Go types (TestSchemaCurrent in schema_test.go
// regenerates them with -update) and every object is closed
// (additionalProperties: false), so a field added to a type without the
// schema fails the tests.
//
//go:embed schema/report.schema.json schema/scan.schema.json
var schemas embed.FS

// SchemaNames lists the documents Schema knows: "report" (the JSON report)
// and "scan" (`mxaudit scan --json`).
func SchemaNames() []string { return []string{"report", "scan"} }

// Schema returns the JSON Schema of a document mxaudit writes: "report"
// for the JSON report (Report, schema_version SchemaVersion), "scan" for
// `mxaudit scan --json` (ScanDocument).
func Schema(name string) ([]byte, error) {
	switch name {
	case "report", "scan":
		return schemas.ReadFile("schema/" + name + ".schema.json")
	}
	return nil, fmt.Errorf("no schema %q (known: report, scan)", name)
}

// Validate checks a document against the named schema (see Schema) and
// returns every way it departs from it; nil when it conforms. It reads the
// document whole; the JSON report of a 10,000-domain run is tens of MB.
func Validate(name string, doc []byte) error {
	raw, err := Schema(name)
	if err != nil {
		return err
	}
	s, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("schema %s: %w", name, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := name + ".schema.json"
	if err := c.AddResource(url, s); err != nil {
		return fmt.Errorf("schema %s: %w", name, err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return fmt.Errorf("schema %s: %w", name, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("does not conform to the %s schema: %w", name, err)
	}
	return nil
}
