package metrics

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// Serve exposes page as /metrics on addr for Prometheus until stop is
// called; url is where it listens.
func Serve(addr string, page http.Handler) (url string, stop func(), err error) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", page)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("metrics on %s: %w", addr, err)
	}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/metrics", func() { _ = srv.Close() }, nil
}
