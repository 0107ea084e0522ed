package term

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/report"
)

// details prints, for --verbose, what each address showed: its banner, the
// full handshake, the certificate, and every protocol version with the
// suites it accepts, in the server's order when it has one. An address
// shared by several MX hosts was probed once, so its probe is printed once;
// the certificate check, which depends on the MX name, is printed for each.
func (p *printer) details(d *evidence.Domain, g *grade.DomainGrade) {
	p.printf("\n  Per address (suites in the server's order where it enforces one):\n")
	first := map[string]string{} // IP → the MX host it was printed under
	_, why := report.ExplainDomain(p.texts, *g)
	p.printf("  Domain grade %s: %s\n", p.gradeText(g.Grade), report.Clean(why))
	for _, mx := range g.MX {
		h := findHost(d, mx.Host)
		_, why := report.ExplainMX(p.texts, mx)
		p.printf("  %s  grade %s: %s\n", p.color(ansiBold, report.Clean(mx.Host)), p.gradeText(mx.Grade), report.Clean(why))
		for _, ag := range mx.Addresses {
			av := report.AddressViewOf(h, ag)
			_, _, why := report.ExplainAddress(p.texts, ag)
			p.printf("  %s %s  grade %s\n", p.color(ansiBold, report.Clean(mx.Host)), av.IP, p.gradeText(ag.Grade))
			p.printf("    Why: %s\n", report.Clean(why))
			if prev, ok := first[av.IP]; ok {
				p.printf("    Probe: the same server as under %s above\n", report.Clean(prev))
				p.certificate(av.Cert)
				continue
			}
			first[av.IP] = mx.Host
			p.address(&av)
		}
	}
	p.printf("\n")
}

func (p *printer) address(av *report.AddressView) {
	status := av.ProbeStatus
	if av.ProbeError != "" {
		status += ": " + av.ProbeError
	}
	p.printf("    Probe: %s, %d connections\n", report.Clean(status), av.Connections)
	if av.Banner != "" {
		p.printf("    Banner: %s\n", report.Clean(av.Banner))
	}
	if av.Protocol != "" {
		p.printf("    Negotiated: %s\n", report.Clean(av.Protocol))
	}
	if av.HandshakeError != "" && av.HandshakeError != av.ProbeError {
		p.printf("    Full handshake: %s\n", report.Clean(av.HandshakeError))
	}
	p.certificate(av.Cert)
	p.otherCertificates(av)
	for i := range av.Versions {
		p.version(&av.Versions[i])
	}
	p.vulnerabilities(av.Vulnerabilities)
}

// otherCertificates prints the certificates other than the primary that a
// sender can be given at the address (another key type, no SNI), each
// judged as the primary is: senders may get any of them.
func (p *printer) otherCertificates(av *report.AddressView) {
	for i := range av.Certificates {
		c := &av.Certificates[i]
		if c.Via == "" {
			continue // the primary, printed above
		}
		p.printf("    Also presented (%s):\n", report.Clean(c.Via))
		p.certificate(c)
	}
}

// vulnerabilities prints the known-vulnerability probes, one line each,
// with what the probe saw where it found the flaw or could not decide.
func (p *printer) vulnerabilities(vs []report.VulnView) {
	if len(vs) == 0 {
		return
	}
	p.printf("    Known vulnerabilities:\n")
	for _, v := range vs {
		name := v.Name
		if v.CVE != "" {
			name += " (" + v.CVE + ")"
		}
		status := strings.ReplaceAll(v.Status, "_", " ")
		switch evidence.VulnStatus(v.Status) {
		case evidence.VulnVulnerable:
			status = p.color(ansiRed, status)
		case evidence.VulnInconclusive:
			status = p.color(ansiYellow, status)
		}
		line := "      " + report.Clean(name) + ": " + status
		if v.Detail != "" && (v.Status == string(evidence.VulnVulnerable) || v.Status == string(evidence.VulnInconclusive)) {
			line += ": " + report.Clean(v.Detail)
		}
		p.printf("%s\n", line)
	}
}

// certificate prints the leaf and the two checks senders apply to it.
func (p *printer) certificate(c *report.CertView) {
	if c == nil {
		return
	}
	name := c.CommonName
	if name == "" {
		name = c.Subject
	}
	p.printf("    Certificate: %s; SAN %s; issuer %s\n", report.Clean(name), report.Clean(orNone(c.SANs)), report.Clean(c.Issuer))
	key := c.KeyType
	if c.KeyBits > 0 {
		key += " " + strconv.Itoa(c.KeyBits)
	}
	p.printf("      %s, %s; valid until %s (%s)\n", report.Clean(key), report.Clean(c.Signature),
		c.NotAfter.UTC().Format(time.DateOnly), expiry(c))
	trust := c.Trusted
	switch {
	case c.Trusted == "yes" && c.DaysToExpiry < 0:
		// The chain is judged at the leaf's own dates: expiry is the
		// line above, not a trust failure.
		trust += " (the chain, at the leaf's dates)"
	case c.SelfSigned:
		trust += " (self-signed)"
	case c.TrustError != "":
		trust += " (" + c.TrustError + ")"
	case c.ChainIncomplete:
		trust += " (only with intermediates the server does not send)"
	}
	p.printf("      trusted: %s; name matches the MX: %s\n", report.Clean(trust), c.NameMatch)
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// expiry says when the leaf expires or how long ago it did.
func expiry(c *report.CertView) string {
	switch {
	case c.DaysToExpiry < 0:
		return "expired " + report.ExpiredSpan(c.DaysExpired) + " ago"
	case c.DaysToExpiry == 0:
		return "expires within a day"
	}
	return "in " + plural(c.DaysToExpiry, "day")
}

// plural is "1 day" or "n days".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// version prints one protocol version and the suites it accepted.
func (p *printer) version(v *report.VersionView) {
	var line string
	switch evidence.Support(v.Support) {
	case evidence.Supported:
		line = p.color(supportColor(v.Version), "yes") + ", " + plural(len(v.Suites), "suite")
		switch evidence.Preference(v.Preference) {
		case evidence.PreferServer:
			line += " in the server's order"
		case evidence.PreferClient:
			line += "; the server follows the client's order"
		}
		if !v.Complete {
			line += "; enumeration incomplete: " + report.Clean(v.Reason)
		}
		if v.ServerHelloOnly {
			line += "; " + p.color(ansiRed, "chosen in a ServerHello, handshake never completed")
		}
	case evidence.NotSupported:
		line = "no"
		if v.Alert != "" {
			line += " (alert " + report.Clean(v.Alert) + ")"
		}
	case evidence.Inconclusive:
		line = p.color(ansiYellow, "inconclusive") + ": " + report.Clean(v.Reason)
	default:
		line = "not tested"
		if v.Reason != "" {
			line += " (" + report.Clean(v.Reason) + ")"
		}
	}
	p.printf("    %-8s %s\n", report.Clean(v.Version), line)
	if len(v.Suites) == 0 || p.err != nil {
		return
	}
	// Align the rows first, then colour whole lines: escape codes inside
	// tabwriter cells would count as width.
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	for _, s := range v.Suites {
		fmt.Fprintf(tw, "      %s\t%s\t%d bits\t%s\t%s\n", report.Clean(s.Code), report.Clean(s.Name), s.Bits,
			orDash(report.Clean(s.KeyExchange)), strings.Join(s.Flags, " "))
	}
	if err := tw.Flush(); err != nil {
		p.err = err
		return
	}
	for i, row := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if v.Suites[i].Weak {
			row = p.color(ansiRed, row)
		}
		p.printf("%s\n", row)
	}
}

// supportColor is the colour of "yes" for a version: red for SSL, yellow
// for TLS 1.0 and 1.1 (deprecated by RFC 8996), green for the rest.
func supportColor(version string) string {
	switch version {
	case evidence.SSLv2, evidence.SSLv3:
		return ansiRed
	case evidence.TLS10, evidence.TLS11:
		return ansiYellow
	}
	return ansiGreen
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
