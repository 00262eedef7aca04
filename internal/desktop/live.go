package desktop

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"time"

	"outbound/internal/api"
)

// Live updates. The workflows' state is the truth; the page re-reads it.
// What the desktop pushes (Server-Sent Events) is only a hint that something
// changed: a fingerprint of the history lengths of the agent's workflow, its
// conversations, the conversation on screen and its queues, read with
// DescribeWorkflowExecution (the server answers from its own state; no
// worker is involved). A reconnect, or another desktop process, starts from
// the fingerprint the page was rendered with, so nothing is missed.
const (
	livePoll      = 300 * time.Millisecond
	liveHeartbeat = 15 * time.Second
)

// watch fingerprints what one page shows. It re-reads the agent's slots (a
// query) only when the agent's own history grew; otherwise a poll is one
// DescribeWorkflowExecution per workflow shown.
type watch struct {
	a            agentRequest
	conversation string
	agentLength  int64
	state        api.AgentState // as last read, after the agent's length
	shown        []string       // workflow IDs besides the agent's
}

func (w *watch) fingerprint(ctx context.Context) (string, error) {
	agentID := api.AgentWorkflowID(w.a.Tenant, w.a.Agent)
	n := historyLength(ctx, w.a, agentID)
	if w.shown == nil || n != w.agentLength {
		st, err := agentState(ctx, w.a)
		if err != nil {
			return "", err
		}
		w.shown, w.agentLength, w.state = []string{}, n, st
		for _, slot := range st.Slots {
			w.shown = append(w.shown, workflowOf(slot.Conversation))
		}
		if w.conversation != "" {
			w.shown = append(w.shown, workflowOf(w.conversation))
		}
		for _, q := range st.Config.Queues {
			w.shown = append(w.shown, api.QueueWorkflowID(w.a.Tenant, q))
		}
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s=%d;", agentID, n)
	for _, id := range w.shown {
		fmt.Fprintf(h, "%s=%d;", id, historyLength(ctx, w.a, id))
	}
	return strconv.FormatUint(h.Sum64(), 36), nil
}

// historyLength is the workflow's history length, -1 if it does not run yet.
func historyLength(ctx context.Context, a agentRequest, workflowID string) int64 {
	d, err := a.client.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return -1
	}
	return d.GetWorkflowExecutionInfo().GetHistoryLength()
}

func workflowOf(conversation string) string {
	id, _, _ := api.SplitConversationID(conversation)
	return id
}

// events streams "changed" whenever the fingerprint differs from the last
// one the page knows (?since=, the one it was rendered with).
func (s *Server) events(w http.ResponseWriter, r *http.Request, a agentRequest) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	known, page := r.FormValue("since"), &watch{a: a, conversation: r.FormValue("id")}
	poll, beat := time.NewTicker(livePoll), time.NewTicker(liveHeartbeat)
	defer poll.Stop()
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			fmt.Fprint(w, ": still here\n\n")
		case <-poll.C:
			now, err := page.fingerprint(r.Context())
			if err != nil || now == known {
				continue
			}
			known = now
			fmt.Fprintf(w, "event: changed\ndata: %s\n\n", now)
		}
		flusher.Flush()
	}
}
