package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/dev/testenv"
	"outbound/internal/model"
)

// Phase (d) of issues 10 and 26: what an offer costs as the queue grows.
const (
	targetSteadyP99     = 500 * time.Millisecond
	targetOfferCPURatio = 1.5 // CPU per offer of the large queue ÷ the 6-agent queue's
	targetBurst         = time.Minute
	routingPoll         = 5 * time.Millisecond   // how often the freed agent's state is read
	routingBurstPoll    = 100 * time.Millisecond // how often the queue's line is read during the burst
	routingPatience     = 5 * time.Minute        // a step that takes longer has lost an offer
	routingWriters      = 16                     // customers writing in at once
	referenceQueueSize  = 6
)

// routingResult is phase (d) for one queue: a burst of as many customers as
// the queue has agents, then steady cycles in which one agent at a time
// accepts its offer, closes and wraps up, and the queue offers it the next
// waiting conversation.
type routingResult struct {
	Agents, Cycles int
	Burst          time.Duration // first customer writes → every agent holds an offer
	Steady         *latencies    // wrap-up answered → the next offer shows on its conversation
	CPUPerCycle    time.Duration // process CPU per steady cycle (accept, close, wrap-up, offer)
}

// routing runs phase (d) on the queue of the 6-agent tenant and, when the
// bench serves one, of the large one.
func (w *world) routing(ctx context.Context, cycles int) ([]*routingResult, error) {
	var out []*routingResult
	for _, tenant := range []string{testenv.RoutingTenant, testenv.RoutingScaleTenant} {
		if _, ok := w.dirs[tenant]; !ok {
			continue
		}
		r, err := w.routeQueue(ctx, tenant, cycles)
		if err != nil {
			return out, fmt.Errorf("%s: %w", tenant, err)
		}
		out = append(out, r)
	}
	return out, nil
}

type routingRun struct {
	w      *world
	c      *conversations.Client
	tenant string
	entry  string // the entry point's address customers write to
	queue  string // its queue's workflow ID
	agents []string
	reason string
}

func (w *world) routeQueue(ctx context.Context, tenant string, cycles int) (*routingResult, error) {
	ctx, cancel := context.WithTimeout(ctx, routingPatience)
	defer cancel()
	d := w.dirs[tenant]
	epID, _ := entryPoint(&d, model.SMS)
	ep, _ := d.EntryPoint(epID)
	q, _ := d.Queue(ep.Queue)
	r := &routingRun{w: w, c: w.client(tenant), tenant: tenant, entry: ep.Address, queue: api.QueueWorkflowID(tenant, q.ID),
		agents: q.Agents, reason: w.wrapUpReason(tenant)}
	res := &routingResult{Agents: len(q.Agents), Cycles: cycles, Steady: &latencies{}}

	if err := awaitIdle(ctx); err != nil {
		return nil, err
	}
	began := time.Now()
	if err := r.customersWrite(ctx, len(r.agents)); err != nil {
		return nil, err
	}
	offered, err := r.awaitOffers(ctx, len(r.agents))
	if err != nil {
		return nil, err
	}
	res.Burst = time.Since(began)
	if err := r.customersWrite(ctx, cycles); err != nil {
		return nil, err
	}
	if err := r.awaitLine(ctx, len(r.agents)+cycles); err != nil {
		return nil, err
	}

	cpu := processCPU()
	for i := range cycles {
		agent := r.agents[i%len(r.agents)]
		next, took, err := r.cycle(ctx, agent, offered[agent])
		if err != nil {
			return nil, fmt.Errorf("cycle %d (%s): %w", i+1, agent, err)
		}
		offered[agent] = next
		res.Steady.add(took)
	}
	res.CPUPerCycle = (processCPU() - cpu) / time.Duration(max(cycles, 1))
	return res, nil
}

// cycle: the agent accepts the conversation offered to it, closes it and
// wraps up; it returns the next conversation the queue offers it and how
// long after the wrap-up that offer showed on the conversation.
func (r *routingRun) cycle(ctx context.Context, agent, id string) (string, time.Duration, error) {
	if _, err := r.c.Accept(ctx, id, agent); err != nil {
		return "", 0, fmt.Errorf("accept: %w", err)
	}
	if _, err := r.c.Close(ctx, id, agent); err != nil {
		return "", 0, fmt.Errorf("close: %w", err)
	}
	if err := r.c.WrapUp(ctx, id, agent, r.reason); err != nil {
		return "", 0, fmt.Errorf("wrap-up: %w", err)
	}
	freed := time.Now()
	cfg := api.AgentConfig{Tenant: r.tenant, ID: agent}
	for {
		st, err := api.GetAgent(ctx, r.w.temporal, cfg)
		if err != nil {
			return "", 0, err
		}
		if i := slices.IndexFunc(st.Slots, func(s api.Slot) bool { return s.Role == api.SlotOffered }); i >= 0 {
			next := st.Slots[i].Conversation
			if err := r.awaitShown(ctx, next, agent); err != nil {
				return "", 0, err
			}
			return next, time.Since(freed), nil
		}
		if err := sleep(ctx, routingPoll); err != nil {
			return "", 0, fmt.Errorf("no next offer: %w", err)
		}
	}
}

// awaitShown waits until the conversation shows the offer to the agent
// (from then on the agent's accept succeeds).
func (r *routingRun) awaitShown(ctx context.Context, id, agent string) error {
	for {
		st, err := r.c.Show(ctx, id)
		if err != nil {
			return err
		}
		if p := st.PendingTransfer; p != nil && p.OfferedTo == agent {
			return nil
		}
		if err := sleep(ctx, routingPoll); err != nil {
			return err
		}
	}
}

// customersWrite has n new customers write in (rule 16), routingWriters at
// a time: each conversation joins the entry point's queue.
func (r *routingRun) customersWrite(ctx context.Context, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, routingWriters)
	for range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			from := r.w.newCustomer("sms")
			m := conversations.InboundMessage{Channel: model.SMS, To: r.entry, From: from,
				CustomerMessage: model.CustomerMessage{Text: "Is anyone there?", ProviderID: "SMroute" + r.w.runTag + from}}
			if err := r.c.Inbound(ctx, m); err != nil {
				errs <- fmt.Errorf("customer %s writes: %w", from, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// awaitOffers waits until n conversations of the line are offered, and
// returns who holds which.
func (r *routingRun) awaitOffers(ctx context.Context, n int) (map[string]string, error) {
	for {
		st, err := api.QueueQuery.Get(ctx, r.w.temporal, r.queue)
		if err == nil {
			offered := map[string]string{}
			for _, wt := range st.Waiting {
				if wt.OfferedTo != "" {
					offered[wt.OfferedTo] = wt.Conversation
				}
			}
			if len(offered) == n {
				return offered, nil
			}
		}
		if err := sleep(ctx, routingBurstPoll); err != nil {
			return nil, fmt.Errorf("not every agent was offered a conversation: %w", err)
		}
	}
}

// awaitLine waits until n conversations stand in the queue's line.
func (r *routingRun) awaitLine(ctx context.Context, n int) error {
	for {
		st, err := api.QueueQuery.Get(ctx, r.w.temporal, r.queue)
		if err == nil && len(st.Waiting) == n {
			return nil
		}
		if err := sleep(ctx, routingBurstPoll); err != nil {
			return fmt.Errorf("the %d conversations never all stood in line: %w", n, err)
		}
	}
}

// awaitIdle waits until this process used under 5% of a core for a second:
// what started before (a thousand agents telling their queues they are
// ready, the earlier phases' timers) does not count towards the figures.
func awaitIdle(ctx context.Context) error {
	for {
		before := processCPU()
		if err := sleep(ctx, time.Second); err != nil {
			return fmt.Errorf("the process never went idle: %w", err)
		}
		if processCPU()-before < 50*time.Millisecond {
			return nil
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func printRouting(out io.Writer, rs []*routingResult) {
	fmt.Fprintf(out, "\n(d) routing: a burst of one customer per agent, then steady cycles (one agent accepts, closes, wraps up; the queue offers it the next waiting one); agents take one conversation each\n")
	var reference time.Duration
	for _, r := range rs {
		p50, p99 := r.Steady.percentile(50), r.Steady.percentile(99)
		fmt.Fprintf(out, "    %4d agents: burst all offered in %.1f s (target < %s: %s); steady wrap-up → offer p50 %.0f ms, p99 %.0f ms, max %.0f ms over %d cycles (target p99 < %s: %s); CPU per cycle %.0f ms\n",
			r.Agents, r.Burst.Seconds(), targetBurst, verdict(r.Burst < targetBurst), ms(p50), ms(p99), ms(r.Steady.percentile(100)), r.Cycles,
			targetSteadyP99, verdict(p99 < targetSteadyP99), ms(r.CPUPerCycle))
		if r.Agents == referenceQueueSize {
			reference = r.CPUPerCycle
		} else if reference > 0 {
			ratio := float64(r.CPUPerCycle) / float64(reference)
			fmt.Fprintf(out, "    CPU per cycle, %d agents ÷ %d: %.2f× (target ≤ %.1f×: %s)\n", r.Agents, referenceQueueSize, ratio, targetOfferCPURatio, verdict(ratio <= targetOfferCPURatio))
		}
	}
	fmt.Fprintf(out, "    CPU: this process (server, worker and the bench's clients), user + system\n")
}
