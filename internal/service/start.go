package service

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"outbound/activities"
	"outbound/internal/directory"
	"outbound/internal/imagestore"
)

// Start runs the worker on acts and publishes acts.Directories, once the
// image bucket and its retention rules exist (when acts.Images is an S3
// store). The
// production worker, the dev stack and the tests all start it here.
func Start(ctx context.Context, c client.Client, acts *activities.Activities) (worker.Worker, error) {
	if store, ok := acts.Images.(*imagestore.Store); ok && store != nil {
		if err := prepareImageStore(ctx, store, acts.Directories); err != nil {
			return nil, err
		}
	}
	w := NewWorker(c, acts)
	if err := w.Start(); err != nil {
		return nil, err
	}
	if err := Publish(ctx, c, acts.Directories); err != nil {
		w.Stop()
		return nil, err
	}
	return w, nil
}

// prepareImageStore creates the bucket and, idempotently, the rule that
// expires each tenant's images after six months (rule 12).
func prepareImageStore(ctx context.Context, store *imagestore.Store, dirs map[string]*directory.Directory) error {
	if err := store.EnsureBucket(ctx); err != nil {
		return fmt.Errorf("image bucket: %w", err)
	}
	for tenant := range dirs {
		if err := store.EnsureLifecycle(ctx, imagestore.Prefix(tenant), imagestore.RetentionDays); err != nil {
			return fmt.Errorf("image retention for %s: %w", tenant, err)
		}
	}
	return nil
}
