package report_test

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/reporttest"
)

// Flags of BenchmarkHistory (make bench-history sets them).
var (
	historyDB      = flag.String("history.db", "", "history database of BenchmarkHistory: reused when it holds the runs asked for, else generated (default: a temporary file)")
	historyRuns    = flag.Int("history.runs", 12, "runs of the same list BenchmarkHistory generates")
	historyDomains = flag.Int("history.domains", 100000, "domains per generated run")
	historyPools   = flag.Int("history.pools", 2000, "mail-server pools (provider MX hosts) the domains point to")
	historyMxaudit = flag.String("history.mxaudit", "", "mxaudit binary: time its runs, history and diff commands as separate processes (peak RSS from rusage)")
	historyOut     = flag.String("history.out", "", "append the figures to this file (samples/bench-results.txt)")
	historyGenOnly = flag.Bool("history.generate-only", false, "generate (or complete) the database and measure nothing: the slow part, run apart from the measurements")
)

// historyChangeRate is one domain in historyChangeRate moving to another
// pool between two runs: its grade, findings, MX hosts and addresses
// change, as a month of real vendor mail moves would.
const historyChangeRate = 40

// BenchmarkHistory generates (or reuses) a history database of
// history.runs runs of one history.domains-domain list and measures, on it,
// the history commands (runs, history DOMAIN, diff) and the phase after
// auditing of the last run (its manifest, its diff, report.Build and the
// JSON report). The domains' evidence is the real evidence of the
// reporttest fleet, spread over history.pools provider pools and stored
// through db.SaveDomains, the rows SaveDomain writes: the first run whole,
// each later one as a copy of the run before with its moved domains
// stored again (ensureHistory). Generating takes tens of minutes at
// 12 x 100,000 (history.generate-only does it apart from measuring):
// never part of make test. The figures replace the results file's
// section of the same history.
//
//	make bench-history
func BenchmarkHistory(b *testing.B) {
	if *historyDomains <= 0 || *historyRuns < 2 || *historyPools <= 0 {
		b.Fatal("history.runs must be at least 2, history.domains and history.pools positive")
	}
	ctx := context.Background()
	path := *historyDB
	if path == "" {
		path = filepath.Join(b.TempDir(), "history.db")
	}
	var out strings.Builder
	// A section of its own ("=== name ==="), as cmd/mxbench writes them:
	// mxbench rewrites a section up to the next mark, so figures written
	// outside one would be lost when a batch section before them is
	// measured again.
	fmt.Fprintf(&out, "\n=== history %dx%d ===\n", *historyRuns, *historyDomains)
	fmt.Fprintf(&out, "# go test -run '^$' -bench BenchmarkHistory -benchtime 1x ./report/ -args -history.runs %d -history.domains %d -history.pools %d\n",
		*historyRuns, *historyDomains, *historyPools)
	fmt.Fprintf(&out, "# %s, %s/%s, %d CPUs, GOMAXPROCS %d; wall-clock figures need a quiet machine, memory figures do not\n",
		time.Now().UTC().Format(time.RFC3339), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	gen := time.Now()
	made, err := ensureHistory(ctx, b, path)
	if err != nil {
		b.Fatal(err)
	}
	if made {
		fi, _ := os.Stat(path)
		fmt.Fprintf(&out, "generate %d runs x %d domains: %s, database %d MB\n", *historyRuns, *historyDomains,
			time.Since(gen).Round(time.Second), fi.Size()>>20)
	}
	if *historyGenOnly {
		b.Logf("%s holds %d runs of %d domains (generated now: %v, in %s)", path, *historyRuns, *historyDomains, made, time.Since(gen).Round(time.Second))
		return
	}
	store, err := db.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	last, err := store.LatestRun(ctx, "", db.StatusCompleted)
	if err != nil {
		b.Fatal(err)
	}
	prev, err := store.PreviousCompleted(ctx, last.ID, last.ListName)
	if err != nil {
		b.Fatal(err)
	}
	probe := historyDomain(*historyDomains / 3)

	b.ResetTimer()
	for b.Loop() {
		measure(b, &out, "runs (db.Runs)", func() error { _, err := store.Runs(ctx); return err })
		measure(b, &out, "history "+probe+" (db.History)", func() error {
			h, err := store.History(ctx, probe)
			if err == nil && len(h) != *historyRuns {
				err = fmt.Errorf("history of %s has %d points, want %d", probe, len(h), *historyRuns)
			}
			return err
		})
		// As mxaudit run does after auditing: the diff is computed and
		// stored with the run (mxaudit diff then reads it).
		measure(b, &out, fmt.Sprintf("after auditing: diff %d %d (db.ComputeDiff, SaveDiff)", prev.ID, last.ID), func() error {
			d, err := store.ComputeDiff(ctx, last.ID, &prev.ID, 30)
			if err != nil {
				return err
			}
			return store.SaveDiff(ctx, last.ID, &prev.ID, d)
		})
		measure(b, &out, "after auditing: manifest (db.ComputeManifest)", func() error {
			_, err := store.ComputeManifest(ctx, last.ID)
			return err
		})
		measure(b, &out, "after auditing: report.Build + JSON report", func() error {
			r, err := report.Build(ctx, store, last.ID, report.Options{ToolVersion: "bench"})
			if err != nil {
				return err
			}
			if err := r.LoadRows(); err != nil {
				b.Fatal(err)
			}
			return report.WriteJSON(io.Discard, r)
		})
	}
	b.StopTimer()
	if *historyMxaudit != "" {
		store.Close()
		for _, args := range [][]string{{"runs"}, {"history", probe}, {"diff"}} {
			if err := measureCommand(&out, *historyMxaudit, path, args); err != nil {
				b.Fatal(err)
			}
		}
	}
	fmt.Print(out.String())
	if *historyOut != "" {
		if err := writeSection(*historyOut, fmt.Sprintf("history %dx%d", *historyRuns, *historyDomains), out.String()); err != nil {
			b.Fatal(err)
		}
	}
}

// writeSection puts body (starting with its "=== name ===" line) in the
// results file at path in place of the sections whose mark starts with
// "=== name" (an earlier measurement of the same history, however its
// mark was annotated), or at the end when there is none; the other
// sections stay as they are. The file is replaced atomically.
func writeSection(path, name, body string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	var blocks []string // the text before the first section, then one per section
	var cur strings.Builder
	for _, l := range strings.SplitAfter(string(old), "\n") {
		if strings.HasPrefix(l, "=== ") && cur.Len() > 0 {
			blocks = append(blocks, cur.String())
			cur.Reset()
		}
		cur.WriteString(l)
	}
	if cur.Len() > 0 {
		blocks = append(blocks, cur.String())
	}
	body = strings.Trim(body, "\n")
	replaced := false
	var out []string
	for _, bl := range blocks {
		if strings.HasPrefix(bl, "=== "+name+" ") {
			if replaced {
				continue
			}
			bl, replaced = body, true
		}
		if bl = strings.TrimRight(bl, "\n"); bl != "" {
			out = append(out, bl)
		}
	}
	if !replaced {
		out = append(out, body)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".bench-history-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.WriteString(tmp, strings.Join(out, "\n\n")+"\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// measure runs fn once and writes its wall time, the Go heap it allocated
// and the peak resident set of the process while it ran (VmHWM, its peak
// reset first through /proc/self/clear_refs).
func measure(b *testing.B, out io.Writer, name string, fn func() error) {
	b.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	if err := fn(); err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	fmt.Fprintf(out, "%-60s %10s  allocated %6d MB  peak RSS %4d MB\n", name, took.Round(time.Millisecond),
		(after.TotalAlloc-before.TotalAlloc)>>20, peakRSS()>>20)
}

// measureCommand runs one mxaudit command on the database as its own
// process and writes its wall time and peak resident set. The peak comes
// from /usr/bin/time: a child forked from this process would be charged
// this process's resident set as its own peak.
func measureCommand(out io.Writer, bin, path string, args []string) error {
	full := append(args[:1:1], append([]string{"--db", path}, args[1:]...)...)
	rssFile := filepath.Join(os.TempDir(), fmt.Sprintf("mxaudit-bench-rss-%d", os.Getpid()))
	defer os.Remove(rssFile)
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", rssFile, bin}, full...)...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mxaudit %s: %w", strings.Join(args, " "), err)
	}
	took := time.Since(start)
	var kb int64
	if b, err := os.ReadFile(rssFile); err == nil {
		fmt.Sscan(strings.TrimSpace(string(b)), &kb)
	}
	fmt.Fprintf(out, "%-60s %10s  peak RSS %4d MB (own process)\n", "mxaudit "+strings.Join(args, " "), took.Round(time.Millisecond), kb>>10)
	return nil
}

// resetPeakRSS resets the kernel's peak resident set of this process.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb << 10
		}
	}
	return 0
}

func historyDomain(i int) string { return fmt.Sprintf("d%06d.example", i) }

// ensureHistory generates the history database at path unless it already
// holds the runs asked for; it reports whether it wrote any. A database
// left part-way by an interrupted generation is completed: its completed
// runs are kept and its unfinished run resumed, as the generation is the
// same every time.
func ensureHistory(ctx context.Context, b *testing.B, path string) (bool, error) {
	store, err := db.Open(ctx, path)
	if err != nil {
		return false, err
	}
	defer func() { store.Close() }()
	runs, err := store.Runs(ctx)
	if err != nil {
		return false, err
	}
	for _, r := range runs {
		if r.TotalDomains != *historyDomains || r.ListName != "vendors.csv" {
			return false, fmt.Errorf("%s holds runs of another generation (%d domains in run %d): remove it or use another -history.db", path, r.TotalDomains, r.ID)
		}
	}
	if len(runs) > *historyRuns {
		return false, fmt.Errorf("%s holds %d runs, more than the %d asked for", path, len(runs), *historyRuns)
	}
	if len(runs) == *historyRuns && runs[0].Status == db.StatusCompleted {
		return false, nil
	}
	tmpl, err := historyTemplates(ctx, b.TempDir())
	if err != nil {
		return false, err
	}
	start := time.Date(2026, time.January, 3, 2, 0, 0, 0, time.UTC)
	vendors := make([]db.VendorRow, *historyDomains)
	for i := range vendors {
		vendors[i] = db.VendorRow{Vendor: fmt.Sprintf("Vendor %06d", i/2), Domain: historyDomain(i), Tier: fmt.Sprint(1 + i%3), Row: i + 2}
	}
	policy := grade.Default()
	k := len(runs)
	var resume *db.Run
	if len(runs) > 0 && runs[0].Status != db.StatusCompleted {
		resume, k = &runs[0], len(runs)-1
	}
	// Only the first run is audited in full through the store; each later
	// run starts as a copy of the one before it (copyRun) and its domains
	// that moved pool are stored again through the same path, as a run's
	// changed domains would be. Storing every domain of twelve runs one by
	// one took hours; the data is the same.
	for ; k < *historyRuns; k++ {
		at := start.AddDate(0, k, 0)
		var id int64
		done := map[string]bool{}
		if resume != nil {
			id = resume.ID
			if done, err = store.DoneDomains(ctx, id); err != nil {
				return false, err
			}
			resume = nil
		} else if id, err = store.CreateRun(ctx, db.Run{ListName: "vendors.csv", Policy: policy.Name, PolicyVersion: policy.Version,
			ToolVersion: "bench", StartedAt: at, TotalDomains: *historyDomains}, vendors, nil); err != nil {
			return false, err
		}
		store.Close()
		if k > 0 && len(done) == 0 {
			prev := runs0(ctx, path, id)
			if prev == 0 {
				return false, fmt.Errorf("no completed run to copy into run %d", id)
			}
			if err := copyRun(ctx, path, prev, id, at); err != nil {
				return false, err
			}
		}
		if store, err = db.Open(ctx, path); err != nil {
			return false, err
		}
		// Grades are made once per pool: a pool's domains share its evidence.
		graded := map[int]*grade.DomainGrade{}
		batch := make([]db.Result, 0, 500)
		for i := 0; i < *historyDomains; i++ {
			p := historyPool(i, k)
			// The first run stores every domain (but those a resumed
			// generation already stored); a copied run only those that
			// moved pool in it.
			store1 := k == 0 && !done[historyDomain(i)]
			if k > 0 {
				store1 = p != historyPool(i, k-1)
			}
			if store1 {
				ev := tmpl.domain(p, historyDomain(i), at)
				g, ok := graded[p]
				if !ok {
					gg := grade.GradeDomain(ev, policy)
					g = &gg
					graded[p] = g
				}
				batch = append(batch, db.Result{Evidence: ev, Grade: renamedGrade(g, ev.Domain)})
			}
			if len(batch) > 0 && (len(batch) == cap(batch) || i == *historyDomains-1) {
				if err := store.SaveDomains(ctx, id, batch); err != nil {
					return false, err
				}
				batch = batch[:0]
			}
		}
		if err := store.FinishRun(ctx, id, db.StatusCompleted, at.Add(time.Hour)); err != nil {
			return false, err
		}
		b.Logf("generated run %d of %d", k+1, *historyRuns)
	}
	return true, nil
}

// runs0 is the newest completed run before run id in the database at path
// (0: none), the run a generated run is copied from.
func runs0(ctx context.Context, path string, id int64) int64 {
	store, err := db.Open(ctx, path)
	if err != nil {
		return 0
	}
	defer store.Close()
	r, err := store.PreviousCompleted(ctx, id, "vendors.csv")
	if err != nil {
		return 0
	}
	return r.ID
}

// copyRun copies every stored row of run from (its domains' results, their
// address rows and findings, its shared address evidence) into run to, in
// one transaction, with the evidence's audit times moved to at. It writes
// the rows the store wrote for run from, diff keys included, by SQL, so a
// copied run costs seconds where storing 100,000 domains costs many minutes.
func copyRun(ctx context.Context, path string, from, to int64, at time.Time) error {
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer sdb.Close()
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	started, finished := at.UTC().Format(time.RFC3339Nano), at.Add(2*time.Second).UTC().Format(time.RFC3339Nano)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO address_evidence (run_id, sha256, json) SELECT ?, sha256, json FROM address_evidence WHERE run_id = ?`, []any{to, from}},
		{`INSERT INTO domain_results (run_id, domain, grade, incomplete, forced_tls, mx_kind, audited_at, evidence_json, grade_json, address_refs, diff_key, cert_days)
			SELECT ?, domain, grade, incomplete, forced_tls, mx_kind, ?, json_set(evidence_json, '$.started_at', ?, '$.finished_at', ?),
			grade_json, address_refs, diff_key, cert_days FROM domain_results WHERE run_id = ? ORDER BY domain`, []any{to, finished, started, finished, from}},
		{`INSERT INTO address_results (domain_result_id, host, preference, ip, grade, probe_status, versions, cert_not_after)
			SELECT n.id, a.host, a.preference, a.ip, a.grade, a.probe_status, a.versions, a.cert_not_after
			FROM domain_results o JOIN domain_results n ON n.run_id = ? AND n.domain = o.domain
			JOIN address_results a ON a.domain_result_id = o.id WHERE o.run_id = ?`, []any{to, from}},
		{`INSERT INTO findings (domain_result_id, code, severity, host, ip, reason, args_json)
			SELECT n.id, f.code, f.severity, f.host, f.ip, f.reason, f.args_json
			FROM domain_results o JOIN domain_results n ON n.run_id = ? AND n.domain = o.domain
			JOIN findings f ON f.domain_result_id = o.id WHERE o.run_id = ?`, []any{to, from}},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
			return fmt.Errorf("copy run %d into %d: %w", from, to, err)
		}
	}
	return tx.Commit()
}

// historyPool is the pool domain i's mail is hosted on in run k: its own
// pool, moved once in historyChangeRate runs.
func historyPool(i, k int) int {
	moves := 0
	for j := 1; j <= k; j++ {
		h := fnv.New32a()
		fmt.Fprintf(h, "%d/%d", i, j)
		if h.Sum32()%historyChangeRate == 0 {
			moves++
		}
	}
	return (i*7 + moves*13) % *historyPools
}

// templates are the audited domains of the reporttest fleet, the evidence
// every pool's domains copy.
type templates []*evidence.Domain

func historyTemplates(ctx context.Context, dir string) (templates, error) {
	path, _, run2, err := reporttest.Build(dir)
	if err != nil {
		return nil, err
	}
	store, err := db.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var out templates
	err = store.EachDomain(ctx, run2, func(s db.StoredDomain) error {
		out = append(out, s.Evidence)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("reporttest stored no domains")
	}
	return out, err
}

// domain is pool p's evidence under another domain name, audited at at:
// the pool's MX host names and addresses are its own.
func (t templates) domain(p int, name string, at time.Time) *evidence.Domain {
	src := t[p%len(t)]
	ev := *src
	ev.Domain, ev.Input = name, ""
	ev.StartedAt, ev.FinishedAt = at, at.Add(2*time.Second)
	rename := map[string]string{}
	ev.Hosts = make([]evidence.Host, len(src.Hosts))
	for i, h := range src.Hosts {
		h.Name = fmt.Sprintf("mx%d.pool%04d.example", i+1, p)
		rename[src.Hosts[i].Name] = h.Name
		addrs := make([]evidence.Address, len(h.Addresses))
		for j, a := range h.Addresses {
			a.IP = fmt.Sprintf("10.%d.%d.%d", p/250, p%250, 10*i+j+1)
			addrs[j] = a
		}
		h.Addresses = addrs
		ev.Hosts[i] = h
	}
	ev.MX.Records = make([]evidence.MXRecord, len(src.MX.Records))
	for i, r := range src.MX.Records {
		if n, ok := rename[r.Host]; ok {
			r.Host = n
		}
		ev.MX.Records[i] = r
	}
	if src.MTASTS != nil && src.MTASTS.MXMatch != nil {
		m := *src.MTASTS
		m.MXMatch = map[string]string{}
		for h, pat := range src.MTASTS.MXMatch {
			if n, ok := rename[h]; ok {
				h = n
			}
			m.MXMatch[h] = pat
		}
		ev.MTASTS = &m
	}
	return &ev
}

// renamedGrade is a pool's grade under one of its domains' names.
func renamedGrade(g *grade.DomainGrade, name string) *grade.DomainGrade {
	out := *g
	out.Domain = name
	out.Findings = make([]grade.Finding, len(g.Findings))
	for i, f := range g.Findings {
		f.Domain = name
		out.Findings[i] = f
	}
	return &out
}
