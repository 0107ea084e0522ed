package db

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
)

// storedRows is what a run holds for its domains, run id aside: each
// domain's evidence, grade and references, and the address evidence rows.
func storedRows(t *testing.T, d *DB, run int64) []string {
	t.Helper()
	rows, err := d.sql.Query(`SELECT domain || ' ' || grade || ' ' || evidence_json || ' ' || grade_json || ' ' || address_refs || ' ' || diff_key
		FROM domain_results WHERE run_id = ? UNION ALL
		SELECT sha256 || ' ' || json FROM address_evidence WHERE run_id = ? ORDER BY 1`, run, run)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sharingFleet is sharedFleet as the auditor hands it over: a.example and
// b.example hold the very same probe and certificate objects of the
// provider's addresses.
func sharingFleet() []*evidence.Domain {
	fleet := sharedFleet()
	a, b := fleet[0], fleet[1]
	for i := range b.Hosts[0].Addresses {
		b.Hosts[0].Addresses[i].Probe = a.Hosts[0].Addresses[i].Probe
		b.Hosts[0].Addresses[i].Cert = a.Hosts[0].Addresses[i].Cert
	}
	return fleet
}

func TestRunWriterStoresAsSaveDomain(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	plain, written := newRun(t, d), newRun(t, d)
	w := d.NewRunWriter(written)
	for _, ev := range sharingFleet() {
		g := &grade.DomainGrade{Domain: ev.Domain, Grade: grade.GradeA, ForcedTLS: grade.ForcedTLSEligible}
		if err := d.SaveDomain(ctx, plain, ev, g); err != nil {
			t.Fatal(err)
		}
		for range 2 { // a domain stored again replaces its rows
			if err := w.Save(ctx, ev, g); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, got := storedRows(t, d, plain), storedRows(t, d, written)
	if !slices.Equal(got, want) {
		t.Errorf("RunWriter stored\n%q\nSaveDomain stored\n%q", got, want)
	}
	// The provider's two addresses and c.example's, each stored twice:
	// the writer remembers three identities, not five.
	if n := w.stored.Len(); n != 3 {
		t.Errorf("writer remembers %d address identities, want 3", n)
	}
	// An address stored once is not remembered (nor its parts kept alive).
	once := d.NewRunWriter(newRun(t, d))
	c := sharingFleet()[2]
	if err := once.Save(ctx, c, &grade.DomainGrade{Domain: c.Domain, Grade: grade.GradeB}); err != nil {
		t.Fatal(err)
	}
	if n := once.stored.Len(); n != 0 {
		t.Errorf("an address stored once: %d identities remembered, want 0", n)
	}
	for _, ev := range sharingFleet() {
		if _, err := d.DomainResult(ctx, written, ev.Domain); err != nil {
			t.Errorf("%s: %v", ev.Domain, err)
		}
	}
}

func TestRunWriterTellsChangedEvidenceApart(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	run := newRun(t, d)
	w := d.NewRunWriter(run)
	fleet := sharingFleet()
	g := &grade.DomainGrade{Domain: "a.example", Grade: grade.GradeA, ForcedTLS: grade.ForcedTLSEligible}
	for range 2 { // stored twice: its addresses are remembered
		if err := w.Save(ctx, fleet[0], g); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.stored.Len(); n != 2 {
		t.Fatalf("writer remembers %d address identities, want a.example's 2", n)
	}
	// b.example's first address is another observation (another probe
	// object): it must be encoded and stored, not taken for a.example's.
	b := fleet[1]
	p := *b.Hosts[0].Addresses[0].Probe
	p.Status = evidence.ProbeSessionFailed
	b.Hosts[0].Addresses[0].Probe = &p
	b.Hosts[0].Addresses[0].DANE = &evidence.DANEMatch{Usable: 1, Reason: "no match"}
	if err := w.Save(ctx, b, &grade.DomainGrade{Domain: b.Domain, Grade: grade.GradeA}); err != nil {
		t.Fatal(err)
	}
	got, err := d.DomainResult(ctx, run, b.Domain)
	if err != nil {
		t.Fatal(err)
	}
	a0 := got.Evidence.Hosts[0].Addresses[0]
	if a0.Probe.Status != evidence.ProbeSessionFailed || a0.DANE == nil {
		t.Errorf("b.example's first address loaded as %+v, want its own probe and DANE match", a0)
	}
	if n := count(t, d, `SELECT count(*) FROM address_evidence WHERE run_id = ?`, run); n != 3 {
		t.Errorf("%d address evidence rows, want 3 (two of a.example, b.example's changed one)", n)
	}
}

func TestRunWriterForgetsRolledBackEvidence(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	run := newRun(t, d)
	// The first domain's row is refused after its address evidence was
	// written in the same transaction: the transaction rolls back.
	if _, err := d.sql.Exec(`CREATE TRIGGER refuse_a BEFORE INSERT ON domain_results WHEN NEW.domain = 'a.example'
		BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	w := d.NewRunWriter(run)
	fleet := sharingFleet()
	for range 2 { // twice: what a writer stores twice it remembers
		if err := w.Save(ctx, fleet[0], &grade.DomainGrade{Domain: "a.example", Grade: grade.GradeA}); err == nil {
			t.Fatal("a.example stored despite the trigger")
		}
	}
	if err := w.Save(ctx, fleet[1], &grade.DomainGrade{Domain: "b.example", Grade: grade.GradeA}); err != nil {
		t.Fatal(err)
	}
	// b.example shares a.example's addresses: had the writer remembered
	// them from the rolled back transaction, its references would name
	// rows that do not exist.
	if _, err := d.DomainResult(ctx, run, "b.example"); err != nil {
		t.Fatalf("b.example: %v", err)
	}
	if _, err := d.DomainResult(ctx, run, "a.example"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a.example: %v, want not found", err)
	}
}

// TestAddressIdentityCoversEveryField fails when evidence.Address gains a
// field: the identity by which RunWriter stores an address once must then
// name it, or two addresses differing only in it would share a key.
func TestAddressIdentityCoversEveryField(t *testing.T) {
	var names []string
	for f := range reflect.TypeFor[evidence.Address]().Fields() {
		names = append(names, f.Name)
	}
	want := []string{"IP", "Probe", "Cert", "OtherCerts", "DANE"}
	if !slices.Equal(names, want) {
		t.Errorf("evidence.Address has fields %v; addressIdentity covers %v: add the new ones to it", names, want)
	}
}
