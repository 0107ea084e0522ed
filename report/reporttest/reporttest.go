// Package reporttest builds history databases for report tests: it audits
// a small in-process fleet twice (the second time with changes), so the
// reports are rendered from real evidence, with hostile remote strings.
package reporttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/mxaudit/mxaudit/audit"
	"github.com/mxaudit/mxaudit/audit/certs"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/resolve"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/samples/fleet"
)

// HostileBanner is the greeting of the hostile server: a spreadsheet
// formula and a terminal escape sequence.
var HostileBanner = []string{"=HYPERLINK(\"http://evil.example\",\"click\") \x1b[2J ESMTP", "+cmd|' /C calc'!A0"}

// Vendors is the vendor list of the fixture: vendor → domains.
var Vendors = []db.VendorRow{
	{Vendor: "Acme Health", Domain: "acme-health.example", Owner: "Dana", Tier: "1", Tags: []string{"PHI"}, Row: 2,
		Contact: "security@acme-health.example", Notes: "BAA signed 2024"},
	{Vendor: "Acme Health", Domain: "acme-billing.example", Owner: "Dana", Tier: "1", Row: 3,
		Contact: "security@acme-health.example", Notes: "BAA signed 2024"},
	{Vendor: "Bolt Bank", Domain: "bolt-bank.example", Owner: "Marcus", Tier: "1", Row: 4},
	{Vendor: "Crux Labs", Domain: "crux-labs.example", Owner: "Priya", Tier: "Tier 2", Row: 5},
	{Vendor: "=SUM(A1:A9)", Domain: "hostile.example", Owner: "@evil", Tier: "-1", Row: 6},
	{Vendor: "Delta Dental", Domain: "delta-dental.example", Owner: "Omar", Tier: "3", Row: 7},
	{Vendor: "Ñandú Logística", Domain: "xn--and-6ma2c.example", Input: "ñandú.example", Owner: "Omar", Tier: "3", Row: 8},
	{Vendor: "Null Corp", Domain: "null.example", Row: 9},
}

func definition(month int) *fleet.Definition {
	d := &fleet.Definition{Resolver: "127.0.0.53:0", SMTPPort: -1, HTTPS: "127.0.6.80", HTTPSPort: -1}
	prof := map[string]string{
		"acme-health.example": "modern", "acme-billing.example": "tls12-only", "bolt-bank.example": "legacy",
		"crux-labs.example": "expired", "hostile.example": "self-signed", "delta-dental.example": "no-starttls",
		"xn--and-6ma2c.example": "raw-dhe1024",
	}
	if month == 2 {
		prof["bolt-bank.example"] = "modern"
		prof["acme-billing.example"] = "raw-sslv3-export"
	}
	i := 0
	for _, v := range Vendors {
		p, ok := prof[v.Domain]
		if !ok {
			continue
		}
		i++
		host := "mx." + v.Domain
		srv := fleet.Server{IP: fmt.Sprintf("127.0.6.%d", i), Names: []string{host}, Profile: p}
		if v.Domain == "hostile.example" {
			srv.Banner = HostileBanner
		}
		d.Servers = append(d.Servers, srv)
		d.Domains = append(d.Domains, fleet.Domain{Name: v.Domain, MX: []fleet.MX{{Preference: 10, Host: host}}})
	}
	d.Domains[0].MTASTS = &fleet.STS{TXT: []string{"v=STSv1; id=1"}, Policy: "version: STSv1\r\nmode: enforce\r\nmx: mx.acme-health.example\r\nmax_age: 604800\r\n"}
	d.Domains[0].TLSRPT = "v=TLSRPTv1; rua=mailto:tls@acme-health.example"
	d.Domains = append(d.Domains, fleet.Domain{Name: "null.example", NullMX: true, TXT: []fleet.TXTRecord{
		{Text: "v=spf1 -all"}, {Name: "_dmarc", Text: "v=DMARC1; p=reject"}}})
	// Sender authentication: a DMARC policy that moves from none to reject
	// between the months, a vendor with nothing, a hostile SPF record, and
	// good records elsewhere.
	posture := map[string][]fleet.TXTRecord{
		"acme-health.example": {{Text: "v=spf1 mx -all"}, {Name: "_dmarc", Text: "v=DMARC1; p=none; rua=mailto:dmarc@acme-health.example"}},
		"acme-billing.example": {{Text: "v=spf1 include:acme-health.example ~all"},
			{Name: "_dmarc", Text: "v=DMARC1; p=quarantine; sp=none; pct=50; rua=mailto:d@reports.example"}},
		"hostile.example":       {{Text: "v=spf1 " + HostileTXT + " -all"}, {Name: "_dmarc", Text: "v=DMARC1; p=reject; rua=mailto:" + HostileTXT}},
		"crux-labs.example":     {{Text: "v=spf1 +all"}, {Name: "_dmarc", Text: "v=DMARC1; p=reject; rua=mailto:d@crux-labs.example"}},
		"delta-dental.example":  {{Text: "v=spf1 mx -all"}, {Name: "_dmarc", Text: "v=DMARC1; p=reject; rua=mailto:d@delta-dental.example"}},
		"xn--and-6ma2c.example": {{Text: "v=spf1 mx -all"}, {Name: "_dmarc", Text: "v=DMARC1; p=reject; rua=mailto:d@xn--and-6ma2c.example"}},
	}
	if month == 2 {
		posture["acme-health.example"][1].Text = "v=DMARC1; p=reject; rua=mailto:dmarc@acme-health.example"
	}
	for i := range d.Domains {
		d.Domains[i].TXT = append(d.Domains[i].TXT, posture[d.Domains[i].Name]...)
	}
	return d
}

// HostileTXT is remote text published in DNS: a spreadsheet formula and a
// terminal escape sequence.
const HostileTXT = "=cmd|'/C calc'!A0\x1b[2J"

// Build audits the fixture fleet twice into a new database in dir and
// returns its path and the two run ids. It takes a few seconds.
func Build(dir string) (path string, run1, run2 int64, err error) {
	ctx := context.Background()
	path = filepath.Join(dir, "fixture.db")
	store, err := db.Open(ctx, path)
	if err != nil {
		return "", 0, 0, err
	}
	defer store.Close()
	prefix := fmt.Sprintf("127.%d", 100+rand.IntN(150))
	ids := make([]int64, 2)
	for month := 1; month <= 2; month++ {
		if ids[month-1], err = auditMonth(ctx, store, definition(month), prefix); err != nil {
			return "", 0, 0, fmt.Errorf("month %d: %w", month, err)
		}
	}
	return path, ids[0], ids[1], nil
}

func auditMonth(ctx context.Context, store *db.DB, def *fleet.Definition, prefix string) (int64, error) {
	f, err := fleet.Start(def, fleet.Options{RemapPrefix: prefix})
	if err != nil {
		return 0, err
	}
	defer f.Close()
	res, err := resolve.New(resolve.Config{Servers: []string{f.Resolver}, Timeout: time.Second})
	if err != nil {
		return 0, err
	}
	sc, err := smtp.New(smtp.Config{Port: f.Port, EHLOName: "scanner.mxaudit.test", ConnectTimeout: 2 * time.Second,
		BannerTimeout: 2 * time.Second, CommandTimeout: 2 * time.Second})
	if err != nil {
		return 0, err
	}
	a, err := audit.New(audit.Config{Resolver: res, SMTP: sc, Port: f.Port, Verifier: &certs.Verifier{Roots: f.CA.Pool()},
		StepTimeout: 2 * time.Second, Retries: 0, Policies: true, HTTPSPort: f.HTTPSPort, Posture: true,
		AllowPrivate: true}) // the fleet lives on loopback
	if err != nil {
		return 0, err
	}
	var domains []string
	for _, v := range Vendors {
		domains = append(domains, v.Domain)
	}
	p := grade.Default()
	id, err := store.CreateRun(ctx, db.Run{ListName: "fixture.csv", Policy: p.Name, PolicyVersion: p.Version, ToolVersion: "test",
		StartedAt: time.Now(), TotalDomains: len(domains)}, Vendors,
		[]db.Problem{{Row: 10, Column: "Domain", Value: "not a domain!", Message: `"not a domain!" is not a domain name or e-mail address`}})
	if err != nil {
		return 0, err
	}
	r := &audit.Runner{Auditor: a, Concurrency: 4, Sink: audit.SinkFunc(func(ctx context.Context, ev *evidence.Domain) error {
		g := grade.GradeDomain(ev, p)
		return store.SaveDomain(ctx, id, ev, &g)
	})}
	if err := r.Run(ctx, domains); err != nil {
		return 0, err
	}
	if err := store.FinishRun(ctx, id, db.StatusCompleted, time.Now()); err != nil {
		return 0, err
	}
	var base *int64
	if prev, err := store.PreviousCompleted(ctx, id, "fixture.csv"); err == nil {
		base = &prev.ID
	}
	diff, err := store.ComputeDiff(ctx, id, base, 30)
	if err != nil {
		return 0, err
	}
	return id, store.SaveDiff(ctx, id, base, diff)
}
