package templates

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// MethodologyFile is the embedded file with the report's methodology prose.
const MethodologyFile = "methodology.json"

// Methodology is the prose of the report's methodology section.
type Methodology struct {
	// Checks explain each column of the results table, by check name.
	Checks []CheckText `json:"checks"`
	// Grading, Limits and Scope are paragraphs.
	Grading []string `json:"grading"`
	Limits  []string `json:"limits"`
	Scope   []string `json:"scope"`
}

// CheckText explains one check.
type CheckText struct {
	Name    string `json:"name"`
	Label   string `json:"label"`
	Meaning string `json:"meaning"`
}

// LoadMethodology returns the methodology prose: dir's methodology.json when
// dir is set and holds one, else the embedded text.
func LoadMethodology(dir string) (Methodology, error) {
	var m Methodology
	b, err := embedded.ReadFile(MethodologyFile)
	if err != nil {
		return m, err
	}
	if dir != "" {
		if ob, err := os.ReadFile(filepath.Join(dir, MethodologyFile)); err == nil {
			b = ob
		} else if !os.IsNotExist(err) {
			return m, err
		}
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", MethodologyFile, err)
	}
	return m, nil
}
