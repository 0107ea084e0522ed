package pdf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// bmpSize is the number of code points of the Basic Multilingual Plane,
// the only plane fpdf's UTF-8 text encoding handles.
const bmpSize = 0x10000

// coverage is the set of BMP code points a font has a glyph for.
type coverage struct {
	bits [bmpSize / 64]uint64
}

func (c *coverage) set(r int) { c.bits[r/64] |= 1 << (uint(r) % 64) }

// has reports whether the font draws r; runes outside the BMP never are.
func (c *coverage) has(r rune) bool {
	if r < 0 || r >= bmpSize {
		return false
	}
	return c.bits[r/64]&(1<<(uint(r)%64)) != 0
}

// errFont is returned for a font file whose cmap cannot be read.
var errFont = errors.New("unreadable font cmap")

// TrueType cmap constants (OpenType spec, "cmap" table).
const (
	sfntHeaderLen     = 12
	sfntTableRecLen   = 16
	cmapHeaderLen     = 4
	cmapRecordLen     = 8
	cmapFormat4       = 4
	cmapFormat4Header = 14
	platformUnicode   = 0
	platformWindows   = 3
	encodingWinBMP    = 1
)

// fontCoverage reads the Unicode BMP cmap (format 4) of a TrueType file.
func fontCoverage(ttf []byte) (*coverage, error) {
	if len(ttf) < sfntHeaderLen {
		return nil, errFont
	}
	be := binary.BigEndian
	numTables := int(be.Uint16(ttf[4:]))
	var cmap []byte
	for i := 0; i < numTables; i++ {
		rec := sfntHeaderLen + i*sfntTableRecLen
		if rec+sfntTableRecLen > len(ttf) {
			return nil, errFont
		}
		if string(ttf[rec:rec+4]) != "cmap" {
			continue
		}
		off, n := int(be.Uint32(ttf[rec+8:])), int(be.Uint32(ttf[rec+12:]))
		if off < 0 || n < 0 || off+n > len(ttf) {
			return nil, errFont
		}
		cmap = ttf[off : off+n]
	}
	if len(cmap) < cmapHeaderLen {
		return nil, fmt.Errorf("no cmap table: %w", errFont)
	}
	n := int(be.Uint16(cmap[2:]))
	for i := 0; i < n; i++ {
		rec := cmapHeaderLen + i*cmapRecordLen
		if rec+cmapRecordLen > len(cmap) {
			return nil, errFont
		}
		platform, encoding := be.Uint16(cmap[rec:]), be.Uint16(cmap[rec+2:])
		off := int(be.Uint32(cmap[rec+4:]))
		unicodeBMP := platform == platformUnicode || (platform == platformWindows && encoding == encodingWinBMP)
		if !unicodeBMP || off+cmapFormat4Header > len(cmap) || be.Uint16(cmap[off:]) != cmapFormat4 {
			continue
		}
		return format4(cmap[off:])
	}
	return nil, fmt.Errorf("no unicode format 4 cmap: %w", errFont)
}

// format4 walks the segments of a format 4 subtable and marks every code
// point that maps to a glyph other than .notdef.
func format4(t []byte) (*coverage, error) {
	be := binary.BigEndian
	segs := int(be.Uint16(t[6:])) / 2
	ends := cmapFormat4Header
	starts := ends + 2*segs + 2 // reservedPad follows endCode
	deltas := starts + 2*segs
	ranges := deltas + 2*segs
	if ranges+2*segs > len(t) {
		return nil, errFont
	}
	c := &coverage{}
	for i := 0; i < segs; i++ {
		end, start := int(be.Uint16(t[ends+2*i:])), int(be.Uint16(t[starts+2*i:]))
		delta, ro := int(be.Uint16(t[deltas+2*i:])), int(be.Uint16(t[ranges+2*i:]))
		for r := start; r <= end && r < bmpSize; r++ {
			var g int
			if ro == 0 {
				g = (r + delta) & 0xffff
			} else {
				at := ranges + 2*i + ro + 2*(r-start)
				if at+2 > len(t) {
					return nil, errFont
				}
				if g = int(be.Uint16(t[at:])); g != 0 {
					g = (g + delta) & 0xffff
				}
			}
			if g != 0 {
				c.set(r)
			}
		}
	}
	return c, nil
}
