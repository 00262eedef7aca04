package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"outbound/internal/address"
	"outbound/internal/devserver"
	"outbound/internal/devsink"
	"outbound/internal/directory"
	"outbound/internal/email"
	"outbound/internal/model"
	"outbound/internal/sms"
)

// Dev SMS credentials: the sink accepts them, nothing real is reachable.
const (
	devAccountSID = "ACdev"
	devAuthToken  = "dev-sms-token"
)

// devEnvironment starts the embedded Temporal server and Web UI, and real
// SMTP and SMS API sinks that write every delivered message to the outbox.
func devEnvironment(ctx context.Context, cfg config, log *zap.Logger) (*env, error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(err error) (*env, error) { closeAll(); return nil, err }

	if err := os.MkdirAll(cfg.dataDir, 0o755); err != nil {
		return nil, err
	}
	srv, err := devserver.Start(ctx, devserver.Options{
		DataDir: cfg.dataDir, Port: cfg.devPort, UIPort: cfg.uiPort,
		SearchAttributes: model.SearchAttributes(), Logger: log.Named("temporal"),
	})
	if err != nil {
		return nil, fmt.Errorf("start the embedded Temporal server: %w", err)
	}
	closers = append(closers, func() { _ = srv.Stop() })

	outbox := filepath.Join(cfg.dataDir, "outbox")
	smtpSink, err := devsink.StartSMTP(fmt.Sprintf("127.0.0.1:%d", cfg.smtpPort), outbox, log)
	if err != nil {
		return fail(fmt.Errorf("start the SMTP sink: %w", err))
	}
	closers = append(closers, func() { _ = smtpSink.Close() })
	smsSink, err := devsink.StartSMS(fmt.Sprintf("127.0.0.1:%d", cfg.smsPort), outbox, log)
	if err != nil {
		return fail(fmt.Errorf("start the SMS sink: %w", err))
	}
	closers = append(closers, func() { _ = smsSink.Close() })

	host, port, err := splitHostPort(smtpSink.Addr())
	if err != nil {
		return fail(err)
	}
	key := os.Getenv(address.KeyEnv)
	if key == "" {
		key = address.DevKey
	}
	return &env{
		clientOptions: client.Options{HostPort: srv.FrontendAddress(), Namespace: srv.Namespace()},
		email:         &email.Sender{Host: host, Port: port},
		sms:           &sms.Client{BaseURL: smsSink.URL(), AccountSID: devAccountSID, AuthToken: devAuthToken},
		idKey:         []byte(key),
		announce: func(log *zap.Logger, dirs map[string]*directory.Directory) {
			log.Info("dev worker ready",
				zap.String("temporal", srv.FrontendAddress()),
				zap.String("webUI", srv.UIAddress()),
				zap.String("smtpSink", smtpSink.Addr()),
				zap.String("smsSink", smsSink.URL()),
				zap.String("outbox", outbox),
				zap.Strings("tenants", tenants(dirs)))
		},
		close: closeAll,
	}, nil
}

func tenants(dirs map[string]*directory.Directory) []string {
	names := make([]string, 0, len(dirs))
	for n := range dirs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
