package evidence

import (
	"strings"
	"testing"
)

func TestValidDKIMSelector(t *testing.T) {
	for sel, want := range map[string]bool{
		"s1":                      true,
		"google":                  true,
		"2024-01._rsa.mail":       true,
		"":                        false,
		"a..b":                    false,
		"sel ector":               false,
		"s1@example.com":          false,
		strings.Repeat("a", 64):   false,
		strings.Repeat("a.", 101): false,
	} {
		if got := ValidDKIMSelector(sel); got != want {
			t.Errorf("ValidDKIMSelector(%q) = %v, want %v", sel, got, want)
		}
	}
}
