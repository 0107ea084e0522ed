package pdf

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/templates"
)

// defaultRemediationDays is the deadline letters give when the
// organisation sets none.
const defaultRemediationDays = 90

// letterDirMode is the permission of a letters directory WriteLetters creates.
const letterDirMode = 0o750

// maxSlugRunes bounds the vendor part of a letter's file name.
const maxSlugRunes = 48

// WriteLetters writes one PDF letter per mail domain (report.EachLetter: a
// domain with findings above info to correct, or whose servers could not
// be audited) into dir (created if missing), each file written
// atomically, and returns the paths written, in the vendor table's risk
// order. A letter names every vendor row that uses its domain. File names
// are "letter-<domain>.pdf" with the domain reduced to ASCII letters,
// digits and hyphens.
func WriteLetters(dir string, r *report.Report, opt Options) ([]string, error) {
	if r == nil {
		return nil, errNoReport
	}
	prose, err := templates.LoadLetterProse(opt.Templates)
	if err != nil {
		return nil, fmt.Errorf("letters: %w", err)
	}
	fw, err := templates.LoadFrameworks(opt.Templates)
	if err != nil {
		return nil, fmt.Errorf("letters: %w", err)
	}
	if err := os.MkdirAll(dir, letterDirMode); err != nil {
		return nil, fmt.Errorf("letters: %w", err)
	}
	used := map[string]bool{}
	var paths []string
	// One letter at a time: each is read by query and written before the
	// next is read.
	err = report.EachLetter(r, func(l *report.Letter) error {
		path := filepath.Join(dir, letterFileName(l.Domain, used))
		err := report.WriteFileAtomic(path, func(w io.Writer) error {
			return writeLetter(w, r, prose, fw, opt, *l)
		})
		if err != nil {
			return err
		}
		paths = append(paths, path)
		return nil
	})
	if err != nil {
		return paths, fmt.Errorf("letters: %w", err)
	}
	return paths, nil
}

// letterFileName makes a unique, portable file name for a letter about name.
func letterFileName(name string, used map[string]bool) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(name) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
			dash = false
		case unicode.Is(unicode.Mn, r): // accents split off by NFKD
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
	}
	slug := strings.Trim(truncateRunes(b.String(), maxSlugRunes), "-…")
	if slug == "" {
		slug = "vendor"
	}
	file := "letter-" + slug + ".pdf"
	for i := 2; used[file]; i++ {
		file = fmt.Sprintf("letter-%s-%d.pdf", slug, i)
	}
	used[file] = true
	return file
}

// required says whether a finding is a change the letter requires;
// lower severities are recommended.
func required(f report.Finding) bool { return f.SeverityNum >= int(grade.Medium) }

// writeLetter draws one letter.
func writeLetter(w io.Writer, r *report.Report, prose *templates.Prose, fw []templates.Framework, opt Options,
	l report.Letter) error {
	now := opt.now(r)
	d, err := newDoc(r, prose, now, !opt.Uncompressed)
	if err != nil {
		return err
	}
	ld := &reportDoc{doc: d, frameworks: fw}
	if ld.logo, err = d.loadLogo(opt.logo(r)); err != nil {
		return err
	}
	var req, rec []report.Finding
	for _, f := range l.Findings {
		if required(f) {
			req = append(req, f)
		} else {
			rec = append(rec, f)
		}
	}
	var firstDue *time.Time
	for _, f := range req {
		if due := findingDue(r, opt, f); firstDue == nil || due.Before(*firstDue) {
			firstDue = &due
		}
	}
	data := ld.data("Letter", l, "Vendor", l.Vendor, "Vendors", l.Vendors, "Domain", l.Domain, "Domains", []string{l.Domain},
		"Count", len(l.Findings), "Required", len(req), "Recommended", len(rec), "FirstDue", firstDue, "Date", now,
		"Due", letterDue(r, opt), "Days", remediationDays(r), "Ref", l.Ref)
	d.footer = d.text("footer.left", data)
	title := d.text("letter.title", data)
	d.f.SetTitle(d.clean(title), true)
	d.f.SetAuthor(d.clean(r.Org.Name), true)
	d.newPage()
	d.setStyle(sBody)
	d.f.Bookmark(d.clean(title), 0, -1)
	ld.letterhead(data)

	if l.NotAudited {
		d.prosePara(sBody, "letter.not_audited", data)
	} else {
		d.prosePara(sBody, "letter.intro", data)
	}
	d.prosePara(sBody, "letter.grade", data)
	for _, part := range []struct {
		title string
		fs    []report.Finding
	}{{"letter.required_title", req}, {"letter.recommended_title", rec}} {
		if len(part.fs) == 0 {
			continue
		}
		d.heading(sH3, d.text(part.title, data), -1)
		for _, f := range part.fs {
			ld.letterFinding(r, opt, f)
		}
	}
	ld.letterControls(l)
	d.heading(sH3, d.text("letter.deadline_title", data), -1)
	d.prosePara(sBody, "letter.deadline", data)
	d.prosePara(sBody, "letter.verify", data)
	d.gap(2)
	d.prosePara(sBody, "letter.closing", data)
	if d.err != nil {
		return d.err
	}
	return d.f.Output(w)
}

// letterControls lists the sender-authentication profile controls the
// domain fails, each with the DNS record that fixes it where one does.
func (d *reportDoc) letterControls(l report.Letter) {
	if len(l.Controls) == 0 {
		return
	}
	d.heading(sH3, d.text("letter.controls_title", nil), -1)
	d.prosePara(sBody, "letter.controls_intro", nil)
	var rows [][]cell
	for _, c := range l.Controls {
		text := c.Reason
		if c.Publish != "" {
			text += ". " + d.text("letter.publish", nil) + " " + c.Publish
		}
		rows = append(rows, []cell{txt(c.Framework + ": " + c.Title), txt(text)})
	}
	d.table(table{cols: []column{col("", 0.38), col("", 0.62)}, rows: rows, label: true})
	d.gap(1)
}

// findingDue is a finding's deadline: the model's (the remediation SLA
// of its severity and the vendor's tier), else the letter's default.
func findingDue(r *report.Report, opt Options, f report.Finding) time.Time {
	if f.Due != nil {
		return f.Due.UTC()
	}
	return letterDue(r, opt)
}

// letterFinding draws one finding as one block: what we saw, why it
// matters, what to change, how to check it, by when.
func (d *reportDoc) letterFinding(r *report.Report, opt Options, f report.Finding) {
	caption := f.Title
	if required(f) || f.Due != nil {
		caption = d.text("letter.finding_due", map[string]any{"Title": f.Title, "Due": findingDue(r, opt, f)})
	}
	chip := strings.ToUpper(f.Severity)
	st := d.setStyle(sBold)
	n := len(d.lines(caption, contentW-d.chipWidth(chip)))
	d.headingOpt(pendingHeading{height: float64(n)*st.lead + 1, custom: func() {
		y := d.f.GetY()
		x := d.chip(marginL, y, chip, severityColour(f.Severity))
		d.f.SetXY(x, y)
		d.paraAt(sBold, caption, x, marginL+contentW-x, ink)
		d.gap(0.8)
	}})
	label := func(name string) cell { return txt(d.text("label."+name, nil)) }
	rows := [][]cell{{label("observed"), txt(location(f) + ": " + f.Message)}}
	if f.Why != "" {
		rows = append(rows, []cell{label("why"), txt(f.Why)})
	}
	if f.Remediation != "" {
		rows = append(rows, []cell{label("fix"), txt(f.Remediation)})
	}
	if check := strings.TrimSpace(d.text("letter.check", map[string]any{"Code": f.Code, "Domain": f.Domain, "Host": f.Host,
		"IP": f.IP})); check != "" {
		rows = append(rows, []cell{label("check"), txt(check)})
	}
	if cites := d.citations(f.Standards); len(cites) > 0 {
		rows = append(rows, []cell{label("standards"), txt(strings.Join(cites, "; "))})
	}
	d.table(table{cols: []column{col("", 0.19), col("", 0.81)}, rows: rows, label: true})
	d.gap(1)
}

// letterhead draws the sender, date, reference, addressee and subject.
func (d *reportDoc) letterhead(data map[string]any) {
	f := d.f
	y := f.GetY()
	if d.logo {
		d.drawLogo(pageW-marginR-50, y-8, 50, 18, true)
	}
	f.SetXY(marginL, y)
	d.paraAt(sH2, d.text("letter.sender", data), marginL, contentW-55, accent)
	d.paraAt(sSmall, d.text("letter.date", data), marginL, contentW-55, grey)
	d.paraAt(sSmallBold, d.text("letter.reference", data), marginL, contentW-55, ink)
	f.SetXY(marginL, max(f.GetY(), y+20))
	d.para(sBody, d.text("letter.to", data))
	if c := d.text("letter.to_contacts", data); strings.TrimSpace(c) != "" {
		d.para(sBody, c)
	}
	d.gap(2)
	d.para(sBold, d.text("letter.subject", data))
	d.gap(4)
	d.para(sBody, d.text("letter.greeting", data))
	d.gap(2)
}

// remediationDays is the deadline a letter gives, in days.
func remediationDays(r *report.Report) int {
	if r.Org.RemediationDays > 0 {
		return r.Org.RemediationDays
	}
	return defaultRemediationDays
}

// letterDue is the date by which a letter asks for the changes.
func letterDue(r *report.Report, opt Options) time.Time {
	return opt.now(r).AddDate(0, 0, remediationDays(r))
}
