package pdf

import (
	"strings"
	"unicode/utf8"
)

// breakAfter are the characters after which a word too long for its
// column may be broken: dots of host names, hyphens, underscores of suite
// names, and the like.
const breakAfter = ".-_/,:;|@=&?+)]}"

// wrap splits s into lines no wider than limit millimetres, measured by
// width. Lines break at spaces (the space is dropped); a word longer than
// a line breaks after the last punctuation mark that fits, else after the
// last rune that fits. Every line holds at least one rune, so wrapping
// always ends, even when limit is smaller than one character.
func wrap(s string, limit float64, width func(string) float64) []string {
	var out []string
	line := ""
	for _, word := range strings.Split(s, " ") {
		cand := word
		if line != "" {
			cand = line + " " + word
		}
		if width(cand) <= limit {
			line = cand
			continue
		}
		if line != "" {
			out = append(out, line)
			line = ""
		}
		for word != "" && width(word) > limit {
			head := fitPrefix(word, limit, width)
			out = append(out, head)
			word = word[len(head):]
		}
		line = word
	}
	if line == "" && len(out) > 0 {
		return out // the last word was broken up completely
	}
	return append(out, line)
}

// fitPrefix returns the longest prefix of word (at least one rune) that
// fits limit, preferring one that ends just after a break character.
func fitPrefix(word string, limit float64, width func(string) float64) string {
	end, punct := 0, 0
	for i, r := range word {
		// The encoded length, not RuneLen: a literal U+FFFD is three
		// bytes, an invalid byte one, and both decode as RuneError.
		_, size := utf8.DecodeRuneInString(word[i:])
		next := i + size
		if end > 0 && width(word[:next]) > limit {
			break
		}
		end = next
		if strings.ContainsRune(breakAfter, r) {
			punct = end
		}
	}
	if punct > 0 && punct < end {
		return word[:punct]
	}
	return word[:end]
}
