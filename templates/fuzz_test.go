package templates

import (
	"strings"
	"testing"
)

// FuzzFinding renders a finding with arbitrary argument text, as remote
// servers supply it: rendering never fails and inserts the text verbatim.
func FuzzFinding(f *testing.F) {
	f.Add("mx.example.com", "192.0.2.1")
	f.Add("{{.ip}}", "<script>")
	f.Add("\r\n250 STARTTLS", "\x00")
	s, err := Default()
	if err != nil {
		f.Fatalf("Default: %v", err)
	}
	f.Fuzz(func(t *testing.T, host, ip string) {
		txt, err := s.Finding("SSLV3_ENABLED", map[string]string{"host": host, "ip": ip})
		if err != nil {
			t.Fatalf("Finding: %v", err)
		}
		if want := host + " (" + ip + ") accepts SSLv3."; txt.Message != want {
			t.Fatalf("Message = %q, want %q", txt.Message, want)
		}
		if !strings.Contains(txt.Remediation, "Disable SSLv3") {
			t.Fatalf("Remediation = %q", txt.Remediation)
		}
	})
}
