// Package metrics exports the SDK's metrics and the product's own to
// Prometheus. Workflows and activities record product metrics through the
// SDK's metrics handler (replay-safe in workflows), so one registry serves all.
package metrics

import (
	"net/http"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
)

// Product metric names; the timer is exported as a histogram in seconds.
const (
	ConversationsStarted = "outbound_conversations_started"
	ConversationsRefused = "outbound_conversations_refused" // tag code
	MessagesSent         = "outbound_messages_sent"         // tag channel: the provider took it
	MessagesDelivered    = "outbound_messages_delivered"    // tag channel: the provider confirmed delivery
	MessagesFailed       = "outbound_messages_failed"       // tag channel
	TransferOffers       = "outbound_transfer_offers"       // tag outcome: accepted, declined, timed_out
	DeliveryLatency      = "outbound_delivery_latency"      // timer, tag channel
)

// New returns the SDK metrics handler for client.Options and the /metrics
// HTTP handler serving it.
func New() (client.MetricsHandler, http.Handler, error) {
	registry := prom.NewRegistry()
	exporter, err := prometheus.New(prometheus.WithRegisterer(registry), prometheus.WithoutScopeInfo())
	if err != nil {
		return nil, nil, err
	}
	// Latencies are recorded in seconds: buckets from 10 ms to a minute.
	seconds := sdkmetric.NewView(sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram}, sdkmetric.Stream{
		Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}},
	})
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(seconds))
	handler := opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{
		Meter:   provider.Meter("outbound"),
		OnError: func(error) {}, // a metric must never take the worker down
	})
	return handler, promhttp.HandlerFor(registry, promhttp.HandlerOpts{}), nil
}
