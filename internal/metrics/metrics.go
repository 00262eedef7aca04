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

// Product metric names (Prometheus adds _total to counters).
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
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	handler := opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{
		Meter:   provider.Meter("outbound"),
		OnError: func(error) {}, // a metric must never take the worker down
	})
	return handler, promhttp.HandlerFor(registry, promhttp.HandlerOpts{}), nil
}
