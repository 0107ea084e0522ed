package main

import (
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"
)

// Bounds of the flags whose nonsense values would quietly make every
// domain inconclusive, exhaust memory, or be blamed on the wrong flag.
const (
	// minStepTimeout is the shortest --timeout: below it no TLS handshake
	// completes even on loopback, and every address is "?".
	minStepTimeout = 100 * time.Millisecond
	maxStepTimeout = 10 * time.Minute
	// minProbeTimeout is the shortest --probe-timeout; it is also never
	// below --timeout, one step of the probe.
	minProbeTimeout = time.Second
	maxProbeTimeout = 24 * time.Hour
	// maxConcurrency bounds --concurrency: each domain in flight holds its
	// evidence and connections (100,000 took 300 MB for nine domains).
	maxConcurrency = 1024
	// maxExpiryWarn is ten years of --expiry-warn.
	maxExpiryWarn = 3650
	maxPerHost    = 64
	maxRetries    = 10
)

// checkScanFlags refuses, with exit 2 naming the flag, the values of the
// auditing flags that cannot give a meaningful audit.
func checkScanFlags(c *cli.Context) error {
	if d := c.Duration("timeout"); d < minStepTimeout || d > maxStepTimeout {
		return usageErr("--timeout %s: must be between %s and %s", d, minStepTimeout, maxStepTimeout)
	}
	pt := c.Duration("probe-timeout")
	if pt < minProbeTimeout || pt > maxProbeTimeout {
		return usageErr("--probe-timeout %s: must be between %s and %s", pt, minProbeTimeout, maxProbeTimeout)
	}
	if pt < c.Duration("timeout") {
		return usageErr("--probe-timeout %s: must be at least --timeout (%s), one step of the probe", pt, c.Duration("timeout"))
	}
	if dt := c.Duration("domain-timeout"); c.IsSet("domain-timeout") && (dt < pt || dt > maxProbeTimeout) {
		// A domain's probes run side by side, each within --probe-timeout:
		// a shorter domain deadline would cut every probe short.
		return usageErr("--domain-timeout %s: must be between --probe-timeout (%s) and %s", dt, pt, maxProbeTimeout)
	}
	if g := c.Duration("gap"); g < 0 || g > time.Minute {
		return usageErr("--gap %s: must be between 0s and 1m0s", g)
	}
	if n := c.Int("concurrency"); n < 1 || n > maxConcurrency {
		return usageErr("--concurrency %d: must be between 1 and %d", n, maxConcurrency)
	}
	if n := c.Int("per-host"); n < 1 || n > maxPerHost {
		return usageErr("--per-host %d: must be between 1 and %d", n, maxPerHost)
	}
	if n := c.Int("retries"); n < 0 || n > maxRetries {
		return usageErr("--retries %d: must be between 0 and %d", n, maxRetries)
	}
	for _, name := range []string{"port", "mta-sts-port"} {
		if p := c.Int(name); p < 1 || p > 65535 {
			return usageErr("--%s %d: must be a port between 1 and 65535", name, p)
		}
	}
	for _, r := range c.StringSlice("resolver") {
		if err := checkResolver(r); err != nil {
			return err
		}
	}
	return nil
}

// domainTimeout is --domain-timeout, or, when it is not given and the
// default is shorter than twice --probe-timeout, twice --probe-timeout: a
// longer probe budget must not be cut by the default domain deadline.
func domainTimeout(c *cli.Context) time.Duration {
	dt := c.Duration("domain-timeout")
	if !c.IsSet("domain-timeout") {
		dt = max(dt, 2*c.Duration("probe-timeout"))
	}
	return dt
}

// checkResolver accepts an IP address, or an IP address and port: a
// resolver named by a host name would need DNS to be found.
func checkResolver(s string) error {
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return usageErr("--resolver %q: not an IP address or IP:port", s)
	}
	if _, err := netip.ParseAddr(host); err != nil {
		return usageErr("--resolver %q: %q is not an IP address", s, host)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return usageErr("--resolver %q: %q is not a port between 1 and 65535", s, port)
	}
	return nil
}

// checkExpiryWarn refuses a negative or absurd --expiry-warn (0 turns the
// expiring-certificate changes off).
func checkExpiryWarn(c *cli.Context) error {
	if n := c.Int("expiry-warn"); n < 0 || n > maxExpiryWarn {
		return usageErr("--expiry-warn %d: must be between 0 and %d days", n, maxExpiryWarn)
	}
	return nil
}
