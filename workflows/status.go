package workflows

import (
	"encoding/hex"
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
		c.countStatus(ctx, req.Status)
	}
}

// countStatus counts a message that reached a final status.
func (c *conversation) countStatus(ctx workflow.Context, status string) {
	switch status {
	case model.MessageDelivered:
		c.countMessage(ctx, metrics.MessagesDelivered)
	case model.MessageFailed:
		c.countMessage(ctx, metrics.MessagesFailed)
	}
}

// confirmDeliveries starts the delivery checks (checks.go) of the sent SMS
// messages that wait for their final status.
func (c *conversation) confirmDeliveries(ctx workflow.Context) {
	startDeliveryChecks(ctx, &c.inbox, &c.checking, c)
}

func (c *conversation) awaitingChecks() []awaitingCheck {
	after := c.state.Policy.DeliveryCheckAfter
	if c.state.Channel != model.SMS || after <= 0 {
		return nil
	}
	var out []awaitingCheck
	for _, m := range c.state.Messages {
		if mayConfirm(m) {
			out = append(out, nextCheck(m, after))
		}
	}
	return out
}

func (c *conversation) checked(ctx workflow.Context, sid string, said model.ProviderStatus) {
	i := slices.IndexFunc(c.state.Messages, func(m model.Message) bool { return m.ProviderID == sid && mayConfirm(m) })
	if i >= 0 && confirm(&c.state.Messages[i], said) {
		c.countStatus(ctx, c.state.Messages[i].Status)
	}
}

// earlyKept bounds the statuses kept for messages not recorded yet.
const earlyKept = 20

// keepEarly keeps a status for a message not recorded yet, named by its key.
// Found by the cluster's fault test: a worker died in the workflow task that
// recorded and sent a message; the provider's callback came while the task
// was redone, for a message not recorded yet, and was dropped, and the
// provider (one message per idempotency key) never calls back for the
// resend: the message stayed "sent" for good.
func (c *conversation) keepEarly(ctx workflow.Context, req api.DeliveryStatusRequest) bool {
	// Its own id, also before it opens: the first message's callback may
	// overtake the redone task that opens the conversation.
	if !isDeliveryKey(req.MessageID) || req.Conversation != ownID(ctx) || c.state.Status == api.StatusClosed ||
		model.StatusRank(req.Status) == 0 || len(c.state.EarlyStatuses) >= earlyKept {
		return false
	}
	c.state.EarlyStatuses = append(c.state.EarlyStatuses, req)
	return true
}

// isDeliveryKey reports whether id has the shape of deliveryKey's keys.
func isDeliveryKey(id string) bool {
	if len(id) != 25 || id[0] != 'k' {
		return false
	}
	_, err := hex.DecodeString(id[1:])
	return err == nil
}

// applyEarly applies the kept statuses of the message with this key, just
// recorded.
func (c *conversation) applyEarly(key string) {
	c.state.EarlyStatuses = slices.DeleteFunc(c.state.EarlyStatuses, func(req api.DeliveryStatusRequest) bool {
		if req.MessageID != key {
			return false
		}
		c.setStatus(c.outboundMessage(key), req.Status, req.Error)
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

// outboundMessage finds an agent's message by its id or its key (what
// callbacks and bounces name).
func (c *conversation) outboundMessage(id string) int {
	return slices.IndexFunc(c.state.Messages, func(m model.Message) bool {
		return (m.ID == id || m.Key == id) && m.Direction == model.Outbound
	})
}
