package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/xuri/excelize/v2"

	"github.com/mxaudit/mxaudit/db"
	"github.com/mxaudit/mxaudit/report"
	"github.com/mxaudit/mxaudit/report/config"
	"github.com/mxaudit/mxaudit/report/pdf"
	"github.com/mxaudit/mxaudit/report/reporttest"
)

// stubRenderers write a recognisable line for the PDF and one stub
// letter, so the command's plumbing is tested quickly and exactly; the
// real PDF renderer has a test of its own below.
func stubRenderers() renderers {
	rend := defaultRenderers()
	rend.formats[config.FormatPDF] = func(w io.Writer, r *report.Report, o renderOptions) error {
		_, err := fmt.Fprintf(w, "pdf run %d org %q templates %q\n", r.Run.ID, r.Org.Name, o.templates)
		return err
	}
	rend.letters = func(dir string, r *report.Report, _ renderOptions) ([]string, error) {
		p := filepath.Join(dir, "letter-1.pdf")
		return []string{p}, os.WriteFile(p, []byte("letter"), 0o600)
	}
	return rend
}

// recordOptions makes rend's PDF and letters renderers note the options
// of each call in *pdfOpts and *letterOpts before rendering.
func recordOptions(rend renderers, pdfOpts, letterOpts *[]renderOptions) renderers {
	writePDF, writeLetters := rend.formats[config.FormatPDF], rend.letters
	rend.formats[config.FormatPDF] = func(w io.Writer, r *report.Report, o renderOptions) error {
		*pdfOpts = append(*pdfOpts, o)
		return writePDF(w, r, o)
	}
	rend.letters = func(dir string, r *report.Report, o renderOptions) ([]string, error) {
		*letterOpts = append(*letterOpts, o)
		return writeLetters(dir, r, o)
	}
	return rend
}

// TestRenderOptions: the config's caps reach pdf.Options unchanged, in
// the convention they share (0 default, negative no limit).
func TestRenderOptions(t *testing.T) {
	tests := []struct {
		name string
		s    reportSettings
		want pdf.Options
	}{
		{name: "defaults", s: reportSettings{}, want: pdf.Options{}},
		{name: "templates only", s: reportSettings{templates: "/srv/wording"}, want: pdf.Options{Templates: "/srv/wording"}},
		{name: "caps", s: reportSettings{templates: "w", cfg: config.Config{PDFAppendixDomains: 1, PDFRemediationVendors: 20, PDFChangeRows: 3000}},
			want: pdf.Options{Templates: "w", AppendixDomains: 1, RemediationVendors: 20, ChangeRows: 3000}},
		{name: "all", s: reportSettings{cfg: config.Config{PDFAppendixDomains: config.NoLimit, PDFRemediationVendors: config.NoLimit, PDFChangeRows: config.NoLimit}},
			want: pdf.Options{AppendixDomains: config.NoLimit, RemediationVendors: config.NoLimit, ChangeRows: config.NoLimit}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := newRenderOptions(&tc.s).pdfOptions(); got != tc.want {
				t.Fatalf("pdf options %+v, want %+v", got, tc.want)
			}
		})
	}
	if config.NoLimit >= 0 {
		t.Fatalf("config.NoLimit = %d: pdf reads only a negative cap as no limit", config.NoLimit)
	}
}

// TestConfigExampleCaps: the caps templates/config-example.yaml shows as
// the defaults are report/pdf's defaults.
func TestConfigExampleCaps(t *testing.T) {
	path := filepath.Join("..", "..", "templates", "config-example.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.ParseConfig(path, b)
	if err != nil {
		t.Fatal(err)
	}
	got := [3]int{c.PDFAppendixDomains, c.PDFRemediationVendors, c.PDFChangeRows}
	want := [3]int{pdf.DefaultAppendixDomains, pdf.DefaultRemediationVendors, pdf.DefaultChangeRows}
	if got != want {
		t.Fatalf("the example's caps (appendix, remediation, changes) are %v; report/pdf's defaults are %v", got, want)
	}
}

// runWith runs the CLI with the report and run commands using rend.
func runWith(t *testing.T, rend renderers, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := newApp(&out, &errOut)
	for _, cmd := range app.Commands {
		switch cmd.Name {
		case "report":
			cmd.Action = func(c *cli.Context) error { return reportAction(c, rend) }
		case "run":
			cmd.Action = func(c *cli.Context) error { return runAction(c, rend) }
		}
	}
	err := app.RunContext(context.Background(), append([]string{"mxaudit"}, args...))
	if err == nil {
		return exitOK, out.String(), errOut.String()
	}
	errOut.WriteString("mxaudit: " + err.Error() + "\n")
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, out.String(), errOut.String()
	}
	return exitUsage, out.String(), errOut.String()
}

func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readReportJSON(t *testing.T, path string) *report.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Every JSON report the command writes conforms to the published schema.
	if err := report.Validate("report", b); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	r, err := report.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReportCommand renders reports from the fixture database, built once
// for all subtests (it audits a small fleet twice).
func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	dbPath, run1, run2, err := reporttest.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	runDate := func(id int64) string {
		store, err := db.Open(context.Background(), dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		r, err := store.GetRun(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return r.StartedAt.UTC().Format(time.DateOnly)
	}
	date1, date2 := runDate(run1), runDate(run2)

	t.Run("json of the latest run", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		code, stdout, stderr := runCLI(t, "report", "--db", dbPath, "--format", "json", "--out", out)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		want := filepath.Join(out, fmt.Sprintf("mxaudit-run%d-%s.json", run2, date2))
		if stdout != "wrote "+want+"\n" {
			t.Fatalf("stdout = %q, want the file written", stdout)
		}
		r := readReportJSON(t, want)
		if r.Run.ID != run2 || r.Base == nil || r.Base.ID != run1 || len(r.Vendors) != len(reporttest.Vendors) || r.ToolVersion != version {
			t.Fatalf("report of run %d (base %v), %d vendors, tool %q", r.Run.ID, r.Base, len(r.Vendors), r.ToolVersion)
		}
		if entries, _ := os.ReadDir(out); len(entries) != 1 {
			t.Errorf("%d files in the output directory, want 1", len(entries))
		}
	})

	t.Run("named run, config and stub pdf, xlsx and letters", func(t *testing.T) {
		cdir := t.TempDir()
		cfg := writeFile(t, filepath.Join(cdir, "mxaudit.yaml"),
			"organisation: Example Health\nframeworks: [HIPAA]\nremediation_days: 21\noutput_dir: out\nletters: true\n")
		code, stdout, stderr := runWith(t, stubRenderers(), "report", "--db", dbPath, "--config", cfg, "--expiry-warn", "400", fmt.Sprint(run1))
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		out := filepath.Join(cdir, "out")
		var want []string
		for _, f := range config.AllFormats() {
			want = append(want, filepath.Join(out, fmt.Sprintf("mxaudit-run%d-%s.%s", run1, date1, f)))
		}
		want = append(want, filepath.Join(out, "letters", "letter-1.pdf"))
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
			got = append(got, strings.TrimPrefix(l, "wrote "))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("wrote\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		r := readReportJSON(t, want[2])
		if r.Run.ID != run1 || r.Base != nil || r.Org.Name != "Example Health" || r.Org.RemediationDays != 21 ||
			!slices.Equal(r.Org.Frameworks, []string{"HIPAA"}) || r.Summary.ExpiryWarnDays != 400 {
			t.Fatalf("report = run %d, base %v, org %+v, expiry window %d", r.Run.ID, r.Base, r.Org, r.Summary.ExpiryWarnDays)
		}
		if b, err := os.ReadFile(want[0]); err != nil || string(b) != fmt.Sprintf("pdf run %d org \"Example Health\" templates \"\"\n", run1) {
			t.Fatalf("pdf = %q, %v", b, err)
		}
	})

	t.Run("flags win over the config", func(t *testing.T) {
		cdir := t.TempDir()
		cfg := writeFile(t, filepath.Join(cdir, "c.yaml"), "output_dir: fromconfig\nformats: [pdf]\n")
		out := filepath.Join(cdir, "fromflag")
		code, stdout, stderr := runWith(t, stubRenderers(), "report", "--db", dbPath, "--config", cfg, "--out", out, "--format", "xlsx,json,xlsx")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if strings.Count(stdout, "wrote "+out) != 2 || !strings.Contains(stdout, ".xlsx\n") || strings.Contains(stdout, ".pdf") {
			t.Fatalf("stdout = %q", stdout)
		}
		if _, err := os.Stat(filepath.Join(cdir, "fromconfig")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the config's output_dir was created: %v", err)
		}
	})

	t.Run("xlsx", func(t *testing.T) {
		out := t.TempDir()
		code, _, stderr := runCLI(t, "report", "--db", dbPath, "--format", "xlsx", "--out", out)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		f, err := excelize.OpenFile(filepath.Join(out, fmt.Sprintf("mxaudit-run%d-%s.xlsx", run2, date2)))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		want := []string{"Summary", "Vendors", "By owner", "MX hosts", "Cipher suites", "Findings", "Changes", "Input problems", "Tracker", "Exceptions", "Control matrix"}
		if got := f.GetSheetList(); !slices.Equal(got, want) {
			t.Fatalf("sheets %v, want %v", got, want)
		}
		rows, err := f.GetRows("Vendors")
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for i, row := range rows {
			for j, v := range row {
				if v != "'=SUM(A1:A9)" { // stored with a leading apostrophe (CSV injection)
					continue
				}
				found = true
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if formula, _ := f.GetCellFormula("Vendors", cell); formula != "" {
					t.Errorf("vendor name at %s is a formula %q", cell, formula)
				}
			}
		}
		if !found {
			t.Error(`the vendor "=SUM(A1:A9)" is not written as the inert text '=SUM(A1:A9) in the Vendors sheet`)
		}
	})

	t.Run("pdf and letters", func(t *testing.T) {
		out := t.TempDir()
		cfg := writeFile(t, filepath.Join(out, "c.yaml"), "organisation: Example Health\ntitle: Vendor mail TLS review\nremediation_days: 21\n")
		code, stdout, stderr := runCLI(t, "report", "--db", dbPath, "--config", cfg, "--format", "pdf", "--letters", "--out", out)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		main := filepath.Join(out, fmt.Sprintf("mxaudit-run%d-%s.pdf", run2, date2))
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		if len(lines) < 2 || lines[0] != "wrote "+main {
			t.Fatalf("stdout = %q", stdout)
		}
		files := []string{main}
		for _, l := range lines[1:] {
			p := strings.TrimPrefix(l, "wrote ")
			if filepath.Dir(p) != filepath.Join(out, "letters") {
				t.Errorf("letter %s is not under letters/", p)
			}
			files = append(files, p)
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b[max(0, len(b)-64):], []byte("%%EOF")) {
				t.Errorf("%s is not a complete PDF", p)
			}
		}
		pdftotext, err := exec.LookPath("pdftotext")
		if err != nil {
			return
		}
		text, err := exec.Command(pdftotext, "-enc", "UTF-8", main, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Example Health", "Vendor mail TLS review", "Acme Health", "Bolt Bank", "bolt-bank.example"} {
			if !strings.Contains(string(text), want) {
				t.Errorf("the PDF text lacks %q", want)
			}
		}
		// The fixture is far below the default caps: nothing is left out.
		for _, capped := range []string{"This appendix details the", "This section details the", "The table lists the first"} {
			if strings.Contains(strings.Join(strings.Fields(string(text)), " "), capped) {
				t.Errorf("the PDF of a small run says %q", capped)
			}
		}
	})

	t.Run("config caps reach the pdf and the letters", func(t *testing.T) {
		tests := []struct {
			name, config string
			want         renderOptions
		}{
			{name: "absent", config: "organisation: X\n", want: renderOptions{}},
			{name: "numbers", config: "pdf_appendix_domains: 1\npdf_remediation_vendors: 2\npdf_change_rows: 3\npdf_vendor_rows: 4\n",
				want: renderOptions{appendixDomains: 1, remediationVendors: 2, changeRows: 3, vendorRows: 4}},
			{name: "all", config: "pdf_appendix_domains: all\npdf_remediation_vendors: all\npdf_change_rows: all\npdf_vendor_rows: all\n",
				want: renderOptions{appendixDomains: config.NoLimit, remediationVendors: config.NoLimit, changeRows: config.NoLimit,
					vendorRows: config.NoLimit}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out := t.TempDir()
				cfg := writeFile(t, filepath.Join(out, "c.yaml"), tc.config)
				var pdfOpts, letterOpts []renderOptions
				rend := recordOptions(stubRenderers(), &pdfOpts, &letterOpts)
				code, _, stderr := runWith(t, rend, "report", "--db", dbPath, "--config", cfg, "--format", "pdf", "--letters", "--out", out)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if !slices.Equal(pdfOpts, []renderOptions{tc.want}) || !slices.Equal(letterOpts, []renderOptions{tc.want}) {
					t.Fatalf("pdf options %+v, letters %+v; want %+v once each", pdfOpts, letterOpts, tc.want)
				}
			})
		}
		t.Run("bad cap", func(t *testing.T) {
			cfg := writeFile(t, filepath.Join(t.TempDir(), "c.yaml"), "organisation: X\npdf_change_rows: 0\n")
			code, _, stderr := runWith(t, stubRenderers(), "report", "--db", dbPath, "--config", cfg)
			want := cfg + `:2: pdf_change_rows: want a whole number from 1 to 1000000, or all for no limit, not "0"`
			if code != exitUsage || !strings.Contains(stderr, want) {
				t.Fatalf("exit %d, stderr %q; want exit %d saying %q", code, stderr, exitUsage, want)
			}
		})
	})

	t.Run("pdf capped by the config", func(t *testing.T) {
		pdftotext, err := exec.LookPath("pdftotext")
		if err != nil {
			t.Skip("pdftotext is not installed: the capped PDF cannot be read")
		}
		out := t.TempDir()
		cfg := writeFile(t, filepath.Join(out, "c.yaml"), "pdf_appendix_domains: 1\npdf_remediation_vendors: 1\npdf_change_rows: 1\n")
		code, _, stderr := runCLI(t, "report", "--db", dbPath, "--config", cfg, "--format", "pdf,json", "--out", out)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		r := readReportJSON(t, filepath.Join(out, fmt.Sprintf("mxaudit-run%d-%s.json", run2, date2)))
		withFindings := map[string]bool{}
		for _, f := range r.Findings {
			for _, v := range f.Vendors {
				withFindings[v] = true
			}
		}
		if len(r.Domains) < 2 || len(withFindings) < 2 || len(r.Changes) < 2 {
			t.Fatalf("the fixture has %d domains, %d vendors with findings, %d changes: too few for caps of 1",
				len(r.Domains), len(withFindings), len(r.Changes))
		}
		b, err := exec.Command(pdftotext, "-enc", "UTF-8", filepath.Join(out, fmt.Sprintf("mxaudit-run%d-%s.pdf", run2, date2)), "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(b)), " ")
		for _, want := range []string{
			fmt.Sprintf("This appendix details the 1 riskiest domain; the evidence of the other %d is in the workbook", len(r.Domains)-1),
			fmt.Sprintf("This section details the 1 riskiest vendor with findings. %d more vendors have findings", len(withFindings)-1),
			fmt.Sprintf("The table lists the first 1 of the %d changes. The other %d changes are in the workbook", len(r.Changes), len(r.Changes)-1),
		} {
			if !strings.Contains(text, want) {
				t.Errorf("the PDF text lacks %q", want)
			}
		}
	})

	t.Run("json to standard output", func(t *testing.T) {
		code, stdout, stderr := runCLI(t, "report", "--db", dbPath, "--format", "json", "--out", "-")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		r, err := report.ReadJSON(strings.NewReader(stdout))
		if err != nil || r.Run.ID != run2 {
			t.Fatalf("stdout is not the report: %v", err)
		}
		if strings.ContainsRune(stdout, 0x1b) {
			t.Error("raw escape on standard output")
		}
	})

	t.Run("default directory beside the database", func(t *testing.T) {
		ddir := t.TempDir()
		copyDB := filepath.Join(ddir, "h.db")
		b, err := os.ReadFile(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, copyDB, string(b))
		// The WAL may hold committed pages not yet in the main file.
		if wal, err := os.ReadFile(dbPath + "-wal"); err == nil {
			writeFile(t, copyDB+"-wal", string(wal))
		}
		code, stdout, stderr := runCLI(t, "report", "--db", copyDB, "--format", "json")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		want := filepath.Join(ddir, "reports", fmt.Sprintf("mxaudit-run%d-%s.json", run2, date2))
		if stdout != "wrote "+want+"\n" {
			t.Fatalf("stdout = %q, want %q", stdout, want)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		cdir := t.TempDir()
		badCfg := writeFile(t, filepath.Join(cdir, "bad.yaml"), "organisation: X\ncolour: red\n")
		tests := []struct {
			name string
			args []string
			want string
		}{
			{"no database", []string{"report", "--db", filepath.Join(cdir, "none.db")}, "no history database at"},
			{"unknown run", []string{"report", "--db", dbPath, "99"}, "no run 99"},
			{"bad run id", []string{"report", "--db", dbPath, "x"}, `"x" is not a run id`},
			{"two runs", []string{"report", "--db", dbPath, "1", "2"}, "at most one run id"},
			{"bad format", []string{"report", "--db", dbPath, "--format", "pdf,docx"}, `unknown format "docx"`},
			{"stdout with two formats", []string{"report", "--db", dbPath, "--format", "json,pdf", "--out", "-"}, "exactly one format"},
			{"bad config", []string{"report", "--db", dbPath, "--config", badCfg}, badCfg + `:2: unknown key "colour"`},
			{"missing config", []string{"report", "--db", dbPath, "--config", filepath.Join(cdir, "nope.yaml")}, "no such file"},
			{"bad expiry", []string{"report", "--db", dbPath, "--expiry-warn", "0"}, "--expiry-warn"},
			{"bad templates", []string{"report", "--db", dbPath, "--templates", writeFile(t, filepath.Join(cdir, "f"), "")}, "--templates"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code, _, stderr := runWith(t, stubRenderers(), tc.args...)
				if code != exitUsage || !strings.Contains(stderr, tc.want) {
					t.Fatalf("exit %d, stderr %q; want exit %d saying %q", code, stderr, exitUsage, tc.want)
				}
			})
		}
		if _, err := os.Stat(filepath.Join(cdir, "none.db")); !errors.Is(err, os.ErrNotExist) {
			t.Error("report created a database")
		}
	})

	t.Run("renderer failure", func(t *testing.T) {
		rend := stubRenderers()
		rend.formats[config.FormatPDF] = func(io.Writer, *report.Report, renderOptions) error { return errors.New("font missing") }
		out := t.TempDir()
		code, _, stderr := runWith(t, rend, "report", "--db", dbPath, "--format", "json,pdf", "--out", out)
		if code != exitRuntime || !strings.Contains(stderr, "pdf report") || !strings.Contains(stderr, "font missing") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		entries, _ := os.ReadDir(out)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if want := []string{fmt.Sprintf("mxaudit-run%d-%s.json", run2, date2)}; !slices.Equal(names, want) {
			t.Fatalf("files left: %v, want %v (no partial pdf)", names, want)
		}
	})

	t.Run("policy-map", func(t *testing.T) {
		tests := []struct {
			format, wantLine string
		}{
			{"postfix", "acme-health.example "},
			{"exim", "acme-health.example: "},
		}
		for _, tc := range tests {
			t.Run(tc.format, func(t *testing.T) {
				code, stdout, stderr := runCLI(t, "policy-map", "--db", dbPath, "--format", tc.format)
				if code != exitOK {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if !strings.Contains(stdout, "\n"+tc.wantLine) {
					t.Errorf("map lacks a line for acme-health.example:\n%s", stdout)
				}
				if !strings.Contains(stdout, fmt.Sprintf("from run %d (fixture.csv)", run2)) {
					t.Errorf("map does not name its run:\n%s", stdout)
				}
				for _, d := range []string{"delta-dental.example", "null.example"} {
					if !strings.Contains(stdout, "#   "+d+" (") {
						t.Errorf("%s is not in the left-out block", d)
					}
				}
			})
		}
		out := filepath.Join(t.TempDir(), "tls_policy")
		code, _, stderr := runCLI(t, "policy-map", "--db", dbPath, "--out", out, fmt.Sprint(run1))
		if code != exitOK || stderr != "wrote "+out+"\n" {
			t.Fatalf("--out: exit %d, stderr %q", code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil || !strings.Contains(string(b), fmt.Sprintf("from run %d (fixture.csv)", run1)) {
			t.Fatalf("map file: %v\n%s", err, b)
		}
		code, _, stderr = runCLI(t, "policy-map", "--db", dbPath, "--format", "sendmail")
		if code != exitUsage || !strings.Contains(stderr, `unknown mail server "sendmail"`) {
			t.Fatalf("bad format: exit %d %q", code, stderr)
		}
	})
}

// TestRunWritesReports: run writes the reports to the configured output
// directory at its end, and none with --no-report; a bad config stops the
// run before it audits anything.
func TestRunWritesReports(t *testing.T) {
	c := startCLIFleet(t, smallFleet())
	list := writeList(t, c.dir, "Good Co,good.example,Ann,1", "Plain Inc,plain.example,Di,2")
	cfg := writeFile(t, filepath.Join(c.dir, "mxaudit.yaml"),
		"organisation: Example Health\noutput_dir: monthly\npdf_appendix_domains: 7\npdf_remediation_vendors: all\npdf_change_rows: 9\n")
	var pdfOpts, letterOpts []renderOptions
	rend := recordOptions(stubRenderers(), &pdfOpts, &letterOpts)

	dbPath := filepath.Join(c.dir, "h.db")
	code, stdout, stderr := runWith(t, rend, append(append([]string{"run", "--db", dbPath, "--config", cfg}, c.flags()...), list)...)
	if code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	out := filepath.Join(c.dir, "monthly")
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	date := time.Now().UTC().Format(time.DateOnly)
	want := []string{"mxaudit-run1-" + date + ".json", "mxaudit-run1-" + date + ".pdf", "mxaudit-run1-" + date + ".xlsx"}
	if !slices.Equal(names, want) && !slices.Equal(names, wantYesterday(want)) {
		t.Fatalf("files %v, want %v", names, want)
	}
	if !strings.Contains(stdout, "wrote "+filepath.Join(out, "mxaudit-run1-")) {
		t.Errorf("run did not say what it wrote:\n%s", stdout)
	}
	r := readReportJSON(t, filepath.Join(out, names[0]))
	if r.Org.Name != "Example Health" || r.Run.ID != 1 || len(r.Domains) != 2 {
		t.Fatalf("report: org %q, run %d, %d domains", r.Org.Name, r.Run.ID, len(r.Domains))
	}
	wantOpts := renderOptions{appendixDomains: 7, remediationVendors: config.NoLimit, changeRows: 9}
	if !slices.Equal(pdfOpts, []renderOptions{wantOpts}) || len(letterOpts) != 0 {
		t.Fatalf("pdf options %+v, letters %+v; want the config's caps %+v once and no letters", pdfOpts, letterOpts, wantOpts)
	}

	t.Run("no-report", func(t *testing.T) {
		dbPath := filepath.Join(c.dir, "h2.db")
		out := filepath.Join(c.dir, "none")
		code, stdout, stderr := runWith(t, rend, append(append([]string{"run", "--db", dbPath, "--no-report", "--out", out}, c.flags()...), list)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("--no-report created %s: %v", out, err)
		}
		if strings.Contains(stdout, "wrote ") {
			t.Errorf("--no-report printed %q", stdout)
		}
	})

	t.Run("bad config stops the run before it starts", func(t *testing.T) {
		dbPath := filepath.Join(c.dir, "h3.db")
		bad := writeFile(t, filepath.Join(c.dir, "bad.yaml"), "remediation_days: soon\n")
		code, _, stderr := runWith(t, rend, append(append([]string{"run", "--db", dbPath, "--config", bad}, c.flags()...), list)...)
		if code != exitUsage || !strings.Contains(stderr, bad+":1:") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if _, err := os.Stat(dbPath); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a run was started: %v", err)
		}
	})

	t.Run("reports to standard output refused", func(t *testing.T) {
		dbPath := filepath.Join(c.dir, "h5.db")
		code, _, stderr := runWith(t, rend, append(append([]string{"run", "--db", dbPath, "--format", "json", "--out", "-"}, c.flags()...), list)...)
		if code != exitUsage || !strings.Contains(stderr, "--out -: run prints its summary") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})

	t.Run("report failure after a stored run", func(t *testing.T) {
		dbPath := filepath.Join(c.dir, "h4.db")
		broken := stubRenderers()
		broken.formats[config.FormatXLSX] = func(io.Writer, *report.Report, renderOptions) error { return errors.New("disk on fire") }
		code, _, stderr := runWith(t, broken, append(append([]string{"run", "--db", dbPath, "--quiet", "--out", filepath.Join(c.dir, "r4")}, c.flags()...), list)...)
		if code != exitRuntime || !strings.Contains(stderr, "run 1 is stored but its reports are not (retry with: mxaudit report --db "+dbPath+" 1)") ||
			!strings.Contains(stderr, "disk on fire") {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if n := storedDomains(t, dbPath); n != 2 {
			t.Fatalf("%d domains stored, want 2", n)
		}
	})
}

// wantYesterday allows for a run that started just before midnight UTC.
func wantYesterday(names []string) []string {
	today := time.Now().UTC().Format(time.DateOnly)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	var out []string
	for _, n := range names {
		out = append(out, strings.Replace(n, today, yesterday, 1))
	}
	return out
}
