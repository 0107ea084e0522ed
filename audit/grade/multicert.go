package grade

import (
	"slices"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// certCheckKeys are the checks certChecks decides.
var certCheckKeys = []Check{CheckCertName, CheckVerifiable}

// otherCertChecks judges the other certificates a sender can be given at
// an address (Address.OtherCerts: the ECDSA one beside an RSA one, the one
// served without SNI) like the primary: each check takes the worst result
// over all of them, and a finding a certificate raises names it in the
// "certificate" argument. Only under a policy with the version 3 rules;
// version 2 judged the primary certificate alone.
func otherCertChecks(c *collector, checks map[Check]Result, others []evidence.CertCheck, p Policy) {
	if !p.judgesVulns() {
		return
	}
	for i := range others {
		oc := &others[i]
		tmp := newChecks(NotTested)
		before := len(c.findings)
		certChecks(c, tmp, oc, p)
		for _, k := range certCheckKeys {
			if tmp[k] != NotTested {
				checks[k] = worstOf(checks[k], tmp[k])
			}
		}
		for j := before; j < len(c.findings); j++ {
			if c.findings[j].Args == nil {
				c.findings[j].Args = map[string]string{}
			}
			c.findings[j].Args["certificate"] = oc.Via
		}
	}
}

// worstOf is the worse of two results where NotTested yields to any
// answer (a check not made on one certificate says nothing of another).
func worstOf(a, b Result) Result {
	if a == NotTested {
		return b
	}
	return worstResult(a, b)
}

// addressDANE is the TLSA match that decides an address's DANE state: the
// primary certificate's, unless (under the version 3 rules) another
// certificate a sender can be given fails, since DANE must hold for every
// one. via names that certificate ("" for the primary).
func addressDANE(h hostDANE, addr *evidence.Address, p Policy) (m *evidence.DANEMatch, via string) {
	m = addr.DANE
	if !p.judgesVulns() || h.addressState(m) == daneInvalid {
		return m, ""
	}
	i := slices.IndexFunc(addr.OtherCerts, func(oc evidence.CertCheck) bool {
		return oc.DANE != nil && h.addressState(oc.DANE) == daneInvalid
	})
	if i < 0 {
		return m, ""
	}
	return addr.OtherCerts[i].DANE, addr.OtherCerts[i].Via
}

// othersEnforce adds to an MTA-STS enforce verdict what the other
// certificates fail: a sender offered one of them refuses it just the same.
// Each of its reasons is named for the certificate, by how it was served
// (phrase mtasts_enforce.other_certificate).
func othersEnforce(st evidence.ProbeStatus, v view, others []evidence.CertCheck, p Policy, res Result, reasons []Phrase) (Result, []Phrase) {
	if !p.judgesVulns() || res == NotTested {
		return res, reasons
	}
	for i := range others {
		r, why := enforceCheck(st, v, &others[i])
		if r != Fail {
			continue
		}
		res = Fail
		for _, w := range why {
			named := Phrase{Code: "mtasts_enforce.other_certificate", Args: map[string]string{"certificate": others[i].Via}, Items: []Phrase{w}}
			if !slices.ContainsFunc(reasons, named.equal) {
				reasons = append(reasons, named)
			}
		}
	}
	return res, reasons
}

// othersMatchedByEE reports whether every other certificate with a TLSA
// match is authenticated by a DANE-EE record too, so waiving the PKIX
// findings (RFC 7672 §3.1.1) holds for whichever certificate a sender gets.
func othersMatchedByEE(others []evidence.CertCheck) bool {
	for i := range others {
		if others[i].DANE != nil && !matchedByEE(others[i].DANE) {
			return false
		}
	}
	return true
}
