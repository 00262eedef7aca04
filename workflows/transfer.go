package workflows

import (
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// offerAnswer is what accept or decline tells the running offer.
type offerAnswer int

const (
	noAnswer offerAnswer = iota
	accepted
	declined
)

func (c *conversation) validateTransfer(req model.TransferRequest) error {
	if err := c.ownedBy(req.Conversation, req.Agent); err != nil {
		return err
	}
	switch {
	case (req.ToAgent == "") == (req.ToQueue == ""):
		return badRequest("transfer needs exactly one target: an agent or a queue")
	case req.ToQueue != "" && !slices.Contains(c.state.Policy.Queues, req.ToQueue):
		return codes.New(codes.UnknownQueue, "no queue %q", req.ToQueue)
	case req.ToAgent == req.Agent:
		return codes.New(codes.TargetUnavailable, "%s already owns the conversation", req.Agent)
	}
	return nil
}

// transfer hands the conversation to an agent or a queue (rules 17–20). The
// owner leaves at once and starts wrap-up; the target must accept in time.
func (c *conversation) transfer(ctx workflow.Context, req model.TransferRequest) (string, error) {
	c.busy = true
	defer func() { c.busy = false }()
	if req.ToAgent != "" {
		if err := c.reserveOffer(ctx, req.ToAgent, false); err != nil {
			return "", err
		}
	}
	out := model.TransferOutRequest{Conversation: c.state.ID, WrapUp: c.state.Policy.WrapUp}
	err := workflow.ExecuteActivity(quick(ctx, "transfer out of "+req.Agent), a.TransferOut, c.state.Tenant, req.Agent, out).Get(ctx, nil)
	if err != nil {
		if req.ToAgent != "" {
			c.release(ctx, req.ToAgent)
		}
		return "", err
	}
	c.state.Owner = ""
	c.state.WrapUp = &model.WrapUp{Agent: req.Agent, Due: workflow.Now(ctx).Add(c.state.Policy.WrapUp.Timeout)}
	// The agent who transfers is never offered the conversation back.
	c.state.PendingTransfer = &model.Transfer{From: req.Agent, ToAgent: req.ToAgent, ToQueue: req.ToQueue, Tried: []string{req.Agent}}
	if req.ToAgent != "" {
		c.event(ctx, "transfer", req.Agent, "to agent "+req.ToAgent)
		c.offer(ctx, req.ToAgent)
	} else {
		c.event(ctx, "transfer", req.Agent, "to queue "+req.ToQueue)
		c.state.Status = model.StatusQueued
		c.state.Queue = req.ToQueue
	}
	c.publish(ctx)
	c.startRouting(ctx)
	return c.state.Status, nil
}

// reserveOffer takes a slot on the target, refused when it is not Available
// (or RONA, for a named agent) or has no capacity: TARGET_UNAVAILABLE.
func (c *conversation) reserveOffer(ctx workflow.Context, agent string, onlyAvailable bool) error {
	req := model.OfferRequest{
		Tenant: c.state.Tenant, Agent: agent, Conversation: c.state.ID,
		Kind: model.ReserveOffer, OnlyAvailable: onlyAvailable,
	}
	err := workflow.ExecuteActivity(quick(ctx, "reserve an offer slot of "+agent), a.Reserve, req).Get(ctx, nil)
	if err != nil {
		c.release(ctx, agent)
	}
	return err
}

// offer puts the conversation in front of one agent until the offer timeout.
func (c *conversation) offer(ctx workflow.Context, agent string) {
	t := c.state.PendingTransfer
	t.OfferedTo = agent
	t.OfferExpires = workflow.Now(ctx).Add(c.state.Policy.TransferOfferTimeout)
	c.state.Status, c.state.Queue = model.StatusOffered, ""
	c.event(ctx, "offered", agent, "")
}

// startRouting runs the pending transfer to its end in the background.
func (c *conversation) startRouting(ctx workflow.Context) {
	workflow.Go(ctx, c.route)
}

// route waits on the current offer (a durable timer) and, when it is declined
// or times out, offers the conversation to the next available agent of the
// queue, longest available first. With nobody left it waits in the queue:
// a dropped transfer never loses the customer (rule 19).
func (c *conversation) route(ctx workflow.Context) {
	for c.state.PendingTransfer != nil {
		if ctx.Err() != nil { // the workflow is canceled: awaitAnswer would return at once, forever
			return
		}
		t := c.state.PendingTransfer
		if t.OfferedTo != "" {
			if c.awaitAnswer(ctx, t) == accepted {
				return
			}
			continue
		}
		queue := t.ToQueue
		next, ok := c.nextInQueue(ctx, queue, t.Tried)
		if c.state.PendingTransfer != t { // a queue member took it meanwhile
			if ok {
				c.release(ctx, next)
			}
			return
		}
		if !ok {
			c.waitInQueue(ctx, queue)
			return
		}
		c.offer(ctx, next)
		c.publish(ctx)
	}
}

// awaitAnswer waits for accept, decline or the offer timeout.
func (c *conversation) awaitAnswer(ctx workflow.Context, t *model.Transfer) offerAnswer {
	c.answer = noAnswer
	target := t.OfferedTo
	wait := t.OfferExpires.Sub(workflow.Now(ctx))
	if wait > 0 {
		opts := workflow.AwaitOptions{Timeout: wait, TimerOptions: workflow.TimerOptions{
			Summary: "transfer offer to " + target + ", " + c.state.Policy.TransferOfferTimeout.String(),
		}}
		if _, err := workflow.AwaitWithOptions(ctx, opts, func() bool { return c.answer != noAnswer }); err != nil {
			return noAnswer
		}
	}
	answer := c.answer
	if answer == accepted {
		return accepted
	}
	// Dropping the offer must not be cut by continue-as-new: the next run
	// would find it pending and time it out (and RONA the target) again.
	c.h.inFlight++
	defer func() { c.h.inFlight-- }()
	if answer == noAnswer {
		c.countOffer(ctx, "timed_out")
		c.event(ctx, "offer-timeout", target, target+" did not answer and is now RONA")
		c.signalAgent(ctx, target, model.OpNoAnswer, model.SlotRequest{Conversation: c.state.ID})
	}
	t.Tried = append(t.Tried, target)
	t.OfferedTo, t.OfferExpires = "", time.Time{}
	if t.ToQueue == "" { // a dropped transfer to an agent goes to the entry point's queue
		t.ToQueue = c.state.Policy.EntryQueue
	}
	return answer
}

// nextInQueue reserves the next available agent of the queue, if any.
func (c *conversation) nextInQueue(ctx workflow.Context, queue string, tried []string) (string, bool) {
	c.h.inFlight++ // an offer slot being taken must not be cut by continue-as-new
	defer func() { c.h.inFlight-- }()
	var ranked []string
	rank := model.RankRequest{Tenant: c.state.Tenant, Queue: queue, Exclude: tried}
	if err := workflow.ExecuteActivity(quick(ctx, "rank queue "+queue), a.RankQueue, rank).Get(ctx, &ranked); err != nil {
		workflow.GetLogger(ctx).Error("queue not ranked; the conversation waits in the queue", "queue", queue, "error", err)
		return "", false
	}
	for _, agent := range ranked {
		if c.reserveOffer(ctx, agent, true) == nil {
			return agent, true
		}
	}
	return "", false
}

// waitInQueue leaves the conversation queued until a member accepts it; the
// transferring agent is free to transfer again (rule 18).
func (c *conversation) waitInQueue(ctx workflow.Context, queue string) {
	from := c.state.PendingTransfer.From
	c.state.PendingTransfer = nil
	c.state.Status, c.state.Queue = model.StatusQueued, queue
	c.event(ctx, "queued", "", "waiting in queue "+queue)
	c.signalAgent(ctx, from, model.OpTransferResolved, model.SlotRequest{Conversation: c.state.ID})
	c.publish(ctx)
}

func (c *conversation) validateAccept(req model.AgentRequest) error {
	if err := c.mine(req.Conversation); err != nil {
		return err
	}
	switch {
	case c.busy:
		return codes.New(codes.NoPendingOffer, "the conversation is being taken by another agent")
	case c.state.Status == model.StatusQueued:
		return nil // any member of the queue may take it; checked by the reservation
	case c.state.Status != model.StatusOffered || c.state.PendingTransfer.OfferedTo != req.Agent:
		return codes.New(codes.NoPendingOffer, "no offer of this conversation is waiting for %s", req.Agent)
	}
	return nil
}

// accept makes the target the owner: of an offer made to it, or of a
// conversation waiting in one of its queues.
func (c *conversation) accept(ctx workflow.Context, req model.AgentRequest) (string, error) {
	offered := c.state.Status == model.StatusOffered
	if !offered {
		if err := c.pickUp(ctx, req.Agent); err != nil {
			return "", err
		}
	}
	pending := c.state.PendingTransfer
	if offered {
		c.answer = accepted
		c.countOffer(ctx, "accepted")
	}
	c.state.PendingTransfer, c.state.Queue = nil, ""
	c.state.Status, c.state.Owner = model.StatusActive, req.Agent
	c.event(ctx, "accepted", req.Agent, "")
	c.publish(ctx)
	if offered {
		c.signalAgent(ctx, req.Agent, model.OpOfferAccepted, model.SlotRequest{Conversation: c.state.ID})
	}
	if pending != nil {
		c.signalAgent(ctx, pending.From, model.OpTransferResolved, model.SlotRequest{Conversation: c.state.ID})
	}
	return model.StatusActive, nil
}

// pickUp reserves a slot for a queue member taking a queued conversation; of
// two agents picking at once, the second gives its slot back.
func (c *conversation) pickUp(ctx workflow.Context, agent string) error {
	c.busy = true
	defer func() { c.busy = false }()
	req := model.OfferRequest{
		Tenant: c.state.Tenant, Agent: agent, Conversation: c.state.ID,
		Kind: model.ReservePickup, Queue: c.state.Queue,
	}
	if err := workflow.ExecuteActivity(quick(ctx, "pick up for "+agent), a.Reserve, req).Get(ctx, nil); err != nil {
		c.release(ctx, agent)
		return err
	}
	if c.state.Status != model.StatusQueued {
		c.release(ctx, agent)
		return codes.New(codes.NoPendingOffer, "another agent took the conversation")
	}
	return nil
}

func (c *conversation) validateDecline(req model.AgentRequest) error {
	if err := c.mine(req.Conversation); err != nil {
		return err
	}
	if c.state.Status != model.StatusOffered || c.state.PendingTransfer.OfferedTo != req.Agent || c.answer != noAnswer {
		return codes.New(codes.NoPendingOffer, "no offer of this conversation is waiting for %s", req.Agent)
	}
	return nil
}

// decline drops the offer; the routing goes on with the next agent.
func (c *conversation) decline(ctx workflow.Context, req model.AgentRequest) (string, error) {
	c.answer = declined
	c.countOffer(ctx, "declined")
	c.event(ctx, "declined", req.Agent, "")
	c.publish(ctx)
	c.release(ctx, req.Agent)
	return c.state.Status, nil
}
