package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
	require.Equal(t, []transferOutCall{{Agent: "alice", Req: api.LeaveRequest{Conversation: st.ID, WrapUp: testPolicy().WrapUp}}},
		h.transferOutCalls())
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
// and the conversation is offered to the next agent of the entry point's
// queue, excluding the one who declined.
func TestDeclinedOfferGoesToNextQueueAgent(t *testing.T) {
	h := newHarness(t)
	h.rank = func(req model.RankRequest) ([]string, error) { return []string{"carol"}, nil }
	update(h, transferAt, api.ConversationTransfer, toAgent("alice", "bob"))
	decline := update(h, transferAt+10*time.Second, api.ConversationDecline, byAgent("bob"))
	st := h.snapshot(transferAt + 11*time.Second)
	accept := update(h, transferAt+20*time.Second, api.ConversationAccept, byAgent("carol"))
	final := h.snapshot(transferAt + 21*time.Second)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, decline)
	require.Equal(t, []string{string(api.AgentRelease)}, h.signalsTo(agentID("bob")), "declined: released, not RONA")
	require.Equal(t, []model.RankRequest{{Tenant: tenant, Queue: "support", Exclude: []string{"alice", "bob"}}}, h.rankCalls(),
		"neither the transferring agent nor the one who declined is offered it again")

	require.Equal(t, api.StatusOffered, st.Status)
	require.Equal(t, "carol", st.PendingTransfer.OfferedTo)
	require.Equal(t, []string{"alice", "bob"}, st.PendingTransfer.Tried)
	require.Equal(t, "support", st.PendingTransfer.ToQueue)
	require.Equal(t, t0.Add(transferAt+10*time.Second+testPolicy().TransferOfferTimeout), st.PendingTransfer.OfferExpires,
		"the next agent gets a full offer timeout")
	reserves := h.reserveCalls()
	require.Equal(t, api.ReserveRequest{Tenant: tenant, Agent: "carol", Conversation: st.ID, Kind: api.ReserveOffer, OnlyAvailable: true},
		reserves[len(reserves)-1], "queue routing offers to available agents only")

	requireDone(t, accept)
	require.Equal(t, "carol", final.Owner)
	require.Equal(t, api.StatusActive, final.Status)
	require.Equal(t, []string{string(api.AgentTransferResolved)}, h.signalsTo(agentID("alice")))
	require.Equal(t, []string{string(api.AgentOfferAccepted)}, h.signalsTo(agentID("carol")))
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
	require.Equal(t, []model.RankRequest{{Tenant: tenant, Queue: "support", Exclude: []string{"alice", "bob"}}}, h.rankCalls())

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

// Rule 17: a transfer to a queue offers the conversation in RankQueue order to
// the first agent whose reservation succeeds.
func TestQueueTransferOffersFirstReservableAgentInRankOrder(t *testing.T) {
	h := newHarness(t)
	h.rank = func(model.RankRequest) ([]string, error) { return []string{"dave", "erin", "frank"}, nil }
	h.reserve = func(req api.ReserveRequest) error {
		if req.Agent == "dave" {
			return codes.New(codes.TargetUnavailable, "dave just took another conversation")
		}
		return nil
	}
	res := update(h, transferAt, api.ConversationTransfer, toQueue("alice", "sales"))
	st := h.snapshot(transferAt + time.Second)
	accept := update(h, transferAt+10*time.Second, api.ConversationAccept, byAgent("erin"))
	final := h.snapshot(transferAt + 11*time.Second)
	h.endAt(time.Hour)
	h.startConversation(smsStart())

	requireDone(t, res)
	require.Equal(t, []model.RankRequest{{Tenant: tenant, Queue: "sales", Exclude: []string{"alice"}}}, h.rankCalls(),
		"the transferring agent is not offered the conversation back")
	var offered []string
	for _, r := range h.reserveCalls()[1:] {
		require.Equal(t, api.ReserveOffer, r.Kind)
		require.True(t, r.OnlyAvailable)
		offered = append(offered, r.Agent)
	}
	require.Equal(t, []string{"dave", "erin"}, offered, "frank is not reserved once erin is")
	require.Equal(t, api.StatusOffered, st.Status)
	require.Equal(t, "erin", st.PendingTransfer.OfferedTo)
	require.Equal(t, "sales", st.PendingTransfer.ToQueue)
	require.Equal(t, "alice", st.WrapUp.Agent)

	requireDone(t, accept)
	require.Equal(t, "erin", final.Owner)
	require.Equal(t, api.StatusActive, final.Status)
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
}

// A ranking failure does not lose the customer: the conversation waits in the
// queue.
func TestRankFailureLeavesConversationQueued(t *testing.T) {
	h := newHarness(t)
	h.rank = func(model.RankRequest) ([]string, error) { return nil, errors.New("temporal unavailable") }
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
