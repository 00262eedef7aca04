package desktop

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"outbound/internal/api"
	"outbound/internal/codes"
)

// Live updates. The workflows' state is the truth; the page re-reads it.
// What the desktop pushes (Server-Sent Events) is only a hint that something
// changed: a fingerprint of the agent's state and slots and of the change
// stamps of its conversations, the conversation on screen and its queues,
// as this process last heard them (changes.go). A reconnect, or another
// desktop process, starts from the fingerprint the page was rendered with,
// so nothing is missed.
const liveHeartbeat = 15 * time.Second

// watch fingerprints what one page shows. It re-reads the agent's slots (a
// query) only when the agent's stamp moved. The conversation on screen is
// set only once the agent may see it (mayWatch): nothing else is followed
// for a page.
type watch struct {
	a            agentRequest
	changes      *changes
	conversation string
	read         bool // the agent's state was read
	agentStamp   int64
	state        api.AgentState // as last read, after the agent's stamp
}

func (w *watch) fingerprint(ctx context.Context) (string, error) {
	at := w.changes.versionOf(ctx, w.agentID(), false)
	if !w.read || at != w.agentStamp {
		st, err := agentState(ctx, w.a)
		if err != nil {
			return "", err
		}
		w.read, w.agentStamp, w.state = true, at, st
	}
	// The agent's part is what the page shows of it, as read, not its
	// stamp: processes that heard different stamps agree on the page.
	h := fnv.New64a()
	fmt.Fprintf(h, "%s;", w.state.State)
	for _, slot := range w.state.Slots {
		fmt.Fprintf(h, "%s/%s/%s;", slot.Conversation, slot.Role, slot.WrapUpDue)
	}
	for _, id := range w.conversations() {
		fmt.Fprintf(h, "%s=%d;", id, w.changes.versionOf(ctx, id, true))
	}
	for _, id := range w.queues() {
		fmt.Fprintf(h, "%s=%d;", id, w.changes.versionOf(ctx, id, false))
	}
	return strconv.FormatUint(h.Sum64(), 36), nil
}

func (w *watch) agentID() string { return api.AgentWorkflowID(w.a.Tenant, w.a.Agent) }

// shown lists the workflows the page shows: the agent's, its
// conversations, the one on screen and its queues.
func (w *watch) shown() []string {
	return slices.Concat([]string{w.agentID()}, w.conversations(), w.queues())
}

// conversations are the agent's and the one on screen.
func (w *watch) conversations() []string {
	var ids []string
	for _, slot := range w.state.Slots {
		ids = append(ids, workflowOf(slot.Conversation))
	}
	if c := workflowOf(w.conversation); c != "" && !slices.Contains(ids, c) {
		ids = append(ids, c)
	}
	return ids
}

func (w *watch) queues() []string {
	var ids []string
	for _, q := range w.state.Config.Queues {
		ids = append(ids, api.QueueWorkflowID(w.a.Tenant, q))
	}
	return ids
}

// mayWatch reports whether the agent may see conversation id, checked
// before anything of it is followed (found: any id was followed first, so
// random ids made the desktop poll the server, and an agent was told when
// another tenant's conversation changed). Its own conversations (its slots)
// are; another tenant's are not, and are not even read; any other is read
// and checked as a page would be (visible).
func mayWatch(ctx context.Context, a agentRequest, st api.AgentState, id string) (bool, error) {
	if id == "" || slices.ContainsFunc(st.Slots, func(s api.Slot) bool { return s.Conversation == id }) {
		return true, nil
	}
	if api.ConversationTenant(id) != a.Tenant {
		return false, nil
	}
	conv, err := a.client.Show(ctx, id)
	if codes.Is(err, codes.BadRequest) || codes.Is(err, codes.ConversationClosed) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return conv.Tenant == a.Tenant && visible(conv, a.Agent, st.Config.Queues), nil
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
	if !s.streams.open(a.Tenant + "/" + a.Agent) {
		http.Error(w, "too many live pages open; close some", http.StatusTooManyRequests)
		return
	}
	defer s.streams.close(a.Tenant + "/" + a.Agent)
	page, err := s.watchConversation(r.Context(), a, r.FormValue("id"))
	if err != nil {
		s.failOrNotFound(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	known := r.FormValue("since")
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	// The stream is not the agent's activity: it ends when the session would
	// time out, and the browser's reconnect is checked like any request.
	end := time.NewTimer(min(idleTimeout, time.Until(a.Signed.Add(absoluteTimeout))))
	defer end.Stop()
	changed := make(chan struct{}, 1)
	defer s.changes.unsubscribe(changed)
	for {
		if now, err := page.fingerprint(r.Context()); err == nil && now != known {
			known = now
			fmt.Fprintf(w, "event: changed\ndata: %s\n\n", now)
			flusher.Flush()
		}
		s.changes.subscribe(changed, page.shown())
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

// errHidden is a conversation the agent may not see: 404.
var errHidden = errors.New("desktop: not visible to the agent")

// watchConversation is the watch of a page showing conversation id (none:
// "") once the agent may see it, its agent's state read.
func (s *Server) watchConversation(ctx context.Context, a agentRequest, id string) (*watch, error) {
	page := &watch{a: a, changes: s.changes}
	if _, err := page.fingerprint(ctx); err != nil {
		return nil, err
	}
	if ok, err := mayWatch(ctx, a, page.state, id); err != nil || !ok {
		return nil, cmp.Or(err, errHidden)
	}
	page.conversation = id
	return page, nil
}

func (s *Server) failOrNotFound(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errHidden) {
		http.NotFound(w, r)
		return
	}
	s.fail(w, r, err)
}

// Live pages a desktop process serves at most: per agent (tabs), and in all.
const (
	streamsPerAgent = 8
	streamsInAll    = 2000
)

// streams counts the open event streams, per agent and in all.
type streams struct {
	mu      sync.Mutex
	total   int
	byAgent map[string]int
}

func (s *streams) open(agent string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total >= streamsInAll || s.byAgent[agent] >= streamsPerAgent {
		return false
	}
	s.total++
	s.byAgent[agent]++
	return true
}

func (s *streams) close(agent string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total--
	if s.byAgent[agent]--; s.byAgent[agent] == 0 {
		delete(s.byAgent, agent)
	}
}
