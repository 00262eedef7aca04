// Package ratelimit bounds what one client address may ask of a public
// endpoint: a token bucket (golang.org/x/time/rate) per address.
package ratelimit

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// forgetAfter is how long an address's bucket outlives its last request.
const forgetAfter = 10 * time.Minute

// PerAddress holds a bucket of Burst tokens refilled at Rate per address.
type PerAddress struct {
	Rate  rate.Limit
	Burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	limiter *rate.Limiter
	seen    time.Time
}

// Allow takes a token of addr's bucket, if it has one.
func (p *PerAddress) Allow(addr string) bool { return p.get(addr).Allow() }

// Empty reports whether addr's bucket has no token left, taking none.
func (p *PerAddress) Empty(addr string) bool { return p.get(addr).Tokens() < 1 }

func (p *PerAddress) get(addr string) *rate.Limiter {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.buckets == nil {
		p.buckets = map[string]*bucket{}
	}
	if now.Sub(p.swept) > forgetAfter { // a full bucket again by then: forget it
		for a, b := range p.buckets {
			if now.Sub(b.seen) > forgetAfter {
				delete(p.buckets, a)
			}
		}
		p.swept = now
	}
	b := p.buckets[addr]
	if b == nil {
		b = &bucket{limiter: rate.NewLimiter(p.Rate, p.Burst)}
		p.buckets[addr] = b
	}
	b.seen = now
	return b.limiter
}

// ClientAddress is the request's peer IP address (without its port).
func ClientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// TooMany answers 429 with when to try again.
func TooMany(w http.ResponseWriter, retryAfter time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter.Seconds()+0.5)))
	http.Error(w, "too many requests\n", http.StatusTooManyRequests)
}
