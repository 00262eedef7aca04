package tests

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"outbound/internal/api"
	"outbound/internal/conversations"
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
	if _, err := d.c.Accept(ctx, id, agent); err != nil {
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
	if _, err := d.c.Close(ctx, id, agent); err != nil {
		d.t.Errorf("%s closes %s: %v", agent, id, err)
		return
	}
	if err := d.c.WrapUp(ctx, id, agent, "resolved"); err != nil {
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
