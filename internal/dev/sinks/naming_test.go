package sinks

import (
	"strings"
	"testing"
	"time"
)

func TestFileNameForMessageID(t *testing.T) {
	safe := "m3.conv-acme-ep-email-ab12.runid@acme.example"
	if got := fileNameForMessageID("<" + safe + ">"); got != safe {
		t.Errorf("safe id renamed to %q", got)
	}
	if fileNameForMessageID(safe) != fileNameForMessageID(" <"+safe+"> ") {
		t.Error("brackets and spaces must not change the name")
	}
	if got := fileNameForMessageID("<>"); got != "" {
		t.Errorf("empty id gave %q, want \"\" (fallback)", got)
	}

	for _, id := range []string{"../../etc/passwd@x", "a/b@c", "..@x", "a b@c", "çé@x", strings.Repeat("x", 500) + "@y"} {
		name := fileNameForMessageID(id)
		if name == "" || strings.ContainsAny(name, "/\\ ") || strings.HasPrefix(name, ".") || len(name) > 200 {
			t.Errorf("id %q gave unsafe name %q", id, name)
		}
	}
	if fileNameForMessageID("a/b@c") == fileNameForMessageID("a_b@c") {
		t.Error("ids that sanitise alike must not share a file")
	}
}

func TestFallbackNamesAreUnique(t *testing.T) {
	now := time.Now()
	//lint:ignore SA4000 two calls at the same instant must still differ
	if fallbackName(now) == fallbackName(now) {
		t.Fatal("fallback names collide")
	}
}
