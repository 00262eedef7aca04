package workflows

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// startCustomer runs the customer's record workflow until the test's endAt.
func (h *harness) startCustomer() {
	h.env.ExecuteWorkflow(Customer, api.CustomerState{Tenant: tenant, Key: customerKey})
}

func customerOpen(conversation, subject string) api.CustomerOpenRequest {
	return api.CustomerOpenRequest{
		Tenant: tenant, Key: customerKey, Conversation: conversation,
		EntryPoint: "ep-email", Subject: subject, At: t0,
	}
}

// Rule 11: an email subject already used with this customer is refused, even
// in another case, spacing or behind a reply/forward prefix.
func TestCustomerSubjectReusedAcrossCaseSpacingAndPrefixes(t *testing.T) {
	h := newHarness(t)
	first := agentOp(h, time.Minute, api.CustomerOpen, customerOpen("c1", "Your order 42"))
	reused := map[string]*updateResult{}
	for i, subject := range []string{"your ORDER 42", "  Your   order\t42 ", "Re: Your order 42", "RE:re: your order 42", "Fwd: Your Order 42"} {
		reused[subject] = agentOp(h, 2*time.Minute+time.Duration(i)*time.Second, api.CustomerOpen, customerOpen("c"+subject, subject))
	}
	fresh := agentOp(h, 3*time.Minute, api.CustomerOpen, customerOpen("c2", "Your order 43"))
	retried := agentOp(h, 4*time.Minute, api.CustomerOpen, customerOpen("c1", "Your order 42"))
	st := snapshotAt[api.CustomerState](h, 5*time.Minute)
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
	first := agentOp(h, time.Minute, api.CustomerOpen, customerOpen("c1", "Order 42"))
	whileOpen := agentOp(h, 2*time.Minute, api.CustomerOpen, customerOpen("c2", ""))
	signal(h, 3*time.Minute, api.CustomerClosed, func(string) any {
		return api.CustomerClosedRequest{Conversation: "c1", ClosedAt: t0.Add(3 * time.Minute), LastMessages: last}
	})
	next := agentOp(h, 4*time.Minute, api.CustomerOpen, customerOpen("c3", "Order 43"))
	st := snapshotAt[api.CustomerState](h, 5*time.Minute)
	h.endAt(time.Hour)
	h.startCustomer()

	requireDone(t, first)
	require.Equal(t, api.CustomerContext{}, first.value, "a first conversation has no history")
	requireDone(t, whileOpen)
	require.Equal(t, api.CustomerContext{}, whileOpen.value, "an open conversation is not history yet")

	requireDone(t, next)
	ctx := next.value.(api.CustomerContext)
	require.Equal(t, "c1", ctx.PreviousConversation)
	require.Equal(t, last, ctx.PreviousMessages)

	require.Equal(t, t0.Add(3*time.Minute), st.Conversations[0].ClosedAt)
	require.Equal(t, last, st.Conversations[0].LastMessages)
}

// An opt-out (a signal) refuses an agent's SMS conversation that registers in
// the same workflow task as it refuses one in a later task; a customer's own
// conversation is still taken.
func TestCustomerOptOutRefusesWhateverTheTaskBatching(t *testing.T) {
	for _, sameTask := range []bool{true, false} {
		t.Run(map[bool]string{true: "same task", false: "later task"}[sameTask], func(t *testing.T) {
			h := newHarness(t)
			agents, customers := &updateResult{}, &updateResult{}
			h.at(time.Minute, func() {
				stop := api.OptOutRequest{EntryPoint: "ep-sms", OptedOut: true}
				if sameTask {
					h.env.SignalWorkflowSkippingWorkflowTask(string(api.CustomerOptOut), stop)
				} else {
					h.env.SignalWorkflow(string(api.CustomerOptOut), stop)
				}
				byAgent := customerOpen("c1", "")
				byAgent.EntryPoint, byAgent.RefuseOptedOut = "ep-sms", true
				sendUpdate(h, agents, api.CustomerOpen, byAgent)
			})
			h.at(2*time.Minute, func() {
				byCustomer := customerOpen("c2", "")
				byCustomer.EntryPoint = "ep-sms"
				sendUpdate(h, customers, api.CustomerOpen, byCustomer)
			})
			st := snapshotAt[api.CustomerState](h, 3*time.Minute)
			h.endAt(time.Hour)
			h.startCustomer()

			requireFailed(t, agents, codes.OptedOut)
			requireDone(t, customers)
			require.True(t, customers.value.(api.CustomerContext).OptedOut)
			require.Len(t, st.Conversations, 1, "the refused open added nothing")
		})
	}
}

// A provider's retry of a message the record routed is dropped for
// api.ProviderRetryWindow, whatever the entry point's other traffic; the
// same provider id on another entry point is another message, and after the
// window it is routed again.
func TestCustomerRoutesEachProviderMessageOnce(t *testing.T) {
	h := newHarness(t)
	var routed []string
	h.env.OnActivity(a.RouteInbound, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req api.InboundRequest) (api.Routed, error) {
			routed = append(routed, req.EntryPoint+" "+req.ProviderID+" "+req.Text)
			return api.Routed{Conversation: "conv-" + req.EntryPoint}, nil
		})
	inbound := func(d time.Duration, ep, sid, text string) {
		h.at(d, func() {
			h.env.SignalWorkflow(string(api.CustomerInbound), []api.InboundRequest{{
				Tenant: tenant, Channel: model.SMS, EntryPoint: ep, From: "+14155550142",
				CustomerMessage: model.CustomerMessage{Text: text, ProviderID: sid},
			}})
		})
	}
	inbound(time.Minute, "ep-sms", "SM1", "first")
	inbound(2*time.Minute, "ep-sms", "SM2", "second")
	inbound(3*time.Minute, "ep-sms", "SM1", "first, again")
	inbound(4*time.Minute, "ep-other", "SM1", "elsewhere")
	inbound(api.ProviderRetryWindow+2*time.Minute, "ep-sms", "SM1", "first, much later")
	st := snapshotAt[api.CustomerState](h, 5*time.Minute)
	h.endAt(api.ProviderRetryWindow + time.Hour)
	h.startCustomer()

	require.Equal(t, []string{"ep-sms SM1 first", "ep-sms SM2 second", "ep-other SM1 elsewhere", "ep-sms SM1 first, much later"}, routed)
	require.Len(t, st.Received, 3)
	require.Equal(t, "conv-ep-sms", st.Received[0].Conversation)
}

// A batch of messages (a burst through one gateway) is routed message by
// message, in its order, each once per provider id.
func TestCustomerRoutesABatchInOrder(t *testing.T) {
	h := newHarness(t)
	var routed []string
	h.env.OnActivity(a.RouteInbound, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req api.InboundRequest) (api.Routed, error) {
			routed = append(routed, req.Text)
			return api.Routed{Conversation: "c1"}, nil
		})
	var batch []api.InboundRequest
	for _, text := range []string{"one", "two", "one again", "three"} {
		sid := "SM-" + strings.Fields(text)[0]
		batch = append(batch, api.InboundRequest{Tenant: tenant, Channel: model.SMS, EntryPoint: "ep-sms", From: "+14155550142",
			CustomerMessage: model.CustomerMessage{Text: text, ProviderID: sid}})
	}
	h.at(time.Minute, func() { h.env.SignalWorkflow(string(api.CustomerInbound), batch) })
	h.endAt(time.Hour)
	h.startCustomer()

	require.Equal(t, []string{"one", "two", "three"}, routed)
}

// A message a conversation refused stays in the record with its code; an
// automatic reply with no conversation open is dropped on purpose.
func TestCustomerKeepsARefusedMessage(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(a.RouteInbound, mock.Anything, mock.Anything).Return(
		func(_ context.Context, req api.InboundRequest) (api.Routed, error) {
			return api.Routed{}, codes.New(codes.TaskCreationFailed, "this worker serves no tenant %q", req.Tenant)
		})
	for i, auto := range []bool{false, true} {
		h.at(time.Duration(i+1)*time.Minute, func() {
			h.env.SignalWorkflow(string(api.CustomerInboundOne), api.InboundRequest{ // an earlier client's signal
				Tenant: tenant, Channel: model.Email, EntryPoint: "ep-email", From: "jane@example.com",
				CustomerMessage: model.CustomerMessage{Text: "message " + string(rune('a'+i)), ProviderID: "p" + string(rune('a'+i)), Auto: auto},
			})
		})
	}
	st := snapshotAt[api.CustomerState](h, 5*time.Minute)
	h.endAt(time.Hour)
	h.startCustomer()

	require.Len(t, st.Held, 1)
	require.Equal(t, "message a", st.Held[0].Text)
	require.Equal(t, string(codes.TaskCreationFailed), st.Held[0].Refused)
	require.Len(t, st.Received, 2, "both are remembered, so a retry is dropped")
}

// A start refused after its open may have landed (the activity failed in a
// database outage) has the record forget it: found, its subject stayed
// claimed and the agent's new start was refused SUBJECT_REUSED. An open of
// the forgotten conversation that lands late is refused.
func TestCustomerForgetsAConversationThatNeverStarted(t *testing.T) {
	h := newHarness(t)
	first := agentOp(h, time.Minute, api.CustomerOpen, customerOpen("c1", "Order 42"))
	signal(h, 2*time.Minute, api.CustomerForget, func(string) any { return api.ForgetRequest{Conversation: "c1"} })
	again := agentOp(h, 3*time.Minute, api.CustomerOpen, customerOpen("c2", "Order 42"))
	late := agentOp(h, 4*time.Minute, api.CustomerOpen, customerOpen("c1", ""))
	st := snapshotAt[api.CustomerState](h, 5*time.Minute)
	h.endAt(time.Hour)
	h.startCustomer()

	requireDone(t, first)
	requireDone(t, again)
	require.True(t, codes.Is(late.err, codes.TaskCreationFailed), "a late open of a forgotten conversation: %v", late.err)
	require.Len(t, st.Conversations, 1)
	require.Equal(t, "c2", st.Conversations[0].ID)
}
