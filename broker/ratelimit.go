package broker

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// RateLimit bounds how many requests one principal (a person of an actor of
// a cell, as its token names it) may make: a token tokenBucket that holds Burst
// requests and refills at PerSecond. A request over the limit is refused
// with KindRateLimited (429 and Retry-After) and audited like any refusal.
// The zero value disables the limit.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// Validate refuses a limit that would refuse everything or makes no sense.
func (r RateLimit) Validate() error {
	switch {
	case r.PerSecond < 0 || math.IsNaN(r.PerSecond) || math.IsInf(r.PerSecond, 0):
		return fmt.Errorf("rate limit %v per second is not a non-negative number", r.PerSecond)
	case r.PerSecond > 0 && r.Burst < 1:
		return fmt.Errorf("rate burst must be at least 1, got %d", r.Burst)
	}
	return nil
}

// maxBuckets bounds the limiter's memory; when reached, buckets that are
// full again (idle principals) are dropped.
const maxBuckets = 100_000

// limiter keeps one token tokenBucket per principal. Only authenticated
// principals get a tokenBucket, so its size is bounded by the people who hold a
// valid token, and by maxBuckets.
type limiter struct {
	rate  float64
	burst float64

	mu      sync.Mutex
	buckets map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(r RateLimit) *limiter {
	if r.PerSecond <= 0 {
		return nil
	}
	return &limiter{rate: r.PerSecond, burst: float64(r.Burst), buckets: map[string]*tokenBucket{}}
}

// allow takes one token from p's tokenBucket, or returns a KindRateLimited error
// saying when one will be there. A nil limiter allows everything.
func (l *limiter) allow(p Principal, now time.Time) error {
	if l == nil {
		return nil
	}
	key := p.Livc + "\x00" + p.Actor + "\x00" + p.Sub
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &tokenBucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = min(l.burst, b.tokens+el*l.rate)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return nil
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return &Error{Kind: KindRateLimited, Detail: "too many requests; try again later", RetryAfter: wait}
}

// sweep drops the buckets that would be full by now.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
