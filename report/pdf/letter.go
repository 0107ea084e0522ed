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

// WriteLetters writes one short PDF letter per vendor that has findings
// above info into dir (created if missing), each file written atomically,
// and returns the paths written, in the vendor table's risk order. File
// names are "letter-<vendor>.pdf" with the vendor name reduced to ASCII
// letters, digits and hyphens.
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
	x := indexVendors(r)
	for _, vendor := range x.order {
		var fs []report.Finding
		for _, i := range x.findings[vendor] {
			// Accepted risks are not changes the vendor is asked for.
			if f := r.Findings[i]; f.SeverityNum > 0 && !f.Accepted() {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		path := filepath.Join(dir, letterFileName(vendor, used))
		domains := x.domainsOf(r, vendor)
		err := report.WriteFileAtomic(path, func(w io.Writer) error {
			return writeLetter(w, r, prose, fw, opt, vendor, domains, fs)
		})
		if err != nil {
			return paths, fmt.Errorf("letters: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// letterFileName makes a unique, portable file name for a vendor's letter.
func letterFileName(vendor string, used map[string]bool) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(vendor) {
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
	name := "letter-" + slug + ".pdf"
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("letter-%s-%d.pdf", slug, i)
	}
	used[name] = true
	return name
}

// writeLetter draws one vendor's letter.
func writeLetter(w io.Writer, r *report.Report, prose *templates.Prose, fw []templates.Framework, opt Options,
	vendor string, domains []string, fs []report.Finding) error {
	now := opt.now(r)
	d, err := newDoc(r, prose, now, !opt.Uncompressed)
	if err != nil {
		return err
	}
	ld := &reportDoc{doc: d, frameworks: fw}
	if ld.logo, err = d.loadLogo(opt.logo(r)); err != nil {
		return err
	}
	days := remediationDays(r)
	data := ld.data("Vendor", vendor, "Domains", domains, "Count", len(fs), "Date", now,
		"Due", letterDue(r, opt), "Days", days, "Ref", report.LetterRef(r.Run.ID, vendor))
	d.footer = d.text("footer.left", data)
	title := d.text("letter.title", data)
	d.f.SetTitle(d.clean(title), true)
	d.f.SetAuthor(d.clean(r.Org.Name), true)
	d.newPage()
	d.setStyle(sBody)
	d.f.Bookmark(d.clean(title), 0, -1)
	ld.letterhead(data)

	d.prosePara(sBody, "letter.intro", data)
	d.heading(sH3, d.text("letter.seen_title", data), -1)
	var seen []string
	for _, f := range fs {
		seen = append(seen, fmt.Sprintf("%s (%s): %s", f.Title, f.Severity, f.Message))
	}
	d.bullets(sBody, seen)

	d.heading(sH3, d.text("letter.why_title", data), -1)
	d.bullets(sBody, uniqueBy(fs, func(f report.Finding) string {
		if f.Why == "" {
			return ""
		}
		return f.Title + ": " + f.Why
	}))

	d.heading(sH3, d.text("letter.fix_title", data), -1)
	d.bullets(sBody, uniqueBy(fs, func(f report.Finding) string {
		if f.Remediation == "" {
			return ""
		}
		return f.Title + ": " + f.Remediation
	}))
	var cites []string
	for _, f := range fs {
		cites = append(cites, ld.citations(f.Standards)...)
	}
	if refs := uniqueStrings(cites); len(refs) > 0 {
		d.para(sSmall, d.text("letter.references", strings.Join(refs, "; ")))
		d.gap(2)
	}

	d.heading(sH3, d.text("letter.deadline_title", data), -1)
	d.prosePara(sBody, "letter.deadline", data)
	d.gap(2)
	d.prosePara(sBody, "letter.closing", data)
	if d.err != nil {
		return d.err
	}
	return d.f.Output(w)
}

// letterhead draws the sender, date, addressee and subject.
func (d *reportDoc) letterhead(data map[string]any) {
	f := d.f
	y := f.GetY()
	if d.logo {
		d.drawLogo(pageW-marginR-50, y-8, 50, 18, true)
	}
	f.SetXY(marginL, y)
	d.paraAt(sH2, d.text("letter.sender", data), marginL, contentW-55, accent)
	d.paraAt(sSmall, d.text("letter.date", data), marginL, contentW-55, grey)
	f.SetXY(marginL, max(f.GetY(), y+20))
	d.para(sBody, d.text("letter.to", data))
	d.gap(2)
	d.para(sBold, d.text("letter.subject", data))
	d.gap(4)
	d.para(sBody, d.text("letter.greeting", data))
	d.gap(2)
}

// uniqueBy maps the findings to strings, dropping empty and repeated ones.
func uniqueBy(fs []report.Finding, key func(report.Finding) string) []string {
	var out []string
	for _, f := range fs {
		out = append(out, key(f))
	}
	return uniqueStrings(out)
}

func uniqueStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
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
