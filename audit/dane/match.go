package dane

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/mxaudit/mxaudit/audit/dane/tlsa"
	"github.com/mxaudit/mxaudit/audit/evidence"
)

// maxChain bounds how many presented certificates are considered; real
// chains have two to four.
const maxChain = 16

// State is the DANE verdict for one MX address (tlsa.State).
type State = tlsa.State

// DANE states (see tlsa.State).
const (
	StateNone      = tlsa.StateNone
	StateValid     = tlsa.StateValid
	StateInvalid   = tlsa.StateInvalid
	StateUnusable  = tlsa.StateUnusable
	StateNotTested = tlsa.StateNotTested
)

// Reason texts shared with StateOf's cases.
const (
	reasonNoRecords = "no TLSA records"
	reasonUnsigned  = "TLSA in an unsigned zone: senders ignore it"
	reasonBogus     = "the TLSA lookup failed DNSSEC validation (bogus): DANE senders treat this MX host as unreachable"
	reasonUnproven  = "the TLSA lookup's DNSSEC status is indeterminate: DANE senders treat this MX host as unreachable"
	reasonNotProven = "DNSSEC was not validated: whether senders use these records is not known"
	reasonNoUsable  = "no TLSA record is usable for SMTP"
)

// Match checks the chain a server presented (leaf first, DER) against the
// TLSA records of its MX host (RFC 7672 §3, RFC 7671). dnssec is the DNSSEC
// status of the TLSA RRset; host is the TLSA base domain (the MX host
// name), the reference identifier for DANE-TA name checks.
//
// Records that are malformed or not usable for SMTP are discarded and
// counted out of Usable. Digest agility (RFC 7671 §9): for each usage and
// selector, when a SHA2-512 record exists the SHA2-256 records are ignored,
// as OpenSSL-based senders do.
//
// DANE-EE(3) matches the leaf only, with no name check, and the leaf's dates
// are ignored (RFC 7672 §3.1.1). DANE-TA(2) must match a presented
// certificate other than the leaf (the server must send its TA, RFC 7672
// §3.1.2); the leaf must chain to it by signature through presented
// certificates, and must name host (SAN DNS-IDs if any, else the CN;
// a wildcard only as the whole left-most label, RFC 7672 §3.2.3). With
// DANE-TA the chain below the TA is validated as usual, so every
// certificate from the leaf up to the TA must be within its validity
// window; the TA's own dates count when it is designated as a certificate
// (selector 0) and not when only its key is (selector 1). Only host is
// used as a reference identifier, not the next-hop domain.
//
// Matched lists every record that authenticates the chain; Reason explains
// a failure and notes discarded or ignored records. When the RRset is not
// secure the match is still computed, and Reason says what senders do with
// it (RFC 7672 §2.1.2, §2.2): an insecure RRset is ignored, a bogus or
// indeterminate lookup makes DANE senders treat the host as unreachable.
func Match(records []evidence.TLSARecord, dnssec evidence.DNSSECStatus, chain [][]byte, host string, now time.Time) *evidence.DANEMatch {
	m := &evidence.DANEMatch{}
	var notes []string
	note := func(format string, args ...any) { notes = append(notes, fmt.Sprintf(format, args...)) }
	defer func() { m.Reason = strings.Join(notes, "; ") }()

	if len(records) == 0 {
		note(reasonNoRecords)
		return m
	}
	switch dnssec {
	case evidence.DNSSECSecure:
	case evidence.DNSSECInsecure:
		note(reasonUnsigned)
	case evidence.DNSSECBogus:
		note(reasonBogus)
	case evidence.DNSSECIndeterminate:
		note(reasonUnproven)
	default:
		note(reasonNotProven)
	}
	var recs []record
	for _, r := range records {
		rec, why := usable(r)
		if why != "" {
			note("%s discarded: %s", short(r), why)
			continue
		}
		recs = append(recs, rec)
	}
	m.Usable = len(recs)
	if m.Usable == 0 {
		note(reasonNoUsable)
		return m
	}
	recs = applyAgility(recs, note)

	if len(chain) == 0 {
		note("no certificate presented")
		return m
	}
	if len(chain) > maxChain {
		note("only the first %d of %d presented certificates considered", maxChain, len(chain))
		chain = chain[:maxChain]
	}
	c := newChain(chain)
	var hasTA bool
	for _, r := range recs {
		switch r.src.Usage {
		case UsageDANEEE:
			sel, err := selected(chain[0], r.src.Selector)
			if err != nil {
				note("%s: leaf %v", short(r.src), err)
				continue
			}
			if r.matches(sel) {
				m.Matched = append(m.Matched, Label(r.src))
			} else {
				note("%s does not match the leaf", short(r.src))
			}
		case UsageDANETA:
			hasTA = true
			if why := c.matchTA(r, host, now); why != "" {
				note("%s %s", short(r.src), why)
				continue
			}
			m.Matched = append(m.Matched, Label(r.src))
		}
	}
	if hasTA {
		ok := c.leaf != nil && nameMatches(c.leaf, host)
		m.NameOK = &ok
	}
	if len(m.Matched) == 0 {
		note("no usable TLSA record matches the presented chain")
	}
	return m
}

// applyAgility drops, for each usage and selector, the SHA2-256 records
// when a SHA2-512 record exists (RFC 7671 §9).
func applyAgility(recs []record, note func(string, ...any)) []record {
	type key struct{ usage, selector uint8 }
	strong := map[key]bool{}
	for _, r := range recs {
		if r.src.MatchingType == MatchSHA512 {
			strong[key{r.src.Usage, r.src.Selector}] = true
		}
	}
	out := recs[:0:0]
	for _, r := range recs {
		if r.src.MatchingType == MatchSHA256 && strong[key{r.src.Usage, r.src.Selector}] {
			note("%s ignored: a SHA2-512 record exists for usage %d selector %d (digest agility, RFC 7671 §9)", short(r.src), r.src.Usage, r.src.Selector)
			continue
		}
		out = append(out, r)
	}
	return out
}

// short names a record without its (long) data.
func short(r evidence.TLSARecord) string {
	d := strings.ToLower(r.Data)
	const keep = 16
	if len(d) > keep {
		d = d[:keep] + "…"
	}
	return fmt.Sprintf("TLSA %d %d %d %s", r.Usage, r.Selector, r.MatchingType, d)
}

// presented is the presented chain, parsed where Go can.
type presented struct {
	der    [][]byte
	parsed []*x509.Certificate
	leaf   *x509.Certificate
}

func newChain(chain [][]byte) *presented {
	c := &presented{der: chain, parsed: make([]*x509.Certificate, len(chain))}
	for i, der := range chain {
		if p, err := x509.ParseCertificate(der); err == nil {
			c.parsed[i] = p
		}
	}
	c.leaf = c.parsed[0]
	return c
}

// matchTA applies a DANE-TA record: it returns "" when the record
// authenticates the chain for host, or why it does not.
func (c *presented) matchTA(r record, host string, now time.Time) string {
	var candidates []int
	for i := 1; i < len(c.der); i++ {
		if sel, err := selected(c.der[i], r.src.Selector); err == nil && r.matches(sel) {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return "matches no certificate the server presented besides the leaf (the TA must be sent, RFC 7672 §3.1.2)"
	}
	if c.leaf == nil {
		return "matches a presented certificate, but the leaf cannot be parsed"
	}
	var why string
	for _, ta := range candidates {
		path, err := c.pathTo(ta)
		if err != "" {
			why = "matches presented certificate " + fmt.Sprint(ta+1) + ", but " + err
			continue
		}
		checkTA := r.src.Selector == SelectorCert
		if bad := outOfDate(c.parsed, path, checkTA, now); bad != "" {
			why = "matches presented certificate " + fmt.Sprint(ta+1) + ", but " + bad
			continue
		}
		if !nameMatches(c.leaf, host) {
			return fmt.Sprintf("matches presented certificate %d, but the leaf does not name %s", ta+1, host)
		}
		return ""
	}
	return why
}

// pathTo finds a signature path from the leaf (index 0) to the certificate
// at index ta through presented certificates, in any order. It returns the
// indices from the leaf to the TA, or why there is none.
func (c *presented) pathTo(ta int) ([]int, string) {
	if c.parsed[ta] == nil {
		return nil, "that certificate cannot be parsed"
	}
	prev := make([]int, len(c.parsed))
	for i := range prev {
		prev[i] = -1
	}
	seen := make([]bool, len(c.parsed))
	seen[0] = true
	queue := []int{0}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for j, issuer := range c.parsed {
			if seen[j] || issuer == nil || !bytes.Equal(c.parsed[cur].RawIssuer, issuer.RawSubject) {
				continue
			}
			if c.parsed[cur].CheckSignatureFrom(issuer) != nil {
				continue
			}
			seen[j] = true
			prev[j] = cur
			if j == ta {
				var path []int
				for k := ta; k != -1; k = prev[k] {
					path = append([]int{k}, path...)
				}
				return path, ""
			}
			queue = append(queue, j)
		}
	}
	return nil, "the leaf does not chain to it by signature through the presented certificates"
}

// outOfDate names the first certificate on the path outside its validity
// window at now; the TA (last on the path) only when checkTA is set.
func outOfDate(parsed []*x509.Certificate, path []int, checkTA bool, now time.Time) string {
	for n, i := range path {
		if n == len(path)-1 && !checkTA {
			break
		}
		c := parsed[i]
		switch {
		case now.After(c.NotAfter):
			return fmt.Sprintf("presented certificate %d (%s) expired on %s", i+1, c.Subject, c.NotAfter.UTC().Format(time.DateOnly))
		case now.Before(c.NotBefore):
			return fmt.Sprintf("presented certificate %d (%s) is not valid before %s", i+1, c.Subject, c.NotBefore.UTC().Format(time.DateOnly))
		}
	}
	return ""
}

// nameMatches reports whether the leaf names host: its SAN DNS-IDs when it
// has any, else its subject CN (RFC 7672 §3.2.3).
func nameMatches(leaf *x509.Certificate, host string) bool {
	if len(leaf.DNSNames) > 0 {
		for _, n := range leaf.DNSNames {
			if matchName(n, host) {
				return true
			}
		}
		return false
	}
	return matchName(leaf.Subject.CommonName, host)
}

// matchName matches a certificate name against host: exactly, or "*." as
// the whole left-most label standing for exactly one label. Case and one
// trailing dot are ignored.
func matchName(name, host string) bool {
	n := strings.ToLower(strings.TrimSuffix(name, "."))
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if n == "" || h == "" {
		return false
	}
	if n == h {
		return true
	}
	rest, ok := strings.CutPrefix(n, "*.")
	if !ok || rest == "" {
		return false
	}
	first, parent, ok := strings.Cut(h, ".")
	return ok && first != "" && parent == rest
}

// StateOf is the DANE verdict for one address (tlsa.StateOf): none
// without records; unusable when the zone is not secure or no record is
// usable for SMTP; not_tested when there is no match evidence (m nil);
// valid when a record matched, invalid otherwise.
func StateOf(records []evidence.TLSARecord, secure bool, m *evidence.DANEMatch) State {
	return tlsa.StateOf(records, secure, m)
}

// RolloverReady reports whether the records allow a key rollover without an
// outage (tlsa.RolloverReady): at least two usable DANE-EE(3) records, or a
// usable DANE-EE(3) record and a usable DANE-TA(2) record.
func RolloverReady(records []evidence.TLSARecord) bool { return tlsa.RolloverReady(records) }
