package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/reporttest"
)

func TestPostureInReport(t *testing.T) {
	path, _, run2, err := reporttest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r, err := report.Build(context.Background(), store, run2, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	dv, ok, err := r.DomainNamed("acme-health.example")
	if err != nil || !ok {
		t.Fatalf("acme-health.example: %v %v", ok, err)
	}
	if dv.SPF == nil || dv.SPF.Status != "valid" || dv.SPF.All == nil || *dv.SPF.All != "-all" || dv.SPF.Lookups != 1 {
		t.Errorf("spf %+v", dv.SPF)
	}
	if dv.DMARC == nil || dv.DMARC.Status != "valid" || dv.DMARC.Policy == nil || *dv.DMARC.Policy != "reject" ||
		dv.DMARC.PCT == nil || *dv.DMARC.PCT != 100 || len(dv.DMARC.RUA) != 1 {
		t.Errorf("dmarc %+v", dv.DMARC)
	}
	if dv.SenderAuth != "strong" || len(dv.Frameworks) != 2 || dv.Frameworks[0].Name != grade.FrameworkBOD1801 ||
		dv.Frameworks[0].Status != grade.ControlPass {
		t.Errorf("sender auth %q frameworks %+v", dv.SenderAuth, dv.Frameworks)
	}
	billing, _, _ := r.DomainNamed("acme-billing.example")
	if billing.DMARC == nil || len(billing.DMARC.UnauthorizedDestinations) != 1 || billing.DMARC.UnauthorizedDestinations[0] != "reports.example" ||
		*billing.DMARC.SubdomainPolicy != "none" || *billing.DMARC.PCT != 50 {
		t.Errorf("acme-billing dmarc %+v", billing.DMARC)
	}
	bolt, _, _ := r.DomainNamed("bolt-bank.example")
	if bolt.SPF == nil || bolt.SPF.Status != "missing" || bolt.SPF.Record != nil || bolt.SPF.All != nil || bolt.DMARC.Status != "missing" {
		t.Errorf("bolt-bank spf %+v dmarc %+v", bolt.SPF, bolt.DMARC)
	}
	null, _, _ := r.DomainNamed("null.example")
	if len(null.Frameworks) == 0 || null.Frameworks[0].Status != grade.ControlPass {
		t.Errorf("null MX with -all and p=reject: %+v", null.Frameworks)
	}

	var change *report.Change
	for i, c := range r.Changes {
		if c.Domain == "acme-health.example" && c.Kind == db.ChangeDMARCChanged {
			change = &r.Changes[i]
		}
	}
	if change == nil || change.Text != "DMARC policy changed from none to reject" || change.Bad {
		t.Errorf("dmarc change %+v", change)
	}
	var rows int
	for _, v := range r.Vendors {
		if v.Domain == "acme-health.example" {
			rows++
			if v.SPF != "valid -all" || v.DMARC != "p=reject" || v.SenderAuth != "strong" || len(v.Frameworks) != 2 {
				t.Errorf("vendor row %+v", v)
			}
		}
	}
	if rows != 1 {
		t.Errorf("%d rows for acme-health.example", rows)
	}

	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Domains []map[string]json.RawMessage `json:"domains"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, d := range doc.Domains {
		for _, k := range []string{"spf", "dmarc", "frameworks"} {
			if _, ok := d[k]; !ok {
				t.Errorf("domain %s has no %q", d["domain"], k)
			}
		}
	}
	if !strings.Contains(buf.String(), `"unauthorized_destinations":[`) || !strings.Contains(buf.String(), `"all":null`) {
		t.Errorf("JSON lacks unauthorized_destinations or a null all")
	}

	// The configuration chooses the profiles shown.
	r, err = report.Build(context.Background(), store, run2, report.Options{Org: report.Org{Profiles: []string{grade.FrameworkNIST177}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	dv, _, _ = r.DomainNamed("acme-health.example")
	if len(dv.Frameworks) != 1 || dv.Frameworks[0].Name != grade.FrameworkNIST177 {
		t.Errorf("profiles [NIST]: %+v", dv.Frameworks)
	}
	r, err = report.Build(context.Background(), store, run2, report.Options{Org: report.Org{Profiles: []string{}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.LoadRows(); err != nil {
		t.Fatal(err)
	}
	dv, _, _ = r.DomainNamed("acme-health.example")
	if len(dv.Frameworks) != 0 || dv.Frameworks == nil {
		t.Errorf("profiles []: %+v", dv.Frameworks)
	}
}
