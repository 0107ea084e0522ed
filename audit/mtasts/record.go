package mtasts

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Version tags that open the records (RFC 8461 §3.1, RFC 8460 §3).
const (
	stsVersion    = "v=STSv1"
	tlsrptVersion = "v=TLSRPTv1"
)

// Limits of the RFC 8461 §3.1 grammar.
const (
	maxIDLen      = 32 // sts-id = "id=" 1*32(ALPHA / DIGIT)
	maxExtNameLen = 32 // ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
)

// Field names of the records.
const (
	fieldID  = "id"
	fieldRUA = "rua"
)

// CountError says that a domain publishes no record, or more than one
// record, of a kind: in both cases senders behave as if it published none
// (RFC 8461 §3.1, RFC 8460 §3).
type CountError struct {
	// Record names the kind of record: "MTA-STS" or "TLS-RPT".
	Record string
	// Count is how many records begin with the version tag.
	Count int
}

// Error describes the count and its consequence.
func (e *CountError) Error() string {
	switch e.Count {
	case 0:
		return "no " + e.Record + " record"
	case 2:
		return fmt.Sprintf("2 %s records: senders ignore both", e.Record)
	}
	return fmt.Sprintf("%d %s records: senders ignore all of them", e.Count, e.Record)
}

// ParseSTSRecord parses one _mta-sts TXT record (its strings already
// concatenated) exactly by the RFC 8461 §3.1 grammar and returns its id.
//
// The record must begin with the case-sensitive "v=STSv1"; fields are
// separated by *WSP ";" *WSP with an optional trailing separator and
// nothing after it but WSP; the id is 1 to 32 letters or digits.
// Extensions must have a valid name and value and are otherwise ignored.
// The grammar is applied strictly, as the RFC tells senders to ignore a
// syntactically invalid record: whitespace after the last field with no
// ";", an empty field (";;") or a field with no "=" make the record invalid.
//
// The RFC says nothing of a repeated id; a record with two id fields is
// treated as invalid, since senders cannot agree on which one identifies
// the policy. A field named "id" whose value is not a valid id (too long,
// punctuation) is an invalid id, not an extension.
func ParseSTSRecord(txt string) (string, error) {
	fields, err := splitRecord(txt, stsVersion, fieldID)
	if err != nil {
		return "", fmt.Errorf("invalid MTA-STS record: %w", err)
	}
	id := ""
	for _, f := range fields {
		if f.name != fieldID {
			continue
		}
		if id != "" {
			return "", errors.New("invalid MTA-STS record: id appears more than once")
		}
		if !validID(f.value) {
			return "", fmt.Errorf("invalid MTA-STS record: id %q is not 1 to %d letters or digits", f.value, maxIDLen)
		}
		id = f.value
	}
	if id == "" {
		return "", errors.New("invalid MTA-STS record: no id field")
	}
	return id, nil
}

// SelectSTSRecords applies the RFC 8461 §3.1 selection to the TXT records
// of _mta-sts.<domain>: records that do not begin with the version tag are
// discarded, exactly one must remain, and it must be valid. It returns the
// remaining records (whatever their number) and the id of the single valid
// one. The error is a *CountError when not exactly one record remains.
//
// A record counts as beginning with the tag when "v=STSv1" is followed by
// ";", WSP or the end of the record: the grammar allows WSP before the first
// ";", and "v=STSv10" is another version.
func SelectSTSRecords(txts []string) ([]string, string, error) {
	records := withVersion(txts, stsVersion)
	if len(records) != 1 {
		return records, "", &CountError{Record: "MTA-STS", Count: len(records)}
	}
	id, err := ParseSTSRecord(records[0])
	if err != nil {
		return records, "", err
	}
	return records, id, nil
}

// withVersion returns the records that begin with the version tag.
func withVersion(txts []string, tag string) []string {
	var out []string
	for _, t := range txts {
		if hasVersion(t, tag) {
			out = append(out, t)
		}
	}
	return out
}

// hasVersion reports whether txt begins with tag followed by ";", WSP or nothing.
func hasVersion(txt, tag string) bool {
	rest, ok := strings.CutPrefix(txt, tag)
	return ok && (rest == "" || rest[0] == ';' || isWSP(rest[0]))
}

// field is one name=value pair of a TXT record.
type field struct {
	name, value string
}

// splitRecord checks the framing shared by the MTA-STS and TLS-RPT grammars,
//
//	record = version 1*(delim field) [delim] ; delim = *WSP ";" *WSP
//	field  = ext-name "=" ext-value
//
// and returns the fields in order. A field value is checked against the
// extension grammar unless its name is one of own, the fields whose values
// the caller checks by their own grammar.
func splitRecord(txt, tag string, own ...string) ([]field, error) {
	rest, ok := strings.CutPrefix(txt, tag)
	if !ok {
		return nil, fmt.Errorf("does not begin with %q", tag)
	}
	parts := strings.Split(rest, ";")
	if lead := trimWSP(parts[0]); lead != "" {
		return nil, fmt.Errorf("unexpected %q after %q", lead, tag)
	}
	if len(parts) == 1 {
		return nil, fmt.Errorf("no field after %q", tag)
	}
	parts = parts[1:]
	// A trailing delimiter leaves a last part of WSP only.
	if len(parts) > 1 && trimWSP(parts[len(parts)-1]) == "" {
		parts = parts[:len(parts)-1]
	}
	fields := make([]field, 0, len(parts))
	for i, p := range parts {
		last := i == len(parts)-1
		f := strings.TrimLeft(p, wsp)
		if !last {
			f = strings.TrimRight(f, wsp)
		} else if f != strings.TrimRight(f, wsp) {
			return nil, fmt.Errorf("whitespace after the last field %q without a \";\"", trimWSP(f))
		}
		if f == "" {
			return nil, errors.New("empty field between two \";\"")
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("field %q has no \"=\"", f)
		}
		if !validExtName(name) {
			return nil, fmt.Errorf("invalid field name %q", name)
		}
		if !slices.Contains(own, name) && !validExtValue(value) {
			return nil, fmt.Errorf("field %q has an invalid value %q", name, value)
		}
		fields = append(fields, field{name: name, value: value})
	}
	return fields, nil
}

// wsp is the ABNF WSP set: space and horizontal tab.
const wsp = " \t"

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

func trimWSP(s string) string { return strings.Trim(s, wsp) }

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool { return isAlpha(c) || isDigit(c) }

// validID checks 1*32(ALPHA / DIGIT).
func validID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// validExtName checks (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."),
// the extension name of both TXT records and of the policy file.
func validExtName(s string) bool {
	if s == "" || len(s) > maxExtNameLen || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// validExtValue checks 1*(%x21-3A / %x3C / %x3E-7E): printable US-ASCII
// other than space, ";" and "=".
func validExtValue(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == ';' || c == '=' {
			return false
		}
	}
	return true
}
