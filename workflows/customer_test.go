package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// startCustomer runs the customer's record workflow until the test's endAt.
func (h *harness) startCustomer() {
	h.env.ExecuteWorkflow(Customer, model.CustomerState{Tenant: tenant, Key: customerKey})
}

func customerOpen(conversation, subject string) model.CustomerOpenRequest {
	return model.CustomerOpenRequest{
		Tenant: tenant, Key: customerKey, Conversation: conversation,
		EntryPoint: "ep-email", Subject: subject, At: t0,
	}
}

// Rule 11: an email subject already used with this customer is refused, even
// in another case, spacing or behind a reply/forward prefix.
func TestCustomerSubjectReusedAcrossCaseSpacingAndPrefixes(t *testing.T) {
	h := newHarness(t)
	first := h.agentOp(time.Minute, model.OpCustomerOpen, customerOpen("c1", "Your order 42"))
	reused := map[string]*updateResult{}
	for i, subject := range []string{"your ORDER 42", "  Your   order\t42 ", "Re: Your order 42", "RE:re: your order 42", "Fwd: Your Order 42"} {
		reused[subject] = h.agentOp(2*time.Minute+time.Duration(i)*time.Second, model.OpCustomerOpen, customerOpen("c"+subject, subject))
	}
	fresh := h.agentOp(3*time.Minute, model.OpCustomerOpen, customerOpen("c2", "Your order 43"))
	retried := h.agentOp(4*time.Minute, model.OpCustomerOpen, customerOpen("c1", "Your order 42"))
	st := snapshotAt[model.CustomerState](h, 5*time.Minute)
	h.endAt(time.Hour)
	h.startCustomer()

	requireDone(t, first)
	for subject, r := range reused {
		t.Run(subject, func(t *testing.T) { requireRejected(t, r, codes.SubjectReused) })
	}
	requireDone(t, fresh)
	requireDone(t, retried) // the same conversation opening again is a retry, not a reuse
	var ids []string
	for _, c := range st.Conversations {
		ids = append(ids, c.ID)
	}
	require.Equal(t, []string{"c1", "c2"}, ids, "refused and retried opens add no conversation")
	require.Len(t, st.Subjects, 2)
}

// Rule 16: after a conversation is closed, the next one with the customer
// gets its id and last messages as context.
func TestCustomerNextConversationInheritsClosedOne(t *testing.T) {
	h := newHarness(t)
	last := []model.Message{
		{ID: "m1", Direction: model.Outbound, Agent: "alice", Text: "Your order shipped", Status: model.MessageSent},
		{ID: "m2", Direction: model.Inbound, Text: "Thanks!", Status: model.MessageReceived},
	}
	first := h.agentOp(time.Minute, model.OpCustomerOpen, customerOpen("c1", "Order 42"))
	whileOpen := h.agentOp(2*time.Minute, model.OpCustomerOpen, customerOpen("c2", ""))
	h.signal(3*time.Minute, model.OpCustomerClosed, func(string) any {
		return model.CustomerClosedRequest{Conversation: "c1", ClosedAt: t0.Add(3 * time.Minute), LastMessages: last}
	})
	next := h.agentOp(4*time.Minute, model.OpCustomerOpen, customerOpen("c3", "Order 43"))
	st := snapshotAt[model.CustomerState](h, 5*time.Minute)
	h.endAt(time.Hour)
	h.startCustomer()

	requireDone(t, first)
	require.Equal(t, model.CustomerContext{}, first.value, "a first conversation has no history")
	requireDone(t, whileOpen)
	require.Equal(t, model.CustomerContext{}, whileOpen.value, "an open conversation is not history yet")

	requireDone(t, next)
	ctx := next.value.(model.CustomerContext)
	require.Equal(t, "c1", ctx.PreviousConversation)
	require.Equal(t, last, ctx.PreviousMessages)

	require.Equal(t, t0.Add(3*time.Minute), st.Conversations[0].ClosedAt)
	require.Equal(t, last, st.Conversations[0].LastMessages)
}
