package conversations

import (
	"context"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"outbound/internal/address"
	"outbound/internal/directory"
	"outbound/internal/model"
)

// StartOptions is an agent's new outbound conversation.
type StartOptions struct {
	Agent      string
	Channel    string
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
	ch := directory.Channel(o.Channel)
	if !ch.Valid() {
		return "", BadRequest("channel must be sms or email, not %q", o.Channel)
	}
	to, err := address.Normalize(ch, o.To)
	if err != nil {
		return "", err
	}
	req := model.StartRequest{
		Tenant: tenant, Agent: o.Agent, Channel: o.Channel, EntryPoint: o.EntryPoint, To: to,
		Subject: o.Subject, First: o.First, ContinueAsNewAfter: o.ContinueAsNewAfter,
	}
	start := c.Temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       model.ConversationWorkflowID(tenant, o.EntryPoint, address.Key(c.IDKey, to)),
		TaskQueue:                model.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		StaticSummary:            summary(o, to),
	}, model.ConversationWorkflow, model.ConversationInput{Start: &req})
	return c.open(ctx, start)
}

// open starts a conversation and waits for its start rules to answer.
func (c *Client) open(ctx context.Context, start client.WithStartWorkflowOperation) (string, error) {
	handle, err := c.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   model.OpOpen,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return "", translate(err)
	}
	var id string
	err = handle.Get(ctx, &id) // before id is read: Go leaves "return id, f(&id)" unordered
	return id, translate(err)
}

// summary is the one line the Web UI shows for the workflow; the customer
// address is masked to its last four characters.
func summary(o StartOptions, to string) string {
	masked := "…" + to[max(0, len(to)-4):]
	if o.Channel == string(directory.Email) {
		masked = "…@" + to[strings.LastIndex(to, "@")+1:]
	}
	return strings.ToUpper(o.Channel) + " · " + o.EntryPoint + " → " + masked + " · " + o.Agent
}

// inboundSummary is the UI line of a conversation the customer started.
func inboundSummary(req model.StartRequest) string {
	return summary(StartOptions{Channel: req.Channel, EntryPoint: req.EntryPoint, Agent: "queue"}, req.To)
}
