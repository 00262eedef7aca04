package service

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.uber.org/zap"

	"outbound/internal/codec"
	"outbound/internal/health"
	"outbound/internal/logging"
	"outbound/internal/metrics"
)

// Dial connects a production process (the gateway, the desktop) to the
// Temporal frontend its TEMPORAL_* variables or the SDK's config file name,
// with the payload codec, the process's logger and its metrics.
func Dial(ctx context.Context, keys *codec.Keys, log *zap.Logger, metrics client.MetricsHandler) (client.Client, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, fmt.Errorf("load the Temporal client configuration: %w", err)
	}
	opts.Logger, opts.MetricsHandler = logging.NewSDK(log), metrics
	codec.Configure(&opts, keys)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w", opts.HostPort, err)
	}
	return c, nil
}

// Front is what the gateway and the desktop run on: a Temporal client that
// records into their metrics, which are served with the probes.
type Front struct {
	Temporal client.Client
	Metrics  *metrics.Registry
	stop     func()
}

// Connect dials Temporal and serves the process's /metrics, /healthz and
// /readyz (ready: Temporal answers) on metricsAddr.
func Connect(ctx context.Context, keys *codec.Keys, log *zap.Logger, metricsAddr string) (*Front, error) {
	reg, err := metrics.New()
	if err != nil {
		return nil, err
	}
	tc, err := Dial(ctx, keys, log, reg.SDK)
	if err != nil {
		return nil, err
	}
	url, stop, err := metrics.Serve(metricsAddr, reg.Page, health.Temporal(tc))
	if err != nil {
		tc.Close()
		return nil, err
	}
	log.Info("metrics", zap.String("url", url))
	return &Front{Temporal: tc, Metrics: reg, stop: stop}, nil
}

// Close stops serving the metrics and closes the client.
func (f *Front) Close() {
	f.stop()
	f.Temporal.Close()
}
