package posture

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// dmarcPrefix is the label under which DMARC records live (RFC 7489 §6.1).
const dmarcPrefix = "_dmarc."

// maxDestinations bounds the external report destinations verified.
const maxDestinations = 8

// OrgDomain returns the organisational domain of domain (RFC 7489 §3.2):
// one label below its public suffix, from the Public Suffix List. A name
// that is itself a public suffix, or unknown to the list, is returned as is.
// (DMARCbis replaces the list with a walk up the DNS tree.)
func OrgDomain(domain string) string {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return org
}

// CheckDMARC finds the DMARC record that applies to domain: at
// _dmarc.DOMAIN, else at _dmarc of its organisational domain (§6.6.3).
// Exactly one record must begin with v=DMARC1; several are treated as no
// policy, which we report as invalid (the owner published something).
// Every tag is parsed, and each mailto report destination outside the
// policy domain's organisational domain is verified (§7.1).
func CheckDMARC(ctx context.Context, r Resolver, domain string) *evidence.DMARC {
	res := &evidence.DMARC{OrgDomain: OrgDomain(domain)}
	l, txts := r.TXT(ctx, dmarcPrefix+domain)
	res.TXT = l
	recs, status, ok := dmarcAt(l, txts)
	policyDomain := domain
	if ok && len(recs) == 0 && res.OrgDomain != domain {
		ol, otxts := r.TXT(ctx, dmarcPrefix+res.OrgDomain)
		res.OrgTXT = &ol
		recs, status, ok = dmarcAt(ol, otxts)
		policyDomain = res.OrgDomain
	}
	if !ok {
		res.Status, res.Reason = evidence.DMARCTempError, "the DMARC lookup failed ("+string(status)+")"
		return res
	}
	switch len(recs) {
	case 0:
		res.Status = evidence.DMARCMissing
		res.Reason = "no DMARC record at " + dmarcPrefix + domain
		if res.OrgTXT != nil {
			res.Reason += " nor at " + dmarcPrefix + res.OrgDomain
		}
		return res
	case 1:
	default:
		res.PolicyDomain, res.Records = policyDomain, recs
		res.Status = evidence.DMARCInvalid
		res.Reason = fmt.Sprintf("%d records begin with v=DMARC1 at %s%s; receivers then apply no policy (RFC 7489 §6.6.3)",
			len(recs), dmarcPrefix, policyDomain)
		return res
	}
	res.PolicyDomain, res.Records, res.Record = policyDomain, recs, recs[0]
	rec := ParseDMARC(res.Record)
	res.Policy, res.SubdomainPolicy, res.SubdomainPolicySet = rec.Policy, rec.SubdomainPolicy, rec.SubdomainPolicySet
	pct, ri := rec.PCT, rec.RI
	res.PCT, res.RI = &pct, &ri
	res.RUA, res.RUF = rec.RUA, rec.RUF
	res.ADKIM, res.ASPF, res.FO = rec.ADKIM, rec.ASPF, rec.FO
	res.Errors = rec.Errors
	if len(rec.Errors) > 0 {
		res.Status, res.Reason = evidence.DMARCInvalid, strings.Join(rec.Errors, "; ")
		if rec.Policy == "none" && !strings.Contains(strings.ToLower(res.Record), "p=none") {
			res.Reason += "; with a valid rua receivers apply it as p=none (RFC 7489 §6.6.3)"
		}
	} else {
		res.Status = evidence.DMARCValid
	}
	res.Destinations = checkDestinations(ctx, r, policyDomain, append(append([]string(nil), rec.RUA...), rec.RUF...))
	return res
}

// dmarcAt returns the DMARC records of one answer; ok is false when the
// lookup failed (anything but an answer, NODATA or NXDOMAIN).
func dmarcAt(l evidence.Lookup, txts []string) (recs []string, status evidence.DNSStatus, ok bool) {
	switch l.Status {
	case evidence.DNSOK:
		for _, t := range txts {
			if IsDMARC(t) {
				recs = append(recs, t)
			}
		}
		return recs, l.Status, true
	case evidence.DNSNoData, evidence.DNSNXDomain:
		return nil, l.Status, true
	}
	return nil, l.Status, false
}

// checkDestinations verifies each report destination domain outside the
// policy domain's organisational domain: it must publish a v=DMARC1 TXT
// record at POLICYDOMAIN._report._dmarc.DEST (§7.1).
func checkDestinations(ctx context.Context, r Resolver, policyDomain string, uris []string) []evidence.DMARCDestination {
	org := OrgDomain(policyDomain)
	var dests []string
	for _, u := range uris {
		d, err := MailtoDomain(u)
		if err != nil || OrgDomain(d) == org || slices.Contains(dests, d) {
			continue
		}
		dests = append(dests, d)
	}
	if len(dests) > maxDestinations {
		dests = dests[:maxDestinations]
	}
	var out []evidence.DMARCDestination
	for _, d := range dests {
		l, txts := r.TXT(ctx, policyDomain+"._report._dmarc."+d)
		dd := evidence.DMARCDestination{Domain: d, Lookup: l, Auth: evidence.DestUnauthorized}
		switch l.Status {
		case evidence.DNSOK:
			for _, t := range txts {
				if IsDMARC(t) {
					dd.Auth = evidence.DestAuthorized
				}
			}
		case evidence.DNSNoData, evidence.DNSNXDomain:
		default:
			dd.Auth = evidence.DestUnknown
		}
		out = append(out, dd)
	}
	return out
}
