// Package dane judges an MX host's presented certificate chain against its
// TLSA records by the rules DANE-validating SMTP senders apply (RFC 7672,
// RFC 7671). It is pure: the caller brings the records, their DNSSEC status
// and the chain.
package dane

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/dane/tlsa"
	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Certificate usages, selectors and matching types, as audit/dane/tlsa
// defines them (RFC 6698 §2.1, RFC 7218 mnemonics).
const (
	UsagePKIXTA  = tlsa.UsagePKIXTA
	UsagePKIXEE  = tlsa.UsagePKIXEE
	UsageDANETA  = tlsa.UsageDANETA
	UsageDANEEE  = tlsa.UsageDANEEE
	SelectorCert = tlsa.SelectorCert
	SelectorSPKI = tlsa.SelectorSPKI
	MatchFull    = tlsa.MatchFull
	MatchSHA256  = tlsa.MatchSHA256
	MatchSHA512  = tlsa.MatchSHA512
)

// tlsaFields is the number of fields before the association data.
const tlsaFields = 3

// ParseTLSA parses a TLSA record's data in presentation format, "3 1 1
// <hex>", as the evidence type. Usage, selector and matching type must be
// numbers from 0 to 255 (values the registry does not assign parse, and are
// unusable to Match); the association data is hex, may be split by
// whitespace, and must not be empty; a SHA2-256 digest must be 32 bytes and
// a SHA2-512 digest 64. Data is returned in lower case without spaces.
func ParseTLSA(presentation string) (evidence.TLSARecord, error) {
	f := strings.Fields(presentation)
	if len(f) <= tlsaFields {
		return evidence.TLSARecord{}, fmt.Errorf("tlsa %q: want usage, selector, matching type and data", presentation)
	}
	var nums [tlsaFields]uint8
	for i, name := range []string{"usage", "selector", "matching type"} {
		n, err := strconv.ParseUint(f[i], 10, 8)
		if err != nil {
			return evidence.TLSARecord{}, fmt.Errorf("tlsa %s %q: not a number from 0 to 255", name, f[i])
		}
		nums[i] = uint8(n)
	}
	rec := evidence.TLSARecord{Usage: nums[0], Selector: nums[1], MatchingType: nums[2], Data: strings.ToLower(strings.Join(f[tlsaFields:], ""))}
	raw, err := hex.DecodeString(rec.Data)
	if err != nil {
		return evidence.TLSARecord{}, fmt.Errorf("tlsa data: %w", err)
	}
	if want := tlsa.DigestLen(rec.MatchingType); want != 0 && len(raw) != want {
		return evidence.TLSARecord{}, fmt.Errorf("tlsa data: matching type %d needs %d bytes, got %d", rec.MatchingType, want, len(raw))
	}
	return rec, nil
}

// Label returns the record as "u s m data", the form DANEMatch.Matched uses.
func Label(r evidence.TLSARecord) string { return tlsa.Label(r) }

// record is a usable TLSA record with its data decoded.
type record struct {
	src  evidence.TLSARecord
	data []byte
}

// usable decodes a record and reports why senders cannot use it for SMTP,
// or "" when they can, by the rules of tlsa.Decode.
func usable(r evidence.TLSARecord) (record, string) {
	data, why := tlsa.Decode(r)
	if why != "" {
		return record{}, why
	}
	return record{src: r, data: data}, ""
}

// spkiOf returns the SubjectPublicKeyInfo of a DER certificate by walking
// its structure (RFC 5280 §4.1), so that a certificate Go's parser refuses
// (a negative serial, an unknown key type) can still match a SPKI record.
func spkiOf(der []byte) ([]byte, error) {
	var cert struct {
		TBS            asn1.RawValue
		Algorithm      asn1.RawValue
		SignatureValue asn1.BitString
	}
	if err := tlsa.UnmarshalAll(der, &cert); err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	rest := cert.TBS.Bytes
	// tbsCertificate: [0] version OPTIONAL, serial, signature, issuer,
	// validity, subject, subjectPublicKeyInfo, ...
	const spkiIndex = 5
	for i := 0; ; {
		var v asn1.RawValue
		var err error
		rest, err = asn1.Unmarshal(rest, &v)
		if err != nil {
			return nil, fmt.Errorf("tbsCertificate: %w", err)
		}
		if i == 0 && v.Class == asn1.ClassContextSpecific && v.Tag == 0 {
			continue // the optional version
		}
		if i == spkiIndex {
			return v.FullBytes, nil
		}
		i++
	}
}

// selected returns the bytes a selector designates in a DER certificate.
func selected(der []byte, selector uint8) ([]byte, error) {
	if selector == SelectorCert {
		return der, nil
	}
	return spkiOf(der)
}

// matches reports whether the record's data is the selected bytes under its
// matching type.
func (r record) matches(selectedBytes []byte) bool {
	switch r.src.MatchingType {
	case MatchSHA256:
		sum := sha256.Sum256(selectedBytes)
		return bytes.Equal(sum[:], r.data)
	case MatchSHA512:
		sum := sha512.Sum512(selectedBytes)
		return bytes.Equal(sum[:], r.data)
	}
	return bytes.Equal(selectedBytes, r.data)
}
