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
// digest of what a desk shows of the workflow, changed: one upsert per such
// task, however many changes it made (the desk re-reads the state after the
// task), and none for a task a desk would not see (a readiness report, a
// slot check). The stamps of one workflow only grow, so a desk compares them.
type changeStamp struct {
	shown func() uint64 // nil: a run from before deskChanges
	last  uint64        // the digest as of the last stamp, or later in its task
	task  int           // the task of the last stamp (its history length)
	at    time.Time
}

// start stamps the run's first view unless its digest is zero (a new run
// may show something new), then every change.
func (s *changeStamp) start(ctx workflow.Context, shown func() uint64) {
	if workflow.GetVersion(ctx, deskChanges, workflow.DefaultVersion, 1) != 1 {
		return
	}
	s.shown = shown
	s.at, _ = workflow.GetTypedSearchAttributes(ctx).GetTime(api.AttrChangedAt) // a continued run's
	workflow.Go(ctx, func(ctx workflow.Context) {
		for workflow.Await(ctx, func() bool { return s.changed(ctx) }) == nil {
			s.stamp(ctx)
		}
	})
}

// changed is whether what a desk shows changed since the last stamp. A
// change later in the task of a stamp is covered by it: the condition is
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

// due is the stamp to upsert now, if a change wants one, for a caller
// that upserts other attributes in the same command. One in the task that
// ends a run matters: the run may end before the stamping coroutine runs.
func (s *changeStamp) due(ctx workflow.Context) []temporal.SearchAttributeUpdate {
	if !s.changed(ctx) {
		return nil
	}
	s.last, s.task = s.shown(), workflow.GetInfo(ctx).GetCurrentHistoryLength()
	// Microseconds: what the visibility stores read back equal.
	at := workflow.Now(ctx).UTC().Truncate(time.Microsecond)
	if !at.After(s.at) {
		at = s.at.Add(time.Microsecond)
	}
	s.at = at
	return []temporal.SearchAttributeUpdate{api.AttrChangedAt.ValueSet(at)}
}

func (s *changeStamp) stamp(ctx workflow.Context) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, s.due(ctx)...); err != nil {
		workflow.GetLogger(ctx).Error("change not stamped", "error", err)
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
