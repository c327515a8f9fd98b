package auditlog

import (
	"math/bits"
	"testing"
)

func TestThin(t *testing.T) {
	t.Run("short list is kept whole", func(t *testing.T) {
		for i, k := range Thin([]int64{1, 5, 9}, 32) {
			if !k {
				t.Fatalf("checkpoint %d dropped", i)
			}
		}
	})
	t.Run("bounded and stable over a long log", func(t *testing.T) {
		const latest = 32
		var sizes []int64
		var kept []int64
		for s := int64(1); s <= 1<<20; s += 1 + s/200 { // a checkpoint every ~0.5% of growth
			sizes = append(sizes, s)
			if len(sizes)%64 != 0 {
				continue
			}
			// Thin, then go on with the thinned list, as the store does.
			keep := Thin(sizes, latest)
			next := sizes[:0:0]
			for i, k := range keep {
				if k {
					next = append(next, sizes[i])
				}
			}
			// Stable: thinning again drops nothing more.
			for i, k := range Thin(next, latest) {
				if !k {
					t.Fatalf("size %d dropped on a second thinning", next[i])
				}
			}
			sizes = next
			kept = next
		}
		last := kept[len(kept)-1]
		bound := latest + BucketsPerDoubling*(bits.Len64(uint64(last))-3) + 2*BucketsPerDoubling
		if len(kept) > bound {
			t.Fatalf("%d checkpoints kept for a log of %d, bound %d", len(kept), last, bound)
		}
		// Density: between two kept checkpoints below the latest, the gap is
		// at most a class wide (about 1/16 of the size), plus one step.
		for i := 1; i < len(kept)-latest; i++ {
			gap, lim := kept[i]-kept[i-1], kept[i-1]/BucketsPerDoubling*2+kept[i-1]/200+2
			if gap > lim {
				t.Fatalf("gap %d between kept sizes %d and %d, more than %d", gap, kept[i-1], kept[i], lim)
			}
		}
	})
	t.Run("latest and unverified kept", func(t *testing.T) {
		sizes := []int64{100, 101, -1, 102, 103, 104}
		keep := Thin(sizes, 2)
		want := []bool{true, false, true, false, true, true}
		for i := range want {
			if keep[i] != want[i] {
				t.Fatalf("keep %v, want %v", keep, want)
			}
		}
	})
}
