package pdf

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mxaudit/mxaudit/report"
)

// sampleReport is the demo's run-2 report as make demo wrote it
// (samples/reports/example-report.json): 20 vendors on 20 domains with
// shared providers, every kind of finding and the programme. It is the
// fleet-sized fixture of the page budget.
var sampleReport = sync.OnceValues(func() (*report.Report, error) {
	f, err := os.Open(filepath.Join("..", "..", "samples", "reports", "example-report.json"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return report.ReadJSON(f)
})

// fleetPageBudget is the most pages the demo's run-2 PDF may take
// (issue 12: "no more than 35 pages", the same facts).
const fleetPageBudget = 35

// TestFleetPageBudget: the demo fleet's report fits the page budget, with
// no stranded heading and no clipped or overlapping text.
func TestFleetPageBudget(t *testing.T) {
	r, err := sampleReport()
	if err != nil {
		t.Fatalf("sample report: %v", err)
	}
	if len(r.Vendors) < 15 {
		t.Fatalf("the sample report has %d vendor rows: not the fleet", len(r.Vendors))
	}
	rd, p, _ := drawn(t, r, Options{})
	t.Logf("%d pages for %d vendor rows", len(p.pages), len(r.Vendors))
	if len(p.pages) > fleetPageBudget {
		t.Errorf("%d pages, want at most %d", len(p.pages), fleetPageBudget)
	}
	checkLayout(t, p)
	for _, m := range rd.marks {
		if m.bottom+minFollow > bodyBottom+0.01 {
			t.Errorf("heading %q on page %d ends at %.1f mm: no room for two lines", m.title, m.page, m.bottom)
		}
	}
}
