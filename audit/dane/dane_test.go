package dane

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

const mxHost = "mx.example.com"

// pki is the set of certificates the tests present.
type pki struct {
	root, inter, leaf, nextLeaf, expiredLeaf, otherLeaf, wildLeaf, cnLeaf *testCert
	strangerCA                                                            *testCert
	oldRoot, oldInter, oldLeaf                                            *testCert
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{}
	p.root = issue(t, certSpec{cn: "Test Root", ca: true, notAfter: testNow.Add(3650 * day)}, nil)
	p.inter = issue(t, certSpec{cn: "Test Intermediate", ca: true, notAfter: testNow.Add(1000 * day)}, p.root)
	p.leaf = issue(t, certSpec{cn: mxHost, dnsNames: []string{mxHost}}, p.inter)
	p.nextLeaf = issue(t, certSpec{cn: mxHost, dnsNames: []string{mxHost}}, p.inter)
	p.expiredLeaf = issue(t, certSpec{cn: mxHost, dnsNames: []string{mxHost}, notBefore: testNow.Add(-400 * day), notAfter: testNow.Add(-10 * day), key: p.leaf.key}, p.inter)
	p.otherLeaf = issue(t, certSpec{cn: "mx.other.example", dnsNames: []string{"mx.other.example"}}, p.inter)
	p.wildLeaf = issue(t, certSpec{cn: "*.example.com", dnsNames: []string{"*.example.com"}}, p.inter)
	p.cnLeaf = issue(t, certSpec{cn: mxHost}, p.inter)
	p.strangerCA = issue(t, certSpec{cn: "Stranger CA", ca: true}, nil)
	p.oldRoot = issue(t, certSpec{cn: "Old Root", ca: true, notBefore: testNow.Add(-3650 * day), notAfter: testNow.Add(-day)}, nil)
	p.oldInter = issue(t, certSpec{cn: "Old Intermediate", ca: true}, p.oldRoot)
	p.oldLeaf = issue(t, certSpec{cn: mxHost, dnsNames: []string{mxHost}}, p.oldInter)
	return p
}

func TestMatch(t *testing.T) {
	p := newPKI(t)
	full := ders(p.leaf, p.inter, p.root)
	noRoot := ders(p.leaf, p.inter)
	short := func(r evidence.TLSARecord) string { return "TLSA " + Label(r)[:6] + r.Data[:16] + "…" }
	malformed := tlsaRec(3, 1, 1, p.leaf)
	malformed.Data = malformed.Data[:62]
	tests := []struct {
		name    string
		records []evidence.TLSARecord
		secure  bool
		// dnssec is the TLSA RRset's status when secure does not say it
		// (secure: "secure", else "insecure").
		dnssec      evidence.DNSSECStatus
		chain       [][]byte
		host        string
		wantMatched []evidence.TLSARecord
		wantUsable  int
		wantNameOK  *bool
		wantReason  string
		wantState   State
	}{
		{
			name:        "3 1 1 matching",
			records:     []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			dnssec:      evidence.DNSSECSecure,
			chain:       noRoot,
			wantMatched: []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			wantUsable:  1,
			wantState:   StateValid,
		},
		{
			name:       "3 1 1 not matching",
			records:    []evidence.TLSARecord{tlsaRec(3, 1, 1, p.otherLeaf)},
			dnssec:     evidence.DNSSECSecure,
			chain:      noRoot,
			wantUsable: 1,
			wantReason: short(tlsaRec(3, 1, 1, p.otherLeaf)) + " does not match the leaf; no usable TLSA record matches the presented chain",
			wantState:  StateInvalid,
		},
		{
			name:        "3 1 1 matching an expired leaf",
			records:     []evidence.TLSARecord{tlsaRec(3, 1, 1, p.expiredLeaf)},
			dnssec:      evidence.DNSSECSecure,
			chain:       ders(p.expiredLeaf, p.inter),
			wantMatched: []evidence.TLSARecord{tlsaRec(3, 1, 1, p.expiredLeaf)},
			wantUsable:  1,
			wantState:   StateValid,
		},
		{
			name:        "3 1 1 ignores the name",
			records:     []evidence.TLSARecord{tlsaRec(3, 1, 1, p.otherLeaf)},
			dnssec:      evidence.DNSSECSecure,
			chain:       ders(p.otherLeaf),
			wantMatched: []evidence.TLSARecord{tlsaRec(3, 1, 1, p.otherLeaf)},
			wantUsable:  1,
			wantState:   StateValid,
		},
		{
			name:        "3 0 1, 3 1 2, 3 0 0 and 3 1 0 matching",
			records:     []evidence.TLSARecord{tlsaRec(3, 0, 1, p.leaf), tlsaRec(3, 1, 2, p.leaf), tlsaRec(3, 0, 0, p.leaf), tlsaRec(3, 1, 0, p.leaf)},
			dnssec:      evidence.DNSSECSecure,
			chain:       noRoot,
			wantMatched: []evidence.TLSARecord{tlsaRec(3, 0, 1, p.leaf), tlsaRec(3, 1, 2, p.leaf), tlsaRec(3, 0, 0, p.leaf), tlsaRec(3, 1, 0, p.leaf)},
			wantUsable:  4,
			wantState:   StateValid,
		},
		{
			name:        "2 0 1 intermediate in the chain and the name matches",
			records:     []evidence.TLSARecord{tlsaRec(2, 0, 1, p.inter)},
			dnssec:      evidence.DNSSECSecure,
			chain:       noRoot,
			wantMatched: []evidence.TLSARecord{tlsaRec(2, 0, 1, p.inter)},
			wantUsable:  1,
			wantNameOK:  boolp(true),
			wantState:   StateValid,
		},
		{
			name:        "2 0 1 root presented, two links",
			records:     []evidence.TLSARecord{tlsaRec(2, 0, 1, p.root)},
			dnssec:      evidence.DNSSECSecure,
			chain:       full,
			wantMatched: []evidence.TLSARecord{tlsaRec(2, 0, 1, p.root)},
			wantUsable:  1,
			wantNameOK:  boolp(true),
			wantState:   StateValid,
		},
		{
			name:        "2 0 1 chain out of order",
			records:     []evidence.TLSARecord{tlsaRec(2, 0, 1, p.root)},
			dnssec:      evidence.DNSSECSecure,
			chain:       ders(p.leaf, p.root, p.inter),
			wantMatched: []evidence.TLSARecord{tlsaRec(2, 0, 1, p.root)},
			wantUsable:  1,
			wantNameOK:  boolp(true),
			wantState:   StateValid,
		},
		{
			name:        "2 1 1 intermediate key",
			records:     []evidence.TLSARecord{tlsaRec(2, 1, 1, p.inter)},
			dnssec:      evidence.DNSSECSecure,
			chain:       noRoot,
			wantMatched: []evidence.TLSARecord{tlsaRec(2, 1, 1, p.inter)},
			wantUsable:  1,
			wantNameOK:  boolp(true),
			wantState:   StateValid,
		},
		{
			name:       "2 0 1 TA not presented",
			records:    []evidence.TLSARecord{tlsaRec(2, 0, 1, p.root)},
			dnssec:     evidence.DNSSECSecure,
			chain:      noRoot,
			wantUsable: 1,
			wantNameOK: boolp(true),
			wantReason: short(tlsaRec(2, 0, 1, p.root)) + " matches no certificate the server presented besides the leaf (the TA must be sent, RFC 7672 §3.1.2); no usable TLSA record matches the presented chain",
			wantState:  StateInvalid,
		},
		{
			name:       "2 0 1 matching only the leaf",
			records:    []evidence.TLSARecord{tlsaRec(2, 0, 1, p.leaf)},
			dnssec:     evidence.DNSSECSecure,
			chain:      noRoot,
			wantUsable: 1,
			wantNameOK: boolp(true),
			wantReason: short(tlsaRec(2, 0, 1, p.leaf)) + " matches no certificate the server presented besides the leaf (the TA must be sent, RFC 7672 §3.1.2); no usable TLSA record matches the presented chain",
			wantState:  StateInvalid,
		},
		{
			name:       "2 0 1 name mismatch",
			records:    []evidence.TLSARecord{tlsaRec(2, 0, 1, p.inter)},
			dnssec:     evidence.DNSSECSecure,
			chain:      ders(p.otherLeaf, p.inter),
			wantUsable: 1,
			wantNameOK: boolp(false),
			wantReason: short(tlsaRec(2, 0, 1, p.inter)) + " matches presented certificate 2, but the leaf does not name mx.example.com; no usable TLSA record matches the presented chain",
			wantState:  StateInvalid,
		},
		{
			name:        "2 1 1 wildcard leaf",
			records:     []evidence.TLSARecord{tlsaRec(2, 1, 1, p.inter)},
			dnssec:      evidence.DNSSECSecure,
			chain:       ders(p.wildLeaf, p.inter),
			wantMatched: []evidence.TLSARecord{tlsaRec(2, 1, 1, p.inter)},
			wantUsable:  1,
			wantNameOK:  boolp(true),
			wantState:   StateValid,
		},
		{
			name:       "2 1 1 wildcard covers one label only",
			records:    []evidence.TLSARecord{tlsaRec(2, 1, 1, p.inter)},
			dnssec:     evidence.DNSSECSecure,
			chain:      ders(p.wildLeaf, p.inter),
			host:       "a.mx.example.com",
			wantUsable: 1,
			wantNameOK: boolp(false),
			wantReason: short(tlsaRec(2, 1, 1, p.inter)) + " matches presented certificate 2, but the leaf does not name a.mx.example.com; no usable TLSA record matches the presented chain",
			wantState:  StateInvalid,
		},
		{
			name:        "2 1 1 common name without SAN",
			records:     []evidence.TLSARecord{tlsaRec(2, 1, 1, p.inter)},
			dnssec:      evidence.DNSSECSecure,
			chain:       ders(p.cnLeaf, p.inter),
			host:        "MX.Example.com.",
			wantMatched: []evidence.TLSARecord{tlsaRec(2, 1, 1, p.inter)},
			wantUsable:  1,
			wantNameOK:  boolp(true),
			wantState:   StateValid,
		},
		{
			name:       "2 0 1 expired leaf",
			records:    []evidence.TLSARecord{tlsaRec(2, 0, 1, p.inter)},
			dnssec:     evidence.DNSSECSecure,
			chain:      ders(p.expiredLeaf, p.inter),
			wantUsable: 1,
			wantNameOK: boolp(true),
			wantReason: short(tlsaRec(2, 0, 1, p.inter)) + " matches presented certificate 2, but presented certificate 1 (CN=mx.example.com) expired on 2025-05-22; no usable TLSA record matches the presented chain",
			wantState:  StateInvalid,
		},
		{
			name:       "2 0 1 expired root certificate",
			records:    []evidence.TLSARecord{tlsaRec(2, 0, 1, p.oldRoot)},
			dnssec:     evidence.DNSSECSecure,
			chain:      ders(p.oldLeaf, p.oldInter, p.oldRoot),
			wantUsable: 1,
			wantNameOK: boolp(true),
			wantReason: short(tlsaRec(2, 0, 1, p.oldRoot)) + " matches presented certificate 3, but presented certificate 3 (CN=Old Root) expired on 2025-05-31; no usable TLSA record matches the presented chain",
			wantState:  StateInvalid,
		},
		{
			name:        "2 1 1 expired root key",
			records:     []evidence.TLSARecord{tlsaRec(2, 1, 1, p.oldRoot)},
			dnssec:      evidence.DNSSECSecure,
			chain:       ders(p.oldLeaf, p.oldInter, p.oldRoot),
			wantMatched: []evidence.TLSARecord{tlsaRec(2, 1, 1, p.oldRoot)},
			wantUsable:  1,
			wantNameOK:  boolp(true),
			wantState:   StateValid,
		},
		{
			name:       "2 0 1 presented but not the issuer",
			records:    []evidence.TLSARecord{tlsaRec(2, 0, 1, p.strangerCA)},
			dnssec:     evidence.DNSSECSecure,
			chain:      ders(p.leaf, p.strangerCA),
			wantUsable: 1,
			wantNameOK: boolp(true),
			wantReason: short(tlsaRec(2, 0, 1, p.strangerCA)) + " matches presented certificate 2, but the leaf does not chain to it by signature through the presented certificates; no usable TLSA record matches the presented chain",
			wantState:  StateInvalid,
		},
		{
			name:       "only usages 0 and 1",
			records:    []evidence.TLSARecord{tlsaRec(0, 0, 1, p.root), tlsaRec(1, 1, 1, p.leaf)},
			dnssec:     evidence.DNSSECSecure,
			chain:      full,
			wantReason: short(tlsaRec(0, 0, 1, p.root)) + " discarded: usage 0 (PKIX) is unusable for SMTP; " + short(tlsaRec(1, 1, 1, p.leaf)) + " discarded: usage 1 (PKIX) is unusable for SMTP; no TLSA record is usable for SMTP",
			wantState:  StateUnusable,
		},
		{
			name:        "unsigned zone",
			records:     []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			dnssec:      evidence.DNSSECInsecure,
			chain:       noRoot,
			wantMatched: []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			wantUsable:  1,
			wantReason:  "TLSA in an unsigned zone: senders ignore it",
			wantState:   StateUnusable,
		},
		{
			name:        "bogus lookup",
			records:     []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			dnssec:      evidence.DNSSECBogus,
			chain:       noRoot,
			wantMatched: []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			wantUsable:  1,
			wantReason:  "the TLSA lookup failed DNSSEC validation (bogus): DANE senders treat this MX host as unreachable",
			wantState:   StateUnusable,
		},
		{
			name:        "indeterminate lookup",
			records:     []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			dnssec:      evidence.DNSSECIndeterminate,
			chain:       noRoot,
			wantMatched: []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			wantUsable:  1,
			wantReason:  "the TLSA lookup's DNSSEC status is indeterminate: DANE senders treat this MX host as unreachable",
			wantState:   StateUnusable,
		},
		{
			name:        "dnssec not validated",
			records:     []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			dnssec:      evidence.DNSSECNotChecked,
			chain:       noRoot,
			wantMatched: []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			wantUsable:  1,
			wantReason:  "DNSSEC was not validated: whether senders use these records is not known",
			wantState:   StateUnusable,
		},
		{
			name:        "rollover: current and next key",
			records:     []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf), tlsaRec(3, 1, 1, p.nextLeaf)},
			dnssec:      evidence.DNSSECSecure,
			chain:       noRoot,
			wantMatched: []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			wantUsable:  2,
			wantReason:  short(tlsaRec(3, 1, 1, p.nextLeaf)) + " does not match the leaf",
			wantState:   StateValid,
		},
		{
			name:        "malformed digest length discarded",
			records:     []evidence.TLSARecord{malformed, tlsaRec(3, 1, 1, p.leaf)},
			dnssec:      evidence.DNSSECSecure,
			chain:       noRoot,
			wantMatched: []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			wantUsable:  1,
			wantReason:  short(malformed) + " discarded: digest is 31 bytes, not 32",
			wantState:   StateValid,
		},
		{
			name:       "only a malformed record",
			records:    []evidence.TLSARecord{malformed},
			dnssec:     evidence.DNSSECSecure,
			chain:      noRoot,
			wantReason: short(malformed) + " discarded: digest is 31 bytes, not 32; no TLSA record is usable for SMTP",
			wantState:  StateUnusable,
		},
		{
			name:       "digest agility: a stale SHA2-512 hides a matching SHA2-256",
			records:    []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf), tlsaRec(3, 1, 2, p.otherLeaf)},
			dnssec:     evidence.DNSSECSecure,
			chain:      noRoot,
			wantUsable: 2,
			wantReason: short(tlsaRec(3, 1, 1, p.leaf)) + " ignored: a SHA2-512 record exists for usage 3 selector 1 (digest agility, RFC 7671 §9); " + short(tlsaRec(3, 1, 2, p.otherLeaf)) + " does not match the leaf; no usable TLSA record matches the presented chain",
			wantState:  StateInvalid,
		},
		{
			name:      "no records",
			dnssec:    evidence.DNSSECSecure,
			chain:     noRoot,
			wantState: StateNone, wantReason: "no TLSA records",
		},
		{
			name:       "no chain",
			records:    []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)},
			dnssec:     evidence.DNSSECSecure,
			wantUsable: 1,
			wantReason: "no certificate presented",
			wantState:  StateInvalid,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			host := tc.host
			if host == "" {
				host = mxHost
			}
			m := Match(tc.records, tc.dnssec, tc.chain, host, testNow)
			var want []string
			for _, r := range tc.wantMatched {
				want = append(want, Label(r))
			}
			if !slices.Equal(m.Matched, want) {
				t.Fatalf("Matched = %q, want %q", m.Matched, want)
			}
			if m.Usable != tc.wantUsable {
				t.Fatalf("Usable = %d, want %d", m.Usable, tc.wantUsable)
			}
			if (m.NameOK == nil) != (tc.wantNameOK == nil) || m.NameOK != nil && *m.NameOK != *tc.wantNameOK {
				t.Fatalf("NameOK = %v, want %v", ptr(m.NameOK), ptr(tc.wantNameOK))
			}
			if m.Reason != tc.wantReason {
				t.Fatalf("Reason = %q\nwant     %q", m.Reason, tc.wantReason)
			}
			if got := StateOf(tc.records, tc.dnssec == evidence.DNSSECSecure, m); got != tc.wantState {
				t.Fatalf("StateOf = %q, want %q", got, tc.wantState)
			}
		})
	}
}

func ptr(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func TestMatchUnparseableLeaf(t *testing.T) {
	// DANE-EE compares bytes: a leaf Go's parser refuses (here an empty
	// signature algorithm and names) still matches by its DER or its SPKI.
	p := newPKI(t)
	seq := func(parts ...[]byte) []byte {
		var body []byte
		for _, x := range parts {
			body = append(body, x...)
		}
		out, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		return out
	}
	version := []byte{0xa0, 0x03, 0x02, 0x01, 0x02}
	serialNum := []byte{0x02, 0x01, 0xff} // negative: refused by crypto/x509
	empty := seq()
	tbs := seq(version, serialNum, empty, empty, empty, empty, p.leaf.cert.RawSubjectPublicKeyInfo)
	odd := seq(tbs, empty, []byte{0x03, 0x01, 0x00})
	if _, err := x509.ParseCertificate(odd); err == nil {
		t.Fatal("crypto/x509 parsed the odd certificate; the test proves nothing")
	}
	spki := tlsaRec(3, 1, 1, p.leaf)
	cert := evidence.TLSARecord{Usage: 3, Selector: 0, MatchingType: 0, Data: hex.EncodeToString(odd)}
	m := Match([]evidence.TLSARecord{spki, cert}, evidence.DNSSECSecure, [][]byte{odd}, mxHost, testNow)
	if want := []string{Label(spki), Label(cert)}; !slices.Equal(m.Matched, want) {
		t.Fatalf("Matched = %q, want %q (reason %q)", m.Matched, want, m.Reason)
	}
	ta := tlsaRec(2, 1, 1, p.inter)
	m = Match([]evidence.TLSARecord{ta}, evidence.DNSSECSecure, [][]byte{odd, p.inter.cert.Raw}, mxHost, testNow)
	if len(m.Matched) != 0 || m.NameOK == nil || *m.NameOK {
		t.Fatalf("DANE-TA with an unparseable leaf: matched %q name %v", m.Matched, ptr(m.NameOK))
	}
	if want := "TLSA 2 1 1 " + ta.Data[:16] + "… matches a presented certificate, but the leaf cannot be parsed; no usable TLSA record matches the presented chain"; m.Reason != want {
		t.Fatalf("Reason = %q, want %q", m.Reason, want)
	}
}

func TestStateOf(t *testing.T) {
	usable := []evidence.TLSARecord{{Usage: 3, Selector: 1, MatchingType: 1, Data: strings.Repeat("00", 32)}}
	pkix := []evidence.TLSARecord{{Usage: 1, Selector: 1, MatchingType: 1, Data: strings.Repeat("00", 32)}}
	tests := []struct {
		name    string
		records []evidence.TLSARecord
		secure  bool
		m       *evidence.DANEMatch
		want    State
	}{
		{name: "no records", want: StateNone, secure: true},
		{name: "insecure", records: usable, m: &evidence.DANEMatch{Matched: []string{"x"}}, want: StateUnusable},
		{name: "no usable record", records: pkix, secure: true, m: &evidence.DANEMatch{}, want: StateUnusable},
		{name: "not tested", records: usable, secure: true, want: StateNotTested},
		{name: "valid", records: usable, secure: true, m: &evidence.DANEMatch{Matched: []string{"x"}}, want: StateValid},
		{name: "invalid", records: usable, secure: true, m: &evidence.DANEMatch{}, want: StateInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := StateOf(tc.records, tc.secure, tc.m); got != tc.want {
				t.Fatalf("StateOf = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRolloverReady(t *testing.T) {
	d := func(b string) string { return strings.Repeat(b, 32) }
	r := func(u, s, m uint8, data string) evidence.TLSARecord {
		return evidence.TLSARecord{Usage: u, Selector: s, MatchingType: m, Data: data}
	}
	tests := []struct {
		name    string
		records []evidence.TLSARecord
		want    bool
	}{
		{name: "two DANE-EE", records: []evidence.TLSARecord{r(3, 1, 1, d("aa")), r(3, 1, 1, d("bb"))}, want: true},
		{name: "DANE-EE and DANE-TA", records: []evidence.TLSARecord{r(3, 1, 1, d("aa")), r(2, 1, 1, d("bb"))}, want: true},
		{name: "one DANE-EE", records: []evidence.TLSARecord{r(3, 1, 1, d("aa"))}},
		{name: "two DANE-TA", records: []evidence.TLSARecord{r(2, 0, 1, d("aa")), r(2, 1, 1, d("bb"))}},
		{name: "duplicate counts once", records: []evidence.TLSARecord{r(3, 1, 1, d("aa")), r(3, 1, 1, strings.ToUpper(d("aa")))}},
		{name: "PKIX does not count", records: []evidence.TLSARecord{r(3, 1, 1, d("aa")), r(1, 1, 1, d("bb"))}},
		{name: "malformed does not count", records: []evidence.TLSARecord{r(3, 1, 1, d("aa")), r(3, 1, 1, "abcd")}},
		{name: "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RolloverReady(tc.records); got != tc.want {
				t.Fatalf("RolloverReady = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRolloverRecordsValidAndReady(t *testing.T) {
	p := newPKI(t)
	records := []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf), tlsaRec(3, 1, 1, p.nextLeaf)}
	for _, current := range []*testCert{p.leaf, p.nextLeaf} {
		m := Match(records, evidence.DNSSECSecure, ders(current, p.inter), mxHost, testNow)
		if StateOf(records, true, m) != StateValid {
			t.Fatalf("state %q for %s (reason %q)", StateOf(records, true, m), current.cert.Subject, m.Reason)
		}
	}
	if !RolloverReady(records) {
		t.Fatal("not rollover ready")
	}
}

func TestParseTLSA(t *testing.T) {
	h32, h64 := strings.Repeat("Ab", 32), strings.Repeat("cd", 64)
	tests := []struct {
		name    string
		in      string
		want    evidence.TLSARecord
		wantErr string
	}{
		{name: "3 1 1", in: "3 1 1 " + h32, want: evidence.TLSARecord{Usage: 3, Selector: 1, MatchingType: 1, Data: strings.ToLower(h32)}},
		{name: "3 1 2", in: "3 1 2 " + h64, want: evidence.TLSARecord{Usage: 3, Selector: 1, MatchingType: 2, Data: h64}},
		{name: "split data and tabs", in: "\t2 0 1 " + h32[:20] + " " + h32[20:] + "\n", want: evidence.TLSARecord{Usage: 2, Selector: 0, MatchingType: 1, Data: strings.ToLower(h32)}},
		{name: "full any length", in: "3 0 0 3003020101", want: evidence.TLSARecord{Usage: 3, Selector: 0, MatchingType: 0, Data: "3003020101"}},
		{name: "unassigned values parse", in: "255 255 255 00", want: evidence.TLSARecord{Usage: 255, Selector: 255, MatchingType: 255, Data: "00"}},
		{name: "short sha256", in: "3 1 1 " + h32[:62], wantErr: "tlsa data: matching type 1 needs 32 bytes, got 31"},
		{name: "sha512 given a sha256", in: "3 1 2 " + h32, wantErr: "tlsa data: matching type 2 needs 64 bytes, got 32"},
		{name: "odd hex", in: "3 1 1 abc", wantErr: "tlsa data: encoding/hex: odd length hex string"},
		{name: "not hex", in: "3 1 1 zz", wantErr: "tlsa data: encoding/hex: invalid byte: U+007A 'z'"},
		{name: "usage out of range", in: "256 1 1 " + h32, wantErr: `tlsa usage "256": not a number from 0 to 255`},
		{name: "negative selector", in: "3 -1 1 " + h32, wantErr: `tlsa selector "-1": not a number from 0 to 255`},
		{name: "mnemonic", in: "3 1 SHA256 " + h32, wantErr: `tlsa matching type "SHA256": not a number from 0 to 255`},
		{name: "no data", in: "3 1 1", wantErr: `tlsa "3 1 1": want usage, selector, matching type and data`},
		{name: "empty", in: "", wantErr: `tlsa "": want usage, selector, matching type and data`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTLSA(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestUsableFull(t *testing.T) {
	p := newPKI(t)
	tests := []struct {
		name    string
		rec     evidence.TLSARecord
		wantWhy string
	}{
		{name: "full certificate", rec: tlsaRec(3, 0, 0, p.leaf)},
		{name: "full spki", rec: tlsaRec(2, 1, 0, p.inter)},
		{name: "spki given as certificate", rec: evidence.TLSARecord{Usage: 3, Selector: 0, MatchingType: 0, Data: tlsaRec(3, 1, 0, p.leaf).Data}, wantWhy: "full data is not a DER certificate: "},
		{name: "garbage", rec: evidence.TLSARecord{Usage: 3, Selector: 1, MatchingType: 0, Data: "0102"}, wantWhy: "full data is not a DER SubjectPublicKeyInfo: "},
		{name: "selector 2", rec: evidence.TLSARecord{Usage: 3, Selector: 2, MatchingType: 1, Data: strings.Repeat("00", 32)}, wantWhy: "selector 2 is not supported"},
		{name: "matching type 3", rec: evidence.TLSARecord{Usage: 3, Selector: 1, MatchingType: 3, Data: "00"}, wantWhy: "matching type 3 is not supported"},
		{name: "usage 4", rec: evidence.TLSARecord{Usage: 4, Selector: 1, MatchingType: 1, Data: strings.Repeat("00", 32)}, wantWhy: "usage 4 is not supported"},
		{name: "empty data", rec: evidence.TLSARecord{Usage: 3, Selector: 1, MatchingType: 0}, wantWhy: "data is not hex"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, why := usable(tc.rec)
			if tc.wantWhy == "" && why != "" || tc.wantWhy != "" && !strings.HasPrefix(why, tc.wantWhy) {
				t.Fatalf("why = %q, want prefix %q", why, tc.wantWhy)
			}
		})
	}
}

func TestSPKIOf(t *testing.T) {
	p := newPKI(t)
	for _, c := range []*testCert{p.root, p.inter, p.leaf} {
		got, err := spkiOf(c.cert.Raw)
		if err != nil {
			t.Fatalf("%s: %v", c.cert.Subject, err)
		}
		if string(got) != string(c.cert.RawSubjectPublicKeyInfo) {
			t.Fatalf("%s: SPKI differs from crypto/x509's", c.cert.Subject)
		}
	}
	if _, err := spkiOf([]byte{0x30, 0x00}); err == nil {
		t.Fatal("empty sequence accepted")
	}
}

// The clock matters only to DANE-TA; make sure a DANE-EE verdict does not
// change with it.
func TestDANEEEIgnoresClock(t *testing.T) {
	p := newPKI(t)
	recs := []evidence.TLSARecord{tlsaRec(3, 1, 1, p.leaf)}
	for _, now := range []time.Time{testNow.Add(-1000 * day), testNow, testNow.Add(1000 * day)} {
		if m := Match(recs, evidence.DNSSECSecure, ders(p.leaf), mxHost, now); len(m.Matched) != 1 {
			t.Fatalf("at %v: %q", now, m.Reason)
		}
	}
}
