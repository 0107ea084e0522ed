package pdf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/report"
)

// capDomains is the size of the scaled report the per-vendor caps are
// checked on: a few thousand vendor rows, well past every default cap.
const capDomains = 3000

// plainRowsLeft is what a capped per-vendor table must say of the rows it
// leaves out, by a plain scan of the vendor table: how many, the worst
// grade among them (by the table's risk order) and how many regressed.
func plainRowsLeft(r *report.Report, shown int) (left int, worst string, regressed int) {
	best := -1
	for _, v := range r.Vendors[shown:] {
		left++
		if v.Regressed {
			regressed++
		}
		if rk := riskRank(&v); best < 0 || rk < best {
			best, worst = rk, v.Grade
		}
	}
	return left, worst, regressed
}

// TestVendorRowsCapScaled: at a few thousand vendor rows the vendor
// table, the sender-authentication table and the control matrix list the
// riskiest rows up to the cap and then say how many more rows there are,
// the worst grade among them and that the workbook and the JSON list
// every row; the riskiest rows are listed, the others are not.
func TestVendorRowsCapScaled(t *testing.T) {
	r := scaled(fx.second, capDomains)
	if len(r.Vendors) <= DefaultVendorRows {
		t.Fatalf("%d vendor rows: the scaled report should pass the default cap", len(r.Vendors))
	}
	tests := []struct {
		name  string
		limit int
		shown int
	}{
		{"default", 0, DefaultVendorRows},
		{"forty", 40, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p := render(t, r, Options{VendorRows: tc.limit})
			text := squash(p.allText())
			left, worst, regressed := plainRowsLeft(r, tc.shown)
			data := map[string]any{"Shown": tc.shown, "Left": left, "Total": len(r.Vendors), "Worst": worst, "Regressed": regressed}
			// The profile table is drawn when the control matrix does not
			// show the profiles; the fixture's matrix shows them.
			if want := prose(t, "vendors.limited", data); !strings.Contains(text, squash(want)) {
				t.Errorf("no paragraph %q", want)
			}
			// The control matrix lists the rows of the riskiest vendor rows.
			inMatrix := 0
			for _, c := range r.Programme.Controls {
				if slices.ContainsFunc(r.Vendors[:tc.shown], func(v report.VendorRow) bool { return v.Vendor == c.Vendor && v.Domain == c.Domain }) {
					inMatrix++
				}
			}
			if inMatrix == 0 || inMatrix == len(r.Programme.Controls) {
				t.Fatalf("%d of %d matrix rows among the riskiest: the fixture should have some on each side", inMatrix, len(r.Programme.Controls))
			}
			mdata := map[string]any{"Shown": inMatrix, "Left": len(r.Programme.Controls) - inMatrix, "Total": len(r.Programme.Controls),
				"Worst": worst, "Regressed": regressed}
			if want := prose(t, "controls.limited", mdata); !strings.Contains(text, squash(want)) {
				t.Errorf("no paragraph %q", want)
			}
			if !strings.Contains(text, squash("graded "+worst+" or better")) && worst != "?" && worst != "N/A" {
				t.Errorf("the rows left out are not said to be graded %s or better", worst)
			}
			// The last row shown is in the table, the first row left out
			// is not (the domains are numbered, so each is unique).
			lines := bodyLines(p)
			table := strings.Join(linesAfter(t, lines, prose(t, "vendors.title", nil), prose(t, "remediation.title", nil)), "\n")
			// A domain may wrap in its cell: its copy number, "v00042-",
			// stays on the first line.
			copyOf := func(domain string) string { c, _, _ := strings.Cut(domain, "-"); return c + "-" }
			if last := copyOf(r.Vendors[tc.shown-1].Domain); !strings.Contains(table, last) {
				t.Errorf("the last row within the cap, %s…, is not in the vendor table", last)
			}
			if next := copyOf(r.Vendors[tc.shown].Domain); strings.Contains(table, next) {
				t.Errorf("the first row past the cap, %s…, is in the vendor table", next)
			}
		})
	}
}

// TestVendorRowsUncapped: with no cap, or a cap above the rows, no
// paragraph says rows are left out.
func TestVendorRowsUncapped(t *testing.T) {
	for _, limit := range []int{-1, 0} {
		_, p := render(t, fx.second, Options{VendorRows: limit})
		text := squash(p.allText())
		for _, key := range []string{"vendors.limited", "profiles.limited", "controls.limited"} {
			// The first sentence is the same for any figures but Shown and Total.
			want := prose(t, key, map[string]any{"Shown": len(fx.second.Vendors), "Left": 0, "Total": len(fx.second.Vendors), "Worst": "A",
				"Regressed": 0})
			first, _, _ := strings.Cut(want, ".")
			if strings.Contains(text, squash(first)) {
				t.Errorf("limit %d: %s shown for a table within its cap", limit, key)
			}
		}
	}
}

// TestPagesBoundedInVendors: ten times the vendors adds no more than a
// few pages: every section that grows with the list is capped. The
// bound is on pages, not time.
func TestPagesBoundedInVendors(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a report of thousands of domains")
	}
	// Small caps keep the test quick; both sizes put copies of the same
	// fixture vendor in every capped table (the copies of a vendor are
	// adjacent in the risk order), so the pages differ only by what the
	// caps let grow.
	opt := Options{VendorRows: 30, AppendixDomains: 10, RemediationVendors: 20, ChangeRows: 30}
	small := 40 * len(fx.second.Domains)
	big := 10 * small
	pages := func(n int) int {
		var c pageCounter
		if err := Write(&c, scaled(fx.second, n), opt); err != nil {
			t.Fatal(err)
		}
		return c.pages
	}
	ps, pb := pages(small), pages(big)
	t.Logf("%d domains: %d pages; %d domains: %d pages", small, ps, big, pb)
	if pb > ps+maxExtraPages {
		t.Errorf("%d pages at %d domains, %d at %d: more than %d pages more for ten times the vendors", pb, big, ps, small, maxExtraPages)
	}
}

// maxExtraPages is how many more pages ten times the vendors may take:
// every table that grows with the list is capped, and so is its length.
const maxExtraPages = 3

// TestProfileControlsCountedOnce: the failing profile controls the model
// counted while building the report are those a walk over every domain
// view counts (the fallback for a report read from older JSON).
func TestProfileControlsCountedOnce(t *testing.T) {
	r := fx.second
	if len(r.Summary.ProfileControls) == 0 {
		t.Fatal("the fixture has no failing profile control")
	}
	c := *r
	c.Summary.ProfileControls = nil
	got, err := report.ProfileControlsOf(&c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r.Summary.ProfileControls) {
		t.Errorf("walked:\n%+v\nbuilt:\n%+v", got, r.Summary.ProfileControls)
	}
}

// TestSpooledReport: a report whose rows stay in the builder's spool
// (nothing loaded into its slices) renders the same document and the same
// letters as the same report in memory: every section reads the rows
// through the iterators, nested queries included.
func TestSpooledReport(t *testing.T) {
	if len(fx.spooled.Vendors) != 0 || len(fx.spooled.Findings) != 0 || fx.spooled.VendorCount() != len(fx.second.Vendors) {
		t.Fatalf("spooled report holds %d rows and counts %d; in memory %d", len(fx.spooled.Vendors),
			fx.spooled.VendorCount(), len(fx.second.Vendors))
	}
	for _, opt := range []Options{{}, {VendorRows: 3, AppendixDomains: 2, RemediationVendors: 2, ChangeRows: 4}} {
		var a, b bytes.Buffer
		if err := Write(&a, fx.spooled, opt); err != nil {
			t.Fatal(err)
		}
		if err := Write(&b, fx.second, opt); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%+v: the spooled report renders %d bytes, in memory %d, not the same", opt, a.Len(), b.Len())
		}
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	pa, err := WriteLetters(dirA, fx.spooled, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := WriteLetters(dirB, fx.second, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pa) != len(pb) || len(pa) == 0 {
		t.Fatalf("%d letters spooled, %d in memory", len(pa), len(pb))
	}
	for i := range pa {
		a, errA := os.ReadFile(pa[i])
		b, errB := os.ReadFile(pb[i])
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if filepath.Base(pa[i]) != filepath.Base(pb[i]) || !bytes.Equal(a, b) {
			t.Errorf("letter %d: %s differs from %s", i, pa[i], pb[i])
		}
	}
}

// TestNotAuditedCapped: the executive summary names the first vendors not
// audited and counts the others.
func TestNotAuditedCapped(t *testing.T) {
	r := *fx.second
	const n = summaryNotAudited + 5
	r.Summary.NotAudited = nil
	for i := range n {
		r.Summary.NotAudited = append(r.Summary.NotAudited, report.NotAudited{Vendor: fmt.Sprintf("Unreached %02d", i), Reason: "no answer"})
	}
	_, p := render(t, &r, Options{})
	text := squash(p.allText())
	for i := range n {
		if got, want := strings.Contains(text, squash(fmt.Sprintf("Unreached %02d: no answer", i))), i < summaryNotAudited; got != want {
			t.Errorf("vendor %d named = %v, want %v", i, got, want)
		}
	}
	if want := prose(t, "summary.not_audited_more", map[string]any{"Left": n - summaryNotAudited}); !strings.Contains(text, squash(want)) {
		t.Errorf("no line %q", want)
	}
}
