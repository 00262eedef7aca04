package workflows

import (
	"outbound/internal/model"

	"go.temporal.io/sdk/workflow"
)

// handlers runs every operation of a workflow both as a validated update (the
// caller gets the result or the refusal) and as a signal (fire-and-forget
// callers), with one implementation behind both. It counts the work in flight
// so the workflow can wait for it before continue-as-new or completion.
type handlers struct {
	inFlight    int
	queues      []*signalQueue // one per signal name, in registration order
	dispatching bool           // versionDispatcher: one dispatcher serves the queues
}

// signalQueue is one signal name's channel; busy while a goroutine drains it.
type signalQueue struct {
	ch    workflow.ReceiveChannel
	drain func(ctx workflow.Context) bool
	busy  bool
}

// versionDispatcher marks the runs where one dispatcher goroutine watches
// every signal channel and starts a drainer only while a name has signals,
// instead of one goroutine per signal name for the workflow's whole life: an
// idle conversation holds 2 goroutines (≈ 8 KiB of stack each), not 11.
const versionDispatcher = "one-signal-dispatcher"

// register binds name as an update with validate as its validator, and as a
// signal whose payloads are validated the same way; refused signals change
// nothing and are only logged (by code, never by content).
func register[Req, Res any](ctx workflow.Context, h *handlers, name string,
	validate func(Req) error, apply func(workflow.Context, Req) (Res, error),
) {
	run := func(ctx workflow.Context, req Req) (Res, error) {
		h.inFlight++
		defer func() { h.inFlight-- }()
		if h.dispatching && h.waiting() {
			// Signals recorded before this update (a close's "leave" before
			// the agent's wrap-up) are applied first; then it is validated.
			if err := workflow.Await(ctx, func() bool { return !h.waiting() }); err != nil {
				var zero Res
				return zero, err
			}
			if err := validate(req); err != nil {
				var zero Res
				return zero, err
			}
		}
		return apply(ctx, req)
	}
	// An update runs before the signals buffered in its workflow task: while
	// some wait, the validator leaves the decision to run, which sees them.
	validator := func(req Req) error {
		if h.dispatching && h.waiting() {
			return nil
		}
		return validate(req)
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, name, run,
		workflow.UpdateHandlerOptions{Validator: validator})
	if err != nil {
		panic(err) // only on a duplicate name: a programming error
	}

	ch := workflow.GetSignalChannel(ctx, name)
	// A signal is applied in the goroutine that received it, in arrival order
	// and before work that arrived after it (a record's "closed" before the
	// next "open"); signals of one name are thus handled one at a time.
	onSignal := func(ctx workflow.Context, req Req) {
		if err := validate(req); err != nil {
			workflow.GetLogger(ctx).Warn("signal refused", "signal", name, "error", err)
			return
		}
		h.inFlight++
		defer func() { h.inFlight-- }()
		if _, err := apply(ctx, req); err != nil {
			workflow.GetLogger(ctx).Warn("signal failed", "signal", name, "error", err)
		}
	}
	drain := func(ctx workflow.Context) bool {
		var req Req
		if !ch.ReceiveAsync(&req) {
			return false
		}
		onSignal(ctx, req)
		return true
	}
	h.queues = append(h.queues, &signalQueue{ch: ch, drain: drain})
	if len(h.queues) == 1 && workflow.GetVersion(ctx, versionDispatcher, workflow.DefaultVersion, 1) == 1 {
		h.dispatching = true
		workflow.Go(ctx, h.dispatch)
	}
	if h.dispatching {
		return
	}
	// Wait for buffered signals instead of blocking in Receive: a signal handed
	// to a blocked Receive is held by this goroutine until it next runs, where
	// settle cannot see it, and a continue-as-new in that task would drop it.
	workflow.Go(ctx, func(ctx workflow.Context) {
		for workflow.Await(ctx, func() bool { return ch.Len() > 0 }) == nil {
			for drain(ctx) {
			}
		}
	})
}

// dispatch starts a drainer for each signal name that has signals and none
// running; a name's signals stay one at a time, in arrival order.
func (h *handlers) dispatch(ctx workflow.Context) {
	for workflow.Await(ctx, h.waiting) == nil {
		for _, q := range h.queues {
			if q.busy || q.ch.Len() == 0 {
				continue
			}
			q.busy = true
			workflow.Go(ctx, func(ctx workflow.Context) {
				for q.drain(ctx) {
				}
				q.busy = false
			})
		}
	}
}

// waiting reports whether a signal name has signals and no drainer.
func (h *handlers) waiting() bool {
	for _, q := range h.queues {
		if !q.busy && q.ch.Len() > 0 {
			return true
		}
	}
	return false
}

// idle reports whether no handler or signal is running.
func (h *handlers) idle(ctx workflow.Context) bool {
	return h.inFlight == 0 && workflow.AllHandlersFinished(ctx)
}

// settle takes every buffered signal and waits until all work has finished, so
// nothing is lost at continue-as-new or completion.
func (h *handlers) settle(ctx workflow.Context) error {
	for {
		if err := workflow.Await(ctx, func() bool { return h.idle(ctx) }); err != nil {
			return err
		}
		// Drain in the same task the work was seen finished: a signal that
		// arrived with it is taken now instead of being left behind.
		drained := false
		for _, q := range h.queues {
			for q.drain(ctx) {
				drained = true
			}
		}
		if !drained {
			return nil
		}
	}
}

// query registers a state query.
func query[T any](ctx workflow.Context, state func() T) {
	if err := workflow.SetQueryHandler(ctx, model.QueryState, func() (T, error) { return state(), nil }); err != nil {
		panic(err)
	}
}
