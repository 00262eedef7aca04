package tests

import (
	"sync"
	"testing"
	"time"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// docs/rules.md §3 (every request is retry-safe): the same send request id five times
// at once is one message in the transcript and one SMS at the provider, and
// every caller gets the first answer.
func TestSendWithOneRequestIDConcurrentlyActsOnce(t *testing.T) {
	c := env.Tenant(t)
	to := newPhone()
	id := startSMS(t, c, "alice", to)
	ctx := conversations.WithRequestID(testContext(t), "send-once-1")
	answers := make([]api.MessageResult, 5)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			res, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "Only once, please"})
			if err != nil {
				t.Errorf("send %d: %v", i, err)
			}
			answers[i] = res
		})
	}
	wg.Wait()
	for _, a := range answers[1:] {
		if a.MessageID != answers[0].MessageID {
			t.Fatalf("answers differ: %+v", answers)
		}
	}
	if n := len(show(t, c, id).Messages); n != 2 {
		t.Fatalf("%d messages, want the first and one send", n)
	}
	eventually(t, 10*time.Second, "both SMS at the provider", func() bool { return len(smsOutbox(t, to)) >= 2 })
	if n := len(smsOutbox(t, to)); n != 2 {
		t.Fatalf("the provider got %d SMS, want 2 (the first message and one send)", n)
	}
	// The same id later, as a signal too, still acts no more.
	if _, err := c.Send(ctx, conversations.Async, id, "alice", model.Compose{Text: "Only once, please"}); err != nil {
		t.Fatal(err)
	}
	again, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: "Only once, please"})
	if err != nil || again != answers[0] {
		t.Fatalf("a later retry answered %+v, %v; want the first answer %+v", again, err, answers[0])
	}
	if n := len(show(t, c, id).Messages); n != 2 {
		t.Fatalf("%d messages after the retries, want 2", n)
	}
}

// A start retried with its request id reaches the conversation it started,
// instead of ACTIVE_CONVERSATION_EXISTS; another start is still refused.
func TestStartRetriedWithItsIDGetsTheSameConversation(t *testing.T) {
	c := env.Tenant(t)
	to := newPhone()
	o := conversations.StartOptions{Agent: "alice", Channel: model.SMS, EntryPoint: "ep-sms", To: to, First: &model.Compose{Text: "Hello"}}
	ctx := conversations.WithRequestID(testContext(t), "start-once-1")
	first, err := c.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Start(ctx, o)
	if err != nil || again != first {
		t.Fatalf("the retried start answered %q, %v; want %q", again, err, first)
	}
	_, err = c.Start(testContext(t), o)
	wantCode(t, err, codes.ActiveConversationExists)
	if _, inUse := agentInUse(t, c, "alice"); inUse != 1 {
		t.Fatalf("alice holds %d slots, want 1", inUse)
	}
	if n := len(smsOutbox(t, to)); n > 1 {
		t.Fatalf("the first message went out %d times", n)
	}
}

// A close and a wrap-up retried with their ids answer as the first time
// instead of CONVERSATION_CLOSED and NOT_OWNER.
func TestCloseAndWrapUpRetriedAnswerAsTheFirstTime(t *testing.T) {
	c := env.Tenant(t)
	id := startSMS(t, c, "alice", newPhone())
	closeCtx := conversations.WithRequestID(testContext(t), "close-once-1")
	for range 2 {
		if status, err := c.Close(closeCtx, id, "alice"); err != nil || status != api.StatusClosed {
			t.Fatalf("close: %q, %v", status, err)
		}
	}
	wrapCtx := conversations.WithRequestID(testContext(t), "wrapup-once-1")
	for range 2 {
		if err := c.WrapUp(wrapCtx, id, "alice", "resolved"); err != nil {
			t.Fatalf("wrap-up: %v", err)
		}
	}
	err := c.WrapUp(testContext(t), id, "alice", "resolved")
	wantCode(t, err, codes.NotOwner)
}
