package grade

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/dane/tlsa"
	"github.com/mxaudit/mxaudit/audit/evidence"
)

// daneState is the DANE verdict for one address: a tlsa.State, or
// daneUnknown when the evidence cannot say.
type daneState = tlsa.State

// DANE states.
const (
	// daneUnknown: the evidence cannot say (no TLSA evidence, a failed
	// lookup, or a DNSSEC status that was not checked).
	daneUnknown daneState = ""
	daneValid             = tlsa.StateValid
	daneInvalid           = tlsa.StateInvalid
)

// hostDANE is an MX host's TLSA evaluation as its addresses need it.
type hostDANE struct {
	records []evidence.TLSARecord
	// judged is set when the records are DNSSEC-secure and at least one is
	// usable, so each address's match decides valid or invalid.
	judged bool
}

// addressState is the DANE state of one address of the host.
func (h hostDANE) addressState(m *evidence.DANEMatch) daneState {
	if !h.judged {
		return daneUnknown
	}
	return tlsa.StateOf(h.records, true, m)
}

// usableLabels lists the host's usable records.
func (h hostDANE) usableLabels() []string {
	var out []string
	for _, r := range h.records {
		if tlsa.Unusable(r) == "" {
			out = append(out, tlsa.Label(r))
		}
	}
	return out
}

// tlsaLookupFailed reports whether DANE senders treat the TLSA lookup as
// failed, and so the host as unreachable (RFC 7672 §2.1.2): SERVFAIL, a
// timeout or another error, or an answer whose DNSSEC validation is bogus.
// REFUSED (usually the scanner's own resolver policy) and an indeterminate
// DNSSEC status are not counted: they say more about the scanner than the
// host.
func tlsaLookupFailed(l evidence.Lookup) bool {
	switch l.Status {
	case evidence.DNSServFail, evidence.DNSTimeout, evidence.DNSError:
		return true
	}
	return l.DNSSEC == evidence.DNSSECBogus
}

// daneHost raises the host-level DANE findings that need no address (a
// failed TLSA lookup, unusable records) and returns the evaluation the
// addresses need. TLSA records whose DNSSEC status was not checked are
// judged only on their usability: "not signed" is never guessed.
func daneHost(c *collector, h *evidence.Host) hostDANE {
	t := h.TLSA
	if t == nil {
		return hostDANE{}
	}
	if c.policy.v3() && t.Lookup.DNSSEC == evidence.DNSSECBogus {
		return hostDANE{} // DNSSEC_BOGUS, raised by dnssecHost
	}
	if tlsaLookupFailed(t.Lookup) {
		args := map[string]string{"status": string(t.Lookup.Status)}
		switch {
		case t.Lookup.DNSSEC == evidence.DNSSECBogus:
			args["dnssec"] = string(t.Lookup.DNSSEC)
			if t.Lookup.DNSSECReason != "" {
				args["dnssec_reason"] = t.Lookup.DNSSECReason
			}
		case t.Lookup.Error != "":
			args["error"] = t.Lookup.Error
		}
		c.add(CodeDANETLSALookupFailed, args)
		return hostDANE{}
	}
	if len(t.Records) == 0 {
		return hostDANE{}
	}
	// The facts of why senders cannot use the records: "dnssec" insecure
	// (senders ignore unsigned records), "unusable" each record with what
	// makes it unusable for SMTP when none is usable.
	args := map[string]string{}
	if t.Lookup.DNSSEC == evidence.DNSSECInsecure {
		args["dnssec"] = string(t.Lookup.DNSSEC)
	}
	var unusable []string
	for _, r := range t.Records {
		if u := tlsa.Unusable(r); u != "" {
			unusable = append(unusable, shortTLSA(r)+": "+u)
		}
	}
	if len(unusable) == len(t.Records) {
		args["unusable"] = strings.Join(unusable, "; ")
	}
	if len(args) > 0 {
		labels := make([]string, len(t.Records))
		for i, r := range t.Records {
			labels[i] = shortTLSA(r)
		}
		args["records"] = strings.Join(labels, ", ")
		c.add(CodeDANEUnusable, args)
		return hostDANE{}
	}
	if t.Lookup.DNSSEC != evidence.DNSSECSecure {
		return hostDANE{} // DNSSEC not checked: valid or invalid cannot be told
	}
	return hostDANE{records: t.Records, judged: true}
}

// noRolloverFinding raises DANE_NO_ROLLOVER for a host with valid DANE
// whose records do not allow a key change without an outage (RFC 7671 §8.1).
func noRolloverFinding(c *collector, hd hostDANE) {
	if tlsa.RolloverReady(hd.records) {
		return
	}
	labels := hd.usableLabels()
	c.add(CodeDANENoRollover, map[string]string{"records": strings.Join(labels, ", "), "count": strconv.Itoa(len(labels))})
}

// shortTLSA names a record without its (long) data.
func shortTLSA(r evidence.TLSARecord) string {
	d := strings.ToLower(r.Data)
	const keep = 16
	if len(d) > keep {
		d = d[:keep] + "…"
	}
	return fmt.Sprintf("%d %d %d %s", r.Usage, r.Selector, r.MatchingType, d)
}

// dnssecDomain raises the findings about the DNSSEC status of the MX
// lookup: bogus is critical (validating resolvers answer SERVFAIL, so mail
// cannot be delivered); insecure is information for a domain that has mail
// hosts (DANE cannot protect the choice of MX hosts).
func dnssecDomain(c *collector, mx evidence.MXLookup) {
	l := mx.Lookup
	switch l.DNSSEC {
	case evidence.DNSSECBogus:
		args := map[string]string{"lookup": "MX"}
		if l.DNSSECReason != "" {
			args["reason"] = l.DNSSECReason
		}
		c.add(CodeDNSSECBogus, args)
	case evidence.DNSSECInsecure:
		if mx.Kind == evidence.MXExplicit || mx.Kind == evidence.MXImplicit {
			c.add(CodeDNSSECUnsigned, nil)
		}
	}
}

// dnssecHost raises DNSSEC_BOGUS for an MX host whose address lookups fail
// DNSSEC validation, and under policy version 3 whose TLSA lookup does: DANE
// senders then defer mail to the host, as they do on a TLSA mismatch
// (RFC 7672 §2.1.1).
func dnssecHost(c *collector, h *evidence.Host) {
	var lookups, reasons []string
	queries := []struct {
		typ string
		l   *evidence.Lookup
	}{{"A", h.A}, {"AAAA", h.AAAA}}
	if c.policy.v3() && h.TLSA != nil {
		queries = append(queries, struct {
			typ string
			l   *evidence.Lookup
		}{"TLSA", &h.TLSA.Lookup})
	}
	for _, q := range queries {
		if q.l == nil || q.l.DNSSEC != evidence.DNSSECBogus {
			continue
		}
		lookups = append(lookups, q.typ)
		if q.l.DNSSECReason != "" {
			reasons = append(reasons, q.typ+": "+q.l.DNSSECReason)
		}
	}
	if len(lookups) == 0 {
		return
	}
	list := strings.Join(lookups, ", ")
	args := map[string]string{"lookup": list}
	if len(reasons) > 0 {
		args["reason"] = strings.Join(reasons, "; ")
	}
	c.add(CodeDNSSECBogus, args)
}
