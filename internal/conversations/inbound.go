package conversations

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"outbound/internal/address"
	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// InboundMessage is a customer message as a channel delivered it.
type InboundMessage struct {
	Channel model.Channel
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
	tenant, ep, err := c.entryPointOf(ctx, m.Channel, m.To)
	if err != nil {
		return "", err
	}
	from, err := address.Normalize(ep.Channel, m.From)
	if err != nil {
		return "", err
	}
	workflowID := api.ConversationWorkflowID(tenant, ep.ID, address.Key(c.IDKey, from))
	// The thread comes from headers the sender controls: it counts only when
	// it names this customer's conversation on this entry point.
	if thread, _, ok := api.SplitConversationID(m.Thread); ok && thread == workflowID {
		if id, err := c.replyTo(ctx, m.Thread, m.CustomerMessage); !codes.Is(err, codes.ConversationClosed) {
			return id, err
		}
	}
	// A conversation may close, or another message open one, between the
	// steps: try again a few times, as the provider would.
	for range 3 {
		if id, ok, err := c.openConversation(ctx, workflowID); err != nil {
			return "", err
		} else if ok {
			if id, err := c.replyTo(ctx, id, m.CustomerMessage); !codes.Is(err, codes.ConversationClosed) {
				return id, err
			}
		}
		req := api.StartRequest{Tenant: tenant, Channel: ep.Channel, EntryPoint: ep.ID, To: from, Inbound: &m.CustomerMessage, Request: request(ctx)}
		id, err := c.open(ctx, workflowID, req, summary(ep.Channel, ep.ID, from, "queue"))
		if !codes.Is(err, codes.ActiveConversationExists) {
			return id, err
		}
	}
	return "", errors.New("the conversation kept changing while the message was routed; retry")
}

func (c *Client) replyTo(ctx context.Context, id string, msg model.CustomerMessage) (string, error) {
	_, err := c.ReplyMessage(ctx, Sync, id, msg)
	return id, err
}

// openConversation returns the id of the running conversation of a workflow ID.
func (c *Client) openConversation(ctx context.Context, workflowID string) (string, bool, error) {
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return "", false, nil
	}
	return api.ConversationID(workflowID, info.GetFirstRunId()), true, nil
}

// entryPointOf finds the tenant and entry point that own an address.
func (c *Client) entryPointOf(ctx context.Context, channel model.Channel, to string) (string, directory.EntryPoint, error) {
	dirs, err := c.Directories(ctx)
	if err != nil {
		return "", directory.EntryPoint{}, err
	}
	for _, name := range sortedTenants(dirs) {
		d := dirs[name]
		if ep, ok := d.EntryPointByAddress(channel, to); ok {
			return name, ep, nil
		}
	}
	return "", directory.EntryPoint{}, codes.New(codes.NoEntryPoint, "no %s entry point has this address", channel)
}
