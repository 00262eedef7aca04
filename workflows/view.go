package workflows

import (
	"cmp"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/directory"
)

// readyAgent is a member in the queue's availability view.
type readyAgent struct {
	agent string
	since time.Time
}

// readyLine is the availability view's ranking: the members that reported
// they can take a conversation, longest available first (then by id, so the
// order is the same on every replay). A report moves one entry, found by
// binary search; an offer walks from the front.
type readyLine []readyAgent

func compareReady(x, y readyAgent) int {
	if c := x.since.Compare(y.since); c != 0 {
		return c
	}
	return cmp.Compare(x.agent, y.agent)
}

func (l *readyLine) add(a readyAgent) {
	if i, found := slices.BinarySearchFunc(*l, a, compareReady); !found {
		*l = slices.Insert(*l, i, a)
	}
}

func (l *readyLine) remove(a readyAgent) {
	if i, found := slices.BinarySearchFunc(*l, a, compareReady); found {
		*l = slices.Delete(*l, i, i+1)
	}
}

// readyFrom ranks the members' reports a run carried over.
func readyFrom(members []string, reports map[string]api.AgentReport) readyLine {
	var l readyLine
	for _, agent := range members {
		if r := reports[agent]; r.Ready {
			l = append(l, readyAgent{agent, r.Since})
		}
	}
	slices.SortFunc(l, compareReady)
	return l
}

// wake takes an agent's word: a readiness report, kept unless a later one
// came first; or, from an agent run older than the view, a wake, which
// counts as ready since now.
func (q *queue) wake(ctx workflow.Context, w api.QueueWaking) {
	if !q.routesOnView {
		q.dirty = true
		return
	}
	if !slices.Contains(q.state.Config.Members, w.Agent) {
		return
	}
	last, known := q.state.Reports[w.Agent]
	switch {
	case !w.Report:
		w = api.QueueWaking{Agent: w.Agent, Ready: true, Since: workflow.Now(ctx), Seq: last.Seq, Run: last.Run}
	case known && w.Run == last.Run && w.Seq <= last.Seq:
		return // overtaken by a later report (an agent workflow started again numbers anew)
	}
	q.setReport(w.Agent, api.AgentReport{Ready: w.Ready, Since: w.Since, Seq: w.Seq, Run: w.Run})
	if w.Ready {
		q.dirty = true
	}
}

func (q *queue) setReport(agent string, r api.AgentReport) {
	if last, ok := q.state.Reports[agent]; ok && last.Ready {
		q.ready.remove(readyAgent{agent, last.Since})
	}
	if q.state.Reports == nil {
		q.state.Reports = map[string]api.AgentReport{}
	}
	q.state.Reports[agent] = r
	if r.Ready {
		q.ready.add(readyAgent{agent, r.Since})
	}
}

// notReady takes an agent out of the view after it refused a reservation
// (its report was stale or lost) and asks it for a fresh one.
func (q *queue) notReady(ctx workflow.Context, agent string) {
	last := q.state.Reports[agent]
	q.setReport(agent, api.AgentReport{Seq: last.Seq, Run: last.Run})
	q.ask(ctx, agent)
}

// ask has agents report their readiness to this queue.
func (q *queue) ask(ctx workflow.Context, agents ...string) {
	req := api.QueueWaitingRequest{Queue: q.state.Config.ID, Waiting: true}
	for _, agent := range agents {
		f := api.AgentQueueWaiting.External(ctx, api.AgentWorkflowID(q.state.Config.Tenant, agent), req)
		q.inbox.goDo(ctx, func(ctx workflow.Context) { logFailure(ctx, "agent not asked for its readiness", f) })
	}
}

// membersChanged keeps the view to the members: it forgets who left and asks
// who joined.
func (q *queue) membersChanged(ctx workflow.Context, before []string) {
	for _, agent := range before {
		if !slices.Contains(q.state.Config.Members, agent) {
			q.setReport(agent, api.AgentReport{})
			delete(q.state.Reports, agent)
		}
	}
	for _, agent := range q.state.Config.Members {
		if !slices.Contains(before, agent) {
			q.ask(ctx, agent)
		}
	}
}

// offersAtOnce bounds the offers a round makes concurrently: a burst of
// customers is offered in parallel reservations, in tasks of bounded size.
const offersAtOnce = 64

// offerFromView pairs each waiting conversation, longest-waiting first, with
// the longest-available member in the view that may have it, one per agent
// per round, and makes those offers concurrently (they touch different
// agents and conversations); it reports whether one was made. A refused
// pair is tried again in the next round, with the next member.
func (q *queue) offerFromView(ctx workflow.Context) bool {
	type pair struct{ conversation, agent string }
	var pairs []pair
	used := map[string]bool{}
	for _, conversation := range q.unoffered() {
		if agent, ok := q.candidate(ctx, conversation, used); ok && len(pairs) < offersAtOnce {
			used[agent] = true
			pairs = append(pairs, pair{conversation, agent})
		}
	}
	offered, done := false, 0
	for _, p := range pairs {
		workflow.Go(ctx, func(ctx workflow.Context) {
			if q.offer(ctx, p.conversation, p.agent) {
				offered = true
			}
			done++
		})
	}
	if err := workflow.Await(ctx, func() bool { return done == len(pairs) }); err != nil {
		workflow.GetLogger(ctx).Warn("offers interrupted", "error", err)
	}
	return offered
}

// candidate is the first agent in the view not used this round and not
// excluded for the conversation. When the only ones left are excluded (every
// ready member has had it once: transferred it away, declined it or let it
// drop), the exclusions expire the directory's reofferAfter after the last:
// the customer is never parked while a member could take it (docs/rules.md §3).
func (q *queue) candidate(ctx workflow.Context, conversation string, used map[string]bool) (string, bool) {
	i := q.find(conversation)
	if i < 0 {
		return "", false
	}
	excludedOnly := false
	for _, a := range q.ready {
		switch {
		case used[a.agent]:
		case slices.Contains(q.state.Waiting[i].Exclude, a.agent):
			excludedOnly = true
		default:
			return a.agent, true
		}
	}
	if !excludedOnly || workflow.Now(ctx).Before(q.state.Waiting[i].ExcludedAt.Add(q.reofferAfter())) {
		return "", false
	}
	q.state.Waiting[i].Exclude = nil
	return q.candidate(ctx, conversation, used)
}

func (q *queue) reofferAfter() time.Duration {
	if d := q.state.Config.ReofferAfter; d > 0 {
		return d
	}
	return directory.DefaultReofferAfter
}

// nextExpiry is when the exclusions of a waiting conversation next expire,
// for the queue to route again then (view only).
func (q *queue) nextExpiry(ctx workflow.Context) (time.Time, bool) {
	var next time.Time
	if !q.routesOnView {
		return next, false
	}
	now := workflow.Now(ctx)
	for _, w := range q.state.Waiting {
		at := w.ExcludedAt.Add(q.reofferAfter())
		if w.OfferedTo == "" && len(w.Exclude) > 0 && at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next, !next.IsZero()
}
