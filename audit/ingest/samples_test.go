package ingest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// samplesDir holds the sample lists written by go run ./samples/gen.
var samplesDir = filepath.Join("..", "..", "samples")

// sampleIDN is the A-label of müller-logistik.example.
const sampleIDN = "xn--mller-logistik-gsb.example"

// TestSamples reads the committed sample lists and checks them cell by
// cell against what samples/gen promises.
func TestSamples(t *testing.T) {
	v := func(name string, row int, owner, tier, notes string, tags []string, domains ...string) Vendor {
		return Vendor{Name: name, Domains: domains, Inputs: ids(domains...), Owner: owner, Tier: tier, Notes: notes, Tags: tags, Row: row}
	}
	want := []Vendor{
		v("Northwind Health", 2, "Dana Whitfield", "1", "Cedar Hospice is a subsidiary with its own mail domain", []string{"healthcare", "PHI"},
			"northwind-health.example", "cedar-hospice.example"),
		v("Contoso Billing", 3, "Marcus Lee", "1", "Domain given as an address by the business owner", []string{"finance", "payments"},
			"contoso-billing.example"),
		v("Fabrikam Labs", 4, "Priya Natarajan", "2", "", []string{"lab", "PHI"}, "fabrikam-labs.example"),
		v("Tailspin Pharmacy", 5, "Priya Natarajan", "1", "", []string{"pharmacy", "PHI"}, "tailspin-pharmacy.example"),
		v("Adatum Claims", 6, "Marcus Lee", "1", "", []string{"insurance", "claims"}, "adatum-claims.example"),
		v("Litware Dental", 7, "Dana Whitfield", "2", "", []string{"dental"}, "litware-dental.example"),
		v("Litware Dental Benefits", 8, "Omar Haddad", "3", "Separate contract; same mail domain as Litware Dental", []string{"benefits"},
			"litware-dental.example"),
		v("Wingtip Imaging", 9, "Priya Natarajan", "2", "", []string{"imaging", "PHI"}, "wingtip-imaging.example"),
		v("Proseware Lab", 10, "Priya Natarajan", "2", "", []string{"lab"}, "proseware-lab.example"),
		v("Oldmill Credit Union", 11, "Marcus Lee", "1", "", []string{"finance"}, "oldmill-credit.example"),
		v("Relic Insurance", 12, "Omar Haddad", "3", "Legacy contract, ends 2026", []string{"insurance"}, "relic-insurance.example"),
		v("Humboldt Payroll", 13, "Marcus Lee", "1", "", []string{"payroll", "PII"}, "humboldt-payroll.example"),
		v("Slowpoke Courier", 14, "Omar Haddad", "3", "", []string{"logistics"}, "slowpoke-courier.example"),
		v("Busy Bank", 15, "Marcus Lee", "1", "Entered twice", []string{"finance", "banking"}, "busy-bank.example"),
		v("Noisy Telecom", 16, "Omar Haddad", "3", "", []string{"telecom"}, "noisy-telecom.example"),
		v("Alpine Orthodontics", 17, "Dana Whitfield", "2", "Mail hosted by Megamail", []string{"dental"}, "alpine-ortho.example"),
		v("Birch Vision Care", 18, "Dana Whitfield", "2", "Mail hosted by Megamail", []string{"optometry"}, "birch-vision.example"),
		v("Implicit Records", 19, "Omar Haddad", "3", "No MX record: mail goes to the domain's own address", []string{"records"}, "implicit-records.example"),
		v("No-Mail Analytics", 20, "Omar Haddad", "3", "Publishes a null MX: accepts no mail", []string{"analytics"}, "no-mail.example"),
		v("Müller Logistik GmbH", 21, "Omar Haddad", "3", "Internationalised domain name", []string{"logistics", "EU"}, sampleIDN),
	}
	// The list's "Contact email" column is the vendors' contact, never
	// domains to audit: the list has a domain column.
	for i, c := range map[int]string{0: "privacy@northwind-health.example", 1: "ap@contoso-billing.example",
		2: "results@fabrikam-labs.example", 4: "claims-it@adatum-claims.example", 6: "benefits@litware-dental.example",
		7: "pacs@wingtip-imaging.example", 11: "support@humboldt-payroll.example", 13: "treasury@busy-bank.example",
		19: "kontakt@müller-logistik.example"} {
		want[i].Contact = c
	}
	want[1].Inputs["contoso-billing.example"] = "billing@contoso-billing.example"
	want[19].Inputs[sampleIDN] = "müller-logistik.example"
	problems := []Problem{
		{Row: 22, Value: "Globex Travel", Message: "no domain or e-mail address in this row"},
		{Row: 23, Column: "Domain(s)", Value: "not a domain!", Message: `"not a domain!" is not a domain name or e-mail address`},
		{Row: 24, Column: "Domain(s)", Value: "https://www.vandelay-imports.example/contact",
			Message: `"https://www.vandelay-imports.example/contact" looks like a URL, not a domain name`},
		{Row: 25, Column: "Domain(s)", Value: "busy-bank.example", Message: "duplicate of row 15 (same vendor and domain)"},
	}
	fleet := fleetDomains(t)
	for _, tt := range []struct{ file, sheet string }{{"vendors.csv", ""}, {"vendors.xlsx", "Vendors"}} {
		t.Run(tt.file, func(t *testing.T) {
			l, err := ReadFile(filepath.Join(samplesDir, tt.file), Options{})
			if err != nil {
				t.Fatalf("ReadFile (regenerate with go run ./samples/gen): %v", err)
			}
			vendors := slices.Clone(want)
			for i := range vendors {
				vendors[i].Sheet = tt.sheet
			}
			probs := slices.Clone(problems)
			for i := range probs {
				probs[i].Sheet = tt.sheet
			}
			wantList(t, l, vendors, probs)
			if got := l.ByDomain["litware-dental.example"]; !reflect.DeepEqual(got, []int{5, 6}) {
				t.Errorf("ByDomain[litware-dental.example] = %v, want [5 6]", got)
			}
			// The fleet serves the IDN vendor too; the list must name exactly the fleet's domains.
			wantDomains := slices.Clone(fleet)
			if !slices.Contains(wantDomains, sampleIDN) {
				wantDomains = append(wantDomains, sampleIDN)
			}
			if got := slices.Sorted(slices.Values(l.Domains)); !reflect.DeepEqual(got, slices.Sorted(slices.Values(wantDomains))) {
				t.Errorf("Domains = %q,\nwant the fleet's %q and %s", got, fleet, sampleIDN)
			}
		})
	}
}

// fleetDomains lists the domains of samples/fleet.json.
func fleetDomains(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(samplesDir, "fleet.json"))
	if err != nil {
		t.Fatalf("read fleet.json: %v", err)
	}
	var fleet struct {
		Domains []struct {
			Name string `json:"name"`
		} `json:"domains"`
	}
	if err := json.Unmarshal(data, &fleet); err != nil {
		t.Fatalf("parse fleet.json: %v", err)
	}
	var names []string
	for _, d := range fleet.Domains {
		names = append(names, d.Name)
	}
	if len(names) == 0 {
		t.Fatalf("fleet.json lists no domains")
	}
	return names
}
