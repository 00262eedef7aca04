package tests

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

func inboundSMS(c *conversations.Client, from, text, sid string) conversations.InboundMessage {
	return conversations.InboundMessage{
		Channel: "sms", To: entryAddress(c, "ep-sms"), From: from,
		CustomerMessage: model.CustomerMessage{Text: text, ProviderID: sid},
	}
}

// inbound delivers a customer message as a channel would and returns the
// conversation it landed in.
func inbound(t *testing.T, c *conversations.Client, m conversations.InboundMessage) string {
	t.Helper()
	ctx := testContext(t)
	if err := c.Inbound(ctx, m); err != nil {
		t.Fatal(err)
	}
	id, err := c.Routed(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Rule 10: a customer message lands in the open conversation, once even when
// the provider retries it.
func TestInboundThreadsIntoOpenConversationOnce(t *testing.T) {
	c := env.Tenant(t)
	to := newPhone()
	id := startSMS(t, c, "alice", to)
	for range 2 { // the provider retries the webhook
		if got := inbound(t, c, inboundSMS(c, to, "Is it shipped?", "SMin1"+to)); got != id {
			t.Fatalf("inbound went to %q, want %s", got, id)
		}
	}
	msgs := show(t, c, id).Messages
	if n := len(msgs); n != 2 || msgs[1].Text != "Is it shipped?" || msgs[1].Direction != model.Inbound {
		t.Fatalf("want the reply once after the greeting, got %+v", msgs)
	}
}

// Rule 16: a message after close opens a new conversation in the entry
// point's queue that carries the previous one as context; it is offered to
// the queue's available agents.
func TestInboundAfterCloseOpensQueuedConversationWithHistory(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newPhone()
	old := startSMS(t, c, "alice", to)
	if _, err := c.Close(ctx, old, "alice"); err != nil {
		t.Fatal(err)
	}
	id := inbound(t, c, inboundSMS(c, to, "One more question", "SMin2"+to))
	if id == old {
		t.Fatal("a message after close must open a new conversation")
	}
	st := show(t, c, id)
	if st.PreviousConversation == nil || *st.PreviousConversation != old || len(st.PreviousMessages) == 0 {
		t.Fatalf("want previousConversation %s with its messages, got %v %v", old, st.PreviousConversation, st.PreviousMessages)
	}
	if st.Messages[0].Text != "One more question" || st.Owner != "" {
		t.Fatalf("want the customer's message first and no owner yet, got %+v owner %q", st.Messages, st.Owner)
	}
	// bob is available in support (alice is in wrap-up but also available).
	eventually(t, 10*time.Second, "an offer to a support agent", func() bool {
		p := show(t, c, id).PendingTransfer
		return p != nil && p.OfferedTo != ""
	})
	offered := show(t, c, id).PendingTransfer.OfferedTo
	if _, err := c.Accept(ctx, id, offered); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Send(ctx, conversations.Sync, id, offered, model.Compose{Text: "Happy to help"}); err != nil || res.Status == model.MessageFailed {
		t.Fatalf("the new owner answers: %+v %v", res, err)
	}
}

// docs/rules.md §3: STOP blocks outbound SMS from the entry point, across
// conversations; START lifts it; the keyword stays in the transcript.
func TestOptOutBlocksSMSUntilStart(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newPhone()
	id := startSMS(t, c, "alice", to)
	inbound(t, c, inboundSMS(c, to, " stop ", "SMstop"+to))
	_, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "are you there?"})
	wantCode(t, err, codes.OptedOut)
	st := show(t, c, id)
	if last := st.Messages[len(st.Messages)-1]; strings.TrimSpace(last.Text) != "stop" {
		t.Fatalf("the keyword must reach the agent, last message %+v", last)
	}
	if _, err := c.Close(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Start(ctx, conversations.StartOptions{Agent: "bob", Channel: "sms", EntryPoint: "ep-sms", To: to, First: &model.Compose{Text: "hi"}})
	wantCode(t, err, codes.OptedOut)

	back := inbound(t, c, inboundSMS(c, to, "START", "SMstart"+to))
	eventually(t, 10*time.Second, "an offer of the opted-in customer", func() bool {
		p := show(t, c, back).PendingTransfer
		return p != nil && p.OfferedTo != ""
	})
	agent := show(t, c, back).PendingTransfer.OfferedTo
	if _, err := c.Accept(ctx, back, agent); err != nil {
		t.Fatal(err)
	}
	if res, err := c.Send(ctx, conversations.Sync, back, agent, model.Compose{Text: "welcome back"}); err != nil || res.Status != model.MessageSent {
		t.Fatalf("after START, SMS flow again: %+v %v", res, err)
	}
}

// Delivery status callbacks move a message forward, never back; a body over
// ten segments is refused before anything is sent.
func TestDeliveryStatusAndSegmentLimit(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id := startSMS(t, c, "alice", newPhone())
	eventually(t, 10*time.Second, "the first message sent", func() bool {
		s := show(t, c, id).Messages[0].Status
		return s == model.MessageSent || s == model.MessageDelivered // the sink's callback may be first
	})
	if err := c.DeliveryStatus(ctx, id, "m1", model.MessageDelivered, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.DeliveryStatus(ctx, id, "m1", model.MessageSent, ""); err != nil {
		t.Fatal(err)
	}
	if m := show(t, c, id).Messages[0]; m.Status != model.MessageDelivered {
		t.Fatalf("want delivered (a late 'sent' does not move it back), got %s", m.Status)
	}
	before := show(t, c, id)
	if err := c.DeliveryStatus(ctx, id, "m9", model.MessageFailed, "no such message"); err != nil {
		t.Fatal(err) // a signal: the provider gets its 200, the workflow refuses it
	}
	if after := show(t, c, id); !reflect.DeepEqual(before.Messages, after.Messages) {
		t.Fatalf("a status for an unknown message changed the transcript: %+v", after.Messages)
	}
	_, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: strings.Repeat("a", 153*10+1)})
	if err == nil || !strings.Contains(err.Error(), "11 SMS segments") {
		t.Fatalf("want an 11-segment body refused, got %v", err)
	}
	if n := len(show(t, c, id).Messages); n != 1 {
		t.Fatalf("a refused send changed the transcript: %d messages", n)
	}
}
