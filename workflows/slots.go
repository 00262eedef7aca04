package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
)

// defaultSlotCheck is how often an agent holding conversations checks that
// they still run, unless the directory says otherwise.
const defaultSlotCheck = time.Minute

// checkSlotsPeriodically gives back the slots of conversations that ended
// without telling the agent (an operator terminated or reset one in the Web
// UI, one timed out): while the agent holds a slot it is not wrapping up,
// every interval it asks whether their conversations still run and name it.
// The check's result, in the history, says which it freed and why.
func (ag *agent) checkSlotsPeriodically(ctx workflow.Context) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			if err := workflow.Await(ctx, func() bool { return len(ag.checkedSlots()) > 0 }); err != nil {
				return
			}
			timer := workflow.NewTimerWithOptions(ctx, ag.slotCheckEvery(), workflow.TimerOptions{Summary: "slot check"})
			if err := timer.Get(ctx, nil); err != nil {
				return
			}
			ag.inbox.do(func() { ag.checkSlots(ctx) })
		}
	})
}

func (ag *agent) checkSlots(ctx workflow.Context) {
	slots := ag.checkedSlots()
	if len(slots) == 0 {
		return
	}
	req := api.SlotCheckRequest{Agent: ag.state.Config.ID, Slots: slots, Asked: workflow.Now(ctx), Grace: ag.slotCheckEvery()}
	var dead []api.DeadSlot
	// A regular activity, not a local one: the check queries conversations,
	// and a conversation's first workflow task waits for this agent's answer
	// to Reserve, so a check inside the agent's task held both tasks until
	// they timed out, again and again (seen under worker kills).
	if err := workflow.ExecuteActivity(quick(ctx, "slot check"), a.CheckSlots, req).Get(ctx, &dead); err != nil {
		workflow.GetLogger(ctx).Warn("slots not checked; next time", "error", err)
		return
	}
	for _, d := range dead {
		i := ag.slot(d.Conversation)
		if i < 0 || ag.state.Slots[i].Role == api.SlotWrapUp || !ag.state.Slots[i].Since.Equal(d.Since) {
			continue // the conversation told the agent meanwhile, or took the slot again
		}
		workflow.GetLogger(ctx).Warn("slot given back", "conversation", d.Conversation, "why", d.Why)
		offered := ag.state.Slots[i].Role == api.SlotOffered
		ag.free(ctx, d.Conversation)
		if offered && endsInQueues(ctx, d) {
			ag.endDeadOffer(ctx, d.Conversation)
		}
	}
}

// liveOfferKept is the version from which a dead offer of a conversation
// that still runs leaves the queues alone: its offer timed out and it is
// back in its queue's line, where it must stay (runs before took it out,
// and the customer waited forever).
const liveOfferKept = "live-offer-kept"

// endsInQueues says whether the dead offer's conversation is over, so the
// queues should drop it.
func endsInQueues(ctx workflow.Context, d api.DeadSlot) bool {
	if workflow.GetVersion(ctx, liveOfferKept, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return true
	}
	return d.Ended
}

// endDeadOffer takes a conversation that ended while offered to the agent out
// of the agent's queues' lines (the queue that offered it holds it as
// offered; the others do not have it and ignore this).
func (ag *agent) endDeadOffer(ctx workflow.Context, conversation string) {
	leaving := api.QueueLeaving{Conversation: conversation}
	for _, queue := range ag.state.Config.Queues {
		f := api.QueueLeave.External(ctx, api.QueueWorkflowID(ag.state.Config.Tenant, queue), leaving)
		ag.inbox.goDo(ctx, func(ctx workflow.Context) { logFailure(ctx, "queue not told the conversation ended", f) })
	}
}

// checkedSlots are the slots a conversation should give back: a wrap-up is
// the agent's own to finish.
func (ag *agent) checkedSlots() []api.Slot {
	var out []api.Slot
	for _, s := range ag.state.Slots {
		if s.Role != api.SlotWrapUp {
			out = append(out, s)
		}
	}
	return out
}

func (ag *agent) slotCheckEvery() time.Duration {
	if d := ag.state.Config.SlotCheck; d > 0 {
		return d
	}
	return defaultSlotCheck
}
