package report_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
)

// genFleet stores two runs of a list of n domains spread over pools
// provider pools (the reporttest fleet's evidence under other names, as
// BenchmarkHistory makes them), one domain in historyChangeRate moving
// pool between the runs, and returns the database's path and the second
// run's id.
func genFleet(t *testing.T, tmpl templates, n, pools int) (string, int64) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fleet.db")
	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	owners := []string{"Alice", "bob", "", "Carol", "alice"}
	vendors := make([]db.VendorRow, n)
	for i := range vendors {
		name := fmt.Sprintf("Vendor %06d", (i*7919)%(n/2+1))
		if i%11 == 0 {
			name = strings.ToUpper(name) // differs from another vendor in case only
		}
		vendors[i] = db.VendorRow{Vendor: name, Domain: historyDomain(i),
			Owner: owners[i%len(owners)], Tier: []string{"1", "Tier 2", "", "high"}[i%4], Row: i + 2}
	}
	policy := grade.Default()
	start := time.Date(2026, time.January, 3, 2, 0, 0, 0, time.UTC)
	var id int64
	for k := 0; k < 2; k++ {
		at := start.AddDate(0, k, 0)
		if id, err = store.CreateRun(ctx, db.Run{ListName: "vendors.csv", Policy: policy.Name, PolicyVersion: policy.Version,
			ToolVersion: "test", StartedAt: at, TotalDomains: n}, vendors, nil); err != nil {
			t.Fatal(err)
		}
		graded := map[int]*grade.DomainGrade{}
		batch := make([]db.Result, 0, 500)
		for i := 0; i < n; i++ {
			p := (i*7 + k*(i%historyChangeRate/(historyChangeRate-1))*13) % pools
			ev := tmpl.domain(p, historyDomain(i), at)
			g, ok := graded[p]
			if !ok {
				gg := grade.GradeDomain(ev, policy)
				g = &gg
				graded[p] = g
			}
			batch = append(batch, db.Result{Evidence: ev, Grade: renamedGrade(g, ev.Domain)})
			if len(batch) == cap(batch) || i == n-1 {
				if err := store.SaveDomains(ctx, id, batch); err != nil {
					t.Fatal(err)
				}
				batch = batch[:0]
			}
		}
		if err := store.FinishRun(ctx, id, db.StatusCompleted, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		// The diff is stored with the run, as mxaudit run stores it.
		var base *int64
		if prev, err := store.PreviousCompleted(ctx, id, "vendors.csv"); err == nil {
			base = &prev.ID
		}
		d, err := store.ComputeDiff(ctx, id, base, 30)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.SaveDiff(ctx, id, base, d); err != nil {
			t.Fatal(err)
		}
	}
	return path, id
}

func fleetTemplates(t *testing.T) templates {
	t.Helper()
	tmpl, err := historyTemplates(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// spoolFiles lists the report spools in dir.
func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "mxaudit-spool-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// walk lists, as JSON, every row each iterator yields for every query the
// iterators serve: the spool's answers and the slices' must be the same.
func walk(t *testing.T, r *report.Report, domains, codes, vendorNames []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	var vqs []report.VendorQuery
	for _, o := range []report.VendorOrder{report.ByRisk, report.ByOwner} {
		vqs = append(vqs, report.VendorQuery{Order: o})
		for _, d := range domains {
			vqs = append(vqs, report.VendorQuery{Order: o, Domain: d})
		}
		for _, v := range vendorNames {
			vqs = append(vqs, report.VendorQuery{Order: o, Vendor: v})
		}
	}
	for _, q := range vqs {
		var rows []report.VendorRow
		if err := r.EachVendor(q, func(v *report.VendorRow) error { rows = append(rows, *v); return nil }); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("vendors %+v", q)] = mustJSON(t, rows)
	}
	var fqs []report.FindingQuery
	for _, o := range []report.FindingOrder{report.BySeverity, report.ByCode, report.ByDeadline} {
		for _, f := range []report.FindingQuery{{}, {Open: true}, {Accepted: true}} {
			f.Order = o
			fqs = append(fqs, f)
			for _, d := range domains {
				g := f
				g.Domain = d
				fqs = append(fqs, g)
			}
			for _, c := range codes {
				g := f
				g.Code = c
				fqs = append(fqs, g)
			}
		}
	}
	for _, q := range fqs {
		var rows []report.Finding
		if err := r.EachFinding(q, func(f *report.Finding) error { rows = append(rows, *f); return nil }); err != nil {
			t.Fatal(err)
		}
		n, err := r.CountFindings(q)
		if err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("findings %+v", q)] = fmt.Sprintf("%d %s", n, mustJSON(t, rows))
	}
	var changes []report.Change
	if err := r.EachChange(func(c *report.Change) error { changes = append(changes, *c); return nil }); err != nil {
		t.Fatal(err)
	}
	out["changes"] = fmt.Sprintf("%d %s", r.ChangeCount(), mustJSON(t, changes))
	var vcs []report.VendorChange
	if err := r.EachVendorChange(func(c *report.VendorChange) error { vcs = append(vcs, *c); return nil }); err != nil {
		t.Fatal(err)
	}
	out["vendor changes"] = fmt.Sprintf("%d %s", r.VendorChangeCount(), mustJSON(t, vcs))
	var controls []report.VendorControls
	if err := r.EachControl(func(c *report.VendorControls) error { controls = append(controls, *c); return nil }); err != nil {
		t.Fatal(err)
	}
	out["controls"] = fmt.Sprintf("%d %s", r.ControlCount(), mustJSON(t, controls))
	out["counts"] = fmt.Sprint(r.VendorCount(), r.FindingCount())
	return out
}

// TestSpoolMatchesMemory: a report built from a generated database walks
// the same rows in the same order from its spool as from its slices
// (LoadRows, served by the in-memory iterators), for every query; the
// model's orders are those Build sorted the slices in; the spool is
// removed on Close.
func TestSpoolMatchesMemory(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	path, run := genFleet(t, fleetTemplates(t), 300, 7)
	ctx := context.Background()
	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	opt := report.Options{Org: report.Org{Frameworks: []string{"HIPAA", "PCI DSS"}}, ToolVersion: "test"}
	spooled, err := report.Build(ctx, store, run, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(spooled.Vendors)+len(spooled.Findings)+len(spooled.Changes)+len(spooled.VendorChanges) != 0 ||
		spooled.Programme == nil || len(spooled.Programme.Controls) != 0 {
		t.Fatal("a built report holds rows in its slices")
	}
	if got := spoolFiles(t, tmp); len(got) != 1 {
		t.Fatalf("spools in TMPDIR while the report is open: %v", got)
	}
	mem, err := report.Build(ctx, store, run, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := mem.LoadRows(); err != nil {
		t.Fatal(err)
	}
	if len(mem.Vendors) != 300 || len(mem.Findings) == 0 || len(mem.Changes) == 0 || len(mem.Programme.Controls) == 0 {
		t.Fatalf("fleet too thin to compare: %d vendor rows, %d findings, %d changes, %d controls",
			len(mem.Vendors), len(mem.Findings), len(mem.Changes), len(mem.Programme.Controls))
	}
	// The model's orders, as Build sorted them in memory.
	if !sort.SliceIsSorted(mem.Vendors, func(i, j int) bool { return report.RiskLess(mem.Vendors[i], mem.Vendors[j]) }) {
		t.Error("vendor rows not in risk order")
	}
	if !sort.SliceIsSorted(mem.Findings, func(i, j int) bool {
		a, b := mem.Findings[i], mem.Findings[j]
		return a.SeverityNum > b.SeverityNum || a.SeverityNum == b.SeverityNum && a.Domain < b.Domain
	}) {
		t.Error("findings not most severe first, then by domain")
	}
	domains := []string{historyDomain(0), historyDomain(1), historyDomain(157), "absent.example"}
	codes := map[string]bool{}
	for _, f := range mem.Findings {
		codes[f.Code] = true
	}
	var codeList []string
	for c := range codes {
		codeList = append(codeList, c)
	}
	sort.Strings(codeList)
	vendorNames := []string{mem.Vendors[0].Vendor, mem.Vendors[len(mem.Vendors)-1].Vendor}
	want := walk(t, mem, domains, codeList, vendorNames)
	got := walk(t, spooled, domains, codeList, vendorNames)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: spool and memory differ\nspool  %.300s\nmemory %.300s", k, got[k], w)
		}
	}
	// Both reports write the same JSON once the spooled one is loaded.
	if err := spooled.LoadRows(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(mustJSON(t, spooled), mustJSON(t, mem)) {
		t.Error("loaded spooled report differs from the in-memory one")
	}
	for _, r := range []*report.Report{spooled, mem} {
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if got := spoolFiles(t, tmp); len(got) != 0 {
		t.Errorf("spools left after Close: %v", got)
	}
}

// TestSpoolRemovedOnFailedBuild: a build that fails after its spool was
// made removes it.
func TestSpoolRemovedOnFailedBuild(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	path, run := genFleet(t, fleetTemplates(t), 20, 3)
	ctx := context.Background()
	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// The domains' evidence goes unreadable: the build fails while it
	// walks them, after its spool was made.
	if err := corruptEvidence(path, run); err != nil {
		t.Fatal(err)
	}
	if _, err := report.Build(ctx, store, run, report.Options{}); err == nil {
		t.Fatal("Build of unreadable evidence succeeded")
	}
	store.Close()
	if got := spoolFiles(t, tmp); len(got) != 0 {
		t.Errorf("spools left after a failed Build: %v", got)
	}
}

// TestBuildHeapFlat: what a built report holds in memory does not grow
// with the domains of the run: a run ten times larger on the same
// addresses holds about the same live heap after Build returns, and
// Build's peak live heap while it works (sampled, each sample after a
// collection) grows by a few KB per domain at most.
func TestBuildHeapFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("generates two runs of 4,000 domains")
	}
	tmpl := fleetTemplates(t)
	live := func(n int) (held, peak uint64) {
		path, run := genFleet(t, tmpl, n, 40)
		ctx := context.Background()
		store, err := db.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		stop, sampled := make(chan struct{}), make(chan uint64)
		go func() {
			var max uint64
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				var ms runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms)
				max = maxU(max, ms.HeapAlloc)
				select {
				case <-stop:
					sampled <- max
					return
				case <-tick.C:
				}
			}
		}()
		r, err := report.Build(ctx, store, run, report.Options{Org: report.Org{Frameworks: []string{"HIPAA"}}})
		close(stop)
		top := <-sampled
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(r)
		if after.HeapAlloc > before.HeapAlloc {
			held = after.HeapAlloc - before.HeapAlloc
		}
		if top > before.HeapAlloc {
			peak = top - before.HeapAlloc
		}
		return held, peak
	}
	small, smallPeak := live(400)
	large, largePeak := live(4000)
	t.Logf("live heap held by a built report: %d KB at 400 domains, %d KB at 4,000", small>>10, large>>10)
	t.Logf("peak live heap while building: %d KB at 400 domains, %d KB at 4,000", smallPeak>>10, largePeak>>10)
	// Before the spool a report held about 12 KB per domain (125 MB at
	// 10,000): 3,600 more domains would hold some 45 MB more. What may
	// grow is bounded by the addresses (40 pools here) and the changes.
	if large > small+2<<20 {
		t.Errorf("live heap grows with the domains: %d KB at 400, %d KB at 4,000", small>>10, large>>10)
	}
	// While building, the pass holds a bounded window of decoded domains
	// and keeps each domain's facts in the spool; what still grows is the
	// vendor list, the per-domain names, digests and vendors, and the
	// programme's evaluation of the run's findings against their history
	// (in memory, some 3 KB per domain in all here). Decoded evidence
	// kept per domain (some 12 KB each before the spool) would show here.
	if perDomain := (int64(largePeak) - int64(smallPeak)) / 3600; perDomain > 4<<10 {
		t.Errorf("peak live heap while building grows by %d bytes per domain: %d KB at 400, %d KB at 4,000",
			perDomain, smallPeak>>10, largePeak>>10)
	}
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// corruptEvidence makes the evidence a run stored unreadable JSON.
func corruptEvidence(path string, run int64) error {
	sdb, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer sdb.Close()
	res, err := sdb.Exec(`UPDATE domain_results SET evidence_json = '{"hosts": [' WHERE run_id = ?`, run)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("run %d stored no domains", run)
	}
	return nil
}
