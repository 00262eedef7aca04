package cluster_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.uber.org/zap"

	"outbound/internal/dev/cluster"
	"outbound/internal/dev/soak"
)

// One cluster serves every test of the package: starting one (PostgreSQL,
// four Temporal services, the UI, two workers, the gateway) takes about 15 s
// once the binaries are built.
var shared struct {
	c   *cluster.Cluster
	dir string
	err error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.c != nil {
		shared.c.Stop()
	}
	if shared.dir != "" && code == 0 {
		_ = os.RemoveAll(shared.dir)
	} else if shared.dir != "" {
		fmt.Println("cluster directory kept for its logs:", shared.dir)
	}
	os.Exit(code)
}

// theCluster starts the shared cluster on first use.
func theCluster(t *testing.T) *cluster.Cluster {
	t.Helper()
	if shared.c == nil && shared.err == nil {
		shared.c, shared.err = startCluster()
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.c
}

func startCluster() (*cluster.Cluster, error) {
	dir, err := os.MkdirTemp("", "outbound-cluster-")
	if err != nil {
		return nil, err
	}
	shared.dir = dir
	directory := filepath.Join(dir, "soak.yaml")
	if err := os.WriteFile(directory, soak.Directory(soak.Agents), 0o644); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o711); err != nil {
		return nil, err
	}
	log, err := zap.Config{
		Level: zap.NewAtomicLevelAt(zap.InfoLevel), Encoding: "json", EncoderConfig: zap.NewProductionEncoderConfig(),
		OutputPaths: []string{filepath.Join(dir, "logs", "cluster.log")},
	}.Build()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return cluster.Start(ctx, cluster.Options{
		Dir: dir, Repo: filepath.Join("..", "..", ".."), Workers: 2, Directories: []string{directory}, Log: log,
	})
}

// runLoad drives 50 conversations while inject runs its faults, then checks
// that every acknowledged operation is in its transcript once, every agent
// message reached the provider once, and nothing is stuck.
func runLoad(t *testing.T, run string, inject func(ctx context.Context, c *cluster.Cluster) int) {
	c := theCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	client, err := c.Conversations(ctx, soak.Tenant)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Temporal.Close()
	load := &soak.Load{Client: client, GatewayURL: c.GatewayURL(), SMSToken: c.SMSAuthToken(),
		Run: run, Rounds: soak.Rounds, HTTP: &http.Client{Timeout: 15 * time.Second}}

	loadDone := make(chan struct{})
	var faults atomic.Int64
	go func() {
		defer close(loadDone)
		load.Wave(ctx, 0, soak.Conversations)
	}()
	faultCtx, stopFaults := context.WithCancel(ctx)
	faultsDone := make(chan struct{})
	go func() {
		defer close(faultsDone)
		faults.Store(int64(inject(faultCtx, c)))
	}()
	<-loadDone
	stopFaults()
	<-faultsDone
	if ctx.Err() != nil {
		t.Fatalf("the load did not finish: %v; not acknowledged:\n%s", ctx.Err(), strings.Join(load.InFlight(), "\n"))
	}
	rep := load.Check(context.Background(), c.Outbox(), 3*time.Minute)
	t.Logf("faults %d; %s", faults.Load(), rep)
	if faults.Load() == 0 {
		t.Error("no fault was injected: the load ended first")
	}
	if rep.Conversations != soak.Conversations {
		t.Errorf("%d conversations started, want %d", rep.Conversations, soak.Conversations)
	}
	if !rep.OK() {
		t.Errorf("faults %d: %s\nlogs: %s", faults.Load(), rep, c.LogDir())
	}
}

// every runs fault every interval until ctx ends and counts the faults.
func every(ctx context.Context, t *testing.T, interval time.Duration, fault func() error) int {
	n := 0
	for {
		select {
		case <-ctx.Done():
			return n
		case <-time.After(interval):
		}
		if err := fault(); err != nil {
			t.Errorf("fault: %v", err)
			return n
		}
		n++
	}
}

// once runs fault once, a few seconds into the load.
func once(ctx context.Context, fault func()) int {
	select {
	case <-ctx.Done():
		return 0
	case <-time.After(4 * time.Second):
	}
	fault()
	return 1
}

func TestWorkerKilledEveryFewSeconds(t *testing.T) {
	runLoad(t, "workers", func(ctx context.Context, c *cluster.Cluster) int {
		i := 0
		return every(ctx, t, 5*time.Second, func() error {
			i++
			return c.KillWorker(i % 2)
		})
	})
}

func TestHistoryServiceKilledMidLoad(t *testing.T) {
	runLoad(t, "history", func(ctx context.Context, c *cluster.Cluster) int {
		return once(ctx, func() {
			if err := c.KillTemporal("history"); err != nil {
				t.Error(err)
			}
		})
	})
}

func TestPostgresDownForTenSeconds(t *testing.T) {
	runLoad(t, "postgres", func(ctx context.Context, c *cluster.Cluster) int {
		return once(ctx, func() {
			if err := c.PostgresOutage(context.Background(), 10*time.Second); err != nil {
				t.Error(err)
			}
		})
	})
}

// The codec endpoint decrypts every payload: without the token it answers
// 401; with it, what /encode encrypted /decode gives back.
func TestCodecEndpointWantsTheToken(t *testing.T) {
	c := theCluster(t)
	token, err := c.CodecToken()
	if err != nil {
		t.Fatal(err)
	}
	payload := `{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"ImhlbGxvIg=="}]}`
	post := func(path, body, auth string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, c.CodecURL()+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Namespace", cluster.Namespace)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, auth := range []string{"", "Bearer wrong-token", "Basic " + token} {
		if code, _ := post("/decode", payload, auth); code != http.StatusUnauthorized {
			t.Errorf("decode with Authorization %q: %d, want 401", auth, code)
		}
	}
	code, encoded := post("/encode", payload, "Bearer "+token)
	if code != http.StatusOK || strings.Contains(encoded, "ImhlbGxvIg==") {
		t.Fatalf("encode with the token: %d %s", code, encoded)
	}
	code, decoded := post("/decode", encoded, "Bearer "+token)
	if code != http.StatusOK || !strings.Contains(decoded, "ImhlbGxvIg==") {
		t.Fatalf("decode with the token: %d %s, want the original payload back", code, decoded)
	}
}

// The frontend speaks mTLS only: a client without a certificate, or
// without TLS, gets no answer; one with the cluster's certificate does.
func TestFrontendRefusesClientsWithoutCertificate(t *testing.T) {
	c := theCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	env := c.ClientEnv()
	caPEM, err := os.ReadFile(envValue(env, "TEMPORAL_TLS_SERVER_CA_CERT_PATH"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	for name, conn := range map[string]client.ConnectionOptions{
		"no certificate": {TLS: &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}},
		"no TLS":         {},
	} {
		tc, err := client.DialContext(ctx, client.Options{HostPort: c.FrontendAddress(), ConnectionOptions: conn, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
		if err == nil {
			tc.Close()
			t.Errorf("%s: the frontend answered", name)
		}
	}
	conv, err := c.Conversations(ctx, soak.Tenant)
	if err != nil {
		t.Fatalf("with the client certificate: %v", err)
	}
	conv.Temporal.Close()
}

// No secret of the cluster (keys, tokens, passwords, private keys) is in any
// log line or any process's arguments. It runs last, after the fault tests
// have filled the logs.
func TestNoSecretInLogsOrArguments(t *testing.T) {
	c := theCluster(t)
	secrets := clusterSecrets(t)
	var sources []string
	logs, _ := filepath.Glob(filepath.Join(c.LogDir(), "*.log"))
	for _, f := range logs {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, f)
		checkNoSecret(t, f, string(data), secrets)
	}
	pids := c.PIDs()
	for name, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, name)
		checkNoSecret(t, name+" arguments", strings.ReplaceAll(string(data), "\x00", " "), secrets)
	}
	if len(logs) < 10 || len(pids) < 9 {
		t.Fatalf("read %d logs and %d processes, want every one of the cluster's: %v", len(logs), len(pids), sources)
	}
}

// clusterSecrets are every generated secret: the files in DIR/secrets (and
// the key inside the codec key spec) and the private keys' PEM bodies.
func clusterSecrets(t *testing.T) map[string]string {
	out := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(shared.dir, "secrets", "*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v := strings.TrimSpace(string(data))
		out[filepath.Base(f)] = v
		if _, key, ok := strings.Cut(v, ":"); ok {
			out[filepath.Base(f)+" key"] = key
		}
	}
	keys, _ := filepath.Glob(filepath.Join(shared.dir, "tls", "*-key.pem"))
	for _, f := range keys {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		out[filepath.Base(f)] = lines[1] // the first line of the key itself
	}
	if len(out) < 9 {
		t.Fatalf("found %d secrets, want the cluster's 6 files, the codec key and 4 private keys", len(out))
	}
	return out
}

func checkNoSecret(t *testing.T, where, text string, secrets map[string]string) {
	t.Helper()
	for name, v := range secrets {
		if len(v) < 16 {
			t.Fatalf("secret %s is too short to look for", name)
		}
		if strings.Contains(text, v) {
			t.Errorf("%s contains the secret %s", where, name)
		}
	}
}

func envValue(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}
