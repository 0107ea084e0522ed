package tlsprobe

import (
	"reflect"
	"slices"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

const (
	wantTLSSuites   = 378 // 380 rows minus the two SCSVs
	wantSSLv2Specs  = 13
	wantSSLv3Cands  = 141
	wantTLS10Cands  = 179 // SSLv3 + TLSv1 rows
	wantTLS12Cands  = 363 // everything but TLS 1.3-only and SCSV
	wantTLS13Cands  = 15
	codeExpRC4MD5   = 0x0003
	codeECDHERSA128 = 0xC02F
	codeAES128GCM13 = 0x1301
)

func TestRegistryCounts(t *testing.T) {
	if got := len(Suites()); got != wantTLSSuites {
		t.Errorf("len(Suites()) = %d, want %d", got, wantTLSSuites)
	}
	if got := len(SSLv2Specs()); got != wantSSLv2Specs {
		t.Errorf("len(SSLv2Specs()) = %d, want %d", got, wantSSLv2Specs)
	}
	for _, c := range []uint16{scsvRenegotiation, scsvFallback} {
		if _, ok := SuiteByCode(c); ok {
			t.Errorf("SuiteByCode(%#04x) found a signalling value", c)
		}
	}
	tests := []struct {
		version string
		want    int
	}{
		{evidence.SSLv3, wantSSLv3Cands},
		{evidence.TLS10, wantTLS10Cands},
		{evidence.TLS11, wantTLS10Cands},
		{evidence.TLS12, wantTLS12Cands},
		{evidence.TLS13, wantTLS13Cands},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			c, ok := Candidates(tt.version)
			if !ok || len(c) != tt.want {
				t.Fatalf("Candidates(%s) = %d suites, %v; want %d", tt.version, len(c), ok, tt.want)
			}
			seen := make(map[uint16]bool)
			for _, code := range c {
				if seen[code] {
					t.Fatalf("duplicate candidate %#04x", code)
				}
				seen[code] = true
				s, _ := SuiteByCode(code)
				if (tt.version == evidence.TLS13) != s.Flags.TLS13Only {
					t.Errorf("%s offered for %s", s.Name, tt.version)
				}
			}
		})
	}
	if _, ok := Candidates(evidence.SSLv2); ok {
		t.Error("Candidates(SSLv2) must report false")
	}
}

func TestRegistryRows(t *testing.T) {
	tests := []struct {
		name string
		code uint16
		want evidence.Suite
	}{
		{"export rc4 md5", codeExpRC4MD5, evidence.Suite{
			Code: "0x00,0x03", Name: "TLS_RSA_EXPORT_WITH_RC4_40_MD5", OpenSSL: "EXP-RC4-MD5",
			Kx: "RSA_EXPORT", Au: "RSA", Enc: "RC4", Bits: 40, Mac: "MD5",
			Flags: evidence.SuiteFlags{Export: true, RC4: true, MD5: true},
		}},
		{"ecdhe aead", codeECDHERSA128, evidence.Suite{
			Code: "0xC0,0x2F", Name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", OpenSSL: "ECDHE-RSA-AES128-GCM-SHA256",
			Kx: "ECDHE", Au: "RSA", Enc: "AESGCM", Bits: 128, Mac: "AEAD",
			Flags: evidence.SuiteFlags{AEAD: true, ForwardSecret: true},
		}},
		{"tls13", codeAES128GCM13, evidence.Suite{
			Code: "0x13,0x01", Name: "TLS_AES_128_GCM_SHA256", OpenSSL: "TLS_AES_128_GCM_SHA256",
			Kx: "TLS13", Au: "any", Enc: "AESGCM", Bits: 128, Mac: "AEAD",
			Flags: evidence.SuiteFlags{AEAD: true, ForwardSecret: true, TLS13Only: true},
		}},
		{"cbc sha1", 0x002F, evidence.Suite{
			Code: "0x00,0x2F", Name: "TLS_RSA_WITH_AES_128_CBC_SHA", OpenSSL: "AES128-SHA",
			Kx: "RSA", Au: "RSA", Enc: "AES", Bits: 128, Mac: "SHA1",
			Flags: evidence.SuiteFlags{SHA1MAC: true, CBC: true},
		}},
		{"export rc2", 0x0006, evidence.Suite{
			Code: "0x00,0x06", Name: "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", OpenSSL: "EXP-RC2-CBC-MD5",
			Kx: "RSA_EXPORT", Au: "RSA", Enc: "RC2", Bits: 40, Mac: "MD5",
			Flags: evidence.SuiteFlags{Export: true, RC2: true, MD5: true, CBC: true},
		}},
		{"no openssl name", 0x1306, evidence.Suite{
			Code: "0x13,0x06", Name: "TLS_AEGIS_256_SHA384",
			Kx: "TLS13", Au: "any", Enc: "AEGIS256", Bits: 256, Mac: "AEAD",
			Flags: evidence.SuiteFlags{AEAD: true, ForwardSecret: true, TLS13Only: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := SuiteByCode(tt.code)
			if !ok {
				t.Fatalf("SuiteByCode(%#04x) not found", tt.code)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SuiteByCode(%#04x) =\n%+v\nwant\n%+v", tt.code, got, tt.want)
			}
		})
	}
}

func TestSSLv2Rows(t *testing.T) {
	tests := []struct {
		name string
		code [3]byte
		want evidence.Suite
	}{
		{"3des md5", [3]byte{0x07, 0x00, 0xC0}, evidence.Suite{
			Code: "0x07,0x00,0xC0", Name: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", OpenSSL: "DES-CBC3-MD5",
			Kx: "RSA", Au: "RSA", Enc: "3DES", Bits: 168, Mac: "MD5",
			Flags: evidence.SuiteFlags{TripleDES: true, MD5: true, CBC: true},
		}},
		{"export rc4", [3]byte{0x02, 0x00, 0x80}, evidence.Suite{
			Code: "0x02,0x00,0x80", Name: "SSL_CK_RC4_128_EXPORT40_WITH_MD5", OpenSSL: "EXP-RC4-MD5",
			Kx: "RSA_EXPORT", Au: "RSA", Enc: "RC4", Bits: 40, Mac: "MD5",
			Flags: evidence.SuiteFlags{Export: true, RC4: true, MD5: true},
		}},
		{"des cfb is not cbc", [3]byte{0xFF, 0x80, 0x00}, evidence.Suite{
			Code: "0xFF,0x80,0x00", Name: "SSL_CK_DES_64_CFB64_WITH_MD5_1", OpenSSL: "DES-CFB-M1",
			Kx: "RSA", Au: "RSA", Enc: "DES", Bits: 64, Mac: "M1",
			Flags: evidence.SuiteFlags{DES: true},
		}},
		{"null", [3]byte{0xFF, 0x80, 0x10}, evidence.Suite{
			Code: "0xFF,0x80,0x10", Name: "SSL_CK_NULL", OpenSSL: "NULL",
			Kx: "NULL", Au: "None", Enc: "None", Bits: 0, Mac: "Null",
			Flags: evidence.SuiteFlags{Null: true, Anon: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := SSLv2ByCode(tt.code)
			if !ok {
				t.Fatalf("SSLv2ByCode(%v) not found", tt.code)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SSLv2ByCode(%v) =\n%+v\nwant\n%+v", tt.code, got, tt.want)
			}
		})
	}
}

func TestPreferenceOrder(t *testing.T) {
	tests := []struct {
		name string
		in   []uint16
		want []uint16
	}{
		{"tls13", []uint16{0x1303, 0x1305, 0x1301, 0x1302, 0x1304}, []uint16{0x1301, 0x1302, 0x1303, 0x1304, 0x1305}},
		{"tls12", []uint16{0x002F, 0x0005, 0xC030, 0x009C, 0xC02F, 0xC02B, 0x009E},
			[]uint16{0xC02B, 0xC02F, 0xC030, 0x009E, 0x009C, 0x002F, 0x0005}},
		{"unknown last", []uint16{0xFFFE, 0x0003, 0xC02F}, []uint16{0xC02F, 0x0003, 0xFFFE}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Clone(tt.in)
			PreferenceOrder(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("PreferenceOrder(%04x) = %04x, want %04x", tt.in, got, tt.want)
			}
		})
	}
}

func TestCandidateOrder(t *testing.T) {
	tests := []struct {
		version   string
		wantFirst uint16
		wantTail  []uint16
	}{
		// Weakest first, the conventional favourites last.
		{evidence.TLS12, 0x0017, []uint16{0xC030, 0xC02C, 0xC02F, 0xC02B}},
		{evidence.TLS13, 0xC0B5, []uint16{0x1305, 0x1304, 0x1303, 0x1302, 0x1301}},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			c, _ := Candidates(tt.version)
			if c[0] != tt.wantFirst {
				t.Errorf("first candidate %#04x, want %#04x", c[0], tt.wantFirst)
			}
			tail := c[len(c)-len(tt.wantTail):]
			if !slices.Equal(tail, tt.wantTail) {
				t.Errorf("last candidates %04x, want %04x", tail, tt.wantTail)
			}
		})
	}
}

func TestCodeFormat(t *testing.T) {
	if got := SuiteCode(0xC02F); got != "0xC0,0x2F" {
		t.Errorf("SuiteCode = %q", got)
	}
	if got := SSLv2Code([3]byte{0x07, 0x00, 0xC0}); got != "0x07,0x00,0xC0" {
		t.Errorf("SSLv2Code = %q", got)
	}
	for _, s := range Suites() {
		b, err := parseHexCode(s.Code, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := SuiteCode(uint16(b[0])<<8 | uint16(b[1])); got != s.Code {
			t.Errorf("table code %q formats back as %q", s.Code, got)
		}
	}
}

func TestStartOrderCoversEveryVersion(t *testing.T) {
	seen := map[int]bool{}
	for _, i := range startOrder {
		if i < 0 || i >= len(evidence.Versions) || seen[i] {
			t.Fatalf("startOrder %v is not a permutation of evidence.Versions", startOrder)
		}
		seen[i] = true
	}
	if len(seen) != len(evidence.Versions) {
		t.Fatalf("startOrder %v misses versions of %v", startOrder, evidence.Versions)
	}
}
