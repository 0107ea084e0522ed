package audit_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit"
	"github.com/mxaudit/mxaudit/audit/certs"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/resolve"
	"github.com/mxaudit/mxaudit/audit/resolve/dnstest"
	"github.com/mxaudit/mxaudit/audit/smtp"
)

// TestFortyMXHosts: a domain publishing 40 MX hosts costs one MX question
// and the A and AAAA questions of the first 20; the other 20 are recorded
// as left out, and the domain is incomplete. The addresses are private and
// the SMTP dial is a recording stub: nothing is dialled.
func TestFortyMXHosts(t *testing.T) {
	var zone strings.Builder
	zone.WriteString("$ORIGIN test.\n$TTL 300\ntest. IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60\n")
	for i := range 40 {
		fmt.Fprintf(&zone, "forty IN MX %d mx%02d.forty.test.\nmx%02d.forty IN A 10.0.40.%d\n", 10+i, i, i, i+1)
	}
	dns, err := dnstest.StartZone("127.0.0.1:0", zone.String())
	if err != nil {
		t.Fatalf("StartZone: %v", err)
	}
	t.Cleanup(func() { _ = dns.Close() })
	res, err := resolve.New(resolve.Config{Servers: []string{dns.Addr()}, Timeout: time.Second, DNSSEC: resolve.DNSSECOff})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	sc, err := smtp.New(smtp.Config{EHLOName: "scanner.mxaudit.test", Dial: rec.dial})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.New(audit.Config{Resolver: res, SMTP: sc, Verifier: &certs.Verifier{}, DomainTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	before := dns.Queries()
	d := a.Domain(context.Background(), "forty.test")
	if q := dns.Queries() - before; q != 1+2*20 {
		t.Errorf("%d DNS queries, want 41 (MX, then A and AAAA of 20 hosts)", q)
	}
	if got := rec.addresses(); len(got) != 0 {
		t.Errorf("dialled %v", got)
	}
	if len(d.Hosts) != 20 || len(d.MX.Omitted) != 20 || d.MX.Omitted[0].Host != "mx20.forty.test" || d.Error != nil {
		t.Fatalf("%d hosts, omitted %v, error %v", len(d.Hosts), d.MX.Omitted, d.Error)
	}
	g := grade.GradeDomain(d, grade.Default())
	if !g.Incomplete || !slices.ContainsFunc(g.Findings, func(f grade.Finding) bool {
		return f.Code == grade.CodeMXHostsOmitted && f.Args["count"] == "20" && f.Args["audited"] == "20"
	}) {
		t.Fatalf("incomplete %v, findings %v: want MX_HOSTS_OMITTED for 20 hosts", g.Incomplete, g.Findings)
	}
}

// TestDomainDeadline: a domain whose audit outlives its deadline is cut
// there and says so, instead of holding its worker for as long as it likes.
func TestDomainDeadline(t *testing.T) {
	a, err := audit.New(audit.Config{Resolver: slowResolver{}, SMTP: mustSMTP(t), Verifier: &certs.Verifier{},
		DomainTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	d := a.Domain(context.Background(), "slow.example")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v, want about the 100 ms deadline", took)
	}
	if d.Error == nil || d.Error.Kind != evidence.ErrTimeout || !strings.Contains(d.Error.Message, "deadline of 100ms") {
		t.Fatalf("error %+v, want the domain's deadline", d.Error)
	}
}

// slowResolver answers only when its context ends.
type slowResolver struct{}

func (slowResolver) Domain(ctx context.Context, domain string) (evidence.MXLookup, []evidence.Host) {
	<-ctx.Done()
	return evidence.MXLookup{Kind: evidence.MXError, Lookup: evidence.Lookup{Name: domain, Type: "MX", Status: evidence.DNSTimeout}}, nil
}

func mustSMTP(t *testing.T) *smtp.Client {
	t.Helper()
	sc, err := smtp.New(smtp.Config{EHLOName: "scanner.mxaudit.test", Dial: (&recorder{}).dial})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
