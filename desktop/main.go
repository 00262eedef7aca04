// Command desktop serves the Agent Desktop (internal/desktop) to agents who
// sign in with OpenID Connect. It keeps no state of its own: run as many as
// you like behind one address, with the same session key.
//
//	desktop [--listen :8088] [--tls-cert FILE --tls-key FILE]
//
// Environment (secrets only here or in files, never in arguments):
//   - DESKTOP_URL: the address agents open, e.g. https://desk.example.com;
//     the provider sends them back to DESKTOP_URL/signin/callback.
//   - DESKTOP_SESSION_KEY or DESKTOP_SESSION_KEY_FILE: at least 32 bytes that
//     sign session cookies, the same in every desktop process.
//   - OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET or
//     OIDC_CLIENT_SECRET_FILE: the OpenID Connect client. An agent signs in
//     as the agent whose login (tenant directory) is the ID token's verified
//     email.
//   - OUTBOUND_ID_KEY, OUTBOUND_CODEC_KEYS or _FILE: the worker's keys;
//     S3_*: the worker's transcript archive; the Temporal SDK's TEMPORAL_*
//     variables or config file (address, namespace, TLS, API key).
//
// The session cookie is Secure: serve HTTPS (--tls-cert, or a proxy that
// terminates TLS), except on http://localhost, which browsers trust.
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

	"go.uber.org/zap"

	"outbound/internal/address"
	"outbound/internal/archive"
	"outbound/internal/codec"
	"outbound/internal/conversations"
	"outbound/internal/desktop"
	"outbound/internal/health"
	"outbound/internal/imagestore"
	"outbound/internal/logging"
	"outbound/internal/service"
	"outbound/internal/version"
)

type config struct {
	metricsAddr               string
	listen, certFile, keyFile string
	devLog                    bool
	publicURL                 string
	sessionKey, idKey         []byte
	keys                      *codec.Keys
	oidc                      *desktop.OIDC
}

func parseFlags() (config, error) {
	var cfg config
	flag.StringVar(&cfg.listen, "listen", envOr("DESKTOP_LISTEN", ":8088"), "address to listen on (env DESKTOP_LISTEN)")
	flag.StringVar(&cfg.certFile, "tls-cert", os.Getenv("DESKTOP_TLS_CERT_FILE"), "serve HTTPS with this certificate (env DESKTOP_TLS_CERT_FILE)")
	flag.StringVar(&cfg.keyFile, "tls-key", os.Getenv("DESKTOP_TLS_KEY_FILE"), "and this key (env DESKTOP_TLS_KEY_FILE)")
	flag.BoolVar(&cfg.devLog, "dev-log", false, "human-readable logs instead of JSON")
	flag.StringVar(&cfg.metricsAddr, "metrics-addr", envOr("METRICS_ADDR", ":9090"), "where Prometheus scrapes /metrics, beside /healthz and /readyz (env METRICS_ADDR)")
	version.Flag("desktop")
	flag.Parse()
	if flag.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if (cfg.certFile == "") != (cfg.keyFile == "") {
		return cfg, errors.New("--tls-cert and --tls-key go together")
	}
	cfg.publicURL = strings.TrimSuffix(os.Getenv("DESKTOP_URL"), "/")
	if !strings.HasPrefix(cfg.publicURL, "https://") && !strings.HasPrefix(cfg.publicURL, "http://localhost") {
		return cfg, errors.New("DESKTOP_URL must be the https:// address agents open (or http://localhost...)")
	}
	var err error
	if cfg.sessionKey, err = secret("DESKTOP_SESSION_KEY"); err != nil {
		return cfg, err
	}
	if len(cfg.sessionKey) < 32 {
		return cfg, errors.New("DESKTOP_SESSION_KEY (or _FILE) must be at least 32 bytes, the same in every desktop process")
	}
	clientSecret, err := secret("OIDC_CLIENT_SECRET")
	if err != nil {
		return cfg, err
	}
	cfg.oidc = &desktop.OIDC{Issuer: os.Getenv("OIDC_ISSUER"), ClientID: os.Getenv("OIDC_CLIENT_ID"),
		ClientSecret: string(clientSecret), RedirectURL: cfg.publicURL + "/signin/callback"}
	if cfg.oidc.Issuer == "" || cfg.oidc.ClientID == "" {
		return cfg, errors.New("OIDC_ISSUER and OIDC_CLIENT_ID are required: agents sign in with OpenID Connect")
	}
	if cfg.idKey = []byte(os.Getenv(address.KeyEnv)); len(cfg.idKey) == 0 {
		return cfg, fmt.Errorf("%s is not set: it must be the worker's customer-id key", address.KeyEnv)
	}
	if cfg.keys, err = codec.FromEnv(); err != nil {
		return cfg, err
	}
	if cfg.keys.Dev() {
		return cfg, fmt.Errorf("%s or %s is not set: they must be the worker's payload keys", codec.KeysEnv, codec.KeysFileEnv)
	}
	return cfg, nil
}

// secret reads NAME, or the file NAME_FILE names, trimmed.
func secret(name string) ([]byte, error) {
	if file := os.Getenv(name + "_FILE"); file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s_FILE: %w", name, err)
		}
		return []byte(strings.TrimSpace(string(data))), nil
	}
	return []byte(os.Getenv(name)), nil
}

func main() {
	cfg, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "desktop:", err)
		os.Exit(2)
	}
	log := logging.New(cfg.devLog)
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log); err != nil {
		log.Error("desktop stopped", zap.Error(err))
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
	convs := &conversations.Client{Temporal: tc, IDKey: cfg.idKey, DirectoryCache: conversations.NewDirectoryCache()}
	if s3, ok := imagestore.ConfigFromEnv(); ok {
		if convs.Archive, err = archive.Open(ctx, s3, cfg.keys); err != nil {
			return fmt.Errorf("open the transcript archive: %w", err)
		}
	}
	desk := &desktop.Server{Client: convs, Key: cfg.sessionKey, OIDC: cfg.oidc, Log: log}
	h, err := desk.Handler()
	if err != nil {
		return err
	}
	defer desk.Close()
	mux := http.NewServeMux()
	health.Handle(mux, health.Temporal(tc))
	mux.Handle("/", reg.Instrument(h))
	// Requests live in streams' context: cancelled at shutdown, it ends the
	// live-update streams, which would otherwise hold Shutdown to its timeout
	// (browsers reconnect to another process and resync).
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	srv := &http.Server{Addr: cfg.listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return streams }}
	served := make(chan error, 1)
	go func() {
		if cfg.certFile != "" {
			served <- srv.ListenAndServeTLS(cfg.certFile, cfg.keyFile)
		} else {
			served <- srv.ListenAndServe()
		}
	}()
	log.Info("desktop listening", zap.String("addr", cfg.listen), zap.String("url", cfg.publicURL), zap.String("issuer", cfg.oidc.Issuer))
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	endStreams()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
