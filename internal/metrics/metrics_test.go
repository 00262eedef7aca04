package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"outbound/internal/metrics"
)

// A process's page has the Go runtime's and the process's metrics, and its
// HTTP server's requests by method and status.
func TestRegistryServesRuntimeProcessAndHTTPMetrics(t *testing.T) {
	reg, err := metrics.New()
	if err != nil {
		t.Fatal(err)
	}
	app := httptest.NewServer(reg.Instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
		}
	})))
	t.Cleanup(app.Close)
	for _, path := range []string{"/", "/", "/missing"} {
		resp, err := http.Get(app.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	page := httptest.NewServer(reg.Page)
	t.Cleanup(page.Close)
	resp, err := http.Get(page.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"go_goroutines ", "process_cpu_seconds_total ", "process_resident_memory_bytes ",
		`outbound_http_requests_total{code="200",method="get"} 2`,
		`outbound_http_requests_total{code="404",method="get"} 1`,
		`outbound_http_request_duration_seconds_count{code="200",method="get"} 2`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
