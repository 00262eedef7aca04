// Command worker runs the outbound-conversation worker against any Temporal
// frontend (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS or API key through the
// SDK's envconfig), or with --dev against an embedded server, Web UI and local
// SMTP and SMS sinks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.uber.org/zap"

	"outbound/activities"
	"outbound/internal/conversations"
	"outbound/internal/directory"
	"outbound/internal/imagestore"
	"outbound/internal/logging"
	"outbound/internal/metrics"
	"outbound/internal/service"
)

type config struct {
	dev         bool
	dataDir     string
	devPort     int
	uiPort      int
	smtpPort    int
	smsPort     int
	httpPort    int
	smtpInPort  int
	s3Port      int
	codecPort   int
	desktopPort int
	metricsAddr string
	publicURL   string
	directories []string
}

func parseFlags() config {
	var cfg config
	flag.BoolVar(&cfg.dev, "dev", false, "run an embedded Temporal server, Web UI and local SMTP/SMS sinks")
	flag.StringVar(&cfg.dataDir, "data-dir", ".data", "dev: where the SQLite database and the outbox live")
	flag.IntVar(&cfg.devPort, "dev-port", 7233, "dev: Temporal frontend port")
	flag.IntVar(&cfg.uiPort, "ui-port", 8233, "dev: Temporal Web UI port")
	flag.IntVar(&cfg.smtpPort, "smtp-sink-port", 0, "dev: SMTP sink port (0: any free port)")
	flag.IntVar(&cfg.smsPort, "sms-sink-port", 0, "dev: SMS API sink port (0: any free port)")
	flag.IntVar(&cfg.httpPort, "http-port", 8080, "dev: HTTP gateway port (webhooks)")
	flag.IntVar(&cfg.smtpInPort, "smtp-in-port", 2525, "dev: inbound SMTP port (customer replies)")
	flag.IntVar(&cfg.s3Port, "s3-port", imagestore.DevPort, fmt.Sprintf("dev: S3-compatible server port: images and archived transcripts (0: any free port; the starter reads archived transcripts on %d unless S3_* is set)", imagestore.DevPort))
	flag.StringVar(&cfg.metricsAddr, "metrics-addr", envOr("METRICS_ADDR", ":9090"), "where Prometheus scrapes /metrics (dev default: 127.0.0.1:9090)")
	flag.IntVar(&cfg.desktopPort, "desktop-port", 8088, "dev: Agent Desktop port (http://localhost:PORT, dev sign-in)")
	flag.IntVar(&cfg.codecPort, "codec-port", 0, "dev: codec endpoint port the Web UI decrypts payloads through (0: any free port)")
	flag.StringVar(&cfg.publicURL, "public-url", "", "the gateway's public URL, signed by the SMS provider (dev default: http://127.0.0.1:<http-port>)")
	flag.Func("directory", "tenant directory YAML (repeatable; dev default: examples/acme.yaml)", func(s string) error {
		cfg.directories = append(cfg.directories, s)
		return nil
	})
	flag.Parse()
	if cfg.dev && len(cfg.directories) == 0 {
		cfg.directories = []string{"examples/acme.yaml"}
	}
	return cfg
}

func main() {
	cfg := parseFlags()
	log := logging.New(cfg.dev)
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("worker stopped", zap.Error(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, log *zap.Logger) error {
	dirs, err := loadDirectories(cfg.directories)
	if err != nil {
		return err
	}
	env, err := environment(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer env.close()

	env.clientOptions.Logger = logging.NewSDK(log)
	stopMetrics, err := serveMetrics(cfg, &env.clientOptions, log)
	if err != nil {
		return err
	}
	defer stopMetrics()
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
	if env.images != nil {
		if err := prepareImageStore(ctx, env.images, dirs); err != nil {
			return err
		}
		acts.Images = env.images
	}
	if env.archive != nil { // not a typed nil in the interface
		acts.Archive, inbound.Archive = env.archive, env.archive
	}
	w := service.NewWorker(c, acts)
	if err := w.Start(); err != nil {
		return err
	}
	defer w.Stop()
	if err := service.Publish(ctx, c, dirs); err != nil {
		return err
	}
	if err := env.connected(c); err != nil {
		return err
	}
	env.announce(log, dirs)
	<-ctx.Done()
	log.Info("shutting down")
	return nil
}

// serveMetrics exports the SDK's and the product's metrics for Prometheus.
func serveMetrics(cfg config, opts *client.Options, log *zap.Logger) (func(), error) {
	handler, page, err := metrics.New()
	if err != nil {
		return nil, err
	}
	opts.MetricsHandler = handler
	addr := cfg.metricsAddr
	if cfg.dev && strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", page)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics on %s: %w", addr, err)
	}
	go func() { _ = srv.Serve(ln) }()
	log.Info("metrics", zap.String("url", "http://"+ln.Addr().String()+"/metrics"))
	return func() { _ = srv.Close() }, nil
}

func loadDirectories(paths []string) (map[string]*directory.Directory, error) {
	if len(paths) == 0 {
		return nil, errors.New("no tenant directory: pass --directory FILE")
	}
	dirs, byFile := map[string]*directory.Directory{}, map[string]*directory.Directory{}
	for _, p := range paths {
		d, err := directory.Load(p)
		if err != nil {
			return nil, err
		}
		if _, dup := dirs[d.Tenant]; dup {
			return nil, fmt.Errorf("%s: tenant %q is already served by another directory", p, d.Tenant)
		}
		dirs[d.Tenant], byFile[p] = d, d
	}
	return dirs, directory.CheckTogether(byFile)
}

// prepareImageStore creates the bucket and, idempotently, the rule that
// expires each tenant's images after six months (rule 12).
func prepareImageStore(ctx context.Context, store *imagestore.Store, dirs map[string]*directory.Directory) error {
	if err := store.EnsureBucket(ctx); err != nil {
		return fmt.Errorf("image bucket: %w", err)
	}
	for tenant := range dirs {
		if err := store.EnsureLifecycle(ctx, imagestore.Prefix(tenant), imagestore.RetentionDays); err != nil {
			return fmt.Errorf("image retention for %s: %w", tenant, err)
		}
	}
	return nil
}

// defaultClientOptions reads TEMPORAL_* variables and the SDK's config file.
func defaultClientOptions() (client.Options, error) {
	return envconfig.LoadDefaultClientOptions()
}
