package conversations

import (
	"context"
	"errors"

	"outbound/internal/model"
)

// InboundMessage is a customer message as a channel delivered it.
type InboundMessage struct {
	Channel string // sms or email
	To      string // the entry point's address the customer wrote to
	From    string // the customer's address
	Thread  string // the conversation id the email headers name, if any
	model.CustomerMessage
}

// Inbound routes a customer message (rule 10): into the conversation it
// threads into, else the open conversation with this customer on this entry
// point, else a new conversation that waits in the entry point's queue and
// inherits the previous history (rule 16). It returns the conversation id.
func (c *Client) Inbound(ctx context.Context, m InboundMessage) (string, error) {
	return "", errors.New("not implemented yet")
}

// DeliveryStatus records a provider's status callback for an outbound message.
func (c *Client) DeliveryStatus(ctx context.Context, conversation, messageID, status, errText string) error {
	return c.do(ctx, Sync, conversation, model.OpStatus, model.DeliveryStatusRequest{
		Conversation: conversation, MessageID: messageID, Status: status, Error: errText,
	}, nil)
}
