package programme

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
)

func day(s string) time.Time {
	t, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSLAAcrossTiers(t *testing.T) {
	sla := DefaultSLA()
	cases := []struct {
		sev    grade.Severity
		tier   int
		want   int
		wantOK bool
	}{
		{grade.Critical, 1, 7, true},
		{grade.Critical, 2, 14, true},
		{grade.Critical, 3, 30, true},
		{grade.Critical, 0, 7, true}, // unknown tier: the strictest listed
		{grade.Critical, 9, 7, true}, // unlisted tier: the strictest listed
		{grade.High, 2, 45, true},
		{grade.Medium, 1, 90, true}, // plain number: every tier
		{grade.Medium, 3, 90, true},
		{grade.Low, 0, 180, true},
		{grade.Info, 1, 0, false},
	}
	for _, c := range cases {
		got, ok := sla.For(c.sev, c.tier)
		if got != c.want || ok != c.wantOK {
			t.Errorf("For(%s, tier %d) = %d, %v; want %d, %v", c.sev, c.tier, got, ok, c.want, c.wantOK)
		}
	}
	custom := SLA{Days: map[grade.Severity]map[int]int{grade.High: {1: 10, 0: 40}}}
	if d, _ := custom.For(grade.High, 3); d != 40 {
		t.Errorf("a tier not listed takes the plain number: got %d, want 40", d)
	}
	if _, ok := custom.For(grade.Critical, 1); ok {
		t.Error("a severity without an entry has no deadline")
	}
	if s := DefaultSLA().String(); !strings.Contains(s, "critical: 1=7 2=14 3=30") || !strings.Contains(s, "low: 180") {
		t.Errorf("String() = %q", s)
	}
}

func TestTierNumber(t *testing.T) {
	for in, want := range map[string]int{"1": 1, "Tier 2": 2, "T3": 3, "high": 0, "": 0, "tier 12 (critical)": 12} {
		if got := TierNumber(in); got != want {
			t.Errorf("TierNumber(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestValidateRefusesBadExceptions(t *testing.T) {
	now := time.Date(2027, 3, 10, 15, 0, 0, 0, time.UTC)
	good := Exception{Domain: "acme.example", Code: "SSLV3_ENABLED", Approver: "Jane Roe", Reason: "migration", Expires: day("2027-03-11")}
	if err := good.Validate(now); err != nil {
		t.Fatalf("tomorrow's expiry refused: %v", err)
	}
	cases := map[string]struct {
		mod  func(*Exception)
		want string
	}{
		"expires today":    {func(e *Exception) { e.Expires = day("2027-03-10") }, "not after today"},
		"expired":          {func(e *Exception) { e.Expires = day("2026-01-01") }, "not after today"},
		"unknown code":     {func(e *Exception) { e.Code = "NOT_A_CODE" }, "unknown finding code"},
		"variant not code": {func(e *Exception) { e.Code = "MTASTS_MX_NOT_COVERED/testing" }, "unknown finding code"},
		"no approver":      {func(e *Exception) { e.Approver = "  " }, ErrNoApprover.Error()},
		"no reason":        {func(e *Exception) { e.Reason = "" }, ErrNoReason.Error()},
		"no domain":        {func(e *Exception) { e.Domain = "" }, ErrNoDomain.Error()},
		"no expiry":        {func(e *Exception) { e.Expires = time.Time{} }, "expiry date is required"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			e := good
			c.mod(&e)
			err := e.Validate(now)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate = %v, want an error containing %q", err, c.want)
			}
		})
	}
	e := good
	e.Approver = ""
	if !errors.Is(e.Validate(now), ErrNoApprover) {
		t.Error("a missing approver is ErrNoApprover")
	}
	e = good
	e.Code = "sslv3_enabled"
	if err := e.Validate(now); err != nil {
		t.Errorf("codes are matched in any case: %v", err)
	}
}

func TestExceptionStates(t *testing.T) {
	e := Exception{ID: "EX-1", Domain: "Acme.Example.", Code: "SSLV3_ENABLED", Approver: "Jane", Reason: "r", Ticket: "CHG-7", Expires: day("2027-04-01")}
	if !e.Covers("sslv3_enabled", "acme.example", "mx.acme.example", "192.0.2.1") {
		t.Error("a code exception covers every host and address of the domain")
	}
	if e.Covers("TLS10_ENABLED", "acme.example", "", "") || e.Covers("SSLV3_ENABLED", "other.example", "", "") {
		t.Error("covers another code or domain")
	}
	narrow := Exception{Domain: "acme.example", Host: "mx1.acme.example", IP: "192.0.2.1"}
	if !narrow.Covers("ANY", "acme.example", "MX1.acme.example.", "192.0.2.1") || narrow.Covers("ANY", "acme.example", "mx1.acme.example", "192.0.2.2") {
		t.Error("host and address narrow an exception")
	}
	if got := e.State(day("2027-03-31").Add(23 * time.Hour)); got != StateActive {
		t.Errorf("the day before expiry: %s", got)
	}
	if got := e.State(day("2027-04-01")); got != StateExpired {
		t.Errorf("on the expiry date: %s", got)
	}
	e.Revoked = &Revocation{At: day("2027-03-20"), By: "Bob", Reason: "fixed early"}
	if e.State(day("2027-03-19")) != StateActive || e.State(day("2027-03-21")) != StateRevoked || !e.Ended().Equal(day("2027-03-20")) {
		t.Error("a revocation ends the exception at its time, not before")
	}
	if got := e.Label(); got != "accepted risk until 2027-04-01, Jane, r, ticket CHG-7" {
		t.Errorf("Label() = %q", got)
	}
}

func TestMergeReportsConflicts(t *testing.T) {
	now := day("2027-03-01")
	stored := []Exception{{ID: "EX-1", Domain: "acme.example", Code: "SSLV3_ENABLED", Approver: "Jane", Reason: "r", Expires: day("2027-06-01"), Source: SourceDatabase}}
	same := stored[0]
	same.ID, same.Source = "acme-sslv3", "exceptions.yaml"
	other := same
	other.ID, other.Expires = "acme-sslv3-longer", day("2028-01-01")
	fresh := Exception{ID: "beta", Domain: "beta.example", Approver: "Ann", Reason: "r", Expires: day("2027-05-01"), Source: "exceptions.yaml"}
	sameID := fresh
	sameID.ID, sameID.Domain = "EX-1", "gamma.example"

	merged, conflicts := Merge(stored, []Exception{same, other, fresh, sameID}, now)
	if len(merged) != 2 || merged[0].ID != "EX-1" || merged[1].ID != "beta" {
		t.Errorf("merged = %+v; want the stored one and the new file one", merged)
	}
	if len(conflicts) != 2 {
		t.Fatalf("conflicts = %+v; want the longer expiry and the reused id", conflicts)
	}
	if conflicts[0].File.ID != "acme-sslv3-longer" || !strings.Contains(conflicts[0].Why, "EX-1 already covers") {
		t.Errorf("conflict 0 = %+v", conflicts[0])
	}
	if conflicts[1].File.ID != "EX-1" || !strings.Contains(conflicts[1].Why, "same id") {
		t.Errorf("conflict 1 = %+v", conflicts[1])
	}
}

// fixture: three runs a month apart; finding a seen in all three, b in
// runs 1 and 3 (resolved in 2, back in 3), c only in run 2 (resolved in 3),
// d new in run 3.
func history() (History, map[string]Finding) {
	runs := []RunRef{{1, day("2027-01-01")}, {2, day("2027-02-01")}, {3, day("2027-03-01")}}
	mk := func(code string, sev grade.Severity, host string, tier int, rs ...int64) (Finding, *Seen) {
		f := Finding{ID: grade.FindingID(code, "acme.example", host, ""), Code: code, Domain: "acme.example", Host: host, Severity: sev, Tier: tier}
		return f, &Seen{Code: code, Domain: "acme.example", Host: host, Severity: sev, Runs: rs}
	}
	fs := map[string]Finding{}
	h := History{Runs: runs, Findings: map[string]*Seen{}}
	for name, spec := range map[string]struct {
		code string
		sev  grade.Severity
		runs []int64
	}{
		"a": {"SSLV3_ENABLED", grade.Critical, []int64{1, 2, 3}},
		"b": {"TLS10_ENABLED", grade.Medium, []int64{1, 3}},
		"c": {"CERT_EXPIRED", grade.Critical, []int64{2}},
		"d": {"NO_TLS13", grade.Low, []int64{3}},
	} {
		f, s := mk(spec.code, spec.sev, "mx.acme.example", 2, spec.runs...)
		fs[name] = f
		h.Findings[f.ID] = s
	}
	return h, fs
}

func TestEvaluateLifecycleAndDeadlines(t *testing.T) {
	h, fs := history()
	now := day("2027-03-01").Add(2 * time.Hour)
	in := Input{Now: now, History: h, SLA: DefaultSLA(),
		Letters: []Letter{{Ref: "L", RunID: 1, Domains: []string{"acme.example"}, SentOn: day("2027-01-20")}}}
	res := Evaluate(in, []Finding{fs["a"], fs["b"], fs["d"]})

	a := res.Tracks[fs["a"].ID]
	if a.Status != StatusOpen || a.FirstSeen.ID != 1 || a.AgeDays != 59 {
		t.Errorf("a = %+v; want open, first seen in run 1, 59 days old", a)
	}
	// Critical at tier 2: 14 days from the letter sent on January 20.
	if a.Due == nil || !a.Due.Equal(day("2027-02-03")) || !a.Overdue || a.SLADays != 14 {
		t.Errorf("a due %v overdue %v sla %d; want 2027-02-03, overdue, 14 days", a.Due, a.Overdue, a.SLADays)
	}
	b := res.Tracks[fs["b"].ID]
	if b.Status != StatusReopened {
		t.Errorf("b (resolved in run 2, back in 3) status = %s, want reopened", b.Status)
	}
	// Medium: 90 days from the letter (sent after b was first seen).
	if b.Due == nil || !b.Due.Equal(day("2027-01-20").AddDate(0, 0, 90)) || b.Overdue {
		t.Errorf("b due %v overdue %v", b.Due, b.Overdue)
	}
	d := res.Tracks[fs["d"].ID]
	if d.Status != StatusOpen || d.FirstSeen.ID != 3 || d.AgeDays != 0 || d.Notified != nil {
		t.Errorf("d = %+v; a letter sent before a finding was seen is not its notice", d)
	}
	if len(res.Resolved) != 1 || res.Resolved[0].Code != "CERT_EXPIRED" {
		t.Errorf("resolved = %+v; want c", res.Resolved)
	}
}

func TestExceptionAcceptsThenExpiryReopens(t *testing.T) {
	h, fs := history()
	ex := Exception{ID: "EX-1", Domain: "acme.example", Code: "SSLV3_ENABLED", Approver: "Jane Roe", Reason: "replacing the gateway",
		Ticket: "CHG-1", Expires: day("2027-03-15"), Source: SourceDatabase}
	findings := []Finding{fs["a"], fs["b"], fs["d"]}

	// The clock the test controls: run 3's report on March 1.
	res := Evaluate(Input{Now: day("2027-03-01"), History: h, SLA: DefaultSLA(), Exceptions: []Exception{ex}}, findings)
	a := res.Tracks[fs["a"].ID]
	if a.Status != StatusAccepted || a.Exception == nil || a.Exception.ID != "EX-1" || a.Overdue {
		t.Fatalf("a under an active exception = %+v; want accepted, not overdue", a)
	}
	if a.Due == nil {
		t.Error("an accepted finding keeps its deadline for the record")
	}
	if len(res.Expiring) != 1 || len(res.Active) != 1 || len(res.Lapsed) != 0 {
		t.Errorf("expiring %v active %v lapsed %v", res.Expiring, res.Active, res.Lapsed)
	}
	if res.Tracks[fs["b"].ID].Exception != nil {
		t.Error("an exception of one code accepts another")
	}

	// Run 4, on April 1: the exception expired on March 15.
	h.Runs = append(h.Runs, RunRef{4, day("2027-04-01")})
	for _, f := range findings {
		h.Findings[f.ID].Runs = append(h.Findings[f.ID].Runs, 4)
	}
	res = Evaluate(Input{Now: day("2027-04-01").Add(time.Hour), History: h, SLA: DefaultSLA(), Exceptions: []Exception{ex}}, findings)
	a = res.Tracks[fs["a"].ID]
	if a.Status != StatusReopened || a.Exception != nil || !a.Overdue {
		t.Errorf("after expiry a = %+v; want reopened, no exception, overdue", a)
	}
	if len(res.Lapsed) != 1 || res.Lapsed[0].Exception.ID != "EX-1" || res.Lapsed[0].Revoked || len(res.Lapsed[0].FindingIDs) != 1 {
		t.Errorf("lapsed = %+v; want EX-1 expired, re-opening a", res.Lapsed)
	}
	if len(res.Active) != 0 || len(res.Expiring) != 0 {
		t.Error("an expired exception is neither active nor expiring")
	}

	// Run 5: the lapse is old news, the finding stays reopened.
	h.Runs = append(h.Runs, RunRef{5, day("2027-05-01")})
	h.Findings[fs["a"].ID].Runs = append(h.Findings[fs["a"].ID].Runs, 5)
	res = Evaluate(Input{Now: day("2027-05-01"), History: h, SLA: DefaultSLA(), Exceptions: []Exception{ex}}, []Finding{fs["a"]})
	if len(res.Lapsed) != 0 || res.Tracks[fs["a"].ID].Status != StatusReopened {
		t.Errorf("run 5: lapsed %v status %s", res.Lapsed, res.Tracks[fs["a"].ID].Status)
	}
}

func TestRevokedExceptionReopens(t *testing.T) {
	h, fs := history()
	ex := Exception{ID: "EX-2", Domain: "acme.example", Approver: "Jane", Reason: "r", Expires: day("2028-01-01"),
		Revoked: &Revocation{At: day("2027-02-15"), By: "Bob", Reason: "no longer acceptable"}}
	res := Evaluate(Input{Now: day("2027-03-01"), History: h, SLA: DefaultSLA(), Exceptions: []Exception{ex}}, []Finding{fs["a"], fs["d"]})
	if res.Tracks[fs["a"].ID].Status != StatusReopened {
		t.Errorf("a finding whose exception was revoked is reopened: %s", res.Tracks[fs["a"].ID].Status)
	}
	if res.Tracks[fs["d"].ID].Status != StatusOpen {
		t.Error("a finding first seen after the revocation was never accepted")
	}
	if len(res.Lapsed) != 1 || !res.Lapsed[0].Revoked {
		t.Errorf("lapsed = %+v", res.Lapsed)
	}
}

func TestJudgeControls(t *testing.T) {
	fws := []string{"HIPAA", "PCI DSS"}
	tls10 := grade.Finding{Code: grade.CodeTLS10Enabled, Domain: "a.example", Severity: grade.Medium}
	sslv3 := grade.Finding{Code: grade.CodeSSLv3Enabled, Domain: "a.example", Severity: grade.Critical}
	status := func(fs []grade.Framework) string {
		var s []string
		for _, f := range fs {
			s = append(s, f.Name+"="+string(f.Status))
		}
		return strings.Join(s, " ")
	}
	cases := []struct {
		name     string
		d        DomainFacts
		accepted func(grade.Finding) bool
		want     string
	}{
		{"clean", DomainFacts{Grade: grade.GradeA}, nil, "HIPAA=pass PCI DSS=pass"},
		{"early TLS fails PCI only", DomainFacts{Grade: grade.GradeB, Findings: []grade.Finding{tls10}}, nil, "HIPAA=pass PCI DSS=fail"},
		{"SSLv3 fails both", DomainFacts{Grade: grade.GradeF, Findings: []grade.Finding{sslv3, tls10}}, nil, "HIPAA=fail PCI DSS=fail"},
		{"accepted overlay", DomainFacts{Grade: grade.GradeF, Findings: []grade.Finding{sslv3, tls10}},
			func(f grade.Finding) bool { return f.Code == grade.CodeSSLv3Enabled }, "HIPAA=accepted PCI DSS=fail"},
		{"inconclusive is never pass", DomainFacts{Grade: grade.GradeInconclusive}, nil, "HIPAA=incomplete PCI DSS=incomplete"},
		{"null MX", DomainFacts{Grade: grade.GradeNA}, nil, "HIPAA=not_applicable PCI DSS=not_applicable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := status(JudgeControls(fws, c.d, c.accepted)); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
	if got := JudgeControls([]string{"FFIEC"}, DomainFacts{Grade: grade.GradeA}, nil); len(got) != 0 {
		t.Errorf("a framework without a transport control is not judged: %v", got)
	}
}

func TestRiskAccepted(t *testing.T) {
	at := day("2027-03-01")
	ex := []Exception{{ID: "EX-1", Domain: "a.example", Code: "SSLV3_ENABLED", Approver: "J", Reason: "r", Expires: day("2027-04-01")}}
	sslv3 := grade.Finding{Code: "SSLV3_ENABLED", Domain: "a.example", Severity: grade.Critical, ForceF: true}
	weak := grade.Finding{Code: "WEAK_CIPHERS", Domain: "a.example", Severity: grade.High, Deduction: 20}
	info := grade.Finding{Code: "NO_TLS13", Domain: "a.example", Severity: grade.Info}
	if !RiskAccepted([]grade.Finding{sslv3, info}, ex, at) {
		t.Error("the only grade-lowering finding is accepted")
	}
	if RiskAccepted([]grade.Finding{sslv3, weak}, ex, at) {
		t.Error("an unaccepted grade-lowering finding remains")
	}
	if RiskAccepted([]grade.Finding{info}, ex, at) {
		t.Error("nothing lowers the grade: nothing was accepted")
	}
	if RiskAccepted([]grade.Finding{sslv3}, ex, day("2027-04-01")) {
		t.Error("an expired exception accepts nothing")
	}
}
