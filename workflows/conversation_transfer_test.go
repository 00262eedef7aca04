package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// Timeline of the transfer tests: alice starts at 0 and transfers at 1m; the
// policy's offer timeout is 45s, so an unanswered offer expires at 1m45s.
const transferAt = time.Minute

// Rules 17 and 20: a transfer to an agent reserves a slot on the target,
// moves the owner to wrap-up and offers the conversation until the policy's
// offer timeout.
func TestTransferToAgentOffersAndStartsWrapUp(t *testing.T) {
	h := newHarness(t)
	res := update(h, transferAt, api.ConversationTransfer, toAgent("alice", "bob"))
	st := h.snapshot(transferAt + time.Second)
	update(h, transferAt+10*time.Second, api.ConversationAccept, byAgent("bob"))
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, res)
	require.Equal(t, api.StatusOffered, res.value)
	require.Equal(t, api.StatusOffered, st.Status)
	require.Empty(t, st.Owner, "nobody owns an offered conversation")
	require.Equal(t, &api.Transfer{
		From: "alice", ToAgent: "bob", OfferedTo: "bob", Tried: []string{"alice"},
		OfferExpires: t0.Add(transferAt + testPolicy().TransferOfferTimeout),
	}, st.PendingTransfer)
	require.Equal(t, &api.WrapUp{Agent: "alice", Due: t0.Add(transferAt + testPolicy().WrapUp.Timeout)}, st.WrapUp)

	reserves := h.reserveCalls()
	require.Len(t, reserves, 2)
	require.Equal(t, api.ReserveRequest{Tenant: tenant, Agent: "bob", Conversation: st.ID, Kind: api.ReserveOffer}, reserves[1],
		"a named agent is reserved as an offer, RONA allowed")
	outs := h.transferOutCalls()
	require.Len(t, outs, 1)
	require.Contains(t, outs[0].Req.RequestID, "/transfer-out/", "one request id for every attempt")
	outs[0].Req.RequestID = ""
	require.Equal(t, transferOutCall{Agent: "alice", Req: api.LeaveRequest{Conversation: st.ID, WrapUp: testPolicy().WrapUp}}, outs[0])
}

// Rule 17 (a): the target accepts; it owns the conversation, its slot becomes
// active and the previous owner's transfer is resolved (rule 18). The offer
// timer must not fire afterwards.
func TestAcceptedTransferMakesTargetOwner(t *testing.T) {
	h := newHarness(t)
	update(h, transferAt, api.ConversationTransfer, toAgent("alice", "bob"))
	accept := update(h, transferAt+10*time.Second, api.ConversationAccept, byAgent("bob"))
	st := h.snapshot(transferAt + 20*time.Second)
	later := h.snapshot(transferAt + 5*time.Minute) // well past the offer timeout
	sendByBob := update(h, transferAt+6*time.Minute, api.ConversationSend, send("bob", "Bob here"))
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, accept)
	require.Equal(t, api.StatusActive, accept.value)
	require.Equal(t, api.StatusActive, st.Status)
	require.Equal(t, "bob", st.Owner)
	require.Nil(t, st.PendingTransfer)
	require.Equal(t, "alice", st.WrapUp.Agent, "alice still has her wrap-up to do")

	require.Equal(t, []string{string(api.AgentOfferAccepted)}, h.signalsTo(agentID("bob")), "no RONA after an accept")
	require.Equal(t, []string{string(api.AgentTransferResolved)}, h.signalsTo(agentID("alice")))
	arg, _ := h.signalArg(agentID("bob"), string(api.AgentOfferAccepted))
	require.Equal(t, api.SlotRequest{Conversation: st.ID}, arg)

	require.Equal(t, api.StatusActive, later.Status)
	require.Equal(t, "bob", later.Owner)
	require.NotContains(t, eventKinds(*later), "offer-timeout")
	require.Empty(t, h.rankCalls(), "an accepted offer is not routed further")
	requireDone(t, sendByBob)
}

// Rule 17 (b): the target declines; its slot is released (it is not RONA)
// and the conversation waits in the entry point's queue, whose offers leave
// out the transferring agent and the one who declined.
func TestDeclinedTransferWaitsInEntryQueue(t *testing.T) {
	h := newHarness(t)
	update(h, transferAt, api.ConversationTransfer, toAgent("alice", "bob"))
	decline := update(h, transferAt+10*time.Second, api.ConversationDecline, byAgent("bob"))
	st := h.snapshot(transferAt + 11*time.Second)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, decline)
	require.Equal(t, []string{string(api.AgentRelease)}, h.signalsTo(agentID("bob")), "declined: released, not RONA")
	require.Equal(t, []string{string(api.AgentTransferResolved)}, h.signalsTo(agentID("alice")), "alice may transfer again")
	require.Equal(t, api.StatusQueued, st.Status)
	require.Equal(t, "support", st.Queue)
	require.Nil(t, st.PendingTransfer)
	calls := h.enqueueCalls()
	require.Len(t, calls, 1)
	require.Equal(t, "support", calls[0].Queue)
	require.Equal(t, api.Waiting{Conversation: st.ID, Since: t0.Add(transferAt + 10*time.Second), Channel: model.SMS, Exclude: []string{"alice", "bob"}},
		calls[0].Waiting, "neither the transferring agent nor the one who declined is offered it again")
}

// Rules 17 and 19: the queue's offer puts the conversation in front of the
// agent for a full offer timeout; accepted, the agent owns it and the queue
// lets it go; declined, it goes back to the queue's line, not to that agent.
func TestQueueOfferAcceptedOrDeclined(t *testing.T) {
	h := newHarness(t)
	offerTo := func(agent string) func(string) any {
		return func(id string) any { return api.QueueOffer{Conversation: id, Queue: "sales", Agent: agent} }
	}
	update(h, transferAt, api.ConversationTransfer, toQueue("alice", "sales"))
	signal(h, transferAt+time.Second, api.ConversationOffer, offerTo("erin"))
	offered := h.snapshot(transferAt + 2*time.Second)
	update(h, transferAt+3*time.Second, api.ConversationDecline, byAgent("erin"))
	back := h.snapshot(transferAt + 4*time.Second)
	signal(h, transferAt+5*time.Second, api.ConversationOffer, offerTo("frank"))
	accept := update(h, transferAt+6*time.Second, api.ConversationAccept, byAgent("frank"))
	final := h.snapshot(transferAt + 7*time.Second)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, api.StatusOffered, offered.Status)
	require.Equal(t, "erin", offered.PendingTransfer.OfferedTo)
	require.Equal(t, t0.Add(transferAt+time.Second+testPolicy().TransferOfferTimeout), offered.PendingTransfer.OfferExpires)

	require.Equal(t, api.StatusQueued, back.Status)
	require.Equal(t, "sales", back.Queue)
	queue := api.QueueWorkflowID(tenant, "sales")
	ended, _ := h.signalArg(queue, string(api.QueueOfferEnded))
	require.Equal(t, api.OfferEnded{Conversation: back.ID, Agent: "erin"}, ended)
	require.Equal(t, []string{string(api.AgentRelease)}, h.signalsTo(agentID("erin")))

	requireDone(t, accept)
	require.Equal(t, "frank", final.Owner)
	require.Equal(t, api.StatusActive, final.Status)
	require.Equal(t, []string{string(api.QueueOfferEnded), string(api.QueueLeave)}, h.signalsTo(queue))
	require.Equal(t, []string{string(api.AgentOfferAccepted)}, h.signalsTo(agentID("frank")))
}

// Rule 19 (c): an offer not answered within the policy's transfer offer
// timeout is dropped, the target goes to RONA, and the conversation waits in
// the entry point's queue with the event recorded; nothing is lost.
func TestTransferOfferTimeoutSetsRONAAndQueues(t *testing.T) {
	h := newHarness(t)
	timeout := testPolicy().TransferOfferTimeout
	update(h, transferAt, api.ConversationTransfer, toAgent("alice", "bob"))
	justBefore := h.snapshot(transferAt + timeout - time.Second)
	var bobBefore []string
	h.at(transferAt+timeout-time.Second, func() { bobBefore = h.signalsTo(agentID("bob")) })
	st := h.snapshot(transferAt + timeout + time.Second)
	replyRes := update(h, transferAt+timeout+2*time.Second, api.ConversationReply, reply("hello? anyone?"))
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, api.StatusOffered, justBefore.Status, "the offer lasts the policy's timeout")
	require.Empty(t, bobBefore, "no RONA before the offer expires")

	require.Equal(t, api.StatusQueued, st.Status)
	require.Equal(t, "support", st.Queue, "a dropped transfer goes to the entry point's queue")
	require.Nil(t, st.PendingTransfer)
	require.Empty(t, st.Owner)
	kinds := eventKinds(*st)
	require.Contains(t, kinds, "offer-timeout")
	require.Equal(t, "queued", kinds[len(kinds)-1])
	for _, e := range st.Events {
		if e.Kind == "offer-timeout" {
			require.Equal(t, "bob", e.Agent)
			require.Equal(t, t0.Add(transferAt+timeout), e.At)
		}
	}

	require.Equal(t, []string{string(api.AgentNoAnswer)}, h.signalsTo(agentID("bob")), "the target goes to RONA")
	arg, _ := h.signalArg(agentID("bob"), string(api.AgentNoAnswer))
	require.Equal(t, api.SlotRequest{Conversation: st.ID}, arg)
	require.Equal(t, []string{string(api.AgentTransferResolved)}, h.signalsTo(agentID("alice")), "alice may transfer again")
	calls := h.enqueueCalls()
	require.Len(t, calls, 1)
	require.Equal(t, []string{"alice", "bob"}, calls[0].Waiting.Exclude)

	requireDone(t, replyRes) // a queued conversation still takes the customer's replies
}

// Rule 17 (d): a target that is not available refuses the reservation; the
// transfer is refused and the conversation is unchanged.
func TestTransferToUnavailableAgentIsRefused(t *testing.T) {
	h := newHarness(t)
	h.reserve = func(req api.ReserveRequest) error {
		if req.Agent == "bob" {
			return codes.New(codes.TargetUnavailable, "bob is idle")
		}
		return nil
	}
	before := h.snapshot(transferAt - time.Second)
	res := update(h, transferAt, api.ConversationTransfer, toAgent("alice", "bob"))
	after := h.snapshot(transferAt + time.Second)
	sendAfter := update(h, transferAt+2*time.Second, api.ConversationSend, send("alice", "still here"))
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireFailed(t, res, codes.TargetUnavailable)
	require.Equal(t, *before, *after, "a refused transfer changed the conversation")
	require.Empty(t, h.transferOutCalls(), "the owner is not moved out when the target refused")
	requireDone(t, sendAfter) // alice still owns it
}

// Rule 18 (e): when the owner's agent refuses the transfer (another one is
// pending), the target's reservation is released and nothing changes.
func TestTransferOutRefusedReleasesTarget(t *testing.T) {
	h := newHarness(t)
	h.transferOut = func(string, api.LeaveRequest) error {
		return codes.New(codes.TransferPending, "alice already has a transfer pending")
	}
	before := h.snapshot(transferAt - time.Second)
	res := update(h, transferAt, api.ConversationTransfer, toAgent("alice", "bob"))
	after := h.snapshot(transferAt + time.Second)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireFailed(t, res, codes.TransferPending)
	require.Equal(t, []string{string(api.AgentRelease)}, h.signalsTo(agentID("bob")), "bob's reserved slot must be released")
	arg, _ := h.signalArg(agentID("bob"), string(api.AgentRelease))
	require.Equal(t, api.SlotRequest{Conversation: before.ID}, arg)
	require.Equal(t, *before, *after)
}

// A transferOut that ran out of time may have landed on the owner's agent
// all the same (found by the cluster's fault test: the agent's slot went to
// wrap-up and was freed while the conversation stayed active with that
// owner). The conversation tells the owner the transfer did not happen and
// releases the target; a refusal, which changed nothing, tells the owner nothing.
func TestTransferOutTimedOutIsUndoneOnTheOwner(t *testing.T) {
	h := newHarness(t)
	h.transferOut = func(string, api.LeaveRequest) error {
		return temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE, nil)
	}
	before := h.snapshot(transferAt - time.Second)
	res := update(h, transferAt, api.ConversationTransfer, toAgent("alice", "bob"))
	after := h.snapshot(transferAt + time.Second)
	sendAfter := update(h, transferAt+2*time.Second, api.ConversationSend, send("alice", "still mine"))
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.Error(t, res.err)
	require.Equal(t, []string{string(api.AgentTransferUndone)}, h.signalsTo(agentID("alice")))
	arg, _ := h.signalArg(agentID("alice"), string(api.AgentTransferUndone))
	outs := h.transferOutCalls()
	require.Len(t, outs, 1)
	require.NotEmpty(t, outs[0].Req.RequestID)
	require.Equal(t, api.TransferUndone{Conversation: before.ID, TransferOut: outs[0].Req.RequestID}, arg)
	require.Equal(t, []string{string(api.AgentRelease)}, h.signalsTo(agentID("bob")))
	require.Equal(t, before.Owner, after.Owner)
	requireDone(t, sendAfter)
}

// Rule 17: a transfer to a queue puts the conversation in the queue's line,
// leaving out the agent who transferred it; that agent may transfer again.
func TestQueueTransferJoinsTheQueuesLine(t *testing.T) {
	h := newHarness(t)
	res := update(h, transferAt, api.ConversationTransfer, toQueue("alice", "sales"))
	st := h.snapshot(transferAt + time.Second)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, res)
	require.Equal(t, api.StatusQueued, res.value)
	require.Equal(t, api.StatusQueued, st.Status)
	require.Equal(t, "sales", st.Queue)
	require.Equal(t, "alice", st.WrapUp.Agent)
	require.Equal(t, []enqueueCall{{"sales", api.Waiting{Conversation: st.ID, Since: t0.Add(transferAt), Channel: model.SMS, Exclude: []string{"alice"}}}},
		h.enqueueCalls(), "the transferring agent is not offered the conversation back")
	require.Equal(t, []string{string(api.AgentTransferResolved)}, h.signalsTo(agentID("alice")))
	require.Empty(t, h.rankCalls(), "the queue ranks its agents, not the conversation")
}

// Rule 17: with nobody available the conversation waits in the queue, and
// any member of the queue may pick it up (a pickup reservation for that queue).
func TestQueuedConversationPickedUpByQueueMember(t *testing.T) {
	h := newHarness(t)
	h.reserve = func(req api.ReserveRequest) error {
		if req.Kind == api.ReservePickup && req.Agent == "zed" {
			return codes.New(codes.NoPendingOffer, "zed is not in queue %s", req.Queue)
		}
		return nil
	}
	update(h, transferAt, api.ConversationTransfer, toQueue("alice", "sales"))
	queued := h.snapshot(transferAt + time.Second)
	outsider := update(h, transferAt+5*time.Second, api.ConversationAccept, byAgent("zed"))
	afterOutsider := h.snapshot(transferAt + 6*time.Second)
	pickup := update(h, transferAt+10*time.Second, api.ConversationAccept, byAgent("dave"))
	final := h.snapshot(transferAt + 11*time.Second)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, api.StatusQueued, queued.Status)
	require.Equal(t, "sales", queued.Queue)
	require.Nil(t, queued.PendingTransfer)
	require.Equal(t, []string{string(api.AgentTransferResolved)}, h.signalsTo(agentID("alice")))

	requireFailed(t, outsider, codes.NoPendingOffer)
	require.Equal(t, *queued, *afterOutsider)
	require.Equal(t, []string{string(api.AgentRelease)}, h.signalsTo(agentID("zed")))

	requireDone(t, pickup)
	reserves := h.reserveCalls()
	require.Equal(t, api.ReserveRequest{Tenant: tenant, Agent: "dave", Conversation: queued.ID, Kind: api.ReservePickup, Queue: "sales"},
		reserves[len(reserves)-1])
	require.Equal(t, api.StatusActive, final.Status)
	require.Equal(t, "dave", final.Owner)
	require.Empty(t, final.Queue)
	require.Empty(t, h.signalsTo(agentID("dave")), "a pickup slot is active from the start")
	require.Equal(t, []string{string(api.QueueLeave)}, h.signalsTo(api.QueueWorkflowID(tenant, "sales")), "the queue lets it go")
}

// An offer that comes after a member picked the conversation up gives the
// reserved slot back and tells the queue the conversation left its line.
func TestLateQueueOfferIsGivenBack(t *testing.T) {
	h := newHarness(t)
	update(h, transferAt, api.ConversationTransfer, toQueue("alice", "sales"))
	update(h, transferAt+time.Second, api.ConversationAccept, byAgent("dave"))
	signal(h, transferAt+2*time.Second, api.ConversationOffer, func(id string) any {
		return api.QueueOffer{Conversation: id, Queue: "sales", Agent: "erin"}
	})
	st := h.snapshot(transferAt + 3*time.Second)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, api.StatusActive, st.Status)
	require.Equal(t, "dave", st.Owner)
	require.Equal(t, []string{string(api.AgentRelease)}, h.signalsTo(agentID("erin")))
	arg, _ := h.signalArg(agentID("erin"), string(api.AgentRelease))
	require.Equal(t, api.SlotRequest{Conversation: st.ID}, arg)
	require.Equal(t, []string{string(api.QueueLeave), string(api.QueueLeave)}, h.signalsTo(api.QueueWorkflowID(tenant, "sales")))
}

// A queue that cannot be reached does not lose the customer: the conversation
// waits queued, for a pickup.
func TestEnqueueFailureLeavesConversationQueued(t *testing.T) {
	h := newHarness(t)
	h.enqueue = func(string, api.Waiting) error { return errors.New("temporal unavailable") }
	update(h, transferAt, api.ConversationTransfer, toQueue("alice", "sales"))
	st := h.snapshot(transferAt + time.Hour)
	h.endAt(2 * time.Hour)
	h.startConversation(smsStart())

	require.Equal(t, api.StatusQueued, st.Status)
	require.Equal(t, "sales", st.Queue)
	require.Nil(t, st.PendingTransfer)
}

// Cancelling a conversation while an offer is pending ends the run; the
// offer's routing must stop instead of spinning on the cancelled timer.
func TestCancelWhileOfferedEndsRun(t *testing.T) {
	h := newHarness(t)
	update(h, transferAt, api.ConversationTransfer, toAgent("alice", "bob"))
	h.endAt(transferAt + 10*time.Second)
	h.startConversation(smsStart())

	require.True(t, h.env.IsWorkflowCompleted())
	err := h.env.GetWorkflowError()
	require.True(t, temporal.IsCanceledError(err), "want canceled, got %v", err)
}
