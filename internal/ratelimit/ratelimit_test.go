package ratelimit

import (
	"strconv"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

type step struct {
	p    broker.Principal
	at   time.Duration
	want bool
}

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	alice := broker.Principal{Livc: "c", Actor: "ocmw", Sub: "alice"}
	bob := broker.Principal{Livc: "c", Actor: "ocmw", Sub: "bob"}
	carol := broker.Principal{Livc: "c", Actor: "pz", Sub: "carol"}
	dave := broker.Principal{Livc: "d", Actor: "ocmw", Sub: "dave"}
	person := Limit{PerSecond: 2, Burst: 3}
	both := Limit{PerSecond: 2, Burst: 3, ActorPerSecond: 2, ActorBurst: 4}
	tests := []struct {
		name  string
		limit Limit
		steps []step
	}{
		{"burst then refused", person, []step{{alice, 0, true}, {alice, 0, true}, {alice, 0, true}, {alice, 0, false}}},
		{"refills at the rate", person, []step{{alice, 0, true}, {alice, 0, true}, {alice, 0, true}, {alice, 400 * time.Millisecond, false}, {alice, 600 * time.Millisecond, true}, {alice, 600 * time.Millisecond, false}}},
		{"one bucket per principal", person, []step{{alice, 0, true}, {alice, 0, true}, {alice, 0, true}, {alice, 0, false}, {bob, 0, true}}},
		{"without an actor limit, people of one actor do not share", person, []step{
			{alice, 0, true}, {alice, 0, true}, {alice, 0, true}, {bob, 0, true}, {bob, 0, true}, {bob, 0, true}}},
		{"people of one actor share the actor's bucket", both, []step{
			{alice, 0, true}, {alice, 0, true}, {bob, 0, true}, {bob, 0, true}, {bob, 0, false}, {alice, 0, false}}},
		{"other actors and other cells have their own", both, []step{
			{alice, 0, true}, {alice, 0, true}, {bob, 0, true}, {bob, 0, true}, {bob, 0, false}, {carol, 0, true}, {dave, 0, true}}},
		{"the actor's bucket refills at its rate", both, []step{
			{alice, 0, true}, {alice, 0, true}, {bob, 0, true}, {bob, 0, true}, {bob, 400 * time.Millisecond, false},
			{bob, 600 * time.Millisecond, true}, {alice, 600 * time.Millisecond, false}}},
		{"a person refused by their own bucket takes nothing from the actor's", both, []step{
			{alice, 0, true}, {alice, 0, true}, {alice, 0, true}, {alice, 0, false}, {alice, 0, false}, {alice, 0, false}, {bob, 0, true}}},
		{"a request the actor's bucket refuses costs the person nothing", Limit{PerSecond: 0.001, Burst: 2, ActorPerSecond: 1, ActorBurst: 1}, []step{
			{alice, 0, true}, {bob, 0, false}, {bob, 0, false}, {bob, time.Second, true}, {bob, 2 * time.Second, true}}},
		{"the actor's bucket alone", Limit{ActorPerSecond: 1, ActorBurst: 2}, []step{
			{alice, 0, true}, {bob, 0, true}, {alice, 0, false}, {carol, 0, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := New(tt.limit)
			for i, s := range tt.steps {
				err := l.Allow(s.p, t0.Add(s.at))
				if (err == nil) != s.want {
					t.Fatalf("step %d: allowed=%v, want %v (%v)", i, err == nil, s.want, err)
				}
				if err != nil {
					e := err.(*broker.Error)
					if e.Kind != broker.KindRateLimited || e.RetryAfter <= 0 || e.RetryAfter > time.Second || e.Detail == "" {
						t.Fatalf("step %d: %+v", i, e)
					}
				}
			}
		})
	}
	t.Run("off", func(t *testing.T) {
		l := New(Limit{})
		if l != nil {
			t.Fatal("a limiter with both buckets off")
		}
		for range 1000 {
			if err := l.Allow(alice, t0); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("validate", func(t *testing.T) {
		for _, r := range []Limit{{PerSecond: -1}, {PerSecond: 1, Burst: 0}, {ActorPerSecond: -1}, {ActorPerSecond: 1, ActorBurst: 0}, {PerSecond: 1, Burst: 1, ActorPerSecond: 1}} {
			if r.Validate() == nil {
				t.Errorf("%+v accepted", r)
			}
		}
		for _, r := range []Limit{{}, {PerSecond: 5, Burst: 10}, {ActorPerSecond: 5, ActorBurst: 10}, {PerSecond: 5, Burst: 10, ActorPerSecond: 50, ActorBurst: 100}} {
			if r.Validate() != nil {
				t.Errorf("%+v refused", r)
			}
		}
	})
}

// TestLimiterMemoryBounded fills the limiter with more busy principals than
// maxBuckets (none of them idle enough to be swept as full): the map stays
// bounded.
func TestLimiterMemoryBounded(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	l := New(Limit{PerSecond: 0.001, Burst: 1})
	for i := range maxBuckets + maxBuckets/2 {
		l.Allow(broker.Principal{Livc: "c", Actor: "ocmw", Sub: strconv.Itoa(i)}, t0)
	}
	if n := len(l.person.m); n > maxBuckets {
		t.Fatalf("%d buckets, more than maxBuckets %d", n, maxBuckets)
	}
}
