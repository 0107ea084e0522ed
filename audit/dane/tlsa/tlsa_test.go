package tlsa

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

func rec(usage, selector, mtype uint8, data []byte) evidence.TLSARecord {
	return evidence.TLSARecord{Usage: usage, Selector: selector, MatchingType: mtype, Data: hex.EncodeToString(data)}
}

// TestRules checks usability, state and rollover readiness on the record
// sets the grader and the matcher both meet.
func TestRules(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("key: %v", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("certificate: %v", err)
	}
	spkiDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatalf("spki: %v", err)
	}
	sum256, sum512 := sha256.Sum256(spkiDER), sha512.Sum512(spkiDER)
	other := sha256.Sum256([]byte("next key"))
	ee, eeNext, ta := rec(3, 1, 1, sum256[:]), rec(3, 1, 1, other[:]), rec(2, 0, 1, other[:])

	for _, tc := range []struct {
		name     string
		records  []evidence.TLSARecord
		usable   int
		rollover bool
	}{
		{"none", nil, 0, false},
		{"dane-ee spki sha256", []evidence.TLSARecord{ee}, 1, false},
		{"dane-ee twice, same", []evidence.TLSARecord{ee, ee}, 2, false},
		{"dane-ee and next key", []evidence.TLSARecord{ee, eeNext}, 2, true},
		{"dane-ee and dane-ta", []evidence.TLSARecord{ee, ta}, 2, true},
		{"dane-ta only", []evidence.TLSARecord{ta}, 1, false},
		{"dane-ee sha512", []evidence.TLSARecord{rec(3, 1, 2, sum512[:])}, 1, false},
		{"upper-case data", []evidence.TLSARecord{{Usage: 3, Selector: 1, MatchingType: 1, Data: strings.ToUpper(hex.EncodeToString(sum256[:]))}}, 1, false},
		{"pkix-ta", []evidence.TLSARecord{rec(0, 0, 1, sum256[:])}, 0, false},
		{"pkix-ee", []evidence.TLSARecord{rec(1, 1, 1, sum256[:])}, 0, false},
		{"private usage 255", []evidence.TLSARecord{rec(255, 1, 1, sum256[:])}, 0, false},
		{"selector 2", []evidence.TLSARecord{rec(3, 2, 1, sum256[:])}, 0, false},
		{"matching type 3", []evidence.TLSARecord{rec(3, 1, 3, sum256[:])}, 0, false},
		{"short sha256 digest", []evidence.TLSARecord{rec(3, 1, 1, sum256[:31])}, 0, false},
		{"sha512 with 32 bytes", []evidence.TLSARecord{rec(3, 1, 2, sum256[:])}, 0, false},
		{"data not hex", []evidence.TLSARecord{{Usage: 3, Selector: 1, MatchingType: 1, Data: "zz"}}, 0, false},
		{"empty data", []evidence.TLSARecord{{Usage: 3, Selector: 1, MatchingType: 0}}, 0, false},
		{"full certificate", []evidence.TLSARecord{rec(3, 0, 0, certDER)}, 1, false},
		{"full spki", []evidence.TLSARecord{rec(3, 1, 0, spkiDER)}, 1, false},
		{"full spki as cert", []evidence.TLSARecord{rec(3, 0, 0, spkiDER)}, 0, false},
		{"full cert as spki", []evidence.TLSARecord{rec(3, 1, 0, certDER)}, 0, false},
		{"full with trailing byte", []evidence.TLSARecord{rec(3, 1, 0, append(append([]byte(nil), spkiDER...), 0))}, 0, false},
		{"pkix beside dane-ee", []evidence.TLSARecord{rec(1, 1, 1, sum256[:]), ee}, 1, false},
		{"two dane-ta", []evidence.TLSARecord{ta, rec(2, 1, 1, sum256[:])}, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CountUsable(tc.records); got != tc.usable {
				t.Errorf("CountUsable = %d, want %d", got, tc.usable)
			}
			if got := RolloverReady(tc.records); got != tc.rollover {
				t.Errorf("RolloverReady = %v, want %v", got, tc.rollover)
			}
			matched := &evidence.DANEMatch{Usable: tc.usable, Matched: []string{"x"}}
			want := map[bool]State{true: StateValid, false: StateUnusable}
			switch {
			case len(tc.records) == 0:
				want = map[bool]State{true: StateNone, false: StateNone}
			case tc.usable == 0:
				want[true] = StateUnusable
			}
			for _, secure := range []bool{true, false} {
				if got := StateOf(tc.records, secure, matched); got != want[secure] {
					t.Errorf("StateOf(secure %v, matched) = %q, want %q", secure, got, want[secure])
				}
			}
			if tc.usable > 0 {
				if got := StateOf(tc.records, true, &evidence.DANEMatch{Usable: tc.usable}); got != StateInvalid {
					t.Errorf("StateOf(secure, no match) = %q, want invalid", got)
				}
				if got := StateOf(tc.records, true, nil); got != StateNotTested {
					t.Errorf("StateOf(secure, no evidence) = %q, want not_tested", got)
				}
			}
		})
	}
}
