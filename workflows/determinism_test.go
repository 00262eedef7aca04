package workflows_test

import (
	"os/exec"
	"testing"
)

// TestWorkflowsAreDeterministic runs workflowcheck (a tool in go.mod) over
// this package: no map iteration, wall clock, goroutines or I/O in workflow code.
func TestWorkflowsAreDeterministic(t *testing.T) {
	out, err := exec.Command("go", "tool", "workflowcheck", "-show-pos", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("workflowcheck: %v\n%s", err, out)
	}
}
