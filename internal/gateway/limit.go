package gateway

import (
	"net/http"
	"time"

	"golang.org/x/time/rate"

	"outbound/internal/ratelimit"
)

// Limits bound what one client address may ask of the gateway: requests per
// second, and failed signatures, after a burst of which the address is
// refused outright until its bucket refills (a forger guessing, a provider
// with the wrong token).
type Limits struct {
	requests ratelimit.PerAddress
	failures ratelimit.PerAddress
}

// NewLimits allows perSecond requests per address (bursts of ten times
// that) and 20 failed signatures, then one more every 3 s.
func NewLimits(perSecond float64) *Limits {
	return &Limits{
		requests: ratelimit.PerAddress{Rate: rate.Limit(perSecond), Burst: int(10 * perSecond)},
		failures: ratelimit.PerAddress{Rate: rate.Every(3 * time.Second), Burst: 20},
	}
}

// Limit applies l to next, which answers a failed signature 403.
func Limit(next http.Handler, l *Limits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := ratelimit.ClientAddress(r)
		if l.failures.Empty(addr) {
			ratelimit.TooMany(w, time.Minute)
			return
		}
		if !l.requests.Allow(addr) {
			ratelimit.TooMany(w, time.Second)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == http.StatusForbidden {
			l.failures.Allow(addr)
		}
	})
}

// statusRecorder notes the status a handler answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}
