package audit_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
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

// privateZone points a vendor's MX hosts and MTA-STS policy host at
// addresses the scanner must never dial: private-use, cloud metadata,
// link-local, unique local, IPv4-mapped loopback, a 6to4 of a private
// address, and loopback itself.
const privateZone = `
$ORIGIN test.
$TTL 300
test.                 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 60
vendor                IN MX 10 internal.vendor.test.
vendor                IN MX 20 metadata.vendor.test.
vendor                IN MX 30 v6.vendor.test.
vendor                IN MX 40 loop.vendor.test.
internal.vendor       IN A    10.1.2.3
internal.vendor       IN A    192.168.7.7
metadata.vendor       IN A    169.254.169.254
v6.vendor             IN AAAA fe80::1
v6.vendor             IN AAAA fd00::25
v6.vendor             IN AAAA ::ffff:127.0.0.1
v6.vendor             IN AAAA 2002:a00:1::1
loop.vendor           IN A    127.0.0.1
_mta-sts.vendor       IN TXT  "v=STSv1; id=1"
mta-sts.vendor        IN A    172.16.5.5
mta-sts.vendor        IN AAAA fe80::443
`

// recorder is a dial stub: it records every address it is asked for and
// never opens a socket, so no packet leaves even when the guard is broken.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

var errStub = errors.New("recording stub: no connection made")

func (r *recorder) dial(_ context.Context, _, address string) (net.Conn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, address)
	return nil, errStub
}

func (r *recorder) addresses() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen)
}

func guardAuditor(t *testing.T, allow bool) (*audit.Auditor, *recorder, *recorder) {
	t.Helper()
	dns, err := dnstest.StartZone("127.0.0.1:0", privateZone)
	if err != nil {
		t.Fatalf("StartZone: %v", err)
	}
	t.Cleanup(func() { _ = dns.Close() })
	res, err := resolve.New(resolve.Config{Servers: []string{dns.Addr()}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	smtpDial, httpsDial := &recorder{}, &recorder{}
	sc, err := smtp.New(smtp.Config{EHLOName: "scanner.mxaudit.test", ConnectTimeout: time.Second, Dial: smtpDial.dial})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.New(audit.Config{Resolver: res, SMTP: sc, Verifier: &certs.Verifier{}, Retries: 0, Policies: true,
		HTTPSDial: httpsDial.dial, AllowPrivate: allow, StepTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return a, smtpDial, httpsDial
}

// TestGuardRefusesPrivateAddresses: by default not one private, loopback
// or link-local address is dialled, for SMTP or MTA-STS; each is recorded
// and graded as a finding, never as an audited MX.
func TestGuardRefusesPrivateAddresses(t *testing.T) {
	a, smtpDial, httpsDial := guardAuditor(t, false)
	d := a.Domain(context.Background(), "vendor.test")
	if got := smtpDial.addresses(); len(got) != 0 {
		t.Errorf("SMTP dialled %v, want nothing", got)
	}
	if got := httpsDial.addresses(); len(got) != 0 {
		t.Errorf("MTA-STS dialled %v, want nothing", got)
	}
	var ips []string
	for _, h := range d.Hosts {
		for _, addr := range h.Addresses {
			ips = append(ips, addr.IP)
			p := addr.Probe
			if p == nil || p.Status != evidence.ProbePrivateAddress || p.Error == nil || p.Error.Kind != evidence.ErrPrivateAddress || p.Connections != 0 {
				t.Errorf("%s %s: probe %+v, want private_address with no connection", h.Name, addr.IP, p)
			}
			if addr.Cert != nil {
				t.Errorf("%s: certificate checked on an address never dialled", addr.IP)
			}
		}
	}
	want := []string{"10.1.2.3", "192.168.7.7", "169.254.169.254", "fe80::1", "fd00::25", "::ffff:127.0.0.1", "2002:a00:1::1", "127.0.0.1"}
	slices.Sort(ips)
	slices.Sort(want)
	if !slices.Equal(ips, want) {
		t.Fatalf("addresses %v, want %v", ips, want)
	}
	if d.MTASTS == nil || d.MTASTS.Fetch == nil || d.MTASTS.Fetch.Error == nil || d.MTASTS.Fetch.Error.Kind != evidence.ErrPrivateAddress {
		t.Fatalf("MTA-STS fetch %+v, want a private_address error", d.MTASTS)
	}

	g := grade.GradeDomain(d, grade.Default())
	if g.Grade != grade.GradeInconclusive || !g.Incomplete {
		t.Errorf("grade %q incomplete %v, want ? and incomplete", g.Grade, g.Incomplete)
	}
	private := 0
	for _, f := range g.Findings {
		switch f.Code {
		case grade.CodeMXPrivateAddress:
			private++
		case grade.CodeMTASTSHostPrivate:
		case grade.CodeInconclusive, grade.CodeMTASTSPolicyUnavailable:
			t.Errorf("finding %s %s: the refusal has its own finding", f.Code, f.IP)
		}
	}
	if private != len(want) {
		t.Errorf("%d MX_PRIVATE_ADDRESS findings, want %d: %v", private, len(want), g.Findings)
	}
	for _, m := range g.MX {
		if m.Grade != grade.GradeInconclusive || !m.Inconclusive {
			t.Errorf("MX %s graded %q, want ? (never audited)", m.Host, m.Grade)
		}
	}
}

// TestGuardAllowPrivate: with private addresses allowed, every address is
// handed to the dialler (the stub, which connects nowhere).
func TestGuardAllowPrivate(t *testing.T) {
	a, smtpDial, httpsDial := guardAuditor(t, true)
	d := a.Domain(context.Background(), "vendor.test")
	got := smtpDial.addresses()
	for _, ip := range []string{"10.1.2.3:25", "169.254.169.254:25", "[fe80::1]:25", "[::ffff:127.0.0.1]:25", "127.0.0.1:25"} {
		if !slices.Contains(got, ip) {
			t.Errorf("SMTP dial of %s missing from %v", ip, got)
		}
	}
	if hs := httpsDial.addresses(); !slices.Contains(hs, "172.16.5.5:443") {
		t.Errorf("MTA-STS dials %v, want 172.16.5.5:443", hs)
	}
	for _, h := range d.Hosts {
		for _, addr := range h.Addresses {
			if addr.Probe == nil || addr.Probe.Status == evidence.ProbePrivateAddress {
				t.Errorf("%s: probe %+v, want a dial attempt", addr.IP, addr.Probe)
			}
		}
	}
}
