// Package suppress publishes counts without giving away a small one: a
// count from 1 to 4 is shown as "<5", and cells of breakdowns of one
// population are merged until no "<5" can be recomputed from the others. It
// imports nothing of the broker.
package suppress

import "slices"

// Small is how a count from 1 to 4 is shown.
const Small = "<5"

// OtherKey names a bucket that merges counts which could not be shown apart
// without revealing a small one. It cannot be a state, category, priority or
// month.
const OtherKey = "_other"

// bucket is one published cell: the keys it merges and its exact count.
type bucket struct {
	keys []string
	n    int
}

func small(n int) bool { return n >= 1 && n <= 4 }

// Protect publishes breakdowns that all partition one population of
// unknown size. A count from 1 to 4 is shown as "<5", others exactly; then,
// as long as the published breakdowns together pin some "<5" cell to a
// single value (see Pinned), cells of one breakdown are merged into an
// OtherKey bucket, shown like any other count. It always ends: each merge
// removes a bucket, and a population whose every breakdown is one bucket
// pins nothing.
func Protect(groups []map[string]int) []map[string]any {
	bs := make([][]bucket, len(groups))
	for i, g := range groups {
		keys := make([]string, 0, len(g))
		for k := range g {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			bs[i] = append(bs[i], bucket{keys: []string{k}, n: g[k]})
		}
	}
	for {
		pinned := pinnedGroups(bs)
		if len(pinned) == 0 {
			break
		}
		g := pickMerge(bs, pinned)
		if g < 0 {
			break // cannot happen (see Protect); the tests prove it
		}
		bs[g] = merge(bs[g])
	}
	out := make([]map[string]any, len(bs))
	for i, b := range bs {
		out[i] = map[string]any{}
		for _, x := range b {
			key := x.keys[0]
			if len(x.keys) > 1 {
				key = OtherKey
			}
			out[i][key] = Shown(x.n)
		}
	}
	return out
}

// Shown is how a count is published: 0, at least 5, or "<5".
func Shown(n int) any {
	if small(n) {
		return Small
	}
	return n
}

// Pinned reports, for published breakdowns of one population (each value an
// int or "<5"), whether some "<5" cell can be recomputed exactly: the
// population's size lies within [shown+k, shown+4k] for every breakdown
// (k of its cells "<5"), and within that range a cell of a breakdown may
// take only the values its siblings leave it.
func Pinned(published []map[string]any) bool {
	bs := make([][]bucket, len(published))
	for i, p := range published {
		for _, v := range p {
			switch v := v.(type) {
			case int:
				bs[i] = append(bs[i], bucket{n: v})
			default:
				bs[i] = append(bs[i], bucket{n: 1}) // any small value: only smallness counts
			}
		}
	}
	return len(pinnedGroups(bs)) > 0
}

// pinnedGroups returns the breakdowns holding a "<5" cell pinned to one
// value, by interval reasoning on the population's size.
func pinnedGroups(bs [][]bucket) []int {
	lo, hi := 0, int(^uint(0)>>1)
	exact, ks := make([]int, len(bs)), make([]int, len(bs))
	for i, b := range bs {
		for _, x := range b {
			if small(x.n) {
				ks[i]++
			} else {
				exact[i] += x.n
			}
		}
		lo = max(lo, exact[i]+ks[i])
		hi = min(hi, exact[i]+4*ks[i])
	}
	var out []int
	for i := range bs {
		k := ks[i]
		if k == 0 {
			continue
		}
		clo := max(1, lo-exact[i]-4*(k-1))
		chi := min(4, hi-exact[i]-(k-1))
		if clo >= chi {
			out = append(out, i)
		}
	}
	return out
}

// pickMerge chooses the breakdown to merge: the first pinned one that has
// two cells or more to merge; else the mergeable one with the most "<5"
// cells, which narrow the population's size the most.
func pickMerge(bs [][]bucket, pinned []int) int {
	mergeable := func(b []bucket) bool {
		nonzero, smalls := 0, 0
		for _, x := range b {
			if x.n > 0 {
				nonzero++
			}
			if small(x.n) {
				smalls++
			}
		}
		return nonzero >= 2 && smalls >= 1
	}
	for _, g := range pinned {
		if mergeable(bs[g]) {
			return g
		}
	}
	best, most := -1, 0
	for g, b := range bs {
		if !mergeable(b) {
			continue
		}
		n := 0
		for _, x := range b {
			if small(x.n) {
				n++
			}
		}
		if n > most {
			best, most = g, n
		}
	}
	return best
}

// merge folds every "<5" cell of b, and a merged bucket already there, into
// one bucket; if that holds less than 5, the smallest count of 5 or more
// joins it too.
func merge(b []bucket) []bucket {
	var keep []bucket
	other := bucket{}
	for _, x := range b {
		if small(x.n) || len(x.keys) > 1 {
			other.keys = append(other.keys, x.keys...)
			other.n += x.n
		} else {
			keep = append(keep, x)
		}
	}
	if other.n < 5 {
		j := -1
		for i, x := range keep {
			if x.n >= 5 && (j < 0 || x.n < keep[j].n) {
				j = i
			}
		}
		if j >= 0 {
			other.keys = append(other.keys, keep[j].keys...)
			other.n += keep[j].n
			keep = slices.Delete(keep, j, j+1)
		}
	}
	if len(other.keys) == 1 {
		other.keys = append(other.keys, "") // a bucket of one small cell still shows as merged
	}
	return append(keep, other)
}
