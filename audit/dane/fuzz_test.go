package dane

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/dane/tlsa"
	"github.com/mxaudit/mxaudit/audit/evidence"
)

func FuzzParseTLSA(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseTLSA(s)
		if err != nil {
			return
		}
		raw, err := hex.DecodeString(r.Data)
		if err != nil || len(raw) == 0 || r.Data != strings.ToLower(r.Data) {
			t.Fatalf("accepted data %q", r.Data)
		}
		if want := tlsa.DigestLen(r.MatchingType); want != 0 && len(raw) != want {
			t.Fatalf("accepted %d bytes for matching type %d", len(raw), r.MatchingType)
		}
		again, err := ParseTLSA(Label(r))
		if err != nil || again != r {
			t.Fatalf("%q does not round-trip: %+v, %v", Label(r), again, err)
		}
	})
}

// FuzzMatchChain feeds arbitrary bytes as the presented certificates: the
// DER walk and the chain logic must not fail, and a DANE-EE Cert record of
// the bytes' own digest must always match.
func FuzzMatchChain(f *testing.F) {
	f.Fuzz(func(t *testing.T, leaf, second []byte) {
		sum := sha256.Sum256(leaf)
		own := evidence.TLSARecord{Usage: 3, Selector: 0, MatchingType: 1, Data: hex.EncodeToString(sum[:])}
		records := []evidence.TLSARecord{
			own,
			{Usage: 3, Selector: 1, MatchingType: 1, Data: strings.Repeat("ab", sha256.Size)},
			{Usage: 2, Selector: 1, MatchingType: 0, Data: hex.EncodeToString(second)},
			{Usage: 2, Selector: 0, MatchingType: 0, Data: hex.EncodeToString(second)},
		}
		m := Match(records, evidence.DNSSECSecure, [][]byte{leaf, second}, "mx.example.com", testNow)
		if !slices.Contains(m.Matched, Label(own)) {
			t.Fatalf("own digest did not match: %q", m.Reason)
		}
		if m.Usable > len(records) || len(m.Matched) > m.Usable {
			t.Fatalf("usable %d matched %d", m.Usable, len(m.Matched))
		}
		if StateOf(records, true, m) != StateValid {
			t.Fatalf("state %q", StateOf(records, true, m))
		}
	})
}
