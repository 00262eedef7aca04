// Package api is the contract of each entity workflow, one file each:
// Conversation, Agent, Customer and Directory. A file names the workflow and
// its ID, lists the operations it answers, each either an Update (the caller
// needs the answer or the refusal) or a Signal (a notification), holds their
// request and response types and the workflow's state, and has the only
// client helpers that reach it. Workflows register their handlers through
// the same values, so an operation's name and types are written once.
package api

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/workflow"
)

// TaskQueue is the one task queue every entity workflow and activity runs on.
const TaskQueue = "outbound"

// Update is an operation whose caller needs the answer or the refusal: the
// workflow's validator may reject it before anything is recorded, and the
// client waits for the handler's result.
type Update[Req, Res any] string

// Signal is a notification: the sender needs no answer, and the workflow
// applies a name's signals one at a time, in arrival order.
type Signal[Req any] string

// Query reads a workflow's state.
type Query[Res any] string

// Request identifies one request of a caller. Its retries carry the same id,
// which is also the update's ID: the server runs an update ID once per run,
// and the workflow remembers the answers it gave (for RetryWindow, across
// continue-as-new), so a retry acts once and gets the first answer.
type Request struct {
	RequestID string `json:"requestId,omitempty"`
}

// RetryWindow is how long a workflow remembers a request's answer.
const RetryWindow = time.Hour

// ID is the request's id ("" for none).
func (r Request) ID() string { return r.RequestID }

// updateID is the request's id, or a fresh one for a request without.
func updateID(req any) string {
	if r, ok := req.(interface{ ID() string }); ok && r.ID() != "" {
		return r.ID()
	}
	return uuid.NewString()
}

// Start is how a client starts an entity's workflow when it is not running.
type Start struct {
	Options  client.StartWorkflowOptions
	Workflow string
	Input    any
}

// updateAttempts bounds the tries of an update that found no workflow task to
// take it (WorkflowNotReady: the task that would have taken it failed, e.g.
// because the run was continuing as new as it arrived; it was never accepted).
const updateAttempts = 5

// Call runs the update on the running workflow and returns its answer. Every
// attempt carries the same update ID (the request's id), so the server runs it
// at most once.
func (u Update[Req, Res]) Call(ctx context.Context, c client.Client, workflowID string, req Req) (Res, error) {
	opts := client.UpdateWorkflowOptions{
		UpdateID:     updateID(req),
		WorkflowID:   workflowID,
		UpdateName:   string(u),
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	}
	var out Res
	for attempt := 1; ; attempt++ {
		handle, err := c.UpdateWorkflow(ctx, opts)
		if err == nil {
			err = handle.Get(ctx, &out)
		}
		var notReady *serviceerror.WorkflowNotReady
		if !errors.As(err, &notReady) || attempt == updateAttempts {
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, err
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
}

// CallWithStart starts the workflow unless it runs (as start's conflict
// policy says) and runs the update on it, in one call (Update-With-Start).
func (u Update[Req, Res]) CallWithStart(ctx context.Context, c client.Client, start Start, req Req) (Res, error) {
	var out Res
	op := c.NewWithStartWorkflowOperation(start.Options, start.Workflow, start.Input)
	handle, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID:     updateID(req),
			UpdateName:   string(u),
			Args:         []any{req},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return out, err
	}
	err = handle.Get(ctx, &out)
	return out, err
}

// Handle registers the workflow's handler of the update and, unless it is
// nil, its validator.
func (u Update[Req, Res]) Handle(ctx workflow.Context, handle func(workflow.Context, Req) (Res, error), validate func(Req) error) {
	var opts workflow.UpdateHandlerOptions
	if validate != nil {
		opts.Validator = validate
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, string(u), handle, opts); err != nil {
		panic(err) // only on a duplicate name: a programming error
	}
}

// Send signals the running workflow.
func (s Signal[Req]) Send(ctx context.Context, c client.Client, workflowID string, req Req) error {
	return c.SignalWorkflow(ctx, workflowID, "", string(s), req)
}

// SendWithStart starts the workflow unless it runs and signals it.
func (s Signal[Req]) SendWithStart(ctx context.Context, c client.Client, start Start, req Req) error {
	_, err := c.SignalWithStartWorkflow(ctx, start.Options.ID, string(s), req, start.Options, start.Workflow, start.Input)
	return err
}

// External signals another workflow from workflow code.
func (s Signal[Req]) External(ctx workflow.Context, workflowID string, req Req) workflow.Future {
	return workflow.SignalExternalWorkflow(ctx, workflowID, "", string(s), req)
}

// Get queries the workflow's current run.
func (q Query[Res]) Get(ctx context.Context, c client.Client, workflowID string) (Res, error) {
	var out Res
	resp, err := c.QueryWorkflow(ctx, workflowID, "", string(q))
	if err != nil {
		return out, err
	}
	err = resp.Get(&out)
	return out, err
}

// Handle registers the workflow's answer to the query.
func (q Query[Res]) Handle(ctx workflow.Context, answer func() Res) {
	if err := workflow.SetQueryHandler(ctx, string(q), func() (Res, error) { return answer(), nil }); err != nil {
		panic(err)
	}
}
