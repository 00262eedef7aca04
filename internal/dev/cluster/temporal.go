package cluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"

	"outbound/deploy"
	"outbound/internal/dev/temporalserver"
)

// temporalServices run as one process each, as they would on separate hosts.
var temporalServices = []string{"history", "matching", "frontend", "worker"}

// Retention of closed conversations in the namespace (README, "Capacity").
const retention = 30 * 24 * time.Hour

// writeTemporalFiles copies deploy/temporal (what docker-compose.yml mounts)
// into DIR/temporal, so both run the same settings.
func writeTemporalFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := deploy.Temporal.ReadDir("temporal")
	if err != nil {
		return err
	}
	for _, e := range entries {
		data, err := deploy.Temporal.ReadFile("temporal/" + e.Name())
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sharedServerEnv reads deploy/temporal/server.env: KEY=VALUE lines.
func sharedServerEnv(dir string) ([]string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "server.env"))
	if err != nil {
		return nil, err
	}
	var env []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line != "" && !strings.HasPrefix(line, "#") {
			env = append(env, line)
		}
	}
	return env, sc.Err()
}

// migrateSchema runs deploy/temporal/setup-schema.sh, the compose stack's
// schema job, with the server's own temporal-sql-tool.
func (c *Cluster) migrateSchema(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(c.dir, "temporal", "setup-schema.sh"))
	cmd.Env = append(baseEnv(c.binDir),
		"SQL_PLUGIN=postgres12", "SQL_HOST=127.0.0.1", "SQL_PORT="+strconv.Itoa(c.Ports.Postgres),
		"SQL_USER="+pgUser, "SQL_PASSWORD="+c.pgPassword,
		"TEMPORAL_DB=temporal", "TEMPORAL_VISIBILITY_DB=temporal_visibility")
	log := filepath.Join(c.logDir, "schema.log")
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("create the Temporal schema (%s): %w", log, err)
	}
	return nil
}

// temporalProcess is one Temporal service, configured like the compose
// stack's server by the server's embedded template and server.env.
func (c *Cluster) temporalProcess(service string, shared []string) *process {
	p := c.Ports
	env := append(baseEnv(c.binDir), shared...)
	env = append(env,
		"POSTGRES_SEEDS=127.0.0.1", "DB_PORT="+strconv.Itoa(p.Postgres),
		"POSTGRES_USER="+pgUser, "POSTGRES_PWD="+c.pgPassword,
		"BIND_ON_IP=127.0.0.1", "TEMPORAL_BROADCAST_ADDRESS=127.0.0.1",
		"FRONTEND_GRPC_PORT="+strconv.Itoa(p.Frontend), "FRONTEND_HTTP_PORT="+strconv.Itoa(p.FrontendHTTP),
		"FRONTEND_MEMBERSHIP_PORT="+strconv.Itoa(p.FrontendMembership),
		"HISTORY_GRPC_PORT="+strconv.Itoa(p.History), "HISTORY_MEMBERSHIP_PORT="+strconv.Itoa(p.HistoryMembership),
		"MATCHING_GRPC_PORT="+strconv.Itoa(p.Matching), "MATCHING_MEMBERSHIP_PORT="+strconv.Itoa(p.MatchingMembership),
		"WORKER_GRPC_PORT="+strconv.Itoa(p.SystemWorker), "WORKER_MEMBERSHIP_PORT="+strconv.Itoa(p.SystemWorkerMember),
		"DYNAMIC_CONFIG_FILE_PATH="+filepath.Join(c.dir, "temporal", "dynamicconfig.yaml"),
		// mTLS: the frontend for its clients, internode between services
		// (and as the internal worker's client certificate).
		"TEMPORAL_TLS_FRONTEND_CERT="+c.pki.FrontendCert, "TEMPORAL_TLS_FRONTEND_KEY="+c.pki.FrontendKey,
		"TEMPORAL_TLS_CLIENT1_CA_CERT="+c.pki.CA, "TEMPORAL_TLS_CLIENT2_CA_CERT="+c.pki.CA,
		"TEMPORAL_TLS_SERVER_CERT="+c.pki.InternodeCert, "TEMPORAL_TLS_SERVER_KEY="+c.pki.InternodeKey,
		"TEMPORAL_TLS_SERVER_CA_CERT="+c.pki.CA,
		"TEMPORAL_TLS_INTERNODE_SERVER_NAME="+serverName, "TEMPORAL_TLS_FRONTEND_SERVER_NAME="+serverName,
	)
	return &process{
		name: "temporal-" + service, bin: filepath.Join(c.binDir, "temporal-server"),
		args:    []string{"--allow-no-auth", "start", "--service", service},
		env:     env,
		logPath: filepath.Join(c.logDir, "temporal-"+service+".log"),
	}
}

// prepareNamespace creates the namespace and the product's search
// attributes (deploy/temporal/search-attributes.txt, as the compose stack's
// setup job), once the frontend answers.
func (c *Cluster) prepareNamespace(ctx context.Context) error {
	tc, err := c.dialAdmin(ctx)
	if err != nil {
		return err
	}
	defer tc.Close()
	_, err = tc.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: Namespace, WorkflowExecutionRetentionPeriod: durationpb.New(retention),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register namespace %s: %w", Namespace, err)
	}
	attrs, err := c.searchAttributes()
	if err != nil {
		return err
	}
	// A new namespace reaches every service's cache within seconds.
	for {
		err = temporalserver.RegisterSearchAttributes(ctx, tc, Namespace, attrs)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

func (c *Cluster) searchAttributes() (map[string]enumspb.IndexedValueType, error) {
	data, err := os.ReadFile(filepath.Join(c.dir, "temporal", "search-attributes.txt"))
	if err != nil {
		return nil, err
	}
	out := map[string]enumspb.IndexedValueType{}
	for _, line := range strings.Fields(string(data)) {
		name, typ, _ := strings.Cut(line, ":")
		v, err := enumspb.IndexedValueTypeFromString(typ)
		if err != nil {
			return nil, fmt.Errorf("search-attributes.txt: %q: %w", line, err)
		}
		out[name] = v
	}
	return out, nil
}

// dialAdmin connects to the frontend with the client certificate, retrying
// while the services start.
func (c *Cluster) dialAdmin(ctx context.Context) (client.Client, error) {
	tlsConfig, err := c.pki.clientTLS()
	if err != nil {
		return nil, err
	}
	for {
		tc, err := client.DialContext(ctx, client.Options{
			HostPort: hostPort(c.Ports.Frontend), Namespace: Namespace,
			ConnectionOptions: client.ConnectionOptions{TLS: tlsConfig},
			Logger:            discardLogger,
		})
		if err == nil {
			return tc, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("the Temporal frontend did not come up (logs in %s): %w", c.logDir, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// uiProcess runs the Temporal Web UI with the config the temporalio/ui image
// uses (ui-server's config/docker.yaml, read from the module), bound to
// 127.0.0.1.
func (c *Cluster) uiProcess(uiConfigDir string) *process {
	p := c.Ports
	env := append(baseEnv(c.binDir),
		"TEMPORAL_ADDRESS="+hostPort(p.Frontend), "TEMPORAL_UI_PORT="+strconv.Itoa(p.UI),
		"TEMPORAL_DEFAULT_NAMESPACE="+Namespace,
		"TEMPORAL_TLS_CA="+c.pki.CA, "TEMPORAL_TLS_CERT="+c.pki.ClientCert, "TEMPORAL_TLS_KEY="+c.pki.ClientKey,
		"TEMPORAL_TLS_ENABLE_HOST_VERIFICATION=true", "TEMPORAL_TLS_SERVER_NAME="+serverName,
		"TEMPORAL_CODEC_ENDPOINT="+c.CodecURL(),
		// Plain HTTP on loopback: a Secure cookie would be dropped.
		"TEMPORAL_CSRF_COOKIE_INSECURE=true", "TEMPORAL_DISABLE_NEWS_FETCH=true",
		"TEMPORAL_CORS_ORIGINS="+c.UIURL(),
	)
	return &process{
		name: "temporal-ui", bin: filepath.Join(c.binDir, "temporal-ui"),
		args:    []string{"--root", filepath.Dir(uiConfigDir), "--config", filepath.Base(uiConfigDir), "--env", "docker", "start"},
		env:     env,
		logPath: filepath.Join(c.logDir, "temporal-ui.log"),
	}
}

// writeUIConfig copies ui-server's docker.yaml and binds it to 127.0.0.1
// (the image's file listens on every interface).
func writeUIConfig(moduleDir, dir string) error {
	data, err := os.ReadFile(filepath.Join(moduleDir, "config", "docker.yaml"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data = append(data, []byte("\nhost: 127.0.0.1\n")...)
	return os.WriteFile(filepath.Join(dir, "docker.yaml"), data, 0o644)
}

// discardLogger drops the SDK's lines while the cluster dials a frontend it
// is still starting.
var discardLogger = sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))

// baseEnv is what every child inherits: a PATH with the cluster's binaries
// first, HOME and the locale. Nothing else of the caller's environment
// leaks into the cluster.
func baseEnv(binDir string) []string {
	env := []string{"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, k := range []string{"HOME", "LANG", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
