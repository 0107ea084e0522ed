package ingest

import "testing"

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
