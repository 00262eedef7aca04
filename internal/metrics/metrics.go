// Package metrics exports the SDK's metrics and the product's own to
// Prometheus. Workflows and activities record product metrics through the
// SDK's metrics handler (replay-safe in workflows), so one registry serves all.
package metrics

import (
	"net/http"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
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

// Registry is a process's metrics: the SDK's and the product's (through SDK,
// the handler client.Options takes), the Go runtime's and the process's, and
// its HTTP server's (Instrument); Page serves them all as /metrics.
type Registry struct {
	SDK  client.MetricsHandler
	Page http.Handler
	prom *prom.Registry
}

// New returns a process's registry.
func New() (*Registry, error) {
	registry := prom.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := prometheus.New(prometheus.WithRegisterer(registry), prometheus.WithoutScopeInfo())
	if err != nil {
		return nil, err
	}
	// Latencies are recorded in seconds: buckets from 10 ms to a minute.
	seconds := sdkmetric.NewView(sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram}, sdkmetric.Stream{
		Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: latencyBuckets},
	})
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(seconds))
	handler := opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{
		Meter:   provider.Meter("outbound"),
		OnError: func(error) {}, // a metric must never take the worker down
	})
	return &Registry{SDK: handler, Page: promhttp.HandlerFor(registry, promhttp.HandlerOpts{}), prom: registry}, nil
}

var latencyBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Instrument counts h's requests (outbound_http_requests_total) and times
// them (outbound_http_request_duration_seconds) by method and status code:
// the gateway's webhooks, the desktop's pages.
func (r *Registry) Instrument(h http.Handler) http.Handler {
	requests := prom.NewCounterVec(prom.CounterOpts{
		Name: "outbound_http_requests_total", Help: "HTTP requests answered, by method and status code.",
	}, []string{"method", "code"})
	durations := prom.NewHistogramVec(prom.HistogramOpts{
		Name: "outbound_http_request_duration_seconds", Help: "Time to answer an HTTP request (a live-update stream: its lifetime).",
		Buckets: latencyBuckets,
	}, []string{"method", "code"})
	r.prom.MustRegister(requests, durations)
	return promhttp.InstrumentHandlerCounter(requests, promhttp.InstrumentHandlerDuration(durations, h))
}
