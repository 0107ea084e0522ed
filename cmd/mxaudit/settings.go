package main

import (
	"encoding/json"
	"net/url"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/mxaudit/mxaudit/db"
)

// scanSettings records how the audit is configured, for the run's record
// and its manifest: what an auditor needs to know to judge or repeat it.
func scanSettings(c *cli.Context, s *scanSetup, allowPrivate bool) db.ScanSettings {
	ms := func(name string) int64 { return c.Duration(name).Milliseconds() }
	host, _ := os.Hostname()
	ehlo := c.String("ehlo")
	if ehlo == "" {
		ehlo = defaultEHLOName()
	}
	versions, _ := parseVersions(c.String("versions"))
	out := db.ScanSettings{
		DNSSEC: c.String("dnssec"), EHLOName: ehlo,
		SMTPPort: c.Int("port"), MTASTSPort: c.Int("mta-sts-port"),
		TimeoutMS: ms("timeout"), ProbeTimeoutMS: ms("probe-timeout"), GapMS: ms("gap"), ThrottleBudgetMS: ms("throttle-budget"),
		PerHost: c.Int("per-host"), Retries: c.Int("retries"), Versions: versions,
		Policies: !c.Bool("no-policies"), Posture: !c.Bool("no-posture"),
		HTTPSProxy: proxySetting(c.String("https-proxy")), CAFile: c.String("ca-file"), TrustAnchor: c.String("trust-anchor"),
		AllowPrivate: allowPrivate || c.Bool("allow-private"), DKIMSelectors: s.allSelectors,
		Concurrency: c.Int("concurrency"), ToolVersion: version,
		Policy: s.policy.Name, PolicyVersion: s.policy.Version, ScannerHost: host,
	}
	if s.resolver != nil {
		out.Resolvers = s.resolver.Servers()
	}
	if out.Resolvers == nil {
		out.Resolvers = []string{}
	}
	return out
}

// proxySetting names the --https-proxy setting without its credentials.
func proxySetting(v string) string {
	switch v {
	case proxyEnv, proxyNone, "":
		return v
	}
	u, err := url.Parse(v)
	if err != nil {
		return "invalid"
	}
	return u.Host
}

// settingsJSON encodes the settings as they are stored with the run.
func settingsJSON(s db.ScanSettings) json.RawMessage {
	b, err := json.Marshal(s)
	if err != nil { // plain strings, numbers and slices: cannot fail
		return nil
	}
	return b
}
