package workflows

import (
	"go.temporal.io/sdk/workflow"

	"outbound/internal/api"
	"outbound/internal/directory"
)

// Directory holds the tenant directories the workers serve, published at
// worker start, so the starter can list agents and queues without the YAML.
func Directory(ctx workflow.Context, tenants map[string]directory.Directory) (map[string]directory.Directory, error) {
	d := &directoryHolder{tenants: tenants}
	api.DirectoryQuery.Handle(ctx, func() map[string]directory.Directory { return d.tenants })
	api.DirectoryPublish.Handle(ctx, d.publish, nil)
	return d.tenants, runEntity(ctx, &d.inbox, func() error {
		return workflow.NewContinueAsNewError(ctx, Directory, d.tenants)
	})
}

type directoryHolder struct {
	tenants map[string]directory.Directory
	inbox   inbox // no signals: it only waits for the publishing updates
}

func (d *directoryHolder) publish(ctx workflow.Context, tenants map[string]directory.Directory) (int, error) {
	if d.tenants == nil {
		d.tenants = map[string]directory.Directory{}
	}
	for _, name := range workflow.DeterministicKeys(tenants) {
		d.tenants[name] = tenants[name]
	}
	return len(d.tenants), nil
}
