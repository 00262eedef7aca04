package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"outbound/internal/codes"
	"outbound/internal/metrics"
	"outbound/internal/model"
)

// Conversation is one outbound conversation: its transcript, owner, transfer
// offers and audit trail. The workflow ID is unique per (tenant, entry point,
// customer), so Temporal refuses a second open conversation (rule 6).
func Conversation(ctx workflow.Context, in model.ConversationInput) (model.ConversationState, error) {
	v := workflow.GetVersion(ctx, versionInTask, workflow.DefaultVersion, 2)
	c := &conversation{inTask: v >= 1, entitiesInTask: v >= 2}
	if in.State != nil {
		// Before setup: updates buffered for a new run are validated as soon
		// as their handler is registered.
		c.state, c.opened = *in.State, true
	}
	c.setup(ctx)
	return c.run(ctx, in)
}

type conversation struct {
	state          model.ConversationState
	h              handlers
	opened         bool
	openErr        error
	busy           bool        // a transfer, close or pickup is between its activities
	answer         offerAnswer // set by accept/decline for the running offer
	inTask         bool        // versionInTask 1: quick I/O runs inside the workflow task
	entitiesInTask bool        // versionInTask 2: so do the start's agent and customer updates
	archived       bool        // this run has archived (or tried to)
}

// versionInTask marks the runs that make a message's first delivery attempt
// and check the start rules as local activities, and tell the agent and the
// customer record of a close at once: one workflow task per message instead
// of two. Version 2 also reserves the agent's slot and opens the customer
// record from local activities (both idempotent per conversation). Older runs
// replay their histories the old way.
const versionInTask = "work-in-workflow-task"

func (c *conversation) setup(ctx workflow.Context) {
	query(ctx, func() model.ConversationState { return c.state })
	err := workflow.SetUpdateHandler(ctx, model.OpOpen, c.awaitOpen)
	if err != nil {
		panic(err)
	}
	register(ctx, &c.h, model.OpSend, c.validateSend, c.send)
	register(ctx, &c.h, model.OpReply, c.validateReply, c.reply)
	register(ctx, &c.h, model.OpTransfer, c.validateTransfer, c.transfer)
	register(ctx, &c.h, model.OpAccept, c.validateAccept, c.accept)
	register(ctx, &c.h, model.OpDecline, c.validateDecline, c.decline)
	register(ctx, &c.h, model.OpClose, c.validateClose, c.close)
	register(ctx, &c.h, model.OpWrapUp, c.validateWrapUp, c.wrapUp)
	register(ctx, &c.h, model.OpTrigger, c.validateTrigger, c.trigger)
	register(ctx, &c.h, model.OpConference, c.validateConference, c.conference)
	register(ctx, &c.h, model.OpStatus, c.validateStatus, c.deliveryStatus)
}

func (c *conversation) run(ctx workflow.Context, in model.ConversationInput) (model.ConversationState, error) {
	if in.State != nil {
		c.resume(ctx)
	} else if err := c.open(ctx, *in.Start); err != nil {
		return c.refuse(ctx, err)
	}
	for {
		err := workflow.Await(ctx, func() bool {
			return c.state.Status == model.StatusClosed || (c.h.idle(ctx) && c.shouldContinueAsNew(ctx))
		})
		if err != nil {
			return c.state, err
		}
		if err := c.h.settle(ctx); err != nil {
			return c.state, err
		}
		if c.state.Status == model.StatusClosed {
			return c.state, nil
		}
		if c.h.idle(ctx) && !c.busy {
			if c.archiveOlder(ctx) {
				continue // settle what arrived while the archive was written
			}
			return c.state, workflow.NewContinueAsNewError(ctx, Conversation, model.ConversationInput{State: &c.state})
		}
	}
}

// awaitOpen answers the starter's update once the start rules have run.
func (c *conversation) awaitOpen(ctx workflow.Context) (string, error) {
	if err := workflow.Await(ctx, func() bool { return c.opened || c.openErr != nil }); err != nil {
		return "", err
	}
	if c.openErr != nil {
		return "", c.openErr
	}
	return c.state.ID, nil
}

// refuse ends a start that broke a rule; the workflow completes so the same
// customer can be contacted again at once. A failure that is not a rule is a
// task-creation failure for the agent (rule 8).
func (c *conversation) refuse(ctx workflow.Context, err error) (model.ConversationState, error) {
	code, msg, ok := codes.Of(err)
	if !ok {
		code, msg = codes.TaskCreationFailed, "the conversation could not be created: "+err.Error()
	}
	c.openErr = codes.New(code, "%s", msg)
	count(ctx, metrics.ConversationsRefused, map[string]string{"tenant": c.state.Tenant, "code": string(code)})
	c.state.Status, c.state.RefusedCode = model.StatusRefused, string(code)
	_ = c.h.settle(ctx)
	return c.state, nil
}

func (c *conversation) shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	limit := c.state.ContinueAsNewAfter
	return info.GetContinueAsNewSuggested() || (limit > 0 && info.GetCurrentHistoryLength() >= limit)
}

// resume restarts what was running when the previous run continued as new.
func (c *conversation) resume(ctx workflow.Context) {
	if c.state.PendingTransfer != nil {
		c.startRouting(ctx)
	}
}

// mine refuses a request meant for another conversation of the same customer
// (same workflow ID, other run chain) or for a closed one.
func (c *conversation) mine(id string) error {
	if !c.opened {
		return codes.New(codes.TaskCreationFailed, "the conversation is not open yet")
	}
	if id != c.state.ID || c.state.Status == model.StatusClosed {
		return codes.New(codes.ConversationClosed, "conversation %s is closed", id)
	}
	return nil
}

// ownedBy refuses an agent that does not own the active conversation.
func (c *conversation) ownedBy(id, agent string) error {
	if err := c.mine(id); err != nil {
		return err
	}
	switch {
	case c.busy:
		return codes.New(codes.TransferPending, "a transfer or close of this conversation is in progress")
	case c.state.Status == model.StatusOffered:
		return codes.New(codes.NotOwner, "the conversation is being transferred; nobody owns it until it is accepted")
	case c.state.Status == model.StatusQueued:
		return codes.New(codes.NotOwner, "the conversation waits in queue %s", c.state.Queue)
	case c.state.Owner != agent:
		return codes.New(codes.NotOwner, "%s does not own this conversation (owner: %s)", agent, c.state.Owner)
	}
	return nil
}

func (c *conversation) event(ctx workflow.Context, kind, agent, detail string) {
	c.state.Events = append(c.state.Events, model.Event{At: workflow.Now(ctx), Kind: kind, Agent: agent, Detail: detail})
}

// publish keeps the search attributes current, so the Web UI and `list` find
// conversations by status and owner.
func (c *conversation) publish(ctx workflow.Context) {
	owner := keyword(model.AttrOwnerAgent, c.state.Owner)
	target := keyword(model.AttrTransferTarget, c.transferTarget())
	err := workflow.UpsertTypedSearchAttributes(ctx,
		model.AttrTenant.ValueSet(c.state.Tenant),
		model.AttrChannel.ValueSet(c.state.Channel),
		model.AttrEntryPoint.ValueSet(c.state.EntryPoint),
		model.AttrCustomerKey.ValueSet(c.state.CustomerKey),
		model.AttrConversationID.ValueSet(c.state.ID),
		model.AttrConversationStatus.ValueSet(c.state.Status),
		owner, target,
	)
	if err != nil {
		workflow.GetLogger(ctx).Error("search attributes not updated", "error", err)
	}
	c.showDetails(ctx)
}

// transferTarget is who (or which queue) the conversation waits for.
func (c *conversation) transferTarget() string {
	switch t := c.state.PendingTransfer; {
	case t != nil && t.OfferedTo != "":
		return t.OfferedTo
	case c.state.Status == model.StatusQueued:
		return c.state.Queue
	}
	return ""
}

func keyword(key temporal.SearchAttributeKeyKeyword, value string) temporal.SearchAttributeUpdate {
	if value == "" {
		return key.ValueUnset()
	}
	return key.ValueSet(value)
}
