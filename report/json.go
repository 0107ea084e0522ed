package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// maxJSONBytes bounds what ReadJSON reads: far above the report of a
// 10,000-domain list, far below what would exhaust memory.
const maxJSONBytes = 1 << 30

// WriteJSON writes the report as one JSON document for machines, one
// element per line: each top-level member on a line of its own, and each
// element of the top-level arrays (probes, domains, findings...) on a
// line of its own, compact. Indenting every level doubled the size of a
// 10,000-domain report for no reader's benefit (jq or any JSON viewer
// indents on demand), while one element per line keeps the file usable
// with grep, head and line-oriented diffs.
//
// The shape is stable under "schema_version" (SchemaVersion): fields are
// only added within a version; a field that is removed or changes meaning
// raises the version. Field names are snake_case; times are RFC 3339 in
// UTC; an unknown or untested fact is a string such as "not checked",
// never a missing field that looks like "no". Arrays at the top level are
// always present ([] when empty).
//
// Each distinct address probe is written once, in "probes", before the
// domains; an address view names its probe by "probe_ref" (ProbeView.Ref).
// A provider's address shared by a hundred domains is thus written once,
// not a hundred times.
//
// The shape is published as a JSON Schema (draft 2020-12): Schema("report"),
// printed by `mxaudit schema`; every object is closed, so the schema lists
// every field this writer can emit.
//
// Strings from remote servers (banners, certificate names, transcripts)
// and from the input file are kept exactly, so a consumer can compare
// them; the file itself is safe to print: control characters, Unicode
// direction overrides and other invisible format characters appear as
// \uXXXX escapes, which every JSON reader turns back into the original
// text. (Invalid UTF-8 never reaches the report: it was replaced by
// U+FFFD when the evidence was stored.)
func WriteJSON(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("write json: no report")
	}
	// The document is written a value at a time, and each array element by
	// itself, through the report's iterators, so neither the report of a
	// 100,000-domain run nor its encoding is ever in memory whole.
	jw := &jsonWriter{w: bufio.NewWriterSize(w, 64<<10)}
	jw.raw("{")
	jw.field("schema_version", SchemaVersion)
	jw.field("generated_at", r.GeneratedAt)
	jw.field("tool", r.Tool)
	jw.field("tool_version", r.ToolVersion)
	jw.field("organisation", r.Org)
	jw.field("run", r.Run)
	if r.Base != nil {
		jw.field("base", r.Base)
	}
	jw.field("summary", r.Summary)
	jw.array("vendor_rows", func(elem func(any)) error {
		return r.EachVendor(VendorQuery{}, func(v *VendorRow) error {
			elem(v)
			return jw.err
		})
	})
	jw.array("probes", func(elem func(any)) error {
		return r.EachProbe(func(p *ProbeView) error {
			elem(p)
			return jw.err
		})
	})
	if r.source != nil && r.source.raw != nil {
		// A built report's elements, encoded when its domains were decoded.
		jw.rawArray("domains", r.source.raw)
	} else {
		jw.array("domains", func(elem func(any)) error {
			return r.EachDomain(func(dv *DomainView) error {
				elem(r.withProbeRefs(dv))
				return jw.err
			})
		})
	}
	jw.array("findings", func(elem func(any)) error {
		return r.EachFinding(FindingQuery{}, func(f *Finding) error {
			elem(f)
			return jw.err
		})
	})
	jw.array("changes", func(elem func(any)) error {
		return r.EachChange(func(c *Change) error {
			elem(c)
			return jw.err
		})
	})
	jw.array("vendor_changes", func(elem func(any)) error {
		return r.EachVendorChange(func(c *VendorChange) error {
			elem(c)
			return jw.err
		})
	})
	jsonArray(jw, "input_problems", r.Problems)
	jw.field("methodology", r.Methodology)
	jw.field("manifest", r.Manifest)
	if r.Programme != nil {
		jw.key("programme")
		jw.programme(r)
	}
	jw.raw("\n}\n")
	if jw.err == nil {
		jw.err = jw.w.Flush()
	}
	if jw.err != nil {
		return fmt.Errorf("write json: %w", jw.err)
	}
	return nil
}

// programme writes the programme object, its control matrix (one row per
// vendor row) element by element through Report.EachControl: the same
// bytes encoding/json gives the whole object.
func (jw *jsonWriter) programme(r *Report) {
	if r.rows == nil {
		jw.value(r.Programme)
		return
	}
	p := *r.Programme
	p.Controls = []VendorControls{}
	b, err := json.Marshal(&p)
	if err != nil {
		jw.err = err
		return
	}
	// Outside strings a quote is never escaped, inside one always: the
	// member is found exactly, once.
	const member = `,"controls":[]`
	at := bytes.Index(b, []byte(member))
	if at < 0 {
		jw.err = fmt.Errorf("programme: no controls member")
		return
	}
	if jw.err == nil {
		_, jw.err = jw.w.Write(escapeUnsafeRunes(b[:at]))
	}
	jw.raw(`,"controls":[`)
	n := 0
	err = r.EachControl(func(c *VendorControls) error {
		if n > 0 {
			jw.raw(",")
		}
		n++
		jw.value(c)
		return jw.err
	})
	if err != nil && jw.err == nil {
		jw.err = err
	}
	jw.raw("]")
	if jw.err == nil {
		_, jw.err = jw.w.Write(escapeUnsafeRunes(b[at+len(member):]))
	}
}

// jsonWriter writes a JSON object one member at a time, each member and
// each element of an array member on a line of its own; the first error
// sticks and later calls do nothing.
type jsonWriter struct {
	w      *bufio.Writer
	err    error
	fields int
}

func (jw *jsonWriter) raw(s string) {
	if jw.err == nil {
		_, jw.err = jw.w.WriteString(s)
	}
}

// value writes v compact, with every rune Clean would escape written as
// \uXXXX.
func (jw *jsonWriter) value(v any) {
	if jw.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		jw.err = err
		return
	}
	_, jw.err = jw.w.Write(escapeUnsafeRunes(b))
}

func (jw *jsonWriter) key(name string) {
	if jw.fields > 0 {
		jw.raw(",")
	}
	jw.fields++
	jw.raw("\n\"" + name + "\":")
}

// field writes one member of the top-level object.
func (jw *jsonWriter) field(name string, v any) {
	jw.key(name)
	jw.value(v)
}

// array writes one member whose value is an array, element by element:
// each calls elem once per element.
func (jw *jsonWriter) array(name string, each func(elem func(any)) error) {
	jw.key(name)
	n := 0
	err := each(func(v any) {
		if n == 0 {
			jw.raw("[\n")
		} else {
			jw.raw(",\n")
		}
		n++
		jw.value(v)
	})
	if err != nil && jw.err == nil {
		jw.err = err
	}
	if n == 0 {
		jw.raw("[]")
	} else {
		jw.raw("\n]")
	}
}

// rawArray is array over elements encoded already (escaped as value
// escapes them).
func (jw *jsonWriter) rawArray(name string, each func(fn func(elem []byte) error) error) {
	jw.key(name)
	n := 0
	err := each(func(elem []byte) error {
		if n == 0 {
			jw.raw("[\n")
		} else {
			jw.raw(",\n")
		}
		n++
		if jw.err == nil {
			_, jw.err = jw.w.Write(elem)
		}
		return jw.err
	})
	if err != nil && jw.err == nil {
		jw.err = err
	}
	if n == 0 {
		jw.raw("[]")
	} else {
		jw.raw("\n]")
	}
}

// jsonArray writes a slice as an array member, element by element, so no
// encoding of the whole slice is held at once.
func jsonArray[T any](jw *jsonWriter, name string, s []T) {
	jw.array(name, func(elem func(any)) error {
		for i := range s {
			elem(&s[i])
		}
		return nil
	})
}

// escapeUnsafeRunes replaces, in encoded JSON, every rune Clean would
// escape by its \uXXXX form. Outside strings JSON holds only ASCII
// punctuation, digits and letters, so every such rune sits inside a
// string, where the escape means the same rune.
func escapeUnsafeRunes(b []byte) []byte {
	var out []byte // allocated on the first unsafe rune
	last := 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		// Below 0x20 are only the encoder's own newlines: encoding/json
		// escapes control characters inside strings already.
		if r < 0x20 || !unsafeRune(r) {
			i += size
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b)+len(b)/16)
		}
		out = append(out, b[last:i]...)
		out = appendUTF16Escape(out, r)
		i += size
		last = i
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

func appendUTF16Escape(b []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	esc := func(b []byte, u uint16) []byte {
		return append(b, '\\', 'u', hex[u>>12&0xf], hex[u>>8&0xf], hex[u>>4&0xf], hex[u&0xf])
	}
	if r > 0xffff {
		r -= 0x10000
		b = esc(b, uint16(0xd800+(r>>10)))
		return esc(b, uint16(0xdc00+(r&0x3ff)))
	}
	return esc(b, uint16(r))
}

// ReadJSON reads a report written by WriteJSON. A document of another
// schema version is an error, since its fields may mean other things.
func ReadJSON(rd io.Reader) (*Report, error) {
	b, err := io.ReadAll(io.LimitReader(rd, maxJSONBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read json report: %w", err)
	}
	if len(b) > maxJSONBytes {
		return nil, fmt.Errorf("read json report: larger than %d bytes", maxJSONBytes)
	}
	var head struct {
		SchemaVersion *int `json:"schema_version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("read json report: %w", err)
	}
	switch {
	case head.SchemaVersion == nil:
		return nil, fmt.Errorf("read json report: no schema_version; not an mxaudit report")
	case *head.SchemaVersion != SchemaVersion:
		return nil, fmt.Errorf("read json report: schema_version %d, this mxaudit reads %d", *head.SchemaVersion, SchemaVersion)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read json report: %w", err)
	}
	if err := r.joinProbes(); err != nil {
		return nil, fmt.Errorf("read json report: %w", err)
	}
	r.newMemIndex()
	return &r, nil
}
