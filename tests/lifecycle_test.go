package tests

import (
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"outbound/internal/api"
	"outbound/internal/codec"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// Rules 16 and 20: closing ends the conversation, the agent wraps up (slot
// held until then), and the next conversation with that customer inherits the
// previous one as context.
func TestCloseWrapUpAndNextConversationInheritsHistory(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newPhone()
	first := startSMS(t, c, "alice", to)
	if _, err := c.Reply(ctx, conversations.Sync, first, "see you"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Close(ctx, first, "alice"); err != nil {
		t.Fatal(err)
	}
	st := show(t, c, first)
	if st.Status != api.StatusClosed || st.WrapUp == nil || st.WrapUp.Agent != "alice" || st.WrapUp.Reason != "" {
		t.Fatalf("want closed with alice's wrap-up pending, got %s %+v", st.Status, st.WrapUp)
	}
	if _, inUse := agentInUse(t, c, "alice"); inUse != 1 {
		t.Fatalf("the slot must stay held during wrap-up, in use: %d", inUse)
	}
	_, err := c.Send(ctx, conversations.Sync, first, "alice", model.Compose{Text: "too late"})
	wantCode(t, err, codes.ConversationClosed)
	wantCode(t, c.WrapUp(ctx, first, "alice", "because"), codes.WrapUpReasonUnknown)
	if err := c.WrapUp(ctx, first, "alice", "resolved"); err != nil {
		t.Fatal(err)
	}
	if _, inUse := agentInUse(t, c, "alice"); inUse != 0 {
		t.Fatalf("wrap-up must free the slot, in use: %d", inUse)
	}
	if w := show(t, c, first).WrapUp; w == nil || w.Reason != "resolved" || w.Auto {
		t.Fatalf("want wrap-up resolved, got %+v", w)
	}

	second := startSMS(t, c, "bob", to)
	if second == first {
		t.Fatal("a new conversation needs a new id")
	}
	next := show(t, c, second)
	if next.PreviousConversation == nil || *next.PreviousConversation != first {
		t.Fatalf("previousConversation = %v, want %s", next.PreviousConversation, first)
	}
	if n := len(next.PreviousMessages); n != 2 || next.PreviousMessages[1].Text != "see you" {
		t.Fatalf("want the previous transcript as context, got %+v", next.PreviousMessages)
	}
	// The old id still shows the closed conversation, not the new one.
	if old := show(t, c, first); old.ID != first || old.Status != api.StatusClosed {
		t.Fatalf("show of the old id gives %s %s", old.ID, old.Status)
	}
}

// Rule 20: without a reason, the wrap-up timer applies the tenant's default.
func TestWrapUpTimeoutAppliesDefaultReason(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id := startSMS(t, c, "alice", newPhone())
	if _, err := c.Close(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the default wrap-up reason", func() bool {
		w := show(t, c, id).WrapUp
		return w != nil && w.Reason == "no-reason" && w.Auto
	})
	if _, inUse := agentInUse(t, c, "alice"); inUse != 0 {
		t.Fatalf("the wrap-up timeout must free the slot, in use: %d", inUse)
	}
}

// A wrap-up the agent ends leaves no timer behind: its timeout timer is
// cancelled, so it does not wake the agent's workflow once more when it would
// have run out (a workflow task per conversation, for nothing).
func TestEndedWrapUpLeavesNoTimer(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id := startSMS(t, c, "alice", newPhone())
	if _, err := c.Close(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := c.WrapUp(ctx, id, "alice", "resolved"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // past the tenant's 2-second wrap-up timeout
	started, fired, cancelled := timers(t, api.AgentWorkflowID(c.Tenant, "alice"), "wrap-up timeout")
	if started != 1 || fired != 0 || cancelled != 1 {
		t.Fatalf("wrap-up timers: %d started, %d fired, %d cancelled; want 1, 0, 1", started, fired, cancelled)
	}
}

// timers counts a workflow's timers whose summary starts with prefix by what
// became of them.
func timers(t *testing.T, workflowID, prefix string) (started, fired, cancelled int) {
	t.Helper()
	dc := codec.DataConverter(env.Codec)
	counted := map[string]bool{} // timer IDs
	it := env.Temporal.GetWorkflowHistory(testContext(t), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := e.GetTimerStartedEventAttributes(); a != nil {
			var summary string
			if p := e.GetUserMetadata().GetSummary(); p != nil {
				if err := dc.FromPayload(p, &summary); err != nil {
					t.Fatalf("timer summary: %v", err)
				}
			}
			if strings.HasPrefix(summary, prefix) {
				counted[a.GetTimerId()] = true
				started++
			}
		}
		if counted[e.GetTimerFiredEventAttributes().GetTimerId()] {
			fired++
		}
		if counted[e.GetTimerCanceledEventAttributes().GetTimerId()] {
			cancelled++
		}
	}
	return started, fired, cancelled
}
