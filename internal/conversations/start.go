package conversations

import (
	"context"
	"strings"
	"time"

	"outbound/internal/address"
	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// StartOptions is an agent's new outbound conversation.
type StartOptions struct {
	Agent      string
	Channel    model.Channel
	To         string
	EntryPoint string
	Subject    string
	First      *model.Compose
	// ContinueAsNewAfter lowers the history length that triggers continue-as-new (tests, benchmarks).
	ContinueAsNewAfter int
}

// Start opens a conversation and returns its id once the start rules passed
// (rules 1–8), or the refusal. Update-with-start gives the answer in one call;
// the workflow ID makes the server refuse a second open conversation.
func (c *Client) Start(ctx context.Context, o StartOptions) (string, error) {
	tenant, err := c.tenant(ctx)
	if err != nil {
		return "", err
	}
	if !o.Channel.Valid() {
		return "", codes.New(codes.BadRequest, "channel must be sms or email, not %q", o.Channel)
	}
	to, err := address.Normalize(o.Channel, o.To)
	if err != nil {
		return "", err
	}
	req := api.StartRequest{
		Tenant: tenant, Agent: o.Agent, Channel: o.Channel, EntryPoint: o.EntryPoint, To: to,
		Subject: o.Subject, First: o.First, ContinueAsNewAfter: o.ContinueAsNewAfter, Request: request(ctx),
	}
	workflowID := api.ConversationWorkflowID(tenant, o.EntryPoint, address.Key(c.IDKey, to))
	return c.open(ctx, workflowID, req, summary(o.Channel, o.EntryPoint, to, o.Agent))
}

// open starts a conversation and waits for its start rules to answer,
// retried with the start's request id until it has an answer: a retry reaches
// the conversation its first attempt started.
func (c *Client) open(ctx context.Context, workflowID string, req api.StartRequest, summary string) (string, error) {
	start := api.ConversationStart(workflowID, req, summary)
	id, err := retry(ctx, req.ID(), func(ctx context.Context) (string, error) {
		id, err := api.ConversationOpen.CallWithStart(ctx, c.Temporal, start, api.OpenRequest{Request: req.Request})
		if _, _, refused := codes.Of(err); err != nil && !refused {
			// Found by the cluster's fault test: the open update can be lost
			// with a workflow task a killed worker held, and its retries then
			// wait on it forever. The conversation itself tells whether it
			// opened for this request.
			if id, ok := c.openedFor(ctx, workflowID, req.ID()); ok {
				return id, nil
			}
		}
		return id, err
	})
	return id, translate(err)
}

// openedFor answers the id of the running conversation of workflowID if
// request started it and its start rules passed.
func (c *Client) openedFor(ctx context.Context, workflowID, request string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	st, err := api.ConversationQuery.Get(ctx, c.Temporal, workflowID)
	if err != nil || st.StartRequestID != request || st.Status == api.StatusOpening || st.Status == api.StatusRefused {
		return "", false
	}
	return st.ID, true
}

// summary is the one line the Web UI shows for the workflow; the customer
// address is masked to its last four characters (email: its domain).
func summary(ch model.Channel, entryPoint, to, agent string) string {
	masked := "…" + to[max(0, len(to)-4):]
	if ch == model.Email {
		masked = "…@" + to[strings.LastIndex(to, "@")+1:]
	}
	return strings.ToUpper(string(ch)) + " · " + entryPoint + " → " + masked + " · " + agent
}
