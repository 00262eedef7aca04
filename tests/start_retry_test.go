package tests

import (
	"testing"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// A start sent again with its request id (its first answer was lost: found by
// the cluster's fault test, where the worker died during the first attempt)
// gets the conversation its first attempt started, not
// ACTIVE_CONVERSATION_EXISTS, which left the conversation orphaned with the
// agent's slot; another request for the same customer is still refused.
func TestStartRetriedWithItsRequestIDGetsItsConversation(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	opts := conversations.StartOptions{Agent: "alice", Channel: model.SMS, To: newPhone(), EntryPoint: "ep-sms",
		First: &model.Compose{Text: "Hello from Acme"}}
	first, err := c.Start(conversations.WithRequestID(ctx, "start-"+opts.To), opts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Start(conversations.WithRequestID(ctx, "start-"+opts.To), opts)
	if err != nil || again != first {
		t.Fatalf("the retried start answered %q, %v; want %s", again, err, first)
	}
	if _, err := c.Start(conversations.WithRequestID(ctx, "another-"+opts.To), opts); !codes.Is(err, codes.ActiveConversationExists) {
		t.Fatalf("another start: %v, want ACTIVE_CONVERSATION_EXISTS", err)
	}
	st, err := c.Show(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Messages) != 1 {
		t.Errorf("the conversation holds %d messages, want the first message once", len(st.Messages))
	}
}
