package conversations

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/model"
)

// ErrArchiveUnavailable: the conversation's older messages are archived and
// this client has no archive reader. Show still answers the rest of the state.
var ErrArchiveUnavailable = errors.New("the transcript is partly archived in the S3 bucket, and this client has no archive configured: " +
	"set S3_BUCKET (with S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY, S3_PATH_STYLE as the worker has them) and the worker's OUTBOUND_CODEC_KEYS")

// Show returns a conversation: the live state while it runs, its final state
// once closed (following continue-as-new), with the wrap-up outcome from the
// agent who holds it and the whole transcript: archived pages first, then
// the messages the state carries (Archived stays set, so callers see it was
// paged). Without an archive reader, an archived conversation answers its
// state with the carried messages only and ErrArchiveUnavailable.
func (c *Client) Show(ctx context.Context, id string) (api.ConversationState, error) {
	workflowID, firstRunID, err := split(id)
	if err != nil {
		return api.ConversationState{}, err
	}
	state, err := c.current(ctx, workflowID, firstRunID)
	if err != nil {
		return state, err
	}
	c.fillWrapUp(ctx, &state)
	if err := c.unarchive(ctx, &state); err != nil {
		return state, err
	}
	c.fillLateStatuses(ctx, &state)
	return state, nil
}

// fillLateStatuses applies the delivery statuses that came after the
// conversation closed, which its customer's record keeps: a message delivered
// or failed after the close does not show as only "sent".
func (c *Client) fillLateStatuses(ctx context.Context, state *api.ConversationState) {
	record, ok := api.CustomerWorkflowIDOf(state.ID)
	if state.Status != api.StatusClosed || !ok {
		return
	}
	cu, err := api.CustomerQuery.Get(ctx, c.Temporal, record)
	if err != nil {
		return // the transcript shows the statuses it recorded
	}
	for _, conv := range cu.Conversations {
		if conv.ID != state.ID {
			continue
		}
		for _, late := range conv.LateStatuses {
			for i := range state.Messages {
				// A callback names the message by its key; one of the last
				// messages the record keeps is listed by its id.
				if m := &state.Messages[i]; (m.ID == late.MessageID || m.Key == late.MessageID) && m.Direction == model.Outbound {
					m.Advance(late.Status, late.Error)
				}
			}
		}
	}
}

// unarchive puts the archived pages before the carried messages.
func (c *Client) unarchive(ctx context.Context, state *api.ConversationState) error {
	if len(state.Archived) == 0 {
		return nil
	}
	if c.Archive == nil {
		return ErrArchiveUnavailable
	}
	var all []model.Message
	for i, p := range state.Archived {
		msgs, err := c.Archive.Load(ctx, p)
		if err != nil {
			return fmt.Errorf("read archived transcript page %d of %d: %w", i+1, len(state.Archived), err)
		}
		all = append(all, msgs...)
	}
	state.Messages = append(all, state.Messages...)
	return nil
}

func (c *Client) current(ctx context.Context, workflowID, firstRunID string) (api.ConversationState, error) {
	var state api.ConversationState
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return state, notFound(err)
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && info.GetFirstRunId() == firstRunID {
		return api.ConversationQuery.Get(ctx, c.Temporal, workflowID)
	}
	if err := c.Temporal.GetWorkflow(ctx, workflowID, firstRunID).Get(ctx, &state); err != nil {
		return state, notFound(err)
	}
	if state.Status == api.StatusRefused {
		return state, codes.New(codes.ConversationClosed, "no such conversation: its start was refused (%s)", state.RefusedCode)
	}
	return state, nil
}

// fillWrapUp completes a wrap-up the conversation only saw begin.
func (c *Client) fillWrapUp(ctx context.Context, state *api.ConversationState) {
	w := state.WrapUp
	if w == nil || w.Reason != "" {
		return
	}
	ag, err := api.AgentQuery.Get(ctx, c.Temporal, api.AgentWorkflowID(state.Tenant, w.Agent))
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
		return codes.New(codes.BadRequest, "no such conversation")
	}
	return err
}
