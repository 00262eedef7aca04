// Package temporalserver runs a complete Temporal server (SQLite persistence,
// SQL visibility) and optionally the Temporal Web UI inside the current
// process, for `go run ./dev` and integration tests.
package temporalserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
)

// startTimeout bounds Start when the caller's context has no deadline, so a
// wedged server fails the dev command or test instead of hanging it.
const startTimeout = time.Minute

// Server is a running dev server. Stop it when done.
type Server struct {
	temporal  temporal.Server
	ui        *uiserver.Server
	frontend  string
	uiAddr    string
	namespace string
	log       *zap.Logger
	logLevel  zap.AtomicLevel
	stopOnce  sync.Once
	stopErr   error
}

// Start launches the server, creates the namespace and search attributes,
// starts the UI unless disabled, and returns once all of it is usable.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()

	s, p, err := startTemporal(opts)
	if err != nil {
		return nil, err
	}
	if err := s.prepareNamespace(ctx, opts); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	if p.ui != 0 {
		if s.ui, err = startUI(ctx, p, opts); err != nil {
			return nil, errors.Join(err, s.Stop())
		}
		s.uiAddr = fmt.Sprintf("http://%s", hostPort(p.ui))
	}
	s.logLevel.SetLevel(runningLevel)
	return s, nil
}

func startTemporal(opts Options) (*Server, ports, error) {
	p, err := pickPorts(opts)
	if err != nil {
		return nil, p, err
	}
	sqlCfg, err := sqliteConfig(opts)
	if err != nil {
		return nil, p, err
	}
	if err := ensureNamespace(sqlCfg, clusterName, opts); err != nil {
		return nil, p, err
	}
	logger, level := newServerLogger(opts.Logger)
	srv, err := temporal.NewServer(
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithConfig(serverConfig(p, sqlCfg)),
		staticHosts(p),
		temporal.WithLogger(log.NewZapLogger(logger)),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	)
	if err != nil {
		return nil, p, fmt.Errorf("dev server: create server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, p, fmt.Errorf("dev server: start server: %w", err)
	}
	return &Server{
		temporal:  srv,
		frontend:  hostPort(p.frontend),
		namespace: opts.Namespace,
		log:       logger,
		logLevel:  level,
	}, p, nil
}

// prepareNamespace waits for the frontend and registers search attributes.
func (s *Server) prepareNamespace(ctx context.Context, opts Options) error {
	c, err := dialFrontend(ctx, s.frontend, s.namespace, s.log)
	if err != nil {
		return err
	}
	defer c.Close()
	return RegisterSearchAttributes(ctx, c, s.namespace, opts.SearchAttributes)
}

// dialFrontend retries because Start returns before the frontend reports
// itself healthy, and Dial fails fast on an unhealthy server.
func dialFrontend(ctx context.Context, addr, ns string, logger *zap.Logger) (client.Client, error) {
	for {
		c, err := client.DialContext(ctx, client.Options{
			HostPort:  addr,
			Namespace: ns,
			Logger:    newSDKLogger(logger),
		})
		if err == nil {
			return c, nil
		}
		if sleepErr := sleep(ctx, 100*time.Millisecond); sleepErr != nil {
			return nil, fmt.Errorf("dev server: frontend not ready: %w", err)
		}
	}
}

// FrontendAddress is the gRPC address for SDK clients, "127.0.0.1:PORT".
func (s *Server) FrontendAddress() string { return s.frontend }

// UIAddress is the Web UI base URL, or "" when the UI is disabled.
func (s *Server) UIAddress() string { return s.uiAddr }

// Namespace is the namespace created at start.
func (s *Server) Namespace() string { return s.namespace }

// Stop shuts down the UI, then the server. It is safe to call twice.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.logLevel.SetLevel(stoppingLevel)
		// UI first, so it does not log errors for a frontend going away.
		if s.ui != nil {
			s.ui.Stop()
		}
		if err := s.temporal.Stop(); err != nil {
			s.stopErr = fmt.Errorf("dev server: stop server: %w", err)
		}
	})
	return s.stopErr
}
