package desktop

import (
	"reflect"
	"testing"

	"outbound/internal/directory"
	"outbound/internal/model"
)

// An email template previews as the text part the customer reads, each
// variable in its place: as typed, or its name in brackets.
func TestPreviewMarksEachVariable(t *testing.T) {
	tpl := directory.Template{ID: "followup", Channel: model.Email, Subject: "About {{.ticket}}",
		Body: "<p>Hello {{.name}},</p><p>we are following up on your request {{.ticket}}.</p>"}
	got := preview(model.Email, tpl, []variable{{Name: "name", Value: "Ada <3"}, {Name: "ticket"}})
	want := []previewPart{
		{Text: "Hello "}, {Text: "Ada <3", Var: "name"}, {Text: ",\n\nwe are following up on your request "},
		{Text: "[ticket]", Var: "ticket"}, {Text: "."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("preview:\n got %q\nwant %q", got, want)
	}
}
