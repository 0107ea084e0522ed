// Command gen writes the sample vendor lists samples/vendors.csv and
// samples/vendors.xlsx from one table, so that the two always agree.
// Run it from the module root after changing the table:
//
//	go run ./samples/gen
//
// The lists name every domain of samples/fleet.json, plus the cases a real
// list has: a vendor with two domains, a domain shared by two vendors, an
// e-mail address where a domain was expected, an internationalised domain
// (müller-logistik.example, which the sample fleet does not serve, so it does
// not resolve in the demo) and four bad rows that the reader reports as
// input problems (no domain, "not a domain!", a URL, a duplicate).
// audit/ingest's TestSamples checks the files against this description.
package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xuri/excelize/v2"
)

// header is the first row of both lists.
func header() []string {
	return []string{"Vendor", "Domain(s)", "Contact email", "Owner", "Tier", "Tags", "Notes"}
}

// vendors are the data rows, spreadsheet rows 2 onwards; the tier column is
// written as a number in the workbook.
func vendors() [][]string {
	return [][]string{
		{"Northwind Health", "northwind-health.example; cedar-hospice.example", "privacy@northwind-health.example", "Dana Whitfield", "1", "healthcare; PHI", "Cedar Hospice is a subsidiary with its own mail domain"},
		{"Contoso Billing", "billing@contoso-billing.example", "ap@contoso-billing.example", "Marcus Lee", "1", "finance; payments", "Domain given as an address by the business owner"},
		{"Fabrikam Labs", "fabrikam-labs.example", "results@fabrikam-labs.example", "Priya Natarajan", "2", "lab; PHI", ""},
		{"Tailspin Pharmacy", "tailspin-pharmacy.example", "", "Priya Natarajan", "1", "pharmacy; PHI", ""},
		{"Adatum Claims", "adatum-claims.example", "claims-it@adatum-claims.example", "Marcus Lee", "1", "insurance; claims", ""},
		{"Litware Dental", "litware-dental.example", "", "Dana Whitfield", "2", "dental", ""},
		{"Litware Dental Benefits", "litware-dental.example", "benefits@litware-dental.example", "Omar Haddad", "3", "benefits", "Separate contract; same mail domain as Litware Dental"},
		{"Wingtip Imaging", "wingtip-imaging.example", "pacs@wingtip-imaging.example", "Priya Natarajan", "2", "imaging; PHI", ""},
		{"Proseware Lab", "proseware-lab.example", "", "Priya Natarajan", "2", "lab", ""},
		{"Oldmill Credit Union", "oldmill-credit.example", "", "Marcus Lee", "1", "finance", ""},
		{"Relic Insurance", "relic-insurance.example", "", "Omar Haddad", "3", "insurance", "Legacy contract, ends 2026"},
		{"Humboldt Payroll", "humboldt-payroll.example", "support@humboldt-payroll.example", "Marcus Lee", "1", "payroll; PII", ""},
		{"Slowpoke Courier", "slowpoke-courier.example", "", "Omar Haddad", "3", "logistics", ""},
		{"Busy Bank", "busy-bank.example", "treasury@busy-bank.example", "Marcus Lee", "1", "finance; banking", ""},
		{"Noisy Telecom", "noisy-telecom.example", "", "Omar Haddad", "3", "telecom", ""},
		{"Alpine Orthodontics", "alpine-ortho.example", "", "Dana Whitfield", "2", "dental", "Mail hosted by Megamail"},
		{"Birch Vision Care", "birch-vision.example", "", "Dana Whitfield", "2", "optometry", "Mail hosted by Megamail"},
		{"Implicit Records", "implicit-records.example", "", "Omar Haddad", "3", "records", "No MX record: mail goes to the domain's own address"},
		{"No-Mail Analytics", "no-mail.example", "", "Omar Haddad", "3", "analytics", "Publishes a null MX: accepts no mail"},
		{"Müller Logistik GmbH", "müller-logistik.example", "kontakt@müller-logistik.example", "Omar Haddad", "3", "logistics; EU", "Internationalised domain name"},
		{"Globex Travel", "", "", "Marcus Lee", "3", "travel", "Domain to be confirmed"},
		{"Initech Supplies", "not a domain!", "", "Omar Haddad", "3", "office", ""},
		{"Vandelay Imports", "https://www.vandelay-imports.example/contact", "", "Omar Haddad", "3", "import", "Website given instead of the mail domain"},
		{"Busy Bank", "busy-bank.example", "", "", "", "", "Entered twice"},
	}
}

// tierColumn is the index of the tier column, written as a number.
const tierColumn = 4

func main() {
	dir := flag.String("dir", "samples", "directory to write vendors.csv and vendors.xlsx into")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	csvData, err := buildCSV()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "vendors.csv"), csvData, 0o644); err != nil {
		return err
	}
	xlsxData, err := buildXLSX()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "vendors.xlsx"), xlsxData, 0o644)
}

// buildCSV writes the list as Excel's "CSV UTF-8" does: with a byte order mark.
func buildCSV() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	if err := w.Write(header()); err != nil {
		return nil, err
	}
	if err := w.WriteAll(vendors()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buildXLSX writes the list on a "Vendors" sheet, with a second "About" sheet.
func buildXLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Vendors"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	rows := append([][]string{header()}, vendors()...)
	for r, cells := range rows {
		row := make([]any, len(cells))
		for i, c := range cells {
			row[i] = c
			if r > 0 && i == tierColumn && c != "" {
				var tier int
				if _, err := fmt.Sscan(c, &tier); err != nil {
					return nil, fmt.Errorf("row %d: tier %q: %w", r+1, c, err)
				}
				row[i] = tier
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, r+1)
		if err != nil {
			return nil, err
		}
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return nil, err
		}
	}
	last, err := excelize.CoordinatesToCellName(len(rows[0]), len(rows))
	if err != nil {
		return nil, err
	}
	if err := f.SetRowStyle(sheet, 1, 1, bold); err != nil {
		return nil, err
	}
	if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
		return nil, err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	for col, width := range map[string]float64{"A": 26, "B": 46, "C": 34, "D": 18, "E": 6, "F": 20, "G": 50} {
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return nil, err
		}
	}
	if _, err := f.NewSheet("About"); err != nil {
		return nil, err
	}
	about := [][]any{
		{"Sample vendor list for mxaudit"},
		{"Generated by go run ./samples/gen; the same rows are in vendors.csv."},
		{"Audit it with: mxaudit run samples/vendors.xlsx (the Vendors sheet is read by default)."},
	}
	for r, row := range about {
		if err := f.SetSheetRow("About", fmt.Sprintf("A%d", r+1), &row); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
