package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/urfave/cli/v2"

	"github.com/mxaudit/mxaudit/audit"
	"github.com/mxaudit/mxaudit/audit/certs"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/ingest"
	"github.com/mxaudit/mxaudit/audit/resolve"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/term"
	"github.com/mxaudit/mxaudit/templates"
)

// Throttle budgets by command: a batch can afford to wait for a provider
// that rate-limits; a one-off scan in a terminal less so.
const (
	batchThrottleBudget = 5 * time.Minute
	scanThrottleBudget  = time.Minute
)

// defaultEHLO is announced when --ehlo is not given and the machine's own
// name is not a fully qualified domain name.
const defaultEHLO = "mxaudit.invalid"

// scanFlags are the flags every auditing command shares.
func scanFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "resolver", Usage: "DNS resolver `HOST:PORT` to ask (repeatable); default: the nameservers in /etc/resolv.conf"},
		&cli.StringFlag{Name: "ehlo", Usage: "`NAME` announced in EHLO; use a name that resolves to this machine, as some servers check it (default: this host's FQDN, else " + defaultEHLO + ")"},
		&cli.IntFlag{Name: "port", Value: audit.DefaultPort, Usage: "SMTP `PORT` to probe (25 on the internet; other ports for tests and labs)"},
		&cli.IntFlag{Name: "per-host", Value: audit.DefaultPerHost, Usage: "most connections open at once to one address (`N`); a probe enumerates this many protocol versions at once"},
		&cli.DurationFlag{Name: "gap", Value: 0, Usage: "least `TIME` between two connection starts to one address"},
		&cli.IntFlag{Name: "retries", Value: audit.DefaultRetries, Usage: "tries again after 421, timeouts and resets (`N`) before calling an address inconclusive"},
		&cli.DurationFlag{Name: "timeout", Value: audit.DefaultStepTimeout, Usage: "`TIME` allowed for one step (connect, greeting, command, handshake)"},
		&cli.DurationFlag{Name: "probe-timeout", Value: audit.DefaultProbeTimeout, Usage: "`TIME` allowed for the whole probe of one address"},
		&cli.DurationFlag{Name: "domain-timeout", Value: audit.DefaultDomainTimeout, Usage: "`TIME` allowed for the whole audit of one domain (DNS, policies and the probes of its addresses, which run side by side); what is unfinished then is reported, and the domain is inconclusive"},
		&cli.DurationFlag{Name: "throttle-budget", Usage: "`TIME` an address that starts refusing connections (421 too many connections, resets) may take, from its first refusal, " +
			"while the probe pauses with backoff and resumes where it stopped (default " + batchThrottleBudget.String() + " for run, " + scanThrottleBudget.String() + " for scan)"},
		&cli.StringFlag{Name: "ca-file", Usage: "PEM `FILE` of trusted root certificates instead of the system roots"},
		&cli.StringFlag{Name: "versions", Usage: "comma-separated protocol versions to enumerate (default all: SSLv2,SSLv3,TLSv1.0,TLSv1.1,TLSv1.2,TLSv1.3)"},
		&cli.IntFlag{Name: "concurrency", Value: 8, Usage: "domains audited at once (`N`)"},
		&cli.StringFlag{Name: "templates", Usage: "`DIR` whose files override the built-in wording (findings.json)"},
		&cli.BoolFlag{Name: "no-policies", Usage: "skip the MTA-STS, TLS-RPT and DANE checks"},
		&cli.BoolFlag{Name: "no-posture", Usage: "skip the SPF, DMARC and DKIM checks"},
		&cli.StringSliceFlag{Name: "dkim-selector", Usage: "DKIM `SELECTOR` to check for every domain (repeatable; a vendor list's dkim_selectors column adds per-vendor ones)"},
		&cli.StringFlag{Name: "dnssec", Value: string(resolve.DNSSECValidate), Usage: "`MODE` of DNSSEC checking: validate (the chain of trust from the root, by mxaudit itself), resolver (trust the AD bit of --resolver, which must validate), off"},
		&cli.StringFlag{Name: "trust-anchor", Usage: "`FILE` of DS or DNSKEY records (zone-file syntax) to validate from instead of the IANA root keys (labs with their own signed zones)"},
		&cli.StringFlag{Name: "https-proxy", Value: proxyEnv, Usage: "how MTA-STS policies are fetched: \"" + proxyEnv +
			"\" uses HTTPS_PROXY and NO_PROXY from the environment, \"" + proxyNone + "\" connects directly, or an http://[user:password@]host:port `PROXY` (CONNECT)"},
		&cli.IntFlag{Name: "mta-sts-port", Value: audit.DefaultHTTPSPort, Usage: "HTTPS `PORT` MTA-STS policies are fetched from (443 on the internet; other ports for tests and labs)"},
		&cli.BoolFlag{Name: "allow-private", Usage: "also dial MX and MTA-STS addresses that are not globally reachable (loopback, private, link-local, documentation: RFC 6890); " +
			"by default they are reported as a finding and never dialled, so a vendor's DNS cannot aim the scanner at this network (labs, tests and the demo need it; the --https-proxy is always dialled)"},
	}
}

func scanCommand() *cli.Command {
	flags := append(scanFlags(),
		&cli.BoolFlag{Name: "json", Usage: "print the full evidence, findings and grades as JSON"},
		&cli.StringFlag{Name: "fail-under", Usage: "exit 1 when any domain grades below `GRADE` (A+, A, A-, B, C, D, F)"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "also list informational findings and, per address, the banner, certificate and every accepted suite in the server's order"},
		&cli.BoolFlag{Name: "no-color", Usage: "plain text even on a terminal"},
	)
	return &cli.Command{
		Name:      "scan",
		Usage:     "audit one or more domains now and print the result",
		ArgsUsage: "DOMAIN|EMAIL...",
		Description: `Audits each domain's inbound mail servers and prints one table per
domain: a row per MX address with its checks, then the grade, Forced-TLS
eligibility and the recommended improvements. An e-mail address stands for
its domain; IDNs are accepted.

EXAMPLES
   mxaudit scan example.com
   mxaudit scan --json billing@vendor.example other.example > result.json
   mxaudit scan --fail-under B partner.example   # exit 1 below B`,
		Flags:  flags,
		Action: scanAction,
	}
}

// scanSetup is what a command needs to audit: the auditor and the policy.
type scanSetup struct {
	auditor  *audit.Auditor
	resolver *resolve.Resolver
	policy   grade.Policy
	texts    *templates.Set
	// allSelectors are the DKIM selectors checked for every domain;
	// selectors adds those of a domain's vendors (the list's
	// dkim_selectors column). Both are filled before the audit starts and
	// only read after.
	allSelectors []string
	selectors    map[string][]string
	// settings are the scan settings recorded with a run.
	settings db.ScanSettings
}

// dkimSelectors returns the DKIM selectors to check for domain.
func (s *scanSetup) dkimSelectors(domain string) []string {
	out := append([]string(nil), s.allSelectors...)
	for _, sel := range s.selectors[domain] {
		if !slices.Contains(out, sel) {
			out = append(out, sel)
		}
	}
	return out
}

// checkSelector refuses a DKIM selector that is not a DNS name (RFC 6376
// §3.1: selectors are sub-domain labels separated by dots).
func checkSelector(sel string) error {
	if sel == "" || len(sel) > 200 {
		return fmt.Errorf("selector %q is empty or too long", sel)
	}
	for _, l := range strings.Split(sel, ".") {
		if l == "" || len(l) > 63 {
			return fmt.Errorf("selector %q is not a DNS name", sel)
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return fmt.Errorf("selector %q is not a DNS name", sel)
			}
		}
	}
	return nil
}

// resolverProbeTimeout bounds the question that proves the DNS resolver
// answers before anything is audited.
const resolverProbeTimeout = 10 * time.Second

// probeResolver fails with exit 3 when the resolver answers nothing: every
// domain would come out inconclusive, and a run of them is no result.
func (s *scanSetup) probeResolver(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, resolverProbeTimeout)
	defer cancel()
	if err := s.resolver.Probe(pctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return runtimeErr(fmt.Errorf("the DNS resolver cannot be used, nothing was audited: %w (check --resolver or /etc/resolv.conf)", err))
	}
	return nil
}

// newScanSetup builds the auditor from the flags; allowPrivate is the
// configuration file's allow_private, which --allow-private can only add to.
func newScanSetup(c *cli.Context, allowPrivate bool) (*scanSetup, error) {
	if err := checkScanFlags(c); err != nil {
		return nil, err
	}
	versions, err := parseVersions(c.String("versions"))
	if err != nil {
		return nil, err
	}
	mode, err := resolve.ParseDNSSECMode(c.String("dnssec"))
	if err != nil {
		return nil, usageErr("--dnssec: %v", err)
	}
	var anchors []dns.RR
	if f := c.String("trust-anchor"); f != "" {
		if anchors, err = readAnchors(f); err != nil {
			return nil, usageErr("--trust-anchor: %v", err)
		}
	}
	res, err := resolve.New(resolve.Config{Servers: c.StringSlice("resolver"), DNSSEC: mode, TrustAnchors: anchors})
	if err != nil {
		return nil, runtimeErr(fmt.Errorf("dns: %w", err))
	}
	ehlo := c.String("ehlo")
	if ehlo == "" {
		ehlo = defaultEHLOName()
	}
	sc, err := smtp.New(smtp.Config{
		Port: c.Int("port"), EHLOName: ehlo,
		ConnectTimeout: c.Duration("timeout"), BannerTimeout: 2 * c.Duration("timeout"), CommandTimeout: c.Duration("timeout"),
	})
	if err != nil {
		return nil, usageErr("--ehlo: %v", err)
	}
	v := &certs.Verifier{}
	if f := c.String("ca-file"); f != "" {
		pool, err := certs.LoadCAFile(f)
		if err != nil {
			return nil, usageErr("--ca-file: %v", err)
		}
		v.Roots = pool
	}
	proxy, err := parseProxy(c.String("https-proxy"))
	if err != nil {
		return nil, usageErr("--https-proxy: %v", err)
	}
	texts, err := loadTemplates(c.String("templates"))
	if err != nil {
		return nil, usageErr("--templates: %v", err)
	}
	setup := &scanSetup{policy: grade.Default(), texts: texts, selectors: map[string][]string{}}
	for _, sel := range c.StringSlice("dkim-selector") {
		if err := checkSelector(sel); err != nil {
			return nil, usageErr("--dkim-selector: %v", err)
		}
		setup.allSelectors = append(setup.allSelectors, sel)
	}
	throttle := c.Duration("throttle-budget")
	switch {
	case throttle < 0:
		return nil, usageErr("--throttle-budget must not be negative")
	case throttle == 0 && c.Command != nil && c.Command.Name == "scan":
		throttle = scanThrottleBudget
	case throttle == 0:
		throttle = batchThrottleBudget
	}
	a, err := audit.New(audit.Config{
		Resolver: res, SMTP: sc, Verifier: v, Port: c.Int("port"), ThrottleBudget: throttle,
		PerHost: c.Int("per-host"), ConnectGap: c.Duration("gap"),
		Retries: c.Int("retries"), StepTimeout: c.Duration("timeout"),
		ProbeTimeout: c.Duration("probe-timeout"), DomainTimeout: domainTimeout(c), Versions: versions,
		Policies: !c.Bool("no-policies"), HTTPSPort: c.Int("mta-sts-port"), HTTPSProxy: proxy,
		Posture: !c.Bool("no-posture"), DKIMSelectors: setup.dkimSelectors,
		AllowPrivate: allowPrivate || c.Bool("allow-private"),
	})
	if err != nil {
		return nil, runtimeErr(err)
	}
	setup.auditor, setup.resolver = a, res
	setup.settings = scanSettings(c, setup, allowPrivate)
	return setup, nil
}

func loadTemplates(dir string) (*templates.Set, error) {
	if dir == "" {
		return templates.Default()
	}
	texts, err := templates.Load(dir)
	if err != nil {
		return nil, err
	}
	if err := report.CheckWording(texts); err != nil {
		return nil, err
	}
	return texts, nil
}

func defaultEHLOName() string {
	h, err := os.Hostname()
	if err == nil && strings.Contains(strings.Trim(h, "."), ".") {
		return strings.Trim(h, ".")
	}
	return defaultEHLO
}

func parseVersions(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		found := false
		for _, known := range evidence.Versions {
			if strings.EqualFold(v, known) {
				out = append(out, known)
				found = true
			}
		}
		if !found {
			return nil, usageErr("--versions: unknown version %q (known: %s)", v, strings.Join(evidence.Versions, ","))
		}
	}
	return out, nil
}

// scanResult is one domain's evidence and grade.
type scanResult struct {
	Evidence *evidence.Domain
	Grade    grade.DomainGrade
}

func scanAction(c *cli.Context) error {
	if c.NArg() == 0 {
		return usageErr("scan needs at least one domain; try: mxaudit scan example.com")
	}
	var failUnder grade.Grade
	if s := c.String("fail-under"); s != "" {
		g, ok := grade.ParseGrade(s)
		if !ok {
			return usageErr("--fail-under: %q is not a grade (A+, A, A-, B, C, D, F)", s)
		}
		failUnder = g
	}
	var domains, inputs []string
	seen := map[string]bool{}
	for _, arg := range c.Args().Slice() {
		d, err := ingest.Domain(arg)
		if err != nil {
			return usageErr("%v", err)
		}
		if seen[d] {
			continue
		}
		seen[d] = true
		domains = append(domains, d)
		inputs = append(inputs, arg)
	}
	setup, err := newScanSetup(c, false)
	if err != nil {
		return err
	}
	if err := setup.probeResolver(c.Context); err != nil {
		return err
	}
	started := time.Now().UTC()
	results := auditAll(c.Context, setup, domains, inputs, c.Int("concurrency"))
	if c.Context.Err() != nil {
		return c.Context.Err()
	}
	markPortBlocked(results, setup.policy)
	markHTTPSBlocked(results, setup.policy)
	// The terminal and the JSON show the grader's phrases in the
	// templates' words (--templates included).
	for i := range results {
		report.WordGrade(setup.texts, &results[i].Grade)
	}

	out := c.App.Writer
	if c.Bool("json") {
		if err := writeJSON(out, setup, results, started); err != nil {
			return runtimeErr(err)
		}
	} else {
		opt := term.Options{Color: !c.Bool("no-color") && isTerminal(out), Verbose: c.Bool("verbose")}
		for _, r := range results {
			if err := term.Render(out, r.Evidence, &r.Grade, setup.texts, opt); err != nil {
				return runtimeErr(err)
			}
		}
	}
	if failUnder != "" {
		var below []string
		for _, r := range results {
			if r.Grade.Grade.Conclusive() && r.Grade.Grade.Rank() < failUnder.Rank() {
				below = append(below, fmt.Sprintf("%s (%s)", r.Evidence.Domain, r.Grade.Grade))
			}
		}
		if len(below) > 0 {
			return &exitError{code: exitThreshold, err: fmt.Errorf("graded below %s: %s", failUnder, strings.Join(below, ", "))}
		}
	}
	return nil
}

// auditAll audits the domains with bounded concurrency, keeping input order.
func auditAll(ctx context.Context, s *scanSetup, domains, inputs []string, concurrency int) []scanResult {
	if concurrency < 1 {
		concurrency = 1
	}
	results := make([]scanResult, len(domains))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, d := range domains {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ev := s.auditor.Domain(ctx, d)
			if inputs[i] != d {
				ev.Input = inputs[i]
			}
			results[i] = scanResult{Evidence: ev, Grade: grade.GradeDomain(ev, s.policy)}
		}()
	}
	wg.Wait()
	return results
}

// markPortBlocked flags every result when not one address answered on the
// SMTP port: the usual cause is this machine's own network blocking
// outbound port 25, and every vendor must not be graded as if it failed.
func markPortBlocked(results []scanResult, p grade.Policy) {
	probed := 0
	for _, r := range results {
		for _, h := range r.Evidence.Hosts {
			for _, a := range h.Addresses {
				if !dialled(a.Probe) {
					continue
				}
				probed++
				if !unanswered(a.Probe) {
					return
				}
			}
		}
	}
	if probed == 0 {
		return
	}
	for i := range results {
		results[i].Evidence.PortBlocked = true
		results[i].Grade = grade.GradeDomain(results[i].Evidence, p)
	}
}

// markHTTPSBlocked flags every result when the MTA-STS policy fetches all
// failed to connect, enough of them to blame this machine's network (see
// httpsBlocked): the policies are then unknown, not missing.
func markHTTPSBlocked(results []scanResult, p grade.Policy) {
	fetched, unreached := 0, 0
	for _, r := range results {
		if m := r.Evidence.MTASTS; m != nil && fetchTried(m.Fetch) {
			fetched++
			if m.Fetch.Unreached() {
				unreached++
			}
		}
	}
	if !httpsBlocked(fetched, unreached) {
		return
	}
	for i := range results {
		results[i].Evidence.HTTPSBlocked = true
		results[i].Grade = grade.GradeDomain(results[i].Evidence, p)
	}
}

// dialled reports whether a probe tried to connect: not one that was never
// attempted, nor one whose address the guard refused.
func dialled(p *evidence.Probe) bool {
	return p != nil && p.Status != evidence.ProbeNotTested && p.Status != evidence.ProbePrivateAddress
}

// fetchTried reports whether an MTA-STS policy fetch tried to connect: not
// one whose policy host the guard refused to dial.
func fetchTried(f *evidence.PolicyFetch) bool {
	return f != nil && (f.Error == nil || f.Error.Kind != evidence.ErrPrivateAddress)
}

// unanswered reports whether a probe never got a single byte from the server.
func unanswered(p *evidence.Probe) bool {
	if p.Status != evidence.ProbeInconclusive || p.Error == nil {
		return false
	}
	if p.SMTP != nil && p.SMTP.Banner != nil {
		return false
	}
	switch p.Error.Kind {
	case evidence.ErrRefused, evidence.ErrTimeout, evidence.ErrUnreach:
		return true
	}
	return false
}

func writeJSON(w io.Writer, s *scanSetup, results []scanResult, started time.Time) error {
	out := report.ScanDocument{
		SchemaVersion: evidence.SchemaVersion, Tool: "mxaudit", ToolVersion: version,
		Policy: s.policy.Name, PolicyVersion: s.policy.Version,
		StartedAt: started, FinishedAt: time.Now().UTC(),
		Domains: []report.ScanDomain{},
	}
	for _, r := range results {
		jd := report.ScanDomain{Domain: r.Evidence.Domain, Grade: r.Grade, Evidence: r.Evidence, Findings: []report.ScanFinding{}, Connected: map[string]int{},
			SPF: report.SPFViewOf(r.Evidence.SPF), DMARC: report.DMARCViewOf(r.Evidence.DMARC),
			Frameworks: report.FrameworksShown(report.Org{}, r.Grade.Frameworks)}
		for _, f := range r.Grade.Findings {
			jf := report.ScanFinding{Finding: f, ID: f.ID()}
			if t, err := s.texts.Finding(f.Code, report.FindingArgs(s.texts, f.Args, f.Phrases)); err == nil {
				jf.Title, jf.Message, jf.Remediation, jf.Standards = t.Title, t.Message, t.Remediation, t.Standards
				// Readers of earlier scan --json read the sentence under
				// "reason"; it now carries the templates' words too.
				jf.Reason = t.Message
			}
			jd.Findings = append(jd.Findings, jf)
		}
		probed := map[string]bool{}
		for _, h := range r.Evidence.Hosts {
			for _, a := range h.Addresses {
				// The probe is shared by every MX name on the address: count it once.
				if a.Probe != nil && !probed[a.IP] {
					probed[a.IP] = true
					jd.Connected[a.IP] += a.Probe.Connections
				}
				if a.Cert != nil {
					jd.Connected[a.IP] += a.Cert.Connections
				}
			}
		}
		out.Domains = append(out.Domains, jd)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// readAnchors reads DS and DNSKEY records from a zone-file-syntax file.
func readAnchors(path string) ([]dns.RR, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zp := dns.NewZoneParser(f, ".", path)
	var out []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		switch rr.(type) {
		case *dns.DS, *dns.DNSKEY:
			out = append(out, rr)
		default:
			return nil, fmt.Errorf("%s: only DS and DNSKEY records belong in a trust anchor file, found %s", path, dns.TypeToString[rr.Header().Rrtype])
		}
	}
	if err := zp.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no DS or DNSKEY record", path)
	}
	return out, nil
}
