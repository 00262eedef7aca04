package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// Every operation is validated before it is accepted: a refused update is
// rejected with its SPEC code and leaves the conversation exactly as it was.
func TestRefusedUpdatesLeaveStateUnchanged(t *testing.T) {
	cases := []struct {
		name string
		op   string
		req  func(id string) any
		want codes.Code
	}{
		{"send by another agent", model.OpSend, send("bob", "hi"), codes.NotOwner},
		{"send to another conversation", model.OpSend, func(id string) any {
			return model.SendRequest{Conversation: id + "x", Agent: "alice", Compose: model.Compose{Text: "hi"}}
		}, codes.ConversationClosed},
		{"reply to another conversation", model.OpReply, func(id string) any {
			return model.ReplyRequest{Conversation: "conversation/acme/ep-sms/k1/older-run", CustomerMessage: model.CustomerMessage{Text: "hi"}}
		}, codes.ConversationClosed},
		{"transfer by another agent", model.OpTransfer, toAgent("bob", "carol"), codes.NotOwner},
		{"transfer to an unknown queue", model.OpTransfer, toQueue("alice", "nowhere"), codes.UnknownQueue},
		{"transfer to oneself", model.OpTransfer, toAgent("alice", "alice"), codes.TargetUnavailable},
		{"close by another agent", model.OpClose, byAgent("bob"), codes.NotOwner},
		{"conference", model.OpConference, byAgent("alice"), codes.ConferenceNotSupported},
		{"trigger a flow bound to task events", model.OpTrigger, trigger("alice", "on-task-created"), codes.FlowNotAllowed},
		{"trigger by another agent", model.OpTrigger, trigger("bob", "survey"), codes.NotOwner},
		{"accept without an offer", model.OpAccept, byAgent("bob"), codes.NoPendingOffer},
		{"decline without an offer", model.OpDecline, byAgent("bob"), codes.NoPendingOffer},
		{"wrap-up without a wrap-up pending", model.OpWrapUp, func(id string) any {
			return model.WrapUpRequest{Conversation: id, Agent: "alice", Reason: "resolved"}
		}, codes.NotOwner},
	}
	h := newHarness(t)
	before := h.snapshot(time.Minute)
	results := make([]*updateResult, len(cases))
	for i, tc := range cases {
		results[i] = h.update(2*time.Minute+time.Duration(i)*time.Second, tc.op, tc.req)
	}
	after := h.snapshot(5 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { requireRejected(t, results[i], tc.want) })
	}
	require.Equal(t, model.StatusActive, before.Status)
	require.Equal(t, *before, *after, "a refused update changed the conversation")
	require.Len(t, h.deliveryCalls(), 1, "only the first message was delivered")
	require.Len(t, h.reserveCalls(), 1, "only the start reserved a slot")
	require.Empty(t, h.transferOutCalls())
}

// Rule 14: an allowed flow is accepted and recorded (the positive side of
// FLOW_NOT_ALLOWED).
func TestTriggerAllowedFlowIsRecorded(t *testing.T) {
	h := newHarness(t)
	res := h.update(time.Minute, model.OpTrigger, trigger("alice", "survey"))
	st := h.snapshot(2 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, res)
	last := st.Events[len(st.Events)-1]
	require.Equal(t, "flow", last.Kind)
	require.Equal(t, "survey", last.Detail)
	require.Equal(t, "alice", last.Agent)
}

// A signal is validated like the update: a refused signal changes nothing,
// while a valid one is applied (so the check is not vacuous).
func TestRefusedSignalChangesNothing(t *testing.T) {
	h := newHarness(t)
	before := h.snapshot(time.Minute)
	h.signal(2*time.Minute, model.OpSend, send("bob", "not mine"))
	h.signal(2*time.Minute+time.Second, model.OpClose, byAgent("bob"))
	h.signal(2*time.Minute+2*time.Second, model.OpTransfer, toQueue("alice", "nowhere"))
	h.signal(2*time.Minute+3*time.Second, model.OpConference, byAgent("alice"))
	h.signal(2*time.Minute+4*time.Second, model.OpReply, func(string) any {
		return model.ReplyRequest{Conversation: "conversation/acme/ep-sms/k1/older-run", CustomerMessage: model.CustomerMessage{Text: "wrong thread"}}
	})
	after := h.snapshot(3 * time.Minute)
	h.signal(4*time.Minute, model.OpSend, send("alice", "mine"))
	h.signal(4*time.Minute+time.Second, model.OpReply, reply("hi back"))
	applied := h.snapshot(5 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, *before, *after, "a refused signal changed the conversation")
	require.Len(t, applied.Messages, 3)
	require.Equal(t, "mine", applied.Messages[1].Text)
	require.Equal(t, model.MessageSent, applied.Messages[1].Status)
	require.Equal(t, "hi back", applied.Messages[2].Text)
	require.Equal(t, model.Inbound, applied.Messages[2].Direction)
	for _, d := range h.deliveryCalls() {
		require.NotEqual(t, "not mine", d.Text, "a refused send was delivered")
	}
}

// Rule 17: while a transfer is between its activities, the owner can neither
// transfer again nor send, and nobody can accept: TRANSFER_PENDING.
func TestTransferInProgressRefusesOtherOperations(t *testing.T) {
	h := newHarness(t)
	unblock := make(chan struct{})
	h.reserve = func(req model.OfferRequest) error {
		if req.Kind == model.ReserveOffer {
			<-unblock // the transfer's reservation is still running
		}
		return nil
	}
	transfer := h.update(time.Minute, model.OpTransfer, toAgent("alice", "bob"))
	var again, sendWhile, closeWhile, acceptWhile *updateResult
	h.at(time.Minute+10*time.Millisecond, func() {
		again, sendWhile, closeWhile, acceptWhile = &updateResult{}, &updateResult{}, &updateResult{}, &updateResult{}
		h.sendUpdate(again, model.OpTransfer, toQueue("alice", "support")(h.convID))
		h.sendUpdate(sendWhile, model.OpSend, send("alice", "meanwhile")(h.convID))
		h.sendUpdate(closeWhile, model.OpClose, byAgent("alice")(h.convID))
		h.sendUpdate(acceptWhile, model.OpAccept, byAgent("bob")(h.convID))
		close(unblock)
	})
	st := h.snapshot(time.Minute + 20*time.Second)
	h.update(time.Minute+30*time.Second, model.OpAccept, byAgent("bob"))
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, transfer)
	requireRejected(t, again, codes.TransferPending)
	requireRejected(t, sendWhile, codes.TransferPending)
	requireRejected(t, closeWhile, codes.TransferPending)
	requireRejected(t, acceptWhile, codes.NoPendingOffer)
	require.Equal(t, model.StatusOffered, st.Status)
	require.Equal(t, "bob", st.PendingTransfer.OfferedTo)
	require.Len(t, st.Messages, 1, "the refused send added nothing")
}

// Rule 17: once the conversation is offered, its previous owner no longer
// owns it: sending, transferring and closing are refused with NOT_OWNER.
func TestPreviousOwnerCannotActWhileOffered(t *testing.T) {
	h := newHarness(t)
	h.update(time.Minute, model.OpTransfer, toAgent("alice", "bob"))
	before := h.snapshot(time.Minute + time.Second)
	sendRes := h.update(time.Minute+2*time.Second, model.OpSend, send("alice", "still mine?"))
	transferRes := h.update(time.Minute+3*time.Second, model.OpTransfer, toAgent("alice", "carol"))
	closeRes := h.update(time.Minute+4*time.Second, model.OpClose, byAgent("alice"))
	acceptRes := h.update(time.Minute+5*time.Second, model.OpAccept, byAgent("carol"))
	declineRes := h.update(time.Minute+6*time.Second, model.OpDecline, byAgent("alice"))
	after := h.snapshot(time.Minute + 10*time.Second)
	h.update(time.Minute+20*time.Second, model.OpAccept, byAgent("bob"))
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireRejected(t, sendRes, codes.NotOwner)
	requireRejected(t, transferRes, codes.NotOwner)
	requireRejected(t, closeRes, codes.NotOwner)
	requireRejected(t, acceptRes, codes.NoPendingOffer)
	requireRejected(t, declineRes, codes.NoPendingOffer)
	require.Equal(t, model.StatusOffered, before.Status)
	require.Equal(t, *before, *after)
}

// Rules 9 and 3 (§3): send delivers through the channel activity with the
// idempotency key conversation id + "/" + message id, and answers the status.
func TestSendDeliversWithIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	res := h.update(time.Minute, model.OpSend, send("alice", "second message"))
	st := h.snapshot(2 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, res)
	require.Equal(t, model.MessageResult{MessageID: "m2", Status: model.MessageSent}, res.value)
	deliveries := h.deliveryCalls()
	require.Len(t, deliveries, 2)
	require.Equal(t, st.ID+"/m2", deliveries[1].IdempotencyKey)
	require.NotEqual(t, deliveries[0].IdempotencyKey, deliveries[1].IdempotencyKey)
	require.Equal(t, "SM-m2", st.Messages[1].ProviderID)
}

// Rule 20: the previous owner's wrap-up goes through the conversation to the
// agent's workflow; only that agent, once, with a reason from the tenant's list.
func TestWrapUpAfterTransferIsForwardedToAgent(t *testing.T) {
	h := newHarness(t)
	wrapUp := func(agent, reason string) func(string) any {
		return func(id string) any { return model.WrapUpRequest{Conversation: id, Agent: agent, Reason: reason} }
	}
	h.update(transferAt, model.OpTransfer, toAgent("alice", "bob"))
	h.update(transferAt+5*time.Second, model.OpAccept, byAgent("bob"))
	byBob := h.update(transferAt+10*time.Second, model.OpWrapUp, wrapUp("bob", "resolved"))
	unknown := h.update(transferAt+11*time.Second, model.OpWrapUp, wrapUp("alice", "bored"))
	done := h.update(transferAt+12*time.Second, model.OpWrapUp, wrapUp("alice", "follow-up"))
	twice := h.update(transferAt+13*time.Second, model.OpWrapUp, wrapUp("alice", "resolved"))
	st := h.snapshot(transferAt + 14*time.Second)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireRejected(t, byBob, codes.NotOwner)
	requireRejected(t, unknown, codes.WrapUpReasonUnknown)
	requireDone(t, done)
	requireRejected(t, twice, codes.NotOwner)
	require.Equal(t, "follow-up", st.WrapUp.Reason)
	require.Equal(t, []string{model.OpTransferResolved, model.OpWrapUp}, h.signalsTo(agentID("alice")))
	arg, _ := h.signalArg(agentID("alice"), model.OpWrapUp)
	require.Equal(t, model.AgentWrapUpRequest{Conversation: st.ID, Reason: "follow-up"}, arg)
}

// An email conversation is delivered by the email activity with its subject.
func TestEmailConversationDeliversByEmailWithSubject(t *testing.T) {
	h := newHarness(t)
	start := smsStart()
	start.Channel, start.EntryPoint, start.To, start.Subject = "email", "ep-email", "jo@example.com", "  Your order 42 "
	h.prepare = func(model.StartRequest) (model.PreparedStart, error) {
		p := prepared()
		p.Customer, p.CustomerKey, p.EntryAddress = "jo@example.com", customerKey, "support@acme.example"
		return p, nil
	}
	var opened model.CustomerOpenRequest
	h.openCustomer = func(req model.CustomerOpenRequest) (model.CustomerContext, error) {
		opened = req
		return model.CustomerContext{}, nil
	}
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: model.ConversationWorkflowID(tenant, "ep-email", customerKey)})
	st := snapshotAt[model.ConversationState](h, time.Minute)
	h.endAt(time.Hour)
	h.env.ExecuteWorkflow(Conversation, model.ConversationInput{Start: &start})

	require.Equal(t, "Your order 42", opened.Subject, "the customer record checks the trimmed subject (rule 11)")
	require.Equal(t, []string{"email"}, h.deliveryChannels())
	d := h.deliveryCalls()[0]
	require.Equal(t, "Your order 42", d.Subject)
	require.Equal(t, "support@acme.example", d.From)
	require.Equal(t, "Your order 42", st.Messages[0].Subject)
}

// Rule 9: a template is rendered (local activity) before it is delivered.
func TestSendTemplateRendersBeforeDelivery(t *testing.T) {
	h := newHarness(t)
	res := h.update(time.Minute, model.OpSend, func(id string) any {
		return model.SendRequest{Conversation: id, Agent: "alice", Compose: model.Compose{Template: "greeting", Vars: map[string]string{"name": "Jo"}}}
	})
	st := h.snapshot(2 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, res)
	require.Equal(t, "rendered greeting", st.Messages[1].Text)
	require.Equal(t, "greeting", st.Messages[1].Template)
	require.Equal(t, "rendered greeting", h.deliveryCalls()[1].Text)
}
