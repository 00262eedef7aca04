package tests

import (
	"sync"
	"testing"

	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// startMany runs n starts at once and returns the ids and the refusals.
func startMany(t *testing.T, c *conversations.Client, n int, opts func(i int) conversations.StartOptions) (ids []string, refusals []error) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			id, err := c.Start(testContext(t), opts(i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				refusals = append(refusals, err)
			} else {
				ids = append(ids, id)
			}
		}()
	}
	close(ready)
	wg.Wait()
	return ids, refusals
}

// Rule 7 under concurrency: with maxOutbound N, N+5 simultaneous starts give
// exactly N conversations and 5 OUTBOUND_LIMIT_REACHED.
func TestOutboundLimitHoldsUnderConcurrentStarts(t *testing.T) {
	c := env.Tenant(t)
	const limit = 3 // the blended profile's maxOutbound
	ids, refusals := startMany(t, c, limit+5, func(int) conversations.StartOptions {
		return conversations.StartOptions{Agent: "alice", Channel: "sms", EntryPoint: "ep-sms", To: newPhone()}
	})
	if len(ids) != limit || len(refusals) != 5 {
		t.Fatalf("want %d conversations and 5 refusals, got %d and %v", limit, len(ids), refusals)
	}
	for _, err := range refusals {
		wantCode(t, err, codes.OutboundLimitReached)
	}
	if _, inUse := agentInUse(t, c, "alice"); inUse != limit {
		t.Fatalf("alice holds %d slots, want %d", inUse, limit)
	}
}

// Rule 6 under concurrency: two agents starting to the same customer on the
// same entry point at once get exactly one conversation.
func TestOneActiveConversationPerCustomerAndEntryPoint(t *testing.T) {
	c := env.Tenant(t)
	to := newPhone()
	agents := []string{"alice", "bob"}
	ids, refusals := startMany(t, c, 2, func(i int) conversations.StartOptions {
		return conversations.StartOptions{Agent: agents[i], Channel: "sms", EntryPoint: "ep-sms", To: to}
	})
	if len(ids) != 1 || len(refusals) != 1 {
		t.Fatalf("want one conversation and one refusal, got %v and %v", ids, refusals)
	}
	wantCode(t, refusals[0], codes.ActiveConversationExists)

	// The loser's slot was never taken or was given back.
	owner := show(t, c, ids[0]).Owner
	loser := agents[0]
	if owner == loser {
		loser = agents[1]
	}
	if _, inUse := agentInUse(t, c, loser); inUse != 0 {
		t.Fatalf("%s holds %d slots after a refused start", loser, inUse)
	}
	// A differently written form of the same number is the same customer.
	_, err := c.Start(testContext(t), conversations.StartOptions{Agent: "alice", Channel: "sms", EntryPoint: "ep-sms", To: to[:2] + " " + to[2:5] + "-" + to[5:]})
	wantCode(t, err, codes.ActiveConversationExists)
}

// A refusal after the slot was reserved (a reused subject) gives the slot back.
func TestRefusedStartDoesNotLeakSlot(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newEmail()
	id, err := c.Start(ctx, conversations.StartOptions{Agent: "alice", Channel: "email", EntryPoint: "ep-email", To: to, Subject: "Your order 42"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Close(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := c.WrapUp(ctx, id, "alice", "resolved"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Start(ctx, conversations.StartOptions{Agent: "alice", Channel: "email", EntryPoint: "ep-email", To: to, Subject: "  your ORDER 42 "})
	wantCode(t, err, codes.SubjectReused)
	if _, inUse := agentInUse(t, c, "alice"); inUse != 0 {
		t.Fatalf("the refused start leaked a slot: %d in use", inUse)
	}
	if _, err := c.Start(ctx, conversations.StartOptions{Agent: "alice", Channel: "email", EntryPoint: "ep-email", To: to, Subject: "Your order 43",
		First: &model.Compose{Text: "About order 43"}}); err != nil {
		t.Fatalf("a new subject is accepted: %v", err)
	}
}

// Found: 50 starts racing to one customer while the agent had no free slot
// were refused, 40 of them with ACTIVE_CONVERSATION_EXISTS although no
// conversation existed: they met the first start's conversation while it
// was being refused. Each refusal names its real cause. (The starts of one
// customer are decided one after another, each a run of its own: 20 keep
// the test within the client's retry budget on a busy machine.)
func TestRacingStartsAreEachToldTheirOwnCause(t *testing.T) {
	c := env.Tenant(t)
	for range 3 { // the blended profile's maxOutbound
		startSMS(t, c, "alice", newPhone())
	}
	to := newPhone()
	const racing = 20
	ids, refusals := startMany(t, c, racing, func(int) conversations.StartOptions {
		return conversations.StartOptions{Agent: "alice", Channel: "sms", EntryPoint: "ep-sms", To: to, First: &model.Compose{Text: "hi"}}
	})
	if len(ids) != 0 || len(refusals) != racing {
		t.Fatalf("want %d refusals, got conversations %v and %d refusals", racing, ids, len(refusals))
	}
	for _, err := range refusals {
		wantCode(t, err, codes.OutboundLimitReached)
	}
	if list, err := c.List(testContext(t), conversations.ListFilter{Customer: to, Open: true}); err != nil || len(list) != 0 {
		t.Fatalf("open conversations with the customer: %v %v", list, err)
	}
}
