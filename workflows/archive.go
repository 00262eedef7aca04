package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/model"
)

// A run carries at most keepMessages of the transcript into the next one;
// older messages go to the archive in pages. Without this the carried state
// passes Temporal's 2 MiB payload limit near 11,500 messages and the
// conversation is stuck. The kept tail is where late status callbacks and a
// provider's retried inbound message find their message.
const (
	keepMessages    = 200
	pageMessages    = 500
	pageBytes       = 512 << 10 // well under the payload limit of the activity's input
	messageOverhead = 200       // JSON field names, ids and times of one message
)

// archiveOlder moves all but the last keepMessages messages to the archive,
// once there are twice as many, and reports whether it waited for it (once a
// run). A message still being delivered stays, and so does what follows it.
// A page that cannot be stored stays in the state and is tried again at the
// next continue-as-new: nothing is lost.
func (c *conversation) archiveOlder(ctx workflow.Context) bool {
	if c.archived || len(c.state.Messages) < 2*keepMessages {
		return false
	}
	c.archived = true
	older := c.state.Messages[:len(c.state.Messages)-keepMessages]
	if queued := slices.IndexFunc(older, func(m model.Message) bool { return m.Status == model.MessageQueued }); queued >= 0 {
		older = older[:queued]
	}
	moved := 0
	for _, page := range pages(older) {
		req := model.ArchiveRequest{Tenant: c.state.Tenant, Conversation: c.state.ID, Page: len(c.state.Archived), Messages: page}
		summary := fmt.Sprintf("archive %d messages", len(page))
		var stored model.ArchivePage
		if err := workflow.ExecuteActivity(quick(ctx, summary), a.ArchiveMessages, req).Get(ctx, &stored); err != nil {
			workflow.GetLogger(ctx).Warn("transcript not archived; the messages stay in the state", "error", err)
			break
		}
		c.state.Archived = append(c.state.Archived, stored)
		moved += len(page)
	}
	c.state.Messages = slices.Clone(c.state.Messages[moved:])
	return true
}

// pages cuts messages into pages of at most pageMessages and about pageBytes.
func pages(messages []model.Message) [][]model.Message {
	var out [][]model.Message
	start, size := 0, 0
	for i, m := range messages {
		n := len(m.Text) + len(m.HTML) + len(m.Subject) + len(m.Error) + messageOverhead
		if i > start && (i-start == pageMessages || size+n > pageBytes) {
			out = append(out, messages[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(messages) {
		out = append(out, messages[start:])
	}
	return out
}
