package workflows

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
)

func agentConfig(maxOutbound int) api.AgentConfig {
	return api.AgentConfig{Tenant: tenant, ID: "alice", Name: "Alice", MaxOutbound: maxOutbound}
}

// startAgent runs alice's Agent workflow with maxOutbound slots until the
// test's endAt (or a continue-as-new).
func (h *harness) startAgent(maxOutbound int) {
	h.env.ExecuteWorkflow(Agent, api.AgentInput{Config: agentConfig(maxOutbound)})
}

func (h *harness) agentAt(d time.Duration) *api.AgentState {
	return snapshotAt[api.AgentState](h, d)
}

// agentOp sends an agent update at d. The Agent's validators check only the
// request (see inbox.go), so a refusal is the handler's: requireFailed.
func agentOp[N ~string](h *harness, d time.Duration, op N, req any) *updateResult {
	return update(h, d, op, func(string) any { return req })
}

func reserveReq(conversation, kind string, maxOutbound int) api.ReserveRequest {
	return api.ReserveRequest{Conversation: conversation, Kind: kind, Config: agentConfig(maxOutbound)}
}

func setState(state string) api.SetStateRequest { return api.SetStateRequest{State: state} }

func leaveReq(conversation string) api.LeaveRequest {
	return api.LeaveRequest{Conversation: conversation, WrapUp: testPolicy().WrapUp}
}

func slotsOf(st *api.AgentState) map[string]string {
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
	first := agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 2))
	second := agentOp(h, 2*time.Minute, api.AgentReserve, reserveReq("c2", api.ReserveStart, 2))
	third := agentOp(h, 3*time.Minute, api.AgentReserve, reserveReq("c3", api.ReserveStart, 2))
	offer := agentOp(h, 4*time.Minute, api.AgentReserve, reserveReq("c4", api.ReserveOffer, 2))
	st := h.agentAt(5 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(2)

	requireDone(t, first)
	requireDone(t, second)
	requireFailed(t, third, codes.OutboundLimitReached)
	requireFailed(t, offer, codes.TargetUnavailable)
	require.Equal(t, map[string]string{"c1": api.SlotActive, "c2": api.SlotActive}, slotsOf(st))
}

// Rule 4: an idle agent can neither start nor receive a conversation.
func TestAgentIdleCannotReserve(t *testing.T) {
	h := newHarness(t)
	idle := agentOp(h, time.Minute, api.AgentSetState, setState(api.AgentIdle))
	start := agentOp(h, 2*time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 3))
	offer := agentOp(h, 3*time.Minute, api.AgentReserve, reserveReq("c2", api.ReserveOffer, 3))
	pickup := agentOp(h, 4*time.Minute, api.AgentReserve, reserveReq("c3", api.ReservePickup, 3))
	st := h.agentAt(5 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, idle)
	requireFailed(t, start, codes.AgentStateNotAllowed)
	requireFailed(t, offer, codes.TargetUnavailable)
	requireFailed(t, pickup, codes.AgentStateNotAllowed)
	require.Equal(t, api.AgentIdle, st.State)
	require.Empty(t, st.Slots)
}

// Rule 4: a RONA agent may start a conversation and be named as a transfer
// target, but queue routing (OnlyAvailable) skips it.
func TestAgentRONAMayStartButNotTakeQueueOffers(t *testing.T) {
	h := newHarness(t)
	agentOp(h, time.Minute, api.AgentSetState, setState(api.AgentRONA))
	start := agentOp(h, 2*time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 3))
	queueOffer := reserveReq("c2", api.ReserveOffer, 3)
	queueOffer.OnlyAvailable = true
	routed := agentOp(h, 3*time.Minute, api.AgentReserve, queueOffer)
	named := agentOp(h, 4*time.Minute, api.AgentReserve, reserveReq("c3", api.ReserveOffer, 3))
	st := h.agentAt(5 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, start)
	requireFailed(t, routed, codes.TargetUnavailable)
	requireDone(t, named)
	require.Equal(t, api.AgentRONA, st.State)
	require.Equal(t, map[string]string{"c1": api.SlotActive, "c3": api.SlotOffered}, slotsOf(st))
}

// A retried reservation (the activity retried after the update landed) is
// accepted again without taking a second slot, even when the agent is full.
func TestAgentRepeatedReserveIsIdempotent(t *testing.T) {
	h := newHarness(t)
	first := agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 1))
	again := agentOp(h, 2*time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 1))
	other := agentOp(h, 3*time.Minute, api.AgentReserve, reserveReq("c2", api.ReserveStart, 1))
	st := h.agentAt(4 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(1)

	requireDone(t, first)
	requireDone(t, again)
	require.Equal(t, 1, again.value, "still one slot in use")
	requireFailed(t, other, codes.OutboundLimitReached)
	require.Len(t, st.Slots, 1)
}

// Rule 18: one outbound transfer at a time per agent; once the first is
// resolved, the next is allowed.
func TestAgentOneTransferAtATime(t *testing.T) {
	h := newHarness(t)
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 3))
	agentOp(h, time.Minute+time.Second, api.AgentReserve, reserveReq("c2", api.ReserveStart, 3))
	first := agentOp(h, 2*time.Minute, api.AgentTransferOut, leaveReq("c1"))
	second := agentOp(h, 2*time.Minute+time.Second, api.AgentTransferOut, leaveReq("c2"))
	pending := h.agentAt(2*time.Minute + 2*time.Second)
	signal(h, 2*time.Minute+10*time.Second, api.AgentTransferResolved, func(string) any { return api.SlotRequest{Conversation: "c1"} })
	afterResolved := agentOp(h, 2*time.Minute+20*time.Second, api.AgentTransferOut, leaveReq("c2"))
	st := h.agentAt(2*time.Minute + 30*time.Second)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, first)
	requireFailed(t, second, codes.TransferPending)
	require.Equal(t, "c1", pending.Transferring)
	require.Equal(t, api.SlotActive, slotsOf(pending)["c2"], "the refused transfer left c2 alone")
	requireDone(t, afterResolved)
	require.Equal(t, "c2", st.Transferring)
}

// transferOut is only for the owner of an active slot.
func TestAgentTransferOutRequiresActiveSlot(t *testing.T) {
	h := newHarness(t)
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveOffer, 3))
	offered := agentOp(h, 2*time.Minute, api.AgentTransferOut, leaveReq("c1"))
	unknown := agentOp(h, 3*time.Minute, api.AgentTransferOut, leaveReq("c9"))
	st := h.agentAt(4 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireFailed(t, offered, codes.NotOwner)
	requireFailed(t, unknown, codes.NotOwner)
	require.Empty(t, st.Transferring)
}

// A transferOut retried after it was applied (the activity's answer was lost)
// is accepted again and keeps the wrap-up as it was, instead of failing the
// transfer with NOT_OWNER while leaving the agent marked as transferring.
func TestAgentRetriedTransferOutIsIdempotent(t *testing.T) {
	h := newHarness(t)
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 3))
	first := agentOp(h, 2*time.Minute, api.AgentTransferOut, leaveReq("c1"))
	retry := agentOp(h, 2*time.Minute+5*time.Second, api.AgentTransferOut, leaveReq("c1"))
	st := h.agentAt(2*time.Minute + 10*time.Second)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, first)
	requireDone(t, retry)
	require.Equal(t, "c1", st.Transferring)
	require.Len(t, st.Slots, 1)
	require.Equal(t, api.SlotWrapUp, st.Slots[0].Role)
	require.Equal(t, t0.Add(2*time.Minute+testPolicy().WrapUp.Timeout), st.Slots[0].WrapUpDue, "the retry does not extend the wrap-up")
}

// A transferOut retried after the agent's wrap-up of it ended (the activity's
// answer was lost and its retry came late) gets its first answer: found by
// the cluster's fault test, where NOT_OWNER failed a transfer the agent had
// already left.
func TestAgentTransferOutRetriedAfterWrapUpGetsFirstAnswer(t *testing.T) {
	h := newHarness(t)
	req := leaveReq("c1")
	req.RequestID = "conversation/c1/run/7"
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 3))
	first := agentOp(h, 2*time.Minute, api.AgentTransferOut, req)
	wrapped := agentOp(h, 2*time.Minute+10*time.Second, api.AgentWrapUp, api.WrapUpRequest{Conversation: "c1", Reason: "resolved"})
	retry := agentOp(h, 3*time.Minute, api.AgentTransferOut, req)
	another := agentOp(h, 3*time.Minute+time.Second, api.AgentTransferOut, leaveReq("c1"))
	st := h.agentAt(3*time.Minute + 2*time.Second)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, first)
	requireDone(t, wrapped)
	requireDone(t, retry)
	requireFailed(t, another, codes.NotOwner)
	require.Empty(t, st.Slots)
}

// A transferOut undone by its conversation (it ran out of time after it
// landed) gives the agent its active slot back, also after the wrap-up
// ended; one that never landed changes nothing.
func TestAgentTransferUndoneRestoresTheSlot(t *testing.T) {
	h := newHarness(t)
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 3))
	agentOp(h, time.Minute+time.Second, api.AgentReserve, reserveReq("c2", api.ReserveStart, 3))
	agentOp(h, 2*time.Minute, api.AgentTransferOut, leaveReq("c1"))
	signal(h, 2*time.Minute+10*time.Second, api.AgentTransferUndone, func(string) any { return api.TransferUndone{Conversation: "c1"} })
	undone := h.agentAt(2*time.Minute + 11*time.Second)
	agentOp(h, 3*time.Minute, api.AgentTransferOut, leaveReq("c2"))
	afterWrapUp := h.agentAt(3*time.Minute + testPolicy().WrapUp.Timeout + time.Second)
	signal(h, 3*time.Minute+testPolicy().WrapUp.Timeout+2*time.Second, api.AgentTransferUndone, func(string) any { return api.TransferUndone{Conversation: "c2"} })
	signal(h, 3*time.Minute+testPolicy().WrapUp.Timeout+3*time.Second, api.AgentTransferUndone, func(string) any { return api.TransferUndone{Conversation: "c9"} })
	restored := h.agentAt(3*time.Minute + testPolicy().WrapUp.Timeout + 4*time.Second)
	h.endAt(time.Hour)
	h.startAgent(3)

	require.Equal(t, map[string]string{"c1": api.SlotActive, "c2": api.SlotActive}, slotsOf(undone))
	require.Empty(t, undone.Transferring)
	require.Equal(t, map[string]string{"c1": api.SlotActive}, slotsOf(afterWrapUp))
	require.Equal(t, map[string]string{"c1": api.SlotActive, "c2": api.SlotActive}, slotsOf(restored))
	require.Empty(t, restored.Transferring)
}

// A TransferOut that reaches the agent after the conversation gave up on it
// (an attempt lost with its worker, delivered late) changes nothing, even
// after the slot's next wrap-up would have ended; a new transfer still acts.
func TestAgentTransferOutLandingAfterItsUndoChangesNothing(t *testing.T) {
	h := newHarness(t)
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 3))
	signal(h, 2*time.Minute, api.AgentTransferUndone, func(string) any { return api.TransferUndone{Conversation: "c1", TransferOut: "t1"} })
	late := leaveReq("c1")
	late.RequestID = "t1"
	lateRes := agentOp(h, 2*time.Minute+10*time.Second, api.AgentTransferOut, late)
	afterLate := h.agentAt(2*time.Minute + 11*time.Second)
	next := leaveReq("c1")
	next.RequestID = "t2"
	nextRes := agentOp(h, 3*time.Minute, api.AgentTransferOut, next)
	afterNext := h.agentAt(3*time.Minute + time.Second)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, lateRes)
	require.Equal(t, map[string]string{"c1": api.SlotActive}, slotsOf(afterLate))
	require.Empty(t, afterLate.Transferring)
	requireDone(t, nextRes)
	require.Equal(t, map[string]string{"c1": api.SlotWrapUp}, slotsOf(afterNext))
}

// Rule 20: leaving turns the slot into a wrap-up with the tenant's deadline;
// an unknown reason is refused, a known one frees the slot and is recorded.
func TestAgentWrapUpWithReasonFreesSlot(t *testing.T) {
	h := newHarness(t)
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 3))
	signal(h, 2*time.Minute, api.AgentLeave, func(string) any { return leaveReq("c1") })
	leaving := h.agentAt(2*time.Minute + time.Second)
	unknown := agentOp(h, 2*time.Minute+10*time.Second, api.AgentWrapUp, api.WrapUpRequest{Conversation: "c1", Reason: "bored"})
	notMine := agentOp(h, 2*time.Minute+11*time.Second, api.AgentWrapUp, api.WrapUpRequest{Conversation: "c9", Reason: "resolved"})
	stillWrapping := h.agentAt(2*time.Minute + 12*time.Second)
	done := agentOp(h, 2*time.Minute+20*time.Second, api.AgentWrapUp, api.WrapUpRequest{Conversation: "c1", Reason: "resolved"})
	st := h.agentAt(2*time.Minute + 21*time.Second)
	h.endAt(time.Hour)
	h.startAgent(3)

	require.Len(t, leaving.Slots, 1)
	slot := leaving.Slots[0]
	require.Equal(t, api.SlotWrapUp, slot.Role)
	require.Equal(t, t0.Add(2*time.Minute+testPolicy().WrapUp.Timeout), slot.WrapUpDue)
	require.Equal(t, testPolicy().WrapUp, *slot.WrapUp)

	requireFailed(t, unknown, codes.WrapUpReasonUnknown)
	requireFailed(t, notMine, codes.NotOwner)
	require.Equal(t, *leaving, *stillWrapping, "a refused wrap-up changed the agent")

	requireDone(t, done)
	require.Empty(t, st.Slots)
	require.Equal(t, []api.WrapUpRecord{{Conversation: "c1", Reason: "resolved", Auto: false, At: t0.Add(2*time.Minute + 20*time.Second)}}, st.Recent)
}

// Rule 20: without a reason before the wrap-up timeout, the tenant's default
// reason applies (auto) and the slot is freed.
func TestAgentWrapUpTimeoutAppliesDefaultReason(t *testing.T) {
	h := newHarness(t)
	timeout := testPolicy().WrapUp.Timeout
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 3))
	signal(h, 2*time.Minute, api.AgentLeave, func(string) any { return leaveReq("c1") })
	before := h.agentAt(2*time.Minute + timeout - time.Second)
	after := h.agentAt(2*time.Minute + timeout + time.Second)
	h.endAt(time.Hour)
	h.startAgent(3)

	require.Equal(t, map[string]string{"c1": api.SlotWrapUp}, slotsOf(before))
	require.Empty(t, before.Recent)
	require.Empty(t, after.Slots)
	require.Equal(t, []api.WrapUpRecord{{Conversation: "c1", Reason: "no-reason", Auto: true, At: t0.Add(2*time.Minute + timeout)}}, after.Recent)
}

// Rule 19: an offer left unanswered makes the agent RONA and frees its slot.
func TestAgentNoAnswerSetsRONAAndFreesSlot(t *testing.T) {
	h := newHarness(t)
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveOffer, 3))
	offered := h.agentAt(time.Minute + time.Second)
	signal(h, 2*time.Minute, api.AgentNoAnswer, func(string) any { return api.SlotRequest{Conversation: "c1"} })
	st := h.agentAt(3 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	require.Equal(t, map[string]string{"c1": api.SlotOffered}, slotsOf(offered))
	require.Equal(t, api.AgentAvailable, offered.State)
	require.Equal(t, api.AgentRONA, st.State)
	require.Equal(t, t0.Add(2*time.Minute), st.Since)
	require.Empty(t, st.Slots)
}

// An accepted offer turns the offered slot into an active one; a release
// frees it.
func TestAgentOfferAcceptedThenReleased(t *testing.T) {
	h := newHarness(t)
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveOffer, 3))
	signal(h, 2*time.Minute, api.AgentOfferAccepted, func(string) any { return api.SlotRequest{Conversation: "c1"} })
	accepted := h.agentAt(3 * time.Minute)
	signal(h, 4*time.Minute, api.AgentRelease, func(string) any { return api.SlotRequest{Conversation: "c1"} })
	released := h.agentAt(5 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	require.Equal(t, map[string]string{"c1": api.SlotActive}, slotsOf(accepted))
	require.Empty(t, released.Slots)
	require.Equal(t, api.AgentAvailable, released.State)
}

// A release that arrives in the workflow task in which the agent continues as
// new is applied first: the carried state must not keep a slot that was
// given back.
func TestAgentContinueAsNewKeepsReleaseSignal(t *testing.T) {
	h := newHarness(t)
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 3))
	h.at(10*time.Minute, func() {
		h.env.SignalWorkflowSkippingWorkflowTask(string(api.AgentRelease), api.SlotRequest{Conversation: "c1"})
	})
	h.at(10*time.Minute+time.Second, func() { h.env.SetCurrentHistoryLength(5000) })
	h.endAt(time.Hour) // must not be reached
	h.startAgent(3)

	err := h.env.GetWorkflowError()
	require.True(t, workflow.IsContinueAsNewError(err), "want continue-as-new, got %v", err)
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can))
	var in api.AgentInput
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
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 3))
	done, notMine := &updateResult{}, &updateResult{}
	h.at(2*time.Minute, func() {
		h.env.SignalWorkflowSkippingWorkflowTask(string(api.AgentLeave), leaveReq("c1"))
		sendUpdate(h, notMine, api.AgentWrapUp, api.WrapUpRequest{Conversation: "c9", Reason: "resolved"})
		sendUpdate(h, done, api.AgentWrapUp, api.WrapUpRequest{Conversation: "c1", Reason: "resolved"})
	})
	st := h.agentAt(3 * time.Minute)
	h.endAt(time.Hour)
	h.startAgent(3)

	requireDone(t, done)
	requireFailed(t, notMine, codes.NotOwner) // validated after the signal: still refused
	require.Empty(t, st.Slots)
}

// A slot freed by a release signal serves a reservation that arrives in the
// same workflow task (the SDK validates the update before it takes the
// signal) as it serves one in a later task: the answer does not depend on
// how the server batched them.
func TestAgentReserveAfterReleaseWhateverTheTaskBatching(t *testing.T) {
	for _, sameTask := range []bool{true, false} {
		t.Run(map[bool]string{true: "same task", false: "later task"}[sameTask], func(t *testing.T) {
			h := newHarness(t)
			agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 1))
			next := &updateResult{}
			h.at(2*time.Minute, func() {
				release := api.SlotRequest{Conversation: "c1"}
				if sameTask {
					h.env.SignalWorkflowSkippingWorkflowTask(string(api.AgentRelease), release)
				} else {
					h.env.SignalWorkflow(string(api.AgentRelease), release)
				}
				sendUpdate(h, next, api.AgentReserve, reserveReq("c2", api.ReserveStart, 1))
			})
			st := h.agentAt(3 * time.Minute)
			h.endAt(time.Hour)
			h.startAgent(1)

			requireDone(t, next)
			require.Equal(t, map[string]string{"c2": api.SlotActive}, slotsOf(st))
		})
	}
}

// The slot check queries conversations, and a conversation's first task
// waits for the agent's answer to Reserve: the check must not hold the
// agent's workflow task, or the two tasks wait on each other.
func TestAgentSlotCheckRunsOutsideTheWorkflowTask(t *testing.T) {
	h := newHarness(t)
	var inTask, asActivity int
	h.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		if info.ActivityType.Name == "CheckSlots" {
			inTask++
		}
	})
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == "CheckSlots" {
			asActivity++
		}
	})
	agentOp(h, time.Minute, api.AgentReserve, reserveReq("c1", api.ReserveStart, 2))
	h.endAt(defaultSlotCheck + 2*time.Minute)
	h.startAgent(2)

	require.Zero(t, inTask, "checks inside the workflow task")
	require.Positive(t, asActivity, "checks as an activity")
}

// reportsTo lists what the agent told a queue of its readiness, in order.
func (h *harness) reportsTo(queue string) []api.QueueWaking {
	h.mu.Lock()
	defer h.mu.Unlock()
	var words []api.QueueWaking
	for _, s := range h.signals {
		if w, ok := s.Arg.(api.QueueWaking); ok && s.WorkflowID == api.QueueWorkflowID(tenant, queue) {
			words = append(words, w)
		}
	}
	return words
}

// The availability view (docs/architecture.md, "Routing"): an agent tells
// each of its queues whether it can take a conversation and since when, at
// start and whenever that changes (a slot taken or freed, a state change),
// numbering its reports; nothing else makes it report, except a queue that
// asks, which alone hears the answer.
func TestAgentReportsItsReadinessToItsQueues(t *testing.T) {
	h := newHarness(t)
	cfg := agentConfig(1)
	cfg.Queues = []string{"sales", "billing"}
	agentOp(h, time.Minute, api.AgentReserve, api.ReserveRequest{Conversation: "c1", Kind: api.ReserveStart, Config: cfg})
	agentOp(h, 2*time.Minute, api.AgentWrapUp, api.WrapUpRequest{Conversation: "c1", Reason: "done"}) // not in wrap-up: no change
	signal(h, 3*time.Minute, api.AgentRelease, func(string) any { return api.SlotRequest{Conversation: "c1"} })
	agentOp(h, 4*time.Minute, api.AgentSetState, api.SetStateRequest{State: api.AgentIdle, Config: cfg})
	signal(h, 5*time.Minute, api.AgentQueueWaiting, func(string) any { return api.QueueWaitingRequest{Queue: "billing", Waiting: true} })
	h.endAt(time.Hour)
	h.env.ExecuteWorkflow(Agent, api.AgentInput{Config: cfg})

	free := t0.Add(3 * time.Minute)
	want := []api.QueueWaking{
		{Agent: "alice", Report: true, Ready: true, Since: t0, Seq: 1}, // started
		{Agent: "alice", Report: true, Ready: false, Seq: 2},           // its one slot taken
		{Agent: "alice", Report: true, Ready: true, Since: free, Seq: 3},
		{Agent: "alice", Report: true, Ready: false, Seq: 4}, // idle
	}
	require.Equal(t, want, h.reportsTo("sales"))
	require.Equal(t, append(want, api.QueueWaking{Agent: "alice", Report: true, Ready: false, Seq: 5}), h.reportsTo("billing"),
		"only the queue that asked hears the answer")
}

// A slot check that finds an offer dead frees the slot; it takes the
// conversation out of the agent's queues only when the conversation ended.
// One that runs was put back in its queue's line when its offer timed out,
// and must stay there (it once waited forever).
func TestAgentDeadOfferLeavesTheQueuesOnlyWhenItsConversationEnded(t *testing.T) {
	for _, ended := range []bool{false, true} {
		t.Run(map[bool]string{false: "runs", true: "ended"}[ended], func(t *testing.T) {
			h := newHarness(t)
			h.checkSlots = func(req api.SlotCheckRequest) ([]api.DeadSlot, error) {
				var dead []api.DeadSlot
				for _, s := range req.Slots {
					dead = append(dead, api.DeadSlot{Conversation: s.Conversation, Since: s.Since, Why: "test", Ended: ended})
				}
				return dead, nil
			}
			cfg := agentConfig(2)
			cfg.Queues = []string{"sales"}
			agentOp(h, time.Minute, api.AgentReserve, api.ReserveRequest{Conversation: "c1", Kind: api.ReserveOffer, Config: cfg})
			st := h.agentAt(defaultSlotCheck + 2*time.Minute)
			h.endAt(defaultSlotCheck + 3*time.Minute)
			h.env.ExecuteWorkflow(Agent, api.AgentInput{Config: cfg})

			require.Empty(t, st.Slots, "the dead offer's slot is freed")
			leaves := slices.Contains(h.signalsTo(api.QueueWorkflowID(tenant, "sales")), string(api.QueueLeave))
			require.Equal(t, ended, leaves, "the queue told to drop the conversation")
		})
	}
}
