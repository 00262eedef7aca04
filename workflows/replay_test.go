package workflows_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"outbound/internal/service"
)

// TestReplayCommittedHistories replays histories recorded from real runs
// against the current workflow code: a change that would break a running
// conversation fails here. A change to workflow code keeps these replaying,
// or guards itself with workflow.GetVersion and adds a new history (see
// TestReplayHistories in tests/, which records them with -record).
func TestReplayCommittedHistories(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "workflow-ids.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ids map[string]string
	if err := json.Unmarshal(data, &ids); err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		t.Fatal("no committed histories")
	}
	for name, id := range ids {
		t.Run(name, func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			service.RegisterWorkflows(replayer)
			opts := worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: id}}
			f, err := os.Open(filepath.Join("testdata", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			history, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := replayer.ReplayWorkflowHistoryWithOptions(nil, history, opts); err != nil {
				t.Fatalf("replay: %v", err)
			}
		})
	}
}
