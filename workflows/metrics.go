package workflows

import (
	"go.temporal.io/sdk/workflow"

	"outbound/internal/metrics"
)

// count adds one to a product counter; the SDK drops it during replay.
func count(ctx workflow.Context, name string, tags map[string]string) {
	workflow.GetMetricsHandler(ctx).WithTags(tags).Counter(name).Inc(1)
}

func (c *conversation) countMessage(ctx workflow.Context, name string) {
	count(ctx, name, map[string]string{"tenant": c.state.Tenant, "channel": string(c.state.Channel)})
}

func (c *conversation) countOffer(ctx workflow.Context, outcome string) {
	count(ctx, metrics.TransferOffers, map[string]string{"tenant": c.state.Tenant, "outcome": outcome})
}
