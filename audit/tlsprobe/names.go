package tlsprobe

import (
	"fmt"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// Named groups (RFC 8422, RFC 7919, RFC 8446, RFC 8734 and the IANA
// registry), as they appear in supported_groups, key_share and the ECDHE
// ServerKeyExchange.
const (
	groupSect163k1 uint16 = 1 // first of the legacy sect/secp curves 1..22
	groupSecp256k1 uint16 = 22
	groupSecp256r1 uint16 = 23
	groupSecp384r1 uint16 = 24
	groupSecp521r1 uint16 = 25
	groupBP256r1   uint16 = 26
	groupBP384r1   uint16 = 27
	groupBP512r1   uint16 = 28
	groupX25519    uint16 = 29
	groupX448      uint16 = 30
	groupBP256tls  uint16 = 31
	groupBP384tls  uint16 = 32
	groupBP512tls  uint16 = 33
	groupFFDHE2048 uint16 = 256
	groupFFDHE8192 uint16 = 260
)

// groupInfo is a named group's name, family and strength in bits.
type groupInfo struct {
	name string
	kind string // evidence KeyExchange.Type for TLS 1.3: "ECDHE", "DHE", "hybrid"
	bits int
}

const (
	kindECDHE  = "ECDHE"
	kindDHE    = "DHE"
	kindHybrid = "hybrid"
)

// lookupGroup describes a named group; unknown groups get their hex code.
func lookupGroup(g uint16) groupInfo {
	switch g {
	case 1:
		return groupInfo{"sect163k1", kindECDHE, 163}
	case 2:
		return groupInfo{"sect163r1", kindECDHE, 163}
	case 3:
		return groupInfo{"sect163r2", kindECDHE, 163}
	case 4:
		return groupInfo{"sect193r1", kindECDHE, 193}
	case 5:
		return groupInfo{"sect193r2", kindECDHE, 193}
	case 6:
		return groupInfo{"sect233k1", kindECDHE, 233}
	case 7:
		return groupInfo{"sect233r1", kindECDHE, 233}
	case 8:
		return groupInfo{"sect239k1", kindECDHE, 239}
	case 9:
		return groupInfo{"sect283k1", kindECDHE, 283}
	case 10:
		return groupInfo{"sect283r1", kindECDHE, 283}
	case 11:
		return groupInfo{"sect409k1", kindECDHE, 409}
	case 12:
		return groupInfo{"sect409r1", kindECDHE, 409}
	case 13:
		return groupInfo{"sect571k1", kindECDHE, 571}
	case 14:
		return groupInfo{"sect571r1", kindECDHE, 571}
	case 15:
		return groupInfo{"secp160k1", kindECDHE, 160}
	case 16:
		return groupInfo{"secp160r1", kindECDHE, 160}
	case 17:
		return groupInfo{"secp160r2", kindECDHE, 160}
	case 18:
		return groupInfo{"secp192k1", kindECDHE, 192}
	case 19:
		return groupInfo{"secp192r1", kindECDHE, 192}
	case 20:
		return groupInfo{"secp224k1", kindECDHE, 224}
	case 21:
		return groupInfo{"secp224r1", kindECDHE, 224}
	case groupSecp256k1:
		return groupInfo{"secp256k1", kindECDHE, 256}
	case groupSecp256r1:
		return groupInfo{"secp256r1", kindECDHE, 256}
	case groupSecp384r1:
		return groupInfo{"secp384r1", kindECDHE, 384}
	case groupSecp521r1:
		return groupInfo{"secp521r1", kindECDHE, 521}
	case groupBP256r1:
		return groupInfo{"brainpoolP256r1", kindECDHE, 256}
	case groupBP384r1:
		return groupInfo{"brainpoolP384r1", kindECDHE, 384}
	case groupBP512r1:
		return groupInfo{"brainpoolP512r1", kindECDHE, 512}
	case groupX25519:
		// 253 bits, as OpenSSL and testssl.sh report it.
		return groupInfo{"x25519", kindECDHE, 253}
	case groupX448:
		return groupInfo{"x448", kindECDHE, 448}
	case groupBP256tls:
		return groupInfo{"brainpoolP256r1tls13", kindECDHE, 256}
	case groupBP384tls:
		return groupInfo{"brainpoolP384r1tls13", kindECDHE, 384}
	case groupBP512tls:
		return groupInfo{"brainpoolP512r1tls13", kindECDHE, 512}
	case 256:
		return groupInfo{"ffdhe2048", kindDHE, 2048}
	case 257:
		return groupInfo{"ffdhe3072", kindDHE, 3072}
	case 258:
		return groupInfo{"ffdhe4096", kindDHE, 4096}
	case 259:
		return groupInfo{"ffdhe6144", kindDHE, 6144}
	case 260:
		return groupInfo{"ffdhe8192", kindDHE, 8192}
	case 0x11EB:
		return groupInfo{"SecP256r1MLKEM768", kindHybrid, 256}
	case 0x11EC:
		return groupInfo{"X25519MLKEM768", kindHybrid, 253}
	case 0x11ED:
		return groupInfo{"SecP384r1MLKEM1024", kindHybrid, 384}
	case 0x6399:
		return groupInfo{"X25519Kyber768Draft00", kindHybrid, 253}
	}
	return groupInfo{name: fmt.Sprintf("0x%04X", g)}
}

// GroupName returns the name of a named group ("x25519", "secp256r1",
// "ffdhe2048"), or its hex code when unknown.
func GroupName(g uint16) string { return lookupGroup(g).name }

// supportedGroups is the supported_groups list of a hello: every modern
// group for every version, then the legacy sect/secp curves for TLS ≤ 1.2
// (servers that skip ECDHE without a curve they know must see theirs).
func supportedGroups(version uint16) []uint16 {
	g := []uint16{
		groupX25519, groupX448, groupSecp256r1, groupSecp384r1, groupSecp521r1,
	}
	if version >= VersionTLS13 {
		g = append(g, groupBP256tls, groupBP384tls, groupBP512tls)
	} else {
		g = append(g, groupBP256r1, groupBP384r1, groupBP512r1)
	}
	for f := groupFFDHE2048; f <= groupFFDHE8192; f++ {
		g = append(g, f)
	}
	if version < VersionTLS13 {
		for c := groupSect163k1; c <= groupSecp256k1; c++ {
			g = append(g, c)
		}
	}
	return g
}

// signatureSchemes is every signature scheme a server might need to pick its
// certificate, the weak ones included, so that the choice reflects the
// server's configuration and not our hello (RFC 8446 §4.2.3 and the TLS 1.2
// hash/signature pairs of RFC 5246 §7.4.1.4.1).
func signatureSchemes() []uint16 {
	return []uint16{
		0x0403, 0x0503, 0x0603, // ecdsa_secp256r1_sha256 .. secp521r1_sha512
		0x0807, 0x0808, // ed25519, ed448
		0x081A, 0x081B, 0x081C, // ecdsa_brainpoolP256r1tls13_sha256 ..
		0x0804, 0x0805, 0x0806, // rsa_pss_rsae_sha256 ..
		0x0809, 0x080A, 0x080B, // rsa_pss_pss_sha256 ..
		0x0401, 0x0501, 0x0601, // rsa_pkcs1_sha256 ..
		0x0402, 0x0502, 0x0602, // dsa_sha256 ..
		0x0303, 0x0301, 0x0302, // sha224 with ecdsa, rsa, dsa
		0x0203, 0x0201, 0x0202, // sha1 with ecdsa, rsa, dsa
		0x0103, 0x0101, 0x0102, // md5 with ecdsa, rsa, dsa
	}
}

// Alert descriptions that drive decisions.
const (
	alertCloseNotify     uint8 = 0
	alertHandshakeFail   uint8 = 40
	alertDecodeError     uint8 = 50
	alertProtocolVersion uint8 = 70
	alertUnrecognized    uint8 = 112

	alertLevelWarning uint8 = 1
	alertLevelFatal   uint8 = 2
)

// AlertName returns the RFC name of a TLS alert description
// ("handshake_failure"), or "alert_N" when unknown.
func AlertName(d uint8) string { return evidence.AlertName(d) }
