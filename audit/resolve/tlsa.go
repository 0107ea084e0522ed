package resolve

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// maxPort is the highest TCP port.
const maxPort = 65535

// TLSA asks for the TLSA records of the service at host and TCP port,
// _<port>._tcp.<host> (RFC 7672 §2.2.3 for SMTP: port 25, host the MX
// host name). A CNAME at that name is followed; the base domain stays
// host. Choosing host is the caller's part: RFC 7672 §2.2.3 tries the
// CNAME-expanded MX host name first when its expansion is secure, then the
// original name. Records holds each TLSA record with Data as lower-case
// hex; Lookup.DNSSEC is set as for Query. A host that is not a domain
// name (an IP literal) or a port outside 1-65535 gives an error Lookup
// and no query.
func (r *Resolver) TLSA(ctx context.Context, host string, port int) *evidence.TLSALookup {
	base := strings.TrimSuffix(host, ".")
	name := "_" + strconv.Itoa(port) + "._tcp." + base
	switch {
	case port < 1 || port > maxPort:
		return tlsaError(name, fmt.Sprintf("invalid port %d: no query sent", port))
	case base == "":
		return tlsaError(name, "empty host name: no query sent")
	}
	if _, ok := ipLiteral(base); ok {
		return tlsaError(name, fmt.Sprintf("host %q is an ip address, which has no tlsa records: no query sent", host))
	}
	l, rrs := r.query(ctx, name, dns.TypeTLSA)
	out := &evidence.TLSALookup{Lookup: l}
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TLSA); ok {
			out.Records = append(out.Records, evidence.TLSARecord{
				Usage:        t.Usage,
				Selector:     t.Selector,
				MatchingType: t.MatchingType,
				Data:         strings.ToLower(t.Certificate),
			})
		}
	}
	return out
}

func tlsaError(name, msg string) *evidence.TLSALookup {
	return &evidence.TLSALookup{Lookup: evidence.Lookup{
		Name:   name,
		Type:   typeName(dns.TypeTLSA),
		Status: evidence.DNSError,
		Error:  msg,
	}}
}
