package ingest

import (
	"strings"
	"testing"
)

func TestDomain(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "Example.COM", want: "example.com"},
		{in: "example.com.", want: "example.com"},
		{in: "  billing@Vendor.example ", want: "vendor.example"},
		{in: "mailto:ap@vendor.example", want: "vendor.example"},
		{in: "<ops@vendor.example>", want: "vendor.example"},
		{in: "bücher.example", want: "xn--bcher-kva.example"},
		{in: "日本語.jp", want: "xn--wgv71a119e.jp"},
		{in: "xn--bcher-kva.example", want: "xn--bcher-kva.example"},
		{in: "", bad: true},
		{in: "user@", bad: true},
		{in: "localhost", bad: true},
		{in: "https://vendor.example/", bad: true},
		{in: "192.0.2.1", bad: true},
		{in: "[2001:db8::1]", bad: true},
		{in: "bad_name!.example", bad: true},
		{in: "a..b.example", bad: true},
		{in: "-leading.example", bad: true},
		{in: "\xd9.0", bad: true},
		{in: "bad\xffname.example", bad: true},
		{in: "192.0.2", bad: true},
		{in: "host.123", bad: true},
		{in: "123.example", want: "123.example"},
		{in: "xn--zn7c.example", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Domain(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("Domain(%q) = %q, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Domain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDomainMessages(t *testing.T) {
	long := strings.Repeat("x", 150) + "!"
	tests := []struct{ in, want string }{
		{"", "empty value"},
		{"user@", `"user@" is an e-mail address without a domain`},
		{"https://vendor.example/", `"https://vendor.example/" looks like a URL, not a domain name`},
		{"192.0.2.1", `"192.0.2.1" is an IP address; give the mail domain instead`},
		{"192.0.2", `"192.0.2" ends in a number: give a domain name, not an IP address`},
		{"localhost", `"localhost" has no dot: give a full domain name such as example.com`},
		{"a..b.example", `"a..b.example" has an empty label`},
		{"bad\xffname.example", `"bad\xffname.example" is not valid UTF-8 text`},
		{long, `"` + strings.Repeat("x", 99) + `…" is not a valid domain name: idna: disallowed rune U+0021`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Domain(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Domain(%q) error = %v, want %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestShorten(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"}, {"abcd", 3, "ab…"}, {"äöüß", 4, "äöüß"}, {"äöüßx", 4, "äöü…"}, {"", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := shorten(tt.in, tt.n); got != tt.want {
				t.Fatalf("shorten(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func FuzzDomain(f *testing.F) {
	for _, s := range []string{"example.com", "a@b.example", "bücher.example", "x..y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Domain(s)
		if err != nil {
			return
		}
		again, err := Domain(d)
		if err != nil || again != d {
			t.Fatalf("Domain(%q) = %q, but Domain(%q) = %q, %v", s, d, d, again, err)
		}
	})
}
