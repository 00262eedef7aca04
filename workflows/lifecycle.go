package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// lastMessages is how much history a later conversation inherits (rule 16).
const lastMessages = 10

func (c *conversation) validateClose(req model.AgentRequest) error {
	return c.ownedBy(req.Conversation, req.Agent)
}

// close ends the conversation (rule 16): the owner goes to wrap-up (rule 20),
// the customer's record keeps the last messages for the next conversation,
// and the workflow completes so the customer can be contacted again at once.
func (c *conversation) close(ctx workflow.Context, req model.AgentRequest) (string, error) {
	now := workflow.Now(ctx)
	c.state.Status, c.state.ClosedAt = model.StatusClosed, now
	c.state.WrapUp = &model.WrapUp{Agent: req.Agent, Due: now.Add(c.state.Policy.WrapUp.Timeout)}
	c.event(ctx, "closed", req.Agent, "")
	c.publish(ctx)
	leave := model.LeaveRequest{Conversation: c.state.ID, WrapUp: c.state.Policy.WrapUp}
	closed := model.CustomerClosedRequest{Conversation: c.state.ID, ClosedAt: now, LastMessages: tail(c.state.Messages, lastMessages)}
	customer := model.CustomerWorkflowID(c.state.Tenant, c.state.CustomerKey)
	if !c.inTask {
		c.signalAgent(ctx, req.Agent, model.OpLeave, leave)
		logFailure(ctx, "customer record not told of the close", workflow.SignalExternalWorkflow(ctx, customer, "", model.OpCustomerClosed, closed))
		return model.StatusClosed, nil
	}
	// Both at once: one workflow task, not two.
	toldAgent := workflow.SignalExternalWorkflow(ctx, model.AgentWorkflowID(c.state.Tenant, req.Agent), "", model.OpLeave, leave)
	toldCustomer := workflow.SignalExternalWorkflow(ctx, customer, "", model.OpCustomerClosed, closed)
	logFailure(ctx, "agent not told of the close", toldAgent)
	logFailure(ctx, "customer record not told of the close", toldCustomer)
	return model.StatusClosed, nil
}

// logFailure waits for f and logs its failure: nobody waits for the answer.
func logFailure(ctx workflow.Context, msg string, f workflow.Future) {
	if err := f.Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error(msg, "error", err)
	}
}

func (c *conversation) validateWrapUp(req model.WrapUpRequest) error {
	if err := c.mine(req.Conversation); err != nil {
		return err
	}
	w := c.state.WrapUp
	if w == nil || w.Agent != req.Agent || w.Reason != "" {
		return codes.New(codes.NotOwner, "%s has no wrap-up pending for this conversation", req.Agent)
	}
	return checkReason(c.state.Policy.WrapUp, req.Reason)
}

// wrapUp ends the previous owner's wrap-up while the conversation goes on
// with someone else; the agent's workflow frees the slot.
func (c *conversation) wrapUp(ctx workflow.Context, req model.WrapUpRequest) (string, error) {
	c.state.WrapUp.Reason = req.Reason
	c.signalAgent(ctx, req.Agent, model.OpWrapUp, model.AgentWrapUpRequest{Conversation: c.state.ID, Reason: req.Reason})
	return c.state.Status, nil
}

func checkReason(p model.WrapUpPolicy, reason string) error {
	if !slices.Contains(p.Reasons, reason) {
		return codes.New(codes.WrapUpReasonUnknown, "wrap-up reason %q is not one of %v", reason, p.Reasons)
	}
	return nil
}

func (c *conversation) validateTrigger(req model.TriggerRequest) error {
	if err := c.ownedBy(req.Conversation, req.Agent); err != nil {
		return err
	}
	if !slices.Contains(c.state.Policy.Flows, req.Flow) {
		return codes.New(codes.FlowNotAllowed, "flow %q cannot be triggered from an outbound conversation", req.Flow)
	}
	return nil
}

// trigger records the business flow the agent started (rule 14).
func (c *conversation) trigger(ctx workflow.Context, req model.TriggerRequest) (string, error) {
	c.event(ctx, "flow", req.Agent, req.Flow)
	return c.state.Status, nil
}

func (c *conversation) validateConference(req model.AgentRequest) error {
	if err := c.mine(req.Conversation); err != nil {
		return err
	}
	return codes.New(codes.ConferenceNotSupported, "conference is not supported for outbound conversations")
}

// conference is never reached: the validator refuses every request (rule 15).
func (c *conversation) conference(ctx workflow.Context, req model.AgentRequest) (string, error) {
	return "", c.validateConference(req)
}

func tail(ms []model.Message, n int) []model.Message {
	if len(ms) <= n {
		return slices.Clone(ms)
	}
	return slices.Clone(ms[len(ms)-n:])
}
