package term

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/templates"
)

// TestFindingsWordedFromTemplates: the terminal words findings from the
// templates, prints one line for a problem shared by several addresses
// (same facts, another address) and one per distinct fact, and shows a
// finding stored by an older mxaudit under a retired code by its sentence.
func TestFindingsWordedFromTemplates(t *testing.T) {
	texts, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	at := func(code, host, ip string, args map[string]string) grade.Finding {
		a := map[string]string{"domain": "example.com", "host": host, "ip": ip}
		for k, v := range args {
			a[k] = v
		}
		return grade.Finding{Code: code, Severity: grade.High, Domain: "example.com", Host: host, IP: ip, Args: a}
	}
	g := &grade.DomainGrade{Domain: "example.com", Grade: grade.GradeF, Findings: []grade.Finding{
		at(grade.CodeSSLv3Enabled, "mx1.example.com", "192.0.2.1", nil),
		at(grade.CodeSSLv3Enabled, "mx2.example.com", "192.0.2.2", nil),
		at(grade.CodeCertExpiresSoon, "mx1.example.com", "192.0.2.1", map[string]string{"days": "3", "not_after": "2026-01-04"}),
		at(grade.CodeCertExpiresSoon, "mx2.example.com", "192.0.2.2", map[string]string{"days": "20", "not_after": "2026-01-21"}),
		{Code: "RETIRED_CODE", Severity: grade.Medium, Domain: "example.com", Reason: "A sentence stored by an older mxaudit."},
	}}
	var buf bytes.Buffer
	if err := Render(&buf, &evidence.Domain{Domain: "example.com"}, g, texts, Options{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	wantLines(t, out,
		`(?m)^  - \[HIGH\] SSLv3 enabled: mx1\.example\.com \(192\.0\.2\.1\) accepts SSLv3\.$`,
		`(?m)^      on: mx1\.example\.com \(192\.0\.2\.1\), mx2\.example\.com \(192\.0\.2\.2\)$`,
		`(?m)^      fix: Disable SSLv3\.`,
		`(?m)^  - \[MEDIUM\] RETIRED_CODE: A sentence stored by an older mxaudit\.$`,
	)
	if n := strings.Count(out, "SSLv3 enabled:"); n != 1 {
		t.Errorf("SSLv3 on two addresses printed %d times, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "] Certificate expires soon:"); n != 2 {
		t.Errorf("two different expiry dates printed %d times, want twice:\n%s", n, out)
	}
}
