package grade_test

import (
	"slices"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/templates"
)

// TestInTransitCitations: every in-transit encryption finding cites the
// in-transit rule of each framework (HIPAA, GLBA, NYDFS, PCI DSS), so the
// report shows each one the config names.
func TestInTransitCitations(t *testing.T) {
	set, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range grade.InTransitCodes() {
		txt, err := set.Finding(code, nil)
		if err != nil {
			t.Errorf("%s: %v", code, err)
			continue
		}
		for _, cite := range grade.InTransitCitations() {
			if !slices.Contains(txt.Standards, cite) {
				t.Errorf("%s does not cite %s (cites %v)", code, cite, txt.Standards)
			}
		}
	}
}
