// Package pdf renders a report.Report as the PDF a compliance officer
// files (cover, executive summary, changes, vendor table, remediation,
// methodology, evidence appendix) and as one short letter per vendor.
//
// It draws from the report model alone. Every string reaches the page
// through one cleaning step (report.Clean, then an escape for code points
// the embedded DejaVu fonts cannot draw), and text is only ever placed
// with fpdf cells, never interpreted as markup. All wording comes from
// templates (pdf.tmpl, letter.tmpl, pdf-frameworks.json), overridable from
// a directory. Output is reproducible: the creation date is fixed by
// Options.Now (default: the report's generation time) and the catalog is
// sorted.
package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/templates"
)

// Options configure Write and WriteLetters.
type Options struct {
	// Now is the documents' creation date and the letters' date; zero
	// means the report's generation time, so a report always renders to
	// the same bytes.
	Now time.Time
	// Logo is a PNG or JPEG file for the cover and the letterheads; ""
	// means the report's Org.Logo.
	Logo string
	// Templates is a directory whose pdf.tmpl, letter.tmpl and
	// pdf-frameworks.json override the embedded wording ("" for none).
	Templates string
	// Uncompressed writes plain content streams, for tests and inspection.
	Uncompressed bool
	// AppendixDomains is the most domains the evidence appendix details,
	// riskiest first: 0 means DefaultAppendixDomains, a negative value no
	// limit. A 10,000-domain run would otherwise print tens of thousands
	// of pages; the workbook and the JSON report keep every address.
	AppendixDomains int
	// RemediationVendors is the most vendors with findings the remediation
	// section details in full, riskiest first (the vendor table's order):
	// 0 means DefaultRemediationVendors, a negative value no limit. The
	// findings of the other vendors are counted in one table, by kind of
	// finding; a 10,000-vendor run would otherwise print thousands of
	// pages of the same few findings. The workbook, the JSON report and
	// the letters keep every finding.
	RemediationVendors int
	// ChangeRows is the most rows the table of changes since the last run
	// lists, worst first: 0 means DefaultChangeRows, a negative value no
	// limit. The workbook and the JSON report keep every change.
	ChangeRows int
	// VendorRows is the most vendor rows each per-vendor table lists (the
	// vendor table, the control matrix, the sender-authentication table),
	// riskiest first: 0 means DefaultVendorRows, a negative value no limit.
	// Under a capped table the PDF says how many rows are left out and the
	// worst grade among them; the workbook and the JSON list every row.
	VendorRows int
}

// DefaultAppendixDomains is the default cap of the evidence appendix.
const DefaultAppendixDomains = 150

// DefaultRemediationVendors is the default cap of the vendors the
// remediation section details.
const DefaultRemediationVendors = 150

// DefaultChangeRows is the default cap of the rows of the changes table.
const DefaultChangeRows = 500

// maxLogoBytes bounds the logo file read into memory.
const maxLogoBytes = 8 << 20

// logoName is the name the logo image is registered under.
const logoName = "logo"

// errNoReport is returned when Write or WriteLetters gets a nil report.
var errNoReport = errors.New("pdf: no report")

func (o Options) now(r *report.Report) time.Time {
	if !o.Now.IsZero() {
		return o.Now.UTC()
	}
	return r.GeneratedAt.UTC()
}

// limitOr is a cap as the options give it: zero means def, a negative
// value no limit (returned as -1).
func limitOr(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return -1
	}
	return n
}

func (o Options) logo(r *report.Report) string {
	if o.Logo != "" {
		return o.Logo
	}
	return r.Org.Logo
}

// Write renders the report as a PDF to w.
func Write(w io.Writer, r *report.Report, opt Options) error {
	if r == nil {
		return errNoReport
	}
	prose, err := templates.LoadPDFProse(opt.Templates)
	if err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	fw, err := templates.LoadFrameworks(opt.Templates)
	if err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	// The contents pages are reserved before the entries are known: one
	// page first, and if the entries need more, the document is drawn
	// again with as many reserved (the entries do not depend on it).
	reserve := 1
	for {
		var buf bytes.Buffer
		_, needed, err := writeReport(&buf, r, prose, fw, opt, reserve)
		if err != nil {
			return err
		}
		if needed > reserve {
			reserve = needed
			continue
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("pdf: write: %w", err)
		}
		return nil
	}
}

// writeReport draws the report with tocPages pages reserved for the table
// of contents. When the contents need more, it writes nothing and returns
// how many they need. The document is returned for the layout tests.
func writeReport(w io.Writer, r *report.Report, prose *templates.Prose, fw []templates.Framework, opt Options,
	tocPages int) (*reportDoc, int, error) {
	d, err := newDoc(r, prose, opt.now(r), !opt.Uncompressed)
	if err != nil {
		return nil, 0, fmt.Errorf("pdf: %w", err)
	}
	rd := &reportDoc{doc: d, frameworks: fw, tocPages: tocPages,
		appendixLimit:    limitOr(opt.AppendixDomains, DefaultAppendixDomains),
		remediationLimit: limitOr(opt.RemediationVendors, DefaultRemediationVendors),
		changeLimit:      limitOr(opt.ChangeRows, DefaultChangeRows),
		vendorLimit:      limitOr(opt.VendorRows, DefaultVendorRows),
	}
	if rd.logo, err = d.loadLogo(opt.logo(r)); err != nil {
		return nil, 0, fmt.Errorf("pdf: %w", err)
	}
	rd.setup()
	for _, s := range sections() {
		rd.section(s)
		if d.err != nil {
			return nil, 0, fmt.Errorf("pdf: %w", d.err)
		}
	}
	rd.endMarker()
	if !rd.drawTOC() {
		return rd, tocPagesFor(len(d.toc), rd.tocY), nil
	}
	if d.err != nil {
		return nil, 0, fmt.Errorf("pdf: %w", d.err)
	}
	if err := d.f.Output(w); err != nil {
		return nil, 0, fmt.Errorf("pdf: write: %w", err)
	}
	return rd, tocPages, nil
}

// loadLogo registers the logo image, if any, and reports whether it did.
func (d *doc) loadLogo(path string) (bool, error) {
	if path == "" {
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("logo: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxLogoBytes+1))
	if err != nil {
		return false, fmt.Errorf("logo: %w", err)
	}
	if len(b) > maxLogoBytes {
		return false, fmt.Errorf("logo %s: larger than %d bytes", path, maxLogoBytes)
	}
	var kind string
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		kind = "PNG"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		kind = "JPG"
	default:
		return false, fmt.Errorf("logo %s: not a PNG or JPEG file", path)
	}
	d.f.RegisterImageOptionsReader(logoName, fpdf.ImageOptions{ImageType: kind}, bytes.NewReader(b))
	if d.f.Err() {
		return false, fmt.Errorf("logo %s: %w", path, d.f.Error())
	}
	return true, nil
}

// drawLogo places the logo at (x, y) within a box of w × h, keeping its
// aspect ratio, and returns the height used.
func (d *doc) drawLogo(x, y, w, h float64, right bool) float64 {
	info := d.f.GetImageInfo(logoName)
	if info == nil || info.Width() <= 0 || info.Height() <= 0 {
		return 0
	}
	iw, ih := w, w*info.Height()/info.Width()
	if ih > h {
		iw, ih = h*info.Width()/info.Height(), h
	}
	if right {
		x += w - iw
	}
	d.f.ImageOptions(logoName, x, y, iw, ih, false, fpdf.ImageOptions{}, 0, "")
	return ih
}
