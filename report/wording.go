package report

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/templates"
)

// CheckWording holds finding wording (an override of templates/findings.json
// above all) to the arguments the grader sets for each code (grade.Params),
// and the phrase wording (templates/phrases.json) likewise (grade.PhraseParams):
// a template naming an argument the grader never sets would print nothing
// in its place, in a report someone signs. Codes the grader does not know
// are not checked: it never raises them.
func CheckWording(texts *templates.Set) error {
	var errs []error
	for _, code := range texts.Codes() {
		declared := grade.Params(code)
		if declared == nil {
			continue
		}
		used, err := texts.Params(code)
		if err != nil {
			return err
		}
		for _, p := range used {
			if !slices.Contains(declared, p) && !slices.Contains(grade.LegacyParams(code), p) {
				errs = append(errs, fmt.Errorf("finding %s uses {{.%s}}, which the grader never sets (it sets %s)", code, p, strings.Join(declared, ", ")))
			}
		}
	}
	errs = append(errs, checkPhrases(texts))
	return errors.Join(errs...)
}

// checkPhrases holds the phrase wording (templates/phrases.json and its
// override) to the arguments the grader sets for each phrase code
// (grade.PhraseParams), as CheckWording does for findings; a phrase code
// the grader writes must keep its wording.
func checkPhrases(texts *templates.Set) error {
	var errs []error
	have := texts.PhraseCodes()
	for _, code := range grade.PhraseCodes() {
		if !slices.Contains(have, code) {
			errs = append(errs, fmt.Errorf("phrase %s has no wording", code))
			continue
		}
		used, err := texts.PhraseParams(code)
		if err != nil {
			return err
		}
		declared := grade.PhraseParams(code)
		for _, p := range used {
			if !slices.Contains(declared, p) {
				errs = append(errs, fmt.Errorf("phrase %s uses {{.%s}}, which the grader never sets (it sets %s)", code, p, strings.Join(declared, ", ")))
			}
		}
	}
	return errors.Join(errs...)
}

// Say renders a phrase the grader named: its Items first, given to its
// wording as the list argument "items" (templates.Items: joined with "; "
// unless the wording joins or ranges over it otherwise), then its own
// wording. It returns "" for nil, and the code itself for a code the
// wording does not know (never an empty place in a signed report).
func Say(texts *templates.Set, p *grade.Phrase) string {
	if p == nil {
		return ""
	}
	texts = textsOr(texts)
	var items []string
	if len(p.Items) > 0 {
		items = make([]string, 0, len(p.Items))
		for i := range p.Items {
			items = append(items, Say(texts, &p.Items[i]))
		}
	}
	if texts == nil {
		return p.Code
	}
	s, err := texts.Phrase(p.Code, p.Args, items...)
	if err != nil {
		return p.Code
	}
	return s
}

// FindingArgs is what a finding's wording is rendered with: its args,
// and each of its worded arguments (grade.Finding.Phrases: a list of
// reasons, each a phrase with its facts) rendered by Say under its name,
// which wins over an argument of the same name. A finding stored before
// the wording moved to templates has no phrases and carries the English
// in args: it renders as it did. args itself is never changed.
func FindingArgs(texts *templates.Set, args map[string]string, phrases map[string]grade.Phrase) map[string]string {
	if len(phrases) == 0 {
		return args
	}
	out := make(map[string]string, len(args)+len(phrases))
	maps.Copy(out, args)
	for name, p := range phrases {
		out[name] = Say(texts, &p)
	}
	return out
}

// WordGrade fills the sentences of g that readers show (Forced-TLS
// reasons, A+, the sender-authentication reason, the titles and reasons
// of the profiles' controls, the records they suggest publishing) from the phrases the grader named. It changes g but never what g shares with a copy of it
// (its MX hosts, addresses, frameworks and sender-authentication rating
// are copied before they change), so a caller may word a shallow copy. A grade stored before the wording moved to
// templates has no phrases and keeps the sentences it carries. The
// phrases are then dropped, so the renderers and the JSON see the
// sentences alone, as before.
func WordGrade(texts *templates.Set, g *grade.DomainGrade) {
	if g == nil {
		return
	}
	if g.ForcedTLSWhy != nil {
		g.ForcedTLSReason, g.ForcedTLSWhy = Say(texts, g.ForcedTLSWhy), nil
	}
	if len(g.MX) > 0 {
		g.MX = slices.Clone(g.MX)
	}
	for i := range g.MX {
		g.MX[i].Addresses = slices.Clone(g.MX[i].Addresses)
		for j := range g.MX[i].Addresses {
			a := &g.MX[i].Addresses[j]
			if a.ForcedTLSWhy != nil {
				a.ForcedTLSReason, a.ForcedTLSWhy = Say(texts, a.ForcedTLSWhy), nil
			}
			if a.APlusWhy != nil {
				a.APlus, a.APlusWhy = Say(texts, a.APlusWhy), nil
			}
		}
	}
	if len(g.Frameworks) > 0 {
		g.Frameworks = slices.Clone(g.Frameworks)
	}
	for i := range g.Frameworks {
		fw := &g.Frameworks[i]
		fw.Controls = slices.Clone(fw.Controls)
		for j := range fw.Controls {
			c := &fw.Controls[j]
			if c.Title == "" && c.ID != "" {
				c.Title = Say(texts, &grade.Phrase{Code: "title." + c.ID})
			}
			if c.Why != nil {
				c.Reason, c.Why = Say(texts, c.Why), nil
			}
			if c.PublishWhy != nil {
				c.Publish, c.PublishWhy = Say(texts, c.PublishWhy), nil
			}
		}
	}
	if sa := g.SenderAuth; sa != nil && sa.Why != nil {
		c := *sa
		c.Reason, c.Why = Say(texts, c.Why), nil
		g.SenderAuth = &c
	}
}
