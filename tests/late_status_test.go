package tests

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// A delivery status that arrives after its conversation ended is kept in the
// customer's record, so "was my last message delivered?" has an answer:
// whether nothing runs under the conversation's workflow ID any more or a
// newer conversation with the same customer does.
func TestLateDeliveryStatusLandsInTheCustomerRecord(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newEmail()
	first := startEmail(t, c, to, "Your order "+to)
	sent, err := c.Send(ctx, conversations.Sync, first, "alice", model.Compose{Text: "Your order has shipped."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Close(ctx, first, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := c.WrapUp(ctx, first, "alice", "resolved"); err != nil {
		t.Fatal(err)
	}

	if err := c.DeliveryStatus(ctx, first, sent.MessageID, model.MessageDelivered, ""); err != nil {
		t.Fatalf("a late status is taken, not refused: %v", err)
	}
	eventually(t, 5*time.Second, "the status in the customer's record", func() bool {
		rec := customerRecord(t, first)
		return len(rec.LateStatuses) == 1 && lastStatus(rec, sent.MessageID) == model.MessageDelivered
	})
	if m := show(t, c, first).Messages[0]; m.Status != model.MessageDelivered {
		t.Fatalf("show of the closed conversation must give the late status, gives %s", m.Status)
	}

	second := startEmail(t, c, to, "A new question "+to) // runs under the same workflow ID
	if err := c.DeliveryStatus(ctx, first, sent.MessageID, model.MessageFailed, "mailbox full"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the second late status in the record", func() bool {
		rec := customerRecord(t, first)
		n := len(rec.LateStatuses)
		return n == 2 && rec.LateStatuses[1].Status == model.MessageFailed && rec.LateStatuses[1].Error == "mailbox full"
	})
	if rec := customerRecord(t, first); lastStatus(rec, sent.MessageID) != model.MessageDelivered {
		t.Fatalf("a status never moves back: delivered became %s", lastStatus(rec, sent.MessageID))
	}
	if st := show(t, c, second); len(st.Messages) != 0 || st.Status != api.StatusActive {
		t.Fatalf("the newer conversation is not touched by its predecessor's status: %+v", st)
	}
}

// A callback names its message by key; after the close, one for a message
// older than the last ones the record keeps still shows in show (found by
// the bench: such messages stayed "sent").
func TestLateStatusOfAnOlderMessageByItsKey(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newEmail()
	id := startEmail(t, c, to, "Many messages "+to)
	for i := range 12 {
		if _, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: fmt.Sprintf("part %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Close(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	first := show(t, c, id).Messages[0]
	if err := c.DeliveryStatus(ctx, id, first.Key, model.MessageFailed, "mailbox full"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the first message failed in show", func() bool {
		m := show(t, c, id).Messages[0]
		return m.ID == first.ID && m.Status == model.MessageFailed && m.Error == "mailbox full"
	})
}

func customerRecord(t *testing.T, conversation string) api.CustomerConversation {
	t.Helper()
	id, _ := api.CustomerWorkflowIDOf(conversation)
	st, err := api.CustomerQuery.Get(testContext(t), env.Temporal, id)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(st.Conversations, func(c api.CustomerConversation) bool { return c.ID == conversation })
	if i < 0 {
		t.Fatalf("the record lacks %s", conversation)
	}
	return st.Conversations[i]
}

func lastStatus(c api.CustomerConversation, messageID string) string {
	i := slices.IndexFunc(c.LastMessages, func(m model.Message) bool { return m.ID == messageID })
	if i < 0 {
		return ""
	}
	return c.LastMessages[i].Status
}
