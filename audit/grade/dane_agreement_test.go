package grade_test

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

	"github.com/mxaudit/mxaudit/audit/dane"
	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/mtasts"
)

// testCertDER returns a freshly generated self-signed certificate and its
// SubjectPublicKeyInfo, both DER.
func testCertDER(t testing.TB) (cert, spki []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mx.example.com"},
		DNSNames: []string{"mx.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	spki, err = x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatalf("marshal key: %v", err)
	}
	return der, spki
}

func rec(usage, selector, mtype uint8, data []byte) evidence.TLSARecord {
	return evidence.TLSARecord{Usage: usage, Selector: selector, MatchingType: mtype, Data: hex.EncodeToString(data)}
}

// TestDANEAgreement holds the grader's DANE derivation to audit/dane: the
// same state for every record set, DNSSEC status and match, and the same
// rollover readiness.
func TestDANEAgreement(t *testing.T) {
	certDER, spkiDER := testCertDER(t)
	sum256 := sha256.Sum256(spkiDER)
	sum512 := sha512.Sum512(spkiDER)
	other := sha256.Sum256([]byte("next key"))
	ee := rec(3, 1, 1, sum256[:])
	eeNext := rec(3, 1, 1, other[:])
	ta := rec(2, 0, 1, other[:])
	records := map[string][]evidence.TLSARecord{
		"none":                    nil,
		"dane-ee spki sha256":     {ee},
		"dane-ee twice, same":     {ee, ee},
		"dane-ee and next key":    {ee, eeNext},
		"dane-ee and dane-ta":     {ee, ta},
		"dane-ta only":            {ta},
		"dane-ee sha512":          {rec(3, 1, 2, sum512[:])},
		"upper-case data":         {{Usage: 3, Selector: 1, MatchingType: 1, Data: strings.ToUpper(hex.EncodeToString(sum256[:]))}},
		"pkix-ta":                 {rec(0, 0, 1, sum256[:])},
		"pkix-ee":                 {rec(1, 1, 1, sum256[:])},
		"private usage 255":       {rec(255, 1, 1, sum256[:])},
		"selector 2":              {rec(3, 2, 1, sum256[:])},
		"matching type 3":         {rec(3, 1, 3, sum256[:])},
		"short sha256 digest":     {rec(3, 1, 1, sum256[:31])},
		"sha512 with 32 bytes":    {rec(3, 1, 2, sum256[:])},
		"data not hex":            {{Usage: 3, Selector: 1, MatchingType: 1, Data: "zz"}},
		"empty data":              {{Usage: 3, Selector: 1, MatchingType: 0}},
		"full certificate":        {rec(3, 0, 0, certDER)},
		"full spki":               {rec(3, 1, 0, spkiDER)},
		"full spki as cert":       {rec(3, 0, 0, spkiDER)},
		"full cert as spki":       {rec(3, 1, 0, certDER)},
		"full with trailing byte": {rec(3, 1, 0, append(append([]byte(nil), spkiDER...), 0))},
		"full garbage":            {rec(2, 0, 0, []byte{0x30, 0x03, 0x01})},
		"pkix beside dane-ee":     {rec(1, 1, 1, sum256[:]), ee},
		"pkix and malformed":      {rec(1, 1, 1, sum256[:]), rec(3, 1, 1, sum256[:5])},
		"two dane-ta":             {ta, rec(2, 1, 1, sum256[:])},
	}
	matches := map[string]*evidence.DANEMatch{
		"no match evidence": nil,
		"matched":           {Matched: []string{dane.Label(ee)}, Usable: 1},
		"not matched":       {Usable: 1, Reason: "no usable TLSA record matches the presented chain"},
		"matched, name bad": {Matched: []string{dane.Label(ee)}, Usable: 2, NameOK: new(bool)},
	}
	for rname, rs := range records {
		t.Run(rname, func(t *testing.T) {
			if got, want := grade.RolloverReadyForTest(rs), dane.RolloverReady(rs); got != want {
				t.Errorf("rolloverReady = %v, dane.RolloverReady = %v", got, want)
			}
			for mname, m := range matches {
				for _, secure := range []bool{true, false} {
					got := grade.DANEStateForTest(rs, secure, m)
					if want := string(dane.StateOf(rs, secure, m)); got != want {
						t.Errorf("%s, secure %v: state %q, dane.StateOf %q", mname, secure, got, want)
					}
				}
			}
		})
	}
}

// TestMatchMXAgreement holds the grader's MX pattern matching to audit/mtasts.
func TestMatchMXAgreement(t *testing.T) {
	patterns := [][]string{nil, {"mx.example.com"}, {"*.example.com"}, {"*.Example.COM."}, {"*."}, {"*"}, {""},
		{"mail.other.example", "*.example.com"}, {"example.com"}, {"*.b.example.com"}}
	hosts := []string{"mx.example.com", "MX.example.com.", "example.com", "a.b.example.com", "", ".", "x", "mx.example.com..", ".example.com"}
	for _, ps := range patterns {
		for _, h := range hosts {
			gp, gok := grade.MatchMXForTest(ps, h)
			wp, wok := mtasts.MatchMX(ps, h)
			if gp != wp || gok != wok {
				t.Errorf("patterns %q host %q: grade %q %v, mtasts %q %v", ps, h, gp, gok, wp, wok)
			}
		}
	}
}

// FuzzDANEAgreement feeds arbitrary TLSA records to both derivations.
func FuzzDANEAgreement(f *testing.F) {
	f.Add(uint8(3), uint8(1), uint8(1), strings.Repeat("ab", 32), uint8(2), uint8(0), uint8(1), strings.Repeat("cd", 32), true, true)
	f.Add(uint8(1), uint8(1), uint8(1), strings.Repeat("ab", 32), uint8(3), uint8(1), uint8(0), "3003010203", true, false)
	f.Add(uint8(3), uint8(1), uint8(2), strings.Repeat("AB", 64), uint8(3), uint8(1), uint8(2), strings.Repeat("ab", 64), false, true)
	f.Fuzz(func(t *testing.T, u1, s1, m1 uint8, d1 string, u2, s2, m2 uint8, d2 string, secure, matched bool) {
		rs := []evidence.TLSARecord{
			{Usage: u1, Selector: s1, MatchingType: m1, Data: d1},
			{Usage: u2, Selector: s2, MatchingType: m2, Data: d2},
		}
		if grade.RolloverReadyForTest(rs) != dane.RolloverReady(rs) {
			t.Fatalf("rollover disagrees on %+v", rs)
		}
		for _, set := range [][]evidence.TLSARecord{rs[:1], rs} {
			m := &evidence.DANEMatch{Usable: len(set)}
			if matched {
				m.Matched = []string{dane.Label(set[0])}
			}
			for _, mm := range []*evidence.DANEMatch{nil, m} {
				if got, want := grade.DANEStateForTest(set, secure, mm), string(dane.StateOf(set, secure, mm)); got != want {
					t.Fatalf("state %q, dane.StateOf %q for %+v secure %v", got, want, set, secure)
				}
			}
		}
	})
}
