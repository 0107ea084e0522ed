package resolve

import (
	"context"
	"fmt"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// LookupHost returns the IPv4 and IPv6 addresses of host, A before AAAA,
// through the same servers and cache as every other question, so that the
// MTA-STS policy host is found the way the mail hosts are.
func (r *Resolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	var ips []string
	var failed []string
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		l, rrs := r.Query(ctx, host, t)
		for _, rr := range rrs {
			switch v := rr.(type) {
			case *dns.A:
				ips = append(ips, v.A.String())
			case *dns.AAAA:
				ips = append(ips, v.AAAA.String())
			}
		}
		if l.Status != evidence.DNSOK && l.Status != evidence.DNSNoData {
			failed = append(failed, fmt.Sprintf("%s %s", l.Type, l.Status))
		}
	}
	if len(ips) == 0 {
		if len(failed) > 0 {
			return nil, fmt.Errorf("look up %s: %v", host, failed)
		}
		return nil, fmt.Errorf("look up %s: no address", host)
	}
	return ips, nil
}
