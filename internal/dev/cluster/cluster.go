// Package cluster runs the production shape of the service on one machine,
// without Docker: PostgreSQL from the system's binaries, the Temporal server
// as one process per service with mTLS, the Web UI, N workers, the gateway
// and the desktop, every address on 127.0.0.1 and everything under one
// directory. `go run ./deploy/cluster` and the fault tests use it.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"outbound/internal/dev/temporalserver"
)

// Namespace is the namespace the cluster creates and its clients use.
const Namespace = "default"

// Options say what to run. Only Dir, Repo and Directories are required.
type Options struct {
	Dir         string   // data, keys, certificates and logs; a second start resumes it
	Repo        string   // the checkout the product's binaries are built from
	Workers     int      // worker processes on the one task queue (default 2)
	Directories []string // tenant YAML files the workers serve
	Ports       Ports    // used at the first start only (zero: any free port)
	// DesktopEnv is the Agent Desktop's OpenID Connect settings (OIDC_ISSUER,
	// OIDC_CLIENT_ID, OIDC_CLIENT_SECRET or _FILE); without them no desktop runs.
	DesktopEnv []string
	Log        *zap.Logger
}

// Cluster is a running cluster. Stop it when done.
type Cluster struct {
	Ports Ports

	dir, binDir, logDir string
	repoDir             string
	directories         []string
	desktopEnv          []string
	log                 *zap.Logger

	secrets                     *secrets
	pki                         *pki
	pgPassword, idKey, smsToken string

	postgres *process
	temporal map[string]*process
	ui       *process
	workers  []*process
	gateway  *process
	desktop  *process
	channels *channels
}

// startTimeout bounds everything after the build: a first start (initdb,
// schema) takes about a minute on 2 cores.
const startTimeout = 5 * time.Minute

// Start builds the binaries and starts the cluster, or resumes the one in
// opts.Dir. It returns once `starter agents` answers through the frontend.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	c, err := prepare(ctx, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := c.start(ctx); err != nil {
		c.Stop()
		return nil, fmt.Errorf("%w (logs in %s)", err, c.logDir)
	}
	return c, nil
}

// prepare creates the directory, picks the ports, generates the keys and
// certificates and builds the binaries.
func prepare(ctx context.Context, opts Options) (*Cluster, error) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	c := &Cluster{dir: dir, binDir: filepath.Join(dir, "bin"), logDir: filepath.Join(dir, "logs"),
		desktopEnv: opts.DesktopEnv, log: opts.Log, repoDir: opts.Repo, temporal: map[string]*process{}}
	for _, d := range opts.Directories {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, err
		}
		c.directories = append(c.directories, abs)
	}
	for _, d := range []string{dir, c.binDir, c.logDir} {
		// Other users may pass (PostgreSQL runs as postgres under root);
		// what is secret inside is readable by its owner only.
		if err := os.MkdirAll(d, 0o711); err != nil {
			return nil, err
		}
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return nil, err
	}
	if c.Ports, err = resolvePorts(filepath.Join(dir, "ports.json"), opts.Ports); err != nil {
		return nil, err
	}
	if err := c.Ports.checkFree(); err != nil {
		return nil, err
	}
	if c.secrets, err = loadSecrets(filepath.Join(dir, "secrets")); err != nil {
		return nil, err
	}
	for _, s := range []struct {
		dst  *string
		file string
	}{
		{&c.pgPassword, c.secrets.PostgresPassword}, {&c.idKey, c.secrets.IDKey}, {&c.smsToken, c.secrets.SMSAuthToken},
	} {
		if *s.dst, err = read(s.file); err != nil {
			return nil, err
		}
	}
	if c.pki, err = loadPKI(filepath.Join(dir, "tls")); err != nil {
		return nil, err
	}
	c.workers = make([]*process, opts.Workers)
	c.log.Info("building the binaries", zap.String("into", c.binDir))
	return c, build(ctx, opts.Repo, c.binDir)
}

func (c *Cluster) start(ctx context.Context) error {
	if err := c.startPostgres(ctx); err != nil {
		return err
	}
	if err := writeTemporalFiles(filepath.Join(c.dir, "temporal")); err != nil {
		return err
	}
	c.log.Info("migrating the Temporal schema")
	if err := c.migrateSchema(ctx); err != nil {
		return err
	}
	if err := c.startTemporal(ctx); err != nil {
		return err
	}
	var err error
	if c.channels, err = startChannels(c.dir, c.Ports, c.smsToken, c.log); err != nil {
		return err
	}
	uiDir, err := moduleDir(ctx, c.repoDir, uiModule)
	if err != nil {
		return err
	}
	uiConfig := filepath.Join(c.dir, "ui", "config")
	if err := writeUIConfig(uiDir, uiConfig); err != nil {
		return err
	}
	c.ui = c.uiProcess(uiConfig)
	c.gateway = c.gatewayProcess()
	for i := range c.workers {
		c.workers[i] = c.workerProcess(i)
	}
	c.desktop = c.desktopProcess()
	for _, p := range c.products() {
		if err := p.start(); err != nil {
			return err
		}
	}
	c.log.Info("waiting for the workers to publish the directories")
	if err := c.waitReady(ctx); err != nil {
		return err
	}
	return c.writeEnvFile()
}

func (c *Cluster) startPostgres(ctx context.Context) error {
	binDir, err := postgresBinDir()
	if err != nil {
		return err
	}
	cred, err := postgresCredential()
	if err != nil {
		return err
	}
	data := filepath.Join(c.dir, "postgres")
	if err := initPostgres(ctx, binDir, data, c.pgPassword, cred); err != nil {
		return err
	}
	c.postgres = postgresProcess(binDir, data, c.logDir, c.Ports.Postgres, cred)
	c.log.Info("starting PostgreSQL", zap.String("address", hostPort(c.Ports.Postgres)))
	if err := c.postgres.start(); err != nil {
		return err
	}
	return waitPostgres(ctx, c.Ports.Postgres, c.pgPassword)
}

func (c *Cluster) startTemporal(ctx context.Context) error {
	shared, err := sharedServerEnv(filepath.Join(c.dir, "temporal"))
	if err != nil {
		return err
	}
	for _, svc := range temporalServices {
		p := c.temporalProcess(svc, shared)
		c.temporal[svc] = p
		if err := p.start(); err != nil {
			return err
		}
	}
	c.log.Info("waiting for the Temporal frontend", zap.String("address", hostPort(c.Ports.Frontend)))
	return c.prepareNamespace(ctx)
}

// products are the product's processes and the Web UI, in start order.
func (c *Cluster) products() []*process {
	ps := []*process{c.ui, c.gateway}
	ps = append(ps, c.workers...)
	if c.desktop != nil {
		ps = append(ps, c.desktop)
	}
	return ps
}

// waitReady returns once `starter agents` answers (the workers published
// the directories) and the gateway, codec endpoint and UI accept connections.
func (c *Cluster) waitReady(ctx context.Context) error {
	for _, port := range []int{c.Ports.Gateway, c.Ports.Codec, c.Ports.UI, c.Ports.SMTPIn} {
		if err := temporalserver.WaitListening(ctx, hostPort(port)); err != nil {
			return fmt.Errorf("nothing listens on %s: %w", hostPort(port), err)
		}
	}
	var last []byte
	for {
		cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, "starter"), "agents")
		cmd.Env = append(baseEnv(c.binDir), c.clientEnv()...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			return nil
		}
		last = out
		select {
		case <-ctx.Done():
			return fmt.Errorf("starter agents never answered: %s", last)
		case <-time.After(time.Second):
		}
	}
}

// Stop stops everything, clients before servers, PostgreSQL last.
func (c *Cluster) Stop() {
	var order []*process
	if c.ui != nil {
		order = append(order, c.products()...)
	}
	for _, svc := range []string{"frontend", "worker", "matching", "history"} {
		if p := c.temporal[svc]; p != nil {
			order = append(order, p)
		}
	}
	for _, p := range order {
		p.stop(15 * time.Second)
	}
	if c.channels != nil {
		_ = c.channels.close()
	}
	if c.postgres != nil {
		c.postgres.stop(30 * time.Second)
	}
}

// Addresses, for people and for cluster.env.

func (c *Cluster) FrontendAddress() string { return hostPort(c.Ports.Frontend) }
func (c *Cluster) UIURL() string           { return "http://" + hostPort(c.Ports.UI) }
func (c *Cluster) GatewayURL() string      { return "http://" + hostPort(c.Ports.Gateway) }
func (c *Cluster) CodecURL() string        { return "http://" + hostPort(c.Ports.Codec) }
func (c *Cluster) DesktopURL() string      { return fmt.Sprintf("http://localhost:%d", c.Ports.Desktop) }
func (c *Cluster) SMTPInAddress() string   { return hostPort(c.Ports.SMTPIn) }
func (c *Cluster) EnvFile() string         { return filepath.Join(c.dir, "cluster.env") }
func (c *Cluster) Outbox() string          { return filepath.Join(c.dir, "outbox") }
func (c *Cluster) LogDir() string          { return c.logDir }
func (c *Cluster) BinDir() string          { return c.binDir }
func (c *Cluster) HasDesktop() bool        { return c.desktop != nil }

// ClientEnv is the environment of a client process (the starter, the bench).
func (c *Cluster) ClientEnv() []string { return append(baseEnv(c.binDir), c.clientEnv()...) }

// CodecToken is the codec endpoint's bearer token.
func (c *Cluster) CodecToken() (string, error) { return read(c.secrets.CodecToken) }

// PIDs are the running processes of the cluster by name (its own process
// aside), for tests that read their command lines.
func (c *Cluster) PIDs() map[string]int {
	out := map[string]int{}
	all := append([]*process{c.postgres}, c.products()...)
	for _, p := range c.temporal {
		all = append(all, p)
	}
	for _, p := range all {
		if p != nil && p.pid() != 0 {
			out[p.name] = p.pid()
		}
	}
	return out
}

// Faults, for the fault tests and the soak command.

// KillWorker SIGKILLs worker i (from 0); the supervisor restarts it a second later.
func (c *Cluster) KillWorker(i int) error { return c.workers[i].kill() }

// KillTemporal SIGKILLs a Temporal service ("history", "matching", ...); the
// supervisor restarts it a second later.
func (c *Cluster) KillTemporal(service string) error {
	p, ok := c.temporal[service]
	if !ok {
		return errors.New("no Temporal service " + service)
	}
	return p.kill()
}

// PostgresOutage shuts PostgreSQL down (fast shutdown: clients are cut off)
// for d, then starts it again and waits until it answers.
func (c *Cluster) PostgresOutage(ctx context.Context, d time.Duration) error {
	c.postgres.stop(30 * time.Second)
	time.Sleep(d)
	if err := c.postgres.start(); err != nil {
		return err
	}
	return waitPostgres(ctx, c.Ports.Postgres, c.pgPassword)
}
