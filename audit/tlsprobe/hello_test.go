package tlsprobe_test

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/tlsprobe"
	"github.com/mxaudit/mxaudit/audit/tlsprobe/tlstest"
)

// Wire values the tests check against, written out independently of the
// package under test.
const (
	extServerName        = 0
	extSupportedGroups   = 10
	extECPointFormats    = 11
	extSignatureAlgs     = 13
	extPadding           = 21
	extSupportedVersions = 43
	extPSKModes          = 45
	extKeyShare          = 51
	extRenegotiationInfo = 0xFF01

	groupX25519    = 29
	groupSecp256r1 = 23
	groupFFDHE2048 = 256
	groupSect163k1 = 1

	scsvRenegotiation = 0x00FF
	scsvFallback      = 0x5600

	recordHeaderLen = 5
	padLow          = 256
	padTarget       = 512
)

func mustParseHello(t *testing.T, b []byte) *tlstest.ClientHello {
	t.Helper()
	h, err := tlstest.ParseClientHello(b)
	if err != nil {
		t.Fatalf("ParseClientHello: %v", err)
	}
	if got := binary.BigEndian.Uint16(b[3:5]); int(got) != len(b)-recordHeaderLen {
		t.Fatalf("record length %d, record carries %d bytes", got, len(b)-recordHeaderLen)
	}
	if h.HandshakeLen != len(b)-recordHeaderLen {
		t.Fatalf("handshake length %d, record payload %d", h.HandshakeLen, len(b)-recordHeaderLen)
	}
	return h
}

func extTypes(h *tlstest.ClientHello) []uint16 {
	var out []uint16
	for _, e := range h.Extensions {
		out = append(out, e.Type)
	}
	return out
}

func TestBuildClientHello(t *testing.T) {
	suites12 := []uint16{0xC02F, 0x009C, 0x002F}
	tests := []struct {
		name         string
		opts         tlsprobe.HelloOptions
		wantRecord   uint16
		wantVersion  uint16
		wantSuites   []uint16
		wantExts     []uint16 // padding excluded: checked separately
		wantSIDLen   int
		wantSNI      string
		wantVersions []uint16
	}{
		{
			name:        "sslv3 has no extensions and the scsv",
			opts:        tlsprobe.HelloOptions{Version: tlsprobe.VersionSSL30, Suites: []uint16{0x0005, 0x000A}, SNI: "mx.example.com"},
			wantRecord:  0x0300,
			wantVersion: 0x0300,
			wantSuites:  []uint16{0x0005, 0x000A, scsvRenegotiation},
		},
		{
			name:        "tls10 without signature_algorithms",
			opts:        tlsprobe.HelloOptions{Version: tlsprobe.VersionTLS10, Suites: []uint16{0x0005}, SNI: "MX.Example.com."},
			wantRecord:  0x0301,
			wantVersion: 0x0301,
			wantSuites:  []uint16{0x0005},
			wantExts:    []uint16{extServerName, extSupportedGroups, extECPointFormats, extRenegotiationInfo},
			wantSNI:     "mx.example.com",
		},
		{
			name:        "tls12",
			opts:        tlsprobe.HelloOptions{Version: tlsprobe.VersionTLS12, Suites: suites12, SNI: "mx.example.com"},
			wantRecord:  0x0301,
			wantVersion: 0x0303,
			wantSuites:  suites12,
			wantExts:    []uint16{extServerName, extSupportedGroups, extECPointFormats, extSignatureAlgs, extRenegotiationInfo},
			wantSNI:     "mx.example.com",
		},
		{
			name:        "tls12 drops signalling values and ip sni",
			opts:        tlsprobe.HelloOptions{Version: tlsprobe.VersionTLS12, Suites: []uint16{scsvFallback, 0xC02F, scsvRenegotiation}, SNI: "192.0.2.1"},
			wantRecord:  0x0301,
			wantVersion: 0x0303,
			wantSuites:  []uint16{0xC02F},
			wantExts:    []uint16{extSupportedGroups, extECPointFormats, extSignatureAlgs, extRenegotiationInfo},
		},
		{
			name:         "tls13",
			opts:         tlsprobe.HelloOptions{Version: tlsprobe.VersionTLS13, Suites: []uint16{0x1303, 0x1301}, SNI: "mx.example.com"},
			wantRecord:   0x0301,
			wantVersion:  0x0303,
			wantSuites:   []uint16{0x1303, 0x1301},
			wantExts:     []uint16{extServerName, extSupportedGroups, extECPointFormats, extSignatureAlgs, extSupportedVersions, extKeyShare, extPSKModes, extRenegotiationInfo},
			wantSIDLen:   32,
			wantSNI:      "mx.example.com",
			wantVersions: []uint16{0x0304},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tlsprobe.BuildClientHello(tt.opts)
			h := mustParseHello(t, b)
			if h.RecordVersion != tt.wantRecord || h.Version != tt.wantVersion {
				t.Errorf("record version %#04x, legacy_version %#04x; want %#04x, %#04x", h.RecordVersion, h.Version, tt.wantRecord, tt.wantVersion)
			}
			if !slices.Equal(h.Suites, tt.wantSuites) {
				t.Errorf("suites %04x, want %04x", h.Suites, tt.wantSuites)
			}
			if len(h.SessionID) != tt.wantSIDLen {
				t.Errorf("session id of %d bytes, want %d", len(h.SessionID), tt.wantSIDLen)
			}
			if !slices.Equal(h.Compression, []byte{0}) {
				t.Errorf("compression %v, want [0]", h.Compression)
			}
			if len(h.Random) != 32 {
				t.Errorf("random of %d bytes", len(h.Random))
			}
			if tt.opts.Version == tlsprobe.VersionSSL30 {
				if h.HasExtensions {
					t.Errorf("SSLv3 hello carries an extensions block: %v", extTypes(h))
				}
				return
			}
			got := slices.DeleteFunc(extTypes(h), func(e uint16) bool { return e == extPadding })
			if !slices.Equal(got, tt.wantExts) {
				t.Errorf("extensions %v, want %v", got, tt.wantExts)
			}
			if h.ServerName() != tt.wantSNI {
				t.Errorf("server_name %q, want %q", h.ServerName(), tt.wantSNI)
			}
			if !slices.Equal(h.SupportedVersions(), tt.wantVersions) {
				t.Errorf("supported_versions %04x, want %04x", h.SupportedVersions(), tt.wantVersions)
			}
			if !slices.Equal(h.PointFormats(), []byte{0}) {
				t.Errorf("ec_point_formats %v, want [0]", h.PointFormats())
			}
			if reneg, _ := h.Extension(extRenegotiationInfo); !slices.Equal(reneg, []byte{0}) {
				t.Errorf("renegotiation_info %v, want [0]", reneg)
			}
			groups := h.SupportedGroups()
			for _, g := range []uint16{groupX25519, groupSecp256r1, groupFFDHE2048} {
				if !slices.Contains(groups, g) {
					t.Errorf("supported_groups %v lacks %d", groups, g)
				}
			}
			legacyCurves := slices.Contains(groups, groupSect163k1)
			if legacyCurves != (tt.opts.Version < tlsprobe.VersionTLS13) {
				t.Errorf("legacy curves offered = %v for version %#04x", legacyCurves, tt.opts.Version)
			}
			if tt.opts.Version >= tlsprobe.VersionTLS12 {
				schemes := h.SignatureSchemes()
				for _, s := range []uint16{0x0804, 0x0403, 0x0201, 0x0101} { // PSS, ECDSA, SHA-1, MD5
					if !slices.Contains(schemes, s) {
						t.Errorf("signature_algorithms %04x lacks %#04x", schemes, s)
					}
				}
			}
			if tt.opts.Version == tlsprobe.VersionTLS13 {
				ks := h.KeyShares()
				if len(ks) != 1 || ks[0].Group != groupX25519 || len(ks[0].Key) != 32 {
					t.Errorf("key_share %+v, want one x25519 share of 32 bytes", ks)
				}
				if !slices.Equal(h.PSKModes(), []byte{1}) {
					t.Errorf("psk_key_exchange_modes %v, want [1]", h.PSKModes())
				}
			}
		})
	}
}

func TestBuildClientHelloFresh(t *testing.T) {
	opts := tlsprobe.HelloOptions{Version: tlsprobe.VersionTLS13, Suites: []uint16{0x1301}}
	a := mustParseHello(t, tlsprobe.BuildClientHello(opts))
	b := mustParseHello(t, tlsprobe.BuildClientHello(opts))
	if slices.Equal(a.Random, b.Random) || slices.Equal(a.SessionID, b.SessionID) {
		t.Error("random or session id repeated between hellos")
	}
	if slices.Equal(a.KeyShares()[0].Key, b.KeyShares()[0].Key) {
		t.Error("key share repeated between hellos")
	}
}

// TestBuildClientHelloPadding walks the suite count across the F5 window:
// no handshake message may end up 256..511 bytes long, and one that would
// have is padded to exactly 512 when there is room for the extension.
func TestBuildClientHelloPadding(t *testing.T) {
	cands, _ := tlsprobe.Candidates(evidence.TLS12)
	var padded, unpadded int
	for n := 1; n <= len(cands); n++ {
		b := tlsprobe.BuildClientHello(tlsprobe.HelloOptions{Version: tlsprobe.VersionTLS12, Suites: cands[:n], SNI: "mx.example.com"})
		h := mustParseHello(t, b)
		pad, hasPad := h.Extension(extPadding)
		if h.HandshakeLen >= padLow && h.HandshakeLen < padTarget {
			t.Fatalf("%d suites: handshake of %d bytes is in the F5 window", n, h.HandshakeLen)
		}
		if !hasPad {
			unpadded++
			continue
		}
		padded++
		if h.Extensions[len(h.Extensions)-1].Type != extPadding {
			t.Errorf("%d suites: padding is not the last extension", n)
		}
		if len(pad) == 0 || slices.ContainsFunc(pad, func(b byte) bool { return b != 0 }) {
			t.Errorf("%d suites: padding %v is not non-empty zeros", n, pad)
		}
		unpaddedLen := h.HandshakeLen - 4 - len(pad)
		switch {
		case unpaddedLen < padLow || unpaddedLen >= padTarget:
			t.Errorf("%d suites: padded a hello of %d bytes", n, unpaddedLen)
		case unpaddedLen <= padTarget-5 && h.HandshakeLen != padTarget:
			t.Errorf("%d suites: padded to %d, want %d", n, h.HandshakeLen, padTarget)
		}
	}
	if padded == 0 || unpadded == 0 {
		t.Errorf("padded %d and unpadded %d hellos: the walk missed a side of the window", padded, unpadded)
	}
}

func TestBuildSSLv2ClientHello(t *testing.T) {
	b := tlsprobe.BuildSSLv2ClientHello()
	h, err := tlstest.ParseSSLv2ClientHello(b)
	if err != nil {
		t.Fatalf("ParseSSLv2ClientHello: %v", err)
	}
	if h.Version != 0x0002 || len(h.SessionID) != 0 || len(h.Challenge) != 16 {
		t.Errorf("version %#04x, session id %d bytes, challenge %d bytes", h.Version, len(h.SessionID), len(h.Challenge))
	}
	var got []string
	for _, s := range h.Specs {
		got = append(got, tlsprobe.SSLv2Code(s))
	}
	var want []string
	for _, s := range tlsprobe.SSLv2Specs() {
		want = append(want, s.Code)
	}
	if len(got) != 13 || !slices.Equal(got, want) {
		t.Errorf("specs %v, want the 13 of the table %v", got, want)
	}
}
