// Package health answers the probes of an orchestrator (compose's
// healthcheck, Kubernetes' liveness and readiness): /healthz says the process
// serves, /readyz that it can do its work.
package health

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
)

// Check reports whether the process can do its work (nil: ready).
type Check func(ctx context.Context) error

// Handle serves /healthz and /readyz on mux; /readyz runs ready within 5 s.
func Handle(mux *http.ServeMux, ready Check) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			// The cause stays in the process's own logs: the probe is unauthenticated.
			http.Error(w, "not ready\n", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}

// Temporal is ready when the frontend answers the client's health check.
func Temporal(c client.Client) Check {
	return func(ctx context.Context) error {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
}

// Later is a check known once the process has started (its client, its
// worker's pollers): not ready until Set.
type Later struct{ check atomic.Pointer[Check] }

// Set makes c the check.
func (l *Later) Set(c Check) { l.check.Store(&c) }

// Check runs the check once set.
func (l *Later) Check(ctx context.Context) error {
	c := l.check.Load()
	if c == nil {
		return errors.New("not started")
	}
	return (*c)(ctx)
}
