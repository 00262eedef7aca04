package tests

import (
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"outbound/internal/api"
	"outbound/internal/codec"
	"outbound/internal/conversations"
	"outbound/internal/dev/testenv"
)

// An operator who terminates a conversation in the Web UI does not leave its
// agent one slot short for good: the agent's slot check gives it back within
// its interval, says why in the agent's history, and keeps the slots of
// conversations that still run.
func TestTerminatedConversationGivesItsSlotBack(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	kept := startSMS(t, c, "alice", newPhone())
	ended := startSMS(t, c, "alice", newPhone())
	if _, inUse := agentInUse(t, c, "alice"); inUse != 2 {
		t.Fatalf("alice holds %d slots, want 2", inUse)
	}
	workflowID, _, _ := api.SplitConversationID(ended)
	if err := env.Temporal.TerminateWorkflow(ctx, workflowID, "", "operator cleanup"); err != nil {
		t.Fatal(err)
	}
	terminated := time.Now()
	interval := env.Directory(c.Tenant).SlotCheckInterval
	eventually(t, 2*interval+time.Second, "alice's slot back", func() bool {
		_, inUse := agentInUse(t, c, "alice")
		return inUse == 1
	})
	t.Logf("slot back %s after the termination (check every %s)", time.Since(terminated).Round(10*time.Millisecond), interval)

	time.Sleep(2 * interval) // two more checks
	st, err := api.GetAgent(ctx, env.Temporal, api.AgentConfig{Tenant: c.Tenant, ID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Slots) != 1 || st.Slots[0].Conversation != kept {
		t.Fatalf("want only the running conversation's slot kept, got %+v", st.Slots)
	}
	freed := slotsGivenBack(t, api.AgentWorkflowID(c.Tenant, "alice"))
	if len(freed) != 1 || freed[0].Conversation != ended || !strings.Contains(freed[0].Why, "terminated") {
		t.Fatalf("the agent's history should say it gave back the terminated conversation's slot, says %+v", freed)
	}
}

// A conversation terminated while its queue's offer is out gives the offered
// agent's slot back, and leaves the queue's line instead of waiting there as
// offered for good.
func TestTerminatedConversationLeavesItsQueue(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id := waitingInIdleBilling(t, c)
	setState(t, c, "carol", api.AgentAvailable)
	waitOffered(t, c, id, "carol")
	workflowID, _, _ := api.SplitConversationID(id)
	if err := env.Temporal.TerminateWorkflow(ctx, workflowID, "", "operator cleanup"); err != nil {
		t.Fatal(err)
	}
	interval := env.Directory(c.Tenant).SlotCheckInterval
	eventually(t, 2*interval+time.Second, "carol's slot back and the line empty", func() bool {
		_, inUse := agentInUse(t, c, "carol")
		return inUse == 0 && len(waitingIn(t, c, "billing")) == 0
	})
}

// slotsGivenBack reads the results of the slot checks in an agent's history
// (the CheckSlots activities' results).
func slotsGivenBack(t *testing.T, workflowID string) []api.DeadSlot {
	t.Helper()
	dc := codec.DataConverter(env.Codec)
	var all []api.DeadSlot
	checks := map[int64]bool{} // scheduled event IDs of CheckSlots
	it := env.Temporal.GetWorkflowHistory(testContext(t), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == "CheckSlots" {
			checks[e.GetEventId()] = true
		}
		done := e.GetActivityTaskCompletedEventAttributes()
		if done == nil || !checks[done.GetScheduledEventId()] {
			continue
		}
		var dead []api.DeadSlot
		if err := dc.FromPayloads(done.GetResult(), &dead); err != nil {
			t.Fatalf("slot check result: %v", err)
		}
		all = append(all, dead...)
	}
	return all
}

// An agent's slot check that finds an offer its conversation no longer makes
// (the offer timed out, and the agent has not heard yet) gives the slot back
// and leaves the conversation in its queue's line: it once took it out, and
// the customer waited forever while agents were free.
func TestStaleOfferOfAWaitingConversationKeepsItInItsQueue(t *testing.T) {
	c := env.PeopleTenant(t)
	id := staleOfferChecked(t, c, "alice", "bob")
	time.Sleep(time.Second) // what the check told the queues has landed
	if line := waitingIn(t, c, "billing"); len(line) != 1 || line[0].ID != id {
		t.Fatalf("billing's line after the check: %+v, want the conversation still waiting", line)
	}
	setState(t, c, "carol", api.AgentAvailable)
	waitOffered(t, c, id, "carol")
}

// staleOfferChecked leaves a conversation from agent from waiting in billing
// (bob and carol idle but agent, a member), offered to agent until it timed out (agent
// RONA), then gives agent a slot for that offer again, as if it had not
// heard the offer end, and waits until its slot check gives it back.
func staleOfferChecked(t *testing.T, c *conversations.Client, from, agent string) (conversation string) {
	t.Helper()
	ctx := testContext(t)
	id := waitingInIdleBillingFrom(t, c, from)
	setState(t, c, agent, api.AgentAvailable)
	waitOffered(t, c, id, agent)
	offer, _ := testenv.PeopleTimeouts()
	eventually(t, offer+10*time.Second, "the offer timed out, "+agent+" RONA", func() bool {
		state, inUse := agentInUse(t, c, agent)
		return state == api.AgentRONA && inUse == 0
	})
	cfg, err := api.AgentConfigFrom(env.Directory(c.Tenant), agent)
	if err != nil {
		t.Fatal(err)
	}
	stale := api.ReserveRequest{Tenant: c.Tenant, Agent: agent, Conversation: id, Kind: api.ReserveOffer, Config: cfg}
	if _, err := api.UpdateAgent(ctx, env.Temporal, cfg, api.AgentReserve, stale); err != nil {
		t.Fatal(err)
	}
	interval := env.Directory(c.Tenant).SlotCheckInterval
	eventually(t, 3*interval+time.Second, agent+"'s stale offer given back", func() bool {
		_, inUse := agentInUse(t, c, agent)
		return inUse == 0
	})
	return id
}
