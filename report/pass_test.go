package report_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
)

// TestPassMatchesEvidence: what Build's pass spools (each domain's view
// as the JSON report's element, its MX address rows) is what the views
// made again from the stored evidence give: the JSON report is the same
// bytes, and EachDomain, DomainNamed and EachMXAddress yield the same
// views and rows, probes included.
func TestPassMatchesEvidence(t *testing.T) {
	const fleetSize = 160
	t.Setenv("TMPDIR", t.TempDir())
	path, run := genFleet(t, fleetTemplates(t), fleetSize, 7)
	ctx := context.Background()
	store, err := db.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	opt := report.Options{Org: report.Org{Frameworks: []string{"HIPAA", "PCI DSS"}}, ToolVersion: "test"}
	spooled, err := report.Build(ctx, store, run, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer spooled.Close()
	ref, err := report.Build(ctx, store, run, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	report.EvidenceViews(ctx, ref, store, opt)

	var got, want bytes.Buffer
	if err := report.WriteJSON(&got, spooled); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJSON(&want, ref); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("JSON report from the spooled views differs from the one encoded from the evidence (%d and %d bytes)", got.Len(), want.Len())
	}
	if !bytes.Contains(got.Bytes(), []byte(`"probe_ref":"`)) {
		t.Fatal("no address view names its probe: fleet too thin to compare")
	}

	// A view with its probes, as the renderers read it.
	full := func(dv *report.DomainView) string {
		var probes []report.ProbeView
		for i := range dv.MX {
			for j := range dv.MX[i].Addresses {
				probes = append(probes, dv.MX[i].Addresses[j].ProbeView)
			}
		}
		return mustJSON(t, dv) + mustJSON(t, probes)
	}
	views := func(r *report.Report) []string {
		var out []string
		if err := r.EachDomain(func(dv *report.DomainView) error { out = append(out, full(dv)); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	gv, wv := views(spooled), views(ref)
	if len(gv) != fleetSize || len(gv) != len(wv) {
		t.Fatalf("%d spooled views, %d from evidence; want %d", len(gv), len(wv), fleetSize)
	}
	for i := range wv {
		if gv[i] != wv[i] {
			t.Errorf("view %d differs\nspool    %.400s\nevidence %.400s", i, gv[i], wv[i])
		}
	}
	for _, name := range []string{historyDomain(0), historyDomain(fleetSize/2 + 7), "absent.example"} {
		g, gok, err := spooled.DomainNamed(name)
		if err != nil {
			t.Fatal(err)
		}
		w, wok, err := ref.DomainNamed(name)
		if err != nil {
			t.Fatal(err)
		}
		if gok != wok || gok && full(g) != full(w) {
			t.Errorf("DomainNamed(%s) differs: %v, %v", name, gok, wok)
		}
	}
	probed, addressed := 0, 0
	rows := func(r *report.Report) []string {
		var out []string
		if err := r.EachMXAddress(func(m *report.MXAddress) error {
			s := mustJSON(t, m)
			if m.Address != nil {
				s += mustJSON(t, m.Address.ProbeView)
				addressed++
				if m.Address.Ref != "" && len(m.Address.Versions) > 0 {
					probed++
				}
			}
			out = append(out, s)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		n, err := r.MXAddressCount()
		if err != nil || n != len(out) {
			t.Fatalf("MXAddressCount = %d, %v; EachMXAddress yields %d", n, err, len(out))
		}
		return out
	}
	gr := rows(spooled)
	gotProbed, gotAddressed := probed, addressed
	wr := rows(ref)
	if len(gr) < fleetSize/2 || len(gr) != len(wr) {
		t.Fatalf("%d spooled MX rows, %d from the views", len(gr), len(wr))
	}
	for i := range wr {
		if gr[i] != wr[i] {
			t.Errorf("MX row %d differs\nspool %.400s\nviews %.400s", i, gr[i], wr[i])
		}
	}
	// The probes joined back are whole, not just their refs.
	if gotAddressed == 0 || gotProbed != gotAddressed {
		t.Errorf("%d of %d MX rows with an address read from the spool hold their probe", gotProbed, gotAddressed)
	}
}
