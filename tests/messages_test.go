package tests

import (
	"encoding/json"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// smsOutbox returns the SMS the sink received for a number.
func smsOutbox(t *testing.T, to string) []map[string]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(env.Outbox, "sms", "*.json"))
	var out []map[string]any
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m["to"] == to {
			out = append(out, m)
		}
	}
	return out
}

// Rules 9 and 10: text and templates are delivered over the SMS API; customer
// replies land in the same conversation.
func TestSMSConversationDeliversAndThreads(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newPhone()
	id := startSMS(t, c, "alice", to)

	res, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Template: "greeting", Vars: map[string]string{"name": "Ada"}})
	if err != nil || res.Status != model.MessageSent {
		t.Fatalf("send: %+v %v", res, err)
	}
	if _, err := c.Reply(ctx, conversations.Sync, id, "Thanks, my order is late"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Template: "greeting"})
	wantCode(t, err, codes.TemplateVariableMissing)

	st := show(t, c, id)
	want := []struct{ dir, text, status string }{
		{model.Outbound, "Hello from Acme", model.MessageSent},
		{model.Outbound, "Hello Ada, this is Acme support.", model.MessageSent},
		{model.Inbound, "Thanks, my order is late", model.MessageReceived},
	}
	if len(st.Messages) != len(want) {
		t.Fatalf("transcript has %d messages, want %d: %+v", len(st.Messages), len(want), st.Messages)
	}
	for i, w := range want {
		m := st.Messages[i]
		status := m.Status
		if status == model.MessageDelivered {
			// The sink's delivered callback may have landed by now.
			status = model.MessageSent
		}
		if m.Direction != w.dir || m.Text != w.text || status != w.status {
			t.Fatalf("message %d: got %s %q %s, want %s %q %s", i, m.Direction, m.Text, m.Status, w.dir, w.text, w.status)
		}
	}
	delivered := smsOutbox(t, to)
	if len(delivered) != 2 {
		t.Fatalf("the SMS sink got %d messages for the customer, want 2", len(delivered))
	}
	for _, m := range delivered {
		if m["from"] != entryAddress(c, "ep-sms") {
			t.Fatalf("sent from %v, want the entry point's number", m["from"])
		}
	}
}

// Email goes over real SMTP with a Message-ID that names the conversation.
func TestEmailConversationDeliversOverSMTP(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newEmail()
	id, err := c.Start(ctx, conversations.StartOptions{
		Agent: "alice", Channel: "email", EntryPoint: "ep-email", To: to, Subject: "Your request 7",
		First: &model.Compose{Template: "followup", Vars: map[string]string{"name": "Ada", "ticket": "7"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var eml string
	eventually(t, 10*time.Second, "the email in the outbox", func() bool {
		eml = findEmail(t, to)
		return eml != ""
	})
	msg, err := mail.ReadMessage(strings.NewReader(eml))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Subject"); got != "Your request 7" {
		t.Fatalf("subject %q", got)
	}
	wfID, _, _ := api.SplitConversationID(id)
	messageID := msg.Header.Get("Message-Id")
	key := show(t, c, id).Messages[0].Key
	if !strings.HasPrefix(messageID, "<"+key+".") || !strings.Contains(messageID, strings.ReplaceAll(wfID, "/", ".")) {
		t.Fatalf("the Message-ID %q does not name message m1 (key %s) of conversation %s", messageID, key, id)
	}
	for _, want := range []string{"multipart/alternative", "text/html", "<p>Hello Ada,</p>"} {
		if !strings.Contains(eml, want) {
			t.Fatalf("email lacks %q:\n%s", want, eml)
		}
	}
}

func findEmail(t *testing.T, to string) string {
	return findEmailWith(t, to, "")
}

// findEmailWith finds the email to the address whose source holds text.
func findEmailWith(t *testing.T, to, text string) string {
	files, _ := filepath.Glob(filepath.Join(env.Outbox, "email", "*.eml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		eml := string(data)
		if (strings.Contains(eml, "To: <"+to+">") || strings.Contains(eml, "To: "+to)) && strings.Contains(eml, text) {
			return eml
		}
	}
	return ""
}

// Only the owner writes; refused operations change nothing (rules 14, 15).
func TestOwnerOnlyAndUnsupportedOperations(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id := startSMS(t, c, "alice", newPhone())
	before := show(t, c, id)

	_, err := c.Send(ctx, conversations.Sync, id, "bob", model.Compose{Text: "hi"})
	wantCode(t, err, codes.NotOwner)
	_, err = c.Conference(ctx, id, "alice")
	wantCode(t, err, codes.ConferenceNotSupported)
	_, err = c.Trigger(ctx, id, "alice", "csat")
	wantCode(t, err, codes.FlowNotAllowed)
	_, err = c.Trigger(ctx, id, "alice", "unknown-flow")
	wantCode(t, err, codes.FlowNotAllowed)
	_, err = c.Close(ctx, id, "bob")
	wantCode(t, err, codes.NotOwner)

	after := show(t, c, id)
	if len(after.Messages) != len(before.Messages) || len(after.Events) != len(before.Events) || after.Status != before.Status {
		t.Fatalf("refused operations changed the conversation: %+v", after)
	}
	if _, err := c.Trigger(ctx, id, "alice", "survey"); err != nil {
		t.Fatalf("survey may be triggered: %v", err)
	}
	last := show(t, c, id).Events
	if e := last[len(last)-1]; e.Kind != "flow" || e.Detail != "survey" {
		t.Fatalf("the triggered flow is not recorded: %+v", e)
	}
}

// A signal (--async) is refused the same way and changes nothing.
func TestAsyncSignalsUseTheSameRules(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id := startSMS(t, c, "alice", newPhone())
	if _, err := c.Send(ctx, conversations.Async, id, "bob", model.Compose{Text: "not mine"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reply(ctx, conversations.Async, id, "customer via webhook"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the async reply", func() bool { return len(show(t, c, id).Messages) == 2 })
	for _, m := range show(t, c, id).Messages {
		if m.Text == "not mine" {
			t.Fatal("a refused signal was applied")
		}
	}
}
