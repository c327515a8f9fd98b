package broker

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"

	"github.com/livc/livc-broker/broker/suppress"
)

// TestBuildStatsRandom draws thousands of counts and checks that BuildStats
// lists every state and priority, publishes nothing Pinned (the suppression
// itself is proven against a brute-force attack in broker/suppress), and
// that each breakdown still accounts for every dossier.
func TestBuildStatsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	states := []string{StateRegistration, StateFormation, StateWeighing, StateApproach, StateEvaluation, StateClosed}
	cats := []string{"radicalisation", "extremism", "terrorism", "polarisation"}
	prios := []string{"1", "2", "3", "4", "5", "none"}
	for i := range 2000 {
		n := r.IntN(40)
		c := Counts{ByState: map[string]int{}, ByCategory: map[string]int{}, ByPriority: map[string]int{}, SignalsByMonth: map[string]int{}}
		for range n {
			c.ByState[states[r.IntN(len(states))]]++
			c.ByCategory[cats[r.IntN(1+r.IntN(len(cats)))]]++
			c.ByPriority[prios[r.IntN(len(prios))]]++
		}
		for m := range 1 + r.IntN(5) {
			c.SignalsByMonth[fmt.Sprintf("2026-%02d", m+1)] = r.IntN(12)
		}
		st := BuildStats(c)
		cases := []map[string]any{st.Cases.ByState, st.Cases.ByCategory, st.Cases.ByPriority}
		if suppress.Pinned(cases) || suppress.Pinned([]map[string]any{st.Signals.ByMonth}) {
			t.Fatalf("draw %d: Pinned: %v %v", i, cases, st.Signals.ByMonth)
		}
		for _, listed := range []struct {
			name string
			b    map[string]any
			keys []string
		}{{"by_state", st.Cases.ByState, states}, {"by_priority", st.Cases.ByPriority, prios}} {
			for _, k := range listed.keys {
				if _, ok := listed.b[k]; !ok && listed.b[suppress.OtherKey] == nil {
					t.Fatalf("draw %d: %s %v lists no %s", i, listed.name, listed.b, k)
				}
			}
		}
		for _, b := range cases {
			if lo, hi := bounds(b); n < lo || n > hi {
				t.Fatalf("draw %d: breakdown %v does not account for %d dossiers", i, b, n)
			}
		}
	}
}

func bounds(b map[string]any) (lo, hi int) {
	for _, v := range b {
		if n, ok := v.(int); ok {
			lo, hi = lo+n, hi+n
		} else {
			lo, hi = lo+1, hi+4
		}
	}
	return lo, hi
}

func TestCountsWithout(t *testing.T) {
	c := Counts{
		SignalsByMonth: map[string]int{"2026-10": 7, "2026-11": 9, "2026-12": 2},
		SignalsBySource: map[string]map[string]int{
			"2026-11": {"pz": 3, "ocmw": 6},
			"2026-12": {"pz": 2},
		},
	}
	for _, tc := range []struct {
		name  string
		actor string
		want  map[string]int
	}{
		{"the police leave their own out", "pz", map[string]int{"2026-10": 7, "2026-11": 6}},
		{"an actor without signals sees the totals", "burgemeester", map[string]int{"2026-10": 7, "2026-11": 9, "2026-12": 2}},
		{"a month of before the counts by source stays a total", "ocmw", map[string]int{"2026-10": 7, "2026-11": 3, "2026-12": 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Without(tc.actor)
			if !maps.Equal(got.SignalsByMonth, tc.want) || got.SignalsBySource != nil {
				t.Fatalf("%+v, want months %v", got, tc.want)
			}
		})
	}
	if c.SignalsByMonth["2026-11"] != 9 {
		t.Error("Without changed the counts it was called on")
	}
}
