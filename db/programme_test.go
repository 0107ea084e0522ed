package db

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/grade"
)

func TestExceptionsAreAppendOnly(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	created := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	expires := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	id, err := d.AddException(ctx, ExceptionRecord{Domain: "acme.example", Vendor: "Acme", Code: "SSLV3_ENABLED",
		Approver: "Jane Roe", Reason: "gateway replacement", Ticket: "CHG-1", Expires: expires, CreatedAt: created})
	if err != nil || id != 1 {
		t.Fatalf("AddException = %d, %v", id, err)
	}
	revokedAt := created.Add(72 * time.Hour)
	if err := d.RevokeException(ctx, id, revokedAt, "Bob", "fixed early"); err != nil {
		t.Fatal(err)
	}
	if err := d.RevokeException(ctx, id, revokedAt, "Bob", "again"); !errors.Is(err, ErrAlreadyRevoked) {
		t.Errorf("second revocation: %v, want ErrAlreadyRevoked", err)
	}
	if err := d.RevokeException(ctx, 99, revokedAt, "Bob", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown exception: %v, want ErrNotFound", err)
	}
	list, err := d.Exceptions(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("Exceptions = %+v, %v", list, err)
	}
	e := list[0]
	// The revocation is a fact beside the original, which reads as recorded.
	if e.Approver != "Jane Roe" || e.Reason != "gateway replacement" || e.Ticket != "CHG-1" || !e.Expires.Equal(expires) ||
		!e.CreatedAt.Equal(created) || e.RevokedAt == nil || !e.RevokedAt.Equal(revokedAt) || e.RevokedBy != "Bob" || e.RevokeReason != "fixed early" {
		t.Errorf("record = %+v", e)
	}
	for _, q := range []string{
		`UPDATE exceptions SET expires = '2099-01-01'`,
		`DELETE FROM exceptions`,
		`UPDATE exception_revocations SET revoked_by = 'X'`,
		`DELETE FROM exception_revocations`,
	} {
		if _, err := d.sql.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", q, err)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM exceptions WHERE expires = '2027-06-01'`); n != 1 {
		t.Errorf("the original is changed: %d rows", n)
	}
}

func TestParseExceptionID(t *testing.T) {
	for in, want := range map[string]int64{"EX-12": 12, "ex-3": 3, "7": 7} {
		if got, err := ParseExceptionID(in); err != nil || got != want {
			t.Errorf("ParseExceptionID(%q) = %d, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "EX-", "EX-0", "X-1", "twelve"} {
		if _, err := ParseExceptionID(bad); err == nil {
			t.Errorf("ParseExceptionID(%q) accepted", bad)
		}
	}
	if ExceptionID(4) != "EX-4" {
		t.Error(ExceptionID(4))
	}
}

func TestLettersSentOnce(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	on := time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)
	l := LetterSent{Ref: "MXA-3-acme.example", RunID: 3, Domains: []string{"acme.example", "acme.test"}, SentOn: on, RecordedAt: on.Add(time.Hour)}
	if err := d.MarkLetterSent(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := d.MarkLetterSent(ctx, l); !errors.Is(err, ErrAlreadySent) {
		t.Errorf("second mark: %v, want ErrAlreadySent", err)
	}
	got, err := d.LettersSent(ctx)
	if err != nil || len(got) != 1 || got[0].Ref != l.Ref || !got[0].SentOn.Equal(on) || got[0].RunID != 3 || len(got[0].Domains) != 2 {
		t.Fatalf("LettersSent = %+v, %v", got, err)
	}
	if _, err := d.sql.ExecContext(ctx, `DELETE FROM letters_sent`); err == nil {
		t.Error("a letter record was deleted")
	}
}

func TestFindingHistory(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	mkRun := func(list string, status string, codes ...string) int64 {
		id, err := d.CreateRun(ctx, Run{ListName: list, Policy: "p", PolicyVersion: "1", ToolVersion: "t", StartedAt: time.Now(), TotalDomains: 1}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		ev, g := domainWith("a.example", "mx.a.example", "127.0.0.1", grade.GradeB, grade.ForcedTLSEligible, codes...)
		if err := d.SaveDomain(ctx, id, ev, g); err != nil {
			t.Fatal(err)
		}
		if err := d.FinishRun(ctx, id, status, time.Now()); err != nil {
			t.Fatal(err)
		}
		return id
	}
	r1 := mkRun("v.csv", StatusCompleted, "SSLV3_ENABLED")
	mkRun("other.csv", StatusCompleted, "WEAK_CIPHERS")
	mkRun("v.csv", StatusInterrupted, "WEAK_DH")
	r4 := mkRun("v.csv", StatusCompleted, "SSLV3_ENABLED", "TLS10_ENABLED")
	runs, seen, err := d.FindingHistory(ctx, r4)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != r1 || runs[1].ID != r4 {
		t.Fatalf("runs = %+v; want the completed runs of the list up to r4", runs)
	}
	var got []string
	for _, s := range seen {
		got = append(got, s.Code)
		if s.Severity != grade.Medium || s.Domain != "a.example" || s.Host != "mx.a.example" {
			t.Errorf("sighting = %+v", s)
		}
	}
	if strings.Join(got, ",") != "SSLV3_ENABLED,SSLV3_ENABLED,TLS10_ENABLED" {
		t.Errorf("sightings = %v", got)
	}
}

func TestProgrammeRecordsOfAnOlderDatabase(t *testing.T) {
	ctx := context.Background()
	d := openTest(t)
	// A database from before migration 13, as a read-only open finds it.
	for _, table := range []string{"exception_revocations", "exceptions", "letters_sent"} {
		if _, err := d.sql.ExecContext(ctx, `DROP TABLE `+table); err != nil {
			t.Fatal(err)
		}
	}
	if ex, err := d.Exceptions(ctx); err != nil || len(ex) != 0 {
		t.Errorf("Exceptions = %v, %v; want none and no error", ex, err)
	}
	if ls, err := d.LettersSent(ctx); err != nil || len(ls) != 0 {
		t.Errorf("LettersSent = %v, %v; want none and no error", ls, err)
	}
}
