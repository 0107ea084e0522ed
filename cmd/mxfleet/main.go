// Command mxfleet serves the simulated vendor mail fleet on loopback: a DNS
// server for the fleet's zones and a fake SMTP server per address, each with
// a profile (modern, legacy, expired certificate, 421 refuser...). It is
// what `make demo` audits; nothing it binds is outside 127.0.0.0/8.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mxaudit/mxaudit/samples/fleet"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mxfleet:", err)
		os.Exit(1)
	}
}

func run() error {
	def := flag.String("fleet", "samples/fleet.json", "fleet definition `FILE`")
	caOut := flag.String("ca-out", "", "write the fleet CA certificate (PEM) to `FILE`, for mxaudit --ca-file")
	ready := flag.String("ready", "", "create `FILE` once every server listens (for scripts)")
	domainsOut := flag.String("domains-out", "", "write the fleet's domains, one per line, to `FILE`")
	duration := flag.Duration("duration", time.Hour, "stop by itself after `TIME` (a bound, so a forgotten fleet does not live forever)")
	generate := flag.Int("generate", 0, "serve a generated fleet of `N` domains instead of -fleet (see -seed, -addresses, -latency)")
	seed := flag.Uint64("seed", 1, "`SEED` of the generated fleet: the same seed gives the same fleet")
	addresses := flag.Int("addresses", 0, "target number of distinct addresses of the generated fleet (`N`; default: one per 5 domains)")
	latency := flag.Duration("latency", 0, "simulated round trip of every generated server (`TIME`)")
	greeting := flag.Duration("greeting", 0, "greeting delay of each generated server, random up to `TIME`")
	mtasts := flag.Int("mta-sts", 0, "`N` generated domains publish an MTA-STS policy")
	defOut := flag.String("definition-out", "", "write the served fleet definition (JSON) to `FILE`")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: mxfleet [flags]\n\nServes the sample vendor mail fleet on loopback until interrupted.\n"+
			"With -generate N, serves a generated fleet of N domains instead, for example:\n"+
			"  mxfleet -generate 1000 -seed 1 -latency 50ms -ca-out ca.pem -domains-out domains.txt\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		return errors.New("unexpected arguments: " + strings.Join(flag.Args(), " "))
	}
	var d *fleet.Definition
	if *generate > 0 {
		d = fleet.Generate(fleet.GenOptions{Seed: *seed, Domains: *generate, Addresses: *addresses,
			LatencyMS: int(latency.Milliseconds()), GreetingMS: int(greeting.Milliseconds()), MTASTS: *mtasts})
	} else {
		var err error
		if d, err = fleet.Load(*def); err != nil {
			return err
		}
	}
	if *defOut != "" {
		b, err := json.MarshalIndent(d, "", "  ")
		if err != nil {
			return err
		}
		if err := writeFile(*defOut, append(b, '\n')); err != nil {
			return err
		}
	}
	f, err := fleet.Start(d, fleet.Options{})
	if err != nil {
		return err
	}
	defer f.Close()
	if *caOut != "" {
		if err := writeFile(*caOut, f.CA.CertPEM()); err != nil {
			return err
		}
	}
	if *domainsOut != "" {
		if err := writeFile(*domainsOut, []byte(strings.Join(d.DomainNames(), "\n")+"\n")); err != nil {
			return err
		}
	}
	fmt.Printf("mxfleet: %d servers on port %d, DNS on %s, %d domains\n", len(f.Servers), f.Port, f.Resolver, len(d.Domains))
	if *ready != "" {
		if err := writeFile(*ready, []byte(f.Resolver+"\n")); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(*duration):
	}
	return nil
}

// writeFile writes atomically: a temporary file in the same directory, then rename.
func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mxfleet-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
