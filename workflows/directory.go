package workflows

import (
	"go.temporal.io/sdk/workflow"

	"outbound/internal/directory"
	"outbound/internal/model"
)

// Directory holds the tenant directories the worker serves, published at
// worker start, so the starter can list agents and queues without the YAML.
func Directory(ctx workflow.Context, tenants map[string]directory.Directory) (map[string]directory.Directory, error) {
	d := &directoryHolder{tenants: tenants}
	query(ctx, func() map[string]directory.Directory { return d.tenants })
	register(ctx, &d.h, model.OpPublish, always[map[string]directory.Directory], d.publish)
	return d.tenants, runEntity(ctx, &d.h, func() error {
		return workflow.NewContinueAsNewError(ctx, Directory, d.tenants)
	})
}

type directoryHolder struct {
	tenants map[string]directory.Directory
	h       handlers
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
