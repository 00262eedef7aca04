package service

import (
	"context"
	"maps"
	"slices"

	"go.temporal.io/sdk/client"

	"outbound/internal/conversations"
	"outbound/internal/directory"
	"outbound/internal/metrics"
)

// QueueWaits reads every queue's line of the directories, for the
// outbound_queue_* metrics.
func QueueWaits(c client.Client, dirs map[string]*directory.Directory) metrics.ReadQueues {
	reader := &conversations.Client{Temporal: c}
	return func(ctx context.Context) ([]metrics.QueueWait, error) {
		var out []metrics.QueueWait
		for _, tenant := range slices.Sorted(maps.Keys(dirs)) {
			for _, q := range dirs[tenant].Queues {
				line, err := reader.Waiting(ctx, tenant, q.ID)
				if err != nil {
					return nil, err
				}
				w := metrics.QueueWait{Tenant: tenant, Queue: q.ID, Waiting: len(line)}
				if len(line) > 0 {
					w.Oldest = line[0].Since // the line is in order of arrival
				}
				out = append(out, w)
			}
		}
		return out, nil
	}
}
