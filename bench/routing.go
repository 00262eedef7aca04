package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/dev/testenv"
	"outbound/internal/model"
)

// Phase (d) of issue 10.
const (
	targetRoutingP99 = time.Second
	routingSpread    = time.Second           // each agent frees up at a random moment within it
	routingPoll      = 10 * time.Millisecond // how often the queue's line is read
	routingPatience  = time.Minute           // a round that takes longer has lost an offer
)

// routingResult is phase (d): how soon, after an agent becomes able to take a
// conversation, the queue's offer of the longest-waiting one reaches it.
type routingResult struct {
	Rounds, Waiting, Agents int
	Latency                 *latencies   // agent able → the conversation shows the offer to it
	Missed                  atomic.Int64 // offers that ended before the agent took them (it was too slow: RONA)
}

// routing runs rounds in the RoutingTenant: its agents go idle, waiting
// customers write in (rule 16) and wait in the entry point's queue, then each
// agent becomes available at a random moment, accepts what it is offered,
// keeps it a random while, closes and wraps it up (freeing its only slot),
// and so on until every conversation was taken.
func (w *world) routing(ctx context.Context, waiting, rounds int) (*routingResult, error) {
	d, ok := w.dirs[testenv.RoutingTenant]
	if !ok {
		return nil, fmt.Errorf("tenant %s is not served", testenv.RoutingTenant)
	}
	epID, _ := entryPoint(&d, model.SMS)
	ep, _ := d.EntryPoint(epID)
	q, _ := d.Queue(ep.Queue)
	res := &routingResult{Rounds: rounds, Waiting: waiting, Agents: len(q.Agents), Latency: &latencies{}}
	r := &routingRound{w: w, c: w.client(d.Tenant), entry: ep.Address, queue: api.QueueWorkflowID(d.Tenant, q.ID),
		agents: q.Agents, offerTimeout: d.TransferOfferTimeout, res: res}
	for range rounds {
		if err := r.run(ctx, waiting); err != nil {
			return res, err
		}
	}
	return res, nil
}

type routingRound struct {
	w      *world
	c      *conversations.Client
	entry  string // the entry point's address customers write to
	queue  string // its queue's workflow ID
	agents []string

	offerTimeout time.Duration
	res          *routingResult
}

func (r *routingRound) run(ctx context.Context, waiting int) error {
	ctx, cancel := context.WithTimeout(ctx, routingPatience)
	defer cancel()
	for _, agent := range r.agents {
		if err := r.c.SetAgentState(ctx, agent, api.AgentIdle); err != nil {
			return err
		}
	}
	if err := r.customersWrite(ctx, waiting); err != nil {
		return err
	}
	offers := make(map[string]chan string, len(r.agents))
	for _, agent := range r.agents {
		offers[agent] = make(chan string, waiting)
	}
	watching := make(chan error, 1)
	go func() { watching <- r.watch(ctx, offers) }()

	var taken atomic.Int64
	allTaken := make(chan struct{})
	errs := make(chan error, len(r.agents))
	var wg sync.WaitGroup
	for _, agent := range r.agents {
		wg.Go(func() {
			err := r.agent(ctx, agent, offers[agent], func() {
				if taken.Add(1) == int64(waiting) {
					close(allTaken)
				}
			}, allTaken)
			errs <- err
		})
	}
	wg.Wait()
	cancel()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	lastRead := <-watching
	if n := taken.Load(); n != int64(waiting) {
		all = append(all, fmt.Errorf("%d of %d waiting conversations were taken (last read of the line: %v)", n, waiting, lastRead))
	}
	return errors.Join(all...)
}

// customersWrite opens n customer-started conversations and waits until all
// of them stand in the queue's line.
func (r *routingRound) customersWrite(ctx context.Context, n int) error {
	for range n {
		from := r.w.newCustomer("sms")
		m := conversations.InboundMessage{Channel: model.SMS, To: r.entry, From: from,
			CustomerMessage: model.CustomerMessage{Text: "Is anyone there?", ProviderID: "SMroute" + r.w.runTag + from}}
		if err := r.c.Inbound(ctx, m); err != nil {
			return fmt.Errorf("customer %s writes: %w", from, err)
		}
	}
	for {
		st, err := api.QueueQuery.Get(ctx, r.w.temporal, r.queue)
		if err == nil && len(st.Waiting) == n {
			return nil
		}
		if err := sleep(ctx, routingPoll); err != nil {
			return fmt.Errorf("the %d conversations never all stood in line: %w", n, err)
		}
	}
}

// watch reads the queue's line and hands each new offer to its agent until
// the round ends; it returns the last read's error.
func (r *routingRound) watch(ctx context.Context, offers map[string]chan string) error {
	seen := map[string]bool{}
	var lastErr error
	for sleep(ctx, routingPoll) == nil {
		st, err := api.QueueQuery.Get(ctx, r.w.temporal, r.queue)
		if lastErr = err; err != nil {
			continue
		}
		for _, wt := range st.Waiting {
			if key := wt.Conversation + "→" + wt.OfferedTo; wt.OfferedTo != "" && !seen[key] {
				seen[key] = true
				offers[wt.OfferedTo] <- wt.Conversation
			}
		}
	}
	return lastErr
}

// agent plays one agent: available at a random moment, then take what is
// offered, keep it a while, close and wrap up, until nothing waits. An offer
// that ends before the agent takes it (too slow on a loaded machine) left
// the agent RONA: it makes itself available again.
func (r *routingRound) agent(ctx context.Context, agent string, offers <-chan string, took func(), allTaken <-chan struct{}) error {
	if err := sleep(ctx, rand.N(routingSpread)); err != nil {
		return err
	}
	if err := r.c.SetAgentState(ctx, agent, api.AgentAvailable); err != nil {
		return err
	}
	able := time.Now()
	for {
		var id string
		select {
		case id = <-offers:
		case <-allTaken:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("%s: no offer while conversations waited: %w", agent, ctx.Err())
		}
		taken, err := r.take(ctx, id, agent, able)
		if err != nil {
			return err
		}
		if !taken {
			r.res.Missed.Add(1)
			if err := r.c.SetAgentState(ctx, agent, api.AgentAvailable); err != nil {
				return err
			}
			able = time.Now()
			continue
		}
		took()
		if err := sleep(ctx, rand.N(routingSpread)); err != nil {
			return err
		}
		if _, err := r.c.Close(ctx, id, agent); err != nil {
			return fmt.Errorf("%s closes %s: %w", agent, id, err)
		}
		if err := r.c.WrapUp(ctx, id, agent, r.w.wrapUpReason(testenv.RoutingTenant)); err != nil {
			return err
		}
		able = time.Now()
	}
}

// take waits until the conversation shows the offer to the agent (from then
// on the agent's accept succeeds), times it and accepts; false when the
// offer ended first.
func (r *routingRound) take(ctx context.Context, id, agent string, able time.Time) (bool, error) {
	deadline := time.Now().Add(r.offerTimeout)
	for {
		st, err := r.c.Show(ctx, id)
		if err != nil {
			return false, err
		}
		if p := st.PendingTransfer; p != nil && p.OfferedTo == agent {
			break
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		if err := sleep(ctx, routingPoll/2); err != nil {
			return false, err
		}
	}
	r.res.Latency.add(time.Since(able))
	_, err := r.c.Accept(ctx, id, agent)
	if codes.Is(err, codes.NoPendingOffer) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("%s accepts %s: %w", agent, id, err)
	}
	return true, nil
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

func printRouting(out io.Writer, r *routingResult) {
	p50, p99 := r.Latency.percentile(50), r.Latency.percentile(99)
	met := "met"
	if p99 >= targetRoutingP99 {
		met = "NOT met"
	}
	fmt.Fprintf(out, "\n(d) routing: %d rounds × %d waiting conversations, %d agents (one conversation each) freeing up at random within %s\n",
		r.Rounds, r.Waiting, r.Agents, routingSpread)
	fmt.Fprintf(out, "    agent able → offer reaches it: %d offers, p50 %.0f ms, p99 %.0f ms, max %.0f ms (target p99 < %s: %s; the line is read every %s)\n",
		len(r.Latency.d), ms(p50), ms(p99), ms(r.Latency.percentile(100)), targetRoutingP99, met, routingPoll)
	if n := r.Missed.Load(); n > 0 {
		fmt.Fprintf(out, "    %d offers ended before their agent took them (the machine was too slow for the offer timeout)\n", n)
	}
}
