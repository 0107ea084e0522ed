// Package posture checks a domain's sender-authentication records: SPF
// (RFC 7208), DMARC (RFC 7489) and the DKIM keys (RFC 6376) of selectors
// the user names. It only asks DNS questions, through the run's resolver
// (audit/resolve), and records what it saw as evidence; judging it is
// audit/grade's job.
//
// Every check is bounded: a per-domain deadline, a budget of DNS
// questions, include and redirect loops detected, records longer than a
// few KiB refused, and at most a few dozen URIs and selectors considered.
package posture

import (
	"context"
	"time"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/resolve"
)

// Resolver is what the checks need from DNS. *resolve.Resolver implements it.
type Resolver interface {
	TXT(ctx context.Context, name string) (evidence.Lookup, []string)
	Query(ctx context.Context, name string, qtype uint16) (evidence.Lookup, []dns.RR)
}

var _ Resolver = (*resolve.Resolver)(nil)

// Defaults for Config fields left zero.
const (
	// DefaultTimeout bounds the checks of one domain.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxQueries bounds the DNS questions of one SPF check: the
	// lookup-term limit of 10 plus the void-lookup questions and slack to
	// measure how far past the limit a record goes.
	DefaultMaxQueries = 40
	// MaxSelectors bounds the DKIM selectors checked per domain.
	MaxSelectors = 16
)

// Config bounds the checks.
type Config struct {
	// Timeout is the deadline of one domain's checks; DefaultTimeout when zero.
	Timeout time.Duration
	// MaxQueries bounds the SPF check's DNS questions; DefaultMaxQueries when zero.
	MaxQueries int
}

// Result is the evidence of one domain's checks.
type Result struct {
	SPF   *evidence.SPF
	DMARC *evidence.DMARC
	DKIM  []evidence.DKIMKey
}

// Check runs the SPF, DMARC and DKIM checks of domain (an A-label) under
// one deadline. selectors are the DKIM selectors to check (none: no DKIM
// key is looked up, as selectors cannot be discovered from DNS).
func Check(ctx context.Context, r Resolver, domain string, selectors []string, cfg Config) Result {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	maxQ := cfg.MaxQueries
	if maxQ <= 0 {
		maxQ = DefaultMaxQueries
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return Result{
		SPF:   CheckSPF(ctx, r, domain, maxQ),
		DMARC: CheckDMARC(ctx, r, domain),
		DKIM:  CheckDKIM(ctx, r, domain, selectors),
	}
}
