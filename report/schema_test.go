package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/reporttest"
)

// TestReportConformsToSchema: the JSON reports of both fixture runs (a
// first run and one with a base, changes and hostile strings) conform to
// the embedded schema, and the schema is closed: an unknown field, a
// wrong type or a missing required field is refused.
func TestReportConformsToSchema(t *testing.T) {
	path, run1, run2, err := reporttest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var second []byte
	for _, id := range []int64{run1, run2} {
		r, err := report.Build(context.Background(), store, id, report.Options{Org: report.Org{Name: "Test", Frameworks: []string{"HIPAA"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.LoadRows(); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := report.WriteJSON(&buf, r); err != nil {
			t.Fatal(err)
		}
		if err := report.Validate("report", buf.Bytes()); err != nil {
			t.Fatalf("run %d: %v", id, err)
		}
		second = buf.Bytes()
	}

	mutate := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(second, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	firstAddress := func(m map[string]any) map[string]any {
		d := m["domains"].([]any)
		for _, dv := range d {
			for _, mx := range dv.(map[string]any)["mx"].([]any) {
				if as := mx.(map[string]any)["addresses"].([]any); len(as) > 0 {
					return as[0].(map[string]any)
				}
			}
		}
		t.Fatal("no address in the fixture report")
		return nil
	}
	for name, doc := range map[string][]byte{
		"unknown top-level field": mutate(func(m map[string]any) { m["extra"] = 1 }),
		"unknown address field":   mutate(func(m map[string]any) { firstAddress(m)["colour"] = "red" }),
		"grade of wrong type":     mutate(func(m map[string]any) { firstAddress(m)["score"] = "high" }),
		"missing explanation":     mutate(func(m map[string]any) { delete(firstAddress(m), "grade_explanation") }),
		"other schema version":    mutate(func(m map[string]any) { m["schema_version"] = 1 }),
		"bad time":                mutate(func(m map[string]any) { m["generated_at"] = "yesterday" }),
	} {
		if err := report.Validate("report", doc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSampleReportConformsToSchema: the example report shipped in
// samples/reports conforms, once it has been regenerated at the current
// schema version (make demo).
func TestSampleReportConformsToSchema(t *testing.T) {
	path := filepath.Join("..", "samples", "reports", "example-report.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		SchemaVersion int `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		t.Fatal(err)
	}
	if head.SchemaVersion != report.SchemaVersion {
		t.Skipf("%s is schema %d, not %d: regenerate the samples (make demo)", path, head.SchemaVersion, report.SchemaVersion)
	}
	if err := report.Validate("report", b); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestSchemaNames: every named schema is a draft 2020-12 document and
// an unknown name is an error.
func TestSchemaNames(t *testing.T) {
	for _, n := range report.SchemaNames() {
		b, err := report.Schema(n)
		if err != nil || !strings.Contains(string(b), `"$schema": "https://json-schema.org/draft/2020-12/schema"`) {
			t.Errorf("schema %s: %v", n, err)
		}
	}
	if _, err := report.Schema("nope"); err == nil {
		t.Error("unknown schema name accepted")
	}
}
