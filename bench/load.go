package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// loadResult is one load's figures.
type loadResult struct {
	Name          string
	Conversations int // completed
	Messages      int // delivered agent messages (baseline: handled signals)
	Replies       int
	Errors        int
	FirstError    string
	Elapsed       time.Duration
	ConvPerSec    float64
	MsgPerSec     float64
	P50, P99      time.Duration
	Events        int     // history events of the conversation workflows, all runs
	EventsPerMsg  float64 // Events / Messages
	MaxRun        int     // the longest single run
	ByChannel     map[string]*channelCost
	Tally         *tally
	EntityEvents  int           // product: Agent and Customer workflow events the load added
	CPU           time.Duration // process CPU (user + system) over the load
	CPUPerMsg     time.Duration // CPU / Messages
	PG            *pgCost       // with PGHOST: PostgreSQL's work over the load

	latency  latencies
	messages atomic.Int64
	replies  atomic.Int64
	convs    atomic.Int64
	mu       sync.Mutex
	ops      map[string]*latencies
	opOrder  []string
	refs     []workflowRef
}

// channelCost is the history cost of one channel's conversations.
type channelCost struct {
	Conversations int
	Messages      int
	Events        int
}

// workflowRef is a finished conversation to read the history of.
type workflowRef struct {
	WorkflowID, RunID, Channel string
	Tenant                     string
	Customer                   string // product: the customer record's workflow ID
	ID                         string // product: the conversation id
	Messages, Replies          int
}

func newLoad(name string) *loadResult {
	return &loadResult{Name: name, ops: map[string]*latencies{}, ByChannel: map[string]*channelCost{}, Tally: newTally()}
}

// op returns the latencies of a named client operation.
func (r *loadResult) op(name string) *latencies {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.ops[name]
	if !ok {
		l = &latencies{}
		r.ops[name] = l
		r.opOrder = append(r.opOrder, name)
	}
	return l
}

func (r *loadResult) addWorkflow(workflowID, runID, channel string) {
	r.addRef(workflowRef{WorkflowID: workflowID, RunID: runID, Channel: channel})
}

func (r *loadResult) addRef(ref workflowRef) {
	r.mu.Lock()
	r.refs = append(r.refs, ref)
	r.mu.Unlock()
	r.convs.Add(1)
}

func (r *loadResult) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Errors++
	if r.FirstError == "" {
		r.FirstError = err.Error()
	}
}

// runLoad runs conversation i = 0..n-1 with the configured concurrency; no
// conversation starts after the duration cap.
func (w *world) runLoad(ctx context.Context, r *loadResult, one func(ctx context.Context, i int) error) {
	var next atomic.Int64
	cpu := processCPU
	if !w.inProcess {
		cpu = machineCPU
	}
	pg0, err := pgStats(ctx)
	if err != nil {
		r.fail(err)
	}
	cpu0 := cpu()
	start := time.Now()
	deadline := start.Add(w.cfg.Duration)
	var wg sync.WaitGroup
	for range w.cfg.Concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= w.cfg.Conversations || time.Now().After(deadline) || ctx.Err() != nil {
					return
				}
				cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
				err := one(cctx, i)
				cancel()
				if err != nil {
					r.fail(fmt.Errorf("conversation %d: %w", i, err))
				}
			}
		})
	}
	wg.Wait()
	r.Elapsed = time.Since(start)
	r.CPU = cpu() - cpu0
	if pg, err := pgStats(ctx); err != nil {
		r.fail(err)
	} else {
		r.PG = pg.since(pg0)
	}
	r.Conversations, r.Messages, r.Replies = int(r.convs.Load()), int(r.messages.Load()), int(r.replies.Load())
	secs := r.Elapsed.Seconds()
	r.ConvPerSec, r.MsgPerSec = float64(r.Conversations)/secs, float64(r.Messages)/secs
	r.P50, r.P99 = r.latency.percentile(50), r.latency.percentile(99)
	if r.Messages > 0 {
		r.CPUPerMsg = r.CPU / time.Duration(r.Messages)
	}
}

// processCPU is the CPU time this process has used (user + system): with the
// in-process server that is the server, the worker, the sinks and the
// clients (with --address, machineCPU counts instead).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// eachRef runs f for each of the load's finished conversations, eight at a
// time, and returns when all are done.
func eachRef(refs []workflowRef, f func(workflowRef)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, ref := range refs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			f(ref)
		})
	}
	wg.Wait()
}

// countHistories reads the histories of the load's finished conversations.
func (w *world) countHistories(ctx context.Context, r *loadResult) error {
	errs := make(chan error, len(r.refs))
	eachRef(r.refs, func(ref workflowRef) {
		ch, err := readChain(ctx, w.temporal, ref.WorkflowID, ref.RunID, r.Tally)
		if err != nil {
			errs <- err
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.Events += ch.Events
		r.MaxRun = max(r.MaxRun, ch.MaxRun)
		if ref.Channel != "" {
			c := r.ByChannel[ref.Channel]
			if c == nil {
				c = &channelCost{}
				r.ByChannel[ref.Channel] = c
			}
			c.Conversations++
			c.Messages += ref.Messages
			c.Events += ch.Events
		}
	})
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	if r.Messages > 0 {
		r.EventsPerMsg = float64(r.Events) / float64(r.Messages)
	}
	return nil
}
