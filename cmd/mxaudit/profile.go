package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// profileFlags are run's hidden profiling hooks, for the benchmark
// (cmd/mxbench -profile) and for whoever investigates a slow or large
// run: a CPU profile of the whole run, and heap profiles at the end of
// the run, when the last domain is stored, and every N domains stored.
func profileFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cpuprofile", Hidden: true, Usage: "write a CPU profile of the whole run to `FILE` (go tool pprof)"},
		&cli.StringFlag{Name: "memprofile", Hidden: true, Usage: "write a heap profile to `FILE` at the end of the run, and FILE-audited when the last domain is stored"},
		&cli.IntFlag{Name: "memprofile-every", Hidden: true, Usage: "with --memprofile, also write FILE-N every `N` domains stored (N, 2N...)"},
	}
}

// profiler writes the profiles --cpuprofile and --memprofile ask for. A
// nil *profiler does nothing, so the run calls it unconditionally.
type profiler struct {
	cpu     *os.File
	memPath string
	every   int
	// warn receives the failures of the profiles written mid-run: they
	// are not worth stopping an audit for.
	warn io.Writer
}

// startProfiling starts the CPU profile and checks that the heap profile
// can be written, before any network work.
func startProfiling(c *cli.Context) (*profiler, error) {
	cpuPath, memPath := c.String("cpuprofile"), c.String("memprofile")
	if cpuPath == "" && memPath == "" {
		if c.IsSet("memprofile-every") {
			return nil, usageErr("--memprofile-every needs --memprofile")
		}
		return nil, nil
	}
	p := &profiler{memPath: memPath, every: c.Int("memprofile-every"), warn: c.App.ErrWriter}
	if p.every < 0 {
		return nil, usageErr("--memprofile-every %d: must not be negative", p.every)
	}
	if memPath != "" {
		if err := checkWritableDir(filepath.Dir(memPath)); err != nil {
			return nil, usageErr("--memprofile: %v", err)
		}
	}
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			return nil, usageErr("--cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			_ = f.Close()
			return nil, usageErr("--cpuprofile: %v", err)
		}
		p.cpu = f
	}
	return p, nil
}

// stored is called with the number of domains stored so far in this
// session; it writes FILE-N at every multiple of --memprofile-every.
func (p *profiler) stored(n int) {
	if p == nil || p.memPath == "" || p.every <= 0 || n%p.every != 0 {
		return
	}
	p.report(p.heap(strconv.Itoa(n)))
}

// audited writes FILE-audited: the heap when the last domain is stored,
// before the diff and the reports.
func (p *profiler) audited() {
	if p == nil || p.memPath == "" {
		return
	}
	p.report(p.heap("audited"))
}

func (p *profiler) report(err error) {
	if err != nil {
		fmt.Fprintln(p.warn, "mxaudit:", err)
	}
}

// stop ends the CPU profile and writes the final heap profile.
func (p *profiler) stop() {
	if p == nil {
		return
	}
	var errs []error
	if p.cpu != nil {
		pprof.StopCPUProfile()
		errs = append(errs, p.cpu.Close())
	}
	if p.memPath != "" {
		errs = append(errs, p.heap(""))
	}
	p.report(errors.Join(errs...))
}

// heap writes a heap profile after a collection, so that its in-use
// figures are those of this moment, not of the last cycle. tag goes
// before the file's extension: heap.pprof → heap-audited.pprof.
func (p *profiler) heap(tag string) error {
	path := p.memPath
	if tag != "" {
		ext := filepath.Ext(path)
		path = strings.TrimSuffix(path, ext) + "-" + tag + ext
	}
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return fmt.Errorf("heap profile %s: %w", path, err)
	}
	return f.Close()
}
