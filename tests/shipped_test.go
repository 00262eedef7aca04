package tests

import (
	"os/exec"
	"strings"
	"testing"
)

// What ships links none of what only dev, tests and the bench use: the
// embedded Temporal server and Web UI, the fake S3, the sinks. Found: the
// production worker linked the whole server (178 MB) for --dev, and every
// binary linked the fake S3.
func TestShippedBinariesLinkNoDevParts(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../worker", "../gateway", "../desktop", "../starter").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, dev := range []string{"go.temporal.io/server", "github.com/temporalio/ui-server", "gofakes3", "outbound/internal/dev/"} {
			if strings.HasPrefix(pkg, dev) || strings.Contains(pkg, "/"+dev) {
				t.Errorf("a shipped binary links %s", pkg)
			}
		}
	}
}
