package desktop

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// histories follows the histories of the workflows the pages of one desktop
// process show: one long poll per workflow (GetWorkflowExecutionHistory,
// waiting for new events), however many pages show it. The server answers
// a long poll as soon as the workflow records an event, so a page hears of
// a change at once, and a workflow where nothing happens costs one call
// each time the server's long-poll timeout (20 s) passes. No worker is
// involved. A workflow no page has asked about for a while is let go.
type histories struct {
	temporal client.Client

	mu      sync.Mutex
	watched map[string]*followed
	changed chan struct{} // closed, and replaced, at every change
}

type followed struct {
	length int64     // events of the current run, -1 while there is none
	asked  time.Time // when a page last asked
}

const (
	unwatchAfter  = time.Minute     // not asked for so long: stop following
	recheckClosed = 2 * time.Second // a closed or missing workflow: look for a new run this often
)

func newHistories(c client.Client) *histories {
	return &histories{temporal: c, watched: map[string]*followed{}, changed: make(chan struct{})}
}

// length is the workflow's history length as last heard, following it from
// now on if nobody did.
func (h *histories) length(ctx context.Context, workflowID string) int64 {
	h.mu.Lock()
	f, ok := h.watched[workflowID]
	if ok {
		f.asked = time.Now()
		n := f.length
		h.mu.Unlock()
		return n
	}
	h.mu.Unlock()
	n, _, _ := h.describe(ctx, workflowID)
	h.mu.Lock()
	defer h.mu.Unlock()
	if f, ok := h.watched[workflowID]; ok { // another page started first
		return f.length
	}
	h.watched[workflowID] = &followed{length: n, asked: time.Now()}
	go h.follow(workflowID)
	return n
}

// changes fires at the next change of any followed history.
func (h *histories) changes() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

func (h *histories) set(workflowID string, n int64, onlyIfLonger bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := h.watched[workflowID]
	if f == nil || f.length == n || (onlyIfLonger && n < f.length) {
		return
	}
	f.length = n
	close(h.changed)
	h.changed = make(chan struct{})
}

// unused stops following a workflow no page asked about for a while.
func (h *histories) unused(workflowID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if time.Since(h.watched[workflowID].asked) < unwatchAfter {
		return false
	}
	delete(h.watched, workflowID)
	return true
}

// follow long-polls the workflow's current run to its end, then looks for
// the next run (continue-as-new, or a new conversation with the customer),
// until no page asks about it.
func (h *histories) follow(workflowID string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		tick := time.NewTicker(unwatchAfter / 2)
		defer tick.Stop()
		for range tick.C {
			if h.unused(workflowID) {
				cancel()
				return
			}
		}
	}()
	for ctx.Err() == nil {
		n, running, err := h.describe(ctx, workflowID)
		h.set(workflowID, n, false)
		if err != nil || !running {
			sleepCtx(ctx, recheckClosed)
			continue
		}
		events := h.temporal.GetWorkflowHistory(ctx, workflowID, "", true, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for events.HasNext() {
			e, err := events.Next()
			if err != nil {
				sleepCtx(ctx, recheckClosed) // then read the run again
				break
			}
			h.set(workflowID, e.GetEventId(), true)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func (h *histories) describe(ctx context.Context, workflowID string) (length int64, running bool, err error) {
	d, err := h.temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return -1, false, nil
	}
	if err != nil {
		return -1, false, err
	}
	info := d.GetWorkflowExecutionInfo()
	return info.GetHistoryLength(), info.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING, nil
}
