package metrics

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"outbound/internal/health"
)

// Serve exposes page as /metrics on addr for Prometheus, with the health
// probes (ready: /readyz), until stop is called; url is where it listens.
func Serve(addr string, page http.Handler, ready health.Check) (url string, stop func(), err error) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", page)
	health.Handle(mux, ready)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("metrics on %s: %w", addr, err)
	}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/metrics", func() { _ = srv.Close() }, nil
}
