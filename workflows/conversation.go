package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/metrics"
)

// Conversation is one outbound conversation: its transcript, owner, transfer
// offers and audit trail. The workflow ID is unique per (tenant, entry point,
// customer), so Temporal refuses a second open conversation (rule 6).
func Conversation(ctx workflow.Context, in api.ConversationInput) (api.ConversationState, error) {
	c := &conversation{}
	if in.State != nil {
		// Before setup: updates buffered for a new run are validated as soon
		// as their handler is registered.
		c.state, c.opened = *in.State, true
	} else {
		c.state.StartRequestID = in.Start.RequestID // open's validator may run before open
	}
	c.setup(ctx)
	c.stamp.start(ctx, api.ConversationQuiet, func() uint64 { return shownOfConversation(&c.state) })
	return c.run(ctx, in)
}

type conversation struct {
	state    api.ConversationState
	inbox    inbox
	opened   bool
	openErr  error
	busy     bool        // a transfer or a pickup is between its activities
	answer   offerAnswer // set by accept or decline for the running offer
	archived bool        // this run has archived (or tried to)
	grew     bool        // this run added a message (a run that could not archive does not loop)
	checking bool        // this run's delivery checks are running (checks.go)
	stamp    changeStamp // tells the desks what changed (live.go)
}

func (c *conversation) setup(ctx workflow.Context) {
	api.ConversationQuery.Handle(ctx, func() api.ConversationState { return c.state })
	answered := &c.state.Answered
	api.ConversationOpen.Handle(ctx, c.awaitOpen, c.checkOpen)
	api.ConversationSend.Handle(ctx, c.send, unlessAnswered(answered, c.checkSend))
	api.ConversationReply.Handle(ctx, c.reply, unlessAnswered(answered, c.checkReply))
	api.ConversationTransfer.Handle(ctx, c.transfer, unlessAnswered(answered, c.checkTransfer))
	api.ConversationAccept.Handle(ctx, c.accept, unlessAnswered(answered, c.checkAccept))
	api.ConversationDecline.Handle(ctx, c.decline, unlessAnswered(answered, c.checkDecline))
	api.ConversationClose.Handle(ctx, c.close, unlessAnswered(answered, c.checkClose))
	api.ConversationTrigger.Handle(ctx, c.trigger, unlessAnswered(answered, c.checkTrigger))
	onSignal(ctx, &c.inbox, api.ConversationSendSignal, c.sendSignal)
	onSignal(ctx, &c.inbox, api.ConversationReplySignal, c.replySignal)
	onSignal(ctx, &c.inbox, api.ConversationDeliveryStatus, c.deliveryStatus)
	onSignal(ctx, &c.inbox, api.ConversationOffer, c.queueOffer)
	onSignal(ctx, &c.inbox, api.ConversationHeld, c.held)
	c.inbox.listen(ctx)
}

func (c *conversation) run(ctx workflow.Context, in api.ConversationInput) (api.ConversationState, error) {
	if in.State != nil {
		c.resume(ctx)
	} else if err := c.open(ctx, *in.Start); err != nil {
		return c.refuse(ctx, err)
	}
	for {
		err := workflow.Await(ctx, func() bool {
			return c.state.Status == api.StatusClosed || (c.inbox.idle(ctx) && c.shouldContinueAsNew(ctx))
		})
		if err != nil {
			return c.state, err
		}
		if err := c.inbox.settle(ctx); err != nil {
			return c.state, err
		}
		if c.state.Status == api.StatusClosed {
			return c.state, nil
		}
		if c.inbox.idle(ctx) && !c.busy {
			if c.archiveOlder(ctx) {
				continue // settle what arrived while the archive was written
			}
			return c.state, workflow.NewContinueAsNewError(ctx, Conversation, api.ConversationInput{State: &c.state})
		}
	}
}

// checkOpen refuses a start other than this conversation's own (its retry,
// with the same request id, gets the conversation): one open conversation per
// customer and entry point (rule 6).
func (c *conversation) checkOpen(req api.OpenRequest) error {
	switch {
	case req.RequestID == c.state.StartRequestID:
		return nil
	case !c.opened || c.state.Status == api.StatusClosed:
		// Until its own start is decided no conversation exists (it may yet
		// be refused, for its agent's capacity say), and a closed one is
		// ending: the caller tries again.
		return temporal.NewApplicationError("the conversation with this address is opening or ending; try again", api.StartUndecided)
	}
	return codes.New(codes.ActiveConversationExists, "an active conversation with this address already exists")
}

// awaitOpen answers the starter's update once the start rules have run.
func (c *conversation) awaitOpen(ctx workflow.Context, _ api.OpenRequest) (string, error) {
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
func (c *conversation) refuse(ctx workflow.Context, err error) (api.ConversationState, error) {
	code, msg, ok := codes.Of(err)
	if !ok {
		code, msg = codes.TaskCreationFailed, "the conversation could not be created: "+err.Error()
	}
	c.openErr = codes.New(code, "%s", msg)
	count(ctx, metrics.ConversationsRefused, map[string]string{"tenant": c.state.Tenant, "code": string(code)})
	c.state.Status, c.state.RefusedCode = api.StatusRefused, string(code)
	c.publish(ctx) // in the task that ends the run: the server folds it into the closed record
	_ = c.inbox.settle(ctx)
	return c.state, nil
}

func (c *conversation) shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	limit := c.state.ContinueAsNewAfter
	return info.GetContinueAsNewSuggested() || (limit > 0 && info.GetCurrentHistoryLength() >= limit) ||
		(c.grew && transcriptBytes(c.state.Messages) > stateBytes)
}

// resume restarts what was running when the previous run continued as new.
func (c *conversation) resume(ctx workflow.Context) {
	if c.state.PendingTransfer != nil {
		c.startRouting(ctx)
	}
	c.confirmDeliveries(ctx)
}

// mine refuses a request meant for another conversation of the same customer
// (same workflow ID, other run chain) or for a closed one.
func (c *conversation) mine(id string) error {
	if !c.opened {
		return codes.New(codes.TaskCreationFailed, "the conversation is not open yet")
	}
	if id != c.state.ID || c.state.Status == api.StatusClosed {
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
		return codes.New(codes.TransferPending, "a transfer or pickup of this conversation is in progress")
	case c.state.Status == api.StatusOffered:
		return codes.New(codes.NotOwner, "the conversation is being transferred; nobody owns it until it is accepted")
	case c.state.Status == api.StatusQueued:
		return codes.New(codes.NotOwner, "the conversation waits in queue %s", c.state.Queue)
	case c.state.Owner != agent:
		return codes.New(codes.NotOwner, "%s does not own this conversation (owner: %s)", agent, c.state.Owner)
	}
	return nil
}

// checkedAfterSignals runs an update's checks again once the signals that
// arrived before it are applied (see inbox.go): its validator ran first.
func (c *conversation) checkedAfterSignals(ctx workflow.Context, check func() error) error {
	if err := c.inbox.afterSignals(ctx); err != nil {
		return err
	}
	return check()
}

func (c *conversation) event(ctx workflow.Context, kind, agent, detail string) {
	c.state.Events = append(c.state.Events, api.Event{At: workflow.Now(ctx), Kind: kind, Agent: agent, Detail: detail})
}

// publish keeps the search attributes current, so the Web UI and `list` find
// conversations by status and owner. Only what changed is upserted, and
// nothing when nothing did: each upsert is a visibility write on the server.
func (c *conversation) publish(ctx workflow.Context) {
	current := workflow.GetTypedSearchAttributes(ctx)
	var changed []temporal.SearchAttributeUpdate
	for _, a := range api.ConversationAttributes(c.state) {
		if v, _ := current.GetKeyword(a.Key); v == a.Value {
			continue
		}
		if a.Value == "" {
			changed = append(changed, a.Key.ValueUnset())
		} else {
			changed = append(changed, a.Key.ValueSet(a.Value))
		}
	}
	if len(changed) > 0 {
		// With the change stamp if one is due: one upsert, one event.
		changed = append(changed, c.stamp.note(ctx)...)
		if err := workflow.UpsertTypedSearchAttributes(ctx, changed...); err != nil {
			workflow.GetLogger(ctx).Error("search attributes not updated", "error", err)
		}
	} else {
		c.stamp.stamp(ctx)
	}
	c.showDetails(ctx)
}
