package conversations

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"outbound/internal/model"
)

// Mode chooses how an operation reaches the workflow.
type Mode int

const (
	// Sync sends an update: the caller gets the result or the refusal.
	Sync Mode = iota
	// Async sends a signal: fire-and-forget, refusals are only logged by the worker.
	Async
)

// Send delivers an agent's message and returns its delivery status.
func (c *Client) Send(ctx context.Context, mode Mode, id, agent string, msg model.Compose) (model.MessageResult, error) {
	var out model.MessageResult
	err := c.do(ctx, mode, id, model.OpSend, model.SendRequest{Conversation: id, Agent: agent, Compose: msg}, &out)
	return out, err
}

// Reply records a customer's text, as the inbound channel delivers it.
func (c *Client) Reply(ctx context.Context, mode Mode, id, text string) (model.MessageResult, error) {
	return c.ReplyMessage(ctx, mode, id, model.CustomerMessage{Text: text})
}

// ReplyMessage records a customer message into the conversation id.
func (c *Client) ReplyMessage(ctx context.Context, mode Mode, id string, msg model.CustomerMessage) (model.MessageResult, error) {
	var out model.MessageResult
	err := c.do(ctx, mode, id, model.OpReply, model.ReplyRequest{Conversation: id, CustomerMessage: msg}, &out)
	return out, err
}

// Transfer hands the conversation to another agent or to a queue.
func (c *Client) Transfer(ctx context.Context, mode Mode, id, agent, toAgent, toQueue string) (string, error) {
	return c.status(ctx, mode, id, model.OpTransfer, model.TransferRequest{Conversation: id, Agent: agent, ToAgent: toAgent, ToQueue: toQueue})
}

// Accept takes an offered or queued conversation.
func (c *Client) Accept(ctx context.Context, mode Mode, id, agent string) (string, error) {
	return c.status(ctx, mode, id, model.OpAccept, model.AgentRequest{Conversation: id, Agent: agent})
}

// Decline drops an offer made to the agent.
func (c *Client) Decline(ctx context.Context, mode Mode, id, agent string) (string, error) {
	return c.status(ctx, mode, id, model.OpDecline, model.AgentRequest{Conversation: id, Agent: agent})
}

// Close ends the conversation; the agent goes to wrap-up.
func (c *Client) Close(ctx context.Context, mode Mode, id, agent string) (string, error) {
	return c.status(ctx, mode, id, model.OpClose, model.AgentRequest{Conversation: id, Agent: agent})
}

// Trigger starts a configured business flow from the conversation.
func (c *Client) Trigger(ctx context.Context, mode Mode, id, agent, flow string) (string, error) {
	return c.status(ctx, mode, id, model.OpTrigger, model.TriggerRequest{Conversation: id, Agent: agent, Flow: flow})
}

// Conference is refused for outbound conversations (rule 15).
func (c *Client) Conference(ctx context.Context, mode Mode, id, agent string) (string, error) {
	return c.status(ctx, mode, id, model.OpConference, model.AgentRequest{Conversation: id, Agent: agent})
}

// WrapUp ends an agent's wrap-up of the conversation with a reason. It goes
// to the agent's workflow, which holds the wrap-up after the conversation closed.
func (c *Client) WrapUp(ctx context.Context, mode Mode, id, agent, reason string) error {
	if _, _, err := split(id); err != nil {
		return err
	}
	tenant, err := c.tenant(ctx)
	if err != nil {
		return err
	}
	req := model.AgentWrapUpRequest{Conversation: id, Reason: reason}
	return c.call(ctx, mode, model.AgentWorkflowID(tenant, agent), model.OpWrapUp, req, nil)
}

func (c *Client) status(ctx context.Context, mode Mode, id, op string, req any) (string, error) {
	var out string
	err := c.do(ctx, mode, id, op, req, &out)
	return out, err
}

func (c *Client) do(ctx context.Context, mode Mode, id, op string, req, out any) error {
	workflowID, _, err := split(id)
	if err != nil {
		return err
	}
	return c.call(ctx, mode, workflowID, op, req, out)
}

// call sends one operation as an update (Sync) or a signal (Async).
func (c *Client) call(ctx context.Context, mode Mode, workflowID, op string, req, out any) error {
	if mode == Async {
		return translate(c.Temporal.SignalWorkflow(ctx, workflowID, "", op, req))
	}
	opts := client.UpdateWorkflowOptions{
		UpdateID:     uuid.NewString(), // the same on a retry: the server runs it once
		WorkflowID:   workflowID,
		UpdateName:   op,
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	for attempt := 1; ; attempt++ {
		err := c.update(ctx, opts, out)
		// The workflow task that would have taken the update failed (e.g. the
		// run was continuing as new as it arrived): it was never accepted, so
		// the next task can take it.
		var notReady *serviceerror.WorkflowNotReady
		if !errors.As(err, &notReady) || attempt == updateAttempts {
			return translate(err)
		}
		select {
		case <-ctx.Done():
			return translate(err)
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
}

// updateAttempts bounds the retries of an update that found no workflow task
// to take it.
const updateAttempts = 5

func (c *Client) update(ctx context.Context, opts client.UpdateWorkflowOptions, out any) error {
	handle, err := c.Temporal.UpdateWorkflow(ctx, opts)
	if err != nil {
		return err
	}
	return handle.Get(ctx, out)
}

func split(id string) (workflowID, firstRunID string, err error) {
	workflowID, firstRunID, ok := model.SplitConversationID(id)
	if !ok {
		return "", "", BadRequest("%q is not a conversation id (as printed by start)", id)
	}
	return workflowID, firstRunID, nil
}
