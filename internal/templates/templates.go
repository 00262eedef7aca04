// Package templates renders the tenant's message templates (rule 9): SMS with
// text/template, email bodies with html/template so customer-supplied values
// cannot inject markup. A variable the caller did not supply is an error,
// never an empty gap in a message sent to a customer.
package templates

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"regexp"
	"strings"
	texttemplate "text/template"

	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
)

const missingKeyError = "missingkey=error"

// missingKey extracts the variable name from text/template's (and thus
// html/template's) error for missingkey=error; the package has no typed error
// for it.
var missingKey = regexp.MustCompile(`map has no entry for key "([^"]*)"`)

// Render returns the subject (email only, may be empty) and body of tpl filled
// with vars, for a message on ch.
func Render(ch model.Channel, tpl directory.Template, vars map[string]string) (subject, body string, err error) {
	if tpl.Channel != ch {
		return "", "", codes.New(codes.TemplateNotFound, "template %q is for %s", tpl.ID, tpl.Channel)
	}
	switch ch {
	case model.SMS:
		body, err = renderText(tpl.ID, tpl.Body, vars)
		return "", body, err
	case model.Email:
		if body, err = renderHTML(tpl.ID, tpl.Body, vars); err != nil {
			return "", "", err
		}
		if subject, err = renderText(tpl.ID, tpl.Subject, vars); err != nil {
			return "", "", err
		}
		return headerSafe(subject), body, nil
	}
	return "", "", codes.New(codes.TemplateNotFound, "template %q is for unknown channel %q", tpl.ID, ch)
}

func renderText(id, text string, vars map[string]string) (string, error) {
	t, err := texttemplate.New(id).Option(missingKeyError).Parse(text)
	if err != nil {
		return "", fmt.Errorf("template %q does not parse: %w", id, err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, vars); err != nil {
		return "", execError(id, err)
	}
	return out.String(), nil
}

func renderHTML(id, text string, vars map[string]string) (string, error) {
	t, err := htmltemplate.New(id).Option(missingKeyError).Parse(text)
	if err != nil {
		return "", fmt.Errorf("template %q does not parse: %w", id, err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, vars); err != nil {
		return "", execError(id, err)
	}
	return out.String(), nil
}

// execError turns a missing variable into a refusal the agent can act on; any
// other failure is a broken template, which the directory should have caught.
func execError(id string, err error) error {
	if m := missingKey.FindStringSubmatch(err.Error()); m != nil {
		return codes.New(codes.TemplateVariableMissing, "template %q needs variable %q", id, m[1])
	}
	return fmt.Errorf("template %q: %w", id, err)
}

// headerSafe folds all whitespace runs, line breaks included, into single
// spaces, so a variable containing a line break cannot start a new header once
// the subject is written into the email.
func headerSafe(subject string) string {
	return strings.Join(strings.Fields(subject), " ")
}
