package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
)

// offerAnswer is what accept or decline tells the running offer.
type offerAnswer int

const (
	noAnswer offerAnswer = iota
	accepted
	declined
)

func (c *conversation) checkTransfer(req api.TransferRequest) error {
	if err := c.ownedBy(req.Conversation, req.Agent); err != nil {
		return err
	}
	switch {
	case (req.ToAgent == "") == (req.ToQueue == ""):
		return codes.New(codes.BadRequest, "transfer needs exactly one target: an agent or a queue")
	case req.ToQueue != "" && !slices.Contains(c.state.Policy.Queues, req.ToQueue):
		return codes.New(codes.UnknownQueue, "no queue %q", req.ToQueue)
	case req.ToAgent == req.Agent:
		return codes.New(codes.TargetUnavailable, "%s already owns the conversation", req.Agent)
	}
	return nil
}

// transfer hands the conversation to an agent or a queue (rules 17–20). The
// owner leaves at once and starts wrap-up; the target must accept in time.
func (c *conversation) transfer(ctx workflow.Context, req api.TransferRequest) (string, error) {
	return once(ctx, &c.state.Answered, req.RequestID, func() (string, error) { return c.transferOnce(ctx, req) })
}

func (c *conversation) transferOnce(ctx workflow.Context, req api.TransferRequest) (string, error) {
	if err := c.checkedAfterSignals(ctx, func() error { return c.checkTransfer(req) }); err != nil {
		return "", err
	}
	c.busy = true
	defer func() { c.busy = false }()
	if req.ToAgent != "" {
		if err := c.reserveOffer(ctx, req.ToAgent); err != nil {
			return "", err
		}
	}
	out := api.LeaveRequest{Conversation: c.state.ID, WrapUp: c.state.Policy.WrapUp, Request: api.Request{RequestID: transferOutID(ctx)}}
	err := workflow.ExecuteActivity(quick(ctx, "transfer out of "+req.Agent), a.TransferOut, c.state.Tenant, req.Agent, out).Get(ctx, nil)
	if err != nil {
		if _, _, refused := codes.Of(err); !refused {
			// Out of time, it may have landed, or may land late: the owner
			// keeps the conversation, and the agent's slot must say so.
			undone := api.TransferUndone{Conversation: c.state.ID, TransferOut: out.RequestID}
			tellAgent(ctx, c.state.Tenant, req.Agent, api.AgentTransferUndone, undone)
		}
		c.release(ctx, req.ToAgent)
		return "", err
	}
	c.state.Owner = ""
	c.state.WrapUp = &api.WrapUp{Agent: req.Agent, Due: workflow.Now(ctx).Add(c.state.Policy.WrapUp.Timeout)}
	if req.ToQueue != "" {
		c.event(ctx, "transfer", req.Agent, "to queue "+req.ToQueue)
		// The agent who transfers is never offered the conversation back.
		c.joinQueue(ctx, req.ToQueue, req.Agent, []string{req.Agent})()
		return c.state.Status, nil
	}
	c.state.PendingTransfer = &api.Transfer{From: req.Agent, ToAgent: req.ToAgent, Tried: []string{req.Agent}}
	c.event(ctx, "transfer", req.Agent, "to agent "+req.ToAgent)
	c.offer(ctx, req.ToAgent)
	c.publish(ctx)
	c.startRouting(ctx)
	return c.state.Status, nil
}

// reserveOffer takes a slot on the target, refused when it is not Available
// (or RONA, for a named agent) or has no capacity: TARGET_UNAVAILABLE.
func (c *conversation) reserveOffer(ctx workflow.Context, agent string) error {
	req := api.ReserveRequest{Tenant: c.state.Tenant, Agent: agent, Conversation: c.state.ID, Kind: api.ReserveOffer}
	err := workflow.ExecuteActivity(quick(ctx, "reserve an offer slot of "+agent), a.Reserve, req).Get(ctx, nil)
	if err != nil {
		c.release(ctx, agent) // the update may have landed before the activity failed
	}
	return err
}

// offer puts the conversation in front of one agent until the offer timeout.
func (c *conversation) offer(ctx workflow.Context, agent string) {
	t := c.state.PendingTransfer
	t.OfferedTo = agent
	t.OfferExpires = workflow.Now(ctx).Add(c.state.Policy.TransferOfferTimeout)
	c.answer = noAnswer
	c.state.Status, c.state.Queue = api.StatusOffered, ""
	c.event(ctx, "offered", agent, "")
}

// startRouting runs the pending transfer to its end in the background.
func (c *conversation) startRouting(ctx workflow.Context) {
	workflow.Go(ctx, c.route)
}

// route waits on the current offer (a durable timer); an offer declined or
// timed out goes back to a queue's line, so a dropped transfer never loses
// the customer (rule 19). The run may continue as new while an offer waits
// (the next run resumes it), never in the middle of a step that changes an
// agent.
func (c *conversation) route(ctx workflow.Context) {
	t := c.state.PendingTransfer
	if t == nil || t.OfferedTo == "" {
		return
	}
	answer := c.awaitAnswer(ctx, t)
	if answer == accepted || ctx.Err() != nil || c.state.PendingTransfer != t {
		return
	}
	c.inbox.do(func() { c.drop(ctx, t, answer) })
}

// awaitAnswer waits for accept, decline or the offer timeout; an answer that
// came before the wait began counts.
func (c *conversation) awaitAnswer(ctx workflow.Context, t *api.Transfer) offerAnswer {
	wait := t.OfferExpires.Sub(workflow.Now(ctx))
	if wait > 0 {
		summary := "transfer offer to " + t.OfferedTo + ", " + c.state.Policy.TransferOfferTimeout.String()
		if err := awaitWithin(ctx, wait, summary, func() bool { return c.answer != noAnswer }); err != nil {
			return noAnswer
		}
	}
	return c.answer
}

// awaitWithin waits until cond holds or d has passed. Unlike
// workflow.AwaitWithOptions it cancels its timer when cond comes first, so
// the timer does not wake the workflow later for nothing.
func awaitWithin(ctx workflow.Context, d time.Duration, summary string, cond func() bool) error {
	timerCtx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	timer := workflow.NewTimerWithOptions(timerCtx, d, workflow.TimerOptions{Summary: summary})
	return workflow.Await(ctx, func() bool { return cond() || timer.IsReady() })
}

// drop ends a declined or timed-out offer: a target that did not answer goes
// to RONA (rule 19). A queue's offer goes back to its place in the queue's
// line; a dropped transfer to an agent goes on in the entry point's queue.
//
// The offer is over in the state before anything yields: an accept that
// arrives while the agent and the queue are told finds no offer to accept
// (back in a queue's line, the agent may still pick it up).
func (c *conversation) drop(ctx workflow.Context, t *api.Transfer, answer offerAnswer) {
	target := t.OfferedTo
	t.OfferedTo, t.OfferExpires = "", time.Time{}
	if answer == noAnswer {
		c.countOffer(ctx, "timed_out")
		c.event(ctx, "offer-timeout", target, target+" did not answer and is now RONA")
	}
	tellQueue := c.backInLine(ctx, t, target)
	if answer == noAnswer {
		tellAgent(ctx, c.state.Tenant, target, api.AgentNoAnswer, api.SlotRequest{Conversation: c.state.ID})
	}
	tellQueue()
}

// backInLine returns the conversation to a queue after an offer it did not
// take: the queue that offered it, or for a transfer to an agent the entry
// point's queue, neither offering it to that agent again. It changes the
// state at once and returns what tells the queue, which yields.
func (c *conversation) backInLine(ctx workflow.Context, t *api.Transfer, target string) (tell func()) {
	if t.ToAgent != "" {
		return c.joinQueue(ctx, c.state.Policy.EntryQueue, t.From, append(slices.Clone(t.Tried), target))
	}
	queue := t.ToQueue
	c.state.PendingTransfer = nil
	c.state.Status, c.state.Queue = api.StatusQueued, queue
	c.event(ctx, "queued", "", "back in queue "+queue)
	return func() {
		ended := api.OfferEnded{Conversation: c.state.ID, Agent: target}
		logFailure(ctx, "queue not told the offer ended", api.QueueOfferEnded.External(ctx, api.QueueWorkflowID(c.state.Tenant, queue), ended))
		c.publish(ctx)
	}
}

// joinQueue puts the conversation in the queue's line, where the queue offers
// it to its agents (except those excluded); the transfer that brought it
// there, if any, is over for its agent (rule 18). It changes the state at
// once and returns what tells the queue and the agent, which yields.
func (c *conversation) joinQueue(ctx workflow.Context, queue, from string, exclude []string) (tell func()) {
	c.state.PendingTransfer = nil
	c.state.Status, c.state.Queue = api.StatusQueued, queue
	c.event(ctx, "queued", "", "waiting in queue "+queue)
	w := api.Waiting{Conversation: c.state.ID, Since: workflow.Now(ctx), Channel: c.state.Channel, Exclude: exclude}
	return func() {
		if err := workflow.ExecuteLocalActivity(inTask(ctx), a.Enqueue, c.state.Tenant, queue, w).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Error("conversation not in its queue's line: it waits for a pickup", "queue", queue, "error", err)
		}
		tellAgent(ctx, c.state.Tenant, from, api.AgentTransferResolved, api.SlotRequest{Conversation: c.state.ID})
		c.publish(ctx)
	}
}

// queueOffer takes its queue's offer of the conversation to an agent whose
// slot the queue reserved. An offer that comes too late (the conversation was
// picked up meanwhile) gives the slot back, unless that agent picked it up,
// and takes the conversation out of the line.
func (c *conversation) queueOffer(ctx workflow.Context, o api.QueueOffer) {
	if err := workflow.Await(ctx, func() bool { return !c.busy }); err != nil { // a pickup settles first
		return
	}
	if c.mine(o.Conversation) != nil || c.state.Status != api.StatusQueued || c.state.Queue != o.Queue {
		if c.state.Owner != o.Agent { // who picked it up keeps the slot as theirs
			tellAgent(ctx, c.state.Tenant, o.Agent, api.AgentRelease, api.SlotRequest{Conversation: o.Conversation})
		}
		leaving := api.QueueLeaving{Conversation: o.Conversation}
		logFailure(ctx, "queue not told", api.QueueLeave.External(ctx, api.QueueWorkflowID(c.state.Tenant, o.Queue), leaving))
		return
	}
	c.state.PendingTransfer = &api.Transfer{ToQueue: o.Queue}
	c.offer(ctx, o.Agent)
	c.publish(ctx)
	c.startRouting(ctx)
}

func (c *conversation) checkAccept(req api.AgentRequest) error {
	if err := c.mine(req.Conversation); err != nil {
		return err
	}
	switch {
	case c.busy:
		return codes.New(codes.NoPendingOffer, "the conversation is being taken by another agent")
	case c.state.Status == api.StatusQueued:
		return nil // any member of the queue may take it; checked by the reservation
	case c.state.Status != api.StatusOffered || c.state.PendingTransfer.OfferedTo != req.Agent:
		return codes.New(codes.NoPendingOffer, "no offer of this conversation is waiting for %s", req.Agent)
	}
	return nil
}

// accept makes the target the owner: of an offer made to it, or of a
// conversation waiting in one of its queues.
func (c *conversation) accept(ctx workflow.Context, req api.AgentRequest) (string, error) {
	return once(ctx, &c.state.Answered, req.RequestID, func() (string, error) { return c.acceptOnce(ctx, req) })
}

func (c *conversation) acceptOnce(ctx workflow.Context, req api.AgentRequest) (string, error) {
	if err := c.checkedAfterSignals(ctx, func() error { return c.checkAccept(req) }); err != nil {
		return "", err
	}
	offered := c.state.Status == api.StatusOffered
	if !offered {
		if err := c.pickUp(ctx, req.Agent); err != nil {
			return "", err
		}
	}
	// From here to the state change nothing yields: a queue's offer arriving
	// meanwhile must find the conversation taken.
	queue := c.state.Queue // a pickup from the queue's line
	pending := c.state.PendingTransfer
	if offered {
		queue = ""
		if pending.ToAgent == "" {
			queue = pending.ToQueue // the queue's offer
		}
	}
	if offered {
		c.answer = accepted
		c.countOffer(ctx, "accepted")
	}
	c.state.PendingTransfer, c.state.Queue = nil, ""
	c.state.Status, c.state.Owner = api.StatusActive, req.Agent
	c.event(ctx, "accepted", req.Agent, "")
	c.publish(ctx)
	if offered {
		tellAgent(ctx, c.state.Tenant, req.Agent, api.AgentOfferAccepted, api.SlotRequest{Conversation: c.state.ID})
	}
	if pending != nil {
		tellAgent(ctx, c.state.Tenant, pending.From, api.AgentTransferResolved, api.SlotRequest{Conversation: c.state.ID})
	}
	if queue != "" {
		leaving := api.QueueLeaving{Conversation: c.state.ID}
		logFailure(ctx, "queue not told", api.QueueLeave.External(ctx, api.QueueWorkflowID(c.state.Tenant, queue), leaving))
	}
	return api.StatusActive, nil
}

// pickUp reserves a slot for a queue member taking a queued conversation; of
// two agents picking at once, the second gives its slot back.
func (c *conversation) pickUp(ctx workflow.Context, agent string) error {
	c.busy = true
	defer func() { c.busy = false }()
	req := api.ReserveRequest{
		Tenant: c.state.Tenant, Agent: agent, Conversation: c.state.ID,
		Kind: api.ReservePickup, Queue: c.state.Queue,
	}
	if err := workflow.ExecuteActivity(quick(ctx, "pick up for "+agent), a.Reserve, req).Get(ctx, nil); err != nil {
		c.release(ctx, agent)
		return err
	}
	if c.state.Status != api.StatusQueued {
		c.release(ctx, agent)
		return codes.New(codes.NoPendingOffer, "another agent took the conversation")
	}
	return nil
}

func (c *conversation) checkDecline(req api.AgentRequest) error {
	if err := c.mine(req.Conversation); err != nil {
		return err
	}
	if c.state.Status != api.StatusOffered || c.state.PendingTransfer.OfferedTo != req.Agent || c.answer != noAnswer {
		return codes.New(codes.NoPendingOffer, "no offer of this conversation is waiting for %s", req.Agent)
	}
	return nil
}

// decline drops the offer; the routing goes on with the next agent.
func (c *conversation) decline(ctx workflow.Context, req api.AgentRequest) (string, error) {
	return once(ctx, &c.state.Answered, req.RequestID, func() (string, error) { return c.declineOnce(ctx, req) })
}

func (c *conversation) declineOnce(ctx workflow.Context, req api.AgentRequest) (string, error) {
	if err := c.checkedAfterSignals(ctx, func() error { return c.checkDecline(req) }); err != nil {
		return "", err
	}
	c.answer = declined
	c.countOffer(ctx, "declined")
	c.event(ctx, "declined", req.Agent, "")
	c.publish(ctx)
	c.release(ctx, req.Agent)
	return c.state.Status, nil
}

// transferOutID names one TransferOut: the run and the workflow task that
// scheduled it (a conversation runs one transfer at a time).
func transferOutID(ctx workflow.Context) string {
	info := workflow.GetInfo(ctx)
	return fmt.Sprintf("%s/%s/transfer-out/%d", info.WorkflowExecution.ID, info.WorkflowExecution.RunID, info.GetCurrentHistoryLength())
}
