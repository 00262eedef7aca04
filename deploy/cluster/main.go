// Command cluster runs the production shape on this machine, without Docker:
// PostgreSQL (Debian's postgresql package), the Temporal server as one
// process per service with mTLS, the Web UI, N workers, the gateway and, with
// OIDC_* set, the Agent Desktop. Everything lives in --data-dir; a second
// start on it resumes every conversation. Ctrl-C stops it all.
//
//	go run ./deploy/cluster --data-dir .cluster [--workers 2] [--directory FILE]
//	go run ./deploy/cluster --write-certs deploy/tls   # for docker-compose.yml
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"go.uber.org/zap"

	"outbound/internal/dev/cluster"
	"outbound/internal/logging"
)

// defaultPorts match `go run ./dev` and the compose stack, so the README's
// addresses hold; the internal ones are picked free at the first start.
var defaultPorts = cluster.Ports{
	Postgres: 5433, Frontend: 7233, UI: 8233, Gateway: 8080, SMTPIn: 2525, Codec: 8081, Desktop: 8088, S3: 8234,
}

func main() {
	var opts cluster.Options
	flag.StringVar(&opts.Dir, "data-dir", ".cluster", "where the cluster keeps its data, keys, certificates and logs")
	flag.IntVar(&opts.Workers, "workers", 2, "worker processes")
	flag.Func("directory", "tenant directory YAML (repeatable; default examples/acme.yaml)", func(s string) error {
		opts.Directories = append(opts.Directories, s)
		return nil
	})
	certs := flag.String("write-certs", "", "only write a CA and the frontend, internode and client certificates into this directory (docker-compose.yml mounts deploy/tls), then exit")
	flag.Parse()
	if *certs != "" {
		if err := cluster.WriteCerts(*certs); err != nil {
			fmt.Fprintln(os.Stderr, "cluster:", err)
			os.Exit(1)
		}
		return
	}
	if len(opts.Directories) == 0 {
		opts.Directories = []string{"examples/acme.yaml"}
	}
	opts.Repo, opts.Ports = ".", defaultPorts
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OIDC_") {
			opts.DesktopEnv = append(opts.DesktopEnv, kv)
		}
	}
	log := logging.New(true)
	opts.Log = log
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := cluster.Start(ctx, opts)
	if err != nil {
		log.Error("cluster did not start", zap.Error(err))
		os.Exit(1)
	}
	printAddresses(c)
	<-ctx.Done()
	log.Info("stopping the cluster")
	c.Stop()
}

func printAddresses(c *cluster.Cluster) {
	desktop := "not started (set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET_FILE: agents sign in with OpenID Connect)"
	if c.HasDesktop() {
		desktop = c.DesktopURL()
	}
	fmt.Printf(`
The cluster runs (Ctrl-C stops it; a second start on the same --data-dir resumes it):
  Temporal frontend (mTLS)  %s
  Temporal Web UI           %s
  gateway: webhooks         %s
  gateway: customer email   smtp://%s
  codec endpoint (token)    %s
  Agent Desktop             %s
  sent messages             %s
  logs                      %s

In another shell:
  set -a; . %s; set +a
  %s/starter agents
`, c.FrontendAddress(), c.UIURL(), c.GatewayURL(), c.SMTPInAddress(), c.CodecURL(), desktop,
		c.Outbox(), c.LogDir(), c.EnvFile(), c.BinDir())
}
