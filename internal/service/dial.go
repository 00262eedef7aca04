package service

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.uber.org/zap"

	"outbound/internal/codec"
	"outbound/internal/logging"
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
