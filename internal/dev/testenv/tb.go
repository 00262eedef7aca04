package testenv

import (
	"fmt"
	"os"
	"sync"
)

// TB is the part of testing.TB the environment needs, so a TestMain (which
// has no *testing.T) can start one environment for a whole package.
type TB interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
	TempDir() string
}

// Main is a TB for TestMain: fatal errors exit the process, Close runs the
// cleanups.
type Main struct {
	mu       sync.Mutex
	cleanups []func()
}

func (m *Main) Helper()           {}
func (m *Main) Fatal(args ...any) { m.Fatalf("%s", fmt.Sprint(args...)) }

func (m *Main) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "testenv: "+format+"\n", args...)
	m.Close()
	os.Exit(1)
}

func (m *Main) Cleanup(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cleanups = append(m.cleanups, f)
}

func (m *Main) TempDir() string {
	dir, err := os.MkdirTemp("", "outbound-test-")
	if err != nil {
		m.Fatal(err)
	}
	m.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// Close runs the cleanups, last first.
func (m *Main) Close() {
	m.mu.Lock()
	cleanups := m.cleanups
	m.cleanups = nil
	m.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
}
