// Package ratelimit implements broker.RateLimiter on golang.org/x/time/rate:
// token buckets per person and per actor of a cell, their memory bounded.
package ratelimit

import (
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/livc/livc-broker/broker"
)

// Limit bounds how many requests a principal may make, in two token
// buckets checked one after the other: each person of an actor of a cell,
// as its token names them (livc, actor, sub), holds Burst requests refilled
// at PerSecond; and all the people of one actor of a cell together (livc,
// actor) hold ActorBurst refilled at ActorPerSecond, so that an organisation
// does not get its people's count times the rate. A request over either is
// refused with broker.KindRateLimited (429 and Retry-After) and audited like
// any refusal. A request the person's bucket refuses takes nothing from the
// actor's, and one the actor's refuses nothing from the person's, so one
// person over their limit does not starve their colleagues. A zero rate
// disables its bucket; the zero value disables both.
type Limit struct {
	PerSecond float64
	Burst     int
	// ActorPerSecond and ActorBurst are the bucket of all the people of an
	// actor together.
	ActorPerSecond float64
	ActorBurst     int
}

// Lookups is the limit of POST /v1/subjects/lookup, an oracle, per
// requesting person: a burst of 10, then one per 6 seconds (ten a minute).
var Lookups = Limit{PerSecond: 1.0 / 6, Burst: 10}

// Validate refuses a limit that would refuse everything or makes no sense.
func (l Limit) Validate() error {
	if err := validBucket(l.PerSecond, l.Burst); err != nil {
		return err
	}
	if err := validBucket(l.ActorPerSecond, l.ActorBurst); err != nil {
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

// Limiter is the two bucket sets of a Limit; a nil set is off. A nil
// *Limiter allows everything.
type Limiter struct {
	person, actor *buckets
}

var _ broker.RateLimiter = (*Limiter)(nil)

// buckets keeps one token bucket per key. Only authenticated principals get
// a bucket, so its size is bounded by the people who hold a valid token, and
// by maxBuckets.
type buckets struct {
	limit rate.Limit
	burst int
	// detail is the client-safe detail of a refusal.
	detail string

	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// New returns the limiter of l, or nil when both its buckets are off.
func New(l Limit) *Limiter {
	lim := &Limiter{
		person: newBuckets(l.PerSecond, l.Burst, "too many requests; try again later"),
		actor:  newBuckets(l.ActorPerSecond, l.ActorBurst, "too many requests from your organisation; try again later"),
	}
	if lim.person == nil && lim.actor == nil {
		return nil
	}
	return lim
}

func newBuckets(perSecond float64, burst int, detail string) *buckets {
	if perSecond <= 0 {
		return nil
	}
	return &buckets{limit: rate.Limit(perSecond), burst: burst, detail: detail, m: map[string]*rate.Limiter{}}
}

// Allow takes one token from p's bucket, then one from p's actor's, or
// returns a broker.KindRateLimited error saying when the bucket that
// refused will have one.
func (l *Limiter) Allow(p broker.Principal, now time.Time) error {
	if l == nil {
		return nil
	}
	actor := p.Livc + "\x00" + p.Actor
	person := actor + "\x00" + p.Sub
	r, err := l.person.take(person, now)
	if err != nil {
		return err
	}
	if _, err := l.actor.take(actor, now); err != nil {
		if r != nil {
			r.CancelAt(now) // a refused request costs the person nothing
		}
		return err
	}
	return nil
}

// take takes one token from key's bucket: the reservation that took it,
// to cancel, or nil from a nil (off) set.
func (s *buckets) take(key string, now time.Time) (*rate.Reservation, error) {
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	b := s.m[key]
	if b == nil {
		if len(s.m) >= maxBuckets {
			s.sweep(now)
		}
		b = rate.NewLimiter(s.limit, s.burst) // full
		s.m[key] = b
	}
	s.mu.Unlock()
	r := b.ReserveN(now, 1) // OK: a burst is at least 1 (Validate)
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return nil, &broker.Error{Kind: broker.KindRateLimited, Detail: s.detail, RetryAfter: wait}
	}
	return r, nil
}

// sweep drops the buckets that would be full by now. If that frees too
// little (many principals all busy), it drops buckets at random down to
// three quarters of maxBuckets: memory stays bounded, and the cost of a
// sweep is paid once per quarter of maxBuckets new principals, not per new
// one. A dropped principal starts again with a full bucket.
func (s *buckets) sweep(now time.Time) {
	for k, b := range s.m {
		if b.TokensAt(now) >= float64(s.burst) {
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
