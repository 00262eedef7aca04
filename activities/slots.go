package activities

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"outbound/internal/api"
)

// CheckSlots finds the agent's slots held for conversations that ended
// without telling the agent (terminated, timed out or failed; reset to a
// point before the agent was involved) so the agent can give them back.
// A conversation that ended before the asking workflow task began has told
// the agent by then if it could, so its slot is dead, whatever the ending.
func (a *Activities) CheckSlots(ctx context.Context, req api.SlotCheckRequest) ([]api.DeadSlot, error) {
	var dead []api.DeadSlot
	for _, s := range req.Slots {
		why, ended, err := a.slotDead(ctx, req, s)
		if err != nil {
			return nil, err
		}
		if why != "" {
			dead = append(dead, api.DeadSlot{Conversation: s.Conversation, Since: s.Since, Why: why, Ended: ended})
		}
	}
	return dead, nil
}

func (a *Activities) slotDead(ctx context.Context, req api.SlotCheckRequest, s api.Slot) (why string, ended bool, err error) {
	workflowID, firstRunID, ok := api.SplitConversationID(s.Conversation)
	if !ok {
		return "not a conversation id", true, nil
	}
	d, err := a.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return "the conversation no longer exists", true, nil
	}
	if err != nil {
		return "", false, err
	}
	info := d.GetWorkflowExecutionInfo()
	switch {
	case info.GetFirstRunId() != firstRunID:
		// A later conversation with the customer runs under the workflow
		// ID: this one ended before it started.
		if info.GetStartTime().AsTime().Before(req.Asked) {
			return "the conversation ended; another one with the customer began", true, nil
		}
		return "", false, nil
	case info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		if info.GetCloseTime().AsTime().Before(req.Asked) {
			return "the conversation " + statusWord(info.GetStatus()) + " without giving the slot back", true, nil
		}
		return "", false, nil
	case req.Asked.Sub(s.Since) < req.Grace:
		return "", false, nil // its conversation may not have recorded the agent yet
	}
	st, err := api.ConversationQuery.Get(ctx, a.Temporal, workflowID)
	if err != nil {
		return "", false, err
	}
	if !namesAgent(st, req.Agent) {
		return "the conversation no longer names the agent (its offer ended, or it was reset)", false, nil
	}
	return "", false, nil
}

func namesAgent(st api.ConversationState, agent string) bool {
	if st.Owner == agent {
		return true
	}
	t := st.PendingTransfer
	return t != nil && (t.From == agent || t.OfferedTo == agent)
}

func statusWord(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "was terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "timed out"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "was canceled"
	}
	return "ended"
}
