package broker

import (
	"testing"
	"time"
)

type step struct {
	p    Principal
	at   time.Duration
	want bool
}

func TestLimiter(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	alice := Principal{Livc: "c", Actor: "ocmw", Sub: "alice"}
	bob := Principal{Livc: "c", Actor: "ocmw", Sub: "bob"}
	tests := []struct {
		name  string
		steps []step
	}{
		{"burst then refused", []step{{alice, 0, true}, {alice, 0, true}, {alice, 0, true}, {alice, 0, false}}},
		{"refills at the rate", []step{{alice, 0, true}, {alice, 0, true}, {alice, 0, true}, {alice, 400 * time.Millisecond, false}, {alice, 600 * time.Millisecond, true}, {alice, 600 * time.Millisecond, false}}},
		{"one bucket per principal", []step{{alice, 0, true}, {alice, 0, true}, {alice, 0, true}, {alice, 0, false}, {bob, 0, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimiter(RateLimit{PerSecond: 2, Burst: 3})
			for i, s := range tt.steps {
				err := l.allow(s.p, t0.Add(s.at))
				if (err == nil) != s.want {
					t.Fatalf("step %d: allowed=%v, want %v (%v)", i, err == nil, s.want, err)
				}
				if err != nil {
					e := err.(*Error)
					if e.Kind != KindRateLimited || e.RetryAfter <= 0 || e.RetryAfter > time.Second {
						t.Fatalf("step %d: %+v", i, e)
					}
				}
			}
		})
	}
	t.Run("off", func(t *testing.T) {
		var l *limiter = newLimiter(RateLimit{})
		for range 1000 {
			if err := l.allow(alice, t0); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("validate", func(t *testing.T) {
		for _, r := range []RateLimit{{PerSecond: -1}, {PerSecond: 1, Burst: 0}} {
			if r.Validate() == nil {
				t.Errorf("%+v accepted", r)
			}
		}
		if (RateLimit{}).Validate() != nil || (RateLimit{PerSecond: 5, Burst: 10}).Validate() != nil {
			t.Error("valid limits refused")
		}
	})
}
