package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/metrics"
	"outbound/internal/model"
)

// checkStatus takes a status for the conversation's own message even once it
// is closed: while the run completes, the transcript still records it.
func (c *conversation) checkStatus(req api.DeliveryStatusRequest) error {
	if err := c.mine(req.Conversation); err != nil && c.state.Status != api.StatusClosed {
		return err
	}
	if !slices.Contains([]string{model.MessageSent, model.MessageDelivered, model.MessageFailed}, req.Status) {
		return codes.New(codes.BadRequest, "a delivery status is sent, delivered or failed")
	}
	if c.outboundMessage(req.MessageID) < 0 {
		return codes.New(codes.BadRequest, "no outbound message %s", req.MessageID)
	}
	return nil
}

// deliveryStatus records a provider's callback about an outbound message.
func (c *conversation) deliveryStatus(ctx workflow.Context, req api.DeliveryStatusRequest) {
	if c.opened && req.Conversation != c.state.ID {
		c.passLateStatus(ctx, req)
		return
	}
	if err := c.checkStatus(req); err != nil {
		if c.keepEarly(ctx, req) {
			return
		}
		logRefused(ctx, api.ConversationDeliveryStatus, err)
		return
	}
	if c.setStatus(c.outboundMessage(req.MessageID), req.Status, req.Error) {
		switch req.Status {
		case model.MessageDelivered:
			c.countMessage(ctx, metrics.MessagesDelivered)
		case model.MessageFailed:
			c.countMessage(ctx, metrics.MessagesFailed)
		}
	}
}

// earlyWindow is how far ahead of the last recorded message an early status
// may be: the messages of one lost workflow task.
const earlyWindow = 3

// keepEarly keeps a status for one of the next messages. Found by the
// cluster's fault test: a worker died in the workflow task that recorded and
// sent a message; the provider's callback came while the task was redone, for
// a message not recorded yet, and was dropped, and the provider (one message
// per idempotency key) never calls back for the resend: the message stayed
// "sent" for good.
func (c *conversation) keepEarly(ctx workflow.Context, req api.DeliveryStatusRequest) bool {
	var n int
	if _, err := fmt.Sscanf(req.MessageID, "m%d", &n); err != nil || n <= c.state.NextMessage || n > c.state.NextMessage+earlyWindow {
		return false
	}
	// Its own id, also before it opens: the first message's callback may
	// overtake the redone task that opens the conversation.
	if req.Conversation != ownID(ctx) || c.state.Status == api.StatusClosed || model.StatusRank(req.Status) == 0 || len(c.state.EarlyStatuses) >= earlyWindow {
		return false
	}
	c.state.EarlyStatuses = append(c.state.EarlyStatuses, req)
	return true
}

// applyEarly applies the kept statuses of message id, just recorded.
func (c *conversation) applyEarly(id string) {
	c.state.EarlyStatuses = slices.DeleteFunc(c.state.EarlyStatuses, func(req api.DeliveryStatusRequest) bool {
		if req.MessageID != id {
			return false
		}
		c.setStatus(c.outboundMessage(id), req.Status, req.Error)
		return true
	})
}

// passLateStatus hands a status for a message of an earlier conversation with
// the customer (under the same workflow ID) to the customer's record, which
// keeps the outcome.
func (c *conversation) passLateStatus(ctx workflow.Context, req api.DeliveryStatusRequest) {
	if customer, ok := api.CustomerWorkflowIDOf(req.Conversation); ok {
		logFailure(ctx, "late delivery status not recorded", api.CustomerLateStatus.External(ctx, customer, req))
	}
}

// setStatus moves message i forward only and reports whether it moved.
func (c *conversation) setStatus(i int, status, errText string) bool {
	return c.state.Messages[i].Advance(status, errText)
}

func (c *conversation) outboundMessage(id string) int {
	return slices.IndexFunc(c.state.Messages, func(m model.Message) bool {
		return m.ID == id && m.Direction == model.Outbound
	})
}
