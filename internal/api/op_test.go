package api

import (
	"context"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// notReadyClient answers the first updates as the server does when the
// workflow task that would take them failed, then runs them.
type notReadyClient struct {
	client.Client
	failures int
	ids      []string
}

func (f *notReadyClient) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.ids = append(f.ids, o.UpdateID)
	if len(f.ids) <= f.failures {
		return nil, serviceerror.NewWorkflowNotReady("Unable to perform workflow execution update due to unexpected workflow task failure.")
	}
	return doneHandle{}, nil
}

type doneHandle struct{ client.WorkflowUpdateHandle }

func (doneHandle) Get(context.Context, any) error { return nil }

// An update no workflow task took (the run was continuing as new) is sent
// again with the same update ID, so the server runs it once.
func TestUpdateRetriedWhenTheWorkflowTaskFailed(t *testing.T) {
	f := &notReadyClient{failures: 2}
	if _, err := ConversationSend.Call(context.Background(), f, "wf", SendRequest{}); err != nil {
		t.Fatalf("want the third attempt to succeed, got %v", err)
	}
	if len(f.ids) != 3 || f.ids[0] == "" || f.ids[1] != f.ids[0] || f.ids[2] != f.ids[0] {
		t.Fatalf("want 3 attempts with one update ID, got %q", f.ids)
	}

	f = &notReadyClient{failures: updateAttempts}
	if _, err := ConversationSend.Call(context.Background(), f, "wf", SendRequest{}); err == nil {
		t.Fatal("want the error after the last attempt")
	}
	if len(f.ids) != updateAttempts {
		t.Fatalf("want %d attempts, got %d", updateAttempts, len(f.ids))
	}
}
