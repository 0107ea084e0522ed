// Package tlsa holds the pure rules about TLSA records that both the DANE
// matcher (audit/dane) and the grader (audit/grade) apply: which records
// SMTP senders can use (RFC 7672 §3.1.3, RFC 6698 §2.1), how a record is
// written, the DANE state of an address and whether a record set allows a
// key rollover. It decodes hex and DER structure only: no certificate
// parsing, no clock, no I/O, so the grader may import it.
package tlsa

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Certificate usages (RFC 6698 §2.1.1, RFC 7218 mnemonics).
const (
	UsagePKIXTA uint8 = 0
	UsagePKIXEE uint8 = 1
	UsageDANETA uint8 = 2
	UsageDANEEE uint8 = 3
)

// Selectors (RFC 6698 §2.1.2).
const (
	SelectorCert uint8 = 0
	SelectorSPKI uint8 = 1
)

// Matching types (RFC 6698 §2.1.3).
const (
	MatchFull   uint8 = 0
	MatchSHA256 uint8 = 1
	MatchSHA512 uint8 = 2
)

// rolloverMinEE is how many usable DANE-EE records make a rollover safe on
// their own (internet.nl's rule).
const rolloverMinEE = 2

// DigestLen is the digest size of a matching type in bytes; 0 for Full and
// unknown types.
func DigestLen(mtype uint8) int {
	switch mtype {
	case MatchSHA256:
		return sha256.Size
	case MatchSHA512:
		return sha512.Size
	}
	return 0
}

// Label returns the record as "u s m data", the form DANEMatch.Matched uses.
func Label(r evidence.TLSARecord) string {
	return fmt.Sprintf("%d %d %d %s", r.Usage, r.Selector, r.MatchingType, strings.ToLower(r.Data))
}

// Decode returns a record's association data and "" when SMTP senders can
// use the record, or nil and why they cannot: usages 0 and 1 are unusable
// on port 25 (RFC 7672 §3.1.3); the selector and matching type must be
// known; the data must be a digest of the right size, or for Full a DER
// certificate or SubjectPublicKeyInfo.
func Decode(r evidence.TLSARecord) ([]byte, string) {
	if r.Usage != UsageDANETA && r.Usage != UsageDANEEE {
		if r.Usage == UsagePKIXTA || r.Usage == UsagePKIXEE {
			return nil, fmt.Sprintf("usage %d (PKIX) is unusable for SMTP", r.Usage)
		}
		return nil, fmt.Sprintf("usage %d is not supported", r.Usage)
	}
	if r.Selector != SelectorCert && r.Selector != SelectorSPKI {
		return nil, fmt.Sprintf("selector %d is not supported", r.Selector)
	}
	if r.MatchingType > MatchSHA512 {
		return nil, fmt.Sprintf("matching type %d is not supported", r.MatchingType)
	}
	data, err := hex.DecodeString(r.Data)
	if err != nil || len(data) == 0 {
		return nil, "data is not hex"
	}
	if want := DigestLen(r.MatchingType); want != 0 && len(data) != want {
		return nil, fmt.Sprintf("digest is %d bytes, not %d", len(data), want)
	}
	if r.MatchingType == MatchFull {
		if err := checkFull(r.Selector, data); err != nil {
			return nil, err.Error()
		}
	}
	return data, ""
}

// Unusable says why SMTP senders cannot use a record, or "" when they can.
func Unusable(r evidence.TLSARecord) string {
	_, why := Decode(r)
	return why
}

// checkFull checks that Full data has the structure its selector names.
// The structure, not a full parse: a key or certificate Go cannot use still
// matches byte for byte.
func checkFull(selector uint8, data []byte) error {
	var err error
	if selector == SelectorCert {
		var c struct {
			TBS, Algorithm asn1.RawValue
			Signature      asn1.BitString
		}
		err = UnmarshalAll(data, &c)
	} else {
		var k struct {
			Algorithm asn1.RawValue
			Key       asn1.BitString
		}
		err = UnmarshalAll(data, &k)
	}
	if err != nil {
		return fmt.Errorf("full data is not a DER %s: %w", selectorName(selector), err)
	}
	return nil
}

func selectorName(selector uint8) string {
	if selector == SelectorCert {
		return "certificate"
	}
	return "SubjectPublicKeyInfo"
}

// UnmarshalAll decodes DER into v and refuses trailing bytes.
func UnmarshalAll(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return errors.New("trailing data")
	}
	return nil
}

// CountUsable counts the records SMTP senders can use.
func CountUsable(records []evidence.TLSARecord) int {
	n := 0
	for _, r := range records {
		if Unusable(r) == "" {
			n++
		}
	}
	return n
}

// State is the DANE verdict for one MX address, as a DANE-validating
// sender (Postfix, Exim) would act on it.
type State string

// DANE states.
const (
	// StateNone: no TLSA records; DANE does not apply.
	StateNone State = "none"
	// StateValid: secure, usable records, and the chain matches one.
	StateValid State = "valid"
	// StateInvalid: secure, usable records, and no match; DANE senders will
	// not deliver to this address (RFC 7672 §3.2). Critical.
	StateInvalid State = "invalid"
	// StateUnusable: records exist but senders ignore them: the zone is not
	// DNSSEC-secure, or no record is usable for SMTP (usages 0/1, unknown
	// parameters, malformed data).
	StateUnusable State = "unusable"
	// StateNotTested: secure, usable records, but no chain was obtained to
	// match against (no match evidence).
	StateNotTested State = "not_tested"
)

// StateOf is the DANE verdict for one address: none without records;
// unusable when the RRset is not secure or no record is usable for SMTP;
// not_tested when there is no match evidence (m nil); valid when a record
// matched, invalid otherwise.
func StateOf(records []evidence.TLSARecord, secure bool, m *evidence.DANEMatch) State {
	if len(records) == 0 {
		return StateNone
	}
	if !secure || CountUsable(records) == 0 {
		return StateUnusable
	}
	if m == nil {
		return StateNotTested
	}
	if len(m.Matched) > 0 {
		return StateValid
	}
	return StateInvalid
}

// RolloverReady reports whether the records allow a key rollover without an
// outage, by internet.nl's rule: at least two usable DANE-EE(3) records, or
// a usable DANE-EE(3) record and a usable DANE-TA(2) record. Duplicate
// records count once.
func RolloverReady(records []evidence.TLSARecord) bool {
	seen := map[string]bool{}
	var ee, ta int
	for _, r := range records {
		if Unusable(r) != "" || seen[Label(r)] {
			continue
		}
		seen[Label(r)] = true
		switch r.Usage {
		case UsageDANEEE:
			ee++
		case UsageDANETA:
			ta++
		}
	}
	return ee >= rolloverMinEE || ee >= 1 && ta >= 1
}
