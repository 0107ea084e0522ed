package tlsprobe

import (
	"bufio"
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

// The tables (data/) are the project's cipher-suite and SSLv2 cipher-spec
// references: testssl.sh etc/cipher-mapping.txt cross-checked with the IANA
// TLS Cipher Suites registry; the header lines of each file name the exact
// sources.
//
//go:embed data/cipher-suites.tsv data/sslv2-ciphers.tsv
var tables embed.FS

const (
	suiteTable = "data/cipher-suites.tsv"
	sslv2Table = "data/sslv2-ciphers.tsv"

	// Values of the min_protocol column.
	minSSLv3 = "SSLv3"
	minTLS10 = "TLSv1"
	minTLS12 = "TLSv1.2"
	minTLS13 = "TLSv1.3"
	minSCSV  = "SCSV"

	// flagSet is how the tables write a set flag.
	flagSet = "1"
	// noName is how the tables write a missing OpenSSL name.
	noName = "-"
)

// Wire protocol versions, as they appear in ClientHello and ServerHello.
const (
	VersionSSL20 uint16 = 0x0002 // the version field of SSLv2 messages
	VersionSSL30 uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// WireVersion returns the wire version of a TLS or SSLv3 version name
// (evidence.TLS12 → 0x0303). SSLv2 has no such number and reports false.
func WireVersion(name string) (uint16, bool) {
	switch name {
	case evidence.SSLv3:
		return VersionSSL30, true
	case evidence.TLS10:
		return VersionTLS10, true
	case evidence.TLS11:
		return VersionTLS11, true
	case evidence.TLS12:
		return VersionTLS12, true
	case evidence.TLS13:
		return VersionTLS13, true
	}
	return 0, false
}

// VersionName returns the evidence name of a wire version (0x0303 →
// "TLSv1.2"), or its hex form for an unknown value.
func VersionName(v uint16) string {
	switch v {
	case VersionSSL30:
		return evidence.SSLv3
	case VersionTLS10:
		return evidence.TLS10
	case VersionTLS11:
		return evidence.TLS11
	case VersionTLS12:
		return evidence.TLS12
	case VersionTLS13:
		return evidence.TLS13
	case sslv2Version:
		return evidence.SSLv2
	}
	return fmt.Sprintf("0x%04X", v)
}

// registry is the parsed, immutable suite tables.
type registry struct {
	suites    []evidence.Suite // TLS/SSLv3 suites without the SCSVs, table order
	codes     []uint16         // codes of suites, same order
	byCode    map[uint16]int   // index into suites
	minProto  map[uint16]string
	sslv2     []evidence.Suite
	sslv2Code map[[3]byte]int
	// candidates holds the offer order per version name (weakest first).
	candidates map[string][]uint16
}

// loadRegistry parses the embedded tables once; the result is never modified.
var loadRegistry = sync.OnceValues(parseRegistry)

// Suites returns every TLS and SSLv3 cipher suite of the reference table
// except the two signalling values (TLS_EMPTY_RENEGOTIATION_INFO_SCSV and
// TLS_FALLBACK_SCSV), in table order. The slice is a fresh copy.
func Suites() []evidence.Suite {
	r, err := loadRegistry()
	if err != nil {
		return nil
	}
	return slices.Clone(r.suites)
}

// SuiteByCode returns the suite with the given two-byte wire code.
func SuiteByCode(code uint16) (evidence.Suite, bool) {
	r, err := loadRegistry()
	if err != nil {
		return evidence.Suite{}, false
	}
	i, ok := r.byCode[code]
	if !ok {
		return evidence.Suite{}, false
	}
	return r.suites[i], true
}

// SSLv2Specs returns the 13 SSLv2 cipher specs of the reference table, in
// table order. The slice is a fresh copy.
func SSLv2Specs() []evidence.Suite {
	r, err := loadRegistry()
	if err != nil {
		return nil
	}
	return slices.Clone(r.sslv2)
}

// SSLv2ByCode returns the SSLv2 cipher spec with the given three-byte code.
func SSLv2ByCode(code [3]byte) (evidence.Suite, bool) {
	r, err := loadRegistry()
	if err != nil {
		return evidence.Suite{}, false
	}
	i, ok := r.sslv2Code[code]
	if !ok {
		return evidence.Suite{}, false
	}
	return r.sslv2[i], true
}

// Candidates returns the suite codes offered when enumerating a version, in
// offer order, which is the reverse of PreferenceOrder: weakest first, so
// that a server enforcing its own (strong-first) order usually reveals it
// without an extra connection. SSLv3 offers the suites defined for SSLv3,
// TLS 1.0 and 1.1 add the TLS 1.0 ones, TLS 1.2 offers everything that is
// not TLS 1.3-only, TLS 1.3 the TLS 1.3 suites. SSLv2 and unknown names
// report false.
func Candidates(version string) ([]uint16, bool) {
	r, err := loadRegistry()
	if err != nil {
		return nil, false
	}
	c, ok := r.candidates[version]
	return slices.Clone(c), ok
}

// SuiteCode formats a two-byte suite code as the tables do ("0xC0,0x2F").
func SuiteCode(code uint16) string {
	return fmt.Sprintf("0x%02X,0x%02X", code>>8, code&0xFF)
}

// SSLv2Code formats a three-byte SSLv2 spec as the tables do ("0x07,0x00,0xC0").
func SSLv2Code(code [3]byte) string {
	return fmt.Sprintf("0x%02X,0x%02X,0x%02X", code[0], code[1], code[2])
}

// lookupSuite returns the registry entry for a code, or a placeholder that
// still carries the code when the table does not know it.
func lookupSuite(code uint16) evidence.Suite {
	if s, ok := SuiteByCode(code); ok {
		return s
	}
	return evidence.Suite{Code: SuiteCode(code), Name: "unknown"}
}

// lookupSSLv2 is lookupSuite for SSLv2 specs.
func lookupSSLv2(code [3]byte) evidence.Suite {
	if s, ok := SSLv2ByCode(code); ok {
		return s
	}
	return evidence.Suite{Code: SSLv2Code(code), Name: "unknown"}
}

// table is one TSV file: its header and data rows, comments dropped.
type table struct {
	col  map[string]int
	rows [][]string
}

func readTable(name string) (*table, error) {
	b, err := tables.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	t := &table{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if t.col == nil {
			t.col = make(map[string]int, len(fields))
			for i, f := range fields {
				t.col[f] = i
			}
			continue
		}
		if len(fields) != len(t.col) {
			return nil, fmt.Errorf("%s: row %q has %d fields, header has %d", name, fields[0], len(fields), len(t.col))
		}
		t.rows = append(t.rows, fields)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scan %s: %w", name, err)
	}
	return t, nil
}

// get returns a named column of a row; readTable guarantees the row length.
func (t *table) get(row []string, col string) (string, error) {
	i, ok := t.col[col]
	if !ok {
		return "", fmt.Errorf("missing column %q", col)
	}
	return row[i], nil
}

// rowReader reads columns of one row and remembers the first error, so a
// row is parsed in straight-line code.
type rowReader struct {
	t   *table
	row []string
	err error
}

func (r *rowReader) str(col string) string {
	v, err := r.t.get(r.row, col)
	if err != nil && r.err == nil {
		r.err = err
	}
	return v
}

func (r *rowReader) flag(col string) bool { return r.str(col) == flagSet }

func (r *rowReader) int(col string) int {
	s := r.str(col)
	n, err := strconv.Atoi(s)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("column %s: %w", col, err)
	}
	return n
}

// parseHexCode parses "0xC0,0x2F" or "0x07,0x00,0xC0" into n bytes.
func parseHexCode(s string, n int) ([]byte, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("code %q: want %d bytes", s, n)
	}
	out := make([]byte, n)
	for i, p := range parts {
		if !strings.HasPrefix(p, "0x") || len(p) != len("0x00") {
			return nil, fmt.Errorf("code %q: bad byte %q", s, p)
		}
		v, err := strconv.ParseUint(p[2:], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("code %q: %w", s, err)
		}
		out[i] = byte(v)
	}
	return out, nil
}

// isCBC reports whether a suite's cipher runs in CBC mode. The tables name
// the mode only for the AEAD variants (AESGCM, ARIAGCM...): the plain block
// ciphers are CBC in TLS and SSLv3.
func isCBC(enc, name string) bool {
	if strings.Contains(enc, "CBC") {
		return true
	}
	switch enc {
	case "AES", "Camellia", "ARIA", "SEED", "3DES", "DES", "IDEA", "RC2":
		// SSLv2's DES-CFB-M1 uses DES in CFB mode.
		return !strings.Contains(name, "CFB")
	}
	return false
}

func parseRegistry() (*registry, error) {
	r := &registry{
		byCode:    make(map[uint16]int),
		minProto:  make(map[uint16]string),
		sslv2Code: make(map[[3]byte]int),
	}
	t, err := readTable(suiteTable)
	if err != nil {
		return nil, err
	}
	for _, row := range t.rows {
		rr := &rowReader{t: t, row: row}
		hex := rr.str("hex")
		code, err := parseHexCode(hex, 2)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", suiteTable, err)
		}
		minProto := rr.str("min_protocol")
		if rr.flag("scsv") || minProto == minSCSV {
			continue
		}
		s := evidence.Suite{
			Code:    hex,
			Name:    rr.str("iana_name"),
			OpenSSL: rr.str("openssl_name"),
			Kx:      rr.str("kx_norm"),
			Au:      rr.str("au"),
			Enc:     rr.str("enc"),
			Bits:    rr.int("bits"),
			Mac:     rr.str("mac"),
			Flags: evidence.SuiteFlags{
				Export:        rr.flag("export"),
				Null:          rr.flag("null"),
				Anon:          rr.flag("anon"),
				RC4:           rr.flag("rc4"),
				DES:           rr.flag("des"),
				TripleDES:     rr.flag("3des"),
				MD5:           rr.flag("md5"),
				SHA1MAC:       rr.flag("sha1_mac"),
				AEAD:          rr.flag("aead"),
				ForwardSecret: rr.flag("forward_secret"),
				TLS13Only:     rr.flag("tls13_only"),
			},
		}
		if rr.err != nil {
			return nil, fmt.Errorf("%s row %s: %w", suiteTable, hex, rr.err)
		}
		if s.OpenSSL == noName {
			s.OpenSSL = ""
		}
		s.Flags.RC2 = s.Enc == "RC2"
		s.Flags.CBC = !s.Flags.AEAD && isCBC(s.Enc, s.Name)
		c := uint16(code[0])<<8 | uint16(code[1])
		if _, dup := r.byCode[c]; dup {
			return nil, fmt.Errorf("%s: duplicate code %s", suiteTable, hex)
		}
		r.byCode[c] = len(r.suites)
		r.suites = append(r.suites, s)
		r.codes = append(r.codes, c)
		r.minProto[c] = minProto
	}

	t2, err := readTable(sslv2Table)
	if err != nil {
		return nil, err
	}
	for _, row := range t2.rows {
		rr := &rowReader{t: t2, row: row}
		hex := rr.str("hex")
		code, err := parseHexCode(hex, 3)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sslv2Table, err)
		}
		s := evidence.Suite{
			Code:    hex,
			Name:    rr.str("sslv2_name"),
			OpenSSL: rr.str("openssl_name"),
			Kx:      sslv2Kx(rr.str("kx")),
			Au:      rr.str("au"),
			Enc:     rr.str("enc"),
			Bits:    rr.int("bits"),
			Mac:     rr.str("mac"),
			Flags: evidence.SuiteFlags{
				Export:    rr.flag("export"),
				Null:      rr.flag("null"),
				RC4:       rr.flag("rc4"),
				DES:       rr.flag("des"),
				TripleDES: rr.flag("3des"),
				MD5:       rr.flag("md5"),
			},
		}
		if rr.err != nil {
			return nil, fmt.Errorf("%s row %s: %w", sslv2Table, hex, rr.err)
		}
		if s.OpenSSL == noName {
			s.OpenSSL = ""
		}
		// Same derivations as the TLS table's flag columns.
		s.Flags.Anon = s.Au == "None"
		s.Flags.SHA1MAC = s.Mac == "SHA1"
		s.Flags.RC2 = s.Enc == "RC2"
		s.Flags.CBC = isCBC(s.Enc, s.Name)
		k := [3]byte{code[0], code[1], code[2]}
		if _, dup := r.sslv2Code[k]; dup {
			return nil, fmt.Errorf("%s: duplicate code %s", sslv2Table, hex)
		}
		r.sslv2Code[k] = len(r.sslv2)
		r.sslv2 = append(r.sslv2, s)
	}
	r.candidates = r.buildCandidates()
	return r, nil
}

// sslv2Kx normalises the SSLv2 table's kx column like the TLS table's kx_norm.
func sslv2Kx(kx string) string {
	switch kx {
	case "RSA(512)":
		return "RSA_EXPORT"
	case "None":
		return "NULL"
	}
	return kx
}

// buildCandidates groups the codes by the versions they may be offered in
// and sorts each group weakest first.
func (r *registry) buildCandidates() map[string][]uint16 {
	var ssl3, tls10, tls12, tls13 []uint16
	for _, c := range r.codes {
		switch r.minProto[c] {
		case minSSLv3:
			ssl3 = append(ssl3, c)
			tls10 = append(tls10, c)
			tls12 = append(tls12, c)
		case minTLS10:
			tls10 = append(tls10, c)
			tls12 = append(tls12, c)
		case minTLS12:
			tls12 = append(tls12, c)
		case minTLS13:
			tls13 = append(tls13, c)
		}
	}
	out := map[string][]uint16{
		evidence.SSLv3: ssl3,
		evidence.TLS10: tls10,
		evidence.TLS11: slices.Clone(tls10),
		evidence.TLS12: tls12,
		evidence.TLS13: tls13,
	}
	for _, list := range out {
		slices.SortStableFunc(list, func(a, b uint16) int {
			// Weakest first: the reverse of the preference order.
			return r.comparePreference(b, a)
		})
	}
	return out
}

// comparePreference orders two codes by conventional server preference:
// negative when a is preferred to b.
func (r *registry) comparePreference(a, b uint16) int {
	sa, sb := r.suites[r.byCode[a]], r.suites[r.byCode[b]]
	return cmp.Or(cmp.Compare(weakness(sa), weakness(sb)), cmp.Compare(a, b))
}

// PreferenceOrder sorts suite codes, in place, in the order a conventionally
// configured server prefers them (after Mozilla's server-side TLS
// guidelines): forward secrecy before static key exchange, ECDHE before DHE,
// AEAD before CBC, AES-128-GCM before AES-256-GCM before ChaCha20, ECDSA
// before RSA, and every export, NULL, anonymous, RC4, DES, RC2, 3DES and MD5
// suite last. Codes the table does not know go to the very end. Ties keep
// code order, so the result is stable.
func PreferenceOrder(codes []uint16) {
	r, err := loadRegistry()
	if err != nil {
		return
	}
	slices.SortStableFunc(codes, func(a, b uint16) int {
		_, okA := r.byCode[a]
		_, okB := r.byCode[b]
		switch {
		case okA && okB:
			return r.comparePreference(a, b)
		case okA:
			return -1
		case okB:
			return 1
		}
		return cmp.Compare(a, b)
	})
}

// Weakness penalties: larger means less preferred. Each class outweighs the
// sum of every class below it.
const (
	penaltyExport   = 1 << 20
	penaltyNull     = 1 << 19
	penaltyAnon     = 1 << 18
	penaltyBroken   = 1 << 17 // RC4, single DES, RC2
	penaltyOld      = 1 << 16 // 3DES, IDEA
	penaltyMD5      = 1 << 15
	penaltyNoFS     = 1 << 14
	penaltyExotic   = 1 << 13 // PSK, SRP, KRB5, GOST, static (EC)DH...
	penaltyNoAEAD   = 1 << 12
	penaltySHA1     = 1 << 11
	penaltyDHE      = 1 << 10
	penaltyAuRSA    = 1 << 0
	penaltyEncShift = 4
)

// encRank orders ciphers among otherwise equal suites.
func encRank(enc string, bits int) int {
	switch enc {
	case "AESGCM", "AES":
		// AES-128 before AES-256, as in Mozilla's lists.
		if bits > 128 {
			return 1
		}
		return 0
	case "ChaCha20":
		return 2
	case "AESCCM":
		return 3
	case "AESCCM8":
		return 4
	case "ARIAGCM", "CamelliaGCM", "Camellia", "ARIA":
		return 5
	case "SEED":
		return 6
	}
	return 7
}

// weakness scores a suite for PreferenceOrder.
func weakness(s evidence.Suite) int {
	w := 0
	f := s.Flags
	add := func(cond bool, p int) {
		if cond {
			w += p
		}
	}
	add(f.Export, penaltyExport)
	add(f.Null, penaltyNull)
	add(f.Anon, penaltyAnon)
	add(f.RC4 || f.DES || f.RC2, penaltyBroken)
	add(s.Enc == "3DES" || s.Enc == "IDEA", penaltyOld)
	add(f.MD5, penaltyMD5)
	add(!f.ForwardSecret, penaltyNoFS)
	switch s.Kx {
	case "ECDHE", "DHE", "RSA", "TLS13":
	default:
		w += penaltyExotic
	}
	add(!f.AEAD, penaltyNoAEAD)
	add(f.SHA1MAC, penaltySHA1)
	add(s.Kx == "DHE", penaltyDHE)
	w += encRank(s.Enc, s.Bits) << penaltyEncShift
	add(s.Au == "RSA", penaltyAuRSA)
	return w
}
