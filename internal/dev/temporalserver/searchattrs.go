package temporalserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// namespaceRefresh is the server's default namespace cache refresh interval
// (system.namespaceCacheRefreshInterval) plus a margin.
const namespaceRefresh = 2500 * time.Millisecond

// RegisterSearchAttributes adds the attributes the namespace lacks. Asking
// only for missing ones keeps restarts quiet: the server logs a warning for
// every attribute that already exists.
func RegisterSearchAttributes(ctx context.Context, c client.Client, ns string, want map[string]enums.IndexedValueType) error {
	if len(want) == 0 {
		return nil
	}
	missing, err := missingSearchAttributes(ctx, c, ns, want)
	if err != nil || len(missing) == 0 {
		return err
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        ns,
		SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("dev server: add search attributes: %w", err)
	}
	// Each service caches namespaces and only sees the new aliases after its
	// next refresh; until then a workflow using them would be rejected.
	return sleep(ctx, namespaceRefresh)
}

func missingSearchAttributes(ctx context.Context, c client.Client, ns string, want map[string]enums.IndexedValueType) (map[string]enums.IndexedValueType, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return nil, fmt.Errorf("dev server: list search attributes: %w", err)
	}
	missing := map[string]enums.IndexedValueType{}
	for name, typ := range want {
		have, ok := resp.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case have != typ:
			// The server would silently keep the old type; say so instead.
			return nil, fmt.Errorf("dev server: search attribute %q is %s, want %s", name, have, typ)
		}
	}
	return missing, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
