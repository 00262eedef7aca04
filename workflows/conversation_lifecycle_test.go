package workflows

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// Rules 16 and 20: close ends the conversation, the owner goes to wrap-up with
// the tenant's policy, the customer's record gets the last messages, and the
// workflow completes with the final state.
func TestCloseEndsConversationAndStartsWrapUp(t *testing.T) {
	h := newHarness(t)
	for i := range 12 {
		update(h, time.Minute+time.Duration(i)*time.Second, api.ConversationReply, reply(fmt.Sprintf("reply %d", i+1)))
	}
	closeAt := 10 * time.Minute
	res := update(h, closeAt, api.ConversationClose, byAgent("alice"))
	// In the same instant, while close is still telling the agent and the
	// customer, a late send is refused.
	var late *updateResult
	h.at(closeAt, func() {
		late = &updateResult{}
		sendUpdate(h, late, api.ConversationSend, send("alice", "too late")(h.convID))
	})
	h.startConversation(smsStart())

	requireDone(t, res)
	require.Equal(t, api.StatusClosed, res.value)
	requireRejected(t, late, codes.ConversationClosed)

	st := h.result()
	require.Equal(t, api.StatusClosed, st.Status)
	require.Equal(t, t0.Add(closeAt), st.ClosedAt)
	require.Equal(t, &api.WrapUp{Agent: "alice", Due: t0.Add(closeAt + testPolicy().WrapUp.Timeout)}, st.WrapUp)
	require.Equal(t, "closed", eventKinds(st)[len(st.Events)-1])
	require.Len(t, st.Messages, 13)

	require.Equal(t, []string{string(api.AgentLeave)}, h.signalsTo(agentID("alice")))
	leave, _ := h.signalArg(agentID("alice"), string(api.AgentLeave))
	require.Equal(t, api.LeaveRequest{Conversation: st.ID, WrapUp: testPolicy().WrapUp}, leave)

	customer := api.CustomerWorkflowID(tenant, customerKey)
	require.Equal(t, []string{string(api.CustomerClosed)}, h.signalsTo(customer))
	arg, _ := h.signalArg(customer, string(api.CustomerClosed))
	closed := arg.(api.CustomerClosedRequest)
	require.Equal(t, st.ID, closed.Conversation)
	require.Equal(t, st.ClosedAt, closed.ClosedAt)
	require.Equal(t, st.Messages[len(st.Messages)-lastMessages:], closed.LastMessages, "the last messages go to the customer record")
}

// Continue-as-new keeps histories short without losing anything: past
// ContinueAsNewAfter the run continues as new only once every handler has
// finished, so the carried state holds every message, with the final status
// of a delivery that was still running when the limit was reached.
func TestContinueAsNewCarriesEveryMessage(t *testing.T) {
	h := newHarness(t)
	start := smsStart()
	start.ContinueAsNewAfter = 30
	release := make(chan struct{})
	h.deliver = func(d model.Delivery) (model.Delivered, error) {
		if d.Text == "in flight" {
			<-release // still delivering when the history limit is reached
		}
		return model.Delivered{ProviderID: "SM-" + d.Key}, nil
	}
	var want []string
	for i := range 10 {
		at := time.Minute + time.Duration(i)*time.Second
		update(h, at, api.ConversationSend, send("alice", fmt.Sprintf("send %d", i)))
		signal(h, at+500*time.Millisecond, api.ConversationReply, reply(fmt.Sprintf("reply %d", i)))
		want = append(want, fmt.Sprintf("send %d", i), fmt.Sprintf("reply %d", i))
	}
	inFlight := update(h, 10*time.Minute, api.ConversationSend, send("alice", "in flight"))
	h.at(10*time.Minute+time.Millisecond, func() {
		h.env.SetCurrentHistoryLength(31)
		for i := range 5 { // signals that arrive together in one workflow task
			h.env.SignalWorkflowSkippingWorkflowTask(string(api.ConversationReplySignal), reply(fmt.Sprintf("buffered %d", i))(h.convID))
		}
		h.env.SignalWorkflow(string(api.ConversationSendSignal), send("alice", "last")(h.convID))
		close(release)
	})
	want = append(want, "in flight", "buffered 0", "buffered 1", "buffered 2", "buffered 3", "buffered 4", "last")
	h.endAt(time.Hour) // must not be reached
	h.startConversation(start)

	requireDone(t, inFlight)
	st := requireContinuedActive(t, h)
	var texts []string
	for i, m := range st.Messages {
		require.Equal(t, fmt.Sprintf("m%d", i+1), m.ID, "message ids are unique and in order")
		if m.Direction == model.Outbound {
			require.Equal(t, model.MessageSent, m.Status, "message %s carried before its delivery finished", m.ID)
		}
		texts = append(texts, m.Text)
	}
	require.Equal(t, "Hello from Acme", texts[0])
	require.ElementsMatch(t, want, texts[1:], "a message was lost or duplicated at continue-as-new")
	require.Equal(t, len(st.Messages), st.NextMessage)
	require.Len(t, h.deliveryCalls(), 1+10+2)
}

// Signals already buffered when the limit is reached are drained into the
// run before it continues as new.
func TestContinueAsNewDrainsBufferedSignals(t *testing.T) {
	h := newHarness(t)
	start := smsStart()
	start.ContinueAsNewAfter = 30
	h.at(10*time.Minute, func() {
		for i := range 5 { // delivered, but no workflow task runs for them
			h.env.SignalWorkflowSkippingWorkflowTask(string(api.ConversationReplySignal), reply(fmt.Sprintf("buffered %d", i))(h.convID))
		}
	})
	h.at(10*time.Minute+time.Second, func() { h.env.SetCurrentHistoryLength(31) })
	h.endAt(time.Hour) // must not be reached
	h.startConversation(start)

	st := requireContinuedActive(t, h)
	var texts []string
	for _, m := range st.Messages[1:] {
		texts = append(texts, m.Text)
	}
	require.Equal(t, []string{"buffered 0", "buffered 1", "buffered 2", "buffered 3", "buffered 4"}, texts)
}

// A signal that arrives in the very workflow task in which the run decides to
// continue as new (here: the reply that takes the history past the limit) is
// applied before the run continues, not dropped.
func TestContinueAsNewKeepsSignalArrivingInSameTask(t *testing.T) {
	h := newHarness(t)
	start := smsStart()
	start.ContinueAsNewAfter = 30
	h.at(10*time.Minute, func() {
		h.env.SignalWorkflowSkippingWorkflowTask(string(api.ConversationReplySignal), reply("at the limit")(h.convID))
	})
	h.at(10*time.Minute+time.Second, func() { h.env.SetCurrentHistoryLength(31) })
	h.endAt(time.Hour) // must not be reached
	h.startConversation(start)

	st := requireContinuedActive(t, h)
	require.Len(t, st.Messages, 2, "the customer's reply was lost at continue-as-new")
	require.Equal(t, "at the limit", st.Messages[1].Text)
}

// When the run continues as new while a timed-out offer is being dropped,
// the drop is finished first: the next run must not find the offer still
// pending and time it out (and make the target RONA) a second time.
func TestContinueAsNewDuringOfferTimeoutDropsOfferOnce(t *testing.T) {
	h := newHarness(t)
	start := smsStart()
	start.ContinueAsNewAfter = 30
	h.onSignal = func(s sentSignal) error {
		if s.Name == string(api.AgentNoAnswer) {
			time.Sleep(100 * time.Millisecond) // the RONA signal is still being sent...
		}
		return nil
	}
	update(h, time.Minute, api.ConversationTransfer, toAgent("alice", "bob"))
	// ...when the history reaches the limit, just after the offer expired.
	h.at(time.Minute+testPolicy().TransferOfferTimeout+time.Millisecond, func() { h.env.SetCurrentHistoryLength(31) })
	h.endAt(time.Hour) // must not be reached
	h.startConversation(start)

	in := continuedState(t, h.env.GetWorkflowError())
	st := *in.State
	timeouts := 0
	for _, e := range st.Events {
		if e.Kind == "offer-timeout" {
			timeouts++
		}
	}
	require.Equal(t, 1, timeouts)
	if st.PendingTransfer != nil {
		require.NotEqual(t, "bob", st.PendingTransfer.OfferedTo, "the timed-out offer was carried as still pending")
	}
	require.Equal(t, api.StatusQueued, st.Status)
	require.Equal(t, "support", st.Queue)
}

// requireContinuedActive checks that the run continued as new with the active
// conversation and returns the carried state.
func requireContinuedActive(t *testing.T, h *harness) api.ConversationState {
	t.Helper()
	in := continuedState(t, h.env.GetWorkflowError())
	require.Nil(t, in.Start)
	require.NotNil(t, in.State)
	st := *in.State
	require.Equal(t, 30, st.ContinueAsNewAfter, "the next run keeps the limit")
	require.Equal(t, api.StatusActive, st.Status)
	require.Equal(t, "alice", st.Owner)
	require.Equal(t, h.convID, st.ID, "the conversation id survives continue-as-new")
	return st
}

// Below ContinueAsNewAfter the run goes on (the limit is what triggers it).
func TestNoContinueAsNewBelowLimit(t *testing.T) {
	h := newHarness(t)
	start := smsStart()
	start.ContinueAsNewAfter = 30
	h.at(time.Minute, func() { h.env.SetCurrentHistoryLength(29) })
	update(h, 2*time.Minute, api.ConversationReply, reply("hi"))
	st := h.snapshot(3 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(start)

	require.Len(t, st.Messages, 2)
	require.False(t, isContinueAsNew(h.env.GetWorkflowError()), "continued as new below the limit")
}

// A run started from a carried state with a pending offer resumes the offer
// timer for the time that was left, not a fresh timeout.
func TestResumedRunRestartsPendingOfferTimer(t *testing.T) {
	h := newHarness(t)
	left := 20 * time.Second
	st := carriedOffer(t0.Add(left))
	replyRes := update(h, 5*time.Second, api.ConversationReply, reply("still there?"))
	before := h.snapshot(left - time.Second)
	var bobBefore []string
	h.at(left-time.Second, func() { bobBefore = h.signalsTo(agentID("bob")) })
	after := h.snapshot(left + time.Second)
	h.endAt(time.Hour)
	h.resumeConversation(st)

	require.Zero(t, h.prepares, "a resumed run does not start again")
	requireDone(t, replyRes)
	require.Equal(t, api.MessageResult{MessageID: "m2", Status: model.MessageReceived}, replyRes.value, "message ids go on")

	require.Equal(t, api.StatusOffered, before.Status)
	require.Equal(t, "bob", before.PendingTransfer.OfferedTo)
	require.Empty(t, bobBefore)

	require.Equal(t, api.StatusQueued, after.Status, "the offer expired when the carried deadline passed")
	require.Equal(t, "support", after.Queue)
	require.Nil(t, after.PendingTransfer)
	require.Equal(t, []string{string(api.AgentNoAnswer)}, h.signalsTo(agentID("bob")))
	require.Equal(t, []string{string(api.AgentTransferResolved)}, h.signalsTo(agentID("alice")))
}

// A resumed offer can still be accepted.
func TestResumedOfferCanBeAccepted(t *testing.T) {
	h := newHarness(t)
	st := carriedOffer(t0.Add(20 * time.Second))
	accept := update(h, 10*time.Second, api.ConversationAccept, byAgent("bob"))
	after := h.snapshot(time.Minute)
	h.endAt(time.Hour)
	h.resumeConversation(st)

	requireDone(t, accept)
	require.Equal(t, api.StatusActive, after.Status)
	require.Equal(t, "bob", after.Owner)
	require.Equal(t, []string{string(api.AgentOfferAccepted)}, h.signalsTo(agentID("bob")))
}

// carriedOffer is a state carried over continue-as-new while an offer to bob,
// transferred by alice, was waiting until expires.
func carriedOffer(expires time.Time) api.ConversationState {
	id := api.ConversationID(conversationWorkflowID, "first-run")
	return api.ConversationState{
		ID: id, WorkflowID: conversationWorkflowID, Tenant: tenant, Status: api.StatusOffered,
		Channel: "sms", Customer: "+14155550123", CustomerKey: customerKey,
		EntryPoint: entryPoint, EntryAddress: "+14155550100",
		Messages: []model.Message{{ID: "m1", Direction: model.Outbound, Agent: "alice", Text: "Hello", Status: model.MessageSent}},
		PendingTransfer: &api.Transfer{
			From: "alice", ToAgent: "bob", OfferedTo: "bob", OfferExpires: expires, Tried: []string{"alice"},
		},
		WrapUp:             &api.WrapUp{Agent: "alice", Due: t0.Add(time.Minute)},
		StartedAt:          t0.Add(-time.Hour),
		Policy:             testPolicy(),
		NextMessage:        1,
		ContinueAsNewAfter: 30,
	}
}

// A request retried after the run continued as new (the server knows update
// IDs per run only) gets its first answer from the carried state and acts no
// more; a new request id acts.
func TestRetryAfterContinueAsNewActsOnce(t *testing.T) {
	sendAs := func(requestID, text string) func(string) any {
		return func(id string) any {
			return api.SendRequest{Conversation: id, Agent: "alice", Compose: model.Compose{Text: text}, Request: api.Request{RequestID: requestID}}
		}
	}
	h := newHarness(t)
	start := smsStart()
	start.ContinueAsNewAfter = 30
	first := update(h, time.Minute, api.ConversationSend, sendAs("r1", "once"))
	h.at(2*time.Minute, func() {
		h.env.SetCurrentHistoryLength(31)
		h.env.SignalWorkflow(string(api.ConversationReplySignal), reply("wake up")(h.convID))
	})
	h.endAt(time.Hour) // must not be reached
	h.startConversation(start)
	requireDone(t, first)
	carried := requireContinuedActive(t, h)

	next := newHarness(t)
	again := update(next, time.Minute, api.ConversationSend, sendAs("r1", "once"))
	other := update(next, time.Minute+time.Second, api.ConversationSend, sendAs("r2", "twice"))
	after := next.snapshot(2 * time.Minute)
	next.endAt(time.Hour)
	next.resumeConversation(carried)

	requireDone(t, again)
	require.Equal(t, first.value, again.value, "the retry gets the first answer")
	requireDone(t, other)
	require.Len(t, after.Messages, len(carried.Messages)+1, "only the new request added a message")
	require.Len(t, next.deliveryCalls(), 1)
	require.Equal(t, "twice", next.deliveryCalls()[0].Text)
}
