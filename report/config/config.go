package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/audit/programme"
	"github.com/mxaudit/mxaudit/report"
	"gopkg.in/yaml.v3"
)

// Output formats a report can be written in.
const (
	FormatPDF  = "pdf"
	FormatXLSX = "xlsx"
	FormatJSON = "json"
)

// AllFormats lists every report format, in the order they are written.
func AllFormats() []string { return []string{FormatPDF, FormatXLSX, FormatJSON} }

// Config is what an organisation's configuration file (mxaudit.yaml) says:
// its branding and wording for the reports, where reports go, and how
// much of a large run the PDF details.
type Config struct {
	// Path is the file the configuration was read from ("" for none).
	Path string
	// Org is the branding: name, title, contact, logo, policy label,
	// frameworks and the remediation deadline of vendor letters.
	Org report.Org
	// OutputDir is where reports are written ("" for the caller's
	// default); a relative path in the file is resolved against the
	// file's directory.
	OutputDir string
	// Formats are the report formats to write (nil for the caller's default).
	Formats []string
	// Letters asks for one letter per vendor with findings.
	Letters bool
	// PDFAppendixDomains is the most domains the PDF's evidence appendix
	// details, riskiest first (pdf_appendix_domains). Like the PDF
	// renderer's options (report/pdf, which imports this package): 0 for
	// the renderer's default, NoLimit for every domain.
	PDFAppendixDomains int
	// PDFRemediationVendors is the most vendors with findings the PDF's
	// remediation section details in full (pdf_remediation_vendors): 0
	// for the renderer's default, NoLimit for every vendor.
	PDFRemediationVendors int
	// PDFChangeRows is the most rows the PDF's table of changes since the
	// last run lists (pdf_change_rows): 0 for the renderer's default,
	// NoLimit for every change.
	PDFChangeRows int
	// PDFVendorRows is the most vendor rows each of the PDF's per-vendor
	// tables lists, riskiest first (pdf_vendor_rows): the vendor table,
	// the control matrix and the sender-authentication table. 0 for the
	// renderer's default, NoLimit for every row.
	PDFVendorRows int
	// AllowPrivate lets `mxaudit run` dial MX and MTA-STS addresses that
	// are not globally reachable (allow_private; audit/guard): for labs
	// whose mail servers live on private networks. Off by default.
	AllowPrivate bool
	// DKIMSelectors are the DKIM selectors checked for every domain
	// (dkim_selectors), beside those of the vendor list's column.
	DKIMSelectors []string
	// SLA is the remediation deadline table (remediation_sla); nil for
	// programme.DefaultSLA.
	SLA *programme.SLA
	// CadenceDays is the interval of scheduled runs in days (cadence; 0
	// for the default, 30).
	CadenceDays int
	// Mail is the relay `run --mail-to` sends the reports through (mail).
	Mail Mail
}

// Mail is the organisation's mail relay. TLS to it is always required
// (STARTTLS on a submission port, or implicit TLS on 465); the password is
// read from the environment variable PasswordEnv, never from the file.
type Mail struct {
	Host        string
	Port        int
	User        string
	PasswordEnv string
	From        string
	// CAFile is a PEM bundle the relay's certificate is verified against
	// instead of the system roots (a relay with a private CA).
	CAFile string
}

// DefaultMailPort is the submission port (RFC 6409), with STARTTLS.
const DefaultMailPort = 587

// NoLimit is the value of a PDF cap in Config that removes the limit
// ("all" in the file); report/pdf reads any negative cap so.
const NoLimit = -1

// Limits of the configuration file.
const (
	// maxConfigBytes bounds the configuration file read.
	maxConfigBytes = 1 << 20
	// maxRemediationDays is the longest remediation deadline accepted (a year).
	maxRemediationDays = 366
	// maxConfigText bounds one text value (name, title, contact, label).
	maxConfigText = 200
	// maxPDFCap is the largest PDF cap accepted; a larger number is a typo
	// (write "all" for no limit).
	maxPDFCap = 1_000_000
	// capAll is the value of a PDF cap that removes the limit.
	capAll = "all"
)

// Keys of the configuration file.
const (
	keyOrganisation    = "organisation"
	keyTitle           = "title"
	keyContact         = "contact"
	keyLogo            = "logo"
	keyPolicyLabel     = "policy_label"
	keyFrameworks      = "frameworks"
	keyRemediationDays = "remediation_days"
	keyOutputDir       = "output_dir"
	keyFormats         = "formats"
	keyLetters         = "letters"
	keyPDFAppendix     = "pdf_appendix_domains"
	keyPDFRemediation  = "pdf_remediation_vendors"
	keyPDFChangeRows   = "pdf_change_rows"
	keyPDFVendorRows   = "pdf_vendor_rows"
	keyAllowPrivate    = "allow_private"
	keyRemediationSLA  = "remediation_sla"
	keyCadence         = "cadence"
	keyMail            = "mail"
	keyProfiles        = "profiles"
	keyDKIMSelectors   = "dkim_selectors"
	keySignatory       = "signatory"
	keyLetterBasis     = "letter_basis"
)

// configKeys are the known keys, in the order the example file lists them.
var configKeys = []string{keyOrganisation, keyTitle, keyContact, keyLogo, keyPolicyLabel, keyFrameworks,
	keyRemediationDays, keySignatory, keyLetterBasis, keyOutputDir, keyFormats, keyLetters, keyPDFAppendix, keyPDFRemediation, keyPDFChangeRows, keyPDFVendorRows, keyAllowPrivate,
	keyRemediationSLA, keyCadence, keyMail, keyProfiles, keyDKIMSelectors}

// profiles are the sender-authentication profiles a report can show, by
// canonical name (grade.FrameworkBOD1801, grade.FrameworkNIST177), with
// the spellings accepted in the configuration file.
var profiles = spellings{
	{"BOD 18-01", []string{"bod 18-01", "bod1801", "bod-18-01", "cisa bod 18-01"}},
	{"NIST SP 800-177r1", []string{"nist sp 800-177r1", "nist sp 800-177", "nist sp 800-177 rev. 1", "nist 800-177", "sp 800-177"}},
}

// KnownProfiles lists the sender-authentication profiles a configuration
// may name, in their canonical spelling.
func KnownProfiles() []string { return profiles.names() }

// spellings are names by canonical spelling, with the lower-case
// spellings also accepted in the configuration file.
type spellings []struct {
	name    string
	aliases []string
}

// names lists the canonical spellings, in table order.
func (t spellings) names() []string {
	out := make([]string, len(t))
	for i, f := range t {
		out[i] = f.name
	}
	return out
}

// canonical returns the canonical spelling of s, compared case-blind with
// runs of white space folded, and false for a name not in the table.
func (t spellings) canonical(s string) (string, bool) {
	k := strings.ToLower(strings.Join(strings.Fields(s), " "))
	for _, f := range t {
		if k == strings.ToLower(f.name) || slices.Contains(f.aliases, k) {
			return f.name, true
		}
	}
	return "", false
}

// frameworks are the obligations the reports can cite (HIPAA 45 CFR
// 164.312(e), GLBA 16 CFR 314.4(c)(3), FFIEC IT Examination Handbook, NYDFS
// 23 NYCRR 500.15, PCI DSS 4.0 4.2.1), by canonical name, with the spellings
// accepted in the configuration file.
var frameworks = spellings{
	{"HIPAA", []string{"hipaa"}},
	{"GLBA", []string{"glba", "glba safeguards rule", "ftc safeguards rule"}},
	{"FFIEC", []string{"ffiec"}},
	{"NYDFS", []string{"nydfs", "23 nycrr 500", "nydfs part 500"}},
	{"PCI DSS", []string{"pci dss", "pci-dss", "pcidss", "pci"}},
}

// KnownFrameworks lists the framework names a configuration may name, in
// their canonical spelling (the one Org.Frameworks holds).
func KnownFrameworks() []string { return frameworks.names() }

// CanonicalFramework returns the canonical name of a framework written in
// any accepted spelling ("pci-dss" → "PCI DSS"), and false for an unknown one.
func CanonicalFramework(s string) (string, bool) { return frameworks.canonical(s) }

// ConfigError is a problem in the configuration file, located by line.
type ConfigError struct {
	Path string
	Line int // 0 when the problem has no line (the file cannot be read)
	Msg  string
	Err  error // the underlying error, if any
}

func (e *ConfigError) Error() string {
	loc := e.Path
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	if e.Err != nil && e.Msg == "" {
		return loc + ": " + e.Err.Error()
	}
	if e.Err != nil {
		return loc + ": " + e.Msg + ": " + e.Err.Error()
	}
	return loc + ": " + e.Msg
}

func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads a configuration file (YAML). Unknown keys, values of
// the wrong type, unknown frameworks or formats, and a logo that is not a
// readable PNG or JPEG file are errors naming the line. A relative logo
// path or output_dir is resolved against the file's directory, so the
// result does not depend on where mxaudit is started from (cron starts it
// in the home directory).
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, &ConfigError{Path: path, Err: err}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return Config{}, &ConfigError{Path: path, Err: err}
	}
	if len(b) > maxConfigBytes {
		return Config{}, &ConfigError{Path: path, Msg: fmt.Sprintf("larger than %d bytes; is this the right file?", maxConfigBytes)}
	}
	return parseConfig(path, b, true)
}

// ParseConfig parses configuration text; name is the file name used in
// errors and relative paths resolve against its directory. Unlike
// LoadConfig it does not open the logo.
func ParseConfig(name string, text []byte) (Config, error) {
	return parseConfig(name, text, false)
}

func parseConfig(name string, text []byte, openFiles bool) (Config, error) {
	c := Config{Path: name}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(text))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) { // an empty file is an empty configuration
			return c, nil
		}
		return c, &ConfigError{Path: name, Line: yamlErrorLine(err), Msg: "not valid YAML", Err: err}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return c, &ConfigError{Path: name, Line: extra.Line, Msg: "more than one YAML document; keep one"}
	} else if !errors.Is(err, io.EOF) {
		return c, &ConfigError{Path: name, Line: yamlErrorLine(err), Msg: "not valid YAML", Err: err}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return c, nil
		}
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return c, nil
	}
	if root.Kind != yaml.MappingNode {
		return c, &ConfigError{Path: name, Line: root.Line, Msg: "want a mapping of keys (organisation: ..., title: ...)"}
	}
	p := configParser{name: name, dir: filepath.Dir(name), c: &c, openFiles: openFiles}
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return c, &ConfigError{Path: name, Line: k.Line, Msg: "a key must be a plain word"}
		}
		if prev, dup := seen[k.Value]; dup {
			return c, &ConfigError{Path: name, Line: k.Line, Msg: fmt.Sprintf("%q is already set on line %d", k.Value, prev)}
		}
		seen[k.Value] = k.Line
		if err := p.set(k, v); err != nil {
			return c, err
		}
	}
	return c, nil
}

// yamlErrorLine digs the line number out of a yaml.v3 syntax error
// ("yaml: line 3: ..."); 0 when it has none.
func yamlErrorLine(err error) int {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return 0
	}
	var line int
	if _, serr := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); serr == nil {
		return line
	}
	return 0
}

type configParser struct {
	name, dir string
	c         *Config
	// openFiles checks that the files named (the logo) can be read.
	openFiles bool
}

func (p *configParser) errf(n *yaml.Node, format string, args ...any) error {
	return &ConfigError{Path: p.name, Line: n.Line, Msg: fmt.Sprintf(format, args...)}
}

func (p *configParser) set(k, v *yaml.Node) error {
	var err error
	switch k.Value {
	case keyOrganisation:
		p.c.Org.Name, err = p.text(k, v)
	case keyTitle:
		p.c.Org.Title, err = p.text(k, v)
	case keyContact:
		p.c.Org.Contact, err = p.text(k, v)
	case keySignatory:
		p.c.Org.Signatory, err = p.text(k, v)
	case keyLetterBasis:
		p.c.Org.LetterBasis, err = p.text(k, v)
	case keyPolicyLabel:
		p.c.Org.PolicyLabel, err = p.text(k, v)
	case keyLogo:
		if p.c.Org.Logo, err = p.path(k, v); err == nil && p.openFiles && p.c.Org.Logo != "" {
			err = p.checkLogo(v, p.c.Org.Logo)
		}
	case keyOutputDir:
		p.c.OutputDir, err = p.path(k, v)
	case keyFrameworks:
		p.c.Org.Frameworks, err = p.frameworks(k, v)
	case keyFormats:
		p.c.Formats, err = p.formats(k, v)
	case keyRemediationDays:
		p.c.Org.RemediationDays, err = p.days(k, v)
	case keyLetters:
		p.c.Letters, err = p.boolean(k, v)
	case keyPDFAppendix:
		p.c.PDFAppendixDomains, err = p.pdfCap(k, v)
	case keyPDFRemediation:
		p.c.PDFRemediationVendors, err = p.pdfCap(k, v)
	case keyPDFChangeRows:
		p.c.PDFChangeRows, err = p.pdfCap(k, v)
	case keyPDFVendorRows:
		p.c.PDFVendorRows, err = p.pdfCap(k, v)
	case keyAllowPrivate:
		p.c.AllowPrivate, err = p.boolean(k, v)
	case keyRemediationSLA:
		p.c.SLA, err = p.sla(k, v)
	case keyCadence:
		p.c.CadenceDays, err = p.days(k, v)
	case keyMail:
		p.c.Mail, err = p.mail(k, v)
	case keyProfiles:
		p.c.Org.Profiles, err = p.profiles(k, v)
	case keyDKIMSelectors:
		p.c.DKIMSelectors, err = p.selectors(k, v)
	default:
		return p.errf(k, "unknown key %q (known keys: %s)", k.Value, strings.Join(configKeys, ", "))
	}
	return err
}

// scalar returns the text of a plain (non-list, non-map) value.
func (p *configParser) scalar(k, v *yaml.Node) (string, error) {
	if v.Kind == yaml.AliasNode {
		return "", p.errf(v, "%s: aliases are not supported here", k.Value)
	}
	if v.Kind != yaml.ScalarNode {
		return "", p.errf(v, "%s: want a single value, not a list or a mapping", k.Value)
	}
	return v.Value, nil
}

func (p *configParser) text(k, v *yaml.Node) (string, error) {
	s, err := p.scalar(k, v)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", p.errf(v, "%s: not valid UTF-8", k.Value)
	case utf8.RuneCountInString(s) > maxConfigText:
		return "", p.errf(v, "%s: longer than %d characters", k.Value, maxConfigText)
	case !report.IsClean(s):
		return "", p.errf(v, "%s: contains control or direction-changing characters; write it on one line", k.Value)
	}
	return s, nil
}

func (p *configParser) path(k, v *yaml.Node) (string, error) {
	s, err := p.text(k, v)
	if err != nil || s == "" {
		return s, err
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(p.dir, s)
	}
	return filepath.Clean(s), nil
}

func (p *configParser) list(k, v *yaml.Node) ([]*yaml.Node, error) {
	switch {
	case v.Kind == yaml.SequenceNode:
		return v.Content, nil
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return nil, nil
	case v.Kind == yaml.ScalarNode:
		// "frameworks: HIPAA, GLBA" is read as the list it obviously means.
		var out []*yaml.Node
		for _, part := range strings.Split(v.Value, ",") {
			out = append(out, &yaml.Node{Kind: yaml.ScalarNode, Value: strings.TrimSpace(part), Line: v.Line})
		}
		return out, nil
	}
	return nil, p.errf(v, "%s: want a list", k.Value)
}

func (p *configParser) frameworks(k, v *yaml.Node) ([]string, error) {
	out, err := p.named(k, v, "framework", frameworks)
	if len(out) == 0 {
		out = nil
	}
	return out, err
}

// named reads a list of names from table t in their canonical spelling,
// each once, refusing an unknown one; an empty list gives an empty, non-nil
// slice.
func (p *configParser) named(k, v *yaml.Node, kind string, t spellings) ([]string, error) {
	items, err := p.list(k, v)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, it := range items {
		s, err := p.text(k, it)
		if err != nil {
			return nil, err
		}
		name, ok := t.canonical(s)
		if !ok {
			return nil, p.errf(it, "%s: unknown %s %q (known: %s)", k.Value, kind, s, strings.Join(t.names(), ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// profiles reads the list of sender-authentication profiles to show; an
// empty list shows none.
func (p *configParser) profiles(k, v *yaml.Node) ([]string, error) {
	return p.named(k, v, "profile", profiles)
}

// selectors reads DKIM selectors: dot-separated labels of letters,
// digits, '-' and '_' (RFC 6376 §3.1).
func (p *configParser) selectors(k, v *yaml.Node) ([]string, error) {
	items, err := p.list(k, v)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		s, err := p.text(k, it)
		if err != nil {
			return nil, err
		}
		if !evidence.ValidDKIMSelector(s) {
			return nil, p.errf(it, "%s: %q is not a DKIM selector", k.Value, s)
		}
		if s = strings.ToLower(s); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (p *configParser) formats(k, v *yaml.Node) ([]string, error) {
	items, err := p.list(k, v)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, it := range items {
		s, err := p.text(k, it)
		if err != nil {
			return nil, err
		}
		f := strings.ToLower(s)
		if !slices.Contains(AllFormats(), f) {
			return nil, p.errf(it, "%s: unknown format %q (known: %s)", k.Value, s, strings.Join(AllFormats(), ", "))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, p.errf(v, "%s: name at least one format (%s)", k.Value, strings.Join(AllFormats(), ", "))
	}
	return out, nil
}

func (p *configParser) days(k, v *yaml.Node) (int, error) {
	s, err := p.scalar(k, v)
	if err != nil {
		return 0, err
	}
	var n int
	if v.Tag != "!!int" || v.Decode(&n) != nil || n < 1 || n > maxRemediationDays {
		return 0, p.errf(v, "%s: want a whole number of days from 1 to %d, not %q", k.Value, maxRemediationDays, s)
	}
	return n, nil
}

// pdfCap reads a cap of a PDF section: a whole number from 1 to
// maxPDFCap, or "all" (NoLimit); no value is the default (0).
func (p *configParser) pdfCap(k, v *yaml.Node) (int, error) {
	s, err := p.scalar(k, v)
	if err != nil {
		return 0, err
	}
	if v.Tag == "!!null" {
		return 0, nil
	}
	if v.Tag == "!!str" && strings.EqualFold(strings.TrimSpace(s), capAll) {
		return NoLimit, nil
	}
	var n int
	if v.Tag != "!!int" || v.Decode(&n) != nil || n < 1 || n > maxPDFCap {
		return 0, p.errf(v, "%s: want a whole number from 1 to %d, or %s for no limit, not %q", k.Value, maxPDFCap, capAll, s)
	}
	return n, nil
}

func (p *configParser) boolean(k, v *yaml.Node) (bool, error) {
	s, err := p.scalar(k, v)
	if err != nil {
		return false, err
	}
	var b bool
	if v.Tag != "!!bool" || v.Decode(&b) != nil {
		return false, p.errf(v, "%s: want true or false, not %q", k.Value, s)
	}
	return b, nil
}

// Image signatures of the logo formats the PDF can embed.
var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xff, 0xd8, 0xff}
)

// checkLogo makes sure the logo is a readable PNG or JPEG file, so a
// wrong path fails when the configuration is read, not halfway through
// writing a PDF.
func (p *configParser) checkLogo(v *yaml.Node, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return &ConfigError{Path: p.name, Line: v.Line, Msg: "logo", Err: err}
	}
	defer f.Close()
	head := make([]byte, len(pngMagic))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return &ConfigError{Path: p.name, Line: v.Line, Msg: "logo", Err: err}
	}
	if head = head[:n]; !bytes.HasPrefix(head, pngMagic) && !bytes.HasPrefix(head, jpegMagic) {
		return p.errf(v, "logo: %s is not a PNG or JPEG image", path)
	}
	return nil
}

// maxSLADays bounds one remediation deadline (two years).
const maxSLADays = 730

// sla reads remediation_sla: a mapping of severity (critical, high,
// medium, low) to a number of days for every tier, or to a mapping of
// tier number to days ({1: 7, 2: 14, 3: 30}). Severities not named have
// no deadline; an empty mapping turns deadlines off.
func (p *configParser) sla(k, v *yaml.Node) (*programme.SLA, error) {
	if v.Kind != yaml.MappingNode {
		return nil, p.errf(v, "%s: want a mapping of severity to days, e.g. critical: {1: 7, 2: 14, 3: 30}", k.Value)
	}
	out := &programme.SLA{Days: map[grade.Severity]map[int]int{}}
	num := func(n *yaml.Node, what string, lo, hi int) (int, error) {
		var x int
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&x) != nil || x < lo || x > hi {
			return 0, p.errf(n, "%s: %s must be a whole number from %d to %d, not %q", k.Value, what, lo, hi, n.Value)
		}
		return x, nil
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		sk, sv := v.Content[i], v.Content[i+1]
		var sev grade.Severity
		if sk.Kind != yaml.ScalarNode || sev.UnmarshalText([]byte(sk.Value)) != nil || sev == grade.Info {
			return nil, p.errf(sk, "%s: %q is not a severity (critical, high, medium, low)", k.Value, sk.Value)
		}
		if _, dup := out.Days[sev]; dup {
			return nil, p.errf(sk, "%s: %s is set twice", k.Value, sev)
		}
		byTier := map[int]int{}
		switch sv.Kind {
		case yaml.ScalarNode:
			d, err := num(sv, "days", 1, maxSLADays)
			if err != nil {
				return nil, err
			}
			byTier[0] = d
		case yaml.MappingNode:
			for j := 0; j+1 < len(sv.Content); j += 2 {
				tier, err := num(sv.Content[j], "a tier", 1, 99)
				if err != nil {
					return nil, err
				}
				if _, dup := byTier[tier]; dup {
					return nil, p.errf(sv.Content[j], "%s: tier %d of %s is set twice", k.Value, tier, sev)
				}
				d, err := num(sv.Content[j+1], "days", 1, maxSLADays)
				if err != nil {
					return nil, err
				}
				byTier[tier] = d
			}
			if len(byTier) == 0 {
				return nil, p.errf(sv, "%s: %s: name at least one tier", k.Value, sev)
			}
		default:
			return nil, p.errf(sv, "%s: %s: want days or a mapping of tier to days", k.Value, sev)
		}
		out.Days[sev] = byTier
	}
	return out, nil
}

// mail reads the relay settings: host (required), port (default 587),
// user, password_env (the name of the environment variable holding the
// password) and from (required).
func (p *configParser) mail(k, v *yaml.Node) (Mail, error) {
	m := Mail{Port: DefaultMailPort}
	if v.Kind != yaml.MappingNode {
		return m, p.errf(v, "%s: want a mapping (host, port, user, password_env, from)", k.Value)
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		mk, mv := v.Content[i], v.Content[i+1]
		var err error
		switch mk.Value {
		case "host":
			m.Host, err = p.text(mk, mv)
		case "port":
			var n int
			if mv.Tag != "!!int" || mv.Decode(&n) != nil || n < 1 || n > 65535 {
				err = p.errf(mv, "%s: port must be a number from 1 to 65535, not %q", k.Value, mv.Value)
			}
			m.Port = n
		case "user":
			m.User, err = p.text(mk, mv)
		case "password_env":
			m.PasswordEnv, err = p.text(mk, mv)
			if err == nil && strings.ContainsAny(m.PasswordEnv, " =$") {
				err = p.errf(mv, "%s: password_env is the name of an environment variable (e.g. MXAUDIT_SMTP_PASSWORD), not the password", k.Value)
			}
		case "from":
			m.From, err = p.text(mk, mv)
		case "ca_file":
			m.CAFile, err = p.path(mk, mv)
		case "password":
			err = p.errf(mk, "%s: keep the password out of the file: set password_env to the name of an environment variable holding it", k.Value)
		default:
			err = p.errf(mk, "%s: unknown key %q (known: host, port, user, password_env, from, ca_file)", k.Value, mk.Value)
		}
		if err != nil {
			return m, err
		}
	}
	switch {
	case m.Host == "":
		return m, p.errf(v, "%s: host is required", k.Value)
	case m.From == "":
		return m, p.errf(v, "%s: from is required", k.Value)
	case m.User != "" && m.PasswordEnv == "":
		return m, p.errf(v, "%s: user is set but password_env is not", k.Value)
	}
	return m, nil
}
