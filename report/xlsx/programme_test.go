package xlsx

import (
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/report"
)

// TestProgrammeSheets: the Tracker has one row per open or accepted
// finding (overdue first) with dates as dates, the Exceptions sheet is the
// register with revocations, and the Control matrix one row per control.
func TestProgrammeSheets(t *testing.T) {
	first := time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)
	due := time.Date(2027, 1, 8, 9, 0, 0, 0, time.UTC)
	revoked := time.Date(2027, 1, 20, 10, 0, 0, 0, time.UTC)
	r := &report.Report{
		Vendors: []report.VendorRow{{Vendor: "Acme", Domain: "a.example", Owner: "Dana", Tier: "1"}, {Vendor: "Beta", Domain: "b.example", Owner: "Omar", Tier: "3"}},
		Findings: []report.Finding{
			{ID: "1111111111111111", Vendors: []string{"Beta"}, Domain: "b.example", Code: "TLS10_ENABLED", Severity: "medium", SeverityNum: 2, Status: "open",
				FirstSeen: &report.SeenAt{Run: 1, At: first}, AgeDays: 40, Due: &due},
			{ID: "2222222222222222", Vendors: []string{"Acme"}, Domain: "a.example", Host: "mx.a.example", IP: "192.0.2.1", Code: "SSLV3_ENABLED",
				Severity: "critical", SeverityNum: 4, Status: "reopened", FirstSeen: &report.SeenAt{Run: 1, At: first}, AgeDays: 40, Due: &due, Overdue: true},
			{ID: "3333333333333333", Vendors: []string{"Acme"}, Domain: "a.example", Code: "CERT_EXPIRED", Severity: "critical", SeverityNum: 4, Status: "accepted",
				FirstSeen: &report.SeenAt{Run: 1, At: first}, Due: &due, Exception: &report.FindingException{ID: "EX-1", Approver: "Jane Roe", Reason: "r", Expires: "2027-03-01"}},
			{ID: "4444444444444444", Vendors: []string{"Acme"}, Domain: "a.example", Code: "NO_TLS13", Severity: "info", SeverityNum: 0, Status: "open"},
		},
		Programme: &report.Programme{
			Exceptions: []report.ExceptionView{
				{ID: "EX-1", State: "active", Domain: "a.example", Code: "CERT_EXPIRED", Approver: "Jane Roe", Reason: "r", Expires: "2027-03-01", Source: "database", Findings: 1, CreatedAt: &first},
				{ID: "EX-2", State: "revoked", Domain: "b.example", Approver: "Ann", Reason: "=cmd|' /C calc'!A0", Expires: "2027-06-01", Source: "database",
					RevokedAt: &revoked, RevokedBy: "Bob", RevokeReason: "fixed"},
			},
			Controls: []report.VendorControls{{Vendor: "Acme", Domain: "a.example", Frameworks: []grade.Framework{
				{Name: "HIPAA", Status: "accepted", Controls: []grade.Control{{ID: "hipaa.164_312_e", Title: "45 CFR §164.312(e)", Status: grade.ControlFail, Reason: "fails on CERT_EXPIRED, accepted by exception"}}},
				{Name: "PCI DSS", Status: grade.ControlFail, Controls: []grade.Control{{ID: "pcidss.4_2_1", Title: "PCI DSS 4.0 Req. 4.2.1", Status: grade.ControlFail, Reason: "fails on SSLV3_ENABLED"}}},
			}}},
		},
	}
	fx, err := render("programme", r, maxDataRows)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := fx.f.GetRows(sheetTracker)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("tracker rows = %d, want a header and 3 (the info finding left out)", len(rows))
	}
	if rows[1][0] != "2222222222222222" || rows[1][9] != "reopened" || rows[1][13] != "yes" || rows[3][14] != "EX-1" || rows[3][15] != "Jane Roe" {
		t.Errorf("tracker = %q; want the overdue finding first and the accepted one with its exception", rows)
	}
	for _, c := range []string{"K2", "M2", "Q4"} { // first seen, due, exception expires
		typ, err := fx.f.GetCellType(sheetTracker, c)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := fx.f.GetCellValue(sheetTracker, c, excelize.Options{RawCellValue: true})
		// A date is a serial number (days since 1900) in a date style.
		if n, err := strconv.ParseFloat(raw, 64); err != nil || n < 46000 || (typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber) {
			t.Errorf("%s is not a date: type %v raw %q", c, typ, raw)
		}
	}
	if v, _ := fx.f.GetCellValue(sheetTracker, "Q4"); v == "" {
		t.Error("the exception's expiry is empty")
	}
	ex, err := fx.f.GetRows(sheetExceptions)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 3 || ex[2][0] != "EX-2" || ex[2][1] != "revoked" || ex[2][14] != "Bob" || ex[2][8] != "'=cmd|' /C calc'!A0" && ex[2][8] != "=cmd|' /C calc'!A0" {
		t.Errorf("exceptions = %q", ex)
	}
	if f, _ := fx.f.GetCellFormula(sheetExceptions, "I3"); f != "" {
		t.Errorf("a reason became a formula: %q", f)
	}
	cm, err := fx.f.GetRows(sheetControls)
	if err != nil {
		t.Fatal(err)
	}
	if len(cm) != 3 || cm[1][4] != "HIPAA" || cm[1][6] != "accepted" || cm[2][6] != "fail" {
		t.Errorf("control matrix = %q", cm)
	}
}
