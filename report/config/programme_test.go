package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/programme"
)

func TestParseProgrammeKeys(t *testing.T) {
	c, err := ParseConfig("m.yaml", []byte(`remediation_sla:
  critical: {1: 5, 2: 10}
  high: 40
cadence: 14
mail:
  host: relay.example.org
  user: u
  password_env: RELAY_PW
  from: audit@example.org
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.SLA == nil {
		t.Fatal("no SLA")
	}
	for _, tc := range []struct {
		sev        grade.Severity
		tier, want int
		ok         bool
	}{{grade.Critical, 1, 5, true}, {grade.Critical, 2, 10, true}, {grade.Critical, 3, 5, true}, {grade.High, 3, 40, true}, {grade.Medium, 1, 0, false}} {
		if d, ok := c.SLA.For(tc.sev, tc.tier); d != tc.want || ok != tc.ok {
			t.Errorf("SLA %s tier %d = %d, %v; want %d", tc.sev, tc.tier, d, ok, tc.want)
		}
	}
	if c.CadenceDays != 14 {
		t.Errorf("cadence = %d", c.CadenceDays)
	}
	if c.Mail != (Mail{Host: "relay.example.org", Port: DefaultMailPort, User: "u", PasswordEnv: "RELAY_PW", From: "audit@example.org"}) {
		t.Errorf("mail = %+v", c.Mail)
	}
	ex, err := ParseConfig("x.yaml", []byte("remediation_sla:\n  critical: {1: 7, 2: 14, 3: 30}\n  high: {1: 30, 2: 45, 3: 60}\n  medium: 90\n  low: 180\n"))
	if err != nil || ex.SLA.String() != programme.DefaultSLA().String() {
		t.Errorf("the documented defaults parse to %v (%v), want %s", ex.SLA, err, programme.DefaultSLA())
	}
}

func TestParseProgrammeKeyErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"remediation_sla: 30\n", "want a mapping of severity"},
		{"remediation_sla:\n  urgent: 3\n", `"urgent" is not a severity`},
		{"remediation_sla:\n  info: 3\n", `"info" is not a severity`},
		{"remediation_sla:\n  high: 0\n", "from 1 to 730"},
		{"remediation_sla:\n  high: {one: 3}\n", "a tier must be a whole number"},
		{"remediation_sla:\n  high: {1: 3, 1: 4}\n", "tier 1 of high is set twice"},
		{"remediation_sla:\n  high: [1, 2]\n", "want days or a mapping"},
		{"cadence: 0\n", "from 1 to 366"},
		{"mail:\n  from: a@b\n", "host is required"},
		{"mail:\n  host: h\n", "from is required"},
		{"mail:\n  host: h\n  from: a@b\n  password: hunter2\n", "keep the password out of the file"},
		{"mail:\n  host: h\n  from: a@b\n  user: u\n", "password_env is not"},
		{"mail:\n  host: h\n  from: a@b\n  port: 99999\n", "port must be"},
		{"mail:\n  host: h\n  from: a@b\n  tls: false\n", `unknown key "tls"`},
	} {
		_, err := ParseConfig("m.yaml", []byte(tc.text))
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.text, err, tc.want)
		}
	}
}
