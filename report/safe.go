// Package report turns stored evidence and grades into what people read:
// the terminal table, JSON, and (in subpackages) the workbook and the PDF.
// Every string that came from a remote server or an input file passes
// through Clean on its way out; spreadsheets also write it as a typed
// text cell, never a formula.
package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes an untrusted string safe to print: control characters
// (terminal escapes included), Unicode bidirectional overrides and invalid
// UTF-8 are shown as visible escapes, so a hostile banner can neither move
// the cursor nor reorder what the reader sees.
func Clean(s string) string {
	if IsClean(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unsafeRune(r):
			if r < 0x80 {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// IsClean reports whether s needs no escaping: valid UTF-8 without control or
// format characters.
func IsClean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			if c >= 0x80 {
				// Non-ASCII: decide rune by rune.
				for _, r := range s[i:] {
					if r == utf8.RuneError || unsafeRune(r) {
						return false
					}
				}
				return utf8.ValidString(s[i:])
			}
			return false
		}
	}
	return true
}

func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return unicode.Is(unicode.Cf, r) && r != 0x00ad
}

// EscapeText is Clean for text kept in the model: besides what Clean
// escapes, the replacement character U+FFFD (what invalid bytes became in
// evidence stored before raw bytes were kept) is written as \ufffd, so no
// format draws a placeholder box where a byte was lost.
func EscapeText(s string) string {
	return strings.ReplaceAll(Clean(s), "\uFFFD", `\ufffd`)
}
