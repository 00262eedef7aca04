package metrics

import (
	"context"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
)

// QueueWait is one queue's line when the metrics were read.
type QueueWait struct {
	Tenant, Queue string
	Waiting       int       // conversations in the line
	Oldest        time.Time // when the longest-waiting joined it (zero: none waits)
}

// ReadQueues reads every queue's line (one query per queue).
type ReadQueues func(ctx context.Context) ([]QueueWait, error)

var (
	queueWaiting = prom.NewDesc("outbound_queue_waiting",
		"Conversations waiting in the queue's line.", []string{"tenant", "queue"}, nil)
	queueLongestWait = prom.NewDesc("outbound_queue_longest_wait_seconds",
		"How long the longest-waiting conversation of the queue has waited (0: none waits).", []string{"tenant", "queue"}, nil)
)

// QueueWaits exports each queue's line: how many wait and the longest wait,
// read when Prometheus scrapes (a query per queue, not per agent), so the
// figure is the queue's own and not a copy one worker kept.
func (r *Registry) QueueWaits(read ReadQueues) {
	r.prom.MustRegister(queueCollector(read))
}

type queueCollector ReadQueues

func (c queueCollector) Describe(ch chan<- *prom.Desc) {
	ch <- queueWaiting
	ch <- queueLongestWait
}

func (c queueCollector) Collect(ch chan<- prom.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	queues, err := c(ctx)
	if err != nil {
		ch <- prom.NewInvalidMetric(queueWaiting, err)
		return
	}
	now := time.Now()
	for _, q := range queues {
		longest := 0.0
		if !q.Oldest.IsZero() {
			longest = now.Sub(q.Oldest).Seconds()
		}
		ch <- prom.MustNewConstMetric(queueWaiting, prom.GaugeValue, float64(q.Waiting), q.Tenant, q.Queue)
		ch <- prom.MustNewConstMetric(queueLongestWait, prom.GaugeValue, longest, q.Tenant, q.Queue)
	}
}
