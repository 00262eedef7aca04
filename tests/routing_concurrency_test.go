package tests

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/dev/testenv"
	"outbound/internal/model"
)

// Queue routing under concurrency (docs/rules.md §3, rules 7 and 17): twelve
// conversations wait in two queues that share bob; alice, bob and carol
// become available at the same moment, from three clients, and each works as
// a desktop would: accept every offer, then (second phase) close and wrap up
// each conversation while the queues keep routing. No agent ever holds more
// than maxOutbound offers and conversations; no conversation is offered to
// two agents at once or taken twice; nothing is left waiting.
func TestQueueRoutingUnderConcurrentAgents(t *testing.T) {
	c := env.Tenant(t)
	agents := []string{"alice", "bob", "carol"}
	for _, a := range agents {
		setState(t, c, a, api.AgentIdle)
	}
	var waiting []string
	// Six in each queue: however bob's are split, alice and carol can each
	// fill up from their own queue.
	for range 6 {
		waiting = append(waiting, queuedByDave(t, c, "billing"))
	}
	for range 6 {
		waiting = append(waiting, customerWaiting(t, c))
	}

	desks := newDesks(t, c, agents)
	// Phase 1: 12 waiting, room for 9. Every agent ends with three active
	// conversations, and three conversations still wait, unoffered.
	desks.run(func() bool { return desks.activeCount() == 9 })
	taken := map[string]bool{}
	for _, a := range agents {
		mine := desks.active(a)
		if len(mine) != 3 {
			t.Errorf("%s holds %d conversations, want 3 (maxOutbound)", a, len(mine))
		}
		for _, id := range mine {
			if taken[id] {
				t.Errorf("%s is held by two agents", id)
			}
			taken[id] = true
		}
	}
	var left []string
	for _, q := range []string{"support", "billing"} {
		for _, w := range waitingIn(t, c, q) {
			if w.OfferedTo != "" {
				t.Errorf("%s offered to %s, whose slots are all taken", w.ID, w.OfferedTo)
			}
			left = append(left, w.ID)
		}
	}
	if len(left) != 3 {
		t.Fatalf("want the 3 conversations nobody had room for waiting, got %v", left)
	}

	// Phase 2: the agents close and wrap up while the queues route the rest.
	desks.closing.Store(true)
	desks.run(func() bool { return desks.closed() == len(waiting) })

	for _, q := range []string{"support", "billing"} {
		if line := waitingIn(t, c, q); len(line) != 0 {
			t.Errorf("%s still has a line: %+v", q, line)
		}
	}
	for _, id := range waiting {
		checkOfferSequence(t, show(t, c, id))
	}
	t.Logf("offers left to time out (agent set available again): %d", desks.timeouts.Load())
}

// queuedByDave has dave, who is in no queue, start a conversation and
// transfer it to the queue; he wraps up at once, so only the queue holds it.
func queuedByDave(t *testing.T, c *conversations.Client, queue string) string {
	t.Helper()
	ctx := testContext(t)
	id := startSMS(t, c, "dave", newPhone())
	if status, err := c.Transfer(ctx, id, "dave", "", queue); err != nil || status != api.StatusQueued {
		t.Fatalf("transfer to %s: %s %v", queue, status, err)
	}
	if err := c.WrapUp(ctx, id, "dave", "follow-up"); err != nil {
		t.Fatal(err)
	}
	return id
}

// desks drives one client per agent, concurrently, and checks every agent's
// slots against maxOutbound each time it looks.
type desks struct {
	t        *testing.T
	c        *conversations.Client
	agents   []string
	closing  atomic.Bool // phase 2: close and wrap up what is accepted
	timeouts atomic.Int64

	mu       sync.Mutex
	accepted map[string]string // conversation → the agent who accepted it
	done     map[string]bool   // closed and wrapped up
	busy     map[string][]string
}

func newDesks(t *testing.T, c *conversations.Client, agents []string) *desks {
	return &desks{t: t, c: c, agents: agents, accepted: map[string]string{}, done: map[string]bool{}, busy: map[string][]string{}}
}

// run sets every agent available at once and works until enough is done.
func (d *desks) run(enough func() bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, agent := range d.agents {
		wg.Go(func() {
			<-start
			d.work(ctx, agent, enough)
		})
	}
	close(start)
	wg.Wait()
	if ctx.Err() != nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.t.Fatalf("not done within a minute: active %v, accepted %v, closed %d", d.busy, d.accepted, len(d.done))
	}
}

func (d *desks) work(ctx context.Context, agent string, enough func() bool) {
	if err := d.c.SetAgentState(ctx, agent, api.AgentAvailable); err != nil {
		d.t.Errorf("%s available: %v", agent, err)
		return
	}
	cfg, err := api.AgentConfigFrom(env.Directory(d.c.Tenant), agent)
	if err != nil {
		d.t.Error(err)
		return
	}
	for ctx.Err() == nil && !enough() {
		st, err := api.GetAgent(ctx, env.Temporal, cfg)
		if err != nil {
			d.t.Errorf("%s: %v", agent, err)
			return
		}
		if len(st.Slots) > cfg.MaxOutbound {
			d.t.Errorf("%s holds %d slots, maxOutbound is %d: %+v", agent, len(st.Slots), cfg.MaxOutbound, st.Slots)
		}
		if st.State == api.AgentRONA { // an offer timed out on this slow machine: back to work
			d.timeouts.Add(1)
			_ = d.c.SetAgentState(ctx, agent, api.AgentAvailable)
		}
		var active []string
		for _, s := range st.Slots {
			switch s.Role {
			case api.SlotOffered:
				d.accept(ctx, agent, s.Conversation)
			case api.SlotActive:
				active = append(active, s.Conversation)
				if d.closing.Load() {
					d.finish(ctx, agent, s.Conversation)
				}
			}
		}
		d.mu.Lock()
		d.busy[agent] = active
		d.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
}

func (d *desks) accept(ctx context.Context, agent, id string) {
	if err := answered(ctx, "accept/"+id+"/"+agent, func(ctx context.Context) error { _, err := d.c.Accept(ctx, id, agent); return err }); err != nil {
		d.t.Logf("%s accepts %s: %v (the offer timed out first)", agent, id, err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if other, ok := d.accepted[id]; ok {
		d.t.Errorf("%s accepted by %s and by %s", id, other, agent)
	}
	d.accepted[id] = agent
}

func (d *desks) finish(ctx context.Context, agent, id string) {
	if err := answered(ctx, "close/"+id, func(ctx context.Context) error { _, err := d.c.Close(ctx, id, agent); return err }); err != nil {
		d.t.Errorf("%s closes %s: %v", agent, id, err)
		return
	}
	if err := answered(ctx, "wrapup/"+id, func(ctx context.Context) error { return d.c.WrapUp(ctx, id, agent, "resolved") }); err != nil {
		d.t.Errorf("%s wraps up %s: %v", agent, id, err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.done[id] = true
}

func (d *desks) active(agent string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.busy[agent])
}

func (d *desks) closed() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.done)
}

func (d *desks) activeCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, ids := range d.busy {
		n += len(ids)
	}
	return n
}

// checkOfferSequence: every offer of the conversation ended (accepted,
// declined or timed out) before the next one was made, and it was accepted
// once.
func checkOfferSequence(t *testing.T, st api.ConversationState) {
	t.Helper()
	out, accepts := "", 0
	for _, e := range st.Events {
		switch e.Kind {
		case "offered":
			if out != "" {
				t.Errorf("%s offered to %s while its offer to %s was out: %s", st.ID, e.Agent, out, eventKinds(st))
			}
			out = e.Agent
		case "accepted", "declined", "offer-timeout":
			if e.Agent != out && !(out == "" && e.Kind == "accepted") { // or a pickup from the line
				t.Errorf("%s: %s by %s, but the offer was to %q: %s", st.ID, e.Kind, e.Agent, out, eventKinds(st))
			}
			out = ""
			if e.Kind == "accepted" {
				accepts++
			}
		}
	}
	if accepts != 1 {
		t.Errorf("%s accepted %d times: %s", st.ID, accepts, eventKinds(st))
	}
}

func eventKinds(st api.ConversationState) string {
	s := ""
	for _, e := range st.Events {
		s += fmt.Sprintf(" %s(%s)", e.Kind, e.Agent)
	}
	return s
}

// Two queues woken at the same moment by their one shared agent both find
// him free; only one may have his last slot (rule 7). Bob frees a slot five
// times while both of his queues wait.
func TestTwoQueuesNeverOverfillTheirSharedAgent(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	setState(t, c, "alice", api.AgentIdle)
	setState(t, c, "carol", api.AgentIdle)
	var mine []string
	for range 3 {
		mine = append(mine, startSMS(t, c, "bob", newPhone()))
	}
	for range 5 {
		queuedByDave(t, c, "billing")
		customerWaiting(t, c)
	}
	cfg, err := api.AgentConfigFrom(env.Directory(c.Tenant), "bob")
	if err != nil {
		t.Fatal(err)
	}
	for round := range 5 {
		done := mine[0]
		if _, err := c.Close(ctx, done, "bob"); err != nil {
			t.Fatal(err)
		}
		if err := c.WrapUp(ctx, done, "bob", "resolved"); err != nil {
			t.Fatal(err)
		}
		var offered string
		eventually(t, offerPatience, "an offer to bob", func() bool {
			st, err := api.GetAgent(ctx, env.Temporal, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Slots) > cfg.MaxOutbound {
				t.Fatalf("round %d: bob holds %d slots, maxOutbound %d: %+v", round, len(st.Slots), cfg.MaxOutbound, st.Slots)
			}
			for _, s := range st.Slots {
				if s.Role == api.SlotOffered {
					offered = s.Conversation
				}
			}
			return offered != ""
		})
		time.Sleep(300 * time.Millisecond) // the other queue's reservation, had it landed
		if st, err := api.GetAgent(ctx, env.Temporal, cfg); err != nil || len(st.Slots) != cfg.MaxOutbound {
			t.Fatalf("round %d: bob holds %d slots (%v), want %d: %+v", round, len(st.Slots), err, cfg.MaxOutbound, st.Slots)
		}
		eventually(t, 5*time.Second, "the offer to reach the conversation", func() bool {
			_, err := c.Accept(ctx, offered, "bob")
			return err == nil
		})
		mine = append(mine[1:], offered)
	}
}

// Routing at scale (docs/rules.md §3, rules 7 and 17): 300 customers write
// in at once to three queues that share agents (200 agents, two slots each).
// A desk for every agent accepts each offer, reads its slots, then closes and
// wraps up, while a sampler reads every agent's slots in turn. No agent ever
// holds more than its two slots, no conversation is offered to two agents at
// once or accepted twice, and every customer is taken.
func TestRoutingAt200AgentsAcrossThreeOverlappingQueues(t *testing.T) {
	c := env.ClientFor(testenv.CrowdTenant)
	// About 35 s on an idle 2-core machine; a loaded one may take minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	const customers = 300
	queues := map[string]string{"support": "ep-sms", "billing": "ep-billing", "claims": "ep-claims"}
	// Every agent starts available: an earlier run (or -count) may have
	// left some RONA. Setting a state again is harmless: no request id.
	for _, ag := range env.Directory(c.Tenant).Agents {
		if err := answered(ctx, "", func(ctx context.Context) error { return c.SetAgentState(ctx, ag.ID, api.AgentAvailable) }); err != nil {
			t.Fatalf("%s available: %v", ag.ID, err)
		}
	}
	var writers sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, ep := range queues {
		for range customers / len(queues) {
			writers.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				from := newPhone()
				m := conversations.InboundMessage{Channel: "sms", To: entryAddress(c, ep), From: from,
					CustomerMessage: model.CustomerMessage{Text: "Hello?", ProviderID: "SMcrowd" + from}}
				if err := c.Inbound(ctx, m); err != nil {
					t.Errorf("customer writes: %v", err)
				}
			})
		}
	}
	var written atomic.Bool
	go func() { writers.Wait(); written.Store(true) }()

	crowd := &crowdDesks{t: t, c: c, handled: map[string]bool{}, done: map[string]bool{}}
	sampling := make(chan struct{})
	go func() { defer close(sampling); crowd.sample(ctx) }()
	crowd.serve(ctx, slices.Sorted(maps.Keys(queues)), func() bool { return written.Load() && crowd.finished() == customers })
	cancel()
	<-sampling
	writers.Wait()
	for q := range queues {
		if line := waitingIn(t, c, q); len(line) != 0 {
			t.Errorf("%s still has a line: %+v", q, line)
		}
	}
	for _, id := range crowd.finishedIDs() {
		checkOfferSequence(t, show(t, c, id))
	}
	t.Logf("slots sampled %d times; offers that timed out first: %d", crowd.samples.Load(), crowd.timeouts.Load())
}

// crowdDesks plays 200 agents' desks from the queues' lines (one read of
// each line every 50 ms instead of a poll per agent), 16 actions at a time.
type crowdDesks struct {
	t        *testing.T
	c        *conversations.Client
	samples  atomic.Int64
	timeouts atomic.Int64

	mu      sync.Mutex
	handled map[string]bool // conversation→agent offers taken up, while the lines show them
	done    map[string]bool // conversations closed and wrapped up
}

func (d *crowdDesks) serve(ctx context.Context, queues []string, enough func() bool) {
	var work sync.WaitGroup
	sem := make(chan struct{}, 16)
	for ctx.Err() == nil {
		out := map[string]bool{} // the offers the lines show now
		read := true
		for _, q := range queues {
			line, err := d.c.Waiting(ctx, d.c.Tenant, q)
			if err != nil {
				read = false
				continue
			}
			for _, w := range line {
				key := w.ID + "→" + w.OfferedTo
				out[key] = true
				d.mu.Lock()
				fresh := w.OfferedTo != "" && !d.handled[key]
				d.handled[key] = true
				d.mu.Unlock()
				if fresh {
					work.Go(func() {
						sem <- struct{}{}
						defer func() { <-sem }()
						d.take(ctx, w.ID, w.OfferedTo)
					})
				}
			}
		}
		if read { // an offer no line shows is over: the same one made again is new
			d.mu.Lock()
			maps.DeleteFunc(d.handled, func(key string, _ bool) bool { return !out[key] })
			d.mu.Unlock()
		}
		if enough() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	work.Wait()
	if ctx.Err() != nil {
		d.t.Fatalf("not done in time: %d customers taken, closed and wrapped up", d.finished())
	}
}

// take is one agent's desk for one offer: accept, close, wrap up. An offer
// that timed out first left the agent RONA: it becomes available again.
func (d *crowdDesks) take(ctx context.Context, id, agent string) {
	if err := answered(ctx, "accept/"+id+"/"+agent, func(ctx context.Context) error { _, err := d.c.Accept(ctx, id, agent); return err }); err != nil {
		d.timeouts.Add(1)
		_ = d.c.SetAgentState(ctx, agent, api.AgentAvailable)
		return
	}
	d.checkSlots(ctx, agent) // the moment another queue's offer would overfill it
	if err := answered(ctx, "close/"+id, func(ctx context.Context) error { _, err := d.c.Close(ctx, id, agent); return err }); err != nil {
		d.t.Errorf("%s closes %s: %v", agent, id, err)
		return
	}
	// On a loaded machine the wrap-up timer may have applied the default
	// reason first: the slot is free either way.
	wrapUp := func(ctx context.Context) error { return d.c.WrapUp(ctx, id, agent, "resolved") }
	if err := answered(ctx, "wrapup/"+id, wrapUp); err != nil && !codes.Is(err, codes.NotOwner) {
		d.t.Errorf("%s wraps up %s: %v", agent, id, err)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done[id] {
		d.t.Errorf("%s taken twice", id)
	}
	d.done[id] = true
}

// answered sends the request until it has an answer, as a desk does: on a
// loaded machine a request may run out of time (OUTCOME_UNKNOWN) and still
// take effect, and only the same request id sent again tells which.
func answered(ctx context.Context, requestID string, op func(context.Context) error) error {
	ctx = conversations.WithRequestID(ctx, requestID)
	for {
		err := op(ctx)
		if !codes.Is(err, codes.OutcomeUnknown) || ctx.Err() != nil {
			return err
		}
	}
}

// sample reads every agent's slots in turn until ctx ends, 50 a second: a
// query is a task on the agent's workflow, and the desks' work comes first.
func (d *crowdDesks) sample(ctx context.Context) {
	for ctx.Err() == nil {
		for _, ag := range env.Directory(d.c.Tenant).Agents {
			select {
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
			d.checkSlots(ctx, ag.ID)
		}
	}
}

// checkSlots reads the agent's slots: never more than its maxOutbound.
func (d *crowdDesks) checkSlots(ctx context.Context, agent string) {
	cfg, err := api.AgentConfigFrom(env.Directory(d.c.Tenant), agent)
	if err != nil {
		d.t.Error(err)
		return
	}
	st, err := api.GetAgent(ctx, env.Temporal, cfg)
	if err != nil {
		return // ctx ended
	}
	d.samples.Add(1)
	if len(st.Slots) > cfg.MaxOutbound {
		d.t.Errorf("%s holds %d slots, maxOutbound is %d: %+v", agent, len(st.Slots), cfg.MaxOutbound, st.Slots)
	}
}

func (d *crowdDesks) finishedIDs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Sorted(maps.Keys(d.done))
}

func (d *crowdDesks) finished() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.done)
}
