package policy

import (
	"context"
	"testing"
	"time"
)

// BenchmarkDecide is the card read's decision for the police on the roster:
// "evaluated" runs the prepared query every time (the cache off), "cached"
// answers from the revision's decision cache, as every request after the
// first with the same input does.
func BenchmarkDecide(b *testing.B) {
	for _, cached := range []bool{false, true} {
		b.Run(map[bool]string{false: "evaluated", true: "cached"}[cached], func(b *testing.B) {
			e, err := New(context.Background(), demoCells(), Conf{Timeout: time.Second})
			if err != nil {
				b.Fatal(err)
			}
			e.cur.Load().cache.on = cached
			x := card("case_conference", "pz", true, true)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if d, err := e.Decide(ctx, x); err != nil || len(d.Classes) != 8 {
					b.Fatalf("Decide: %+v, %v", d, err)
				}
			}
		})
	}
}
