package certs

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary bytes to Decode: it must never panic, always
// fingerprint the input, and keep it byte for byte.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x01})
	v := &Verifier{Roots: x509.NewCertPool(), Now: func() time.Time { return epoch }}
	f.Fuzz(func(t *testing.T, der []byte) {
		got := Decode(der)
		sum := sha256.Sum256(der)
		if got.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("SHA256 = %q", got.SHA256)
		}
		if string(got.DER) != string(der) {
			t.Fatal("DER not kept")
		}
		if got.ParseError == "" && (got.KeyType == "" || got.SPKISHA256 == "") {
			t.Fatalf("parsed certificate without key facts: %+v", got)
		}
		// Check must cope with the same bytes as a leaf or an intermediate.
		c := v.Check("mx.example.com", [][]byte{der, der})
		if got.ParseError != "" && c.Error == nil {
			t.Fatal("unparsable leaf without Error")
		}
	})
}

// FuzzMatchName checks MatchName's invariants on arbitrary names.
func FuzzMatchName(f *testing.F) {
	f.Add("*.example.com", "mx.example.com")
	f.Add("f*.example.com", "foo.example.com")
	f.Add("MX.example.com.", "mx.example.com")
	f.Fuzz(func(t *testing.T, pattern, host string) {
		got := MatchName(pattern, host)
		if !got {
			return
		}
		if strings.Contains(host, "*") {
			t.Fatalf("host with '*' matched: %q %q", pattern, host)
		}
		p, h := normalizeName(pattern), normalizeName(host)
		if !strings.Contains(p, "*") {
			if p != h {
				t.Fatalf("exact pattern %q matched different host %q", pattern, host)
			}
			return
		}
		if !strings.HasPrefix(p, "*.") || strings.Count(p, "*") != 1 || strings.Count(p, ".") != strings.Count(h, ".") ||
			!strings.HasSuffix(h, p[1:]) || strings.Count(p, ".") < minLabelsAfterWildcard {
			t.Fatalf("wildcard %q matched %q against the rules", pattern, host)
		}
	})
}
