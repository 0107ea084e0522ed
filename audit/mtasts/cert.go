package mtasts

import (
	"crypto/x509"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/certs"
	"github.com/mxaudit/mxaudit/audit/evidence"
)

// stepCertificate is the step name of certificate failures.
const stepCertificate = "certificate"

// judgeCert is the default certificate judgement of the policy host
// (RFC 8461 §3.3). It is audit/certs' judgement, the one the MX hosts get
// (trust against roots, nil meaning the system roots; wildcard rules; key
// and signature strength; trust judged at the edge of the leaf's validity
// window, so an expired leaf from a trusted CA reads "expired"), with one
// difference the standard makes: the leaf must carry a SAN DNS-ID for name,
// so a match on the subject common name alone does not count.
func judgeCert(roots *x509.CertPool, name string, chain [][]byte, now time.Time) evidence.CertCheck {
	v := certs.Verifier{Roots: roots, Now: func() time.Time { return now }}
	out := v.Check(name, chain)
	out.Connections = 1
	if out.NameMatch != nil && *out.NameMatch && strings.HasPrefix(out.MatchedBy, certs.CNMatchPrefix) {
		no := false
		out.NameMatch, out.MatchedBy = &no, ""
	}
	return out
}

// rejection says why a sender would refuse the policy host's certificate
// (RFC 8461 §3.3), or "" when it would accept it.
func rejection(c evidence.CertCheck) string {
	if c.Error != nil {
		return c.Error.Message
	}
	var why []string
	switch {
	case c.Trusted == nil:
		why = append(why, "trust could not be judged: "+c.TrustError)
	case !*c.Trusted:
		why = append(why, "not trusted: "+c.TrustError)
	}
	if c.NameMatch == nil || !*c.NameMatch {
		why = append(why, "no SAN DNS-ID matches "+c.Name)
	}
	if c.Expired != nil && *c.Expired {
		why = append(why, "expired")
	}
	if c.NotYetValid {
		why = append(why, "not yet valid")
	}
	return strings.Join(why, "; ")
}
