package workflows

import (
	"strings"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/metrics"
	"outbound/internal/model"
)

// open runs the start rules in order: eligibility and address (1–3, 5), the
// first message, the agent's state and capacity (4, 7), the customer's
// subjects and history (11, 16). A slot taken before a later refusal is
// released, so none leaks.
func (c *conversation) open(ctx workflow.Context, req api.StartRequest) error {
	c.state = api.ConversationState{
		ID:                 ownID(ctx),
		WorkflowID:         workflow.GetInfo(ctx).WorkflowExecution.ID,
		Tenant:             req.Tenant,
		Status:             api.StatusOpening,
		Channel:            req.Channel,
		EntryPoint:         req.EntryPoint,
		Subject:            strings.TrimSpace(req.Subject),
		StartedAt:          workflow.Now(ctx),
		ContinueAsNewAfter: req.ContinueAsNewAfter,
		StartRequestID:     req.RequestID,
		EarlyStatuses:      c.state.EarlyStatuses, // taken before the open began
	}
	var prep model.PreparedStart
	if err := workflow.ExecuteLocalActivity(inTask(ctx), a.PrepareStart, req).Get(ctx, &prep); err != nil {
		return err
	}
	c.state.Customer, c.state.CustomerKey = prep.Customer, prep.CustomerKey
	c.state.EntryAddress, c.state.Policy = prep.EntryAddress, prep.Policy
	if req.Inbound != nil {
		return c.openInbound(ctx, req)
	}
	var first model.Rendered
	if req.First != nil {
		var err error
		if first, err = c.firstMessage(ctx, *req.First); err != nil {
			return err
		}
	}

	reserve := api.ReserveRequest{Tenant: req.Tenant, Agent: req.Agent, Conversation: c.state.ID, Kind: api.ReserveStart}
	if err := workflow.ExecuteLocalActivity(inTask(ctx), a.Reserve, reserve).Get(ctx, nil); err != nil {
		c.release(ctx, req.Agent) // the update may have landed before the activity failed
		return err
	}
	customer := api.CustomerOpenRequest{
		Tenant: req.Tenant, Key: prep.CustomerKey, Conversation: c.state.ID,
		EntryPoint: req.EntryPoint, Subject: c.state.Subject, At: c.state.StartedAt,
		RefuseOptedOut: req.Channel == model.SMS,
	}
	if err := c.openCustomer(ctx, customer); err != nil {
		c.release(ctx, req.Agent)
		c.forgetCustomer(ctx, err)
		return err
	}
	c.state.Status, c.state.Owner = api.StatusActive, req.Agent
	c.opened = true
	c.event(ctx, "started", req.Agent, "auto-accepted by the starting agent")
	c.countMessage(ctx, metrics.ConversationsStarted)
	c.publish(ctx)
	if req.First != nil {
		id := c.addOutbound(ctx, req.Agent, first, req.RequestID)
		// The conversation exists before the provider answers (rule 8).
		c.inbox.goDo(ctx, func(ctx workflow.Context) { c.deliver(ctx, id) })
	}
	return nil
}

// firstMessage checks and composes the start's first message as a later
// send is: the same checks, the same activity.
func (c *conversation) firstMessage(ctx workflow.Context, m model.Compose) (model.Rendered, error) {
	if err := c.checkCompose(m); err != nil {
		return model.Rendered{}, err
	}
	return c.compose(ctx, m)
}

// openCustomer registers the conversation with the customer's record (an
// update, idempotent per conversation) and takes the previous conversation's
// context and the opt-out.
func (c *conversation) openCustomer(ctx workflow.Context, req api.CustomerOpenRequest) error {
	var past api.CustomerContext
	if err := workflow.ExecuteLocalActivity(inTask(ctx), a.OpenCustomer, req).Get(ctx, &past); err != nil {
		return err
	}
	if past.PreviousConversation != "" {
		c.state.PreviousConversation = &past.PreviousConversation
		c.state.PreviousMessages = past.PreviousMessages
	}
	c.state.OptedOut = past.OptedOut
	return nil
}

// openInbound opens a conversation the customer started: their message is
// the first line, and the conversation waits in the entry point's queue,
// offered to its available agents in turn.
func (c *conversation) openInbound(ctx workflow.Context, req api.StartRequest) error {
	customer := api.CustomerOpenRequest{
		Tenant: req.Tenant, Key: c.state.CustomerKey, Conversation: c.state.ID,
		EntryPoint: req.EntryPoint, At: c.state.StartedAt,
	}
	if err := c.openCustomer(ctx, customer); err != nil {
		c.forgetCustomer(ctx, err)
		return err
	}
	c.state.Subject = req.Inbound.Subject
	c.opened = true
	c.addInbound(ctx, *req.Inbound)
	c.applyOptOut(ctx, req.Inbound.Text)
	queue := c.state.Policy.EntryQueue
	c.event(ctx, "inbound", "", "the customer wrote; routed to queue "+queue)
	c.joinQueue(ctx, queue, "", nil)()
	return nil
}

// forgetCustomer has the customer's record forget this conversation when
// its open failed rather than was refused: the open may have landed before
// the activity failed, and a refused start changes nothing.
func (c *conversation) forgetCustomer(ctx workflow.Context, err error) {
	if _, _, refused := codes.Of(err); refused {
		return
	}
	customer := api.CustomerWorkflowID(c.state.Tenant, c.state.CustomerKey)
	logFailure(ctx, "customer record not told to forget", api.CustomerForget.External(ctx, customer, api.ForgetRequest{Conversation: c.state.ID}))
}

// release frees an agent's slot for this conversation (a no-op if not held).
func (c *conversation) release(ctx workflow.Context, agent string) {
	tellAgent(ctx, c.state.Tenant, agent, api.AgentRelease, api.SlotRequest{Conversation: c.state.ID})
}

// tellAgent signals an agent's workflow something that needs no answer; a
// conversation the customer started has no transferring agent to tell.
func tellAgent[Req any](ctx workflow.Context, tenant, agent string, signal api.Signal[Req], req Req) {
	if agent != "" {
		logFailure(ctx, "agent not told", signal.External(ctx, api.AgentWorkflowID(tenant, agent), req))
	}
}

// logFailure waits for f and logs its failure: nobody waits for the answer.
func logFailure(ctx workflow.Context, msg string, f workflow.Future) {
	if err := f.Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error(msg, "error", err)
	}
}

// ownID is the conversation's id, known before it opens: its workflow ID and
// first run.
func ownID(ctx workflow.Context) string {
	info := workflow.GetInfo(ctx)
	return api.ConversationID(info.WorkflowExecution.ID, info.FirstRunID)
}
