package canon

import (
	"slices"
	"testing"
)

func TestCompareRFC4034Order(t *testing.T) {
	// RFC 4034 §6.1's example, in canonical order.
	ordered := []string{
		"example.",
		"a.example.",
		"yljkjljk.a.example.",
		"Z.a.example.",
		"zABC.a.EXAMPLE.",
		"z.example.",
		`\001.z.example.`,
		"*.z.example.",
		`\200.z.example.`,
	}
	for i := range ordered {
		for j := range ordered {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := Compare(ordered[i], ordered[j]); got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	shuffled := []string{ordered[5], ordered[8], ordered[0], ordered[3], ordered[7], ordered[1], ordered[6], ordered[2], ordered[4]}
	slices.SortFunc(shuffled, Compare)
	if !slices.Equal(shuffled, ordered) {
		t.Errorf("sorted %q, want %q", shuffled, ordered)
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"root first", ".", "a.", -1},
		{"trailing dot optional", "a.example", "a.example.", 0},
		{"case folds", "MX.Example.", "mx.example.", 0},
		{"rightmost label decides", "z.a.", "a.b.", -1},
		{"shorter label first", "a.x.", "aa.x.", -1},
		{"escaped dot is one label", `a\.b.x.`, "a.b.x.", -1},
		{"non-ascii octets do not fold", `\195.x.`, `\227.x.`, -1},
		{"invalid after valid", "a..b", "a.", 1},
		{"invalid and invalid", "a..b", "a..c", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Compare(tc.a, tc.b); got != tc.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := Compare(tc.b, tc.a); got != -tc.want {
				t.Errorf("Compare(%q, %q) = %d, want %d", tc.b, tc.a, got, -tc.want)
			}
		})
	}
}

func TestLabels(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
		want []string
	}{
		{".", true, nil},
		{"Mx.Example", true, []string{"mx", "example"}},
		{`a\.b.c.`, true, []string{"a.b", "c"}},
		{"a..b.", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := Labels(tc.name)
			var s []string
			for _, l := range got {
				s = append(s, string(l))
			}
			if ok != tc.ok || !slices.Equal(s, tc.want) {
				t.Errorf("Labels(%q) = %q, %v; want %q, %v", tc.name, s, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzCompare checks that Compare is a total order on any two or three
// names: antisymmetric, reflexive and transitive.
func FuzzCompare(f *testing.F) {
	f.Add("a.example.", "B.example", "*.example.")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		if Compare(a, a) != 0 {
			t.Fatalf("Compare(%q, itself) != 0", a)
		}
		ab, ba := Compare(a, b), Compare(b, a)
		if ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d but reversed %d", a, b, ab, ba)
		}
		if ab <= 0 && Compare(b, c) <= 0 && Compare(a, c) > 0 {
			t.Fatalf("not transitive: %q <= %q <= %q but %q > %q", a, b, c, a, c)
		}
	})
}
