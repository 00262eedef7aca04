package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"outbound/internal/address"
	"outbound/internal/api"
	"outbound/internal/archive"
	"outbound/internal/codec"
	"outbound/internal/conversations"
	"outbound/internal/desktop"
	"outbound/internal/dev/fakes3"
	"outbound/internal/dev/sinks"
	"outbound/internal/dev/temporalserver"
	"outbound/internal/directory"
	"outbound/internal/email"
	"outbound/internal/gateway"
	"outbound/internal/imagestore"
	"outbound/internal/mailin"
	"outbound/internal/sms"
)

// The dev SMS account (the sink accepts it).
const devAccountSID = "ACdev"

// devEnvironment starts the embedded Temporal server and Web UI and real
// SMTP and SMS API sinks that write every delivered message to the outbox;
// once the worker runs, the gateway and the inbound SMTP receiver.
func devEnvironment(ctx context.Context, cfg config, log *zap.Logger) (*env, error) {
	var stack closers
	fail := func(err error) (*env, error) { stack.close(); return nil, err }

	if err := os.MkdirAll(cfg.dataDir, 0o755); err != nil {
		return nil, err
	}
	// The codec endpoint's address must be known before the UI starts.
	keys, err := codec.FromEnv()
	if err != nil {
		return nil, err
	}
	codecListener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", cfg.codecPort))
	if err != nil {
		return nil, fmt.Errorf("start the codec endpoint: %w", err)
	}
	codecURL := "http://" + codecListener.Addr().String()
	srv, err := temporalserver.Start(ctx, temporalserver.Options{
		DataDir: cfg.dataDir, Port: cfg.devPort, UIPort: cfg.uiPort,
		SearchAttributes: api.SearchAttributes(), Logger: log.Named("temporal"),
		CodecEndpoint: codecURL,
	})
	if err != nil {
		_ = codecListener.Close()
		return nil, fmt.Errorf("start the embedded Temporal server: %w", err)
	}
	stack.add(srv.Stop)
	// Open to whoever reaches it, as the dev log line says: loopback only.
	codecServer := codec.NewServer(keys, codec.Open, codec.UIOrigins(srv.UIAddress())...)
	go func() { _ = codecServer.Serve(codecListener) }()
	stack.add(codecServer.Close)

	outbox := filepath.Join(cfg.dataDir, "outbox")
	smtpSink, err := sinks.StartSMTP(fmt.Sprintf("127.0.0.1:%d", cfg.smtpPort), outbox, log)
	if err != nil {
		return fail(fmt.Errorf("start the SMTP sink: %w", err))
	}
	stack.add(smtpSink.Close)
	smsSink, err := sinks.StartSMS(fmt.Sprintf("127.0.0.1:%d", cfg.smsPort), outbox, log)
	if err != nil {
		return fail(fmt.Errorf("start the SMS sink: %w", err))
	}
	stack.add(smsSink.Close)
	host, port, err := splitHostPort(smtpSink.Addr())
	if err != nil {
		return fail(err)
	}
	fakeS3, err := fakes3.Start(filepath.Join(cfg.dataDir, "s3"), fmt.Sprintf("127.0.0.1:%d", cfg.s3Port))
	if err != nil {
		return fail(fmt.Errorf("start the S3 server: %w", err))
	}
	stack.add(fakeS3.Close)
	store, err := imagestore.New(ctx, fakeS3.Config(imagestore.DevBucket))
	if err != nil {
		return fail(err)
	}
	arch, err := archive.New(store, keys)
	if err != nil {
		return fail(err)
	}

	key := envOr(address.KeyEnv, address.DevKey)
	token := envOr("SMS_AUTH_TOKEN", "dev-sms-token")
	publicURL := cfg.publicURL
	if publicURL == "" {
		publicURL = fmt.Sprintf("http://127.0.0.1:%d", cfg.httpPort)
	}
	var gatewayAddr, mailinAddr, desktopURL string
	clientOptions := client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace()}
	codec.Configure(&clientOptions, keys)
	return &env{
		clientOptions: clientOptions,
		email:         &email.Sender{Host: host, Port: port},
		sms:           &sms.Client{BaseURL: smsSink.URL(), AccountSID: devAccountSID, AuthToken: token},
		idKey:         []byte(key),
		publicURL:     publicURL,
		images:        store,
		archive:       arch,
		connected: func(c client.Client) error {
			convs := &conversations.Client{Temporal: c, IDKey: []byte(key), Archive: arch, DirectoryCache: conversations.NewDirectoryCache()}
			gw := gateway.NewServer(fmt.Sprintf("127.0.0.1:%d", cfg.httpPort),
				gateway.New(gateway.Config{PublicURL: publicURL, SMSAuthToken: token}, convs, log.Named("gateway")), log)
			errs := make(chan error, 1)
			go func() { errs <- gw.ListenAndServe() }()
			stack.add(func() error { return gw.Shutdown(context.Background()) })
			// Mail here comes from the developer's own tools, unsigned.
			in, err := mailin.Start(fmt.Sprintf("127.0.0.1:%d", cfg.smtpInPort), convs, mailin.AcceptUnauthenticated{}, log.Named("mailin"))
			if err != nil {
				return fmt.Errorf("start the inbound SMTP receiver: %w", err)
			}
			stack.add(in.Close)
			desk, deskPort, err := startDesktop(cfg.desktopPort, cfg.dataDir, convs, log)
			if err != nil {
				return err
			}
			stack.add(desk.Close)
			gatewayAddr, mailinAddr, desktopURL = gw.Addr, in.Addr(), fmt.Sprintf("http://localhost:%d", deskPort)
			select {
			case err := <-errs:
				if !errors.Is(err, http.ErrServerClosed) {
					return fmt.Errorf("start the gateway: %w", err)
				}
			default:
			}
			return nil
		},
		announce: func(log *zap.Logger, dirs map[string]*directory.Directory) {
			log.Info("dev worker ready",
				zap.String("temporal", srv.FrontendAddress()),
				zap.String("webUI", srv.UIAddress()),
				zap.String("codecEndpoint", codecURL+" (dev: open to whoever reaches it on loopback, no credentials)"),
				zap.Strings("codecKeys", keys.IDs()),
				zap.String("gateway", gatewayAddr),
				zap.String("smtpIn", mailinAddr),
				zap.String("desktop", desktopURL),
				zap.String("smtpSink", smtpSink.Addr()),
				zap.String("smsSink", smsSink.URL()),
				zap.String("s3", fakeS3.URL()),
				zap.String("outbox", outbox),
				zap.Strings("tenants", tenants(dirs)))
		},
		close: stack.close,
	}, nil
}

// startDesktop serves the Agent Desktop with the dev sign-in on loopback,
// on port (0: a free one, which it returns), its sessions signed with the
// data directory's own key.
func startDesktop(port int, dataDir string, convs *conversations.Client, log *zap.Logger) (*http.Server, int, error) {
	key, err := devSessionKey(dataDir)
	if err != nil {
		return nil, 0, err
	}
	handler, err := (&desktop.Server{Client: convs, Key: key, Dev: true, Log: log.Named("desktop")}).Handler()
	if err != nil {
		return nil, 0, err
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, 0, fmt.Errorf("start the desktop: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, ln.Addr().(*net.TCPAddr).Port, nil
}

// devSessionKey is the data directory's desktop session key, made at its
// first use: a key in the source would let anyone who read it sign in as any
// agent of any dev desktop.
func devSessionKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, "desktop-session.key")
	key, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // never fails since Go 1.24
		err = os.WriteFile(path, key, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("the desktop's session key: %w", err)
	}
	return key, nil
}

// closers stops what was started, last first.
type closers []func() error

func (c *closers) add(f func() error) { *c = append(*c, f) }

func (c *closers) close() {
	for i := len(*c) - 1; i >= 0; i-- {
		_ = (*c)[i]()
	}
}

func tenants(dirs map[string]*directory.Directory) []string {
	names := make([]string, 0, len(dirs))
	for n := range dirs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
