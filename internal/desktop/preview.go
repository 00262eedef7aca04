package desktop

import (
	"regexp"

	"outbound/internal/directory"
	"outbound/internal/model"
	"outbound/internal/templates"
)

// previewPart is a run of a template's text, or the place of a variable
// (Var): its value as typed, else its name in brackets. The page's script
// fills the places as the agent types.
type previewPart struct{ Text, Var string }

// slot marks a variable's place in a rendering; the brackets are characters
// neither renderer escapes and no template is expected to hold.
var slot = regexp.MustCompile(`⁅([^⁆]*)⁆`)

// preview is the text the template sends with the variables typed so far:
// the message body as the customer reads it (an email's text part).
func preview(ch model.Channel, tpl directory.Template, vars []variable) []previewPart {
	marked := map[string]string{}
	typed := map[string]string{}
	for _, v := range vars {
		marked[v.Name], typed[v.Name] = "⁅"+v.Name+"⁆", v.Value
	}
	_, body, err := templates.Render(ch, tpl, marked)
	if err != nil {
		return nil
	}
	if ch == model.Email {
		body = templates.PlainText(body)
	}
	var parts []previewPart
	last := 0
	for _, m := range slot.FindAllStringSubmatchIndex(body, -1) {
		name := body[m[2]:m[3]]
		shown := typed[name]
		if shown == "" {
			shown = "[" + name + "]"
		}
		parts = append(parts, previewPart{Text: body[last:m[0]]}, previewPart{Text: shown, Var: name})
		last = m[1]
	}
	return append(parts, previewPart{Text: body[last:]})
}
