// Command gateway serves the channel providers' webhooks (inbound SMS and SMS
// delivery-status callbacks, see internal/gateway) and drives conversations
// through Temporal.
//
//	gateway [--listen :8080] [--public-url https://hooks.example.com]
//
// Environment: SMS_AUTH_TOKEN (required; the SMS account's auth token, which
// signs every webhook), OUTBOUND_ID_KEY (required; the worker's customer-id
// key), OUTBOUND_CODEC_KEYS or OUTBOUND_CODEC_KEYS_FILE (required; the
// worker's payload keys, see internal/codec), GATEWAY_LISTEN and PUBLIC_URL
// (defaults for the flags), and the Temporal SDK's TEMPORAL_* variables or
// config file (address, namespace, TLS, API key).
//
// With --smtp-listen (env SMTP_LISTEN) it also receives customer email over
// SMTP (internal/mailin). Every sender is authenticated: by the
// Authentication-Results of the relay in front of it when MAIL_AUTHSERV_ID
// names that relay's authserv-id, else by verifying DKIM and SPF against DNS.
// Messages over 64 KiB go to the transcript archive (S3_* as the worker's;
// without them they are refused).
//
// With --codec-listen (env CODEC_LISTEN) it also serves the codec endpoint
// the Temporal Web UI decrypts payloads through (POST /encode, /decode), on
// its own listener so it can stay on an internal network, with CORS for the
// UI origins in --codec-origin (env CODEC_ORIGIN, comma-separated). It lets in
// only requests with credentials: the access token the Web UI forwards for its
// signed-in user (TEMPORAL_CODEC_PASS_ACCESS_TOKEN), verified against
// CODEC_OIDC_ISSUER for the audience CODEC_OIDC_AUDIENCE; or the bearer token
// in the file CODEC_TOKEN_FILE (for `temporal --codec-auth`).
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
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"outbound/internal/address"
	"outbound/internal/archive"
	"outbound/internal/codec"
	"outbound/internal/conversations"
	"outbound/internal/gateway"
	"outbound/internal/health"
	"outbound/internal/imagestore"
	"outbound/internal/logging"
	"outbound/internal/mailin"
	"outbound/internal/service"
	"outbound/internal/version"
)

type config struct {
	metricsAddr string
	listen      string
	publicURL   string
	devLog      bool
	smsToken    string
	idKey       string
	keys        *codec.Keys
	codecListen string
	codecOrigin string
	codecAuth   codecAuth
	smtpListen  string
	authservID  string
	rate        float64
}

func parseFlags() (config, error) {
	var cfg config
	flag.StringVar(&cfg.listen, "listen", envOr("GATEWAY_LISTEN", ":8080"), "address to listen on (env GATEWAY_LISTEN)")
	flag.StringVar(&cfg.publicURL, "public-url", os.Getenv("PUBLIC_URL"),
		"scheme://host[:port] the provider calls; webhook signatures are checked against it (env PUBLIC_URL; default http://127.0.0.1:<listen port>)")
	flag.BoolVar(&cfg.devLog, "dev-log", false, "human-readable logs instead of JSON")
	flag.StringVar(&cfg.codecListen, "codec-listen", os.Getenv("CODEC_LISTEN"),
		"address of the codec endpoint for the Web UI (env CODEC_LISTEN; default: not served); keep it off the public network")
	flag.StringVar(&cfg.smtpListen, "smtp-listen", os.Getenv("SMTP_LISTEN"),
		"address to receive customer email on over SMTP, e.g. :25 (env SMTP_LISTEN; default: no SMTP)")
	flag.StringVar(&cfg.codecOrigin, "codec-origin", os.Getenv("CODEC_ORIGIN"),
		"Web UI origins allowed to call the codec endpoint, comma-separated, e.g. http://localhost:8080 (env CODEC_ORIGIN)")
	rate, err := envRate()
	if err != nil {
		return cfg, err
	}
	flag.Float64Var(&cfg.rate, "rate-per-address", rate,
		"webhooks per second one client address may send, in bursts of ten times that; 20 failed signatures refuse the address for a while (env GATEWAY_RATE_PER_ADDRESS)")
	flag.StringVar(&cfg.metricsAddr, "metrics-addr", envOr("METRICS_ADDR", ":9090"), "where Prometheus scrapes /metrics, beside /healthz and /readyz (env METRICS_ADDR)")
	version.Flag("gateway")
	flag.Parse()
	if flag.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if cfg.publicURL == "" {
		cfg.publicURL = gateway.DefaultPublicURL(cfg.listen)
	}
	if cfg.rate <= 0 {
		return cfg, fmt.Errorf("--rate-per-address must be positive, not %v", cfg.rate)
	}
	cfg.authservID = os.Getenv("MAIL_AUTHSERV_ID")
	cfg.smsToken = os.Getenv("SMS_AUTH_TOKEN")
	if cfg.smsToken == "" {
		return cfg, errors.New("SMS_AUTH_TOKEN is not set: it is the SMS account's auth token that signs webhooks")
	}
	cfg.idKey = os.Getenv(address.KeyEnv)
	if cfg.idKey == "" {
		return cfg, fmt.Errorf("%s is not set: it must be the worker's customer-id key", address.KeyEnv)
	}
	keys, err := codec.FromEnv()
	if err != nil {
		return cfg, err
	}
	if keys.Dev() {
		return cfg, fmt.Errorf("%s or %s is not set: they must be the worker's payload keys", codec.KeysEnv, codec.KeysFileEnv)
	}
	cfg.keys = keys
	if cfg.codecListen != "" {
		cfg.codecAuth, err = codecAuthFromEnv()
	}
	return cfg, err
}

func main() {
	cfg, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(2)
	}
	log := logging.New(cfg.devLog)
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("gateway stopped", zap.Error(err))
		_ = log.Sync()
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, log *zap.Logger) error {
	front, err := service.Connect(ctx, cfg.keys, log, cfg.metricsAddr)
	if err != nil {
		return err
	}
	defer front.Close()
	tc, reg := front.Temporal, front.Metrics

	// No tenant: inbound routing finds the tenant from the entry point.
	convs := &conversations.Client{Temporal: tc, IDKey: []byte(cfg.idKey), DirectoryCache: conversations.NewDirectoryCache()}
	if s3, ok := imagestore.ConfigFromEnv(); ok {
		if convs.Archive, err = archive.Open(ctx, s3, cfg.keys); err != nil {
			return fmt.Errorf("open the transcript archive: %w", err)
		}
	}
	if cfg.smtpListen != "" {
		var auth mailin.Authenticator = mailin.Verify{Resolver: net.DefaultResolver}
		if cfg.authservID != "" {
			auth = mailin.TrustRelay{AuthservID: cfg.authservID}
		}
		in, err := mailin.Start(cfg.smtpListen, convs, auth, log)
		if err != nil {
			return err
		}
		defer in.Close()
	}
	mux := http.NewServeMux()
	health.Handle(mux, health.Temporal(tc))
	webhooks := gateway.New(gateway.Config{PublicURL: cfg.publicURL, SMSAuthToken: cfg.smsToken}, convs, log)
	mux.Handle("/", reg.Instrument(gateway.Limit(webhooks, gateway.NewLimits(cfg.rate))))
	srv := gateway.NewServer(cfg.listen, mux, log)

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.listen, err)
	}
	served := make(chan error, 2) // the gateway and the codec endpoint
	go func() { served <- srv.Serve(ln) }()
	log.Info("gateway listening", zap.String("addr", ln.Addr().String()), zap.String("publicURL", cfg.publicURL))
	if cfg.codecListen != "" {
		codecLn, err := net.Listen("tcp", cfg.codecListen)
		if err != nil {
			return fmt.Errorf("codec endpoint: listen on %s: %w", cfg.codecListen, err)
		}
		authorize, err := cfg.codecAuth.authorizer(ctx)
		if err != nil {
			return fmt.Errorf("codec endpoint: %w", err)
		}
		codecSrv := codec.NewServer(cfg.keys, authorize, splitList(cfg.codecOrigin)...)
		go func() { served <- codecSrv.Serve(codecLn) }()
		defer codecSrv.Close()
		log.Info("codec endpoint listening", zap.String("addr", codecLn.Addr().String()),
			zap.String("origins", cfg.codecOrigin), zap.String("credentials", cfg.codecAuth.String()), zap.Strings("codecKeys", cfg.keys.IDs()))
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// envRate is GATEWAY_RATE_PER_ADDRESS, or 100 when it is not set.
func envRate() (float64, error) {
	v := os.Getenv("GATEWAY_RATE_PER_ADDRESS")
	if v == "" {
		return 100, nil
	}
	rate, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("GATEWAY_RATE_PER_ADDRESS %q is not a number", v)
	}
	return rate, nil
}
