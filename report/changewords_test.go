package report

import (
	"reflect"
	"regexp"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/db"
)

// findingCode matches a finding code in text: upper-case words joined by
// underscores ("SSLV3_ENABLED").
var findingCode = regexp.MustCompile(`\b[A-Z0-9]+(_[A-Z0-9]+)+\b`)

// TestVendorChanges: each vendor's change is one sentence with its grade
// move and its main causes in plain words, the heaviest first (the one
// that moved the grade), never a finding code; a vendor with two domains
// names the domain of each cause; nothing is said of a vendor whose
// grade stayed and whose findings changed only at info level.
func TestVendorChanges(t *testing.T) {
	appeared := func(dom, code, sev string) db.Change {
		return db.Change{Kind: db.ChangeFindingAppeared, Domain: dom, Code: code, Severity: sev, Host: "mx." + dom, IP: "192.0.2.1"}
	}
	cleared := func(dom, code, sev string) db.Change {
		return db.Change{Kind: db.ChangeFindingResolved, Domain: dom, Code: code, Severity: sev, Host: "mx." + dom}
	}
	diff := &db.Diff{Run: 2, Base: 1, HasBase: true, Changes: []db.Change{
		{Kind: db.ChangeGradeDown, Domain: "fabrikam.example", From: "A-", To: "F"},
		appeared("fabrikam.example", "TLS10_ENABLED", "medium"),
		appeared("fabrikam.example", "SSLV3_ENABLED", "high"),
		{Kind: db.ChangeFindingAppeared, Domain: "fabrikam.example", Code: "SSLV3_ENABLED", Severity: "high", Host: "mx2.fabrikam.example"},
		{Kind: db.ChangeGradeUp, Domain: "contoso.example", From: "C", To: "A"},
		cleared("contoso.example", "NO_FORWARD_SECRECY", "low"),
		cleared("contoso.example", "WEAK_CIPHERS", "medium"),
		appeared("quiet.example", "MTASTS_MISSING", "info"),
		appeared("north.example", "TLS10_ENABLED", "medium"),
		appeared("cedar.example", "WEAK_CIPHERS", "medium"),
		{Kind: db.ChangeCarried, Domain: "gone.example", From: "B", Since: 1},
		{Kind: db.ChangeDomainAdded, Domain: "new.example"},
	}}
	vendors := []db.VendorRow{
		{Vendor: "Fabrikam Labs", Domain: "fabrikam.example"},
		{Vendor: "Contoso", Domain: "contoso.example"},
		{Vendor: "Quiet", Domain: "quiet.example"},
		{Vendor: "Northwind", Domain: "north.example"},
		{Vendor: "Northwind", Domain: "cedar.example"},
		{Vendor: "Gone", Domain: "gone.example"},
		{Vendor: "Newco", Domain: "new.example"},
	}
	base := map[string]string{"fabrikam.example": "A-", "contoso.example": "C", "quiet.example": "B",
		"north.example": "B", "cedar.example": "A", "gone.example": "B"}
	cur := map[string]string{"fabrikam.example": "F", "contoso.example": "A", "quiet.example": "B",
		"north.example": "B", "cedar.example": "B", "gone.example": "?", "new.example": "A+"}
	got, rows := vendorChanges(changeInputs{diff: diff, vendors: vendors, base: base, cur: cur, policy: grade.Default()})
	want := []string{
		"Fabrikam Labs dropped from A- to F: SSLv3 turned on and TLS 1.0 turned on",
		"Gone could not be audited in this run; grade B carried from run 1",
		"Northwind stayed at B: TLS 1.0 turned on (north.example) and weak cipher suites turned on (cedar.example)",
		"Contoso improved from C to A: weak cipher suites turned off and forward secrecy turned on",
		"Newco is new to the list, graded A+",
	}
	var texts []string
	for _, vc := range got {
		texts = append(texts, vc.Text)
		if findingCode.MatchString(vc.Text) {
			t.Errorf("a finding code in %q", vc.Text)
		}
	}
	if !reflect.DeepEqual(texts, want) {
		t.Errorf("sentences:\n%q\nwant\n%q", texts, want)
	}
	if got[0].Move != MoveDown || !got[0].Bad || got[0].From != "A-" || got[0].To != "F" || len(got[0].Causes) != 2 {
		t.Errorf("first change %+v", got[0])
	}
	wantRows := map[string]string{
		"fabrikam.example": "Dropped from A- to F: SSLv3 turned on and TLS 1.0 turned on",
		"contoso.example":  "Improved from C to A: weak cipher suites turned off and forward secrecy turned on",
		"north.example":    "Stayed at B: TLS 1.0 turned on",
		"cedar.example":    "Dropped from A to B: weak cipher suites turned on",
		"gone.example":     "Could not be audited in this run; grade B carried from run 1",
		"new.example":      "Is new to the list, graded A+",
	}
	if !reflect.DeepEqual(rows, wantRows) {
		t.Errorf("row texts:\n%q\nwant\n%q", rows, wantRows)
	}
	// No base: nothing to say.
	if got, rows := vendorChanges(changeInputs{diff: &db.Diff{Run: 1}, vendors: vendors, cur: cur, policy: grade.Default()}); len(got)+len(rows) != 0 {
		t.Errorf("first run: %+v %+v", got, rows)
	}
}

// TestChangeTextHasNoCode: the per-domain change lines name findings in
// words too.
func TestChangeTextHasNoCode(t *testing.T) {
	for _, ch := range []db.Change{
		{Kind: db.ChangeFindingAppeared, Code: "SSLV3_ENABLED", Severity: "high", Host: "mx.example", IP: "192.0.2.1"},
		{Kind: db.ChangeFindingResolved, Code: "TLS10_ENABLED", Host: "mx.example"},
	} {
		s := ChangeText(ch, nil)
		if findingCode.MatchString(s) || s == "" {
			t.Errorf("%s: %q", ch.Kind, s)
		}
	}
	if s := ChangeText(db.Change{Kind: db.ChangeFindingAppeared, Code: "SSLV3_ENABLED", Severity: "high", Host: "mx.example", IP: "192.0.2.1"}, nil); s != "SSLv3 turned on (high) at mx.example (192.0.2.1)" {
		t.Errorf("appeared: %q", s)
	}
}

// TestDomainScore: a domain's score is that of the address that sets its
// grade (the worst-graded, the lowest score among equals), not the lowest
// score overall; none when no address was graded.
func TestDomainScore(t *testing.T) {
	addr := func(g grade.Grade, score int) grade.AddressGrade { return grade.AddressGrade{Grade: g, Score: score} }
	for _, c := range []struct {
		name  string
		addrs [][]grade.AddressGrade
		want  *int
	}{
		{"worst grade wins over a lower score", [][]grade.AddressGrade{{addr(grade.GradeB, 70)}, {addr(grade.GradeF, 90), addr(grade.GradeC, 60)}}, ptr(90)},
		{"lowest score among the worst", [][]grade.AddressGrade{{addr(grade.GradeD, 55), addr(grade.GradeD, 50)}}, ptr(50)},
		{"non-grades are passed over", [][]grade.AddressGrade{{addr(grade.GradeInconclusive, 0), addr(grade.GradeA, 95)}}, ptr(95)},
		{"nothing graded", [][]grade.AddressGrade{{addr(grade.GradeInconclusive, 0)}}, nil},
		{"no MX", nil, nil},
	} {
		var g grade.DomainGrade
		for _, as := range c.addrs {
			g.MX = append(g.MX, grade.MXGrade{Addresses: as})
		}
		got := DomainScore(g)
		if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func ptr(n int) *int { return &n }
