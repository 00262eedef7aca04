package temporalserver

import (
	"fmt"
	"path/filepath"
	"time"

	enums "go.temporal.io/api/enums/v1"
	"go.uber.org/zap"
)

const (
	// localhost is the only interface the dev server binds to: it is a
	// developer tool and must never be reachable from the network.
	localhost = "127.0.0.1"

	defaultNamespace = "default"

	// retention keeps closed workflows around long enough to inspect them in
	// the UI after a dev session, without letting the SQLite file grow forever.
	retention = 7 * 24 * time.Hour

	// NoUI as Options.UIPort disables the Web UI.
	NoUI = -1
)

// Options configures a dev server. The zero value is an in-memory server with
// the UI on a free port.
type Options struct {
	DataDir          string // SQLite file at DataDir/temporal.db; "" = in-memory SQLite
	Port             int    // frontend gRPC port; 0 = pick a free port
	UIPort           int    // Web UI HTTP port; 0 = pick a free one; -1 = no UI
	Namespace        string // created at start if missing (default "default")
	SearchAttributes map[string]enums.IndexedValueType
	Logger           *zap.Logger // server logs at Warn and above go here
	CodecEndpoint    string      // optional codec endpoint URL for the UI
}

func (o Options) withDefaults() Options {
	if o.Namespace == "" {
		o.Namespace = defaultNamespace
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o
}

func (o Options) validate() error {
	if o.Port < 0 || o.Port > 65535 {
		return fmt.Errorf("dev server: invalid port %d", o.Port)
	}
	if o.UIPort < NoUI || o.UIPort > 65535 {
		return fmt.Errorf("dev server: invalid UI port %d", o.UIPort)
	}
	return nil
}

// dbPath is absolute so the sqlite plugin's process-wide connection pool,
// keyed by DSN, maps one file to one key regardless of the working directory.
func (o Options) dbPath() (string, error) {
	return filepath.Abs(filepath.Join(o.DataDir, "temporal.db"))
}
