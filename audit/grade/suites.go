package grade

import (
	"slices"
	"strconv"
	"strings"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// tlsVersions are the versions whose suites count for the NIST and
// forward-secrecy checks; SSL suites never do.
func tlsVersions() []string {
	return []string{evidence.TLS10, evidence.TLS11, evidence.TLS12, evidence.TLS13}
}

// Key-exchange strength limits, in bits.
const (
	minDHBitsCritical = 1024 // below: breakable in real time (Logjam)
	minDHBits         = 2048 // below: under 112-bit security
	minECBits         = 224  // below: under 112-bit security
	minCipherBits     = 128  // symmetric keys below this are weak
)

// view answers questions about one probe's versions and suites.
type view struct {
	probe     *evidence.Probe
	byVersion map[string]*evidence.VersionResult
}

func newView(p *evidence.Probe) view {
	v := view{probe: p, byVersion: map[string]*evidence.VersionResult{}}
	if p == nil {
		return v
	}
	for i := range p.Versions {
		vr := &p.Versions[i]
		if _, dup := v.byVersion[vr.Version]; !dup {
			v.byVersion[vr.Version] = vr
		}
	}
	return v
}

// handshake returns the completed full handshake, or nil.
func (v view) handshake() *evidence.Handshake {
	if v.probe == nil || v.probe.Handshake == nil || !v.probe.Handshake.OK {
		return nil
	}
	return v.probe.Handshake
}

// support is whether a version is accepted. A completed full handshake at
// that version proves support whatever the version probe said.
func (v view) support(version string) evidence.Support {
	if hs := v.handshake(); hs != nil && hs.Version == version {
		return evidence.Supported
	}
	vr, ok := v.byVersion[version]
	if !ok || vr.Support == "" {
		return evidence.NotTested
	}
	return vr.Support
}

// known reports whether a version's support is a definite answer.
func (v view) known(version string) bool {
	s := v.support(version)
	return s == evidence.Supported || s == evidence.NotSupported
}

// complete reports whether the accepted suites of the given versions are
// fully known: each is refused, or accepted with a complete enumeration.
func (v view) complete(versions ...string) bool {
	for _, ver := range versions {
		switch v.support(ver) {
		case evidence.NotSupported:
		case evidence.Supported:
			vr, ok := v.byVersion[ver]
			if !ok || vr.Support != evidence.Supported || !vr.Complete {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// accepted is one suite the server accepted, with the version it was seen under.
type accepted struct {
	version string
	suite   evidence.Suite
}

// acceptedSuites lists the suites accepted under the given versions: the
// enumerated ones and the full handshake's.
func (v view) acceptedSuites(versions ...string) []accepted {
	var out []accepted
	for _, ver := range versions {
		vr, ok := v.byVersion[ver]
		if !ok || vr.Support != evidence.Supported {
			continue
		}
		for _, s := range vr.Suites {
			out = append(out, accepted{version: ver, suite: s})
		}
	}
	if hs := v.handshake(); hs != nil && hs.Suite != nil && slices.Contains(versions, hs.Version) {
		s := *hs.Suite
		if s.KeyExchange == nil && hs.Group != "" {
			s.KeyExchange = &evidence.KeyExchange{Type: s.Kx, Group: hs.Group}
		}
		out = append(out, accepted{version: hs.Version, suite: s})
	}
	return out
}

// suiteName is how a suite is named in findings: its IANA name, or for a
// suite without one its wire code in the notation of the TLS
// specifications ("{0xC0,0xFF}", RFC 5246 appendix A.5).
func suiteName(s evidence.Suite) string {
	if s.Name != "" && s.Name != "unknown" {
		return s.Name
	}
	return "{" + s.Code + "}"
}

// uniqueNames lists the distinct suite names, in order of first appearance.
func uniqueNames(as []accepted) []string {
	var names []string
	for _, a := range as {
		if n := suiteName(a.suite); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// Weak-suite categories, in the order findings list them.
const (
	catExport = "export"
	catNull   = "NULL"
	catAnon   = "anonymous"
	catRC2    = "RC2"
	catRC4    = "RC4"
	catDES    = "DES"
	cat3DES   = "3DES"
	catMD5    = "MD5"
	catShort  = "under 128-bit"
)

func categoryOrder() []string {
	return []string{catExport, catNull, catAnon, catRC2, catRC4, catDES, cat3DES, catMD5, catShort}
}

// weakCategories names the weaknesses of a suite; none for a strong one.
func weakCategories(s evidence.Suite) []string {
	f := s.Flags
	var cats []string
	add := func(ok bool, name string) {
		if ok {
			cats = append(cats, name)
		}
	}
	add(f.Export, catExport)
	add(f.Null, catNull)
	add(f.Anon, catAnon)
	add(f.RC2 || strings.EqualFold(s.Enc, "RC2"), catRC2)
	add(f.RC4, catRC4)
	add(f.DES, catDES)
	add(f.TripleDES, cat3DES)
	add(f.MD5, catMD5)
	// Bits 0 without the NULL flag is an unknown suite, not a weak one.
	add(!f.Null && s.Bits > 0 && s.Bits < minCipherBits, catShort)
	return cats
}

// weakSummary groups weak suites under their first category and returns
// the categories seen ("RC4, 3DES") and the grouped list
// ("RC4: A, B; 3DES: C"); empty strings when nothing is weak.
func weakSummary(as []accepted) (categories, suites string) {
	byCat := map[string][]string{}
	seenCat := map[string]bool{}
	for _, a := range as {
		cats := weakCategories(a.suite)
		if len(cats) == 0 {
			continue
		}
		for _, c := range cats {
			seenCat[c] = true
		}
		if n := suiteName(a.suite); !slices.Contains(byCat[cats[0]], n) {
			byCat[cats[0]] = append(byCat[cats[0]], n)
		}
	}
	var catList, groups []string
	for _, c := range categoryOrder() {
		if seenCat[c] {
			catList = append(catList, c)
		}
		if names := byCat[c]; len(names) > 0 {
			groups = append(groups, c+": "+strings.Join(names, ", "))
		}
	}
	return strings.Join(catList, ", "), strings.Join(groups, "; ")
}

// forwardSecret reports whether a suite gives forward secrecy worth the
// name: an ephemeral key exchange that is authenticated and not export.
func forwardSecret(a accepted) bool {
	f := a.suite.Flags
	if f.Anon || f.Null || f.Export {
		return false
	}
	return f.ForwardSecret || f.TLS13Only || a.version == evidence.TLS13
}

// isFiniteFieldDH reports whether a key exchange uses a finite-field group.
func isFiniteFieldDH(kx *evidence.KeyExchange) bool {
	if strings.HasPrefix(strings.ToLower(kx.Group), "ffdhe") {
		return true
	}
	t := strings.ToUpper(kx.Type)
	return strings.Contains(t, "DH") && !strings.Contains(t, "ECDH")
}

// ecBits is the size of an elliptic-curve key exchange, 0 when unknown.
func ecBits(kx *evidence.KeyExchange) int {
	if kx.Bits > 0 {
		return kx.Bits
	}
	return curveBits(kx.Group)
}

// curveBits is the size in bits of a named curve, 0 when unknown. Sizes
// from the curve definitions (SEC 2, RFC 7748, RFC 5639).
func curveBits(group string) int {
	switch strings.ToLower(group) {
	case "secp160k1", "secp160r1", "secp160r2":
		return 160
	case "sect163k1", "sect163r1", "sect163r2":
		return 163
	case "secp192k1", "secp192r1", "prime192v1":
		return 192
	case "sect193r1", "sect193r2":
		return 193
	case "secp224k1", "secp224r1":
		return 224
	case "sect233k1", "sect233r1":
		return 233
	case "sect239k1":
		return 239
	case "x25519":
		return 255
	case "secp256k1", "secp256r1", "prime256v1", "brainpoolp256r1", "brainpoolp256r1tls13":
		return 256
	case "sect283k1", "sect283r1":
		return 283
	case "secp384r1", "brainpoolp384r1", "brainpoolp384r1tls13":
		return 384
	case "sect409k1", "sect409r1":
		return 409
	case "x448":
		return 448
	case "brainpoolp512r1", "brainpoolp512r1tls13":
		return 512
	case "secp521r1":
		return 521
	case "sect571k1", "sect571r1":
		return 571
	}
	return 0
}

// kxWeaknesses lists breakable key exchanges (export, DH groups under 1024
// bits) and weak ones (DH groups of 1024 to 2047 bits, curves under 224
// bits) among the accepted suites, each once, as phrases (kx.export,
// kx.dh, kx.ec) with the suite and the group's size.
func kxWeaknesses(as []accepted) (critical, weak []Phrase) {
	addUnique := func(list *[]Phrase, p *Phrase) {
		if !slices.ContainsFunc(*list, p.equal) {
			*list = append(*list, *p)
		}
	}
	for _, a := range as {
		s := a.suite
		name := suiteName(s)
		if s.Flags.Export || strings.Contains(strings.ToUpper(s.Kx), "EXPORT") {
			addUnique(&critical, say("kx.export", "suite", name))
		}
		kx := s.KeyExchange
		if kx == nil {
			continue
		}
		if isFiniteFieldDH(kx) {
			bits := strconv.Itoa(kx.Bits)
			switch {
			case kx.Bits <= 0:
			case kx.Bits < minDHBitsCritical:
				addUnique(&critical, say("kx.dh", "bits", bits, "suite", name))
			case kx.Bits < minDHBits:
				addUnique(&weak, say("kx.dh", "bits", bits, "suite", name))
			}
			continue
		}
		if b := ecBits(kx); b > 0 && b < minECBits {
			// An unnamed curve has no "curve": the wording says so.
			p := say("kx.ec", "bits", strconv.Itoa(b), "suite", name)
			if kx.Group != "" {
				p.Args["curve"] = kx.Group
			}
			addUnique(&weak, p)
		}
	}
	return critical, weak
}

func itoaU16(n uint16) string { return strconv.Itoa(int(n)) }
