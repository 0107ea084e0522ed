package ingest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// largeN is big enough that quadratic work on any of these shapes would not
// finish within the test timeout.
const largeN = 100000

func TestLargeLists(t *testing.T) {
	var wide, tall, tags strings.Builder
	for i := range largeN {
		if i > 0 {
			wide.WriteByte(',')
		}
		fmt.Fprintf(&wide, "d%d.example", i)
	}
	tall.WriteString("Vendor,Domain,Notes\n")
	for i := range largeN {
		fmt.Fprintf(&tall, "Acme,acme.example,note %d\n", i)
	}
	tags.WriteString("Vendor,Domain,Tags\nAcme,acme.example,\"")
	for i := range largeN {
		fmt.Fprintf(&tags, "t%d;", i)
	}
	tags.WriteString("\"\n")
	tests := []struct {
		name                       string
		in                         string
		vendors, domains, problems int
		check                      func(*testing.T, *List)
	}{
		{name: "one row of many domains", in: wide.String(), vendors: 1, domains: largeN},
		{name: "many rows of one vendor", in: tall.String(), vendors: 1, domains: 1, problems: largeN - 1,
			check: func(t *testing.T, l *List) {
				if n := strings.Count(l.Vendors[0].Notes, "; ") + 1; n != largeN {
					t.Fatalf("notes joined %d rows, want %d", n, largeN)
				}
			}},
		{name: "one cell of many tags", in: tags.String(), vendors: 1, domains: 1,
			check: func(t *testing.T, l *List) {
				if n := len(l.Vendors[0].Tags); n != largeN {
					t.Fatalf("%d tags, want %d", n, largeN)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Read(strings.NewReader(tt.in), FormatCSV, Options{MaxRows: largeN + 1})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if len(l.Vendors) != tt.vendors || len(l.Domains) != tt.domains || len(l.Problems) != tt.problems {
				t.Fatalf("%d vendors, %d domains, %d problems; want %d, %d, %d",
					len(l.Vendors), len(l.Domains), len(l.Problems), tt.vendors, tt.domains, tt.problems)
			}
			if tt.check != nil {
				tt.check(t, l)
			}
		})
	}
}

func BenchmarkReadCSV(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("Vendor,Domain(s),Contact email,Owner,Tier,Tags,Notes\n")
	for i := range 10000 {
		fmt.Fprintf(&buf, "Vendor %d,v%d.example; mail.v%d.example,ap@v%d.example,Owner %d,%d,\"a,b\",note\n", i, i, i, i, i%7, i%3)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), FormatCSV, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadXLSX(b *testing.B) {
	rows := [][]any{vendorHeader}
	for i := range 10000 {
		rows = append(rows, []any{fmt.Sprintf("Vendor %d", i), fmt.Sprintf("v%d.example", i), "", "Owner", i % 3, "a", "note"})
	}
	data := makeXLSX(b, sheetSpec{name: "Vendors", rows: rows})
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), FormatXLSX, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
