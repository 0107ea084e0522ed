package db

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
)

// toggled is fact j of domain i in run k: it starts at i's own value and
// moves on in each run r <= k where (i, j, r) hashes to a move, so every
// fact changes for some domains from one run to the next and stays the
// same for most.
func toggled(i, j, k, m int) int {
	v := i + j
	for r := 1; r <= k; r++ {
		if (i*31+j*7+r*5)%11 == 0 {
			v++
		}
	}
	return v % m
}

// everyKindDomain is domain i's result in run k, each fact a toggled one.
func everyKindDomain(i, k int) (*evidence.Domain, *grade.DomainGrade) {
	name := fmt.Sprintf("d%05d.example", i)
	grades := []grade.Grade{grade.GradeA, grade.GradeB, grade.GradeC, grade.GradeF}
	g := grades[toggled(i, 0, k, 4)]
	forced := []grade.ForcedTLS{grade.ForcedTLSEligible, grade.ForcedTLSNotEligible}[toggled(i, 1, k, 2)]
	host := fmt.Sprintf("mx1.pool%d.example", i%7)
	var codes []string
	if toggled(i, 4, k, 2) == 0 {
		codes = append(codes, "WEAK_CIPHERS")
	}
	ev, gr := domainWith(name, host, fmt.Sprintf("127.0.%d.1", i%7), g, forced, codes...)
	if toggled(i, 3, k, 2) == 0 { // a second address of the first host
		a := ev.Hosts[0].Addresses[0]
		a.IP = fmt.Sprintf("127.0.%d.2", i%7)
		ev.Hosts[0].Addresses = append(ev.Hosts[0].Addresses, a)
	}
	if toggled(i, 2, k, 2) == 0 { // a second MX host
		h := ev.Hosts[0]
		h.Name, h.Preference = fmt.Sprintf("mx2.pool%d.example", i%7), 20
		h.Addresses = []evidence.Address{ev.Hosts[0].Addresses[0]}
		h.Addresses[0].IP = fmt.Sprintf("127.1.%d.1", i%7)
		ev.Hosts = append(ev.Hosts, h)
	}
	if toggled(i, 5, k, 3) == 0 { // a certificate within the expiry window
		ev.Hosts[0].Addresses[0].Cert = &evidence.CertCheck{Name: host, Expired: new(bool), DaysToExpiry: 10,
			Chain: []evidence.Certificate{{NotAfter: time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC)}}}
	}
	if s := toggled(i, 6, k, 3); s > 0 {
		ev.MTASTS = &evidence.MTASTS{ID: fmt.Sprintf("id%d", toggled(i, 7, k, 2))}
		if s == 2 {
			ev.MTASTS.Policy = &evidence.STSPolicy{Mode: []string{"enforce", "testing"}[toggled(i, 8, k, 2)]}
		}
	}
	if s := toggled(i, 9, k, 3); s > 0 {
		ev.SPF = &evidence.SPF{Status: evidence.SPFValid, All: []string{"-all", "~all"}[s-1]}
	}
	if s := toggled(i, 10, k, 3); s > 0 {
		ev.DMARC = &evidence.DMARC{Status: evidence.DMARCValid, Policy: []string{"reject", "none"}[s-1]}
	}
	gr.Frameworks = []grade.Framework{{Name: "BOD 18-01", Status: []grade.ControlStatus{grade.ControlPass, grade.ControlFail}[toggled(i, 11, k, 2)]}}
	return ev, gr
}

// TestComputeDiffEveryKind holds the walk over diff keys to the domain by
// domain comparison of every decoded result (referenceDiff) on a history
// of three runs spanning several of the walk's batches, with changes of
// every kind, domains the base run could not audit or did not store
// (compared with the run before it), domains this run could not audit
// (carried), domains added to and removed from the list, domains with
// several vendors, and rows whose diff key is missing (stored before
// keys) or of another version: those are decoded and compared.
func TestComputeDiffEveryKind(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	defer func(b int) { diffKeysBatch = b }(diffKeysBatch)
	diffKeysBatch = 64
	const n = 700 // 11 batches
	var runs []int64
	for k := 0; k < 3; k++ {
		var vendors []VendorRow
		for i := 0; i < n; i++ {
			if (k == 1 && i%41 == 0) || (k == 2 && i%43 == 1) {
				continue // added to the list in run 2; removed from it in run 2
			}
			name := fmt.Sprintf("d%05d.example", i)
			vendors = append(vendors, VendorRow{Vendor: fmt.Sprintf("V%d", i/3), Domain: name, Row: i + 2})
			if i%10 == 0 {
				vendors = append(vendors, VendorRow{Vendor: fmt.Sprintf("W%d", i), Domain: name, Row: i + 2})
			}
		}
		at := time.Date(2026, time.Month(1+k), 1, 0, 0, 0, 0, time.UTC)
		id, err := d.CreateRun(ctx, Run{ListName: "v.csv", Policy: "p", PolicyVersion: "1", ToolVersion: "t", StartedAt: at, TotalDomains: n}, vendors, nil)
		if err != nil {
			t.Fatal(err)
		}
		var batch []Result
		for i := 0; i < n; i++ {
			if (k == 1 && i%31 == 0) || (k == 2 && (i%37 == 0 || i%43 == 1)) {
				continue // not stored by the base run; by this run
			}
			ev, g := everyKindDomain(i, k)
			if (k == 1 && i%29 == 0) || (k == 2 && i%23 == 0) {
				g.Grade = grade.GradeInconclusive
			}
			batch = append(batch, Result{Evidence: ev, Grade: g})
		}
		if err := d.SaveDomains(ctx, id, batch); err != nil {
			t.Fatal(err)
		}
		if err := d.FinishRun(ctx, id, StatusCompleted, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, id)
	}
	// Rows as an older mxaudit stored them: no key; a key of another version.
	for _, q := range []string{
		`UPDATE domain_results SET diff_key = '', cert_days = NULL WHERE (run_id = ? AND id % 5 = 0) OR (run_id = ? AND id % 7 = 0)`,
		`UPDATE domain_results SET diff_key = '0:' || substr(diff_key, 3) WHERE (run_id = ? AND id % 13 = 0) OR (run_id = ? AND id % 17 = 0)`,
	} {
		if _, err := d.sql.ExecContext(ctx, q, runs[1], runs[2]); err != nil {
			t.Fatal(err)
		}
	}
	for _, window := range []int{30} {
		got, err := d.ComputeDiff(ctx, runs[2], &runs[1], window)
		if err != nil {
			t.Fatal(err)
		}
		want := referenceDiff(t, d, runs[2], runs[1], window)
		got.Made, want.Made = time.Time{}, time.Time{}
		for _, kind := range []string{ChangeGradeUp, ChangeGradeDown, ChangeForcedGained, ChangeForcedLost, ChangeMXAdded, ChangeMXRemoved,
			ChangeAddressAdded, ChangeAddressRemoved, ChangeFindingAppeared, ChangeFindingResolved, ChangeCertExpiring, ChangeSTSModeChanged,
			ChangeSTSIDChanged, ChangeSPFChanged, ChangeDMARCChanged, ChangeProfileChanged, ChangeDomainAdded, ChangeDomainRemoved, ChangeCarried} {
			if want.Count(kind) == 0 {
				t.Errorf("window %d: the fixture has no %s change", window, kind)
			}
		}
		since, several := false, false
		for _, c := range want.Changes {
			since = since || (c.Since != 0 && c.Kind != ChangeCarried)
			several = several || len(c.Vendors) > 1
		}
		if !since || !several {
			t.Errorf("window %d: the fixture has no change compared with an earlier run (%v) or of a domain with several vendors (%v)", window, since, several)
		}
		if len(want.Changes) >= n*3 {
			t.Errorf("window %d: %d changes for %d domains: the fixture changes nearly everything, so it cannot show that unchanged domains are skipped", window, len(want.Changes), n)
		}
		if !reflect.DeepEqual(got, want) {
			for i := range min(len(got.Changes), len(want.Changes)) {
				if !reflect.DeepEqual(got.Changes[i], want.Changes[i]) {
					t.Fatalf("window %d: change %d differs:\n got %+v\nwant %+v", window, i, got.Changes[i], want.Changes[i])
				}
			}
			t.Fatalf("window %d: diffs differ: %d changes, want %d", window, len(got.Changes), len(want.Changes))
		}
	}
	// No base: only the expiring certificates.
	got, err := d.ComputeDiff(ctx, runs[2], nil, 30)
	if err != nil {
		t.Fatal(err)
	}
	if got.HasBase || len(got.Changes) == 0 || got.Count(ChangeCertExpiring) != len(got.Changes) {
		t.Errorf("diff without a base: has base %v, %d changes, %d expiring", got.HasBase, len(got.Changes), got.Count(ChangeCertExpiring))
	}
}
