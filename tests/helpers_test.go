package tests

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"outbound/internal/api"
	"outbound/internal/codes"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var phoneSeq atomic.Int64

// newPhone returns a fresh valid US mobile number, so tests never collide on
// rule 6 (one open conversation per customer and entry point).
func newPhone() string {
	return fmt.Sprintf("+1415555%04d", 1000+phoneSeq.Add(1))
}

func newEmail() string {
	return fmt.Sprintf("customer%d@example.com", phoneSeq.Add(1))
}

func startSMS(t *testing.T, c *conversations.Client, agent, to string) string {
	t.Helper()
	id, err := c.Start(testContext(t), conversations.StartOptions{
		Agent: agent, Channel: "sms", To: to, EntryPoint: "ep-sms", First: &model.Compose{Text: "Hello from Acme"},
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	return id
}

func show(t *testing.T, c *conversations.Client, id string) api.ConversationState {
	t.Helper()
	st, err := c.Show(testContext(t), id)
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	return st
}

// wantCode fails unless err carries the §5 code.
func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	got, msg, ok := codes.Of(err)
	if !ok || got != code {
		t.Fatalf("want %s, got %v", code, err)
	}
	if msg == "" {
		t.Fatalf("%s without a message", code)
	}
}

// eventually polls until check passes or the time is up.
func eventually(t *testing.T, within time.Duration, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func agentInUse(t *testing.T, c *conversations.Client, agent string) (state string, inUse int) {
	t.Helper()
	agents, err := c.Agents(testContext(t), "")
	if err != nil {
		t.Fatalf("agents: %v", err)
	}
	for _, a := range agents {
		if a.ID == agent {
			return a.State, a.InUse
		}
	}
	t.Fatalf("agent %s not listed", agent)
	return "", 0
}

func listRuns(workflowID string) *workflowservice.ListWorkflowExecutionsRequest {
	return &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowId = '%s'", workflowID)}
}

// entryAddress is a test tenant's entry point address (unique per tenant).
func entryAddress(c *conversations.Client, entryPoint string) string {
	ep, _ := env.Directory(c.Tenant).EntryPoint(entryPoint)
	return ep.Address
}

// messagesOf waits until conversation id holds at least n messages (a
// customer's message lands after the channel accepted it) and returns them.
func messagesOf(t *testing.T, c *conversations.Client, id string, n int) []model.Message {
	t.Helper()
	var msgs []model.Message
	eventually(t, 10*time.Second, fmt.Sprintf("%d messages", n), func() bool {
		msgs = show(t, c, id).Messages
		return len(msgs) >= n
	})
	return msgs
}
