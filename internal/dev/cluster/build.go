package cluster

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// binaries are built from the checkout (the product) and from the modules
// go.mod pins (the Temporal server, its SQL tool and the Web UI), so the
// cluster runs exactly the versions the project tests.
var binaries = []struct{ name, pkg string }{
	{"worker", "./worker"},
	{"gateway", "./gateway"},
	{"desktop", "./desktop"},
	{"starter", "./starter"},
	{"temporal-server", "go.temporal.io/server/cmd/server"},
	{"temporal-sql-tool", "go.temporal.io/server/cmd/tools/sql"},
	{"temporal-ui", "github.com/temporalio/ui-server/v2/cmd/server"},
}

// uiModule is the Web UI server's module, whose config/docker.yaml the UI reads.
const uiModule = "github.com/temporalio/ui-server/v2"

// build compiles every binary into binDir (the go command's cache makes a
// second start quick).
func build(ctx context.Context, repo, binDir string) error {
	for _, b := range binaries {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(binDir, b.name), b.pkg)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	return nil
}

// moduleDir is where the go command keeps a module go.mod requires.
func moduleDir(ctx context.Context, repo, module string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", module)
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w", module, err)
	}
	return strings.TrimSpace(string(out)), nil
}
