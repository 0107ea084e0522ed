package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"
)

// Files of the PDF report and the vendor letters, embedded and in an
// override directory.
const (
	// PDFFile holds the PDF report's prose as {{define}} blocks.
	PDFFile = "pdf.tmpl"
	// LetterFile holds the vendor letter's prose as {{define}} blocks.
	LetterFile = "letter.tmpl"
	// FrameworksFile maps the compliance frameworks a reader answers to
	// onto the sections the methodology lists and the citations shown.
	FrameworksFile = "pdf-frameworks.json"
)

// Font families of the embedded fonts, as the PDF renderer registers them.
const (
	// FontSans is DejaVu Sans (regular and bold).
	FontSans = "dejavusans"
	// FontMono is DejaVu Sans Mono (regular).
	FontMono = "dejavusansmono"
)

//go:embed pdf.tmpl letter.tmpl pdf-frameworks.json fonts/*.ttf
var pdfEmbedded embed.FS

// Prose is a set of named text/template blocks ({{define "name"}}) that a
// document renders by name with its data.
type Prose struct {
	t *template.Template
}

// LoadPDFProse returns the PDF report's wording: the embedded pdf.tmpl,
// with every block that dir's pdf.tmpl defines replacing the embedded one
// of the same name. An empty dir means no override.
func LoadPDFProse(dir string) (*Prose, error) {
	return loadProse(PDFFile, dir)
}

// LoadLetterProse returns the vendor letters' wording: the embedded
// letter.tmpl, with the blocks of dir's letter.tmpl replacing the embedded
// ones of the same name. An empty dir means no override.
func LoadLetterProse(dir string) (*Prose, error) {
	return loadProse(LetterFile, dir)
}

func loadProse(name, dir string) (*Prose, error) {
	base, err := pdfEmbedded.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("embedded %s: %w", name, err)
	}
	// A block that names a field its data lacks is an error, never
	// "<no value>" printed on a signed report.
	t, err := template.New(name).Funcs(proseFuncs()).Option("missingkey=error").Parse(string(base))
	if err != nil {
		return nil, fmt.Errorf("embedded %s: %w", name, err)
	}
	if dir != "" {
		over, err := os.ReadFile(filepath.Join(dir, name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("override %s: %w", filepath.Join(dir, name), err)
		default:
			if _, err := t.Parse(string(over)); err != nil {
				return nil, fmt.Errorf("override %s: %w", filepath.Join(dir, name), err)
			}
		}
	}
	return &Prose{t: t}, nil
}

// Render executes the block name with data and returns its text with
// leading and trailing space removed. A missing block is an error.
func (p *Prose) Render(name string, data any) (string, error) {
	t := p.t.Lookup(name)
	if t == nil {
		return "", fmt.Errorf("no template block %q", name)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		// text/template's message names the file, line and column of the
		// failing action; cut it short so that no error can carry a dump
		// of the report model.
		return "", fmt.Errorf("template block %q: %s", name, shortError(err.Error()))
	}
	return strings.TrimSpace(b.String()), nil
}

// Has reports whether the block name is defined.
func (p *Prose) Has(name string) bool {
	return p.t.Lookup(name) != nil
}

// proseFuncs are the helpers the prose blocks may call.
func proseFuncs() template.FuncMap {
	return template.FuncMap{
		// date formats a time as a day: "2 March 2026".
		"date": func(t time.Time) string { return t.UTC().Format("2 January 2006") },
		// datetime formats a time to the minute in UTC.
		"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") },
		// pct formats a share (0..1) as a whole percentage.
		"pct": func(share float64) string { return fmt.Sprintf("%d%%", int(math.Round(share*100))) },
		// plural picks the singular or plural word for n.
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
		// join joins strings with a separator.
		"join": strings.Join,
		// hasPrefix reports whether a string begins with a prefix (a
		// finding code's family: "MTASTS_", "TLSRPT_").
		"hasPrefix": strings.HasPrefix,
		// abs is the absolute value of an integer ("expired 3 days ago").
		"abs": func(n int) int {
			if n < 0 {
				return -n
			}
			return n
		},
	}
}

// Framework is one body of rules a reader answers to, with the sections of
// it that mail-transport TLS bears on.
type Framework struct {
	// Name is the framework's short name ("HIPAA").
	Name string `json:"name"`
	// Title is its full name as the methodology prints it.
	Title string `json:"title"`
	// Aliases are other names a configuration may use for it, compared
	// without case, spaces or punctuation.
	Aliases []string `json:"aliases"`
	// CitationPrefixes pick the finding citations that belong to it.
	CitationPrefixes []string `json:"citation_prefixes"`
	// Always marks the technical baselines every report lists.
	Always bool `json:"always,omitempty"`
	// Sections are the cited sections, each with what it covers.
	Sections []FrameworkSection `json:"sections"`
}

// FrameworkSection is one cited section of a framework.
type FrameworkSection struct {
	// Cite is the section citation ("45 CFR §164.312(e)(1)").
	Cite string `json:"cite"`
	// Topic says, in our own words, what the section asks for.
	Topic string `json:"topic"`
}

// LoadFrameworks returns the framework map: dir's pdf-frameworks.json when
// dir is set and holds one, else the embedded file.
func LoadFrameworks(dir string) ([]Framework, error) {
	b, err := pdfEmbedded.ReadFile(FrameworksFile)
	if err != nil {
		return nil, fmt.Errorf("embedded %s: %w", FrameworksFile, err)
	}
	if dir != "" {
		ob, err := os.ReadFile(filepath.Join(dir, FrameworksFile))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("override %s: %w", filepath.Join(dir, FrameworksFile), err)
		default:
			b = ob
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var out []Framework
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("%s: %w", FrameworksFile, err)
	}
	return out, nil
}

// Font is one embedded TrueType font for the PDF documents.
type Font struct {
	// Family is FontSans, FontMono or a fallback family; Style is "" or "B".
	Family, Style string
	// Fallback marks a font drawn only for the characters the document's
	// own fonts have no glyph for.
	Fallback bool
	// Data is the TrueType file.
	Data []byte
}

// Fallback font families: scripts DejaVu does not draw.
const (
	// FontDevanagari is Noto Sans Devanagari (SIL Open Font License 1.1,
	// see fonts/LICENSE-NotoSansDevanagari). fpdf does not shape text, so
	// conjuncts show as their letters.
	FontDevanagari = "notosansdevanagari"
	// FontCJK is Droid Sans Fallback, Chinese, Japanese and Korean
	// (Apache License 2.0, see fonts/LICENSE-DroidSansFallback).
	FontCJK = "droidsansfallback"
)

// PDFFonts returns the embedded fonts: DejaVu Sans, DejaVu Sans Bold and
// DejaVu Sans Mono (Bitstream Vera license, see fonts/LICENSE), then the
// fallbacks for Devanagari and CJK vendor names, in the order they are
// tried.
func PDFFonts() ([]Font, error) {
	files := []Font{
		{Family: FontSans, Style: ""},
		{Family: FontSans, Style: "B"},
		{Family: FontMono, Style: ""},
		{Family: FontDevanagari, Style: "", Fallback: true},
		{Family: FontCJK, Style: "", Fallback: true},
	}
	names := []string{"fonts/DejaVuSans.ttf", "fonts/DejaVuSans-Bold.ttf", "fonts/DejaVuSansMono.ttf",
		"fonts/NotoSansDevanagari-Regular.ttf", "fonts/DroidSansFallback.ttf"}
	for i, name := range names {
		b, err := pdfEmbedded.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("embedded font: %w", err)
		}
		files[i].Data = b
	}
	return files, nil
}

// maxErrorText is the longest template error message kept.
const maxErrorText = 300

// shortError cuts a template error message to maxErrorText bytes, on a
// rune boundary.
func shortError(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
