package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/model"
)

// Queue is one queue's line and its routing (docs/rules.md §3: queues push work).
// Whenever a conversation waits and an agent of the queue can take one, the
// longest-waiting conversation is offered to the longest-available agent
// that may have it. The queue reserves the agent's slot (the agent's workflow
// grants it atomically, so two queues never overfill one agent) and hands the
// offer to the conversation, which runs its timer as for any offer. One
// routing runs at a time, and a conversation has one offer out at a time.
func Queue(ctx workflow.Context, in api.QueueState) (api.QueueState, error) {
	q := &queue{state: in, dirty: true, routesOnView: workflow.GetVersion(ctx, availabilityView, workflow.DefaultVersion, 1) == 1}
	if q.routesOnView {
		q.ready = readyFrom(in.Config.Members, in.Reports)
	}
	api.QueueQuery.Handle(ctx, func() api.QueueState { return q.state })
	onSignal(ctx, &q.inbox, api.QueueEnqueue, q.enqueue)
	onSignal(ctx, &q.inbox, api.QueueOfferEnded, q.offerEnded)
	onSignal(ctx, &q.inbox, api.QueueLeave, q.leave)
	onSignal(ctx, &q.inbox, api.QueueWake, q.wake)
	onSignal(ctx, &q.inbox, api.QueueConfigure, q.configure)
	q.inbox.listen(ctx)
	q.stamp.start(ctx, 0, func() uint64 { return q.lineChanges })
	if q.routesOnView && !q.state.Asked {
		q.state.Asked = true
		q.ask(ctx, q.state.Config.Members...)
	}
	return q.run(ctx)
}

type queue struct {
	state    api.QueueState
	inbox    inbox
	dirty    bool // something changed that may allow an offer
	announce bool // tell every member again that the queue waits (its members changed)
	// routesOnView: ranks on what members report (view.go); runs from
	// before rank with a query to every member.
	routesOnView bool
	ready        readyLine
	stamp        changeStamp // tells the desks what changed (live.go)
	// lineChanges counts the changes of what a desk shows of the queue (its
	// line, its offers): the stamp's digest, which a long line makes too
	// dear to hash at every step of the busiest workflow.
	lineChanges uint64
}

func (q *queue) run(ctx workflow.Context) (api.QueueState, error) {
	expiry := deadlineTimer{summary: "exclusions expire"}
	for {
		due, pending := q.nextExpiry(ctx)
		expiry.aim(ctx, due, pending)
		err := workflow.Await(ctx, func() bool {
			return q.dirty || expiry.rang() || (q.inbox.idle(ctx) && shouldContinueAsNew(ctx))
		})
		if err != nil {
			return q.state, err
		}
		q.dirty = q.dirty || expiry.rang()
		if q.dirty {
			q.dirty = false
			q.inbox.do(func() {
				if q.routesOnView {
					for q.offerFromView(ctx) {
					}
					return
				}
				for q.offerRound(ctx) {
				}
				q.tellMembers(ctx)
			})
			continue
		}
		if err := q.inbox.settle(ctx); err != nil {
			return q.state, err
		}
		return q.state, workflow.NewContinueAsNewError(ctx, Queue, q.state)
	}
}

func (q *queue) enqueue(ctx workflow.Context, w api.Waiting) {
	if i := q.find(w.Conversation); i >= 0 {
		q.exclude(ctx, i, w.Exclude...)
		return
	}
	w.OfferedTo = ""
	if len(w.Exclude) > 0 {
		w.ExcludedAt = workflow.Now(ctx)
	}
	q.state.Waiting = append(q.state.Waiting, w)
	q.dirty, q.lineChanges = true, q.lineChanges+1
}

// offerEnded puts a conversation whose offer was declined or not answered
// back in its place in the line, not to be offered to that agent again.
func (q *queue) offerEnded(ctx workflow.Context, e api.OfferEnded) {
	if i := q.find(e.Conversation); i >= 0 && q.state.Waiting[i].OfferedTo == e.Agent {
		q.state.Waiting[i].OfferedTo = ""
		q.exclude(ctx, i, e.Agent)
		q.dirty, q.lineChanges = true, q.lineChanges+1
	}
}

func (q *queue) leave(ctx workflow.Context, l api.QueueLeaving) {
	if i := q.find(l.Conversation); i >= 0 {
		q.state.Waiting = slices.Delete(q.state.Waiting, i, i+1)
		q.dirty = true // the members may need to hear the queue waits no more
		q.lineChanges++
	}
}

func (q *queue) configure(ctx workflow.Context, cfg api.QueueConfig) {
	before := q.state.Config.Members
	q.state.Config = cfg
	q.dirty, q.announce = true, true
	if q.routesOnView {
		q.membersChanged(ctx, before)
	}
}

// offerRound offers each waiting conversation, longest-waiting first, to the
// longest-available agent that may have it, one offer per agent; it reports
// whether it made one (then another round may find more).
func (q *queue) offerRound(ctx workflow.Context) bool {
	line := q.unoffered()
	if len(line) == 0 {
		return false
	}
	var agents []string
	rank := model.RankRequest{Tenant: q.state.Config.Tenant, Queue: q.state.Config.ID}
	if err := workflow.ExecuteLocalActivity(inTask(ctx), a.RankQueue, rank).Get(ctx, &agents); err != nil {
		workflow.GetLogger(ctx).Error("queue not ranked; its conversations wait", "error", err)
		return false
	}
	used := map[string]bool{}
	offered := false
	for _, conversation := range line {
		for _, agent := range agents {
			i := q.find(conversation)
			if i < 0 || q.state.Waiting[i].OfferedTo != "" {
				break // taken or offered while this round ran
			}
			if used[agent] || slices.Contains(q.state.Waiting[i].Exclude, agent) {
				continue
			}
			used[agent] = true
			if q.offer(ctx, conversation, agent) {
				offered = true
				break
			}
		}
	}
	return offered
}

// offer reserves the agent's slot for the conversation and hands the offer to
// the conversation; false when the agent cannot take it now or the
// conversation is gone.
func (q *queue) offer(ctx workflow.Context, conversation, agent string) bool {
	tenant := q.state.Config.Tenant
	req := api.ReserveRequest{Tenant: tenant, Agent: agent, Conversation: conversation, Kind: api.ReserveOffer, OnlyAvailable: true}
	slot := api.SlotRequest{Conversation: conversation}
	if err := workflow.ExecuteLocalActivity(inTask(ctx), a.Reserve, req).Get(ctx, nil); err != nil {
		tellAgent(ctx, tenant, agent, api.AgentRelease, slot) // the update may have landed before the activity failed
		if q.routesOnView {
			q.notReady(ctx, agent)
		}
		return false
	}
	i := q.find(conversation)
	if i < 0 || q.state.Waiting[i].OfferedTo != "" {
		tellAgent(ctx, tenant, agent, api.AgentRelease, slot)
		return false
	}
	q.state.Waiting[i].OfferedTo = agent
	q.lineChanges++
	workflowID, _, _ := api.SplitConversationID(conversation)
	offer := api.QueueOffer{Conversation: conversation, Queue: q.state.Config.ID, Agent: agent}
	if err := api.ConversationOffer.External(ctx, workflowID, offer).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("conversation gone; it leaves the line", "error", err)
		tellAgent(ctx, tenant, agent, api.AgentRelease, slot)
		q.leave(ctx, api.QueueLeaving{Conversation: conversation})
		return false
	}
	return true
}

// tellMembers tells the queue's agents whether it waits for them: while it
// does, each wakes it whenever it can take a conversation.
func (q *queue) tellMembers(ctx workflow.Context) {
	hungry := len(q.unoffered()) > 0
	if hungry == q.state.Hungry && !(hungry && q.announce) {
		q.announce = false
		return
	}
	q.state.Hungry, q.announce = hungry, false
	req := api.QueueWaitingRequest{Queue: q.state.Config.ID, Waiting: hungry}
	var told []workflow.Future
	for _, agent := range q.state.Config.Members {
		told = append(told, api.AgentQueueWaiting.External(ctx, api.AgentWorkflowID(q.state.Config.Tenant, agent), req))
	}
	for _, f := range told {
		logFailure(ctx, "agent not told whether its queue waits", f)
	}
}

// unoffered lists the waiting conversations without an offer out, in order.
func (q *queue) unoffered() []string {
	var ids []string
	for _, w := range q.state.Waiting {
		if w.OfferedTo == "" {
			ids = append(ids, w.Conversation)
		}
	}
	return ids
}

func (q *queue) find(conversation string) int {
	return slices.IndexFunc(q.state.Waiting, func(w api.Waiting) bool { return w.Conversation == conversation })
}

func (q *queue) exclude(ctx workflow.Context, i int, agents ...string) {
	for _, agent := range agents {
		if !slices.Contains(q.state.Waiting[i].Exclude, agent) {
			q.state.Waiting[i].Exclude = append(q.state.Waiting[i].Exclude, agent)
			q.state.Waiting[i].ExcludedAt = workflow.Now(ctx)
		}
	}
}
