package api

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"outbound/internal/directory"
)

// DirectoryWorkflow holds the tenant directories the workers serve, so that
// clients list agents and queues without the YAML files.
const DirectoryWorkflow = "Directory"

// DirectoryWorkflowID is the one Directory workflow of a namespace.
const DirectoryWorkflowID = "outbound-directory"

// The Directory's operations: a starting worker publishes its tenants by
// update (it must not announce itself ready before they are visible).
const (
	DirectoryPublish Update[map[string]directory.Directory, int] = "publish" // answers how many tenants it holds
	DirectoryQuery   Query[map[string]directory.Directory]       = "state"
)

// PublishDirectories makes the tenants visible to clients, by tenant name,
// starting the Directory workflow if needed.
func PublishDirectories(ctx context.Context, c client.Client, tenants map[string]directory.Directory) error {
	start := Start{
		Options: client.StartWorkflowOptions{
			ID:                       DirectoryWorkflowID,
			TaskQueue:                TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		},
		Workflow: DirectoryWorkflow,
		Input:    tenants,
	}
	_, err := DirectoryPublish.CallWithStart(ctx, c, start, tenants)
	return err
}

// Directories returns the tenants the workers published, by name.
func Directories(ctx context.Context, c client.Client) (map[string]directory.Directory, error) {
	dirs, err := DirectoryQuery.Get(ctx, c, DirectoryWorkflowID)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return nil, errors.New("no worker has published a tenant directory yet: is the worker running?")
	}
	return dirs, err
}
