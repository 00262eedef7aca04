package tests

import (
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"outbound/internal/api"
	"outbound/internal/conversations"
	"outbound/internal/model"
)

// A long conversation continues as new without losing a message: the same id
// keeps working across runs and the transcript stays whole and in order.
func TestLongConversationContinuesAsNewLosingNothing(t *testing.T) {
	c := env.Tenant(t)
	ctx := testContext(t)
	id, err := c.Start(ctx, conversations.StartOptions{
		Agent: "alice", Channel: "sms", EntryPoint: "ep-sms", To: newPhone(), ContinueAsNewAfter: 60,
	})
	if err != nil {
		t.Fatal(err)
	}
	const rounds = 20
	for i := range rounds {
		if _, err := c.Send(ctx, conversations.Sync, id, "alice", model.Compose{Text: fmt.Sprintf("agent %d", i)}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if _, err := c.Reply(ctx, conversations.Async, id, fmt.Sprintf("customer %d", i)); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	eventually(t, 20*time.Second, "every reply", func() bool { return len(show(t, c, id).Messages) == 2*rounds })

	st := show(t, c, id)
	for i, m := range st.Messages {
		if m.ID != fmt.Sprintf("m%d", i+1) {
			t.Fatalf("message %d has id %s: the transcript is out of order", i, m.ID)
		}
	}
	workflowID, firstRun, _ := api.SplitConversationID(id)
	runs := 0
	list, err := env.Temporal.ListWorkflow(ctx, listRuns(workflowID))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list.Executions {
		if e.Status == enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW {
			runs++
		}
	}
	desc, err := env.Temporal.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		t.Fatal(err)
	}
	if desc.WorkflowExecutionInfo.Execution.RunId == firstRun || runs == 0 {
		t.Fatalf("the conversation never continued as new (%d runs)", runs)
	}
	if _, err := c.Close(ctx, id, "alice"); err != nil {
		t.Fatal(err)
	}
	if st := show(t, c, id); st.Status != api.StatusClosed || len(st.Messages) != 2*rounds {
		t.Fatalf("after close: %s with %d messages", st.Status, len(st.Messages))
	}
}
