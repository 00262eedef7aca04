package tests

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// What ships links none of what only dev, tests and the bench use: the
// embedded Temporal server and Web UI, the fake S3, the sinks. Found: the
// production worker linked the whole server (178 MB) for --dev, and every
// binary linked the fake S3.
func TestShippedBinariesLinkNoDevParts(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../worker", "../gateway", "../desktop", "../starter", "../probe").CombinedOutput()
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

// Every binary says which build it is: module, commit and Go version.
func TestEveryBinaryNamesItsVersion(t *testing.T) {
	bin := t.TempDir()
	for _, name := range []string{"worker", "gateway", "desktop", "starter", "probe", "dev"} {
		exe := filepath.Join(bin, name)
		if out, err := exec.Command("go", "build", "-o", exe, "../"+name).CombinedOutput(); err != nil {
			t.Fatalf("go build ./%s: %v\n%s", name, err, out)
		}
		out, err := exec.Command(exe, "--version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s --version: %v\n%s", name, err, out)
		}
		if got := string(out); !strings.HasPrefix(got, name+" ") || !strings.Contains(got, "outbound ") || !strings.Contains(got, runtime.Version()) {
			t.Errorf("%s --version = %q, want its name, the module and %s", name, got, runtime.Version())
		}
	}
}
