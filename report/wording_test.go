package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/templates"
)

// TestWordingFromTemplates: a cap and an address that could not be audited
// are worded from the templates with the finding's arguments; a grade
// stored by an older mxaudit keeps the sentence it was stored with when
// the templates do not word its code.
func TestWordingFromTemplates(t *testing.T) {
	texts, err := templates.Default()
	if err != nil {
		t.Fatalf("templates.Default: %v", err)
	}
	args := map[string]string{"domain": "example.com", "host": "mx.example.com", "mode": "enforce", "patterns": "mail.example.com"}
	want, err := texts.Finding(grade.CodeMTASTSMXNotCovered, args)
	if err != nil {
		t.Fatal(err)
	}
	caps := capsView(texts, []grade.Cap{
		{Code: grade.CodeMTASTSMXNotCovered, Grade: grade.GradeF, Scope: grade.ScopeHost, Host: "mx.example.com", Args: args},
		{Code: "RETIRED_CODE", Grade: grade.GradeF, Scope: grade.ScopeDomain, Reason: "A sentence stored by an older mxaudit."},
		{Code: "RETIRED_CODE", Grade: grade.GradeF, Scope: grade.ScopeDomain},
	})
	if caps[0].Reason != want.Message || !strings.Contains(caps[0].Reason, "mx.example.com matches no mx line") {
		t.Errorf("cap reason = %q, want the template's %q", caps[0].Reason, want.Message)
	}
	if caps[1].Reason != "A sentence stored by an older mxaudit." {
		t.Errorf("stored cap reason = %q", caps[1].Reason)
	}
	if caps[2].Reason != "RETIRED_CODE" {
		t.Errorf("cap with neither wording nor sentence = %q, want its code", caps[2].Reason)
	}

	ag := grade.AddressGrade{IP: "192.0.2.1", Grade: grade.GradeInconclusive, Inconclusive: true, Findings: []grade.Finding{{
		Code: grade.CodeInconclusive, Domain: "example.com", Host: "mx.example.com", IP: "192.0.2.1",
		Args: map[string]string{"domain": "example.com", "host": "mx.example.com", "ip": "192.0.2.1", "reason": "timeout at banner: i/o timeout"},
	}}}
	_, _, text := ExplainAddress(texts, ag)
	if want := "not graded (?): mx.example.com (192.0.2.1) could not be audited: timeout at banner: i/o timeout"; text != want {
		t.Errorf("ExplainAddress = %q, want %q", text, want)
	}
	// A grade stored by an older mxaudit, rendered without templates.
	ag.Findings[0] = grade.Finding{Code: grade.CodeInconclusive, Reason: "The address could not be audited: refused."}
	if _, _, text := ExplainAddress(nil, ag); text != "not graded (?): The address could not be audited: refused" {
		t.Errorf("ExplainAddress of a stored finding without templates = %q", text)
	}
}

// TestFindingWording: the report's finding takes every word from the
// templates; a stored finding whose code they lack keeps its sentence.
func TestFindingWording(t *testing.T) {
	texts, err := templates.Default()
	if err != nil {
		t.Fatalf("templates.Default: %v", err)
	}
	b := &builder{opt: Options{Texts: texts}, vendorsOf: map[string][]string{}, newFindings: map[string]bool{}}
	f := b.finding("example.com", grade.Finding{Code: grade.CodeSSLv3Enabled, Severity: grade.High, Domain: "example.com",
		Host: "mx.example.com", IP: "192.0.2.1", Args: map[string]string{"domain": "example.com", "host": "mx.example.com", "ip": "192.0.2.1"}})
	if f.Title != "SSLv3 enabled" || f.Message != "mx.example.com (192.0.2.1) accepts SSLv3." || f.Remediation == "" {
		t.Errorf("finding = %q / %q / %q", f.Title, f.Message, f.Remediation)
	}
	old := b.finding("example.com", grade.Finding{Code: "RETIRED_CODE", Severity: grade.Low, Domain: "example.com", Reason: "A stored sentence."})
	if old.Title != "RETIRED_CODE" || old.Message != "A stored sentence." {
		t.Errorf("stored finding = %q / %q", old.Title, old.Message)
	}
}

// TestCheckWording: the embedded wording passes; an override naming an
// argument the grader never sets is refused, naming the code and argument.
func TestCheckWording(t *testing.T) {
	texts, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckWording(texts); err != nil {
		t.Errorf("embedded wording: %v", err)
	}
	dir := t.TempDir()
	over := `{"NO_STARTTLS": {"remediation": "Enable STARTTLS on {{.hots}}."}, "NO_MX": {"message": "{{.domain}}: {{.reason}}."}}`
	if err := os.WriteFile(filepath.Join(dir, templates.FindingsFile), []byte(over), 0o600); err != nil {
		t.Fatal(err)
	}
	texts, err = templates.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = CheckWording(texts)
	if err == nil || !strings.Contains(err.Error(), "NO_STARTTLS uses {{.hots}}") {
		t.Errorf("override with {{.hots}}: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "NO_MX") {
		t.Errorf("NO_MX's reason, kept for stored findings, refused: %v", err)
	}
}

// TestCertUntrustedWording: each cause the grader gives is worded as the
// grader's sentence used to say it, and a stored finding's reason stands.
func TestCertUntrustedWording(t *testing.T) {
	texts, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args map[string]string
		want string
	}{
		{map[string]string{"cause": "self_signed"}, ": the certificate is self-signed."},
		{map[string]string{"cause": "issuer_missing"}, ": the server did not send the issuing certificate and it is not a trusted root."},
		{map[string]string{"cause": "verify_error", "error": "x509: unknown authority"}, ": x509: unknown authority."},
		{map[string]string{"cause": "chain_invalid"}, ": the chain does not verify."},
		{map[string]string{"reason": "a stored reason"}, ": a stored reason."},
	} {
		tt.args["host"], tt.args["ip"] = "mx.example.com", "192.0.2.1"
		txt, err := texts.Finding(grade.CodeCertUntrusted, tt.args)
		if err != nil || !strings.HasSuffix(txt.Message, tt.want) {
			t.Errorf("%v: %q, %v; want it to end with %q", tt.args, txt.Message, err, tt.want)
		}
	}
}

// TestCheckPhraseWording: an override of phrases.json naming an argument
// the grader never sets for that phrase is refused, naming both; one
// using only declared arguments passes and is what readers then see.
func TestCheckPhraseWording(t *testing.T) {
	dir := t.TempDir()
	over := `{"sender_auth.strong": "SPF {{.al}} with DMARC p=reject"}`
	if err := os.WriteFile(filepath.Join(dir, templates.PhrasesFile), []byte(over), 0o600); err != nil {
		t.Fatal(err)
	}
	texts, err := templates.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckWording(texts); err == nil || !strings.Contains(err.Error(), "phrase sender_auth.strong uses {{.al}}") {
		t.Errorf("override with {{.al}}: %v", err)
	}
	over = `{"sender_auth.strong": "SPF {{.all}} with DMARC p=reject"}`
	if err := os.WriteFile(filepath.Join(dir, templates.PhrasesFile), []byte(over), 0o600); err != nil {
		t.Fatal(err)
	}
	if texts, err = templates.Load(dir); err != nil {
		t.Fatal(err)
	}
	if err := CheckWording(texts); err != nil {
		t.Errorf("valid override refused: %v", err)
	}
	g := grade.DomainGrade{SenderAuth: &grade.SenderAuth{Rating: grade.RatingStrong, Why: &grade.Phrase{Code: "sender_auth.strong", Args: map[string]string{"all": "-all"}}}}
	WordGrade(texts, &g)
	if g.SenderAuth.Reason != "SPF -all with DMARC p=reject" || g.SenderAuth.Why != nil {
		t.Errorf("worded rating = %+v", *g.SenderAuth)
	}
}

// TestWordGradeStored: a grade stored before the phrases keeps its
// sentences; a new one is worded, its items listed, and the copy it was
// made from keeps its phrases.
func TestWordGradeStored(t *testing.T) {
	old := grade.DomainGrade{ForcedTLSReason: "a stored sentence", SenderAuth: &grade.SenderAuth{Rating: grade.RatingWeak, Reason: "stored rating"},
		MX: []grade.MXGrade{{Host: "mx.example.com", Addresses: []grade.AddressGrade{{IP: "192.0.2.1", APlus: "stored A+", ForcedTLSReason: "stored address"}}}}}
	WordGrade(nil, &old)
	if old.ForcedTLSReason != "a stored sentence" || old.SenderAuth.Reason != "stored rating" || old.MX[0].Addresses[0].APlus != "stored A+" ||
		old.MX[0].Addresses[0].ForcedTLSReason != "stored address" {
		t.Errorf("stored grade changed: %+v", old)
	}
	why := &grade.Phrase{Code: "forced_tls.no_tls"}
	g := grade.DomainGrade{ForcedTLSWhy: &grade.Phrase{Code: "forced_tls.addresses", Items: []grade.Phrase{
		{Code: "forced_tls.address", Args: map[string]string{"host": "mx.example.com", "ip": "192.0.2.1"}, Items: []grade.Phrase{*why}},
		{Code: "forced_tls.host_no_address", Args: map[string]string{"host": "mx2.example.com"}},
	}}, MX: []grade.MXGrade{{Host: "mx.example.com", Addresses: []grade.AddressGrade{{IP: "192.0.2.1", ForcedTLSWhy: why, APlusWhy: &grade.Phrase{Code: "a_plus.dane"}}}}}}
	orig := g
	WordGrade(nil, &g)
	if want := "mx.example.com 192.0.2.1: TLS is not available; mx2.example.com: no address"; g.ForcedTLSReason != want {
		t.Errorf("domain reason = %q, want %q", g.ForcedTLSReason, want)
	}
	a := g.MX[0].Addresses[0]
	if a.ForcedTLSReason != "TLS is not available" || a.APlus != "TLS 1.3 and DANE records the server matches" || a.ForcedTLSWhy != nil {
		t.Errorf("address = %+v", a)
	}
	if orig.MX[0].Addresses[0].ForcedTLSWhy == nil || orig.MX[0].Addresses[0].APlus != "" {
		t.Errorf("the copy WordGrade was given changed: %+v", orig.MX[0].Addresses[0])
	}
}

// TestFindingArgsWorded: a finding's worded arguments (a list of reasons,
// each a phrase with its facts) are rendered from the phrases and given
// to the finding's wording under their names; an override may join the
// list its own way (join, range); a finding stored with the English in
// its arguments renders from them as before.
func TestFindingArgsWorded(t *testing.T) {
	texts, err := templates.Default()
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]string{"domain": "example.com", "host": "mx.example.com", "ip": "192.0.2.1", "pattern": "*.example.com"}
	reasons := grade.Phrase{Code: "mtasts_enforce.reasons", Items: []grade.Phrase{
		{Code: "mtasts_enforce.untrusted", Args: map[string]string{"cause": "verify_error", "error": "x509: unknown authority"}},
		{Code: "mtasts_enforce.other_certificate", Args: map[string]string{"certificate": "ecdsa"}, Items: []grade.Phrase{{Code: "mtasts_enforce.expired"}}},
	}}
	f := grade.Finding{Code: grade.CodeMTASTSEnforceMXFails, Args: args, Phrases: map[string]grade.Phrase{"reasons": reasons}}
	got := FindingArgs(texts, f.Args, f.Phrases)
	want := "the certificate is not trusted (x509: unknown authority); the certificate served ecdsa: the certificate has expired"
	if got["reasons"] != want {
		t.Errorf("reasons = %q, want %q", got["reasons"], want)
	}
	if _, ok := args["reasons"]; ok {
		t.Error("FindingArgs changed the finding's own arguments")
	}
	msg := messageOf(texts, f.Code, got, "")
	if !strings.Contains(msg, "fails what senders require: "+want+".") {
		t.Errorf("message %q lacks the reasons", msg)
	}
	caps := capsView(texts, []grade.Cap{{Code: f.Code, Grade: grade.GradeF, Scope: grade.ScopeAddress, Host: "mx.example.com", Args: args, Phrases: f.Phrases}})
	if caps[0].Reason != msg {
		t.Errorf("cap reason %q, want the finding's message %q", caps[0].Reason, msg)
	}
	if plain := FindingArgs(texts, args, nil); len(plain) != len(args) || plain["reasons"] != "" {
		t.Errorf("no worded arguments: %v, want the arguments as they are", plain)
	}

	// Stored by an older mxaudit: the English is in the arguments.
	stored := map[string]string{"domain": "example.com", "host": "mx.example.com", "ip": "192.0.2.1", "reasons": "STARTTLS is not offered"}
	if msg := messageOf(texts, f.Code, FindingArgs(texts, stored, nil), ""); !strings.Contains(msg, "require: STARTTLS is not offered.") {
		t.Errorf("stored finding renders %q", msg)
	}
	for code, c := range map[string]struct {
		args map[string]string
		says string
	}{
		grade.CodeMXNoAddress:             {map[string]string{"host": "mx.example.com", "reason": "A nxdomain, AAAA not looked up"}, "(A nxdomain, AAAA not looked up)."},
		grade.CodeMTASTSPolicyUnavailable: {map[string]string{"reason": "the policy is larger than the size limit"}, "fetched: the policy is larger than the size limit."},
		grade.CodeMTASTSPolicyInvalid:     {map[string]string{"errors": "no policy could be read"}, "invalid: no policy could be read."},
		grade.CodeWeakDH:                  {map[string]string{"host": "mx.example.com", "ip": "192.0.2.1", "details": "1024-bit DH group with X"}, "parameters: 1024-bit DH group with X."},
		grade.CodeMXHostsOmitted:          {map[string]string{"count": "12", "audited": "20", "hosts": "a, b and 10 more"}, ": a, b and 10 more."},
	} {
		if msg := messageOf(texts, code, c.args, ""); !strings.HasSuffix(msg, c.says) {
			t.Errorf("stored %s renders %q, want it to end %q", code, msg, c.says)
		}
	}

	// An override joins the list its own way.
	dir := t.TempDir()
	over := `{"mtasts_enforce.reasons": "{{range $i, $r := .items}}{{if $i}} / {{end}}({{$r}}){{end}}", "kx.weaknesses": "{{join \", \" .items}}"}`
	if err := os.WriteFile(filepath.Join(dir, templates.PhrasesFile), []byte(over), 0o600); err != nil {
		t.Fatal(err)
	}
	custom, err := templates.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckWording(custom); err != nil {
		t.Fatalf("CheckWording: %v", err)
	}
	if got := FindingArgs(custom, args, f.Phrases)["reasons"]; got != "(the certificate is not trusted (x509: unknown authority)) / (the certificate served ecdsa: the certificate has expired)" {
		t.Errorf("ranged reasons = %q", got)
	}
	kx := grade.Phrase{Code: "kx.weaknesses", Items: []grade.Phrase{
		{Code: "kx.dh", Args: map[string]string{"bits": "1024", "suite": "A"}},
		{Code: "kx.ec", Args: map[string]string{"bits": "192", "suite": "B"}},
	}}
	if got := Say(custom, &kx); got != "1024-bit DH group with A, an elliptic curve (192-bit) with B" {
		t.Errorf("joined details = %q", got)
	}
}

// TestWordGradePublish: the record a failing control suggests is worded
// from its phrase; a grade stored with the sentence keeps it.
func TestWordGradePublish(t *testing.T) {
	g := &grade.DomainGrade{Frameworks: []grade.Framework{{Name: "BOD 18-01", Controls: []grade.Control{
		{ID: "bod1801.dmarc_reject", PublishWhy: &grade.Phrase{Code: "control.publish", Args: map[string]string{"name": "_dmarc.example.com", "record": "v=DMARC1; p=reject"}}},
		{ID: "bod1801.spf", Publish: "TXT at example.com: v=spf1 -all"},
	}}}}
	WordGrade(nil, g)
	cs := g.Frameworks[0].Controls
	if cs[0].Publish != "TXT at _dmarc.example.com: v=DMARC1; p=reject" || cs[0].PublishWhy != nil {
		t.Errorf("worded publish %q (phrase %v)", cs[0].Publish, cs[0].PublishWhy)
	}
	if cs[1].Publish != "TXT at example.com: v=spf1 -all" {
		t.Errorf("stored publish %q", cs[1].Publish)
	}
}
