package workflows

import (
	"hash"
	"hash/fnv"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
)

// deskChanges is the version from which conversations, agents and queues
// move api.AttrChangedAt whenever what a desk shows of them changes, so that
// a desktop process learns of every change with one visibility query
// instead of following each workflow (docs/architecture.md, "Live desk").
// Runs from before stamp nothing.
const deskChanges = "desk-changes"

// changeStamp moves api.AttrChangedAt in the workflow task in which shown, a
// digest of what a desk shows of the workflow, changed: at most once per
// task, however many changes it made (the desk re-reads the state after the
// task), and never for a task a desk would not see (a readiness report, a
// slot check). With quiet set, only a change after that long without one is
// stamped: a desk follows a workflow that changed lately with a history
// long poll, which hears every change at once, and lets go of it once it
// has been quiet for longer (internal/desktop/changes.go), so a busy
// conversation pays for one stamp, not one per message. The stamps of one
// workflow only grow, so a desk compares them.
type changeStamp struct {
	shown     func() uint64 // nil: a run from before deskChanges
	quiet     time.Duration
	last      uint64    // the digest as of the last change, or later in its task
	task      int       // the task of the last change (its history length)
	changedAt time.Time // when it was
	at        time.Time // the last stamp
}

// start notes the run's first view unless its digest is zero (a new run
// may show something new), then every change.
func (s *changeStamp) start(ctx workflow.Context, quiet time.Duration, shown func() uint64) {
	if workflow.GetVersion(ctx, deskChanges, workflow.DefaultVersion, 1) != 1 {
		return
	}
	s.shown, s.quiet = shown, quiet
	s.at, _ = workflow.GetTypedSearchAttributes(ctx).GetTime(api.AttrChangedAt) // a continued run's
	workflow.Go(ctx, func(ctx workflow.Context) {
		for workflow.Await(ctx, func() bool { return s.changed(ctx) }) == nil {
			s.stamp(ctx)
		}
	})
}

// changed is whether what a desk shows changed since the last change noted.
// A change later in the task of one is covered by it: the condition is
// evaluated again after every step of the task, so the digest ends up as of
// the end of that task.
func (s *changeStamp) changed(ctx workflow.Context) bool {
	if s.shown == nil {
		return false
	}
	now := s.shown()
	if workflow.GetInfo(ctx).GetCurrentHistoryLength() == s.task {
		s.last = now
		return false
	}
	return now != s.last
}

// note records a change and answers the stamp to upsert for it, if any, for
// a caller that upserts other attributes in the same command. One in the
// task that ends a run matters: the run may end before the coroutine runs.
func (s *changeStamp) note(ctx workflow.Context) []temporal.SearchAttributeUpdate {
	if !s.changed(ctx) {
		return nil
	}
	now := workflow.Now(ctx)
	quiet := now.Sub(s.changedAt) >= s.quiet
	s.last, s.task, s.changedAt = s.shown(), workflow.GetInfo(ctx).GetCurrentHistoryLength(), now
	if !quiet {
		return nil
	}
	// Microseconds: what the visibility stores read back equal.
	at := now.UTC().Truncate(time.Microsecond)
	if !at.After(s.at) {
		at = s.at.Add(time.Microsecond)
	}
	s.at = at
	return []temporal.SearchAttributeUpdate{api.AttrChangedAt.ValueSet(at)}
}

func (s *changeStamp) stamp(ctx workflow.Context) {
	if due := s.note(ctx); len(due) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, due...); err != nil {
			workflow.GetLogger(ctx).Error("change not stamped", "error", err)
		}
	}
}

// digest hashes the parts of what a desk shows.
type digest struct{ hash.Hash64 }

func newDigest() digest { return digest{fnv.New64a()} }

func (d digest) str(parts ...string) digest {
	for _, p := range parts {
		d.Write([]byte(p))
		d.Write([]byte{0})
	}
	return d
}

func (d digest) num(n int) digest { return d.str(strconv.Itoa(n)) }

func (d digest) time(t time.Time) digest { return d.str(strconv.FormatInt(t.UnixNano(), 36)) }

// shownOfConversation is what a desk shows of a conversation: its messages
// and their statuses, owner, offer, wrap-up and events.
func shownOfConversation(s *api.ConversationState) uint64 {
	d := newDigest().str(s.Status, s.Owner, s.Queue, strconv.FormatBool(s.OptedOut)).num(len(s.Archived)).num(len(s.Events))
	for _, m := range s.Messages {
		d.str(m.ID, m.Status)
	}
	if t := s.PendingTransfer; t != nil {
		d.str(t.From, t.OfferedTo).time(t.OfferExpires)
	}
	if w := s.WrapUp; w != nil {
		d.str(w.Agent, w.Reason)
	}
	return d.Sum64()
}

// shownOfAgent is what a desk shows of an agent: its state and its slots.
func shownOfAgent(s *api.AgentState) uint64 {
	d := newDigest().str(s.State, s.Transferring).time(s.Since)
	for _, slot := range s.Slots {
		d.str(slot.Conversation, slot.Role).time(slot.WrapUpDue)
	}
	return d.Sum64()
}
