package report

import (
	"bytes"
	"encoding"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mxaudit/mxaudit/audit/evidence"
)

var updateSchema = flag.Bool("update", false, "rewrite report/schema/*.schema.json from the Go types")

// modulePath is the import path prefix of this module's packages, whose
// source the schema generator reads for descriptions.
const modulePath = "github.com/mxaudit/mxaudit/"

// TestSchemaCurrent: the embedded schemas are exactly what the Go types
// give. After changing a type of the report or of scan --json, run
//
//	go test ./report -run TestSchemaCurrent -update
//
// and say in the README what changed.
func TestSchemaCurrent(t *testing.T) {
	docs := map[string]struct {
		root  reflect.Type
		title string
		id    string
		extra func(map[string]any)
	}{
		"report": {reflect.TypeFor[Report](), "mxaudit JSON report", "https://mxaudit.example/schema/report-v2.json",
			func(s map[string]any) {
				props := s["properties"].(map[string]any)
				props["schema_version"] = map[string]any{"const": SchemaVersion, "description": "report.SchemaVersion: the shape of this document."}
			}},
		"scan": {reflect.TypeFor[ScanDocument](), "mxaudit scan --json", "https://mxaudit.example/schema/scan-v1.json",
			func(s map[string]any) {
				props := s["properties"].(map[string]any)
				props["schema_version"] = map[string]any{"const": evidence.SchemaVersion, "description": "evidence.SchemaVersion: the shape of the evidence."}
			}},
	}
	for name, d := range docs {
		t.Run(name, func(t *testing.T) {
			g := newSchemaGen(t)
			root := g.object(d.root)
			d.extra(root)
			doc := map[string]any{
				"$schema": "https://json-schema.org/draft/2020-12/schema",
				"$id":     d.id,
				"title":   d.title,
				"$defs":   g.defs,
			}
			for k, v := range root {
				doc[k] = v
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetIndent("", "  ")
			enc.SetEscapeHTML(false)
			if err := enc.Encode(doc); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("schema", name+".schema.json")
			if *updateSchema {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Schema(name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, buf.Bytes()) && !*updateSchema {
				t.Fatalf("%s is not what the Go types give: run go test ./report -run TestSchemaCurrent -update, and say in the README what changed", path)
			}
		})
	}
}

// schemaGen turns Go types into JSON Schema the way encoding/json
// marshals them.
type schemaGen struct {
	t    *testing.T
	defs map[string]any
	// docs are the doc comments of this module's types and fields:
	// "pkg.Type" and "pkg.Type.Field".
	docs map[string]string
}

func newSchemaGen(t *testing.T) *schemaGen {
	return &schemaGen{t: t, defs: map[string]any{}, docs: map[string]string{}}
}

var (
	timeType          = reflect.TypeFor[time.Time]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	durationType      = reflect.TypeFor[evidence.Duration]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// defName names a struct type in $defs: "report.Finding".
func defName(t reflect.Type) string {
	return filepath.Base(t.PkgPath()) + "." + t.Name()
}

// loadDocs reads the doc comments of the package of t from its source.
func (g *schemaGen) loadDocs(t reflect.Type) {
	pkg := t.PkgPath()
	if !strings.HasPrefix(pkg, modulePath) {
		return
	}
	key := "\x00" + pkg
	if _, done := g.docs[key]; done {
		return
	}
	g.docs[key] = ""
	dir := filepath.Join("..", strings.TrimPrefix(pkg, modulePath))
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		g.t.Fatalf("read %s for descriptions: %v", dir, err)
	}
	var files []*ast.File
	for _, e := range entries {
		if n := e.Name(); !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.ParseComments)
		if err != nil {
			g.t.Fatalf("read %s for descriptions: %v", dir, err)
		}
		files = append(files, f)
	}
	short := filepath.Base(pkg)
	{
		for _, f := range files {
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.TYPE {
					continue
				}
				for _, spec := range gd.Specs {
					ts := spec.(*ast.TypeSpec)
					doc := ts.Doc
					if doc == nil && len(gd.Specs) == 1 {
						doc = gd.Doc
					}
					if doc != nil {
						g.docs[short+"."+ts.Name.Name] = cleanDoc(doc.Text())
					}
					st, ok := ts.Type.(*ast.StructType)
					if !ok {
						continue
					}
					for _, fld := range st.Fields.List {
						text := ""
						if fld.Doc != nil {
							text = fld.Doc.Text()
						} else if fld.Comment != nil {
							text = fld.Comment.Text()
						}
						for _, n := range fld.Names {
							if text != "" {
								g.docs[short+"."+ts.Name.Name+"."+n.Name] = cleanDoc(text)
							}
						}
					}
				}
			}
		}
	}
}

// cleanDoc joins a comment's lines into one paragraph.
func cleanDoc(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// schema returns the schema of a value of type t; nullable when encoding/json
// can write null for it (nil pointers, slices and maps not left out by
// omitempty).
func (g *schemaGen) schema(t reflect.Type, omitempty bool) map[string]any {
	nullable := false
	for t.Kind() == reflect.Pointer {
		nullable = !omitempty
		t = t.Elem()
	}
	var s map[string]any
	switch {
	case t == timeType:
		s = map[string]any{"type": "string", "format": "date-time"}
	case t == rawMessageType:
		s = map[string]any{}
	case t == durationType:
		s = map[string]any{"type": "integer", "description": "milliseconds"}
	case t.Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(jsonMarshalerType):
		g.t.Fatalf("type %s marshals itself: teach the schema generator its shape", t)
	case t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType):
		s = map[string]any{"type": "string"}
	}
	if s == nil {
		switch t.Kind() {
		case reflect.String:
			s = map[string]any{"type": "string"}
		case reflect.Bool:
			s = map[string]any{"type": "boolean"}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			s = map[string]any{"type": "integer"}
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			s = map[string]any{"type": "integer", "minimum": 0}
		case reflect.Float32, reflect.Float64:
			s = map[string]any{"type": "number"}
		case reflect.Slice, reflect.Array:
			if t.Elem().Kind() == reflect.Uint8 {
				s = map[string]any{"type": "string", "contentEncoding": "base64"}
			} else {
				s = map[string]any{"type": "array", "items": g.schema(t.Elem(), false)}
				nullable = nullable || (t.Kind() == reflect.Slice && !omitempty)
			}
		case reflect.Map:
			s = map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem(), false)}
			nullable = nullable || !omitempty
		case reflect.Struct:
			name := defName(t)
			if _, ok := g.defs[name]; !ok {
				g.defs[name] = nil // a placeholder against recursion
				g.defs[name] = g.object(t)
			}
			s = map[string]any{"$ref": "#/$defs/" + name}
		case reflect.Interface:
			s = map[string]any{}
		default:
			g.t.Fatalf("schema of %s (%s)", t, t.Kind())
		}
	}
	if nullable {
		if ty, ok := s["type"].(string); ok {
			s["type"] = []string{ty, "null"}
		} else {
			s = map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
		}
	}
	return s
}

// object is the schema of a struct: its exported fields under their JSON
// names, embedded structs flattened as encoding/json does, closed to
// other properties; required are the fields without omitempty.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	g.loadDocs(t)
	props := map[string]any{}
	var required []string
	g.fields(t, props, &required)
	sort.Strings(required)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	if d := g.docs[defName(t)]; d != "" {
		s["description"] = d
	}
	return s
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			g.loadDocs(et)
			g.fields(et, props, required)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omit := strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")
		s := g.schema(f.Type, omit)
		if d := g.docs[defName(t)+"."+f.Name]; d != "" {
			if _, isRef := s["$ref"]; isRef {
				s = map[string]any{"allOf": []any{s}, "description": d}
			} else {
				s["description"] = d
			}
		}
		props[name] = s
		if !omit {
			*required = append(*required, name)
		}
	}
}
