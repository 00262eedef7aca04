// Command worker runs the outbound-conversation worker against any Temporal
// frontend (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS or API key through the
// SDK's envconfig). `go run ./dev` runs it with an embedded server instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.uber.org/zap"

	"outbound/activities"
	"outbound/internal/conversations"
	"outbound/internal/directory"
	"outbound/internal/health"
	"outbound/internal/logging"
	"outbound/internal/metrics"
	"outbound/internal/service"
	"outbound/internal/version"
)

type config struct {
	metricsAddr string
	directories []string
}

func parseFlags() config {
	var cfg config
	flag.StringVar(&cfg.metricsAddr, "metrics-addr", envOr("METRICS_ADDR", ":9090"), "where Prometheus scrapes /metrics")
	flag.Func("directory", "tenant directory YAML (repeatable)", func(s string) error {
		cfg.directories = append(cfg.directories, s)
		return nil
	})
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: worker --directory FILE... (the dev stack, with its own server: go run ./dev)\n")
		flag.PrintDefaults()
	}
	version.Flag("worker")
	flag.Parse()
	return cfg
}

func main() {
	cfg := parseFlags()
	log := logging.New(false)
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("worker stopped", zap.Error(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, log *zap.Logger) error {
	dirs, err := directory.LoadAll(cfg.directories)
	if err != nil {
		return err
	}
	env, err := productionEnvironment(ctx)
	if err != nil {
		return err
	}
	reg, err := metrics.New()
	if err != nil {
		return err
	}
	var ready health.Later // once the worker polls
	metricsURL, stopMetrics, err := metrics.Serve(cfg.metricsAddr, reg.Page, ready.Check)
	if err != nil {
		return err
	}
	defer stopMetrics()
	env.clientOptions.Logger, env.clientOptions.MetricsHandler = logging.NewSDK(log), reg.SDK
	c, err := client.DialContext(ctx, env.clientOptions)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", env.clientOptions.HostPort, err)
	}
	defer c.Close()

	inbound := &conversations.Client{Temporal: c, IDKey: env.idKey}
	acts := &activities.Activities{
		Directories: dirs, Temporal: c, Email: env.email, SMS: env.sms, IDKey: env.idKey, PublicURL: env.publicURL,
		Inbound: inbound,
	}
	if env.images != nil { // not a typed nil in the interface
		acts.Images = env.images
	}
	if env.archive != nil {
		acts.Archive, inbound.Archive = env.archive, env.archive
	}
	w, err := service.Start(ctx, c, acts)
	if err != nil {
		return err
	}
	defer w.Stop()
	ready.Set(health.Temporal(c))
	reg.QueueWaits(service.QueueWaits(c, dirs))
	log.Info("worker running", zap.String("temporal", env.clientOptions.HostPort), zap.Int("tenants", len(dirs)),
		zap.Strings("codecKeys", env.codecKeys), zap.String("metrics", metricsURL))
	<-ctx.Done()
	log.Info("shutting down")
	return nil
}

// defaultClientOptions reads TEMPORAL_* variables and the SDK's config file.
func defaultClientOptions() (client.Options, error) {
	return envconfig.LoadDefaultClientOptions()
}
