package conversations

import (
	"context"
	"errors"

	"go.temporal.io/api/serviceerror"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// Mode chooses how a message reaches the conversation.
type Mode int

const (
	// Sync sends an update: the caller gets the result or the refusal.
	Sync Mode = iota
	// Async sends a signal: fire-and-forget, refusals are only logged by the worker.
	Async
)

// Send delivers an agent's message and returns its delivery status.
func (c *Client) Send(ctx context.Context, mode Mode, id, agent string, msg model.Compose) (api.MessageResult, error) {
	req := api.SendRequest{Conversation: id, Agent: agent, Compose: msg, Request: api.Request{RequestID: requestID(ctx)}}
	return message(ctx, c, mode, id, api.ConversationSend, api.ConversationSendSignal, req)
}

// Reply records a customer's text, as the inbound channel delivers it.
func (c *Client) Reply(ctx context.Context, mode Mode, id, text string) (api.MessageResult, error) {
	return c.ReplyMessage(ctx, mode, id, model.CustomerMessage{Text: text})
}

// ReplyMessage records a customer message into the conversation id.
func (c *Client) ReplyMessage(ctx context.Context, mode Mode, id string, msg model.CustomerMessage) (api.MessageResult, error) {
	req := api.ReplyRequest{Conversation: id, CustomerMessage: msg, Request: api.Request{RequestID: requestID(ctx)}}
	return message(ctx, c, mode, id, api.ConversationReply, api.ConversationReplySignal, req)
}

// message sends a message as the update (Sync) or as the signal (Async),
// retried with its request id until it has an answer.
func message[Req interface{ ID() string }](ctx context.Context, c *Client, mode Mode, id string,
	update api.Update[Req, api.MessageResult], signal api.Signal[Req], req Req,
) (api.MessageResult, error) {
	workflowID, _, err := split(id)
	if err != nil {
		return api.MessageResult{}, err
	}
	out, err := retry(ctx, req.ID(), func(ctx context.Context) (api.MessageResult, error) {
		if mode == Async {
			return api.MessageResult{}, signal.Send(ctx, c.Temporal, workflowID, req)
		}
		return update.Call(ctx, c.Temporal, workflowID, req)
	})
	return out, translate(err)
}

// DeliveryStatus records a provider's status callback for an outbound
// message: a signal, since the provider needs only a 200.
func (c *Client) DeliveryStatus(ctx context.Context, conversation, messageID, status, errText string) error {
	workflowID, _, err := split(conversation)
	if err != nil {
		return err
	}
	req := api.DeliveryStatusRequest{Conversation: conversation, MessageID: messageID, Status: status, Error: errText}
	err = api.ConversationDeliveryStatus.Send(ctx, c.Temporal, workflowID, req)
	var ended *serviceerror.NotFound
	if customer, ok := api.CustomerWorkflowIDOf(conversation); errors.As(err, &ended) && ok {
		// The conversation ended before the provider's callback: its
		// customer's record keeps the outcome.
		err = api.CustomerLateStatus.Send(ctx, c.Temporal, customer, req)
	}
	return translate(err)
}

// Transfer hands the conversation to another agent or to a queue.
func (c *Client) Transfer(ctx context.Context, id, agent, toAgent, toQueue string) (string, error) {
	req := api.TransferRequest{Conversation: id, Agent: agent, ToAgent: toAgent, ToQueue: toQueue, Request: request(ctx)}
	return call(ctx, c, id, api.ConversationTransfer, req)
}

// Accept takes an offered or queued conversation.
func (c *Client) Accept(ctx context.Context, id, agent string) (string, error) {
	return call(ctx, c, id, api.ConversationAccept, api.AgentRequest{Conversation: id, Agent: agent, Request: request(ctx)})
}

// Decline drops an offer made to the agent.
func (c *Client) Decline(ctx context.Context, id, agent string) (string, error) {
	return call(ctx, c, id, api.ConversationDecline, api.AgentRequest{Conversation: id, Agent: agent, Request: request(ctx)})
}

// Close ends the conversation; the agent goes to wrap-up.
func (c *Client) Close(ctx context.Context, id, agent string) (string, error) {
	return call(ctx, c, id, api.ConversationClose, api.AgentRequest{Conversation: id, Agent: agent, Request: request(ctx)})
}

// Trigger starts a configured business flow from the conversation.
func (c *Client) Trigger(ctx context.Context, id, agent, flow string) (string, error) {
	req := api.TriggerRequest{Conversation: id, Agent: agent, Flow: flow, Request: request(ctx)}
	return call(ctx, c, id, api.ConversationTrigger, req)
}

// Conference is refused for every outbound conversation (rule 15), so the
// conversation is not asked.
func (c *Client) Conference(ctx context.Context, id, agent string) (string, error) {
	if _, _, err := split(id); err != nil {
		return "", err
	}
	return "", codes.New(codes.ConferenceNotSupported, "conference is not supported for outbound conversations")
}

// WrapUp ends an agent's wrap-up of the conversation with a reason. It goes
// to the agent's workflow, which holds the wrap-up after the conversation closed.
func (c *Client) WrapUp(ctx context.Context, id, agent, reason string) error {
	if _, _, err := split(id); err != nil {
		return err
	}
	tenant, err := c.tenant(ctx)
	if err != nil {
		return err
	}
	req := api.WrapUpRequest{Conversation: id, Reason: reason, Request: request(ctx)}
	_, err = retry(ctx, req.ID(), func(ctx context.Context) (int, error) {
		return api.AgentWrapUp.Call(ctx, c.Temporal, api.AgentWorkflowID(tenant, agent), req)
	})
	return translate(err)
}

// call runs a conversation update that answers the status it left, retried
// with its request id until it has an answer.
func call[Req interface{ ID() string }](ctx context.Context, c *Client, id string, update api.Update[Req, string], req Req) (string, error) {
	workflowID, _, err := split(id)
	if err != nil {
		return "", err
	}
	out, err := retry(ctx, req.ID(), func(ctx context.Context) (string, error) {
		return update.Call(ctx, c.Temporal, workflowID, req)
	})
	return out, translate(err)
}
