package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// lastMessages is how much history a later conversation inherits (rule 16).
const lastMessages = 10

func (c *conversation) checkClose(req api.AgentRequest) error {
	return c.ownedBy(req.Conversation, req.Agent)
}

// close ends the conversation (rule 16): the owner goes to wrap-up (rule 20),
// the customer's record keeps the last messages for the next conversation,
// and the workflow completes so the customer can be contacted again at once.
func (c *conversation) close(ctx workflow.Context, req api.AgentRequest) (string, error) {
	return once(ctx, &c.state.Answered, req.RequestID, func() (string, error) { return c.closeOnce(ctx, req) })
}

func (c *conversation) closeOnce(ctx workflow.Context, req api.AgentRequest) (string, error) {
	if err := c.checkedAfterSignals(ctx, func() error { return c.checkClose(req) }); err != nil {
		return "", err
	}
	now := workflow.Now(ctx)
	c.state.Status, c.state.ClosedAt = api.StatusClosed, now
	c.state.WrapUp = &api.WrapUp{Agent: req.Agent, Due: now.Add(c.state.Policy.WrapUp.Timeout)}
	c.event(ctx, "closed", req.Agent, "")
	leave := api.LeaveRequest{Conversation: c.state.ID, WrapUp: c.state.Policy.WrapUp}
	closed := api.CustomerClosedRequest{Conversation: c.state.ID, ClosedAt: now, LastMessages: previews(tail(c.state.Messages, lastMessages))}
	if c.state.Channel == model.SMS {
		closed.DeliveryCheckAfter = c.state.Policy.DeliveryCheckAfter // the record checks what is still unconfirmed
	}
	// Both at once: one workflow task, not two.
	toldAgent := api.AgentLeave.External(ctx, api.AgentWorkflowID(c.state.Tenant, req.Agent), leave)
	toldCustomer := api.CustomerClosed.External(ctx, api.CustomerWorkflowID(c.state.Tenant, c.state.CustomerKey), closed)
	logFailure(ctx, "agent not told of the close", toldAgent)
	logFailure(ctx, "customer record not told of the close", toldCustomer)
	// Last, in the workflow task that completes the run: the server skips
	// the upsert's visibility write for a closed run and the closed record
	// carries these attributes.
	c.publish(ctx)
	return api.StatusClosed, nil
}

func checkReason(p model.WrapUpPolicy, reason string) error {
	if !slices.Contains(p.Reasons, reason) {
		return codes.New(codes.WrapUpReasonUnknown, "wrap-up reason %q is not one of %v", reason, p.Reasons)
	}
	return nil
}

func (c *conversation) checkTrigger(req api.TriggerRequest) error {
	if err := c.ownedBy(req.Conversation, req.Agent); err != nil {
		return err
	}
	if !slices.Contains(c.state.Policy.Flows, req.Flow) {
		return codes.New(codes.FlowNotAllowed, "flow %q cannot be triggered from an outbound conversation", req.Flow)
	}
	return nil
}

// trigger records the business flow the agent started (rule 14).
func (c *conversation) trigger(ctx workflow.Context, req api.TriggerRequest) (string, error) {
	return once(ctx, &c.state.Answered, req.RequestID, func() (string, error) {
		if err := c.checkedAfterSignals(ctx, func() error { return c.checkTrigger(req) }); err != nil {
			return "", err
		}
		c.event(ctx, "flow", req.Agent, req.Flow)
		return c.state.Status, nil
	})
}

// contextBytes bounds each inherited message: the customer's record keeps
// the last messages of 20 conversations, and a new conversation carries them.
const contextBytes = 1 << 10

// previews cuts messages to what a later conversation needs for context.
func previews(ms []model.Message) []model.Message {
	for i := range ms {
		if len(ms[i].Text) > contextBytes || ms[i].HTML != "" {
			ms[i].Text, ms[i].HTML = model.Preview(ms[i].Text, contextBytes), ""
		}
	}
	return ms
}

func tail(ms []model.Message, n int) []model.Message {
	if len(ms) <= n {
		return slices.Clone(ms)
	}
	return slices.Clone(ms[len(ms)-n:])
}
