package certs

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

func TestDecode(t *testing.T) {
	p := newPKI(t, "Decode")
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("ed25519 key: %v", err)
	}
	leaf := issue(t, spec{cn: "mx.example.com", dns: []string{"mx.example.com", "mx2.example.com"},
		ips: []net.IP{net.ParseIP("192.0.2.7")}, serial: 0xabcdef}, &p.inter)
	rsaLeaf := issue(t, spec{cn: "rsa.example.com", key: newRSAKey(t, 2048), serial: 255}, &p.inter)
	edLeaf := issue(t, spec{cn: "ed.example.com", key: edKey}, &p.inter)

	spki := sha256.Sum256(leaf.cert.RawSubjectPublicKeyInfo)
	fp := sha256.Sum256(leaf.der)

	tests := []struct {
		name                   string
		der                    []byte
		wantCN, wantSig        string
		wantKey, wantCurve     string
		wantBits               int
		wantSerial             string
		wantSelfSigned, wantCA bool
		wantDNS, wantIPs       []string
	}{
		{"ecdsa leaf", leaf.der, "mx.example.com", "ECDSA-SHA256", KeyECDSA, "P-256", 256, "abcdef", false, false,
			[]string{"mx.example.com", "mx2.example.com"}, []string{"192.0.2.7"}},
		{"rsa leaf", rsaLeaf.der, "rsa.example.com", "ECDSA-SHA256", KeyRSA, "", 2048, "ff", false, false, nil, nil},
		{"ed25519 leaf", edLeaf.der, "ed.example.com", "ECDSA-SHA256", KeyEd25519, "", 256, "1f2e", false, false, nil, nil},
		{"root", p.root.der, "Decode Root", "ECDSA-SHA256", KeyECDSA, "P-256", 256, "1", true, true, nil, nil},
		{"intermediate", p.inter.der, "Decode Intermediate", "ECDSA-SHA256", KeyECDSA, "P-256", 256, "2", false, true, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decode(tt.der)
			if got.ParseError != "" {
				t.Fatalf("ParseError = %q", got.ParseError)
			}
			if got.CommonName != tt.wantCN || got.SignatureAlgorithm != tt.wantSig || got.KeyType != tt.wantKey ||
				got.Curve != tt.wantCurve || got.KeyBits != tt.wantBits || got.Serial != tt.wantSerial ||
				got.SelfSigned != tt.wantSelfSigned || got.IsCA != tt.wantCA {
				t.Errorf("got CN=%q sig=%q key=%s/%d/%q serial=%q self=%v ca=%v", got.CommonName, got.SignatureAlgorithm,
					got.KeyType, got.KeyBits, got.Curve, got.Serial, got.SelfSigned, got.IsCA)
			}
			if !slices.Equal(got.DNSNames, tt.wantDNS) || !slices.Equal(got.IPs, tt.wantIPs) {
				t.Errorf("DNSNames=%q IPs=%q, want %q %q", got.DNSNames, got.IPs, tt.wantDNS, tt.wantIPs)
			}
			if string(got.DER) != string(tt.der) {
				t.Error("DER not kept")
			}
		})
	}

	got := Decode(leaf.der)
	if got.SHA256 != hex.EncodeToString(fp[:]) || got.SPKISHA256 != hex.EncodeToString(spki[:]) {
		t.Errorf("fingerprints = %s %s", got.SHA256, got.SPKISHA256)
	}
	if got.Subject != "CN=mx.example.com,O=mxaudit test" || got.Issuer != "CN=Decode Intermediate,O=mxaudit test" {
		t.Errorf("Subject=%q Issuer=%q", got.Subject, got.Issuer)
	}
	if !got.NotBefore.Equal(epoch.Add(-30*day)) || !got.NotAfter.Equal(epoch.Add(90*day)) {
		t.Errorf("validity %v .. %v", got.NotBefore, got.NotAfter)
	}
}

func TestDecodeGarbage(t *testing.T) {
	tests := []struct {
		name string
		der  []byte
	}{
		{"nil", nil},
		{"text", []byte("hello, this is not a certificate")},
		{"truncated sequence", []byte{0x30, 0x82, 0x05, 0x00, 0x30}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decode(tt.der)
			if got.ParseError == "" {
				t.Fatal("ParseError not set")
			}
			sum := sha256.Sum256(tt.der)
			if got.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("SHA256 = %q", got.SHA256)
			}
			if got.KeyType != "" || got.Subject != "" || got.SelfSigned {
				t.Errorf("facts filled from garbage: %+v", got)
			}
		})
	}
}

func TestDecodeMD5SelfSigned(t *testing.T) {
	key := newRSAKey(t, 2048)
	root := issue(t, spec{cn: "MD5 Root", ca: true, key: key}, nil)
	der := resignMD5(t, root.der, key)
	got := Decode(der)
	if got.ParseError != "" {
		t.Fatalf("ParseError = %q", got.ParseError)
	}
	if got.SignatureAlgorithm != "MD5-RSA" || !got.SelfSigned {
		t.Errorf("SignatureAlgorithm=%q SelfSigned=%v, want MD5-RSA true", got.SignatureAlgorithm, got.SelfSigned)
	}
}

// checkWant is the expected outcome of Verifier.Check.
type checkWant struct {
	trusted, nameMatch, expired *bool
	notYetValid                 bool
	matchedBy                   string
	days                        int
	selfSigned                  bool
	incomplete                  bool
	weakSig, weakKey            string
	verified                    int
	trustErr                    string
}

func ptr(b bool) *bool { return &b }

func TestCheck(t *testing.T) {
	const mx = "mx.example.com"
	p := newPKI(t, "Good")
	other := newPKI(t, "Other")
	rsaCAKey := newRSAKey(t, 2048)
	rsaRoot := issue(t, spec{cn: "RSA Root", ca: true, key: rsaCAKey, notBefore: epoch.Add(-3650 * day), notAfter: epoch.Add(3650 * day)}, nil)
	p.pool.AddCert(rsaRoot.cert)

	good := issue(t, spec{cn: mx, dns: []string{mx}}, &p.inter)
	wild := issue(t, spec{cn: "wild", dns: []string{"*.example.com"}}, &p.inter)
	cnOnly := issue(t, spec{cn: mx}, &p.inter)
	sanWins := issue(t, spec{cn: mx, dns: []string{"other.example.com"}}, &p.inter)
	mismatch := issue(t, spec{cn: "www.example.org", dns: []string{"www.example.org"}}, &p.inter)
	self := issue(t, spec{cn: mx, dns: []string{mx}}, nil)
	expired := issue(t, spec{cn: mx, dns: []string{mx}, notBefore: epoch.Add(-400 * day), notAfter: epoch.Add(-36 * time.Hour)}, &p.inter)
	future := issue(t, spec{cn: mx, dns: []string{mx}, notBefore: epoch.Add(2 * day), notAfter: epoch.Add(300 * day)}, &p.inter)
	weakKey := issue(t, spec{cn: mx, dns: []string{mx}, key: newRSAKey(t, 1024)}, &p.inter)
	sha1Leaf := issue(t, spec{cn: mx, dns: []string{mx}, sigAlg: x509.SHA1WithRSA}, &rsaRoot)
	md5Leaf := resignMD5(t, issue(t, spec{cn: mx, dns: []string{mx}}, &rsaRoot).der, rsaCAKey)
	foreign := issue(t, spec{cn: mx, dns: []string{mx}}, &other.inter)
	soon := issue(t, spec{cn: mx, dns: []string{mx}, notAfter: epoch.Add(10*day + time.Hour)}, &p.inter)

	tests := []struct {
		name  string
		chain [][]byte
		want  checkWant
	}{
		{"trusted via intermediate", [][]byte{good.der, p.inter.der},
			checkWant{trusted: ptr(true), nameMatch: ptr(true), expired: ptr(false), matchedBy: mx, days: 90, verified: 3}},
		{"wildcard match", [][]byte{wild.der, p.inter.der},
			checkWant{trusted: ptr(true), nameMatch: ptr(true), expired: ptr(false), matchedBy: "*.example.com", days: 90, verified: 3}},
		{"cn fallback without san", [][]byte{cnOnly.der, p.inter.der},
			checkWant{trusted: ptr(true), nameMatch: ptr(true), expired: ptr(false), matchedBy: "CN:" + mx, days: 90, verified: 3}},
		{"san present so cn ignored", [][]byte{sanWins.der, p.inter.der},
			checkWant{trusted: ptr(true), nameMatch: ptr(false), expired: ptr(false), days: 90, verified: 3}},
		{"name mismatch", [][]byte{mismatch.der, p.inter.der},
			checkWant{trusted: ptr(true), nameMatch: ptr(false), expired: ptr(false), days: 90, verified: 3}},
		{"self-signed", [][]byte{self.der},
			checkWant{trusted: ptr(false), nameMatch: ptr(true), expired: ptr(false), matchedBy: mx, days: 90, selfSigned: true,
				trustErr: "x509: certificate signed by unknown authority"}},
		{"expired but trusted chain", [][]byte{expired.der, p.inter.der},
			checkWant{trusted: ptr(true), nameMatch: ptr(true), expired: ptr(true), matchedBy: mx, days: -2, verified: 3}},
		{"not yet valid", [][]byte{future.der, p.inter.der},
			checkWant{trusted: ptr(true), nameMatch: ptr(true), expired: ptr(false), notYetValid: true, matchedBy: mx, days: 300, verified: 3}},
		{"expires in ten days", [][]byte{soon.der, p.inter.der},
			checkWant{trusted: ptr(true), nameMatch: ptr(true), expired: ptr(false), matchedBy: mx, days: 10, verified: 3}},
		{"rsa 1024 leaf", [][]byte{weakKey.der, p.inter.der},
			checkWant{trusted: ptr(true), nameMatch: ptr(true), expired: ptr(false), matchedBy: mx, days: 90, verified: 3, weakKey: "RSA 1024"}},
		{"sha1 signature", [][]byte{sha1Leaf.der},
			checkWant{trusted: ptr(false), nameMatch: ptr(true), expired: ptr(false), matchedBy: mx, days: 90, weakSig: "SHA1-RSA",
				trustErr: "x509: certificate signed by unknown authority (possibly because of \"x509: cannot verify signature: insecure algorithm SHA1-RSA\""}},
		{"md5 signature", [][]byte{md5Leaf},
			checkWant{trusted: ptr(false), nameMatch: ptr(true), expired: ptr(false), matchedBy: mx, days: 90, weakSig: "MD5-RSA",
				trustErr: "x509: certificate signed by unknown authority (possibly because of \"x509: cannot verify signature: insecure algorithm MD5-RSA\""}},
		{"intermediate not sent", [][]byte{good.der},
			checkWant{trusted: ptr(false), nameMatch: ptr(true), expired: ptr(false), matchedBy: mx, days: 90, incomplete: true,
				trustErr: "x509: certificate signed by unknown authority"}},
		{"unknown authority with its intermediate", [][]byte{foreign.der, other.inter.der},
			checkWant{trusted: ptr(false), nameMatch: ptr(true), expired: ptr(false), matchedBy: mx, days: 90,
				trustErr: "x509: certificate signed by unknown authority"}},
		{"garbage intermediate", [][]byte{good.der, []byte("junk")},
			checkWant{trusted: ptr(false), nameMatch: ptr(true), expired: ptr(false), matchedBy: mx, days: 90, incomplete: true,
				trustErr: "x509: certificate signed by unknown authority"}},
	}
	v := &Verifier{Roots: p.pool, Now: func() time.Time { return epoch }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := v.Check(mx, tt.chain)
			if got.Error != nil {
				t.Fatalf("Error = %v", got.Error)
			}
			w := tt.want
			if !eqPtr(got.Trusted, w.trusted) || !eqPtr(got.NameMatch, w.nameMatch) || !eqPtr(got.Expired, w.expired) {
				t.Errorf("Trusted=%s NameMatch=%s Expired=%s, want %s %s %s (trust error %q)", show(got.Trusted), show(got.NameMatch),
					show(got.Expired), show(w.trusted), show(w.nameMatch), show(w.expired), got.TrustError)
			}
			if got.NotYetValid != w.notYetValid || got.MatchedBy != w.matchedBy || got.DaysToExpiry != w.days ||
				got.SelfSigned != w.selfSigned || got.ChainIncomplete != w.incomplete {
				t.Errorf("NotYetValid=%v MatchedBy=%q Days=%d SelfSigned=%v Incomplete=%v, want %v %q %d %v %v",
					got.NotYetValid, got.MatchedBy, got.DaysToExpiry, got.SelfSigned, got.ChainIncomplete,
					w.notYetValid, w.matchedBy, w.days, w.selfSigned, w.incomplete)
			}
			if got.WeakSignature != w.weakSig || got.WeakKey != w.weakKey {
				t.Errorf("WeakSignature=%q WeakKey=%q, want %q %q", got.WeakSignature, got.WeakKey, w.weakSig, w.weakKey)
			}
			if len(got.VerifiedChain) != w.verified {
				t.Errorf("VerifiedChain = %q, want %d entries", got.VerifiedChain, w.verified)
			}
			if !strings.HasPrefix(got.TrustError, w.trustErr) || (w.trustErr == "") != (got.TrustError == "") {
				t.Errorf("TrustError = %q, want prefix %q", got.TrustError, w.trustErr)
			}
			if got.Name != mx || !got.CheckedAt.Equal(epoch) || len(got.Chain) != len(tt.chain) {
				t.Errorf("Name=%q CheckedAt=%v chain len %d", got.Name, got.CheckedAt, len(got.Chain))
			}
		})
	}

	t.Run("verified chain subjects", func(t *testing.T) {
		got := v.Check(mx, [][]byte{good.der, p.inter.der})
		want := []string{"CN=mx.example.com,O=mxaudit test", "CN=Good Intermediate,O=mxaudit test", "CN=Good Root,O=mxaudit test"}
		if !slices.Equal(got.VerifiedChain, want) {
			t.Errorf("VerifiedChain = %q, want %q", got.VerifiedChain, want)
		}
	})
	t.Run("sha1 intermediate under trusted root", func(t *testing.T) {
		inter := issue(t, spec{cn: "SHA1 Intermediate", ca: true, sigAlg: x509.SHA1WithRSA, key: newRSAKey(t, 2048)}, &rsaRoot)
		leaf := issue(t, spec{cn: mx, dns: []string{mx}}, &inter)
		got := v.Check(mx, [][]byte{leaf.der, inter.der, rsaRoot.der})
		if got.WeakSignature != "SHA1-RSA" {
			t.Errorf("WeakSignature = %q, want SHA1-RSA (the root's own signature is skipped)", got.WeakSignature)
		}
	})
	t.Run("weak intermediate key", func(t *testing.T) {
		inter := issue(t, spec{cn: "Weak Intermediate", ca: true, key: newRSAKey(t, 1024)}, &p.root)
		leaf := issue(t, spec{cn: mx, dns: []string{mx}}, &inter)
		got := v.Check(mx, [][]byte{leaf.der, inter.der})
		if want := "RSA 1024 (intermediate CN=Weak Intermediate,O=mxaudit test)"; got.WeakKey != want {
			t.Errorf("WeakKey = %q, want %q", got.WeakKey, want)
		}
	})
	t.Run("empty name leaves match unknown", func(t *testing.T) {
		got := v.Check("", [][]byte{good.der, p.inter.der})
		if got.NameMatch != nil || got.Trusted == nil || !*got.Trusted {
			t.Errorf("NameMatch=%s Trusted=%s", show(got.NameMatch), show(got.Trusted))
		}
	})
}

func TestCheckNoCertificate(t *testing.T) {
	tests := []struct {
		name    string
		chain   [][]byte
		wantMsg string
	}{
		{"empty chain", nil, "no certificate presented"},
		{"garbage leaf", [][]byte{[]byte("not der")}, "leaf certificate cannot be parsed: "},
	}
	v := &Verifier{Roots: x509.NewCertPool(), Now: func() time.Time { return epoch }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := v.Check("mx.example.com", tt.chain)
			if got.Error == nil || got.Error.Kind != evidence.ErrProtocol || !strings.HasPrefix(got.Error.Message, tt.wantMsg) {
				t.Fatalf("Error = %+v, want protocol %q", got.Error, tt.wantMsg)
			}
			if got.Trusted != nil || got.NameMatch != nil || got.Expired != nil {
				t.Errorf("pointers set: %s %s %s", show(got.Trusted), show(got.NameMatch), show(got.Expired))
			}
			if len(got.Chain) != len(tt.chain) {
				t.Errorf("Chain has %d entries, want %d", len(got.Chain), len(tt.chain))
			}
		})
	}
}

func TestCheckSystemRoots(t *testing.T) {
	if _, err := x509.SystemCertPool(); err != nil {
		t.Skipf("no system roots on this machine: %v", err)
	}
	p := newPKI(t, "Private")
	leaf := issue(t, spec{cn: "mx.example.com", dns: []string{"mx.example.com"}}, &p.inter)
	var v Verifier // zero value: system roots and the real clock
	got := v.Check("mx.example.com", [][]byte{leaf.der, p.inter.der})
	if got.Trusted == nil || *got.Trusted {
		t.Fatalf("a private CA must not be trusted by the system roots: Trusted=%s", show(got.Trusted))
	}
}

func TestDaysUntil(t *testing.T) {
	tests := []struct {
		name string
		left time.Duration
		want int
	}{
		{"exactly ten days", 10 * day, 10},
		{"ten days and an hour", 10*day + time.Hour, 10},
		{"just under a day", day - time.Second, 0},
		{"now", 0, 0},
		{"one second ago", -time.Second, -1},
		{"exactly one day ago", -day, -1},
		{"a day and a second ago", -day - time.Second, -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := daysUntil(epoch, epoch.Add(tt.left)); got != tt.want {
				t.Errorf("daysUntil(%v) = %d, want %d", tt.left, got, tt.want)
			}
		})
	}
}

func TestMatchName(t *testing.T) {
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"mx.example.com", "mx.example.com", true},
		{"MX.Example.COM", "mx.example.com", true},
		{"mx.example.com.", "mx.example.com", true},
		{"mx.example.com", "MX.EXAMPLE.COM.", true},
		{"mx.example.com", "mx2.example.com", false},
		{"*.example.com", "mx.example.com", true},
		{"*.example.com", "MX.example.com.", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "a.b.example.com", false},
		{"*.example.com", ".example.com", false},
		{"f*.example.com", "foo.example.com", false},
		{"*foo.example.com", "barfoo.example.com", false},
		{"mx*.example.com", "mx1.example.com", false},
		{"*.*.example.com", "a.b.example.com", false},
		{"mx.*.example.com", "mx.a.example.com", false},
		{"*.com", "example.com", false},
		{"*", "example", false},
		{"*.", "example.", false},
		{"*.co.uk", "example.co.uk", true}, // no public suffix list: two labels suffice
		{"xn--mnchen-3ya.example", "xn--mnchen-3ya.example", true},
		{"*.xn--mnchen-3ya.example", "mx.xn--mnchen-3ya.example", true},
		{"*.xn--mnchen-3ya.example", "mx.münchen.example", false}, // A-labels as is, no IDN conversion
		{"", "", false},
		{"mx.example.com", "", false},
		{"", "mx.example.com", false},
		{"mx..example.com", "mx..example.com", false},
		{"*.example.com", "*.example.com", false},
		{"*.0.0.1", "127.0.0.1", false},
		{"127.0.0.1", "127.0.0.1", true},
		{"mx.example.com", "mx.example.com..", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"_vs_"+tt.host, func(t *testing.T) {
			if got := MatchName(tt.pattern, tt.host); got != tt.want {
				t.Errorf("MatchName(%q, %q) = %v, want %v", tt.pattern, tt.host, got, tt.want)
			}
		})
	}
}

func TestLoadCAFile(t *testing.T) {
	p := newPKI(t, "Bundle")
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
		return path
	}
	pemOf := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }
	bundle := append(pemOf("CERTIFICATE", p.root.der), pemOf("CERTIFICATE", p.inter.der)...)

	tests := []struct {
		name    string
		path    string
		wantErr string
	}{
		{"two certificates", write("ok.pem", bundle), ""},
		{"key and certificate", write("mixed.pem", append(pemOf("PRIVATE KEY", []byte{1, 2, 3}), pemOf("CERTIFICATE", p.root.der)...)), ""},
		{"no certificate", write("empty.pem", []byte("nothing here\n")), "no PEM certificate found"},
		{"only a key", write("key.pem", pemOf("PRIVATE KEY", []byte{1, 2, 3})), "no PEM certificate found"},
		{"bad certificate block", write("bad.pem", append(pemOf("CERTIFICATE", p.root.der), pemOf("CERTIFICATE", []byte("junk"))...)), "pem block 2"},
		{"missing file", filepath.Join(dir, "absent.pem"), "read ca file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool, err := LoadCAFile(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadCAFile: %v", err)
			}
			leaf := issue(t, spec{cn: "mx.example.com", dns: []string{"mx.example.com"}}, &p.inter)
			v := &Verifier{Roots: pool, Now: func() time.Time { return epoch }}
			got := v.Check("mx.example.com", [][]byte{leaf.der, p.inter.der})
			if got.Trusted == nil || !*got.Trusted {
				t.Errorf("leaf not trusted with the loaded bundle: %s", got.TrustError)
			}
		})
	}
	if _, err := LoadCAFile(filepath.Join(dir, "absent.pem")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file error %v does not wrap fs.ErrNotExist", err)
	}
}

func TestDSAPrimeBits(t *testing.T) {
	p := new(big.Int).Lsh(big.NewInt(1), 2047)
	p.Add(p, big.NewInt(1))
	spki := marshalDSASPKI(t, p)
	got, err := dsaPrimeBits(spki)
	if err != nil || got != 2048 {
		t.Fatalf("dsaPrimeBits = %d, %v; want 2048", got, err)
	}
	if _, err := dsaPrimeBits([]byte{0x30, 0x00}); err == nil {
		t.Error("empty sequence accepted")
	}
	if !keyIsWeak(KeyDSA, 1024) || keyIsWeak(KeyDSA, 2048) || !keyIsWeak(KeyECDSA, 192) || keyIsWeak(KeyECDSA, 224) ||
		!keyIsWeak(KeyRSA, 2047) || keyIsWeak(KeyRSA, 2048) || keyIsWeak(KeyEd25519, 256) || keyIsWeak(KeyUnknown, 0) {
		t.Error("keyIsWeak thresholds wrong")
	}
}

func eqPtr(a, b *bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func show(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "true"
	}
	return "false"
}
