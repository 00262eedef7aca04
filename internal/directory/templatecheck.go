package directory

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	texttemplate "text/template"

	"outbound/internal/model"
)

// validateTemplates parses every template the way package templates will
// render it, so a broken template fails at load rather than mid-conversation.
func (d *Directory) validateTemplates(p *problems) {
	seen := map[string]string{}
	for i, t := range d.Templates {
		path := fmt.Sprintf("templates[%d]", i)
		p.checkID(path+".id", t.ID, seen)
		switch t.Channel {
		case model.SMS:
			if t.Subject != "" {
				p.add(path+".subject", "only email templates have a subject")
			}
			checkText(p, path+".body", t.Body)
		case model.Email:
			if t.Subject != "" {
				checkText(p, path+".subject", t.Subject) // a header, not HTML
			}
			checkHTML(p, path+".body", t.Body)
		default:
			p.add(path+".channel", "unknown channel %q (sms or email)", t.Channel)
		}
	}
}

func checkText(p *problems, path, text string) {
	if text == "" {
		p.add(path, "required")
		return
	}
	if _, err := texttemplate.New(path).Parse(text); err != nil {
		p.add(path, "does not parse: %v", err)
	}
}

func checkHTML(p *problems, path, text string) {
	if text == "" {
		p.add(path, "required")
		return
	}
	tpl, err := htmltemplate.New(path).Parse(text)
	if err != nil {
		p.add(path, "does not parse: %v", err)
		return
	}
	// html/template checks its escaping contexts (e.g. an unclosed attribute)
	// only on first execution; missing variables are ignored here, but an
	// escaping error is a property of the template itself.
	var escapeErr *htmltemplate.Error
	if err := tpl.Execute(io.Discard, map[string]string{}); errors.As(err, &escapeErr) {
		p.add(path, "is not valid HTML for escaping: %v", err)
	}
}
