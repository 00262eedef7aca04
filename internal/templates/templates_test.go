package templates

import (
	"testing"

	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
)

var (
	greeting = directory.Template{ID: "greeting", Channel: model.SMS, Body: "Hello {{.name}}, this is Acme support."}
	followup = directory.Template{
		ID:      "followup",
		Channel: model.Email,
		Subject: "Your Acme request {{.ticket}}",
		Body:    "<p>Hello {{.name}},</p><p>about {{.ticket}}.</p>",
	}
)

func TestRenderSMS(t *testing.T) {
	subject, body, err := Render(model.SMS, greeting, map[string]string{"name": "Ann <3"})
	if err != nil {
		t.Fatal(err)
	}
	// Plain text: nothing is escaped in an SMS.
	if subject != "" || body != "Hello Ann <3, this is Acme support." {
		t.Errorf("got %q, %q", subject, body)
	}
}

func TestRenderEmailEscapesVariables(t *testing.T) {
	vars := map[string]string{"name": `<script>alert("x")</script>`, "ticket": "T-42 & co"}
	subject, body, err := Render(model.Email, followup, vars)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Your Acme request T-42 & co" {
		t.Errorf("subject = %q; a header is not HTML and must not be escaped", subject)
	}
	want := "<p>Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;,</p><p>about T-42 &amp; co.</p>"
	if body != want {
		t.Errorf("body = %q\nwant   %q", body, want)
	}
}

func TestRenderSubjectCannotInjectHeaders(t *testing.T) {
	vars := map[string]string{"name": "Ann", "ticket": "T-1\r\nBcc: someone@example.com"}
	subject, _, err := Render(model.Email, followup, vars)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Your Acme request T-1 Bcc: someone@example.com" {
		t.Errorf("subject = %q", subject)
	}
}

func TestRenderMissingVariable(t *testing.T) {
	tests := []struct {
		name string
		ch   model.Channel
		tpl  directory.Template
		vars map[string]string
		want string
	}{
		{"sms body", model.SMS, greeting, nil, `template "greeting" needs variable "name"`},
		{"email body", model.Email, followup, map[string]string{"ticket": "T-1"}, `template "followup" needs variable "name"`},
		{"email subject", model.Email, directory.Template{ID: "s", Channel: model.Email, Subject: "{{.ticket}}", Body: "<p>hi</p>"},
			map[string]string{}, `template "s" needs variable "ticket"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Render(tt.ch, tt.tpl, tt.vars)
			code, msg, _ := codes.Of(err)
			if code != codes.TemplateVariableMissing || msg != tt.want {
				t.Errorf("got %s %q (%v); want TEMPLATE_VARIABLE_MISSING %q", code, msg, err, tt.want)
			}
		})
	}
}

func TestRenderChannelMismatch(t *testing.T) {
	_, _, err := Render(model.SMS, followup, map[string]string{"name": "Ann", "ticket": "T-1"})
	code, msg, _ := codes.Of(err)
	if code != codes.TemplateNotFound || msg != `template "followup" is for email` {
		t.Errorf("got %s %q; want TEMPLATE_NOT_FOUND", code, msg)
	}
}
