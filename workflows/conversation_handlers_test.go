package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// Every operation is validated before it is accepted: a refused update is
// rejected with its §5 code and leaves the conversation exactly as it was.
func TestRefusedUpdatesLeaveStateUnchanged(t *testing.T) {
	cases := []struct {
		name string
		op   string // an api.Update
		req  func(id string) any
		want codes.Code
	}{
		{"send by another agent", string(api.ConversationSend), send("bob", "hi"), codes.NotOwner},
		{"send to another conversation", string(api.ConversationSend), func(id string) any {
			return api.SendRequest{Conversation: id + "x", Agent: "alice", Compose: model.Compose{Text: "hi"}}
		}, codes.ConversationClosed},
		{"reply to another conversation", string(api.ConversationReply), func(id string) any {
			return api.ReplyRequest{Conversation: "conversation/acme/ep-sms/k1/older-run", CustomerMessage: model.CustomerMessage{Text: "hi"}}
		}, codes.ConversationClosed},
		{"transfer by another agent", string(api.ConversationTransfer), toAgent("bob", "carol"), codes.NotOwner},
		{"transfer to an unknown queue", string(api.ConversationTransfer), toQueue("alice", "nowhere"), codes.UnknownQueue},
		{"transfer to oneself", string(api.ConversationTransfer), toAgent("alice", "alice"), codes.TargetUnavailable},
		{"close by another agent", string(api.ConversationClose), byAgent("bob"), codes.NotOwner},
		{"trigger a flow bound to task events", string(api.ConversationTrigger), trigger("alice", "on-task-created"), codes.FlowNotAllowed},
		{"trigger by another agent", string(api.ConversationTrigger), trigger("bob", "survey"), codes.NotOwner},
		{"accept without an offer", string(api.ConversationAccept), byAgent("bob"), codes.NoPendingOffer},
		{"decline without an offer", string(api.ConversationDecline), byAgent("bob"), codes.NoPendingOffer},
		{"HTML on an SMS conversation", string(api.ConversationSend), func(id string) any {
			return api.SendRequest{Conversation: id, Agent: "alice", Compose: model.Compose{HTML: "<p>hi</p>"}}
		}, codes.BadRequest},
		{"text and a template", string(api.ConversationSend), func(id string) any {
			return api.SendRequest{Conversation: id, Agent: "alice", Compose: model.Compose{Text: "hi", Template: "greeting"}}
		}, codes.BadRequest},
	}
	h := newHarness(t)
	before := h.snapshot(time.Minute)
	results := make([]*updateResult, len(cases))
	for i, tc := range cases {
		results[i] = update(h, 2*time.Minute+time.Duration(i)*time.Second, tc.op, tc.req)
	}
	after := h.snapshot(5 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { requireRejected(t, results[i], tc.want) })
	}
	require.Equal(t, api.StatusActive, before.Status)
	require.Equal(t, *before, *after, "a refused update changed the conversation")
	require.Len(t, h.deliveryCalls(), 1, "only the first message was delivered")
	require.Len(t, h.reserveCalls(), 1, "only the start reserved a slot")
	require.Empty(t, h.transferOutCalls())
}

// Rule 14: an allowed flow is accepted and recorded (the positive side of
// FLOW_NOT_ALLOWED).
func TestTriggerAllowedFlowIsRecorded(t *testing.T) {
	h := newHarness(t)
	res := update(h, time.Minute, api.ConversationTrigger, trigger("alice", "survey"))
	st := h.snapshot(2 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, res)
	last := st.Events[len(st.Events)-1]
	require.Equal(t, "flow", last.Kind)
	require.Equal(t, "survey", last.Detail)
	require.Equal(t, "alice", last.Agent)
}

// Send and reply are also signals (--async, webhooks), and a provider's
// status is one: a refused signal changes nothing, while a valid one is
// applied (so the check is not vacuous).
func TestRefusedSignalChangesNothing(t *testing.T) {
	h := newHarness(t)
	before := h.snapshot(time.Minute)
	signal(h, 2*time.Minute, api.ConversationSendSignal, send("bob", "not mine"))
	signal(h, 2*time.Minute+time.Second, api.ConversationSendSignal, func(id string) any {
		return api.SendRequest{Conversation: id, Agent: "alice", Compose: model.Compose{Text: "x", HTML: "<p>x</p>"}}
	})
	signal(h, 2*time.Minute+2*time.Second, api.ConversationReplySignal, func(string) any {
		return api.ReplyRequest{Conversation: "conversation/acme/ep-sms/k1/older-run", CustomerMessage: model.CustomerMessage{Text: "wrong thread"}}
	})
	signal(h, 2*time.Minute+3*time.Second, api.ConversationDeliveryStatus, func(id string) any {
		return api.DeliveryStatusRequest{Conversation: id, MessageID: "m9", Status: model.MessageDelivered}
	})
	after := h.snapshot(3 * time.Minute)
	signal(h, 4*time.Minute, api.ConversationSendSignal, send("alice", "mine"))
	signal(h, 4*time.Minute+time.Second, api.ConversationReplySignal, reply("hi back"))
	signal(h, 4*time.Minute+2*time.Second, api.ConversationDeliveryStatus, func(id string) any {
		return api.DeliveryStatusRequest{Conversation: id, MessageID: "m2", Status: model.MessageDelivered}
	})
	applied := h.snapshot(5 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, *before, *after, "a refused signal changed the conversation")
	require.Len(t, applied.Messages, 3)
	require.Equal(t, "mine", applied.Messages[1].Text)
	require.Equal(t, model.MessageDelivered, applied.Messages[1].Status)
	require.Equal(t, "hi back", applied.Messages[2].Text)
	require.Equal(t, model.Inbound, applied.Messages[2].Direction)
	for _, d := range h.deliveryCalls() {
		require.NotEqual(t, "not mine", d.Text, "a refused send was delivered")
	}
}

// A provider's status that arrives before its message is recorded (a worker
// died in the task that recorded and sent it, and the task is being redone)
// is applied once the message is: the provider does not call back again for
// the resend of the same idempotency key. A status that names no message key
// is still refused.
func TestEarlyDeliveryStatusIsAppliedWhenTheMessageIsRecorded(t *testing.T) {
	h := newHarness(t)
	key := deliveryKey("resend-1", model.Message{Text: "sent while the status waited"})
	signal(h, 2*time.Minute, api.ConversationDeliveryStatus, func(id string) any {
		return api.DeliveryStatusRequest{Conversation: id, MessageID: key, Status: model.MessageDelivered}
	})
	signal(h, 2*time.Minute+time.Second, api.ConversationDeliveryStatus, func(id string) any {
		return api.DeliveryStatusRequest{Conversation: id, MessageID: "m9", Status: model.MessageDelivered}
	})
	update(h, 2*time.Minute+2*time.Second, api.ConversationSend, func(id string) any {
		return api.SendRequest{Conversation: id, Agent: "alice", Compose: model.Compose{Text: "sent while the status waited"}, Request: api.Request{RequestID: "resend-1"}}
	})
	st := h.snapshot(3 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.Len(t, st.Messages, 2)
	require.Equal(t, "m2", st.Messages[1].ID)
	require.Equal(t, model.MessageDelivered, st.Messages[1].Status, "the early callback was lost")
	require.Empty(t, st.EarlyStatuses)
}

// The first message's callback may overtake the redone task that opens the
// conversation: it is kept and applied as the first message is recorded.
func TestEarlyDeliveryStatusOfTheFirstMessage(t *testing.T) {
	h := newHarness(t)
	// The conversation's id before it opened (the test environment gives
	// no first run id).
	id := api.ConversationID(conversationWorkflowID, "")
	h.at(0, func() {
		h.env.SignalWorkflow(string(api.ConversationDeliveryStatus),
			api.DeliveryStatusRequest{Conversation: id, MessageID: deliveryKey("m1", model.Message{Text: "Hello from Acme"}), Status: model.MessageDelivered})
	})
	st := h.snapshot(time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, id, st.ID)
	require.Equal(t, "m1", st.Messages[0].ID)
	require.Equal(t, model.MessageDelivered, st.Messages[0].Status, "the early callback was lost")
}

// A STOP that arrives by signal refuses the next send with OPTED_OUT the
// same way whether it reached the workflow in the send's workflow task (the
// SDK validates the update before it takes the signal) or in an earlier one.
func TestOptOutRefusesSendWhateverTheTaskBatching(t *testing.T) {
	for _, sameTask := range []bool{true, false} {
		t.Run(map[bool]string{true: "same task", false: "earlier task"}[sameTask], func(t *testing.T) {
			h := newHarness(t)
			sent := &updateResult{}
			h.at(time.Minute, func() {
				stop := api.ReplyRequest{Conversation: h.convID, CustomerMessage: model.CustomerMessage{Text: "STOP"}}
				if sameTask {
					h.env.SignalWorkflowSkippingWorkflowTask(string(api.ConversationReplySignal), stop)
					sendUpdate(h, sent, api.ConversationSend, send("alice", "one more thing")(h.convID))
					return
				}
				h.env.SignalWorkflow(string(api.ConversationReplySignal), stop)
			})
			if !sameTask {
				h.at(time.Minute+time.Second, func() {
					sendUpdate(h, sent, api.ConversationSend, send("alice", "one more thing")(h.convID))
				})
			}
			st := h.snapshot(2 * time.Minute)
			h.endAt(time.Hour)
			h.startConversation(smsStart())

			requireFailed(t, sent, codes.OptedOut)
			require.True(t, st.OptedOut)
			require.Len(t, st.Messages, 2, "the first message and the STOP; nothing sent after it")
			require.Len(t, h.deliveryCalls(), 1)
		})
	}
}

// Rule 17: while a transfer is between its activities, the owner can neither
// transfer again nor send, and nobody can accept: TRANSFER_PENDING.
func TestTransferInProgressRefusesOtherOperations(t *testing.T) {
	h := newHarness(t)
	unblock := make(chan struct{})
	h.reserve = func(req api.ReserveRequest) error {
		if req.Kind == api.ReserveOffer {
			<-unblock // the transfer's reservation is still running
		}
		return nil
	}
	transfer := update(h, time.Minute, api.ConversationTransfer, toAgent("alice", "bob"))
	var again, sendWhile, closeWhile, acceptWhile *updateResult
	h.at(time.Minute+10*time.Millisecond, func() {
		again, sendWhile, closeWhile, acceptWhile = &updateResult{}, &updateResult{}, &updateResult{}, &updateResult{}
		sendUpdate(h, again, api.ConversationTransfer, toQueue("alice", "support")(h.convID))
		sendUpdate(h, sendWhile, api.ConversationSend, send("alice", "meanwhile")(h.convID))
		sendUpdate(h, closeWhile, api.ConversationClose, byAgent("alice")(h.convID))
		sendUpdate(h, acceptWhile, api.ConversationAccept, byAgent("bob")(h.convID))
		close(unblock)
	})
	st := h.snapshot(time.Minute + 20*time.Second)
	update(h, time.Minute+30*time.Second, api.ConversationAccept, byAgent("bob"))
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, transfer)
	requireRejected(t, again, codes.TransferPending)
	requireRejected(t, sendWhile, codes.TransferPending)
	requireRejected(t, closeWhile, codes.TransferPending)
	requireRejected(t, acceptWhile, codes.NoPendingOffer)
	require.Equal(t, api.StatusOffered, st.Status)
	require.Equal(t, "bob", st.PendingTransfer.OfferedTo)
	require.Len(t, st.Messages, 1, "the refused send added nothing")
}

// Rule 17: once the conversation is offered, its previous owner no longer
// owns it: sending, transferring and closing are refused with NOT_OWNER.
func TestPreviousOwnerCannotActWhileOffered(t *testing.T) {
	h := newHarness(t)
	update(h, time.Minute, api.ConversationTransfer, toAgent("alice", "bob"))
	before := h.snapshot(time.Minute + time.Second)
	sendRes := update(h, time.Minute+2*time.Second, api.ConversationSend, send("alice", "still mine?"))
	transferRes := update(h, time.Minute+3*time.Second, api.ConversationTransfer, toAgent("alice", "carol"))
	closeRes := update(h, time.Minute+4*time.Second, api.ConversationClose, byAgent("alice"))
	acceptRes := update(h, time.Minute+5*time.Second, api.ConversationAccept, byAgent("carol"))
	declineRes := update(h, time.Minute+6*time.Second, api.ConversationDecline, byAgent("alice"))
	after := h.snapshot(time.Minute + 10*time.Second)
	update(h, time.Minute+20*time.Second, api.ConversationAccept, byAgent("bob"))
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireRejected(t, sendRes, codes.NotOwner)
	requireRejected(t, transferRes, codes.NotOwner)
	requireRejected(t, closeRes, codes.NotOwner)
	requireRejected(t, acceptRes, codes.NoPendingOffer)
	requireRejected(t, declineRes, codes.NoPendingOffer)
	require.Equal(t, api.StatusOffered, before.Status)
	require.Equal(t, *before, *after)
}

// Rules 9 and 3 (§3): send delivers through the channel activity with the
// idempotency key conversation id + "/" + the message's key, and answers
// the status.
func TestSendDeliversWithIdempotencyKey(t *testing.T) {
	h := newHarness(t)
	res := update(h, time.Minute, api.ConversationSend, func(id string) any {
		return api.SendRequest{Conversation: id, Agent: "alice", Compose: model.Compose{Text: "second message"}, Request: api.Request{RequestID: "r-2"}}
	})
	st := h.snapshot(2 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, res)
	require.Equal(t, api.MessageResult{MessageID: "m2", Status: model.MessageSent}, res.value)
	deliveries := h.deliveryCalls()
	require.Len(t, deliveries, 2)
	require.Equal(t, deliveryKey("r-2", st.Messages[1]), st.Messages[1].Key)
	require.Equal(t, st.ID+"/"+st.Messages[1].Key, deliveries[1].IdempotencyKey())
	require.NotEqual(t, deliveries[0].IdempotencyKey(), deliveries[1].IdempotencyKey())
	require.Equal(t, "SM-"+st.Messages[1].Key, st.Messages[1].ProviderID)
}

// The key a provider sees is the request's and the content's, never the
// message's place: the same request names the same key under any message
// number (a task redone after a crash numbers its updates anew), and another
// request or another text never does.
func TestDeliveryKeyIsTheRequestsNotThePlace(t *testing.T) {
	m44 := model.Message{ID: "m44", Text: "msg 44"}
	m51 := model.Message{ID: "m51", Text: "msg 51"}
	renumbered := m44
	renumbered.ID = "m51"
	require.Equal(t, deliveryKey("burst-44", m44), deliveryKey("burst-44", renumbered))
	require.NotEqual(t, deliveryKey("burst-44", m44), deliveryKey("burst-51", m51))
	require.NotEqual(t, deliveryKey("burst-44", m44), deliveryKey("burst-44", m51), "a request id used again for another text")
	require.NotEqual(t, deliveryKey("r", model.Message{Subject: "a", Text: "b"}), deliveryKey("r", model.Message{Subject: "ab"}))
	require.True(t, isDeliveryKey(deliveryKey("r", m44)))
	require.False(t, isDeliveryKey("m44"))
}

// An email conversation is delivered by the email activity with its subject.
func TestEmailConversationDeliversByEmailWithSubject(t *testing.T) {
	h := newHarness(t)
	start := smsStart()
	start.Channel, start.EntryPoint, start.To, start.Subject = "email", "ep-email", "jo@example.com", "  Your order 42 "
	h.prepare = func(api.StartRequest) (model.PreparedStart, error) {
		p := prepared()
		p.Customer, p.CustomerKey, p.EntryAddress = "jo@example.com", customerKey, "support@acme.example"
		return p, nil
	}
	var opened api.CustomerOpenRequest
	h.openCustomer = func(req api.CustomerOpenRequest) (api.CustomerContext, error) {
		opened = req
		return api.CustomerContext{}, nil
	}
	h.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: api.ConversationWorkflowID(tenant, "ep-email", customerKey)})
	st := snapshotAt[api.ConversationState](h, time.Minute)
	h.endAt(time.Hour)
	h.env.ExecuteWorkflow(Conversation, api.ConversationInput{Start: &start})

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
	res := update(h, time.Minute, api.ConversationSend, func(id string) any {
		return api.SendRequest{Conversation: id, Agent: "alice", Compose: model.Compose{Template: "greeting", Vars: map[string]string{"name": "Jo"}}}
	})
	st := h.snapshot(2 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, res)
	require.Equal(t, "rendered greeting", st.Messages[1].Text)
	require.Equal(t, "greeting", st.Messages[1].Template)
	require.Equal(t, "rendered greeting", h.deliveryCalls()[1].Text)
}

// Rule 9: the start's first message and a later send take one path: the same
// checks and the same ComposeMessage request, so the same message comes out.
func TestFirstMessageComposedLikeALaterOne(t *testing.T) {
	h := newHarness(t)
	greeting := model.Compose{Template: "greeting", Vars: map[string]string{"name": "Jo"}}
	start := smsStart()
	start.First = &greeting
	res := update(h, time.Minute, api.ConversationSend, func(id string) any {
		return api.SendRequest{Conversation: id, Agent: "alice", Compose: greeting}
	})
	st := h.snapshot(2 * time.Minute)
	h.endAt(time.Hour)
	h.startConversation(start)

	requireDone(t, res)
	composed := h.composeCalls()
	require.Len(t, composed, 2)
	require.Equal(t, composed[0], composed[1])
	require.Equal(t, model.ComposeRequest{Tenant: tenant, Conversation: st.ID, Channel: model.SMS, Compose: greeting}, composed[0])
	require.Equal(t, st.Messages[0].Text, st.Messages[1].Text)
	require.Equal(t, "greeting", st.Messages[0].Template)
}
