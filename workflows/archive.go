package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/model"
)

// A run carries at most keepMessages and keepBytes of the transcript into the
// next one; older messages go to the archive in pages. Without this the
// carried state passes Temporal's 2 MiB payload limit (near 11,500 short
// messages, or 30 long ones) and the conversation is stuck: its state is also
// the query's answer and the workflow's result. Past stateBytes a run
// continues as new to archive. The kept tail is where late status callbacks
// and a provider's retried inbound message find their message.
const (
	keepMessages    = 200
	keepBytes       = 256 << 10
	stateBytes      = 1 << 20
	pageMessages    = 500
	pageBytes       = 512 << 10 // well under the payload limit of the activity's input
	messageOverhead = 200       // JSON field names, ids and times of one message
)

// archiveOlder moves all but the kept tail to the archive, once there are
// twice keepMessages messages or stateBytes, and reports whether it waited
// for it (once a run). A message still being delivered stays, and so does
// what follows it. A page that cannot be stored stays in the state and is
// tried again at the next continue-as-new: nothing is lost.
func (c *conversation) archiveOlder(ctx workflow.Context) bool {
	if c.archived || len(c.state.Messages) < 2*keepMessages && transcriptBytes(c.state.Messages) <= stateBytes {
		return false
	}
	c.archived = true
	older := c.state.Messages[:len(c.state.Messages)-keptTail(c.state.Messages)]
	if queued := slices.IndexFunc(older, func(m model.Message) bool { return m.Status == model.MessageQueued }); queued >= 0 {
		older = older[:queued]
	}
	for _, page := range pages(older) {
		req := model.ArchiveRequest{Tenant: c.state.Tenant, Conversation: c.state.ID, Page: len(c.state.Archived), Messages: page}
		summary := fmt.Sprintf("archive %d messages", len(page))
		var stored model.ArchivePage
		if err := workflow.ExecuteActivity(quick(ctx, summary), a.ArchiveMessages, req).Get(ctx, &stored); err != nil {
			workflow.GetLogger(ctx).Warn("transcript not archived; the messages stay in the state", "error", err)
			break
		}
		// Both at once: a query between two pages sees each message once.
		c.state.Archived = append(c.state.Archived, stored)
		c.state.Messages = c.state.Messages[len(page):]
	}
	c.state.Messages = slices.Clone(c.state.Messages)
	return true
}

// keptTail is how many of the last messages stay in the state: at most
// keepMessages and keepBytes, and at least one.
func keptTail(messages []model.Message) int {
	n, size := 0, 0
	for i := len(messages) - 1; i >= 0 && n < keepMessages; i-- {
		size += messageBytes(messages[i])
		if n > 0 && size > keepBytes {
			break
		}
		n++
	}
	return n
}

// transcriptBytes is about how much messages weigh in the state.
func transcriptBytes(messages []model.Message) int {
	size := 0
	for _, m := range messages {
		size += messageBytes(m)
	}
	return size
}

func messageBytes(m model.Message) int {
	return len(m.Text) + len(m.HTML) + len(m.Subject) + len(m.Error) + messageOverhead
}

// pages cuts messages into pages of at most pageMessages and about pageBytes.
func pages(messages []model.Message) [][]model.Message {
	var out [][]model.Message
	start, size := 0, 0
	for i, m := range messages {
		n := messageBytes(m)
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
