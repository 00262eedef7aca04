package workflows

import (
	"slices"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/metrics"
	"outbound/internal/model"
)

// statusRank orders delivery statuses: a late or repeated callback never
// moves a message back (a "sent" after "delivered", or the activity's own
// answer after the provider's callback).
var statusRank = map[string]int{
	model.MessageQueued:    0,
	model.MessageSent:      1,
	model.MessageDelivered: 2,
	model.MessageFailed:    2,
}

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
	m := &c.state.Messages[i]
	if statusRank[status] <= statusRank[m.Status] {
		return false
	}
	m.Status, m.Error = status, ""
	if status == model.MessageFailed {
		m.Error = errText
	}
	return true
}

func (c *conversation) outboundMessage(id string) int {
	return slices.IndexFunc(c.state.Messages, func(m model.Message) bool {
		return m.ID == id && m.Direction == model.Outbound
	})
}
