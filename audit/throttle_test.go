package audit_test

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit"
	"github.com/mxaudit/mxaudit/audit/certs"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/smtp"
	"github.com/mxaudit/mxaudit/audit/smtp/smtptest"
)

// throttledAudit audits one smtptest server that answers 421 after
// `after` connections for `cooldown`, with the given throttle budget.
func throttledAudit(t *testing.T, ip string, after int, cooldown, budget time.Duration) (*evidence.Probe, *smtptest.Server) {
	t.Helper()
	now := time.Now()
	cert, err := smtptest.SelfSignedCert([]string{"throttled.example"}, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := smtptest.Start(ip+":0", smtptest.Behavior{Hostname: "throttled.example", ThrottleAfter: after, ThrottleFor: cooldown,
		TLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	_, portText, _ := net.SplitHostPort(srv.Addr())
	port, _ := strconv.Atoi(portText)
	sc, err := smtp.New(smtp.Config{Port: port, EHLOName: "scanner.mxaudit.test", ConnectTimeout: time.Second,
		BannerTimeout: time.Second, CommandTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	a, err := audit.New(audit.Config{Resolver: staticResolver{"throttled.example": ip}, SMTP: sc, Port: port,
		Verifier: &certs.Verifier{}, Retries: 1, RetryBackoff: 10 * time.Millisecond, AllowPrivate: true,
		StepTimeout:    time.Second,
		ThrottleBudget: budget, ThrottleBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return only(t, a.Domain(context.Background(), "throttled.example")).Probe, srv
}

func suitesOf(p *evidence.Probe) map[string][]string {
	out := map[string][]string{}
	for _, v := range p.Versions {
		for _, s := range v.Suites {
			out[v.Version] = append(out[v.Version], s.Code)
		}
		slices.Sort(out[v.Version])
	}
	return out
}

// TestThrottledServerResumed: a provider that refuses after a few
// connections a while is enumerated to the end, with nothing learnt lost,
// and the throttling is in the evidence.
func TestThrottledServerResumed(t *testing.T) {
	free, _ := throttledAudit(t, "127.0.3.20", 0, 0, time.Second)
	p, srv := throttledAudit(t, "127.0.3.21", 4, 150*time.Millisecond, 30*time.Second)
	if p.Status != evidence.ProbeOK {
		t.Fatalf("status %s: %+v", p.Status, p.Error)
	}
	if srv.Stats().Throttled == 0 {
		t.Fatal("the server never throttled: the test proves nothing")
	}
	if p.Throttle == nil || p.Throttle.Refusals == 0 || p.Throttle.Waited <= 0 || p.Throttle.BudgetExhausted {
		t.Fatalf("throttle evidence = %+v", p.Throttle)
	}
	for _, v := range p.Versions {
		if v.Support == evidence.Supported && !v.Complete {
			t.Errorf("%s incomplete after throttling: %s", v.Version, v.Reason)
		}
		if v.Support == evidence.Inconclusive {
			t.Errorf("%s inconclusive after throttling: %s", v.Version, v.Reason)
		}
	}
	got, want := suitesOf(p), suitesOf(free)
	for v, w := range want {
		if !slices.Equal(got[v], w) {
			t.Errorf("%s suites %v, want %v as without throttling", v, got[v], w)
		}
	}
	if free.Throttle != nil {
		t.Errorf("an unthrottled server has throttle evidence %+v", free.Throttle)
	}
}

// TestThrottleBudgetExhausted: a server that keeps refusing past the
// budget leaves an incomplete enumeration, said so, and never a complete
// address with a suite list cut short.
func TestThrottleBudgetExhausted(t *testing.T) {
	p, _ := throttledAudit(t, "127.0.3.22", 4, time.Minute, 200*time.Millisecond)
	if p.Throttle == nil || !p.Throttle.BudgetExhausted {
		t.Fatalf("throttle evidence = %+v", p.Throttle)
	}
	complete := true
	for _, v := range p.Versions {
		if v.Support != evidence.NotTested && !v.Complete {
			complete = false
		}
	}
	if complete {
		t.Fatalf("every version complete although the server refused past the budget: %+v", p.Versions)
	}
	d := &evidence.Domain{Domain: "throttled.example", MX: evidence.MXLookup{Kind: evidence.MXExplicit},
		Hosts: []evidence.Host{{Name: "throttled.example", Addresses: []evidence.Address{{IP: p.IP, Probe: p}}}}}
	if g := grade.GradeDomain(d, grade.Default()); !g.Incomplete {
		t.Errorf("domain graded %s without Incomplete", g.Grade)
	}
}
