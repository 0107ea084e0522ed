package xlsx

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/mxaudit/mxaudit/report"
)

// domainMXRows are the MX sheet's rows drawn from the domain views, as the
// sheet drew them before it read report.EachMXAddress: the reference the
// sheet's rows must still equal.
func domainMXRows(r *report.Report) ([][]any, error) {
	var out [][]any
	checks := r.Methodology.Checks
	err := r.EachDomain(func(d *report.DomainView) error {
		vendors := strings.Join(d.Vendors, "; ")
		for _, mx := range d.MX {
			addrs := mx.Addresses
			if len(addrs) == 0 {
				addrs = []report.AddressView{{ProbeView: report.ProbeView{ProbeStatus: mxNoAddress}}}
			}
			for _, a := range addrs {
				row := []any{d.Domain, vendors, mx.Host, int(mx.Preference), mx.Grade}
				a.ProbeRef = r.ProbeRefOf(&a)
				row = append(row, addressValues(a)...)
				row = append(row, a.Banner, a.Connections, words(mx.DANE), a.DANE)
				for _, c := range checks {
					row = append(row, words(a.Checks[c.Name]))
				}
				out = append(out, row)
			}
		}
		return nil
	})
	return out, err
}

// TestMXRowsUnchanged checks that the MX sheet's rows, read from
// report.EachMXAddress, are the rows the domain views give, value for
// value, in every fixture (built reports read from the database, and one
// made in memory), and that the sheet's count is their number.
func TestMXRowsUnchanged(t *testing.T) {
	for _, fx := range allFixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			want, err := domainMXRows(fx.r)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("fixture has no MX rows")
			}
			var got [][]any
			if err := mxRows(fx.r, func(v ...any) error { got = append(got, v); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("row %d:\n got %v\nwant %v", i, got[i], want[i])
				}
			}
			n, err := fx.r.MXAddressCount()
			if err != nil || n != len(want) {
				t.Errorf("MXAddressCount = %d, %v; want %d", n, err, len(want))
			}
		})
	}
}

// TestSheetCounts checks every table sheet's count against its rows.
func TestSheetCounts(t *testing.T) {
	for _, fx := range allFixtures(t) {
		for _, d := range sheets(fx.r) {
			if d.count == nil {
				continue
			}
			t.Run(fx.name+"/"+d.name, func(t *testing.T) {
				n := 0
				if err := d.rows(fx.r, func(...any) error { n++; return nil }); err != nil {
					t.Fatal(err)
				}
				got, err := d.count(fx.r)
				if err != nil || got != n {
					t.Errorf("count = %d, %v; the rows are %d", got, err, n)
				}
			})
		}
	}
}

// TestCountMismatchFails checks that a sheet whose count is not its
// number of rows is an error, never a workbook whose dimension is wrong.
func TestCountMismatchFails(t *testing.T) {
	r := syntheticReport(synthDomains)
	for _, d := range sheets(r) {
		if d.name != sheetFindings {
			continue
		}
		f := excelize.NewFile()
		defer f.Close()
		st, err := newStyles(f)
		if err != nil {
			t.Fatal(err)
		}
		b := &book{f: f, r: r, st: st, maxRows: maxDataRows}
		if err := b.addSheet(0, d.name); err != nil {
			t.Fatal(err)
		}
		d.count = func(r *report.Report) (int, error) { n, err := findingCount(r); return n + 1, err }
		if err := b.stream(d); err == nil || !strings.Contains(err.Error(), "rows counted") {
			t.Errorf("a wrong count wrote the sheet (err %v)", err)
		}
		return
	}
	t.Fatal("no Findings sheet")
}

// chunkWriter records the largest single write.
type chunkWriter struct {
	n, largest int
}

func (w *chunkWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	w.largest = max(w.largest, len(p))
	return len(p), nil
}

// TestZipStreamed checks that the workbook reaches its writer as it is
// zipped, in small writes, never as one buffer of the whole file.
func TestZipStreamed(t *testing.T) {
	var w chunkWriter
	if err := Write(&w, syntheticReport(200)); err != nil {
		t.Fatal(err)
	}
	const chunk = 64 << 10
	if w.n < 4*chunk {
		t.Fatalf("workbook of %d bytes: too small to tell", w.n)
	}
	if w.largest > chunk {
		t.Errorf("largest write %d bytes of a %d-byte workbook: the zip was buffered", w.largest, w.n)
	}
}

// TestPartLimit checks that a part over 4 GiB, which would need ZIP64
// headers excelize can no longer patch, is refused.
func TestPartLimit(t *testing.T) {
	p := &partWriter{name: "xl/worksheets/sheet1.xml", w: &chunkWriter{}, n: maxPartSize - 2}
	if _, err := p.Write([]byte("ab")); err != nil {
		t.Fatalf("write up to the limit: %v", err)
	}
	if _, err := p.Write([]byte("c")); err == nil {
		t.Error("write past 4 GiB accepted")
	} else if !strings.Contains(err.Error(), fmt.Sprint(int64(maxPartSize))) {
		t.Errorf("error %q does not say the limit", err)
	}
}
