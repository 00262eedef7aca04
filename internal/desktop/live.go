package desktop

import (
	"context"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"time"

	"outbound/internal/api"
)

// Live updates. The workflows' state is the truth; the page re-reads it.
// What the desktop pushes (Server-Sent Events) is only a hint that something
// changed: a fingerprint of the agent's state and slots and of the history
// lengths of its conversations, the conversation on screen and its queues,
// as this process's histories (histories.go) last heard them. A reconnect, or
// another desktop process, starts from the fingerprint the page was
// rendered with, so nothing is missed.
const liveHeartbeat = 15 * time.Second

// watch fingerprints what one page shows. It re-reads the agent's slots (a
// query) only when the agent's own history grew.
type watch struct {
	a            agentRequest
	histories    *histories
	conversation string
	agentLength  int64
	state        api.AgentState // as last read, after the agent's length
	shown        []string       // workflow IDs besides the agent's
}

func (w *watch) fingerprint(ctx context.Context) (string, error) {
	agentID := api.AgentWorkflowID(w.a.Tenant, w.a.Agent)
	n := w.histories.length(ctx, agentID)
	if w.shown == nil || n != w.agentLength {
		st, err := agentState(ctx, w.a)
		if err != nil {
			return "", err
		}
		w.shown, w.agentLength, w.state = []string{}, n, st
		for _, slot := range st.Slots {
			w.shown = append(w.shown, workflowOf(slot.Conversation))
		}
		if c := workflowOf(w.conversation); c != "" && !slices.Contains(w.shown, c) {
			w.shown = append(w.shown, c)
		}
		for _, q := range st.Config.Queues {
			w.shown = append(w.shown, api.QueueWorkflowID(w.a.Tenant, q))
		}
	}
	// The agent's part is what the page shows of it, not its history
	// length: a slot check that frees nothing grows the history and changes
	// nothing on screen.
	h := fnv.New64a()
	fmt.Fprintf(h, "%s;", w.state.State)
	for _, slot := range w.state.Slots {
		fmt.Fprintf(h, "%s/%s/%s;", slot.Conversation, slot.Role, slot.WrapUpDue)
	}
	for _, id := range w.shown {
		fmt.Fprintf(h, "%s=%d;", id, w.histories.length(ctx, id))
	}
	return strconv.FormatUint(h.Sum64(), 36), nil
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
	known, page := r.FormValue("since"), s.watch(a, r.FormValue("id"))
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	// The stream is not the agent's activity: it ends when the session would
	// time out, and the browser's reconnect is checked like any request.
	end := time.NewTimer(min(idleTimeout, time.Until(a.Signed.Add(absoluteTimeout))))
	defer end.Stop()
	for {
		changed := s.histories.changes()
		if now, err := page.fingerprint(r.Context()); err == nil && now != known {
			known = now
			fmt.Fprintf(w, "event: changed\ndata: %s\n\n", now)
			flusher.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-end.C:
			return
		case <-beat.C: // also keeps this page's workflows followed
			fmt.Fprint(w, ": still here\n\n")
			flusher.Flush()
		case <-changed:
		}
	}
}

func (s *Server) watch(a agentRequest, conversation string) *watch {
	return &watch{a: a, histories: s.histories, conversation: conversation}
}
