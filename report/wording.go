package report

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mxaudit/mxaudit/audit/grade"
	"github.com/mxaudit/mxaudit/templates"
)

// CheckWording holds finding wording (an override of templates/findings.json
// above all) to the arguments the grader sets for each code (grade.Params):
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
	return errors.Join(errs...)
}
