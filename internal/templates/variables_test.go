package templates

import (
	"slices"
	"testing"

	"outbound/internal/directory"
	"outbound/internal/model"
)

func TestVariablesInOrderOfFirstUse(t *testing.T) {
	tpl := directory.Template{ID: "f", Channel: model.Email, Subject: "Your request {{.ticket}}",
		Body: "<p>Hello {{.name}}, about {{.ticket}}{{if .extra}} and {{.extra}}{{end}}</p>"}
	if got, want := Variables(tpl), []string{"ticket", "name", "extra"}; !slices.Equal(got, want) {
		t.Fatalf("Variables = %v, want %v", got, want)
	}
}
