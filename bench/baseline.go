package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"outbound/internal/service"
)

// The baseline is the floor Temporal itself imposes on a conversation: one
// workflow per conversation that takes a signal per message and runs one
// no-op activity for it, on its own task queue and worker, on the same server.
const (
	baselineQueue    = "bench-baseline"
	baselineWorkflow = "BenchBaseline"
	baselineActivity = "BenchNoOp"
	baselineMessage  = "message"
	baselineClose    = "close"
)

// baselineMsg names one message of one baseline conversation.
type baselineMsg struct {
	Conversation string `json:"conversation"`
	N            int    `json:"n"`
}

// Baseline handles each message signal with one activity, in order, and
// completes on the close signal once every message was handled.
func Baseline(ctx workflow.Context) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	messages := workflow.GetSignalChannel(ctx, baselineMessage)
	closed := false
	handled := 0
	sel := workflow.NewSelector(ctx)
	var pending []baselineMsg
	sel.AddReceive(messages, func(c workflow.ReceiveChannel, _ bool) {
		var m baselineMsg
		c.Receive(ctx, &m)
		pending = append(pending, m)
	})
	sel.AddReceive(workflow.GetSignalChannel(ctx, baselineClose), func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(ctx, nil)
		closed = true
	})
	for !closed || messages.Len() > 0 {
		sel.Select(ctx)
		for len(pending) > 0 {
			m := pending[0]
			pending = pending[1:]
			if err := workflow.ExecuteActivity(ctx, baselineActivity, m).Get(ctx, nil); err != nil {
				return handled, err
			}
			handled++
		}
	}
	return handled, nil
}

// noOp is the baseline's activity; it tells the waiting client when it ran.
type noOp struct{ waiting sync.Map } // key → chan time.Time

func key(m baselineMsg) string { return fmt.Sprintf("%s#%d", m.Conversation, m.N) }

func (n *noOp) run(ctx context.Context, m baselineMsg) error {
	if ch, ok := n.waiting.LoadAndDelete(key(m)); ok {
		ch.(chan time.Time) <- time.Now()
	}
	return nil
}

// wait registers a message before its signal is sent.
func (n *noOp) wait(m baselineMsg) chan time.Time {
	ch := make(chan time.Time, 1)
	n.waiting.Store(key(m), ch)
	return ch
}

// startBaselineWorker runs the baseline on its own task queue, with the same
// worker options as the product's worker (service.WorkerOptions), so the
// ratio measures the workflows, not the poller count.
func startBaselineWorker(c client.Client) (*noOp, func(), error) {
	acts := &noOp{}
	w := worker.New(c, baselineQueue, service.WorkerOptions())
	w.RegisterWorkflowWithOptions(Baseline, workflow.RegisterOptions{Name: baselineWorkflow})
	w.RegisterActivityWithOptions(acts.run, activity.RegisterOptions{Name: baselineActivity})
	if err := w.Start(); err != nil {
		return nil, nil, fmt.Errorf("baseline worker: %w", err)
	}
	return acts, w.Stop, nil
}

// baselineConversation runs one baseline conversation: start, the messages
// one after another (each waits for its activity), close, result.
func (w *world) baselineConversation(ctx context.Context, acts *noOp, i int, r *loadResult) error {
	id := fmt.Sprintf("bench-baseline/%s/%d", w.runTag, i)
	t0 := time.Now()
	run, err := w.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: baselineQueue}, baselineWorkflow)
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	r.op("start").add(time.Since(t0))
	for n := 1; n <= w.cfg.Messages; n++ {
		m := baselineMsg{Conversation: id, N: n}
		done := acts.wait(m)
		sent := time.Now()
		if err := w.temporal.SignalWorkflow(ctx, id, run.GetRunID(), baselineMessage, m); err != nil {
			return fmt.Errorf("signal: %w", err)
		}
		select {
		case at := <-done:
			r.latency.add(at.Sub(sent))
			r.messages.Add(1)
		case <-time.After(30 * time.Second):
			return fmt.Errorf("message %d: no activity within 30s", n)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	t1 := time.Now()
	if err := w.temporal.SignalWorkflow(ctx, id, run.GetRunID(), baselineClose, nil); err != nil {
		return fmt.Errorf("close: %w", err)
	}
	var handled int
	if err := run.Get(ctx, &handled); err != nil {
		return fmt.Errorf("result: %w", err)
	}
	r.op("close").add(time.Since(t1))
	if handled != w.cfg.Messages {
		return fmt.Errorf("handled %d of %d messages", handled, w.cfg.Messages)
	}
	r.addWorkflow(id, run.GetRunID(), "")
	return nil
}
