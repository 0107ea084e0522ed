// Package term renders audit results as the terminal table of `mxaudit
// scan`: one row per MX address with the checks a mail administrator reads,
// then the domain grade, Forced-TLS eligibility and what to improve.
package term

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/templates"
)

// Options change how the table looks.
type Options struct {
	// Color adds ANSI colours to grades and check marks.
	Color bool
	// Verbose lists every finding, info included, and what each address
	// showed: banner, handshake, certificate, and every protocol version
	// with its accepted suites in the server's order.
	Verbose bool
}

// columns are the per-address checks shown, in order, with their headers.
var columns = []struct {
	check  grade.Check
	header string
}{
	{grade.CheckTLS, "TLS"},
	{grade.CheckVerifiable, "Verifiable"},
	{grade.CheckSSLv3Off, "SSLv3 off"},
	{grade.CheckTLS10Off, "TLS1.0 off"},
	{grade.CheckTLS12, "TLS1.2 on"},
	{grade.CheckTLS13, "TLS1.3 on"},
	{grade.CheckWeakOff, "Weak off"},
	{grade.CheckNISTR1, "NIST r1"},
	{grade.CheckNISTR2, "NIST r2"},
	{grade.CheckForwardSecrecy, "FS"},
}

const (
	ansiReset  = "\x1b[0m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
)

// Render writes one domain's result.
func Render(w io.Writer, d *evidence.Domain, g *grade.DomainGrade, texts *templates.Set, opt Options) error {
	p := &printer{w: w, opt: opt, texts: texts}
	// The grader names its phrases; the words come from the templates.
	worded := *g
	report.WordGrade(texts, &worded)
	g = &worded
	p.header(d, g)
	p.policyBlock(d)
	p.senderBlock(d, g)
	if len(g.MX) > 0 {
		p.table(d, g)
		if opt.Verbose {
			p.details(d, g)
		}
	}
	p.findings(g, texts)
	return p.err
}

type printer struct {
	w   io.Writer
	opt Options
	err error
	// texts words the grade explanations (finding titles).
	texts *templates.Set
}

func (p *printer) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format, args...)
}

func (p *printer) color(code, s string) string {
	if !p.opt.Color {
		return s
	}
	return code + s + ansiReset
}

func (p *printer) gradeText(gr grade.Grade) string {
	s := string(gr)
	switch {
	case gr == grade.GradeInconclusive || gr == grade.GradeNA:
		return p.color(ansiDim, s)
	case strings.HasPrefix(s, "A"):
		return p.color(ansiGreen, s)
	case s == "B" || s == "C":
		return p.color(ansiYellow, s)
	}
	return p.color(ansiRed, s)
}

func (p *printer) header(d *evidence.Domain, g *grade.DomainGrade) {
	name := report.Clean(d.Domain)
	if d.Input != "" && d.Input != d.Domain {
		name += " (" + report.Clean(d.Input) + ")"
	}
	p.printf("%s\n", p.color(ansiBold, name))
	gr := p.gradeText(g.Grade)
	restricted := ""
	for _, f := range g.Findings {
		if f.Code == grade.CodeScanRestricted {
			restricted = p.message(f)
		}
	}
	switch {
	case restricted != "" && g.Grade.Conclusive():
		gr += " (incomplete: the scan was restricted with --versions)"
	case g.Incomplete:
		gr += " (incomplete: some addresses could not be audited)"
	}
	p.printf("  Grade: %s   Forced TLS: %s", gr, forced(g))
	p.printf("   MX: %s\n", mxSummary(d))
	if d.PortBlocked {
		p.printf("  %s\n", p.color(ansiYellow, "No mail server answered on the SMTP port: outbound port 25 may be blocked from this machine; results are inconclusive, not failures."))
	}
	if restricted != "" {
		p.printf("  %s\n", p.color(ansiYellow, report.Clean(restricted)))
	}
	if d.HTTPSBlocked {
		p.printf("  %s\n", p.color(ansiYellow, "No MTA-STS policy host could be connected to: outbound HTTPS may be blocked from this machine; MTA-STS was not checked."))
	}
}

func forced(g *grade.DomainGrade) string {
	switch g.ForcedTLS {
	case grade.ForcedTLSEligible:
		return "eligible"
	case grade.ForcedTLSNotEligible:
		return "not eligible"
	}
	return "unknown"
}

func mxSummary(d *evidence.Domain) string {
	switch d.MX.Kind {
	case evidence.MXImplicit:
		return "none published; implicit MX (the domain's own address)"
	case evidence.MXNull:
		return "null MX: the domain accepts no mail (RFC 7505)"
	case evidence.MXNone:
		if d.MX.Lookup.Status == evidence.DNSNXDomain {
			return "the domain does not exist (NXDOMAIN)"
		}
		return "no MX and no address: no mail can be delivered"
	case evidence.MXError:
		return "lookup failed (" + string(d.MX.Lookup.Status) + ")"
	}
	return strconv.Itoa(len(d.MX.Records)) + " published"
}

// mark shows a check result. Every check is named for its good state,
// so "yes" is always good and "NO" always bad.
func (p *printer) mark(r grade.Result) string {
	switch r {
	case grade.Pass:
		return p.color(ansiGreen, "yes")
	case grade.Fail:
		return p.color(ansiRed, "NO")
	case grade.Inconclusive:
		return p.color(ansiYellow, "?")
	case grade.NotApplicable:
		return "n/a"
	}
	return p.color(ansiDim, "-")
}

// table prints one row per MX address, a column per check: "yes" when the
// check passes ("TLS1.0 off" reads "yes" when TLS 1.0 is refused).
func (p *printer) table(d *evidence.Domain, g *grade.DomainGrade) {
	if p.err != nil {
		return
	}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	head := []string{"  Pri", "Host", "Address", "Cert name"}
	for _, c := range columns {
		head = append(head, c.header)
	}
	head = append(head, "Grade", "Conns")
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, mx := range g.MX {
		host := findHost(d, mx.Host)
		if len(mx.Addresses) == 0 {
			fmt.Fprintf(tw, "  %d\t%s\t%s\t\t%s\n", mx.Preference, report.Clean(mx.Host), "(no address)", p.gradeText(mx.Grade))
			continue
		}
		for _, a := range mx.Addresses {
			row := []string{"  " + strconv.Itoa(int(mx.Preference)), report.Clean(mx.Host), a.IP, report.Clean(certName(host, a.IP))}
			for _, c := range columns {
				row = append(row, p.mark(a.Checks[c.check]))
			}
			row = append(row, p.gradeText(a.Grade), strconv.Itoa(connections(host, a.IP)))
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
	}
	p.err = tw.Flush()
}

func findHost(d *evidence.Domain, name string) *evidence.Host {
	for i := range d.Hosts {
		if d.Hosts[i].Name == name {
			return &d.Hosts[i]
		}
	}
	return nil
}

func findAddr(h *evidence.Host, ip string) *evidence.Address {
	if h == nil {
		return nil
	}
	for i := range h.Addresses {
		if h.Addresses[i].IP == ip {
			return &h.Addresses[i]
		}
	}
	return nil
}

// certName is the certificate name to show for an address: the SAN or CN
// that matched the MX name, or else the leaf's common name (or first SAN),
// so a certificate covering several MX hosts shows the right one on each row.
func certName(h *evidence.Host, ip string) string {
	a := findAddr(h, ip)
	if a == nil || a.Cert == nil || len(a.Cert.Chain) == 0 {
		return "-"
	}
	if a.Cert.MatchedBy != "" {
		return a.Cert.MatchedBy
	}
	leaf := a.Cert.Chain[0]
	if leaf.CommonName != "" {
		return leaf.CommonName
	}
	if len(leaf.DNSNames) > 0 {
		return leaf.DNSNames[0]
	}
	return "-"
}

func connections(h *evidence.Host, ip string) int {
	a := findAddr(h, ip)
	if a == nil {
		return 0
	}
	n := 0
	if a.Probe != nil {
		n += a.Probe.Connections
	}
	if a.Cert != nil {
		n += a.Cert.Connections
	}
	return n
}

// findings prints what to improve, worst first, grouping a finding that
// several addresses share.
func (p *printer) findings(g *grade.DomainGrade, texts *templates.Set) {
	type group struct {
		f     grade.Finding
		where []string
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, f := range g.Findings {
		if f.Severity == grade.Info && !p.opt.Verbose && f.Code != "INCONCLUSIVE" && f.Code != "NULL_MX" && f.Code != "PORT25_BLOCKED" {
			continue
		}
		key := groupKey(f)
		gr, ok := byKey[key]
		if !ok {
			gr = &group{f: f}
			byKey[key] = gr
			groups = append(groups, gr)
		}
		if where := where(f); where != "" {
			gr.where = append(gr.where, where)
		}
	}
	if len(groups) == 0 {
		p.printf("  No improvements needed.\n\n")
		return
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].f.Severity > groups[j].f.Severity })
	p.printf("  Recommended improvements:\n")
	for _, gr := range groups {
		title, message, remedy := gr.f.Code, gr.f.Reason, ""
		if message == "" {
			message = gr.f.Code
		}
		// The words come from the templates; a finding stored by an
		// older mxaudit under a code they lack keeps its stored sentence.
		if texts != nil {
			if t, err := texts.Finding(gr.f.Code, report.FindingArgs(texts, gr.f.Args, gr.f.Phrases)); err == nil {
				title, remedy = t.Title, t.Remediation
				if t.Message != "" {
					message = t.Message
				}
			}
		}
		sev := strings.ToUpper(gr.f.Severity.String())
		p.printf("  - [%s] %s: %s\n", p.severityColor(gr.f.Severity, sev), report.Clean(title), report.Clean(message))
		if gr.f.Waived == grade.WaivedDANEEE {
			// RFC 7672 §3.1.1: DANE senders do not check these.
			p.printf("      waived for the grade: a DANE-EE record validated over DNSSEC pins this server's key, and DANE senders do not check PKIX trust, name or expiry (RFC 7672 §3.1.1)\n")
		} else if gr.f.Waived != "" {
			p.printf("      waived for the grade: %s\n", report.Clean(gr.f.Waived))
		}
		if len(gr.where) > 1 {
			p.printf("      on: %s\n", report.Clean(strings.Join(gr.where, ", ")))
		}
		if remedy != "" {
			p.printf("      fix: %s\n", report.Clean(remedy))
		}
	}
	p.printf("\n")
}

func (p *printer) severityColor(s grade.Severity, text string) string {
	switch {
	case s >= grade.High:
		return p.color(ansiRed, text)
	case s >= grade.Medium:
		return p.color(ansiYellow, text)
	}
	return text
}

// message is f's message from the templates, or, for a finding stored by
// an older mxaudit under a code they lack, its stored sentence or code.
func (p *printer) message(f grade.Finding) string {
	if p.texts != nil {
		if t, err := p.texts.Finding(f.Code, report.FindingArgs(p.texts, f.Args, f.Phrases)); err == nil && t.Message != "" {
			return t.Message
		}
	}
	if f.Reason != "" {
		return f.Reason
	}
	return f.Code
}

// groupKey is what findings printed as one line share: the code and every
// fact but where it was observed, so one problem on several addresses is
// one line with their list.
func groupKey(f grade.Finding) string {
	keys := make([]string, 0, len(f.Args))
	for k := range f.Args {
		if k != "host" && k != "ip" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(f.Code)
	for _, k := range keys {
		b.WriteString("\x00" + k + "=" + f.Args[k])
	}
	if len(f.Phrases) > 0 {
		// Worded facts (a list of reasons) are facts too; JSON sorts the names.
		ph, _ := json.Marshal(f.Phrases)
		b.WriteString("\x00")
		b.Write(ph)
	}
	// A finding stored by an older mxaudit may have only its sentence.
	b.WriteString("\x00" + f.Reason)
	return b.String()
}

func where(f grade.Finding) string {
	switch {
	case f.Host != "" && f.IP != "":
		return f.Host + " (" + f.IP + ")"
	case f.Host != "":
		return f.Host
	}
	return ""
}

// policyBlock shows what senders that enforce TLS see: MTA-STS, TLS-RPT,
// DNSSEC of the MX set and DANE per MX.
func (p *printer) policyBlock(d *evidence.Domain) {
	if d.MTASTS != nil {
		p.printf("  MTA-STS: %s\n", report.Clean(stsSummary(d)))
	}
	if d.TLSRPT != nil {
		p.printf("  TLS-RPT: %s\n", report.Clean(tlsrptSummary(d.TLSRPT)))
	}
	if s := d.MX.Lookup.DNSSEC; s != evidence.DNSSECNotChecked {
		line := string(s)
		if d.MX.Lookup.DNSSECReason != "" {
			line += " (" + d.MX.Lookup.DNSSECReason + ")"
		}
		p.printf("  DNSSEC (MX): %s\n", report.Clean(line))
	}
	for _, h := range d.Hosts {
		if h.TLSA == nil {
			continue
		}
		p.printf("  DANE %s: %s\n", report.Clean(h.Name), report.Clean(daneSummary(&h)))
	}
}

// senderBlock prints the sender-authentication records, their rating
// and each profile's status with the controls that do not pass.
func (p *printer) senderBlock(d *evidence.Domain, g *grade.DomainGrade) {
	if d.SPF == nil && d.DMARC == nil {
		return
	}
	spf, dmarc := report.SPFViewOf(d.SPF), report.DMARCViewOf(d.DMARC)
	line := report.SPFState(spf)
	if spf != nil && spf.Status != string(evidence.SPFValid) && spf.Reason != "" {
		line += " (" + spf.Reason + ")"
	} else if spf != nil && spf.Status == string(evidence.SPFValid) {
		line += fmt.Sprintf(", %d DNS lookups", spf.Lookups)
	}
	p.printf("  SPF: %s\n", report.Clean(line))
	line = report.DMARCState(dmarc)
	if dmarc != nil && dmarc.Status != string(evidence.DMARCValid) && dmarc.Reason != "" {
		line += " (" + dmarc.Reason + ")"
	}
	if dmarc != nil && len(dmarc.UnauthorizedDestinations) > 0 {
		line += "; unauthorised report destinations: " + strings.Join(dmarc.UnauthorizedDestinations, ", ")
	}
	p.printf("  DMARC: %s\n", report.Clean(line))
	for _, k := range d.DKIM {
		line := string(k.Status)
		if k.Status == evidence.DKIMKeyOK {
			line = fmt.Sprintf("%s %d bits", k.KeyType, k.Bits)
		} else if k.Reason != "" {
			line += " (" + k.Reason + ")"
		}
		p.printf("  DKIM %s: %s\n", report.Clean(k.Selector), report.Clean(line))
	}
	if g.SenderAuth != nil {
		p.printf("  Sender authentication: %s (%s)\n", g.SenderAuth.Rating, report.Clean(g.SenderAuth.Reason))
	}
	for _, fw := range g.Frameworks {
		p.printf("  %s: %s\n", fw.Name, p.controlText(fw.Status))
		for _, c := range fw.Controls {
			if c.Status == grade.ControlFail || c.Status == grade.ControlIncomplete {
				p.printf("    %s %s: %s\n", p.controlText(c.Status), c.Title, report.Clean(c.Reason))
			}
		}
	}
}

// controlText colours a control status: fail red, incomplete yellow, pass green.
func (p *printer) controlText(s grade.ControlStatus) string {
	switch s {
	case grade.ControlFail:
		return p.color(ansiRed, string(s))
	case grade.ControlIncomplete:
		return p.color(ansiYellow, string(s))
	case grade.ControlPass:
		return p.color(ansiGreen, string(s))
	}
	return string(s)
}

func stsSummary(d *evidence.Domain) string {
	m := d.MTASTS
	switch {
	case m.RecordError != "" && len(m.Records) == 0 && (m.TXT.Status == evidence.DNSNXDomain || m.TXT.Status == evidence.DNSNoData):
		return "not published"
	case m.RecordError != "":
		return "record invalid: " + m.RecordError
	case m.Fetch != nil && m.Fetch.Error != nil:
		return "policy unavailable: " + m.Fetch.Error.Message
	case m.Policy == nil:
		return "policy invalid: " + strings.Join(m.PolicyErrors, "; ")
	}
	var uncovered []string
	for _, h := range d.Hosts {
		if m.MXMatch[h.Name] == "" {
			uncovered = append(uncovered, h.Name)
		}
	}
	out := fmt.Sprintf("%s (id %s, max_age %d)", m.Policy.Mode, m.ID, m.Policy.MaxAge)
	if len(uncovered) > 0 {
		out += "; MX not covered: " + strings.Join(uncovered, ", ")
	} else if len(d.Hosts) > 0 {
		out += "; every MX covered"
	}
	if len(m.PolicyWarnings) > 0 {
		out += "; " + strings.Join(m.PolicyWarnings, "; ")
	}
	return out
}

func tlsrptSummary(t *evidence.TLSRPT) string {
	switch {
	case t.Error != "" && len(t.Records) == 0 && (t.TXT.Status == evidence.DNSNXDomain || t.TXT.Status == evidence.DNSNoData):
		return "not published"
	case t.Error != "":
		return "invalid: " + t.Error
	}
	return "reports to " + strings.Join(t.RUA, ", ")
}

func daneSummary(h *evidence.Host) string {
	t := h.TLSA
	if len(t.Records) == 0 {
		switch t.Lookup.Status {
		case evidence.DNSOK, evidence.DNSNoData, evidence.DNSNXDomain:
			return "no TLSA records"
		}
		return "TLSA lookup failed (" + string(t.Lookup.Status) + ")"
	}
	var states []string
	for _, a := range h.Addresses {
		switch {
		case a.DANE == nil:
			states = append(states, a.IP+": not tested")
		case len(a.DANE.Matched) > 0:
			states = append(states, a.IP+": matches "+strings.Join(a.DANE.Matched, ", "))
		default:
			states = append(states, a.IP+": no match ("+a.DANE.Reason+")")
		}
	}
	sec := string(t.Lookup.DNSSEC)
	if sec == "" {
		sec = "dnssec not checked"
	}
	return fmt.Sprintf("%d TLSA record(s), %s; %s", len(t.Records), sec, strings.Join(states, "; "))
}
