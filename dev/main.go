// Command dev runs the whole service on this machine, nothing to install: an
// embedded Temporal server and Web UI, the worker, the gateway, the inbound
// SMTP receiver, the Agent Desktop with a dev sign-in, and local SMTP, SMS
// and S3 stand-ins (internal/dev/stack). Everything listens on loopback and
// is kept under --data-dir across restarts. Production runs the worker,
// gateway and desktop binaries against a Temporal cluster instead.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"go.uber.org/zap"

	"outbound/internal/address"
	"outbound/internal/dev/stack"
	"outbound/internal/directory"
	"outbound/internal/health"
	"outbound/internal/imagestore"
	"outbound/internal/logging"
	"outbound/internal/metrics"
	"outbound/internal/service"
	"outbound/internal/version"
)

type config struct {
	dataDir     string
	ports       stack.Ports
	metricsAddr string
	publicURL   string
	directories []string
}

func parseFlags() config {
	cfg := config{ports: stack.Ports{Temporal: 7233, UI: 8233, Gateway: 8080, SMTPIn: 2525, S3: imagestore.DevPort, Desktop: 8088}}
	p := &cfg.ports
	flag.StringVar(&cfg.dataDir, "data-dir", ".data", "where the Temporal database, the outbox and the S3 objects live")
	flag.IntVar(&p.Temporal, "temporal-port", p.Temporal, "Temporal frontend port")
	flag.IntVar(&p.UI, "ui-port", p.UI, "Temporal Web UI port")
	flag.IntVar(&p.Gateway, "http-port", p.Gateway, "HTTP gateway port (webhooks)")
	flag.IntVar(&p.SMTPIn, "smtp-in-port", p.SMTPIn, "inbound SMTP port (customer replies)")
	flag.IntVar(&p.Desktop, "desktop-port", p.Desktop, "Agent Desktop port (http://localhost:PORT, dev sign-in)")
	flag.IntVar(&p.S3, "s3-port", p.S3, fmt.Sprintf("S3-compatible server port: images and archived transcripts (the starter reads archived transcripts on %d unless S3_* is set)", imagestore.DevPort))
	flag.IntVar(&p.SMTPSink, "smtp-sink-port", 0, "SMTP sink port (0: any free port)")
	flag.IntVar(&p.SMSSink, "sms-sink-port", 0, "SMS API sink port (0: any free port)")
	flag.IntVar(&p.Codec, "codec-port", 0, "codec endpoint port the Web UI decrypts payloads through (0: any free port)")
	flag.StringVar(&cfg.metricsAddr, "metrics-addr", "127.0.0.1:9090", "where Prometheus scrapes /metrics")
	flag.StringVar(&cfg.publicURL, "public-url", "", "the gateway's URL as the SMS provider signs it (default http://127.0.0.1:<http-port>)")
	flag.Func("directory", "tenant directory YAML (repeatable; default examples/acme.yaml)", func(s string) error {
		cfg.directories = append(cfg.directories, s)
		return nil
	})
	version.Flag("dev")
	flag.Parse()
	if len(cfg.directories) == 0 {
		cfg.directories = []string{"examples/acme.yaml"}
	}
	return cfg
}

func main() {
	cfg := parseFlags()
	log := logging.New(true)
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("dev stack stopped", zap.Error(err))
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, log *zap.Logger) error {
	dirs, err := directory.LoadAll(cfg.directories)
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
	s, err := stack.Start(ctx, stack.Options{
		DataDir: cfg.dataDir, Persist: true, Directories: dirs, Ports: cfg.ports, Log: log,
		IDKey:    []byte(envOr(address.KeyEnv, address.DevKey)),
		SMSToken: envOr("SMS_AUTH_TOKEN", "dev-sms-token"), PublicURL: cfg.publicURL,
		Metrics: reg.SDK, Desktop: true,
	})
	if err != nil {
		return err
	}
	defer s.Close()
	ready.Set(health.Temporal(s.Temporal))
	reg.QueueWaits(service.QueueWaits(s.Temporal, dirs))
	log.Info("dev stack ready",
		zap.String("temporal", s.Server.FrontendAddress()),
		zap.String("webUI", s.Server.UIAddress()),
		zap.String("codecEndpoint", s.CodecURL+" (open to whoever reaches it on loopback, no credentials)"),
		zap.Strings("codecKeys", s.Codec.IDs()),
		zap.String("gateway", s.GatewayURL),
		zap.String("smtpIn", s.MailinAddr),
		zap.String("desktop", s.DesktopURL),
		zap.String("smtpSink", s.SMTPAddr),
		zap.String("smsSink", s.SMSURL),
		zap.String("s3", s.S3.URL()),
		zap.String("metrics", metricsURL),
		zap.String("outbox", s.Outbox),
		zap.Strings("tenants", tenants(dirs)))
	<-ctx.Done()
	log.Info("shutting down")
	return nil
}

func tenants(dirs map[string]*directory.Directory) []string {
	names := make([]string, 0, len(dirs))
	for n := range dirs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
