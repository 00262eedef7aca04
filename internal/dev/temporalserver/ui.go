package temporalserver

import (
	"context"
	"fmt"
	"net"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
)

func uiConfig(p ports, o Options) *uiconfig.Config {
	return &uiconfig.Config{
		Host:                localhost,
		Port:                p.ui,
		TemporalGRPCAddress: hostPort(p.frontend),
		EnableUI:            true,
		DefaultNamespace:    o.Namespace,
		Codec:               uiconfig.Codec{Endpoint: o.CodecEndpoint},
		// Served over plain HTTP on localhost, so the CSRF cookie must not
		// be marked Secure or the browser drops it and every write fails.
		CORS:     uiconfig.CORS{CookieInsecure: true},
		HideLogs: true, // no banner and no per-request access log
		// No internet in dev/CI; the news and version checks would only fail.
		DisableNewsFetch: true,
	}
}

// startUI runs the UI server and waits until it accepts connections.
func startUI(ctx context.Context, p ports, o Options) (*uiserver.Server, error) {
	ui := uiserver.NewServer(uioptions.WithConfigProvider(uiConfig(p, o)))
	// Start blocks until Stop and returns nil then. On any other error
	// (a port taken since pickPorts checked it) it calls echo's
	// Logger.Fatal, which exits the process: nothing to report here.
	go func() { _ = ui.Start() }()
	if err := WaitListening(ctx, hostPort(p.ui)); err != nil {
		ui.Stop()
		return nil, fmt.Errorf("dev server: UI did not come up: %w", err)
	}
	return ui, nil
}

// WaitListening returns once something accepts connections on addr.
func WaitListening(ctx context.Context, addr string) error {
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return conn.Close()
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}
