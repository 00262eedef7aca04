package workflows

import (
	"strings"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/metrics"
	"outbound/internal/model"
)

// open runs the start rules in order: eligibility and address (1–3, 5), the
// agent's state and capacity (4, 7), the customer's subjects and history (11,
// 16). A slot taken before a later refusal is released, so none leaks.
func (c *conversation) open(ctx workflow.Context, req model.StartRequest) error {
	info := workflow.GetInfo(ctx)
	c.state = model.ConversationState{
		ID:                 model.ConversationID(info.WorkflowExecution.ID, info.FirstRunID),
		WorkflowID:         info.WorkflowExecution.ID,
		Tenant:             req.Tenant,
		Status:             model.StatusOpening,
		Channel:            req.Channel,
		EntryPoint:         req.EntryPoint,
		Subject:            strings.TrimSpace(req.Subject),
		StartedAt:          workflow.Now(ctx),
		ContinueAsNewAfter: req.ContinueAsNewAfter,
	}
	prep, err := c.prepareStart(ctx, req)
	if err != nil {
		return err
	}
	c.state.Customer, c.state.CustomerKey = prep.Customer, prep.CustomerKey
	c.state.EntryAddress, c.state.Policy = prep.EntryAddress, prep.Policy
	if req.Inbound != nil {
		return c.openInbound(ctx, req)
	}

	reserve := model.OfferRequest{Tenant: req.Tenant, Agent: req.Agent, Conversation: c.state.ID, Kind: model.ReserveStart}
	if err := c.updateEntity(ctx, "reserve a slot of "+req.Agent, a.Reserve, reserve).Get(ctx, nil); err != nil {
		c.release(ctx, req.Agent) // the update may have landed before the activity failed
		return err
	}
	var past model.CustomerContext
	customer := model.CustomerOpenRequest{
		Tenant: req.Tenant, Key: prep.CustomerKey, Conversation: c.state.ID,
		EntryPoint: req.EntryPoint, Subject: c.state.Subject, At: c.state.StartedAt,
		RefuseOptedOut: req.Channel == "sms",
	}
	if err := c.updateEntity(ctx, "open the customer record", a.OpenCustomer, customer).Get(ctx, &past); err != nil {
		c.release(ctx, req.Agent)
		return err
	}
	c.inherit(past)
	c.state.Status, c.state.Owner = model.StatusActive, req.Agent
	c.opened = true
	c.event(ctx, "started", req.Agent, "auto-accepted by the starting agent")
	c.countMessage(ctx, metrics.ConversationsStarted)
	c.publish(ctx)
	if prep.First != nil {
		c.sendAsync(ctx, req.Agent, *prep.First)
	}
	return nil
}

// prepareStart checks the start rules against the tenant's directory, which
// the worker holds in memory.
func (c *conversation) prepareStart(ctx workflow.Context, req model.StartRequest) (model.PreparedStart, error) {
	var f workflow.Future
	if c.inTask {
		f = workflow.ExecuteLocalActivity(local(ctx), a.PrepareStart, req)
	} else {
		f = workflow.ExecuteActivity(quick(ctx, "check start rules"), a.PrepareStart, req)
	}
	var prep model.PreparedStart
	err := f.Get(ctx, &prep)
	return prep, err
}

// updateEntity runs an activity that updates the agent's or the customer's
// workflow; such an update is idempotent per conversation, so in version 2
// runs it may run as a local activity (which a timed-out task can repeat).
func (c *conversation) updateEntity(ctx workflow.Context, summary string, activity, arg any) workflow.Future {
	if c.entitiesInTask {
		return workflow.ExecuteLocalActivity(entityLocal(ctx), activity, arg)
	}
	return workflow.ExecuteActivity(quick(ctx, summary), activity, arg)
}

// openInbound opens a conversation the customer started: their message is
// the first line, and the conversation waits in the entry point's queue, offered
// to its available agents in turn.
func (c *conversation) openInbound(ctx workflow.Context, req model.StartRequest) error {
	var past model.CustomerContext
	customer := model.CustomerOpenRequest{
		Tenant: req.Tenant, Key: c.state.CustomerKey, Conversation: c.state.ID,
		EntryPoint: req.EntryPoint, At: c.state.StartedAt,
	}
	if err := c.updateEntity(ctx, "open the customer record", a.OpenCustomer, customer).Get(ctx, &past); err != nil {
		return err
	}
	c.inherit(past)
	c.state.Subject = req.Inbound.Subject
	c.opened = true
	c.addInbound(ctx, *req.Inbound)
	c.applyOptOut(ctx, req.Inbound.Text)
	queue := c.state.Policy.EntryQueue
	c.state.Status, c.state.Queue = model.StatusQueued, queue
	c.state.PendingTransfer = &model.Transfer{ToQueue: queue}
	c.event(ctx, "inbound", "", "the customer wrote; routed to queue "+queue)
	c.publish(ctx)
	c.startRouting(ctx)
	return nil
}

// inherit takes the previous conversation's context and the opt-out.
func (c *conversation) inherit(past model.CustomerContext) {
	if past.PreviousConversation != "" {
		c.state.PreviousConversation = &past.PreviousConversation
		c.state.PreviousMessages = past.PreviousMessages
	}
	c.state.OptedOut = past.OptedOut
}

// release frees an agent's slot for this conversation (a no-op if not held).
func (c *conversation) release(ctx workflow.Context, agent string) {
	c.signalAgent(ctx, agent, model.OpRelease, model.SlotRequest{Conversation: c.state.ID})
}

// signalAgent tells an agent's workflow something that needs no answer.
func (c *conversation) signalAgent(ctx workflow.Context, agent, op string, arg any) {
	if agent == "" { // a conversation the customer started has no transferring agent
		return
	}
	id := model.AgentWorkflowID(c.state.Tenant, agent)
	if err := workflow.SignalExternalWorkflow(ctx, id, "", op, arg).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("agent not told", "agent", agent, "op", op, "error", err)
	}
}
