package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/config"
)

// Delivery limits.
const (
	// deliveryTimeout bounds one delivery (mail or webhook), connection to end.
	deliveryTimeout = 60 * time.Second
	// maxWebhookReply is how much of a webhook's reply is read.
	maxWebhookReply = 64 << 10
	// maxCAFile bounds the relay's CA bundle.
	maxCAFile = 1 << 20
	// implicitTLSPort is the SMTP submission port with TLS from the first
	// byte (RFC 8314); any other port uses STARTTLS, which is required.
	implicitTLSPort = 465
	// overdueListed is how many overdue findings the summaries name.
	overdueListed = 50
)

// delivery is where a run's summary goes: mail recipients through the
// configured relay, and a webhook.
type delivery struct {
	mailTo   []string
	mail     config.Mail
	password string
	notify   string
}

// parseDelivery checks --mail-to and --notify against the configuration
// before the audit starts, so a missing relay or password fails at once.
func parseDelivery(c interface {
	StringSlice(string) []string
	String(string) string
}, cfg config.Config) (*delivery, error) {
	d := &delivery{notify: strings.TrimSpace(c.String("notify")), mail: cfg.Mail}
	for _, a := range c.StringSlice("mail-to") {
		for _, part := range strings.Split(a, ",") {
			if part = strings.TrimSpace(part); part != "" {
				d.mailTo = append(d.mailTo, part)
			}
		}
	}
	if len(d.mailTo) > 0 {
		if cfg.Mail.Host == "" {
			return nil, usageErr("--mail-to needs a mail relay: set mail: host, from (and user, password_env) in the --config file")
		}
		for _, a := range d.mailTo {
			if err := mail.NewMsg().To(a); err != nil {
				return nil, usageErr("--mail-to: %q is not a mail address", a)
			}
		}
		if cfg.Mail.User != "" {
			d.password = os.Getenv(cfg.Mail.PasswordEnv)
			if d.password == "" {
				return nil, usageErr("--mail-to: the relay password is read from $%s, which is not set", cfg.Mail.PasswordEnv)
			}
		}
	}
	if d.notify != "" {
		u, err := url.Parse(d.notify)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, usageErr("--notify: %q is not an http(s) URL", d.notify)
		}
	}
	if len(d.mailTo) == 0 && d.notify == "" {
		return nil, nil
	}
	return d, nil
}

// notice is the JSON summary posted to --notify, and the figures of the mail.
type notice struct {
	Tool        string                 `json:"tool"`
	Run         report.RunInfo         `json:"run"`
	GeneratedAt time.Time              `json:"generated_at"`
	Vendors     int                    `json:"vendors"`
	Grades      []report.GradeCount    `json:"vendor_grades"`
	Regressions int                    `json:"regressions"`
	Changes     []string               `json:"regressions_detail"`
	Open        int                    `json:"open_findings"`
	Overdue     int                    `json:"overdue_findings"`
	Accepted    int                    `json:"accepted_findings"`
	OverdueList []noticeFinding        `json:"overdue"`
	Expiring    []report.ExceptionView `json:"exceptions_expiring"`
	Reports     []string               `json:"reports"`
}

// noticeFinding is an overdue finding named in a notice.
type noticeFinding struct {
	ID      string    `json:"id"`
	Vendors []string  `json:"vendors"`
	Domain  string    `json:"domain"`
	Code    string    `json:"code"`
	Due     time.Time `json:"due"`
}

func newNotice(r *report.Report, files []string) (notice, error) {
	n := notice{Tool: "mxaudit " + r.ToolVersion, Run: r.Run, GeneratedAt: r.GeneratedAt, Vendors: r.Summary.Vendors,
		Grades: r.Summary.VendorGrades, Regressions: r.Summary.Regressions, Open: r.Summary.OpenFindings,
		Overdue: r.Summary.OverdueFindings, Accepted: r.Summary.AcceptedFindings, Changes: []string{}, OverdueList: []noticeFinding{},
		Expiring: []report.ExceptionView{}, Reports: []string{}}
	err := r.EachChange(func(c *report.Change) error {
		if c.Bad {
			n.Changes = append(n.Changes, report.Clean(strings.Join(c.Vendors, ", ")+" "+c.Domain+": "+c.Text))
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	// Overdue findings come first in the deadline order: the walk stops
	// at the last one listed.
	err = r.EachFinding(report.FindingQuery{Order: report.ByDeadline, Open: true}, func(f *report.Finding) error {
		if !f.Overdue || len(n.OverdueList) >= overdueListed {
			return report.ErrStop
		}
		if f.Due != nil {
			n.OverdueList = append(n.OverdueList, noticeFinding{ID: f.ID, Vendors: f.Vendors, Domain: f.Domain, Code: f.Code, Due: *f.Due})
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	if r.Programme != nil {
		n.Expiring = r.Programme.Expiring
	}
	for _, f := range files {
		n.Reports = append(n.Reports, filepath.Base(f))
	}
	return n, nil
}

// text is the plain-text summary a mail carries.
func (n notice) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mxaudit run %d of %s, started %s (%s).\n\n", n.Run.ID, report.Clean(n.Run.ListName), n.Run.StartedAt.UTC().Format(time.RFC3339), n.Run.Status)
	var gs []string
	for _, g := range n.Grades {
		if g.Count > 0 {
			gs = append(gs, fmt.Sprintf("%s %d", g.Grade, g.Count))
		}
	}
	fmt.Fprintf(&b, "Vendors: %d (%s)\n", n.Vendors, strings.Join(gs, ", "))
	fmt.Fprintf(&b, "Regressions since the last run: %d\n", n.Regressions)
	fmt.Fprintf(&b, "Findings: %d open, %d overdue, %d accepted as risk\n", n.Open, n.Overdue, n.Accepted)
	if len(n.Changes) > 0 {
		b.WriteString("\nChanges for the worse:\n")
		for _, c := range n.Changes {
			b.WriteString("  - " + c + "\n")
		}
	}
	if len(n.OverdueList) > 0 {
		b.WriteString("\nOverdue findings:\n")
		for _, f := range n.OverdueList {
			fmt.Fprintf(&b, "  - %s %s on %s, due %s (%s)\n", f.ID, f.Code, report.Clean(f.Domain), f.Due.UTC().Format(time.DateOnly), report.Clean(strings.Join(f.Vendors, ", ")))
		}
	}
	if len(n.Expiring) > 0 {
		b.WriteString("\nExceptions expiring soon:\n")
		for _, e := range n.Expiring {
			fmt.Fprintf(&b, "  - %s %s, approved by %s, expires %s\n", e.ID, report.Clean(e.Scope), report.Clean(e.Approver), e.Expires)
		}
	}
	b.WriteString("\nThe full report is attached (PDF) where one was written; the workbook and the JSON are beside it on the server.\n")
	return b.String()
}

// deliver sends the run's summary by mail (with the PDF) and to the
// webhook. Both are tried; the errors of those that failed are joined.
func (d *delivery) deliver(ctx context.Context, r *report.Report, files []string) error {
	n, err := newNotice(r, files)
	if err != nil {
		return err
	}
	var errs []error
	if len(d.mailTo) > 0 {
		if err := d.sendMail(ctx, n, files); err != nil {
			errs = append(errs, fmt.Errorf("mail to %s through %s: %w", strings.Join(d.mailTo, ", "), d.mail.Host, err))
		}
	}
	if d.notify != "" {
		if err := d.post(ctx, n); err != nil {
			errs = append(errs, fmt.Errorf("notify %s: %w", redactURL(d.notify), err))
		}
	}
	return errors.Join(errs...)
}

// relayTLS is the TLS configuration to the relay: its name verified
// against the system roots, or against the configured CA bundle.
func (d *delivery) relayTLS() (*tls.Config, error) {
	cfg := &tls.Config{ServerName: d.mail.Host, MinVersion: tls.VersionTLS12}
	if d.mail.CAFile != "" {
		f, err := os.Open(d.mail.CAFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		pem, err := io.ReadAll(io.LimitReader(f, maxCAFile))
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", d.mail.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

func (d *delivery) sendMail(ctx context.Context, n notice, files []string) error {
	tlsCfg, err := d.relayTLS()
	if err != nil {
		return err
	}
	m := mail.NewMsg()
	if err := m.From(d.mail.From); err != nil {
		return fmt.Errorf("from %q: %w", d.mail.From, err)
	}
	if err := m.To(d.mailTo...); err != nil {
		return err
	}
	subject := fmt.Sprintf("mxaudit run %d: %d vendors, %d regressions, %d findings overdue", n.Run.ID, n.Vendors, n.Regressions, n.Overdue)
	m.Subject(subject)
	m.SetDateWithValue(n.GeneratedAt)
	m.SetMessageID()
	m.SetBodyString(mail.TypeTextPlain, n.text())
	for _, f := range files {
		if strings.EqualFold(filepath.Ext(f), ".pdf") && filepath.Base(filepath.Dir(f)) != lettersDir {
			m.AttachFile(f)
		}
	}
	// TLS is mandatory: implicit TLS on 465, STARTTLS everywhere else; a
	// relay that does not offer STARTTLS is refused, never used in clear.
	opts := []mail.Option{mail.WithPort(d.mail.Port), mail.WithTLSConfig(tlsCfg), mail.WithTimeout(deliveryTimeout)}
	if d.mail.Port == implicitTLSPort {
		opts = append(opts, mail.WithSSL())
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if d.mail.User != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(d.mail.User), mail.WithPassword(d.password))
	}
	client, err := mail.NewClient(d.mail.Host, opts...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	return client.DialAndSendWithContext(ctx, m)
}

func (d *delivery) post(ctx context.Context, n notice) error {
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.notify, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mxaudit/"+version)
	resp, err := (&http.Client{Timeout: deliveryTimeout}).Do(req)
	if err != nil {
		// The URL in a *url.Error may carry a token in its query.
		var ue *url.Error
		if errors.As(err, &ue) {
			return ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxWebhookReply))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the webhook answered %s", resp.Status)
	}
	return nil
}

// redactURL drops a URL's user information and query, which often carry a token.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(webhook)"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}
