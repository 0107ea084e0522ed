package grade

import (
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// TLSA certificate usages, selectors and matching types (RFC 6698 §2.1,
// RFC 7218 mnemonics).
const (
	tlsaUsagePKIXTA  uint8 = 0
	tlsaUsagePKIXEE  uint8 = 1
	tlsaUsageDANETA  uint8 = 2
	tlsaUsageDANEEE  uint8 = 3
	tlsaSelectorCert uint8 = 0
	tlsaSelectorSPKI uint8 = 1
	tlsaMatchFull    uint8 = 0
	tlsaMatchSHA256  uint8 = 1
	tlsaMatchSHA512  uint8 = 2
)

// Digest sizes of the SHA2-256 and SHA2-512 matching types, in bytes.
const (
	sha256Len = 32
	sha512Len = 64
)

// rolloverMinEE is how many usable DANE-EE records make a rollover safe on
// their own (internet.nl's rule, as audit/dane.RolloverReady applies it).
const rolloverMinEE = 2

// daneState is the DANE verdict for one address. The values other than
// daneUnknown are those of audit/dane.State, and daneStateOf decides them
// exactly as audit/dane.StateOf does.
type daneState string

// DANE states.
const (
	// daneUnknown: the evidence cannot say (no TLSA evidence, a failed
	// lookup, or a DNSSEC status that was not checked).
	daneUnknown   daneState = ""
	daneNone      daneState = "none"
	daneValid     daneState = "valid"
	daneInvalid   daneState = "invalid"
	daneUnusable  daneState = "unusable"
	daneNotTested daneState = "not_tested"
)

// daneStateOf is audit/dane.StateOf re-derived from evidence: none without
// records; unusable when the RRset is not secure or no record is usable for
// SMTP; not_tested without match evidence; valid when a record matched,
// invalid otherwise.
func daneStateOf(records []evidence.TLSARecord, secure bool, m *evidence.DANEMatch) daneState {
	if len(records) == 0 {
		return daneNone
	}
	if !secure || countUsable(records) == 0 {
		return daneUnusable
	}
	if m == nil {
		return daneNotTested
	}
	if len(m.Matched) > 0 {
		return daneValid
	}
	return daneInvalid
}

// tlsaUnusable says why SMTP senders cannot use a TLSA record, or "" when
// they can (audit/dane's rules, RFC 7672 §3.1.3, RFC 6698 §2.1): usages 0
// and 1 are unusable on port 25, selector and matching type must be known,
// the data must be non-empty hex, a digest must have its size, and Full
// data must be a DER certificate or SubjectPublicKeyInfo.
func tlsaUnusable(r evidence.TLSARecord) string {
	if r.Usage != tlsaUsageDANETA && r.Usage != tlsaUsageDANEEE {
		if r.Usage == tlsaUsagePKIXTA || r.Usage == tlsaUsagePKIXEE {
			return fmt.Sprintf("usage %d (PKIX) is unusable for SMTP", r.Usage)
		}
		return fmt.Sprintf("usage %d is not supported", r.Usage)
	}
	if r.Selector != tlsaSelectorCert && r.Selector != tlsaSelectorSPKI {
		return fmt.Sprintf("selector %d is not supported", r.Selector)
	}
	if r.MatchingType > tlsaMatchSHA512 {
		return fmt.Sprintf("matching type %d is not supported", r.MatchingType)
	}
	data, err := hex.DecodeString(r.Data)
	if err != nil || len(data) == 0 {
		return "data is not hex"
	}
	if want := tlsaDigestLen(r.MatchingType); want != 0 && len(data) != want {
		return fmt.Sprintf("digest is %d bytes, not %d", len(data), want)
	}
	if r.MatchingType == tlsaMatchFull {
		if err := tlsaCheckFull(r.Selector, data); err != nil {
			return err.Error()
		}
	}
	return ""
}

// tlsaDigestLen is the digest size of a matching type; 0 for Full and
// unknown types.
func tlsaDigestLen(mtype uint8) int {
	switch mtype {
	case tlsaMatchSHA256:
		return sha256Len
	case tlsaMatchSHA512:
		return sha512Len
	}
	return 0
}

// tlsaCheckFull checks that Full data has the DER structure its selector
// names, without a full parse (a key or certificate Go cannot use still
// matches byte for byte).
func tlsaCheckFull(selector uint8, data []byte) error {
	var err error
	name := "SubjectPublicKeyInfo"
	if selector == tlsaSelectorCert {
		name = "certificate"
		var c struct {
			TBS, Algorithm asn1.RawValue
			Signature      asn1.BitString
		}
		err = unmarshalAll(data, &c)
	} else {
		var k struct {
			Algorithm asn1.RawValue
			Key       asn1.BitString
		}
		err = unmarshalAll(data, &k)
	}
	if err != nil {
		return fmt.Errorf("full data is not a DER %s: %w", name, err)
	}
	return nil
}

// unmarshalAll decodes DER into v and refuses trailing bytes.
func unmarshalAll(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errors.New("trailing data")
	}
	return nil
}

// countUsable counts the records usable for SMTP.
func countUsable(records []evidence.TLSARecord) int {
	n := 0
	for _, r := range records {
		if tlsaUnusable(r) == "" {
			n++
		}
	}
	return n
}

// tlsaLabel writes a record as "u s m data", the form DANEMatch.Matched uses.
func tlsaLabel(r evidence.TLSARecord) string {
	return fmt.Sprintf("%d %d %d %s", r.Usage, r.Selector, r.MatchingType, strings.ToLower(r.Data))
}

// rolloverReady is audit/dane.RolloverReady re-derived: at least two
// usable DANE-EE records, or a usable DANE-EE and a usable DANE-TA record,
// duplicates counted once.
func rolloverReady(records []evidence.TLSARecord) bool {
	seen := map[string]bool{}
	var ee, ta int
	for _, r := range records {
		if tlsaUnusable(r) != "" || seen[tlsaLabel(r)] {
			continue
		}
		seen[tlsaLabel(r)] = true
		switch r.Usage {
		case tlsaUsageDANEEE:
			ee++
		case tlsaUsageDANETA:
			ta++
		}
	}
	return ee >= rolloverMinEE || ee >= 1 && ta >= 1
}

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
	return daneStateOf(h.records, true, m)
}

// usableLabels lists the host's usable records.
func (h hostDANE) usableLabels() []string {
	var out []string
	for _, r := range h.records {
		if tlsaUnusable(r) == "" {
			out = append(out, tlsaLabel(r))
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
	if tlsaLookupFailed(t.Lookup) {
		args := map[string]string{"status": string(t.Lookup.Status)}
		reason := string(t.Lookup.Status)
		switch {
		case t.Lookup.DNSSEC == evidence.DNSSECBogus:
			args["dnssec"] = string(t.Lookup.DNSSEC)
			reason = "DNSSEC validation bogus"
			if t.Lookup.DNSSECReason != "" {
				reason += ": " + t.Lookup.DNSSECReason
			}
		case t.Lookup.Error != "":
			reason += ": " + t.Lookup.Error
		}
		args["reason"] = reason
		c.add(CodeDANETLSALookupFailed, "The TLSA lookup failed ("+reason+"), so DANE senders treat the MX host as unreachable.", args)
		return hostDANE{}
	}
	if len(t.Records) == 0 {
		return hostDANE{}
	}
	var why, unusable []string
	if t.Lookup.DNSSEC == evidence.DNSSECInsecure {
		why = append(why, "the TLSA records are not DNSSEC-signed (insecure), so senders ignore them")
	}
	for _, r := range t.Records {
		if u := tlsaUnusable(r); u != "" {
			unusable = append(unusable, shortTLSA(r)+": "+u)
		}
	}
	if len(unusable) == len(t.Records) {
		why = append(why, "no TLSA record is usable for SMTP ("+strings.Join(unusable, "; ")+")")
	}
	if len(why) > 0 {
		reason := strings.Join(why, "; ")
		labels := make([]string, len(t.Records))
		for i, r := range t.Records {
			labels[i] = shortTLSA(r)
		}
		c.add(CodeDANEUnusable, "The MX host publishes TLSA records that senders cannot use: "+reason+".",
			map[string]string{"reason": reason, "records": strings.Join(labels, ", ")})
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
	if rolloverReady(hd.records) {
		return
	}
	labels := hd.usableLabels()
	c.add(CodeDANENoRollover, "The TLSA records match, but none is published for a next key: a key or certificate change will break DANE delivery.",
		map[string]string{"records": strings.Join(labels, ", "), "count": strconv.Itoa(len(labels))})
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
		reason := "the MX records fail DNSSEC validation (bogus)"
		if l.DNSSECReason != "" {
			args["reason"] = l.DNSSECReason
			reason += ": " + l.DNSSECReason
		}
		c.add(CodeDNSSECBogus, "Validating resolvers cannot use the domain's DNS: "+reason+".", args)
	case evidence.DNSSECInsecure:
		if mx.Kind == evidence.MXExplicit || mx.Kind == evidence.MXImplicit {
			c.add(CodeDNSSECUnsigned, "The domain's MX records are not DNSSEC-signed.", nil)
		}
	}
}

// dnssecHost raises DNSSEC_BOGUS for an MX host whose address lookups fail
// DNSSEC validation.
func dnssecHost(c *collector, h *evidence.Host) {
	var lookups, reasons []string
	for _, q := range []struct {
		typ string
		l   *evidence.Lookup
	}{{"A", h.A}, {"AAAA", h.AAAA}} {
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
	reason := "the " + list + " records of the MX host fail DNSSEC validation (bogus)"
	if len(reasons) > 0 {
		args["reason"] = strings.Join(reasons, "; ")
		reason += ": " + args["reason"]
	}
	c.add(CodeDNSSECBogus, "Validating resolvers cannot find the MX host's addresses: "+reason+".", args)
}
