package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

// deadlineTimer rings at the earliest of some deadlines (the agent's
// wrap-ups, a queue's exclusions). It is kept while that deadline stands and
// cancelled when it moves or none is left, so a wrap-up the agent ended
// leaves no timer to wake the workflow later.
type deadlineTimer struct {
	summary string
	due     time.Time
	ring    workflow.Future
	cancel  workflow.CancelFunc
}

func (t *deadlineTimer) aim(ctx workflow.Context, due time.Time, pending bool) {
	if t.ring != nil && !t.ring.IsReady() && pending && due.Equal(t.due) {
		return
	}
	if t.cancel != nil {
		t.cancel()
		t.ring, t.cancel = nil, nil
	}
	if !pending {
		return
	}
	timerCtx, cancel := workflow.WithCancel(ctx)
	t.due, t.cancel = due, cancel
	t.ring = workflow.NewTimerWithOptions(timerCtx, max(due.Sub(workflow.Now(ctx)), time.Millisecond),
		workflow.TimerOptions{Summary: t.summary})
}

func (t *deadlineTimer) rang() bool { return t.ring != nil && t.ring.IsReady() }
