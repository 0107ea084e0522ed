package pdf

import (
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/programme"
	"github.com/mxaudit/mxaudit/report"
)

// TestProgrammeSection: the "Open findings and deadlines" section follows
// the summary, lists overdue findings first, the accepted risks with
// approver and expiry, the exceptions expiring soon and the certificates
// due before the next run; the summary counts open, overdue and accepted
// findings; the control matrix shows the overlay status.
func TestProgrammeSection(t *testing.T) {
	r := *fx.second
	r.Findings = append([]report.Finding(nil), fx.second.Findings...)
	prog := *fx.second.Programme
	r.Programme = &prog
	due := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	var overdueTitle, acceptedTitle string
	for i := range r.Findings {
		f := &r.Findings[i]
		if f.SeverityNum == 0 {
			continue
		}
		switch {
		case acceptedTitle == "":
			f.Status, f.Overdue = string(programme.StatusAccepted), false
			f.Exception = &report.FindingException{ID: "EX-7", Approver: "Jane Roe", Reason: "gateway replacement", Expires: "2026-03-20", Ticket: "CHG-1"}
			acceptedTitle = f.Title
		case overdueTitle == "" && f.Domain != r.Findings[0].Domain:
			f.Due, f.Overdue = &due, true
			overdueTitle = f.Title
		}
	}
	ex := report.ExceptionView{ID: "EX-7", Scope: "every finding of acme-billing.example", Approver: "Jane Roe", Reason: "gateway replacement",
		Ticket: "CHG-1", Expires: "2026-03-20", State: programme.StateActive, Findings: 1}
	prog.Exceptions, prog.Expiring = []report.ExceptionView{ex}, []report.ExceptionView{ex}
	prog.Conflicts = []report.ExceptionConflict{{FileID: "file-1", StoredID: "EX-7", Why: "EX-7 already covers it"}}
	prog.CertsBeforeNextRun = []report.CertWatch{{Vendors: []string{"Crux Labs"}, Domain: "crux-labs.example", Host: "mx.crux-labs.example",
		IP: "127.0.0.9", NotAfter: fixedNow.AddDate(0, 0, 12), Days: 12}}
	r.Summary.OpenFindings, r.Summary.OverdueFindings, r.Summary.AcceptedFindings = 9, 1, 1

	_, p := render(t, &r, Options{})
	text := p.allText()
	body := strings.Join(bodyLines(p), "\n")
	title := prose(t, "programme.title", nil)
	// Each title is in the contents first, then heads its section.
	heading := func(s string) int {
		first := strings.Index(body, s)
		if first < 0 {
			return -1
		}
		next := strings.Index(body[first+len(s):], s)
		if next < 0 {
			return -1
		}
		return first + len(s) + next
	}
	sum, prg, vend := heading(prose(t, "summary.title", nil)), heading(title), heading(prose(t, "vendors.title", nil))
	if sum < 0 || prg < sum || vend < prg {
		t.Fatalf("section order: summary %d, programme %d, vendors %d", sum, prg, vend)
	}
	section := body[prg:vend]
	for _, want := range []string{"Jane Roe", "2026-03-20", "gateway replacement", "CHG-1", "EX-7",
		"crux-labs.example", "in 12 days", "file-1 of the exceptions file was not applied"} {
		if !strings.Contains(strings.Join(strings.Fields(section), " "), want) {
			t.Errorf("the programme section lacks %q", want)
		}
	}
	// Overdue first: the overdue finding is the first row of the open table.
	due0 := strings.Index(section, prose(t, "col.due", nil))
	if due0 < 0 {
		t.Fatal("no open findings table")
	}
	open := section[due0:]
	// The table's cells wrap: the first row's lines hold the overdue finding.
	rows := strings.Split(open, "\n")
	if len(rows) < 3 || !strings.Contains(rows[1], "2026-02-01") || !strings.Contains(rows[1]+rows[2], "overdue") ||
		!strings.Contains(strings.Join(strings.Fields(rows[1]+" "+rows[2]), " "), strings.Fields(overdueTitle)[0]) {
		t.Errorf("the first row is not the overdue finding %q:\n%s", overdueTitle, strings.Join(rows[:min(len(rows), 4)], "\n"))
	}
	for _, want := range []string{prose(t, "fig.open_findings", nil), prose(t, "fig.overdue_findings", nil), prose(t, "fig.accepted_findings", nil)} {
		if !strings.Contains(text, want) {
			t.Errorf("the summary lacks %q", want)
		}
	}
	if !strings.Contains(body, prose(t, "controls.title", nil)) || !strings.Contains(body, "45 CFR §164.312(e)(1)") {
		t.Errorf("no control matrix with its HIPAA control")
	}
}
