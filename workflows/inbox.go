package workflows

import (
	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
)

// How the entity workflows handle their operations (see internal/api for
// which is an update and which a signal).
//
// The SDK runs an update's validator before it applies the signals that
// arrived in the same workflow task, so a validator that read what a signal
// changes would answer one way or the other depending on how the server
// batched the events. A validator therefore reads only what updates change.
// Each update handler first waits until the signals that arrived before it
// are taken (inbox.afterSignals), checks again, checks what signals change,
// and only then acts.

// inbox receives a workflow's signals and counts the work a run must finish
// before it continues as new or completes.
type inbox struct {
	queues  []*signalQueue // one per signal name, in registration order
	running int            // signal handlers and background steps under way
}

// signalQueue is one signal name's channel; busy while a goroutine applies
// its signals.
type signalQueue struct {
	ch   workflow.ReceiveChannel
	take func(workflow.Context) bool // applies one signal; false when none waits
	busy bool
}

// onSignal registers handle for a signal. A name's signals are applied one at
// a time, in arrival order (a record's "closed" before the next "open").
func onSignal[Req any](ctx workflow.Context, in *inbox, signal api.Signal[Req], handle func(workflow.Context, Req)) {
	ch := workflow.GetSignalChannel(ctx, string(signal))
	take := func(ctx workflow.Context) bool {
		var req Req
		if !ch.ReceiveAsync(&req) {
			return false
		}
		in.do(func() { handle(ctx, req) })
		return true
	}
	in.queues = append(in.queues, &signalQueue{ch: ch, take: take})
}

// listen starts the dispatcher, once every signal is registered. Signals wait
// in their channel until a goroutine takes them, never in a goroutine that
// would hold one unseen at continue-as-new; a name has a goroutine only while
// it has signals, so an idle workflow holds just the dispatcher.
func (in *inbox) listen(ctx workflow.Context) {
	workflow.Go(ctx, func(ctx workflow.Context) {
		for workflow.Await(ctx, in.waiting) == nil {
			for _, q := range in.queues {
				if q.busy || q.ch.Len() == 0 {
					continue
				}
				q.busy = true
				workflow.Go(ctx, func(ctx workflow.Context) {
					for q.take(ctx) {
					}
					q.busy = false
				})
			}
		}
	})
}

// waiting reports whether a signal has arrived that no goroutine will take.
func (in *inbox) waiting() bool {
	for _, q := range in.queues {
		if !q.busy && q.ch.Len() > 0 {
			return true
		}
	}
	return false
}

// afterSignals lets every signal that has arrived be taken first: an update
// handler calls it before it checks and acts, so it comes after them.
func (in *inbox) afterSignals(ctx workflow.Context) error {
	return workflow.Await(ctx, func() bool { return !in.waiting() })
}

// do runs f as work the run finishes before it ends.
func (in *inbox) do(f func()) {
	in.running++
	defer func() { in.running-- }()
	f()
}

// goDo runs f in its own goroutine as work the run finishes before it ends.
func (in *inbox) goDo(ctx workflow.Context, f func(workflow.Context)) {
	in.running++
	workflow.Go(ctx, func(ctx workflow.Context) {
		defer func() { in.running-- }()
		f(ctx)
	})
}

// idle reports whether no signal handler, background step or update handler
// is running.
func (in *inbox) idle(ctx workflow.Context) bool {
	return in.running == 0 && workflow.AllHandlersFinished(ctx)
}

// settle applies every signal that has arrived and waits until all work has
// finished, so nothing is lost at continue-as-new or completion.
func (in *inbox) settle(ctx workflow.Context) error {
	for {
		if err := workflow.Await(ctx, func() bool { return in.idle(ctx) }); err != nil {
			return err
		}
		// Take them in the task the work was seen finished: a signal that
		// arrived with it is applied now instead of being left behind.
		took := false
		for _, q := range in.queues {
			for q.take(ctx) {
				took = true
			}
		}
		if !took {
			return nil
		}
	}
}

// runEntity keeps an entity workflow until its history should be cut, then
// lets all work finish and continues as new.
func runEntity(ctx workflow.Context, in *inbox, continueAsNew func() error) error {
	if err := workflow.Await(ctx, func() bool { return in.idle(ctx) && shouldContinueAsNew(ctx) }); err != nil {
		return err
	}
	if err := in.settle(ctx); err != nil {
		return err
	}
	return continueAsNew()
}

// shouldContinueAsNew keeps entity histories short: on the server's suggestion,
// or past a size where replay would get slow.
func shouldContinueAsNew(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || info.GetCurrentHistoryLength() > 4000
}
