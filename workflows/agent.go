package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// recentWrapUps is how many finished wrap-ups an agent keeps for `show`.
const recentWrapUps = 50

// Agent is one agent's entity workflow: its state (rule 4), its outbound slots
// (rule 7), its one transfer at a time (rule 18) and its wrap-ups (rule 20).
// Its handlers run one at a time, so a reservation is atomic.
func Agent(ctx workflow.Context, in model.AgentInput) (model.AgentState, error) {
	ag := &agent{}
	if in.State != nil {
		ag.state = *in.State
	} else {
		ag.state = model.AgentState{Config: in.Config, State: model.AgentAvailable, Since: workflow.Now(ctx)}
	}
	ag.setup(ctx)
	return ag.run(ctx)
}

type agent struct {
	state         model.AgentState
	h             handlers
	wrapUpChanged bool
}

func (ag *agent) setup(ctx workflow.Context) {
	query(ctx, func() model.AgentState { return ag.state })
	register(ctx, &ag.h, model.OpReserve, ag.validateReserve, ag.reserve)
	register(ctx, &ag.h, model.OpRelease, always[model.SlotRequest], ag.release)
	register(ctx, &ag.h, model.OpTransferOut, ag.validateTransferOut, ag.transferOut)
	register(ctx, &ag.h, model.OpLeave, always[model.LeaveRequest], ag.leave)
	register(ctx, &ag.h, model.OpOfferAccepted, always[model.SlotRequest], ag.offerAccepted)
	register(ctx, &ag.h, model.OpTransferResolved, always[model.SlotRequest], ag.transferResolved)
	register(ctx, &ag.h, model.OpNoAnswer, always[model.SlotRequest], ag.noAnswer)
	register(ctx, &ag.h, model.OpWrapUp, ag.validateWrapUp, ag.wrapUp)
	register(ctx, &ag.h, model.OpSetState, validateState, ag.setState)
	register(ctx, &ag.h, model.OpConfigure, always[model.AgentConfig], ag.configure)
}

// run applies the default reason to every wrap-up whose timer ran out.
func (ag *agent) run(ctx workflow.Context) (model.AgentState, error) {
	for {
		wake := func() bool { return ag.wrapUpChanged || (ag.h.idle(ctx) && shouldContinueAsNew(ctx)) }
		if due, ok := ag.nextWrapUp(); ok {
			opts := workflow.AwaitOptions{Timeout: max(due.Sub(workflow.Now(ctx)), time.Millisecond),
				TimerOptions: workflow.TimerOptions{Summary: "wrap-up timeout"}}
			if _, err := workflow.AwaitWithOptions(ctx, opts, wake); err != nil {
				return ag.state, err
			}
		} else if err := workflow.Await(ctx, wake); err != nil {
			return ag.state, err
		}
		ag.wrapUpChanged = false
		ag.expireWrapUps(ctx)
		if shouldContinueAsNew(ctx) {
			if err := ag.h.settle(ctx); err != nil {
				return ag.state, err
			}
			return ag.state, workflow.NewContinueAsNewError(ctx, Agent, model.AgentInput{Config: ag.state.Config, State: &ag.state})
		}
	}
}

func (ag *agent) validateReserve(req model.ReserveRequest) error {
	if ag.slot(req.Conversation) >= 0 {
		return nil // a retried reservation: already held
	}
	s := ag.state
	stateOK := s.State == model.AgentAvailable || (s.State == model.AgentRONA && !req.OnlyAvailable)
	hasRoom := len(s.Slots) < req.Config.MaxOutbound
	switch {
	case req.Kind == model.ReserveOffer && !stateOK:
		return codes.New(codes.TargetUnavailable, "%s is %s", s.Config.ID, s.State)
	case req.Kind == model.ReserveOffer && !hasRoom:
		return codes.New(codes.TargetUnavailable, "%s has no free slot (%d of %d in use)", s.Config.ID, len(s.Slots), req.Config.MaxOutbound)
	case !stateOK:
		return codes.New(codes.AgentStateNotAllowed, "%s is %s; only available or RONA agents can take conversations", s.Config.ID, s.State)
	case !hasRoom:
		return codes.New(codes.OutboundLimitReached, "%s has %d of %d outbound conversations", s.Config.ID, len(s.Slots), req.Config.MaxOutbound)
	}
	return nil
}

func (ag *agent) reserve(ctx workflow.Context, req model.ReserveRequest) (int, error) {
	ag.state.Config = req.Config
	if ag.slot(req.Conversation) >= 0 {
		return len(ag.state.Slots), nil
	}
	role := model.SlotActive
	if req.Kind == model.ReserveOffer {
		role = model.SlotOffered
	}
	ag.state.Slots = append(ag.state.Slots, model.Slot{Conversation: req.Conversation, Role: role, Since: workflow.Now(ctx)})
	return len(ag.state.Slots), nil
}

func (ag *agent) release(ctx workflow.Context, req model.SlotRequest) (int, error) {
	ag.free(ctx, req.Conversation)
	return len(ag.state.Slots), nil
}

func (ag *agent) validateTransferOut(req model.TransferOutRequest) error {
	if ag.retriedTransferOut(req) {
		return nil
	}
	if i := ag.slot(req.Conversation); i < 0 || ag.state.Slots[i].Role != model.SlotActive {
		return codes.New(codes.NotOwner, "%s does not own this conversation", ag.state.Config.ID)
	}
	if t := ag.state.Transferring; t != "" && t != req.Conversation {
		return codes.New(codes.TransferPending, "%s already has a transfer pending (one at a time)", ag.state.Config.ID)
	}
	return nil
}

func (ag *agent) transferOut(ctx workflow.Context, req model.TransferOutRequest) (int, error) {
	if ag.retriedTransferOut(req) {
		return len(ag.state.Slots), nil // already applied: keep the wrap-up deadline
	}
	ag.state.Transferring = req.Conversation
	return ag.leave(ctx, req)
}

// retriedTransferOut reports a transferOut already applied (the activity
// retried after its update landed): the slot is in wrap-up for this transfer.
func (ag *agent) retriedTransferOut(req model.TransferOutRequest) bool {
	i := ag.slot(req.Conversation)
	return i >= 0 && ag.state.Transferring == req.Conversation && ag.state.Slots[i].Role == model.SlotWrapUp
}

// leave turns the conversation's slot into a wrap-up with its deadline.
func (ag *agent) leave(ctx workflow.Context, req model.LeaveRequest) (int, error) {
	if i := ag.slot(req.Conversation); i >= 0 {
		policy := req.WrapUp
		s := &ag.state.Slots[i]
		s.Role, s.WrapUp, s.WrapUpDue = model.SlotWrapUp, &policy, workflow.Now(ctx).Add(policy.Timeout)
		ag.wrapUpChanged = true
	}
	return len(ag.state.Slots), nil
}

func (ag *agent) offerAccepted(ctx workflow.Context, req model.SlotRequest) (int, error) {
	if i := ag.slot(req.Conversation); i >= 0 {
		ag.state.Slots[i].Role = model.SlotActive
	}
	return len(ag.state.Slots), nil
}

func (ag *agent) transferResolved(ctx workflow.Context, req model.SlotRequest) (int, error) {
	if ag.state.Transferring == req.Conversation {
		ag.state.Transferring = ""
	}
	return len(ag.state.Slots), nil
}

// noAnswer: the agent let an offer time out, so it goes to RONA (rule 19).
func (ag *agent) noAnswer(ctx workflow.Context, req model.SlotRequest) (int, error) {
	ag.free(ctx, req.Conversation)
	ag.state.State, ag.state.Since = model.AgentRONA, workflow.Now(ctx)
	return len(ag.state.Slots), nil
}

func (ag *agent) validateWrapUp(req model.AgentWrapUpRequest) error {
	i := ag.slot(req.Conversation)
	if i < 0 || ag.state.Slots[i].Role != model.SlotWrapUp {
		return codes.New(codes.NotOwner, "%s has no wrap-up pending for conversation %s", ag.state.Config.ID, req.Conversation)
	}
	return checkReason(*ag.state.Slots[i].WrapUp, req.Reason)
}

func (ag *agent) wrapUp(ctx workflow.Context, req model.AgentWrapUpRequest) (int, error) {
	ag.finishWrapUp(ctx, req.Conversation, req.Reason, false)
	return len(ag.state.Slots), nil
}

func validateState(req model.SetStateRequest) error {
	switch req.State {
	case model.AgentAvailable, model.AgentIdle, model.AgentRONA:
		return nil
	}
	return badRequest("agent state must be available, idle or rona")
}

func (ag *agent) setState(ctx workflow.Context, req model.SetStateRequest) (int, error) {
	if req.Config.ID != "" {
		ag.state.Config = req.Config
	}
	if ag.state.State != req.State {
		ag.state.State, ag.state.Since = req.State, workflow.Now(ctx)
	}
	return len(ag.state.Slots), nil
}

func (ag *agent) configure(ctx workflow.Context, cfg model.AgentConfig) (int, error) {
	ag.state.Config = cfg
	return len(ag.state.Slots), nil
}

func (ag *agent) nextWrapUp() (time.Time, bool) {
	var next time.Time
	for _, s := range ag.state.Slots {
		if s.Role == model.SlotWrapUp && (next.IsZero() || s.WrapUpDue.Before(next)) {
			next = s.WrapUpDue
		}
	}
	return next, !next.IsZero()
}

// expireWrapUps applies the tenant's default reason where the agent gave none.
func (ag *agent) expireWrapUps(ctx workflow.Context) {
	now := workflow.Now(ctx)
	for _, s := range slices.Clone(ag.state.Slots) {
		if s.Role == model.SlotWrapUp && !s.WrapUpDue.After(now) {
			ag.finishWrapUp(ctx, s.Conversation, s.WrapUp.DefaultReason, true)
		}
	}
}

func (ag *agent) finishWrapUp(ctx workflow.Context, conversation, reason string, auto bool) {
	ag.free(ctx, conversation)
	ag.state.Recent = append(ag.state.Recent, model.WrapUpRecord{
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
	if ag.state.Slots[i].Role == model.SlotWrapUp {
		ag.wrapUpChanged = true
	}
	ag.state.Slots = slices.Delete(ag.state.Slots, i, i+1)
	if ag.state.State == model.AgentAvailable {
		ag.state.Since = workflow.Now(ctx)
	}
}

func (ag *agent) slot(conversation string) int {
	return slices.IndexFunc(ag.state.Slots, func(s model.Slot) bool { return s.Conversation == conversation })
}

// always is the validator of operations that any caller may send.
func always[T any](T) error { return nil }

// shouldContinueAsNew keeps entity histories short: on the server's suggestion,
// or past a size where replay would get slow.
func shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > 4000
}
