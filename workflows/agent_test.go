package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"outbound/internal/codes"
	"outbound/internal/model"
)

func agentConfig(maxOutbound int) model.AgentConfig {
	return model.AgentConfig{Tenant: tenant, ID: "alice", Name: "Alice", MaxOutbound: maxOutbound}
}

// startAgent runs alice's Agent workflow with maxOutbound slots until the
// test's endAt (or a continue-as-new).
func (h *harness) startAgent(maxOutbound int) {
	h.env.ExecuteWorkflow(Agent, model.AgentInput{Config: agentConfig(maxOutbound)})
}

func (h *harness) agentAt(d time.Duration) *model.AgentState {
	return snapshotAt[model.AgentState](h, d)
}

// agentOp sends an agent operation as an update at d.
func (h *harness) agentOp(d time.Duration, op string, req any) *updateResult {
	return h.update(d, op, func(string) any { return req })
}

func reserveReq(conversation, kind string, maxOutbound int) model.ReserveRequest {
	return model.ReserveRequest{Conversation: conversation, Kind: kind, Config: agentConfig(maxOutbound)}
}

func setState(state string) model.SetStateRequest { return model.SetStateRequest{State: state} }

func leaveReq(conversation string) model.LeaveRequest {
	return model.LeaveRequest{Conversation: conversation, WrapUp: testPolicy().WrapUp}
}

func slotsOf(st *model.AgentState) map[string]string {
	roles := map[string]string{}
	for _, s := range st.Slots {
		roles[s.Conversation] = s.Role
	}
	return roles
}

// Rule 7: past the profile's maximum of outbound tasks a start is refused
// with OUTBOUND_LIMIT_REACHED (and an offer with TARGET_UNAVAILABLE).
func TestAgentOutboundLimit(t *testing.T) {
	h := newHarness(t)
	first := h.agentOp(time.Minute, model.OpReserve, reserveReq("c1", model.ReserveStart, 2))
	second := h.agentOp(2*time.Minute, model.OpReserve, reserveReq("c2", model.ReserveStart, 2))
	third := h.agentOp(3*time.Minute, model.OpReserve, reserveReq("c3", model.ReserveStart, 2))
	offer := h.agentOp(4*time.Minute, model.OpReserve, reserveReq("c4", model.ReserveOffer, 2))
	st := h.agentAt(5 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(2)

	requireDone(t, first)
	requireDone(t, second)
	requireRejected(t, third, codes.OutboundLimitReached)
	requireRejected(t, offer, codes.TargetUnavailable)
	require.Equal(t, map[string]string{"c1": model.SlotActive, "c2": model.SlotActive}, slotsOf(st))
}

// Rule 4: an idle agent can neither start nor receive a conversation.
func TestAgentIdleCannotReserve(t *testing.T) {
	h := newHarness(t)
	idle := h.agentOp(time.Minute, model.OpSetState, setState(model.AgentIdle))
	start := h.agentOp(2*time.Minute, model.OpReserve, reserveReq("c1", model.ReserveStart, 3))
	offer := h.agentOp(3*time.Minute, model.OpReserve, reserveReq("c2", model.ReserveOffer, 3))
	pickup := h.agentOp(4*time.Minute, model.OpReserve, reserveReq("c3", model.ReservePickup, 3))
	st := h.agentAt(5 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, idle)
	requireRejected(t, start, codes.AgentStateNotAllowed)
	requireRejected(t, offer, codes.TargetUnavailable)
	requireRejected(t, pickup, codes.AgentStateNotAllowed)
	require.Equal(t, model.AgentIdle, st.State)
	require.Empty(t, st.Slots)
}

// Rule 4: a RONA agent may start a conversation and be named as a transfer
// target, but queue routing (OnlyAvailable) skips it.
func TestAgentRONAMayStartButNotTakeQueueOffers(t *testing.T) {
	h := newHarness(t)
	h.agentOp(time.Minute, model.OpSetState, setState(model.AgentRONA))
	start := h.agentOp(2*time.Minute, model.OpReserve, reserveReq("c1", model.ReserveStart, 3))
	queueOffer := reserveReq("c2", model.ReserveOffer, 3)
	queueOffer.OnlyAvailable = true
	routed := h.agentOp(3*time.Minute, model.OpReserve, queueOffer)
	named := h.agentOp(4*time.Minute, model.OpReserve, reserveReq("c3", model.ReserveOffer, 3))
	st := h.agentAt(5 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, start)
	requireRejected(t, routed, codes.TargetUnavailable)
	requireDone(t, named)
	require.Equal(t, model.AgentRONA, st.State)
	require.Equal(t, map[string]string{"c1": model.SlotActive, "c3": model.SlotOffered}, slotsOf(st))
}

// A retried reservation (the activity retried after the update landed) is
// accepted again without taking a second slot, even when the agent is full.
func TestAgentRepeatedReserveIsIdempotent(t *testing.T) {
	h := newHarness(t)
	first := h.agentOp(time.Minute, model.OpReserve, reserveReq("c1", model.ReserveStart, 1))
	again := h.agentOp(2*time.Minute, model.OpReserve, reserveReq("c1", model.ReserveStart, 1))
	other := h.agentOp(3*time.Minute, model.OpReserve, reserveReq("c2", model.ReserveStart, 1))
	st := h.agentAt(4 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(1)

	requireDone(t, first)
	requireDone(t, again)
	require.Equal(t, 1, again.value, "still one slot in use")
	requireRejected(t, other, codes.OutboundLimitReached)
	require.Len(t, st.Slots, 1)
}

// Rule 18: one outbound transfer at a time per agent; once the first is
// resolved, the next is allowed.
func TestAgentOneTransferAtATime(t *testing.T) {
	h := newHarness(t)
	h.agentOp(time.Minute, model.OpReserve, reserveReq("c1", model.ReserveStart, 3))
	h.agentOp(time.Minute+time.Second, model.OpReserve, reserveReq("c2", model.ReserveStart, 3))
	first := h.agentOp(2*time.Minute, model.OpTransferOut, leaveReq("c1"))
	second := h.agentOp(2*time.Minute+time.Second, model.OpTransferOut, leaveReq("c2"))
	pending := h.agentAt(2*time.Minute + 2*time.Second)
	h.agentOp(2*time.Minute+10*time.Second, model.OpTransferResolved, model.SlotRequest{Conversation: "c1"})
	afterResolved := h.agentOp(2*time.Minute+20*time.Second, model.OpTransferOut, leaveReq("c2"))
	st := h.agentAt(2*time.Minute + 30*time.Second)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, first)
	requireRejected(t, second, codes.TransferPending)
	require.Equal(t, "c1", pending.Transferring)
	require.Equal(t, model.SlotActive, slotsOf(pending)["c2"], "the refused transfer left c2 alone")
	requireDone(t, afterResolved)
	require.Equal(t, "c2", st.Transferring)
}

// transferOut is only for the owner of an active slot.
func TestAgentTransferOutRequiresActiveSlot(t *testing.T) {
	h := newHarness(t)
	h.agentOp(time.Minute, model.OpReserve, reserveReq("c1", model.ReserveOffer, 3))
	offered := h.agentOp(2*time.Minute, model.OpTransferOut, leaveReq("c1"))
	unknown := h.agentOp(3*time.Minute, model.OpTransferOut, leaveReq("c9"))
	st := h.agentAt(4 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireRejected(t, offered, codes.NotOwner)
	requireRejected(t, unknown, codes.NotOwner)
	require.Empty(t, st.Transferring)
}

// A transferOut retried after it was applied (the activity's answer was lost)
// is accepted again and keeps the wrap-up as it was, instead of failing the
// transfer with NOT_OWNER while leaving the agent marked as transferring.
func TestAgentRetriedTransferOutIsIdempotent(t *testing.T) {
	h := newHarness(t)
	h.agentOp(time.Minute, model.OpReserve, reserveReq("c1", model.ReserveStart, 3))
	first := h.agentOp(2*time.Minute, model.OpTransferOut, leaveReq("c1"))
	retry := h.agentOp(2*time.Minute+5*time.Second, model.OpTransferOut, leaveReq("c1"))
	st := h.agentAt(2*time.Minute + 10*time.Second)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, first)
	requireDone(t, retry)
	require.Equal(t, "c1", st.Transferring)
	require.Len(t, st.Slots, 1)
	require.Equal(t, model.SlotWrapUp, st.Slots[0].Role)
	require.Equal(t, t0.Add(2*time.Minute+testPolicy().WrapUp.Timeout), st.Slots[0].WrapUpDue, "the retry does not extend the wrap-up")
}

// Rule 20: leaving turns the slot into a wrap-up with the tenant's deadline;
// an unknown reason is refused, a known one frees the slot and is recorded.
func TestAgentWrapUpWithReasonFreesSlot(t *testing.T) {
	h := newHarness(t)
	h.agentOp(time.Minute, model.OpReserve, reserveReq("c1", model.ReserveStart, 3))
	h.signal(2*time.Minute, model.OpLeave, func(string) any { return leaveReq("c1") })
	leaving := h.agentAt(2*time.Minute + time.Second)
	unknown := h.agentOp(2*time.Minute+10*time.Second, model.OpWrapUp, model.AgentWrapUpRequest{Conversation: "c1", Reason: "bored"})
	notMine := h.agentOp(2*time.Minute+11*time.Second, model.OpWrapUp, model.AgentWrapUpRequest{Conversation: "c9", Reason: "resolved"})
	stillWrapping := h.agentAt(2*time.Minute + 12*time.Second)
	done := h.agentOp(2*time.Minute+20*time.Second, model.OpWrapUp, model.AgentWrapUpRequest{Conversation: "c1", Reason: "resolved"})
	st := h.agentAt(2*time.Minute + 21*time.Second)
	h.endAt(time.Hour)
	h.startAgent(3)

	require.Len(t, leaving.Slots, 1)
	slot := leaving.Slots[0]
	require.Equal(t, model.SlotWrapUp, slot.Role)
	require.Equal(t, t0.Add(2*time.Minute+testPolicy().WrapUp.Timeout), slot.WrapUpDue)
	require.Equal(t, testPolicy().WrapUp, *slot.WrapUp)

	requireRejected(t, unknown, codes.WrapUpReasonUnknown)
	requireRejected(t, notMine, codes.NotOwner)
	require.Equal(t, *leaving, *stillWrapping, "a refused wrap-up changed the agent")

	requireDone(t, done)
	require.Empty(t, st.Slots)
	require.Equal(t, []model.WrapUpRecord{{Conversation: "c1", Reason: "resolved", Auto: false, At: t0.Add(2*time.Minute + 20*time.Second)}}, st.Recent)
}

// Rule 20: without a reason before the wrap-up timeout, the tenant's default
// reason applies (auto) and the slot is freed.
func TestAgentWrapUpTimeoutAppliesDefaultReason(t *testing.T) {
	h := newHarness(t)
	timeout := testPolicy().WrapUp.Timeout
	h.agentOp(time.Minute, model.OpReserve, reserveReq("c1", model.ReserveStart, 3))
	h.agentOp(2*time.Minute, model.OpLeave, leaveReq("c1"))
	before := h.agentAt(2*time.Minute + timeout - time.Second)
	after := h.agentAt(2*time.Minute + timeout + time.Second)
	h.endAt(time.Hour)
	h.startAgent(3)

	require.Equal(t, map[string]string{"c1": model.SlotWrapUp}, slotsOf(before))
	require.Empty(t, before.Recent)
	require.Empty(t, after.Slots)
	require.Equal(t, []model.WrapUpRecord{{Conversation: "c1", Reason: "no-reason", Auto: true, At: t0.Add(2*time.Minute + timeout)}}, after.Recent)
}

// Rule 19: an offer left unanswered makes the agent RONA and frees its slot.
func TestAgentNoAnswerSetsRONAAndFreesSlot(t *testing.T) {
	h := newHarness(t)
	h.agentOp(time.Minute, model.OpReserve, reserveReq("c1", model.ReserveOffer, 3))
	offered := h.agentAt(time.Minute + time.Second)
	h.signal(2*time.Minute, model.OpNoAnswer, func(string) any { return model.SlotRequest{Conversation: "c1"} })
	st := h.agentAt(3 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	require.Equal(t, map[string]string{"c1": model.SlotOffered}, slotsOf(offered))
	require.Equal(t, model.AgentAvailable, offered.State)
	require.Equal(t, model.AgentRONA, st.State)
	require.Equal(t, t0.Add(2*time.Minute), st.Since)
	require.Empty(t, st.Slots)
}

// An accepted offer turns the offered slot into an active one; a release
// frees it.
func TestAgentOfferAcceptedThenReleased(t *testing.T) {
	h := newHarness(t)
	h.agentOp(time.Minute, model.OpReserve, reserveReq("c1", model.ReserveOffer, 3))
	h.signal(2*time.Minute, model.OpOfferAccepted, func(string) any { return model.SlotRequest{Conversation: "c1"} })
	accepted := h.agentAt(3 * time.Minute)
	h.signal(4*time.Minute, model.OpRelease, func(string) any { return model.SlotRequest{Conversation: "c1"} })
	released := h.agentAt(5 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	require.Equal(t, map[string]string{"c1": model.SlotActive}, slotsOf(accepted))
	require.Empty(t, released.Slots)
	require.Equal(t, model.AgentAvailable, released.State)
}

// A release that arrives in the workflow task in which the agent continues as
// new is applied first: the carried state must not keep a slot that was
// given back.
func TestAgentContinueAsNewKeepsReleaseSignal(t *testing.T) {
	h := newHarness(t)
	h.agentOp(time.Minute, model.OpReserve, reserveReq("c1", model.ReserveStart, 3))
	h.at(10*time.Minute, func() {
		h.env.SignalWorkflowSkippingWorkflowTask(model.OpRelease, model.SlotRequest{Conversation: "c1"})
	})
	h.at(10*time.Minute+time.Second, func() { h.env.SetCurrentHistoryLength(5000) })
	h.endAt(time.Hour) // must not be reached
	h.startAgent(3)

	err := h.env.GetWorkflowError()
	require.True(t, workflow.IsContinueAsNewError(err), "want continue-as-new, got %v", err)
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can))
	var in model.AgentInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &in))
	require.NotNil(t, in.State)
	require.Empty(t, in.State.Slots, "the released slot was carried over: capacity leak")
	require.Equal(t, agentConfig(3), in.Config)
}

// A close tells the agent by signal and the agent's client wraps up at once:
// the wrap-up update can reach the agent in the same workflow task as the
// "leave" signal, and runs after it instead of being refused.
func TestAgentWrapUpInTheTaskOfItsLeaveSignal(t *testing.T) {
	h := newHarness(t)
	h.agentOp(time.Minute, model.OpReserve, reserveReq("c1", model.ReserveStart, 3))
	done, notMine := &updateResult{}, &updateResult{}
	h.at(2*time.Minute, func() {
		h.env.SignalWorkflowSkippingWorkflowTask(model.OpLeave, leaveReq("c1"))
		h.sendUpdate(notMine, model.OpWrapUp, model.AgentWrapUpRequest{Conversation: "c9", Reason: "resolved"})
		h.sendUpdate(done, model.OpWrapUp, model.AgentWrapUpRequest{Conversation: "c1", Reason: "resolved"})
	})
	st := h.agentAt(3 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, done)
	requireFailed(t, notMine, codes.NotOwner) // validated after the signal: still refused
	require.Empty(t, st.Slots)
}
