package broker

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// RateLimit bounds how many requests a principal may make, in two token
// buckets checked one after the other: each person of an actor of a cell,
// as its token names them (livc, actor, sub), holds Burst requests refilled
// at PerSecond; and all the people of one actor of a cell together (livc,
// actor) hold ActorBurst refilled at ActorPerSecond, so that an organisation
// does not get its people's count times the rate. A request over either is
// refused with KindRateLimited (429 and Retry-After) and audited like any
// refusal. A request the person's bucket refuses takes nothing from the
// actor's, so one person over their limit does not starve their colleagues.
// A zero rate disables its bucket; the zero value disables both.
type RateLimit struct {
	PerSecond float64
	Burst     int
	// ActorPerSecond and ActorBurst are the bucket of all the people of an
	// actor together.
	ActorPerSecond float64
	ActorBurst     int
}

// Validate refuses a limit that would refuse everything or makes no sense.
func (r RateLimit) Validate() error {
	if err := validBucket(r.PerSecond, r.Burst); err != nil {
		return err
	}
	if err := validBucket(r.ActorPerSecond, r.ActorBurst); err != nil {
		return fmt.Errorf("per actor: %w", err)
	}
	return nil
}

func validBucket(perSecond float64, burst int) error {
	switch {
	case perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0):
		return fmt.Errorf("rate limit %v per second is not a non-negative number", perSecond)
	case perSecond > 0 && burst < 1:
		return fmt.Errorf("rate burst must be at least 1, got %d", burst)
	}
	return nil
}

// maxBuckets bounds a bucket set's memory; when reached, buckets that are
// full again (idle principals) are dropped.
const maxBuckets = 100_000

// limiter is the two bucket sets of a RateLimit; a nil set is off.
type limiter struct {
	person, actor *buckets
}

// buckets keeps one token bucket per key. Only authenticated principals get
// a bucket, so its size is bounded by the people who hold a valid token, and
// by maxBuckets.
type buckets struct {
	rate  float64
	burst float64
	// detail is the client-safe detail of a refusal.
	detail string

	mu sync.Mutex
	m  map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	at     time.Time
}

// newLimiter returns the limiter of r, or nil when both its buckets are off.
func newLimiter(r RateLimit) *limiter {
	l := &limiter{
		person: newBuckets(r.PerSecond, r.Burst, "too many requests; try again later"),
		actor:  newBuckets(r.ActorPerSecond, r.ActorBurst, "too many requests from your organisation; try again later"),
	}
	if l.person == nil && l.actor == nil {
		return nil
	}
	return l
}

func newBuckets(perSecond float64, burst int, detail string) *buckets {
	if perSecond <= 0 {
		return nil
	}
	return &buckets{rate: perSecond, burst: float64(burst), detail: detail, m: map[string]*tokenBucket{}}
}

// allow takes one token from p's bucket, then one from p's actor's, or
// returns a KindRateLimited error saying when the bucket that refused will
// have one. A nil limiter allows everything.
func (l *limiter) allow(p Principal, now time.Time) error {
	if l == nil {
		return nil
	}
	actor := p.Livc + "\x00" + p.Actor
	person := actor + "\x00" + p.Sub
	if err := l.person.take(person, now); err != nil {
		return err
	}
	if err := l.actor.take(actor, now); err != nil {
		l.person.give(person) // a refused request costs the person nothing
		return err
	}
	return nil
}

// give puts back the token take took from key's bucket.
func (s *buckets) give(key string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.m[key]; b != nil {
		b.tokens = min(s.burst, b.tokens+1)
	}
}

// take takes one token from key's bucket. A nil set allows everything.
func (s *buckets) take(key string, now time.Time) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.m[key]
	if b == nil {
		if len(s.m) >= maxBuckets {
			s.sweep(now)
		}
		b = &tokenBucket{tokens: s.burst, at: now}
		s.m[key] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = min(s.burst, b.tokens+el*s.rate)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return nil
	}
	wait := time.Duration((1 - b.tokens) / s.rate * float64(time.Second))
	return &Error{Kind: KindRateLimited, Detail: s.detail, RetryAfter: wait}
}

// sweep drops the buckets that would be full by now. If that frees too
// little (many principals all busy), it drops buckets at random down to
// three quarters of maxBuckets: memory stays bounded, and the cost of a
// sweep is paid once per quarter of maxBuckets new principals, not per new
// one. A dropped principal starts again with a full bucket.
func (s *buckets) sweep(now time.Time) {
	for k, b := range s.m {
		if b.tokens+now.Sub(b.at).Seconds()*s.rate >= s.burst {
			delete(s.m, k)
		}
	}
	for k := range s.m { // map order is random
		if len(s.m) < maxBuckets/4*3 {
			break
		}
		delete(s.m, k)
	}
}
