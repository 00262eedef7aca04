package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
)

// recentWrapUps is how many finished wrap-ups an agent keeps for `show`.
const recentWrapUps = 50

// Agent is one agent's entity workflow: its state (rule 4), its outbound slots
// (rule 7), its one transfer at a time (rule 18) and its wrap-ups (rule 20).
// A handler decides and takes a slot without yielding, so a reservation is
// atomic under concurrent starts.
func Agent(ctx workflow.Context, in api.AgentInput) (api.AgentState, error) {
	ag := &agent{reports: workflow.GetVersion(ctx, availabilityView, workflow.DefaultVersion, 1) == 1}
	if in.State != nil {
		ag.state = *in.State
	} else {
		ag.state = api.AgentState{Config: in.Config, State: api.AgentAvailable, Since: workflow.Now(ctx)}
	}
	ag.setup(ctx)
	ag.stamp.start(ctx, 0, func() uint64 { return shownOfAgent(&ag.state) })
	return ag.run(ctx)
}

type agent struct {
	state         api.AgentState
	inbox         inbox
	wrapUpChanged bool
	reports       bool        // tells its queues its readiness (availability view); else wakes hungry ones
	stamp         changeStamp // tells the desks what changed (live.go)
}

// Every agent update changes or reads slots that signals change too, so the
// validators check only the request; the handlers decide after the signals
// that came before them (see inbox.go).
func (ag *agent) setup(ctx workflow.Context) {
	api.AgentQuery.Handle(ctx, func() api.AgentState { return ag.state })
	api.AgentReserve.Handle(ctx, ag.reserve, validateReserve)
	api.AgentTransferOut.Handle(ctx, ag.transferOut, validateLeave)
	api.AgentWrapUp.Handle(ctx, ag.wrapUp, unlessAnswered(&ag.state.Answered, validateWrapUp))
	api.AgentSetState.Handle(ctx, ag.setState, unlessAnswered(&ag.state.Answered, validateState))
	onSignal(ctx, &ag.inbox, api.AgentConfigure, ag.configure)
	onSignal(ctx, &ag.inbox, api.AgentRelease, ag.release)
	onSignal(ctx, &ag.inbox, api.AgentLeave, ag.leave)
	onSignal(ctx, &ag.inbox, api.AgentOfferAccepted, ag.offerAccepted)
	onSignal(ctx, &ag.inbox, api.AgentTransferResolved, ag.transferResolved)
	onSignal(ctx, &ag.inbox, api.AgentTransferUndone, ag.transferUndone)
	onSignal(ctx, &ag.inbox, api.AgentNoAnswer, ag.noAnswer)
	onSignal(ctx, &ag.inbox, api.AgentQueueWaiting, ag.queueWaiting)
	ag.inbox.listen(ctx)
	ag.checkSlotsPeriodically(ctx)
}

// run applies the default reason to every wrap-up whose timer ran out.
func (ag *agent) run(ctx workflow.Context) (api.AgentState, error) {
	timer := deadlineTimer{summary: "wrap-up timeout"}
	for {
		due, pending := ag.nextWrapUp()
		timer.aim(ctx, due, pending)
		wake := func() bool {
			return ag.wrapUpChanged || timer.rang() || ag.reportDue() || (ag.inbox.idle(ctx) && shouldContinueAsNew(ctx))
		}
		if err := workflow.Await(ctx, wake); err != nil {
			return ag.state, err
		}
		ag.wrapUpChanged = false
		ag.expireWrapUps(ctx)
		ag.report(ctx)
		if shouldContinueAsNew(ctx) {
			if err := ag.inbox.settle(ctx); err != nil {
				return ag.state, err
			}
			return ag.state, workflow.NewContinueAsNewError(ctx, Agent, api.AgentInput{Config: ag.state.Config, State: &ag.state})
		}
	}
}

func validateReserve(req api.ReserveRequest) error {
	switch {
	case req.Conversation == "":
		return codes.New(codes.BadRequest, "a reservation names its conversation")
	case req.Kind != api.ReserveStart && req.Kind != api.ReserveOffer && req.Kind != api.ReservePickup:
		return codes.New(codes.BadRequest, "a reservation is for a start, an offer or a pickup, not %q", req.Kind)
	}
	return nil
}

// reserve takes a slot (rules 4, 7); a retried reservation gets the slot it holds.
func (ag *agent) reserve(ctx workflow.Context, req api.ReserveRequest) (int, error) {
	if err := ag.inbox.afterSignals(ctx); err != nil {
		return 0, err
	}
	if i := ag.slot(req.Conversation); i >= 0 {
		if req.Kind != api.ReserveOffer { // a pickup of what a queue offers the agent takes it
			ag.state.Slots[i].Role = api.SlotActive
		}
		return len(ag.state.Slots), nil
	}
	if err := ag.checkCapacity(req); err != nil {
		return 0, err
	}
	ag.state.Config = req.Config
	role := api.SlotActive
	if req.Kind == api.ReserveOffer {
		role = api.SlotOffered
	}
	ag.state.Slots = append(ag.state.Slots, api.Slot{Conversation: req.Conversation, Role: role, Since: workflow.Now(ctx)})
	return len(ag.state.Slots), nil
}

// checkCapacity refuses an agent that is not available (RONA may start or be
// named, but queue routing skips it) or has no free slot; an offer's refusal
// is the target's: TARGET_UNAVAILABLE.
func (ag *agent) checkCapacity(req api.ReserveRequest) error {
	s := ag.state
	stateOK := s.State == api.AgentAvailable || (s.State == api.AgentRONA && !req.OnlyAvailable)
	hasRoom := len(s.Slots) < req.Config.MaxOutbound
	switch {
	case req.Kind == api.ReserveOffer && !stateOK:
		return codes.New(codes.TargetUnavailable, "%s is %s", s.Config.ID, s.State)
	case req.Kind == api.ReserveOffer && !hasRoom:
		return codes.New(codes.TargetUnavailable, "%s has no free slot (%d of %d in use)", s.Config.ID, len(s.Slots), req.Config.MaxOutbound)
	case !stateOK:
		return codes.New(codes.AgentStateNotAllowed, "%s is %s; only available or RONA agents can take conversations", s.Config.ID, s.State)
	case !hasRoom:
		return codes.New(codes.OutboundLimitReached, "%s has %d of %d outbound conversations", s.Config.ID, len(s.Slots), req.Config.MaxOutbound)
	}
	return nil
}

func (ag *agent) release(ctx workflow.Context, req api.SlotRequest) {
	ag.free(ctx, req.Conversation)
}

func validateLeave(req api.LeaveRequest) error {
	if req.Conversation == "" {
		return codes.New(codes.BadRequest, "a transfer names its conversation")
	}
	return nil
}

// transferOut marks the owner as transferring (rule 18) and starts its
// wrap-up. A retry of one already applied (the activity retried after the
// update landed) keeps the wrap-up deadline it has, and gets its first answer
// even once the wrap-up has ended.
func (ag *agent) transferOut(ctx workflow.Context, req api.LeaveRequest) (int, error) {
	if err := ag.inbox.afterSignals(ctx); err != nil {
		return 0, err
	}
	return once(ctx, &ag.state.Answered, req.RequestID, func() (int, error) {
		i := ag.slot(req.Conversation)
		switch {
		case i >= 0 && ag.state.Transferring == req.Conversation && ag.state.Slots[i].Role == api.SlotWrapUp:
			return len(ag.state.Slots), nil
		case i < 0 || ag.state.Slots[i].Role != api.SlotActive:
			return 0, codes.New(codes.NotOwner, "%s does not own this conversation", ag.state.Config.ID)
		case ag.state.Transferring != "":
			return 0, codes.New(codes.TransferPending, "%s already has a transfer pending (one at a time)", ag.state.Config.ID)
		}
		ag.state.Transferring = req.Conversation
		ag.leave(ctx, req)
		return len(ag.state.Slots), nil
	})
}

// leave turns the conversation's slot into a wrap-up with its deadline.
func (ag *agent) leave(ctx workflow.Context, req api.LeaveRequest) {
	if i := ag.slot(req.Conversation); i >= 0 {
		policy := req.WrapUp
		s := &ag.state.Slots[i]
		s.Role, s.WrapUp, s.WrapUpDue = api.SlotWrapUp, &policy, workflow.Now(ctx).Add(policy.Timeout)
		ag.wrapUpChanged = true
	}
}

func (ag *agent) offerAccepted(ctx workflow.Context, req api.SlotRequest) {
	if i := ag.slot(req.Conversation); i >= 0 {
		ag.state.Slots[i].Role = api.SlotActive
	}
}

func (ag *agent) transferResolved(ctx workflow.Context, req api.SlotRequest) {
	if ag.state.Transferring == req.Conversation {
		ag.state.Transferring = ""
	}
}

// transferUndone: the conversation gave up on a transferOut that may have
// landed after all (its activity ran out of time): the agent owns the
// conversation again, its slot active, as if the transfer had not begun;
// the slot comes back if the wrap-up ended meanwhile. If that transferOut
// has not landed, it is answered as done when it does, and changes nothing.
func (ag *agent) transferUndone(ctx workflow.Context, req api.TransferUndone) {
	if !seen(ag.state.Answered, req.TransferOut) {
		remember(ctx, &ag.state.Answered, req.TransferOut, 0)
	}
	if ag.state.Transferring != req.Conversation {
		return // it did not land (or a later request moved on)
	}
	ag.state.Transferring = ""
	i := ag.slot(req.Conversation)
	if i < 0 {
		ag.state.Slots = append(ag.state.Slots, api.Slot{Conversation: req.Conversation, Since: workflow.Now(ctx)})
		i = len(ag.state.Slots) - 1
	}
	s := &ag.state.Slots[i]
	if s.Role == api.SlotWrapUp {
		ag.wrapUpChanged = true
	}
	s.Role, s.WrapUp, s.WrapUpDue = api.SlotActive, nil, time.Time{}
}

// noAnswer: the agent let an offer time out, so it goes to RONA (rule 19).
// The slot stays if the agent picked the conversation up from the queue's
// line in the meantime.
func (ag *agent) noAnswer(ctx workflow.Context, req api.SlotRequest) {
	ag.state.State, ag.state.Since = api.AgentRONA, workflow.Now(ctx)
	if i := ag.slot(req.Conversation); i >= 0 && ag.state.Slots[i].Role == api.SlotOffered {
		ag.free(ctx, req.Conversation)
	}
}

func validateWrapUp(req api.WrapUpRequest) error {
	if req.Conversation == "" {
		return codes.New(codes.BadRequest, "a wrap-up names its conversation")
	}
	return nil
}

// wrapUp ends a wrap-up with a reason from the tenant's list and frees the slot.
func (ag *agent) wrapUp(ctx workflow.Context, req api.WrapUpRequest) (int, error) {
	return once(ctx, &ag.state.Answered, req.RequestID, func() (int, error) { return ag.wrapUpOnce(ctx, req) })
}

func (ag *agent) wrapUpOnce(ctx workflow.Context, req api.WrapUpRequest) (int, error) {
	if err := ag.inbox.afterSignals(ctx); err != nil {
		return 0, err
	}
	i := ag.slot(req.Conversation)
	if i < 0 || ag.state.Slots[i].Role != api.SlotWrapUp {
		return 0, codes.New(codes.NotOwner, "%s has no wrap-up pending for conversation %s", ag.state.Config.ID, req.Conversation)
	}
	if err := checkReason(*ag.state.Slots[i].WrapUp, req.Reason); err != nil {
		return 0, err
	}
	ag.finishWrapUp(ctx, req.Conversation, req.Reason, false)
	return len(ag.state.Slots), nil
}

func validateState(req api.SetStateRequest) error {
	switch req.State {
	case api.AgentAvailable, api.AgentIdle, api.AgentRONA:
		return nil
	}
	return codes.New(codes.BadRequest, "agent state must be available, idle or rona")
}

func (ag *agent) setState(ctx workflow.Context, req api.SetStateRequest) (int, error) {
	return once(ctx, &ag.state.Answered, req.RequestID, func() (int, error) {
		if err := ag.inbox.afterSignals(ctx); err != nil {
			return 0, err
		}
		if req.Config.ID != "" {
			ag.state.Config = req.Config
		}
		if ag.state.State != req.State {
			ag.state.State, ag.state.Since = req.State, workflow.Now(ctx)
			ag.wakeQueues(ctx)
		}
		return len(ag.state.Slots), nil
	})
}

func (ag *agent) configure(ctx workflow.Context, cfg api.AgentConfig) {
	more := cfg.MaxOutbound > ag.state.Config.MaxOutbound
	ag.state.Config = cfg
	if ag.reports {
		ag.state.AskedBy = slices.Clone(cfg.Queues) // its queues may have changed: each hears from it
	} else if more {
		ag.wakeQueues(ctx)
	}
}

// queueWaiting keeps which of the agent's queues wait for an agent; with the
// availability view, it is a queue asking for the agent's readiness.
func (ag *agent) queueWaiting(ctx workflow.Context, req api.QueueWaitingRequest) {
	if ag.reports {
		if req.Waiting && !slices.Contains(ag.state.AskedBy, req.Queue) {
			ag.state.AskedBy = append(ag.state.AskedBy, req.Queue)
		}
		return
	}
	i := slices.Index(ag.state.WaitingQueues, req.Queue)
	switch {
	case req.Waiting && i < 0:
		ag.state.WaitingQueues = append(ag.state.WaitingQueues, req.Queue)
		ag.wakeQueues(ctx) // it may have become able meanwhile
	case !req.Waiting && i >= 0:
		ag.state.WaitingQueues = slices.Delete(ag.state.WaitingQueues, i, i+1)
	}
}

// wakeQueues tells the queues that wait for an agent that this one can take a
// conversation now, if it can: available, with a free slot.
func (ag *agent) wakeQueues(ctx workflow.Context) {
	s := ag.state
	if ag.reports || s.State != api.AgentAvailable || len(s.Slots) >= s.Config.MaxOutbound || len(s.WaitingQueues) == 0 {
		return
	}
	wake := api.QueueWaking{Agent: s.Config.ID}
	for _, queue := range s.WaitingQueues {
		f := api.QueueWake.External(ctx, api.QueueWorkflowID(s.Config.Tenant, queue), wake)
		ag.inbox.goDo(ctx, func(ctx workflow.Context) { logFailure(ctx, "queue not woken", f) })
	}
}

func (ag *agent) nextWrapUp() (time.Time, bool) {
	var next time.Time
	for _, s := range ag.state.Slots {
		if s.Role == api.SlotWrapUp && (next.IsZero() || s.WrapUpDue.Before(next)) {
			next = s.WrapUpDue
		}
	}
	return next, !next.IsZero()
}

// expireWrapUps applies the tenant's default reason where the agent gave none.
func (ag *agent) expireWrapUps(ctx workflow.Context) {
	now := workflow.Now(ctx)
	for _, s := range slices.Clone(ag.state.Slots) {
		if s.Role == api.SlotWrapUp && !s.WrapUpDue.After(now) {
			ag.finishWrapUp(ctx, s.Conversation, s.WrapUp.DefaultReason, true)
		}
	}
}

func (ag *agent) finishWrapUp(ctx workflow.Context, conversation, reason string, auto bool) {
	ag.free(ctx, conversation)
	ag.state.Recent = append(ag.state.Recent, api.WrapUpRecord{
		Conversation: conversation, Reason: reason, Auto: auto, At: workflow.Now(ctx),
	})
	if n := len(ag.state.Recent); n > recentWrapUps {
		ag.state.Recent = slices.Clone(ag.state.Recent[n-recentWrapUps:])
	}
}

// free gives a slot back; an available agent that frees a slot counts as
// available since now (longest-available routing, rule 17).
func (ag *agent) free(ctx workflow.Context, conversation string) {
	i := ag.slot(conversation)
	if i < 0 {
		return
	}
	if ag.state.Slots[i].Role == api.SlotWrapUp {
		ag.wrapUpChanged = true
	}
	ag.state.Slots = slices.Delete(ag.state.Slots, i, i+1)
	if ag.state.State == api.AgentAvailable {
		ag.state.Since = workflow.Now(ctx)
	}
	ag.wakeQueues(ctx)
}

func (ag *agent) slot(conversation string) int {
	return slices.IndexFunc(ag.state.Slots, func(s api.Slot) bool { return s.Conversation == conversation })
}
