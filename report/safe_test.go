package report

import "testing"

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mx.example.com ESMTP", "mx.example.com ESMTP"},
		{"evil\x1b[2J\x1b]0;pwned\x07", `evil\x1b[2J\x1b]0;pwned\x07`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"bad utf8 \xff\xfe", `bad utf8 \xff\xfe`},
		{"ünïcode ok 日本", "ünïcode ok 日本"},
		{"c1 \u009b31m", `c1 \u009b31m`},
		{"nul\x00", `nul\x00`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Fatalf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	f.Add("plain")
	f.Add("\x1b[31mred")
	f.Add("\u202e")
	f.Fuzz(func(t *testing.T, s string) {
		out := Clean(s)
		for _, r := range out {
			if unsafeRune(r) {
				t.Fatalf("Clean left unsafe rune %U in %q", r, out)
			}
		}
		if Clean(out) != out {
			t.Fatalf("Clean is not idempotent on %q", out)
		}
	})
}
