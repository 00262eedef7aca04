package conversations

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"outbound/internal/codes"
	"outbound/internal/model"
)

// Show returns a conversation: the live state while it runs, its final state
// once closed (following continue-as-new), with the wrap-up outcome from the
// agent who holds it.
func (c *Client) Show(ctx context.Context, id string) (model.ConversationState, error) {
	workflowID, firstRunID, err := split(id)
	if err != nil {
		return model.ConversationState{}, err
	}
	state, err := c.current(ctx, workflowID, firstRunID)
	if err != nil {
		return state, err
	}
	c.fillWrapUp(ctx, &state)
	return state, nil
}

func (c *Client) current(ctx context.Context, workflowID, firstRunID string) (model.ConversationState, error) {
	var state model.ConversationState
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return state, notFound(err)
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && info.GetFirstRunId() == firstRunID {
		resp, err := c.Temporal.QueryWorkflow(ctx, workflowID, "", model.QueryState)
		if err != nil {
			return state, err
		}
		return state, resp.Get(&state)
	}
	if err := c.Temporal.GetWorkflow(ctx, workflowID, firstRunID).Get(ctx, &state); err != nil {
		return state, notFound(err)
	}
	if state.Status == model.StatusRefused {
		return state, codes.New(codes.ConversationClosed, "no such conversation: its start was refused (%s)", state.RefusedCode)
	}
	return state, nil
}

// fillWrapUp completes a wrap-up the conversation only saw begin.
func (c *Client) fillWrapUp(ctx context.Context, state *model.ConversationState) {
	w := state.WrapUp
	if w == nil || w.Reason != "" {
		return
	}
	ag, err := c.agentState(ctx, state.Tenant, w.Agent)
	if err != nil {
		return // the wrap-up shows as pending
	}
	for _, r := range ag.Recent {
		if r.Conversation == state.ID {
			w.Reason, w.Auto = r.Reason, r.Auto
		}
	}
}

func notFound(err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return BadRequest("no such conversation")
	}
	return err
}
