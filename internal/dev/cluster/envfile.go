package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeEnvFile writes DIR/cluster.env: every setting a client of the cluster
// needs, for `set -a; . DIR/cluster.env; starter agents` in another shell.
// It holds the customer-id key, so it is readable by its owner only.
func (c *Cluster) writeEnvFile() error {
	var b strings.Builder
	b.WriteString("# Written by `go run ./deploy/cluster` for this cluster; load it with: set -a; . " + c.EnvFile() + "; set +a\n")
	for _, kv := range c.clientEnv() {
		b.WriteString(kv + "\n")
	}
	for _, kv := range c.channels.s3Env() {
		b.WriteString(kv + "\n")
	}
	lines := []string{
		"# The codec endpoint (the Web UI decrypts payloads through it): send",
		"# 'Authorization: Bearer <the token in OUTBOUND_CODEC_TOKEN_FILE>'.",
		"OUTBOUND_CODEC_URL=" + c.CodecURL(),
		"OUTBOUND_CODEC_TOKEN_FILE=" + c.secrets.CodecToken,
		"OUTBOUND_GATEWAY_URL=" + c.GatewayURL(),
		"OUTBOUND_TEMPORAL_UI_URL=" + c.UIURL(),
		"OUTBOUND_OUTBOX=" + c.Outbox(),
	}
	// PostgreSQL, for psql and the bench's database figures (libpq's names).
	pgpass := filepath.Join(c.secrets.dir, "pgpass")
	line := fmt.Sprintf("127.0.0.1:%d:*:%s:%s\n", c.Ports.Postgres, pgUser, c.pgPassword)
	if err := os.WriteFile(pgpass, []byte(line), 0o600); err != nil {
		return err
	}
	lines = append(lines, "PGHOST=127.0.0.1", fmt.Sprintf("PGPORT=%d", c.Ports.Postgres), "PGUSER="+pgUser, "PGPASSFILE="+pgpass)
	if c.desktop != nil {
		lines = append(lines, "OUTBOUND_DESKTOP_URL="+c.DesktopURL())
	}
	b.WriteString(strings.Join(lines, "\n") + "\n")
	return os.WriteFile(c.EnvFile(), []byte(b.String()), 0o600)
}
