package email_test

import (
	"testing"

	"outbound/internal/email"
)

const (
	testConversation = "conversation/acme/ep-email/0123456789abcdef0123456789abcdef/5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a"
	testMessageID    = "m3.conversation.acme.ep-email.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example"
)

func TestMessageIDForFormat(t *testing.T) {
	got := email.MessageIDFor(testConversation, "m3", "support@acme.example")
	if got != testMessageID {
		t.Fatalf("MessageIDFor = %q, want %q", got, testMessageID)
	}
}

func TestConversationOfRoundTrip(t *testing.T) {
	convs := []string{
		testConversation,
		"conversation/t-1/ep-2-mail/ffffffffffffffffffffffffffffffff/00000000-0000-0000-0000-000000000000",
		"conversation/conversation/conversation/0123456789abcdef0123456789abcdef/5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a",
	}
	for _, conv := range convs {
		for _, msg := range []string{"m1", "m42", "m1000"} {
			id := email.MessageIDFor(conv, msg, "Support@Mail.Acme.Example")
			for _, form := range []string{id, "<" + id + ">", "  <" + id + ">\r\n"} {
				got, ok := email.ConversationOf(form)
				if !ok || got != conv {
					t.Errorf("ConversationOf(%q) = %q, %v; want %q", form, got, ok, conv)
				}
			}
		}
	}
}

func TestConversationOfExample(t *testing.T) {
	got, ok := email.ConversationOf("<" + testMessageID + ">")
	if !ok || got != testConversation {
		t.Fatalf("got %q, %v", got, ok)
	}
}

func TestConversationOfForeign(t *testing.T) {
	foreign := []string{
		"",
		"<>",
		"CAF=abc123@mail.gmail.com",
		"<CAF=abc123@mail.gmail.com>",
		"<20240101120000.ABC@example.org>",
		// no message id in front
		"conversation.acme.ep-email.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example",
		// empty message id
		".conversation.acme.ep-email.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example",
		// no domain
		"m3.conversation.acme.ep-email.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@",
		"m3.conversation.acme.ep-email.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a",
		// wrong kind
		"m3.agent.acme.ep-email.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example",
		// key not 32 lowercase hex
		"m3.conversation.acme.ep-email.0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example",
		"m3.conversation.acme.ep-email.0123456789ABCDEF0123456789ABCDEF.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example",
		// run id not a uuid
		"m3.conversation.acme.ep-email.0123456789abcdef0123456789abcdef.not-a-uuid@acme.example",
		// tenant with characters ids never have
		"m3.conversation.Acme.ep-email.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example",
		"m3.conversation.ac_me.ep-email.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example",
		// a missing field
		"m3.conversation.acme.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example",
		// empty field
		"m3.conversation..ep-email.0123456789abcdef0123456789abcdef.5f0c6b8e-2d7a-4c1e-9b3f-8a6d4e2c1b0a@acme.example",
	}
	for _, id := range foreign {
		if got, ok := email.ConversationOf(id); ok {
			t.Errorf("ConversationOf(%q) = %q, true; want false", id, got)
		}
	}
}
