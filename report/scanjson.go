package report

import (
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
)

// ScanDocument is what `mxaudit scan --json` prints: the evidence, grades
// and worded findings of the domains scanned, under evidence.SchemaVersion.
// Its JSON Schema is Schema("scan").
type ScanDocument struct {
	// SchemaVersion is evidence.SchemaVersion: the shape of the evidence.
	SchemaVersion int    `json:"schema_version"`
	Tool          string `json:"tool"`
	ToolVersion   string `json:"tool_version"`
	// Policy and PolicyVersion identify the grading rules.
	Policy        string       `json:"policy"`
	PolicyVersion string       `json:"policy_version"`
	StartedAt     time.Time    `json:"started_at"`
	FinishedAt    time.Time    `json:"finished_at"`
	Domains       []ScanDomain `json:"domains"`
}

// ScanDomain is one scanned domain: its grade, its findings with their
// wording, and the evidence they rest on.
type ScanDomain struct {
	Domain   string            `json:"domain"`
	Grade    grade.DomainGrade `json:"grade"`
	Findings []ScanFinding     `json:"findings"`
	Evidence *evidence.Domain  `json:"evidence"`
	// Connected counts the connections made to each address.
	Connected map[string]int `json:"connections_per_address"`
	// SPF, DMARC and Frameworks are the sender-authentication records and
	// the profiles, in the report JSON's shape; null and [] when not checked.
	SPF        *SPFView          `json:"spf"`
	DMARC      *DMARCView        `json:"dmarc"`
	Frameworks []grade.Framework `json:"frameworks"`
}

// ScanFinding is a finding with its wording from the templates.
type ScanFinding struct {
	grade.Finding
	// ID is grade.Finding.ID, stable across runs.
	ID          string   `json:"id"`
	Title       string   `json:"title,omitempty"`
	Message     string   `json:"message,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	Standards   []string `json:"standards,omitempty"`
}
