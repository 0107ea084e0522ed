package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mxaudit/mxaudit/audit/ingest"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/samples/fleet"
)

// Bounds of one mxaudit subprocess.
const (
	// interruptGrace is how long mxaudit may take to stop after SIGINT
	// before it is killed.
	interruptGrace = 10 * time.Second
	// outputCap bounds what is kept of mxaudit's stdout and stderr.
	outputCap = 64 << 10
	// ehloName is what mxaudit announces to the fleet.
	ehloName = "bench.mxaudit.invalid"
	kilobyte = 1024
)

// runResult is one mxaudit run over the fleet.
type runResult struct {
	concurrency int
	// memLimit is the memory-limit setting of the run (memLimitDefault,
	// memLimitOff or a GOMEMLIMIT value).
	memLimit  string
	args      []string
	wall      time.Duration
	peakRSSKB int64
	childCPU  time.Duration
	fleetCPU  time.Duration
	stored    int
	grades    map[string]int
	start     time.Time
	rss       []rssSample
	// loadBefore and loadAfter are the machine's 1-minute load average
	// when the run started and ended: other work on the machine slows it.
	loadBefore, loadAfter string
	// auditEnd is when the last domain finished; rssAuditing and rssAfter
	// the largest sampled resident sets before and after it.
	auditEnd              time.Time
	rssAuditing, rssAfter int64
	stats                 []addrStat
	sum                   summary
	kinds                 []kindRow
	stderr                string
}

// DomainsPerSecond is the run's throughput over its whole wall time.
func (r *runResult) DomainsPerSecond() float64 { return float64(r.stored) / r.wall.Seconds() }

// Auditing is the time from the start to the moment the last domain
// finished; the rest of the wall time is the run's diff, reports and exit.
func (r *runResult) Auditing() time.Duration {
	if r.auditEnd.IsZero() {
		return r.wall
	}
	return r.auditEnd.Sub(r.start)
}

// AuditRate is the throughput of the auditing phase.
func (r *runResult) AuditRate() float64 { return float64(r.stored) / r.Auditing().Seconds() }

// results is the whole benchmark.
type results struct {
	cfg        *config
	argv       []string
	started    time.Time
	def        *fleet.Definition
	genTime    time.Duration
	fleetStart time.Duration
	fdLimit    uint64
	runs       []*runResult
}

// best is the fastest run under mxaudit's default memory limit (the
// fastest of all when none ran under it).
func (r *results) best() *runResult {
	var b *runResult
	for _, x := range r.runs {
		if x.memLimit == memLimitDefault && (b == nil || x.wall < b.wall) {
			b = x
		}
	}
	if b != nil {
		return b
	}
	b = r.runs[0]
	for _, x := range r.runs[1:] {
		if x.wall < b.wall {
			b = x
		}
	}
	return b
}

// Memory-limit settings of -memlimit.
const (
	// memLimitDefault runs mxaudit with GOMEMLIMIT unset: it then sets
	// its own soft limit (cmd/mxaudit defaultMemoryLimit, 384 MiB), as
	// users run it.
	memLimitDefault = "default"
	// memLimitOff runs it with GOMEMLIMIT=off: no soft limit, so the
	// collector paces itself by GOGC alone and the peak resident set is
	// what the run needs, not what a limit squeezed it into.
	memLimitOff = "off"
)

// memLimitEnv is the environment of an mxaudit run under limit: this
// process's environment without GOMEMLIMIT, plus GOMEMLIMIT=limit unless
// limit is memLimitDefault.
func memLimitEnv(environ []string, limit string) []string {
	env := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "GOMEMLIMIT=") {
			env = append(env, kv)
		}
	}
	if limit != memLimitDefault {
		env = append(env, "GOMEMLIMIT="+limit)
	}
	return env
}

// generate makes the fleet the configuration describes.
func generate(cfg *config) *fleet.Definition {
	return fleet.Generate(fleet.GenOptions{Seed: cfg.seed, Domains: cfg.domains, Addresses: cfg.addresses,
		LatencyMS: int(cfg.latency.Milliseconds()), GreetingMS: int(cfg.greeting.Milliseconds()), MTASTS: cfg.mtasts})
}

// bench serves the fleet def and runs mxaudit over it once per concurrency
// value, reporting progress on w.
func bench(ctx context.Context, cfg *config, def *fleet.Definition, w io.Writer) (*results, error) {
	res := &results{cfg: cfg, argv: os.Args, started: time.Now(), def: def}
	limit, err := raiseFDLimit()
	if err != nil {
		return nil, err
	}
	res.fdLimit = limit
	if need := uint64(len(res.def.Servers)) * 2; need > limit {
		return nil, fmt.Errorf("%d servers need more than the %d open files allowed (ulimit -n)", len(res.def.Servers), limit)
	}
	fmt.Fprintf(w, "mxbench: starting a fleet of %d domains on %d addresses...\n", len(res.def.Domains), len(res.def.Servers))
	start := time.Now()
	f, err := startFleet(res.def, cfg.sharedKeys)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res.fleetStart = time.Since(start)
	fmt.Fprintf(w, "mxbench: fleet up in %s (DNS %s, SMTP port %d)\n", res.fleetStart.Round(time.Millisecond), f.Resolver, f.Port)

	caFile := filepath.Join(cfg.workDir, "ca.pem")
	if err := os.WriteFile(caFile, f.CA.CertPEM(), 0o644); err != nil {
		return nil, err
	}
	list := filepath.Join(cfg.workDir, "vendors.csv")
	if err := writeVendorList(list, res.def); err != nil {
		return nil, err
	}
	for _, c := range cfg.concurrency {
		for _, limit := range cfg.memLimits {
			r, err := benchRun(ctx, cfg, f, res.def, c, limit, caFile, list, w)
			if err != nil {
				return nil, err
			}
			res.runs = append(res.runs, r)
		}
	}
	return res, nil
}

// benchRun runs mxaudit once over the fleet, at concurrency c under the
// memory limit setting limit, and measures it.
func benchRun(ctx context.Context, cfg *config, f *fleet.Fleet, def *fleet.Definition, c int, limit, caFile, list string, w io.Writer) (*runResult, error) {
	tag := fmt.Sprintf("c%d-%s", c, strings.NewReplacer("/", "_", " ", "_").Replace(limit))
	dbPath := filepath.Join(cfg.workDir, "history-"+tag+".db")
	// A database left by an earlier run in a kept -work directory would
	// make this run compare itself with it: start afresh.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	args := []string{"run", "--resolver", f.Resolver, "--port", strconv.Itoa(f.Port), "--ca-file", caFile,
		"--db", dbPath, "--ehlo", ehloName, "--quiet", "--concurrency", strconv.Itoa(c),
		"--allow-private"} // the fleet lives on loopback
	if f.HTTPSPort != 0 {
		// The policy server is on loopback: no HTTPS proxy from the environment.
		args = append(args, "--mta-sts-port", strconv.Itoa(f.HTTPSPort), "--https-proxy", "none")
	}
	if rows := len(def.Domains) + 1; rows > ingest.DefaultMaxRows {
		args = append(args, "--max-rows", strconv.Itoa(rows)) // the header row and one per domain
	}
	if cfg.profileDir != "" {
		base := filepath.Join(cfg.profileDir, cfg.name+"-"+tag)
		args = append(args, "--cpuprofile", base+"-cpu.pprof", "--memprofile", base+"-heap.pprof",
			"--memprofile-every", strconv.Itoa(cfg.heapEvery))
	}
	args = append(append(args, cfg.extra...), list)
	fmt.Fprintf(w, "mxbench: mxaudit --concurrency %d, memory limit %s ...\n", c, limit)
	r, err := runOnce(ctx, cfg.mxaudit, args, memLimitEnv(os.Environ(), limit), f)
	if err != nil {
		return nil, err
	}
	r.concurrency, r.memLimit = c, limit
	if err := r.load(ctx, dbPath, def); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "mxbench:   %d domains in %s (%.1f/s), peak RSS %d MB, %d connections (%.2f× the bound)\n",
		r.stored, r.wall.Round(time.Millisecond), r.DomainsPerSecond(), r.peakRSSKB/kilobyte, r.sum.TotalConns, r.sum.Ratio())
	return r, nil
}

// startFleet serves def on free ports, its DNS server on its own address,
// its RSA certificates sharing keys keys.
func startFleet(def *fleet.Definition, keys int) (*fleet.Fleet, error) {
	host, _, err := net.SplitHostPort(def.Resolver)
	if err != nil {
		return nil, fmt.Errorf("fleet resolver %q: %w", def.Resolver, err)
	}
	return fleet.Start(def, fleet.Options{Resolver: net.JoinHostPort(host, "0"), SMTPPort: -1, HTTPSPort: -1, SharedKeys: keys})
}

// raiseFDLimit lifts the soft open-files limit to the hard one, for one
// listener per fleet address plus mxaudit's connections (the subprocess
// inherits it), and returns the limit now in force.
func raiseFDLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("open files limit: %w", err)
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, fmt.Errorf("raise open files limit: %w", err)
		}
	}
	return l.Cur, nil
}

// writeVendorList writes the fleet's domains as a vendor list, in the
// fleet's (random) order.
func writeVendorList(path string, def *fleet.Definition) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"vendor", "domain"})
	for i, d := range def.Domains {
		_ = cw.Write([]string{fmt.Sprintf("Vendor %d", i+1), d.Name})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// connCounts is the connections each fleet server has accepted so far.
func connCounts(f *fleet.Fleet) map[string]int {
	m := make(map[string]int, len(f.Servers))
	for ip, s := range f.Servers {
		m[ip] = s.Stats().Connections
	}
	return m
}

// cappedBuffer keeps the first outputCap bytes written to it.
type cappedBuffer struct{ bytes.Buffer }

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := outputCap - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// runOnce runs mxaudit with args and measures it: wall time, peak RSS and
// CPU of the child, CPU of this process (the fleet) meanwhile, and the
// connections each fleet server accepted.
func runOnce(ctx context.Context, bin string, args, env []string, f *fleet.Fleet) (*runResult, error) {
	before := connCounts(f)
	var selfBefore, selfAfter syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &selfBefore); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = interruptGrace
	cmd.Env = env
	var stdout, stderr cappedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	loadBefore := loadAverage()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start mxaudit: %w", err)
	}
	samples := make(chan []rssSample, 1)
	stopSampling := make(chan struct{})
	go func() { samples <- sampleRSS(cmd.Process.Pid, stopSampling) }()
	err := cmd.Wait()
	wall := time.Since(start)
	close(stopSampling)
	rss := <-samples
	if ctx.Err() != nil {
		return nil, fmt.Errorf("mxaudit stopped: %w", ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("mxaudit %v: %w\n%s%s", args, err, stdout.String(), stderr.String())
	}
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &selfAfter); err != nil {
		return nil, err
	}
	r := &runResult{args: args, start: start, wall: wall, stderr: stderr.String(), rss: rss,
		loadBefore: loadBefore, loadAfter: loadAverage()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.peakRSSKB = ru.Maxrss // kilobytes on Linux
	}
	r.childCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	r.fleetCPU = cpu(selfAfter) - cpu(selfBefore)
	after := connCounts(f)
	conns := make(map[string]int, len(after))
	for ip, n := range after {
		conns[ip] = n - before[ip]
	}
	r.stats = analyze(f.Definition(), conns, nil) // evidence added by load
	return r, nil
}

// rssInterval is how often the child's resident set is sampled.
const rssInterval = 250 * time.Millisecond

// rssSample is the child's resident set at one moment.
type rssSample struct {
	at time.Time
	kb int64
}

// maxRSSSamples bounds the samples kept (about 7 hours at rssInterval).
const maxRSSSamples = 100_000

// sampleRSS reads the resident set of pid every rssInterval until stop is
// closed or the process is gone.
func sampleRSS(pid int, stop <-chan struct{}) []rssSample {
	var out []rssSample
	t := time.NewTicker(rssInterval)
	defer t.Stop()
	for len(out) < maxRSSSamples {
		if kb, ok := readRSS(pid); ok {
			out = append(out, rssSample{at: time.Now(), kb: kb})
		}
		select {
		case <-stop:
			return out
		case <-t.C:
		}
	}
	return out
}

// rssPhases splits the samples at the moment the last domain finished:
// the largest resident set while auditing, and after it (the run's diff
// and summary).
func rssPhases(samples []rssSample, auditEnd time.Time) (auditing, after int64) {
	for _, s := range samples {
		if s.at.After(auditEnd) {
			after = max(after, s.kb)
		} else {
			auditing = max(auditing, s.kb)
		}
	}
	return auditing, after
}

// loadAverage is the first field of /proc/loadavg ("?" when unreadable).
func loadAverage() string {
	f, err := os.Open("/proc/loadavg")
	if err != nil {
		return "?"
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, procStatusCap))
	if fields := strings.Fields(string(b)); err == nil && len(fields) > 0 {
		return fields[0]
	}
	return "?"
}

// procStatusCap bounds the read of /proc/PID/status (a few KB).
const procStatusCap = 16 << 10

// readRSS returns VmRSS of pid in kilobytes.
func readRSS(pid int) (int64, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, procStatusCap))
	if err != nil {
		return 0, false
	}
	return parseVmRSS(string(b))
}

// parseVmRSS finds "VmRSS:   1234 kB" in a /proc status file.
func parseVmRSS(status string) (int64, bool) {
	for _, line := range strings.Split(status, "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, false
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		return n, err == nil
	}
	return 0, false
}

func cpu(ru syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// load reads the run's evidence and grades from its database and
// completes the connection analysis.
func (r *runResult) load(ctx context.Context, path string, def *fleet.Definition) error {
	store, err := db.Open(ctx, path)
	if err != nil {
		return err
	}
	defer store.Close()
	runs, err := store.Runs(ctx)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return errors.New("mxaudit stored no run")
	}
	latest := runs[0]
	for _, x := range runs[1:] {
		if x.ID > latest.ID {
			latest = x
		}
	}
	if latest.Status != db.StatusCompleted {
		return fmt.Errorf("run %d ended %s", latest.ID, latest.Status)
	}
	conns := make(map[string]int, len(r.stats))
	for _, a := range r.stats {
		conns[a.IP] = a.Conns
	}
	// One domain at a time: a 100,000-domain run's evidence decoded at
	// once would not fit this process beside the fleet.
	col := newCollector()
	r.grades = map[string]int{}
	r.stored = 0
	err = store.EachDomain(ctx, latest.ID, func(s db.StoredDomain) error {
		col.add(s.Evidence)
		r.stored++
		r.grades[string(s.Grade.Grade)]++
		if s.Evidence.FinishedAt.After(r.auditEnd) {
			r.auditEnd = s.Evidence.FinishedAt
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.rssAuditing, r.rssAfter = rssPhases(r.rss, r.auditEnd)
	r.stats = col.stats(def, conns)
	r.sum = summarize(r.stats)
	r.kinds = byKind(r.stats)
	// The decoded evidence is garbage now; give its memory back so the
	// fleet's process stays small while the next run is measured.
	debug.FreeOSMemory()
	return nil
}

// writeDetail writes one CSV row per address.
func writeDetail(path string, stats []addrStat) error {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"ip", "kind", "status", "domains", "connections", "evidence_connections", "lower_bound", "ratio", "probes", "cert_names"})
	for _, a := range stats {
		_ = cw.Write([]string{a.IP, a.Kind, string(a.Status), strconv.Itoa(a.Domains), strconv.Itoa(a.Conns),
			strconv.Itoa(a.EvidenceConns), strconv.Itoa(a.Bound), strconv.FormatFloat(a.Ratio(), 'f', 2, 64),
			strconv.Itoa(a.Probes), strconv.Itoa(a.CertNames)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
