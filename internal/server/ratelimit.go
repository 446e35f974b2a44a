package server

import (
	"math"
	"sync"
	"time"
)

// clientsMax bounds how many clients the rate limiter remembers; beyond it
// the idle ones are forgotten first (a forgotten client starts full).
const clientsMax = 10_000

// rateLimiter is a token bucket per client: rate commands per second, up to
// burst at once.
type rateLimiter struct {
	rate, burst float64
	now         func() time.Time
	mu          sync.Mutex
	buckets     map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate, burst float64) *rateLimiter {
	return &rateLimiter{rate: rate, burst: burst, now: time.Now, buckets: map[string]*bucket{}}
}

// take spends n tokens of client's bucket. When there are not enough it
// spends none and says how long until there will be.
func (r *rateLimiter) take(client string, n float64) (ok bool, retryAfter time.Duration) {
	if r == nil || r.rate <= 0 {
		return true, 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	b := r.buckets[client]
	if b == nil {
		if len(r.buckets) >= clientsMax {
			r.forgetIdle(now)
		}
		b = &bucket{tokens: r.burst, last: now}
		r.buckets[client] = b
	}
	b.tokens = math.Min(r.burst, b.tokens+now.Sub(b.last).Seconds()*r.rate)
	b.last = now
	if n > r.burst {
		// A request larger than the burst can never pass: say when the
		// bucket is full, the best the client can do is a smaller request.
		return false, time.Duration((r.burst - b.tokens) / r.rate * float64(time.Second))
	}
	if b.tokens < n {
		return false, time.Duration((n - b.tokens) / r.rate * float64(time.Second))
	}
	b.tokens -= n
	return true, 0
}

// forgetIdle drops buckets that have refilled completely (they behave like
// new ones), and if none has, the least recently used half.
func (r *rateLimiter) forgetIdle(now time.Time) {
	for k, b := range r.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*r.rate >= r.burst {
			delete(r.buckets, k)
		}
	}
	if len(r.buckets) < clientsMax {
		return
	}
	var oldest time.Time
	for _, b := range r.buckets {
		if oldest.IsZero() || b.last.Before(oldest) {
			oldest = b.last
		}
	}
	cut := oldest.Add(now.Sub(oldest) / 2)
	for k, b := range r.buckets {
		if b.last.Before(cut) {
			delete(r.buckets, k)
		}
	}
}
