package tests

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.temporal.io/sdk/client"

	"outbound/internal/health"
)

// The probes compose and Kubernetes use: /healthz while the process serves,
// /readyz only once it has started and Temporal answers.
func TestHealthProbes(t *testing.T) {
	var ready health.Later
	mux := http.NewServeMux()
	health.Handle(mux, ready.Check)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	probe(t, srv.URL+"/healthz", http.StatusOK)
	probe(t, srv.URL+"/readyz", http.StatusServiceUnavailable) // not started
	ready.Set(health.Temporal(env.Temporal))
	probe(t, srv.URL+"/readyz", http.StatusOK)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := l.Addr().String()
	l.Close()
	unreachable, err := client.NewLazyClient(client.Options{HostPort: gone})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unreachable.Close)
	ready.Set(health.Temporal(unreachable))
	probe(t, srv.URL+"/readyz", http.StatusServiceUnavailable)
	probe(t, srv.URL+"/healthz", http.StatusOK)
}

func probe(t *testing.T, url string, want int) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Fatalf("GET %s = %d, want %d", url, resp.StatusCode, want)
	}
}
