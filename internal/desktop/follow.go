package desktop

import (
	"context"
	"sync/atomic"
	"time"

	"go.temporal.io/api/enums/v1"

	"outbound/internal/api"
)

// coldAfter is how long a followed conversation must have recorded no event
// for the desk to let go of its long poll: twice api.ConversationQuiet, so
// that any change after it, even one the poll was about to return, is
// stamped (workflows/live.go).
const coldAfter = 2 * api.ConversationQuiet

// follow long-polls a conversation's history (GetWorkflowExecutionHistory
// waiting for new events) while it changes, across its runs, and tells its
// pages each time it grows. It lets go once the conversation has been
// quiet for coldAfter, when its run ended, or when no page asks about it;
// a stamp heard meanwhile (rewake) has it look again.
func (c *changes) follow(workflowID string) {
	for c.followRuns(workflowID) {
	}
}

// followRuns follows until quiet, and says whether to follow again.
func (c *changes) followRuns(workflowID string) bool {
	ctx, cancel := context.WithCancel(c.life)
	defer cancel()
	var lastEvent atomic.Int64
	lastEvent.Store(time.Now().UnixNano())
	go func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if time.Since(time.Unix(0, lastEvent.Load())) >= coldAfter || !c.isWatched(workflowID) {
				cancel()
				return
			}
		}
	}()
	for ctx.Err() == nil {
		d, err := c.describe(ctx, workflowID)
		if err != nil {
			sleepCtx(ctx, time.Second)
			continue
		}
		c.grew(workflowID, d.length, true)
		if !d.running {
			break // a new run stamps its first change
		}
		events := c.temporal.GetWorkflowHistory(ctx, workflowID, "", true, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for events.HasNext() {
			e, err := events.Next()
			if err != nil {
				sleepCtx(ctx, time.Second) // then read the run again
				break
			}
			lastEvent.Store(time.Now().UnixNano())
			c.grew(workflowID, e.GetEventId(), false)
		}
	}
	return c.cooled(workflowID)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// grew records a conversation's history length and tells its pages: the
// current run's as described (a new run's is shorter), or an event's.
func (c *changes) grew(workflowID string, length int64, described bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if w := c.watched[workflowID]; w != nil && (w.length < length || described && w.length != length) {
		w.length = length
		w.tell()
	}
}

func (c *changes) isWatched(workflowID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.watched[workflowID] != nil
}

// cooled ends a follow, unless a stamp came meanwhile.
func (c *changes) cooled(workflowID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.watched[workflowID]
	if w == nil || c.life.Err() != nil {
		return false
	}
	if w.rewake {
		w.rewake = false
		return true
	}
	w.hot = false
	return false
}
