// Command mxbench is the batch benchmark behind `make bench`: it generates a
// simulated fleet of vendor mail domains (samples/fleet.Generate), serves it
// on loopback in its own process, runs `mxaudit run` over the fleet's vendor
// list as a subprocess, and reports wall time, domains per second, peak RSS
// of mxaudit, connections per address as the fleet's servers counted them,
// and those connections against the lower bound the evidence implies.
// Nothing it binds or dials is outside 127.0.0.0/8.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mxaudit/mxaudit/samples/fleet"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mxbench:", err)
		os.Exit(1)
	}
}

// config is the benchmark's parameters, from the flags.
type config struct {
	name        string
	mxaudit     string
	domains     int
	addresses   int
	seed        uint64
	latency     time.Duration
	greeting    time.Duration
	mtasts      int
	concurrency []int
	extra       []string
	out         string
	detail      string
	workDir     string
	keep        bool
	maxTime     time.Duration
	// memLimits are the memory-limit settings to run mxaudit under, one
	// run each per concurrency value (see memLimitEnv).
	memLimits []string
	// profileDir, when set, receives each run's CPU profile and heap
	// profiles (at the end, when the last domain is stored, and every
	// heapEvery domains stored).
	profileDir string
	heapEvery  int
	// sharedKeys is how many RSA keys the fleet's certificates share
	// (fleet.Options.SharedKeys).
	sharedKeys int
}

// Defaults of the flags.
const (
	defaultMaxTime = 30 * time.Minute
	// defaultSharedKeys RSA keys are enough for the fleet's certificates:
	// mxaudit judges certificates, not how many servers share a key, and
	// generating one key per server took most of a 2,000-server fleet's
	// start-up (over a minute on 2 CPUs).
	defaultSharedKeys = 16
	// heapProfiles is how many heap profiles -profile takes during the
	// auditing by default (every domains/heapProfiles domains).
	heapProfiles = 4
	// stsPerMille of the domains publish MTA-STS, up to maxSTS (each costs
	// the fleet a certificate).
	stsPerMille = 10
	maxSTS      = 100
	perMille    = 1000
)

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("mxbench", flag.ContinueOnError)
	c := &config{}
	var conc, extra, limits string
	fs.StringVar(&c.name, "name", "", "`NAME` of the results section (default: the domain count, such as 1k)")
	fs.StringVar(&c.mxaudit, "mxaudit", "bin/mxaudit", "mxaudit binary to benchmark (`PATH`)")
	fs.IntVar(&c.domains, "domains", fleet.DefaultGenDomains, "domains in the generated fleet (`N`)")
	fs.IntVar(&c.addresses, "addresses", 0, "target distinct addresses (`N`; default: one per 5 domains)")
	fs.Uint64Var(&c.seed, "seed", 1, "fleet `SEED`")
	fs.DurationVar(&c.latency, "latency", 50*time.Millisecond, "simulated round trip of every server (`TIME`)")
	fs.DurationVar(&c.greeting, "greeting", 100*time.Millisecond, "each server greets after a random delay up to `TIME`")
	fs.IntVar(&c.mtasts, "mta-sts", -1, "domains that publish MTA-STS (`N`; default 1% of the domains, at most 100)")
	fs.StringVar(&conc, "concurrency", "32", "comma-separated mxaudit --concurrency values, one run each (`LIST`)")
	fs.StringVar(&extra, "mxaudit-args", "", "extra mxaudit run flags, space-separated (`ARGS`)")
	fs.StringVar(&c.out, "out", "", "update this results `FILE` with the section of this benchmark")
	fs.StringVar(&c.detail, "detail", "", "write per-address figures of the fastest run as CSV to `FILE`")
	fs.StringVar(&c.workDir, "work", "", "working `DIR` for the vendor list and databases (default: a new temporary directory)")
	fs.BoolVar(&c.keep, "keep", false, "keep the working directory")
	fs.DurationVar(&c.maxTime, "max-time", defaultMaxTime, "give up after `TIME` (a bound on the whole benchmark)")
	fs.StringVar(&limits, "memlimit", memLimitDefault+","+memLimitOff, "comma-separated memory limits to run mxaudit under, one run each: "+
		"default (GOMEMLIMIT unset: mxaudit's own 384 MiB soft limit), off (GOMEMLIMIT=off: no limit doing the work) or a GOMEMLIMIT value (`LIST`)")
	fs.StringVar(&c.profileDir, "profile", "", "write each run's CPU and heap profiles into `DIR` (mxaudit --cpuprofile, --memprofile)")
	fs.IntVar(&c.heapEvery, "heap-every", 0, "with -profile, a heap profile every `N` domains stored (default: a quarter of the domains)")
	fs.IntVar(&c.sharedKeys, "shared-keys", defaultSharedKeys, "RSA keys the fleet's certificates share (`N`; 0: one per server, as the demo)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if c.domains < 1 || c.domains > fleet.MaxGenDomains {
		return nil, fmt.Errorf("-domains must be between 1 and %d", fleet.MaxGenDomains)
	}
	if c.latency < 0 || c.greeting < 0 || c.maxTime <= 0 {
		return nil, errors.New("-latency and -greeting must not be negative, -max-time must be positive")
	}
	for _, f := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-concurrency: %q is not a positive number", f)
		}
		c.concurrency = append(c.concurrency, n)
	}
	c.extra = strings.Fields(extra)
	for _, f := range strings.Split(limits, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			return nil, errors.New("-memlimit: empty value")
		}
		c.memLimits = append(c.memLimits, f)
	}
	if c.heapEvery < 0 || c.sharedKeys < 0 {
		return nil, errors.New("-heap-every and -shared-keys must not be negative")
	}
	if c.heapEvery == 0 {
		c.heapEvery = max(c.domains/heapProfiles, 1)
	}
	if c.mtasts < 0 {
		c.mtasts = min(c.domains*stsPerMille/perMille, maxSTS)
	}
	if c.name == "" {
		c.name = countName(c.domains)
	}
	return c, nil
}

// countName writes 1000 as "1k" and 10000 as "10k".
func countName(n int) string {
	const k = 1000
	if n%k == 0 {
		return strconv.Itoa(n/k) + "k"
	}
	return strconv.Itoa(n)
}

func run() error {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.maxTime)
	defer cancel()

	if cfg.workDir == "" {
		if cfg.workDir, err = os.MkdirTemp("", "mxbench-"); err != nil {
			return err
		}
		if !cfg.keep {
			defer os.RemoveAll(cfg.workDir)
		}
	} else if err := os.MkdirAll(cfg.workDir, 0o755); err != nil {
		return err
	}
	if cfg.mxaudit, err = filepath.Abs(cfg.mxaudit); err != nil {
		return err
	}
	if _, err := os.Stat(cfg.mxaudit); err != nil {
		return fmt.Errorf("mxaudit binary: %w (run make build first)", err)
	}
	if cfg.profileDir != "" {
		if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
			return err
		}
		if cfg.profileDir, err = filepath.Abs(cfg.profileDir); err != nil {
			return err
		}
	}
	genStart := time.Now()
	def := generate(cfg)
	genTime := time.Since(genStart)
	res, err := bench(ctx, cfg, def, os.Stdout)
	if err != nil {
		return err
	}
	res.genTime = genTime
	text := res.format()
	fmt.Print(text)
	if cfg.out != "" {
		if err := updateResults(cfg.out, cfg.name, text); err != nil {
			return err
		}
		fmt.Printf("\nresults written to %s (section %q)\n", cfg.out, cfg.name)
	}
	if cfg.detail != "" {
		if err := writeDetail(cfg.detail, res.best().stats); err != nil {
			return err
		}
		fmt.Printf("per-address figures written to %s\n", cfg.detail)
	}
	return nil
}
