package temporalserver

import (
	"fmt"
	"net"
	"sync"
)

// handedOut remembers every port this process picked. A port is free again
// as soon as the probe listener closes, so without this two servers starting
// side by side could be given the same port before either binds it.
var (
	portsMu   sync.Mutex
	handedOut = map[int]bool{}
)

// freePort asks the kernel for an unused port on localhost.
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 20 {
		l, err := net.Listen("tcp", net.JoinHostPort(localhost, "0"))
		if err != nil {
			return 0, fmt.Errorf("dev server: pick free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		if !handedOut[port] {
			handedOut[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("dev server: no unused free port found")
}

// portOrFree returns port when the caller chose one, else a free port.
func portOrFree(port int) (int, error) {
	if port != 0 {
		return port, checkPortFree(port)
	}
	return freePort()
}

// checkPortFree fails early with a clear error for a taken user-chosen
// port; the UI server would otherwise exit the whole process on bind errors.
func checkPortFree(port int) error {
	l, err := net.Listen("tcp", hostPort(port))
	if err != nil {
		return fmt.Errorf("dev server: port %d unavailable: %w", port, err)
	}
	return l.Close()
}

func hostPort(port int) string {
	return net.JoinHostPort(localhost, fmt.Sprint(port))
}
