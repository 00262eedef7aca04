package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"outbound/internal/api"
	"outbound/internal/model"
)

// A customer's bytes cannot drive the operator's terminal: show prints
// control characters escaped, while --json keeps them exact.
func TestShowEscapesControlCharacters(t *testing.T) {
	hostile := "hi\x1b]0;pwned\x07\x1b[2J\rFAKE\u202egnp.exe\u009b\x00 S\u200bTOP\u2028\ufeff"
	st := api.ConversationState{
		ID: "conversation/acme/ep-sms/k/r", Status: "active", Channel: model.SMS, Customer: "+14155550100",
		Subject: "re: \x1b[31mred", StartedAt: time.Unix(0, 0),
		Messages: []model.Message{{ID: "m1", Direction: model.Inbound, Text: hostile, Status: "received", At: time.Unix(0, 0)}},
	}
	var raw bytes.Buffer
	a := newApp(&raw, &raw)
	if err := writeConversation(a.stdout, st); err != nil {
		t.Fatal(err)
	}
	out := raw.String()
	for _, c := range []string{"\x1b", "\x07", "\r", "\u202e", "\x00", "\u200b", "\u2028", "\ufeff"} {
		if strings.Contains(out, c) {
			t.Errorf("show printed %q raw:\n%s", c, out)
		}
	}
	for _, want := range []string{`hi\x1b]0;pwned\a\x1b[2J\rFAKE\u202egnp.exe\u009b\x00 S\u200bTOP\u2028\ufeff`, `re: \x1b[31mred`} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %s:\n%s", want, out)
		}
	}

	raw.Reset()
	if err := writeJSON(a.json, st); err != nil {
		t.Fatal(err)
	}
	var back api.ConversationState
	if err := json.Unmarshal(raw.Bytes(), &back); err != nil || back.Messages[0].Text != hostile || back.Subject != st.Subject {
		t.Fatalf("--json is not exact: %v %+v", err, back.Messages)
	}
}

// Text the terminal can show passes as it is, even when a character is
// split across two writes; a byte that is not UTF-8 is shown escaped.
func TestTerminalKeepsText(t *testing.T) {
	var out bytes.Buffer
	term := &terminal{w: &out}
	text := "Türkçe 👩‍💻 ok\tcolumn\nnext line\n"
	b := []byte(text)
	split := strings.Index(text, "👩") + 2
	_, _ = term.Write(b[:split])
	_, _ = term.Write(b[split:])
	_, _ = term.Write([]byte{0xff, '\n'})
	if got, want := out.String(), text+`\xff`+"\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
