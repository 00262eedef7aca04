package tests

import (
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"outbound/internal/api"
	"outbound/internal/model"
)

// A routing retried after it landed (the worker died before the customer's
// record heard back) lands nowhere again, even once its conversation has
// closed. Found by the cluster's fault test: the retry reused the request id
// as the update ID of a new conversation's open, got the old reply's answer
// back, could not decode it, and wedged every later message of the customer.
func TestRouteRetriedAfterCloseLandsOnce(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	to := newPhone()
	id := startSMS(t, c, "alice", to)
	req := api.InboundRequest{
		Tenant: c.Tenant, Channel: model.SMS, EntryPoint: "ep-sms", From: to,
		CustomerMessage: model.CustomerMessage{Text: "landed once"}, Request: api.Request{RequestID: "route-retry-" + to},
	}
	first, err := c.Route(ctx, req)
	if err != nil || first.Conversation != id {
		t.Fatalf("first routing: %+v %v, want %s", first, err, id)
	}
	if _, err := c.Close(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	workflowID, _, _ := api.SplitConversationID(id)
	eventually(t, 10*time.Second, "the conversation's workflow completed", func() bool {
		desc, err := c.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
		return err == nil && desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})

	again, err := c.Route(ctx, req)
	if err != nil || again.Conversation != id {
		t.Fatalf("retried routing: %+v %v, want the first conversation %s", again, err, id)
	}
	desc, err := c.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		t.Fatal(err)
	}
	if desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		t.Error("the retry opened a new conversation")
	}
	st, err := c.Show(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range st.Messages {
		if m.Text == "landed once" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the message is in the transcript %d times, want once", n)
	}
}
