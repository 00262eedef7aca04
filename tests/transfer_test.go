package tests

import (
	"testing"
	"time"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// Rules 17 and 20: a transfer to an available agent is offered, accepted, and
// the previous owner goes to wrap-up.
func TestTransferToAgentAccepted(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id := startSMS(t, c, "alice", newPhone())

	_, err := c.Transfer(ctx, id, "bob", "alice", "")
	wantCode(t, err, codes.NotOwner)
	_, err = c.Transfer(ctx, id, "alice", "", "nowhere")
	wantCode(t, err, codes.UnknownQueue)

	status, err := c.Transfer(ctx, id, "alice", "bob", "")
	if err != nil || status != api.StatusOffered {
		t.Fatalf("transfer: %s %v", status, err)
	}
	st := show(t, c, id)
	if st.Owner != "" || st.PendingTransfer == nil || st.PendingTransfer.OfferedTo != "bob" || st.WrapUp == nil || st.WrapUp.Agent != "alice" {
		t.Fatalf("want offered to bob with alice in wrap-up, got %+v", st)
	}
	_, err = c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "still mine?"})
	wantCode(t, err, codes.NotOwner)
	_, err = c.Accept(ctx, id, "carol")
	wantCode(t, err, codes.NoPendingOffer)
	_, err = c.Decline(ctx, id, "alice")
	wantCode(t, err, codes.NoPendingOffer)

	if _, err := c.Accept(ctx, id, "bob"); err != nil {
		t.Fatal(err)
	}
	st = show(t, c, id)
	if st.Status != api.StatusActive || st.Owner != "bob" || st.PendingTransfer != nil {
		t.Fatalf("want active with bob, got %s %s %+v", st.Status, st.Owner, st.PendingTransfer)
	}
	if res, err := c.Send(ctx, conversations.Sync, id, "bob", model.Compose{Text: "Bob here"}); err != nil || res.Status != model.MessageSent {
		t.Fatalf("bob sends: %+v %v", res, err)
	}
	if err := c.WrapUp(ctx, id, "alice", "follow-up"); err != nil {
		t.Fatal(err)
	}
	if _, inUse := agentInUse(t, c, "alice"); inUse != 0 {
		t.Fatalf("alice's slot must be free after wrap-up, in use: %d", inUse)
	}
}

// An accepted offer leaves no timer behind: the offer's timeout timer is
// cancelled, so it does not wake the conversation when it would have run out.
func TestAcceptedOfferLeavesNoTimer(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id := startSMS(t, c, "alice", newPhone())
	if _, err := c.Transfer(ctx, id, "alice", "bob", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Accept(ctx, id, "bob"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second) // past the tenant's 2-second offer timeout
	workflowID, _, _ := api.SplitConversationID(id)
	started, fired, cancelled := timers(t, workflowID, "transfer offer to bob")
	if started != 1 || fired != 0 || cancelled != 1 {
		t.Fatalf("offer timers: %d started, %d fired, %d cancelled; want 1, 0, 1", started, fired, cancelled)
	}
}

// Rule 17: the target must be available (or RONA) with a free slot.
func TestTransferTargetMustBeAvailable(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id := startSMS(t, c, "alice", newPhone())
	if err := c.SetAgentState(ctx, "bob", api.AgentIdle); err != nil {
		t.Fatal(err)
	}
	_, err := c.Transfer(ctx, id, "alice", "bob", "")
	wantCode(t, err, codes.TargetUnavailable)
	if st := show(t, c, id); st.Status != api.StatusActive || st.Owner != "alice" || st.WrapUp != nil {
		t.Fatalf("a refused transfer changed the conversation: %+v", st)
	}
	if _, inUse := agentInUse(t, c, "bob"); inUse != 0 {
		t.Fatalf("a refused transfer left bob with %d slots", inUse)
	}
}

// Rule 18: one outbound transfer at a time per agent.
func TestOneTransferAtATime(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	first := startSMS(t, c, "alice", newPhone())
	second := startSMS(t, c, "alice", newPhone())
	if _, err := c.Transfer(ctx, first, "alice", "bob", ""); err != nil {
		t.Fatal(err)
	}
	_, err := c.Transfer(ctx, second, "alice", "bob", "")
	wantCode(t, err, codes.TransferPending)
	if _, err := c.Accept(ctx, first, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Transfer(ctx, second, "alice", "bob", ""); err != nil {
		t.Fatalf("after the first transfer resolved, a second is allowed: %v", err)
	}
}

// Rule 19: an offer nobody accepts in time is dropped, the target goes to RONA
// and the conversation waits in the entry point's queue; nothing is lost.
func TestOfferTimeoutSetsRONAAndQueues(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id := startSMS(t, c, "alice", newPhone())
	if _, err := c.Transfer(ctx, id, "alice", "bob", ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the offer to time out", func() bool { return show(t, c, id).Status == api.StatusQueued })
	st := show(t, c, id)
	if st.Queue != "support" || st.PendingTransfer != nil || st.Owner != "" {
		t.Fatalf("want queued in support with no owner, got %+v", st)
	}
	// The conversation is queued before it tells bob (an accept arriving
	// meanwhile finds no offer), so bob's RONA follows a moment later.
	eventually(t, 2*time.Second, "bob RONA with no slot", func() bool {
		state, inUse := agentInUse(t, c, "bob")
		return state == api.AgentRONA && inUse == 0
	})
	if _, err := c.Reply(ctx, conversations.Sync, id, "hello? anyone?"); err != nil {
		t.Fatalf("a queued conversation still takes replies: %v", err)
	}
	_, err := c.Accept(ctx, id, "carol")
	wantCode(t, err, codes.NoPendingOffer) // carol is not in support
	if _, err := c.Accept(ctx, id, "bob"); err != nil {
		t.Fatalf("a RONA queue member may pick the conversation up: %v", err)
	}
	st = show(t, c, id)
	if st.Owner != "bob" || st.Status != api.StatusActive {
		t.Fatalf("want bob active, got %s %s", st.Owner, st.Status)
	}
	if last := st.Messages[len(st.Messages)-1]; last.Text != "hello? anyone?" {
		t.Fatalf("the reply while queued was lost: %+v", st.Messages)
	}
}

// Rule 17: a queue offers to its available agents longest-available first; a
// decline moves on to the next.
func TestQueueTransferOffersLongestAvailableFirst(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id := startSMS(t, c, "alice", newPhone())
	// carol has been available since the worker started; bob only from now.
	if err := c.SetAgentState(ctx, "bob", api.AgentIdle); err != nil {
		t.Fatal(err)
	}
	if err := c.SetAgentState(ctx, "bob", api.AgentAvailable); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Transfer(ctx, id, "alice", "", "billing"); err != nil {
		t.Fatal(err)
	}
	offeredTo := func() string {
		if t := show(t, c, id).PendingTransfer; t != nil {
			return t.OfferedTo
		}
		return ""
	}
	eventually(t, 10*time.Second, "the offer to carol", func() bool { return offeredTo() == "carol" })
	if _, err := c.Decline(ctx, id, "carol"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the offer to bob", func() bool { return offeredTo() == "bob" })
	if state, _ := agentInUse(t, c, "carol"); state != api.AgentAvailable {
		t.Fatalf("a decline is not a no-answer: carol is %s", state)
	}
	if _, err := c.Accept(ctx, id, "bob"); err != nil {
		t.Fatal(err)
	}
}
