// Package xlsx renders a report as the Excel workbook vendor management
// filters: a Summary with the figures and a grade chart, then one sheet per
// table (vendors, MX addresses, cipher suites, findings, changes, input
// problems). The sheets are declared once, in sheets(); the big ones are
// written with excelize's StreamWriter so that a fleet of ten thousand
// domains does not need gigabytes.
//
// Every string becomes a typed text cell through one function (styles.cell):
// it is passed through report.Clean, capped at Excel's cell limit and
// written as an inline or shared string with the text number format, never
// as a formula, so a banner or a vendor name beginning with '=', '+', '-'
// or '@' appears literally. Numbers are numbers and dates are dates.
package xlsx

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/mxaudit/mxaudit/report"
)

// maxDataRows is the number of data rows a sheet can hold: Excel's row
// limit less the header row and the row that says how many were left out.
const maxDataRows = excelize.TotalRows - 2

// Write renders r as an xlsx workbook to w.
func Write(w io.Writer, r *report.Report) error {
	return write(w, r, maxDataRows)
}

// WriteFile renders r as an xlsx workbook to path, atomically: readers see
// the old file or the complete new one.
func WriteFile(path string, r *report.Report) error {
	return report.WriteFileAtomic(path, func(w io.Writer) error { return Write(w, r) })
}

// What the workbook holds in memory while it is written, besides the rows
// being drawn: excelize's StreamWriter (v2.11.1, stream.go) keeps each
// streamed sheet in a bytes.Buffer until the package is zipped; a sheet
// that passes StreamChunkSize (16 MiB) is moved to a temporary file, but
// its buffer, grown to 32 MiB by then, is only Reset, never released,
// until File.Close. Every sheet is open until the package is written, so
// the workbook holds up to 32 MiB per large sheet (10,000 domains: 3
// sheets over 16 MiB and 4 of 10-13 MB, some 160 MB; the synthetic
// BenchmarkWrite10k: 239 MB of heap above the model). excelize has no
// API to release a flushed buffer nor to write a sheet's part before the
// others; bounding it further needs a change in excelize (releasing
// bufferedWriter.buf once it has been moved to its temporary file).

// book is one workbook being written.
type book struct {
	f  *excelize.File
	r  *report.Report
	st *styles
	// maxRows is the data-row limit per sheet (lower in tests).
	maxRows int
}

func write(w io.Writer, r *report.Report, maxRows int) (err error) {
	if r == nil {
		return errors.New("xlsx: nil report")
	}
	f := excelize.NewFile()
	defer func() {
		// Close removes the stream writers' temporary files.
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("xlsx: close workbook: %w", cerr)
		}
	}()
	st, err := newStyles(f)
	if err != nil {
		return fmt.Errorf("xlsx: styles: %w", err)
	}
	b := &book{f: f, r: r, st: st, maxRows: maxRows}
	defs := sheets(r)
	for i, d := range defs {
		if err := b.addSheet(i, d.name); err != nil {
			return fmt.Errorf("xlsx: sheet %s: %w", d.name, err)
		}
	}
	// Before any sheet is streamed: SetActiveSheet parses every worksheet,
	// and for a streamed one that is its whole buffered XML.
	f.SetActiveSheet(0)
	for _, d := range defs {
		if err := d.render(b, d); err != nil {
			return fmt.Errorf("xlsx: sheet %s: %w", d.name, err)
		}
	}
	if err := b.docProps(); err != nil {
		return fmt.Errorf("xlsx: document properties: %w", err)
	}
	return writeZip(f, w)
}

// writeZip writes the workbook's package to w as it is zipped.
//
// excelize's File.Write zips the whole workbook into a bytes.Buffer before
// copying it out (some 235 MB at 100,000 domains). Its ZipWriter hook is
// given that buffer; the hook here ignores it and zips onto w instead, so
// the buffer stays empty and memory does not grow with the workbook.
//
// What is lost is excelize's writeZip64LFH: after zipping it patches, in
// the buffer, the local file header of every part larger than 4 GiB to
// say ZIP64 (version 45), as Excel requires of such parts; archive/zip
// itself only marks them so in the central directory. It only acts on
// parts over 4 GiB (math.MaxUint32 bytes); below that it does nothing,
// and our parts stay far below it (a sheet holds at most 1,048,576 rows).
// Should a part ever reach it, the writer fails rather than produce a
// file Excel calls corrupt.
func writeZip(f *excelize.File, w io.Writer) error {
	zw := &partLimitWriter{zw: zip.NewWriter(w)}
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zw })
	if err := f.Write(noWrites{}); err != nil {
		return fmt.Errorf("xlsx: write workbook: %w", err)
	}
	return nil
}

// partLimitWriter is an archive/zip writer whose parts may not exceed
// maxPartSize.
type partLimitWriter struct{ zw *zip.Writer }

// maxPartSize is the largest part written without ZIP64 (see writeZip).
const maxPartSize = math.MaxUint32

// Create starts a part of the package.
func (p *partLimitWriter) Create(name string) (io.Writer, error) {
	w, err := p.zw.Create(name)
	if err != nil {
		return nil, err
	}
	return &partWriter{name: name, w: w}, nil
}

// AddFS adds a file system's files to the package.
func (p *partLimitWriter) AddFS(fsys fs.FS) error { return p.zw.AddFS(fsys) }

// Close writes the package's central directory.
func (p *partLimitWriter) Close() error { return p.zw.Close() }

// partWriter counts the bytes of one part.
type partWriter struct {
	name string
	w    io.Writer
	n    int64
}

func (p *partWriter) Write(b []byte) (int, error) {
	if p.n+int64(len(b)) > maxPartSize {
		return 0, fmt.Errorf("part %s larger than %d bytes (would need ZIP64 headers)", p.name, int64(maxPartSize))
	}
	n, err := p.w.Write(b)
	p.n += int64(n)
	return n, err
}

// noWrites is the writer File.Write is given once the zip goes straight to
// the destination: excelize then copies it an empty buffer. Anything else
// written to it would be a part of the workbook outside the zip, so it
// is an error, never silently dropped.
type noWrites struct{}

func (noWrites) Write(b []byte) (int, error) {
	return 0, errors.New("excelize wrote the workbook outside its zip writer")
}

// addSheet creates the sheet at position i; the first one renames the
// workbook's default sheet.
func (b *book) addSheet(i int, name string) error {
	if i == 0 {
		return b.f.SetSheetName(b.f.GetSheetName(0), name)
	}
	_, err := b.f.NewSheet(name)
	return err
}

func (b *book) docProps() error {
	at := b.r.GeneratedAt.UTC().Format(time.RFC3339)
	return b.f.SetDocProps(&excelize.DocProperties{
		Title:          cellText(b.r.Org.Title),
		Subject:        cellText(b.r.Run.ListName),
		Creator:        cellText(b.r.Tool + " " + b.r.ToolVersion),
		LastModifiedBy: cellText(b.r.Tool),
		Created:        at,
		Modified:       at,
		Language:       "en",
	})
}
