package db

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
)

// sharedFleet is three domains of one run: a.example and b.example use the
// same provider host (mx.provider.example, two addresses), c.example has a
// server of its own.
func sharedFleet() []*evidence.Domain {
	var out []*evidence.Domain
	for _, name := range []string{"a.example", "b.example"} {
		ev, _ := domainWith(name, "mx.provider.example", "127.0.0.10", grade.GradeA, grade.ForcedTLSEligible)
		second := ev.Hosts[0].Addresses[0]
		second.IP = "127.0.0.11"
		p := *second.Probe
		p.IP = second.IP
		second.Probe = &p
		ev.Hosts[0].Addresses = append(ev.Hosts[0].Addresses, second)
		out = append(out, ev)
	}
	c, _ := domainWith("c.example", "mx.c.example", "127.0.0.12", grade.GradeB, grade.ForcedTLSEligible)
	c.Hosts[0].Addresses[0].DANE = &evidence.DANEMatch{Usable: 1, Reason: "no match"}
	return append(out, c)
}

// newRun creates an empty run.
func newRun(t *testing.T, d *DB) int64 {
	t.Helper()
	id, err := d.CreateRun(context.Background(), Run{ListName: "v.csv", Policy: "p", PolicyVersion: "1", ToolVersion: "t", StartedAt: time.Now()}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func count(t *testing.T, d *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.sql.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAddressEvidenceStoredOncePerRun(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	fleet := sharedFleet()
	var runs []int64
	for range 2 {
		id := newRun(t, d)
		runs = append(runs, id)
		for _, ev := range fleet {
			g := &grade.DomainGrade{Domain: ev.Domain, Grade: grade.GradeA, ForcedTLS: grade.ForcedTLSEligible}
			for range 2 { // a resumed run stores a domain again
				if err := d.SaveDomain(ctx, id, ev, g); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// Three distinct addresses per run: the provider's two are stored once.
	for _, id := range runs {
		if n := count(t, d, `SELECT count(*) FROM address_evidence WHERE run_id = ?`, id); n != 3 {
			t.Errorf("run %d: %d address evidence rows, want 3", id, n)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM domain_results WHERE evidence_json LIKE '%"probe"%' OR evidence_json LIKE '%"cert"%'`); n != 0 {
		t.Errorf("%d domain rows still hold probes or certificates", n)
	}
	// Loading gives back exactly what was stored, through a fresh cache and a warm one.
	for _, fresh := range []bool{true, false} {
		if fresh {
			d.addresses.Purge()
		}
		for _, id := range runs {
			for _, want := range fleet {
				got, err := d.DomainResult(ctx, id, want.Domain)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.Evidence, want) {
					a, _ := json.Marshal(got.Evidence)
					b, _ := json.Marshal(want)
					t.Fatalf("run %d %s (fresh cache %v):\n got %s\nwant %s", id, want.Domain, fresh, a, b)
				}
			}
		}
	}
	// Deleting a run removes its address evidence with it.
	if _, err := d.sql.ExecContext(ctx, `DELETE FROM runs WHERE id = ?`, runs[0]); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, `SELECT count(*) FROM address_evidence`); n != 3 {
		t.Errorf("%d address evidence rows after deleting a run, want 3", n)
	}
}

// A row stored before schema version 2 holds its addresses whole and no
// references; it loads as it was.
func TestLegacyRowLoadsWhole(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	id := newRun(t, d)
	want := sharedFleet()[2]
	if err := d.SaveDomain(ctx, id, want, &grade.DomainGrade{Domain: want.Domain}); err != nil {
		t.Fatal(err)
	}
	whole, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.sql.ExecContext(ctx, `UPDATE domain_results SET evidence_json = ?, address_refs = '' WHERE run_id = ?`, string(whole), id); err != nil {
		t.Fatal(err)
	}
	if _, err := d.sql.ExecContext(ctx, `DELETE FROM address_evidence`); err != nil {
		t.Fatal(err)
	}
	d.addresses.Purge()
	got, err := d.DomainResult(ctx, id, want.Domain)
	if err != nil || !reflect.DeepEqual(got.Evidence, want) {
		t.Fatalf("legacy row: %+v, %v", got.Evidence, err)
	}
}

func TestAddressReferencesChecked(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, refs, want string
		wantNotFound     bool
	}{
		{name: "not json", refs: "[", want: "decode address references"},
		{name: "hosts", refs: `[]`, want: "for 0 hosts, evidence has 1"},
		{name: "addresses", refs: `[[]]`, want: "for 0 addresses, evidence has 1"},
		{name: "missing", refs: `[["00"]]`, want: "address evidence 00", wantNotFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := openTest(t)
			id := newRun(t, d)
			ev := sharedFleet()[2]
			if err := d.SaveDomain(ctx, id, ev, &grade.DomainGrade{Domain: ev.Domain}); err != nil {
				t.Fatal(err)
			}
			if _, err := d.sql.ExecContext(ctx, `UPDATE domain_results SET address_refs = ?`, tt.refs); err != nil {
				t.Fatal(err)
			}
			_, err := d.DomainResult(ctx, id, ev.Domain)
			if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, ErrNotFound) != tt.wantNotFound {
				t.Fatalf("err = %v, want it to contain %q (not found: %v)", err, tt.want, tt.wantNotFound)
			}
		})
	}
	// A reference to another address's evidence is refused.
	d := openTest(t)
	id := newRun(t, d)
	fleet := sharedFleet()
	for _, ev := range fleet {
		if err := d.SaveDomain(ctx, id, ev, &grade.DomainGrade{Domain: ev.Domain}); err != nil {
			t.Fatal(err)
		}
	}
	var refs string
	if err := d.sql.QueryRowContext(ctx, `SELECT address_refs FROM domain_results WHERE domain = 'c.example'`).Scan(&refs); err != nil {
		t.Fatal(err)
	}
	var keys [][]string
	if err := json.Unmarshal([]byte(refs), &keys); err != nil || len(keys) != 1 || len(keys[0]) != 1 {
		t.Fatalf("c.example references %q: %v", refs, err)
	}
	// b.example's two provider addresses now name c.example's address.
	wrong, _ := json.Marshal([][]string{{keys[0][0], keys[0][0]}})
	if _, err := d.sql.ExecContext(ctx, `UPDATE domain_results SET address_refs = ? WHERE domain = 'b.example'`, string(wrong)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DomainResult(ctx, id, "b.example"); err == nil || !strings.Contains(err.Error(), "holds 127.0.0.12, want 127.0.0.10") {
		t.Fatalf("mismatched reference: %v", err)
	}
}

// Each distinct probe of a run is listed once, with the key its domains'
// AddressRefs name, and evidence no stored domain names any more (a domain
// stored again with other evidence) is left out.
func TestEachAddressEvidence(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	fleet := sharedFleet()
	id := newRun(t, d)
	save := func(ev *evidence.Domain) {
		t.Helper()
		g := &grade.DomainGrade{Domain: ev.Domain, Grade: grade.GradeA, ForcedTLS: grade.ForcedTLSEligible}
		if err := d.SaveDomain(ctx, id, ev, g); err != nil {
			t.Fatal(err)
		}
	}
	// c.example is first stored with a banner it no longer has when stored
	// again: its first evidence stays in address_evidence, named by no one.
	stale := *fleet[2]
	stale.Hosts = []evidence.Host{fleet[2].Hosts[0]}
	stale.Hosts[0].Addresses = []evidence.Address{fleet[2].Hosts[0].Addresses[0]}
	p := *stale.Hosts[0].Addresses[0].Probe
	p.Connections += 7
	stale.Hosts[0].Addresses[0].Probe = &p
	save(&stale)
	for _, ev := range fleet {
		save(ev)
	}
	if n := count(t, d, `SELECT count(*) FROM address_evidence WHERE run_id = ?`, id); n != 4 {
		t.Fatalf("%d address evidence rows, want 4 (one stale)", n)
	}
	keys, complete, err := d.AddressRefs(ctx, id)
	if err != nil || !complete {
		t.Fatalf("AddressRefs: complete %v, %v", complete, err)
	}
	// The keys the domains name, each once.
	want := map[string]string{} // key → IP
	for _, ev := range fleet {
		s, err := d.DomainResult(ctx, id, ev.Domain)
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range s.Evidence.Hosts {
			for j, a := range h.Addresses {
				key, _, err := AddressDigest(&a)
				if err != nil || key != s.AddressRefs[i][j] {
					t.Fatalf("%s %s: ref %s, digest %s (%v)", ev.Domain, a.IP, s.AddressRefs[i][j], key, err)
				}
				want[key] = a.IP
			}
		}
	}
	got := map[string]string{}
	d.addresses.Purge()
	err = d.EachAddressEvidence(ctx, id, keys, func(key string, a *evidence.Address) error {
		if _, dup := got[key]; dup {
			t.Errorf("%s listed twice", key)
		}
		got[key] = a.IP
		if k, _, _ := AddressDigest(a); k != key {
			t.Errorf("%s holds evidence whose digest is %s", key, k)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || len(got) != 3 {
		t.Errorf("walk gave %v, want %v", got, want)
	}
	// A domain stored whole (before schema version 2) makes the list incomplete.
	if _, err := d.sql.ExecContext(ctx, `UPDATE domain_results SET address_refs = '' WHERE run_id = ? AND domain = 'c.example'`, id); err != nil {
		t.Fatal(err)
	}
	if keys, complete, err := d.AddressRefs(ctx, id); err != nil || complete || len(keys) != 2 {
		t.Errorf("with a domain stored whole: %d keys, complete %v, %v; want 2, false", len(keys), complete, err)
	}
}
