package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

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
// starting the Directory workflow if needed. The tenants go in pieces of at
// most directory.MaxPublishedBytes (a large tenant alone), so that no
// request nears Temporal's payload limit.
func PublishDirectories(ctx context.Context, c client.Client, tenants map[string]directory.Directory) error {
	start := Start{
		Options: client.StartWorkflowOptions{
			ID:                       DirectoryWorkflowID,
			TaskQueue:                TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		},
		Workflow: DirectoryWorkflow,
		Input:    map[string]directory.Directory{},
	}
	piece, size := map[string]directory.Directory{}, 0
	publish := func() error {
		if len(piece) == 0 {
			return nil
		}
		_, err := DirectoryPublish.CallWithStart(ctx, c, start, piece)
		if err != nil {
			err = fmt.Errorf("tenants %v: %w", slices.Sorted(maps.Keys(piece)), err)
		}
		piece, size = map[string]directory.Directory{}, 0
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(tenants)) {
		d := tenants[name]
		n := d.PublishedBytes()
		if size+n > directory.MaxPublishedBytes {
			if err := publish(); err != nil {
				return err
			}
		}
		piece[name] = d
		size += n
	}
	return publish()
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
