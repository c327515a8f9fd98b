package suppress

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// attack is an independent, brute-force reading of published breakdowns of
// one population: for every population size and every assignment of 1..4 to
// the "<5" cells consistent with all breakdowns, it collects the values each
// "<5" cell can take. It reports a cell that can take only one.
func attack(t *testing.T, pub []map[string]any) (string, bool) {
	t.Helper()
	type group struct {
		exact  int
		smalls []string
	}
	gs := make([]group, len(pub))
	maxN := 0
	for i, p := range pub {
		for k, v := range p {
			switch v := v.(type) {
			case int:
				if v != 0 && v < 5 {
					t.Fatalf("published %s=%d: a count from 1 to 4 shown as a number", k, v)
				}
				gs[i].exact += v
			case string:
				if v != Small {
					t.Fatalf("published %s=%q", k, v)
				}
				gs[i].smalls = append(gs[i].smalls, k)
			default:
				t.Fatalf("published %s=%v of type %T", k, v, v)
			}
		}
		maxN = max(maxN, gs[i].exact+4*len(gs[i].smalls))
	}
	seen := make([][]map[int]bool, len(gs))
	for i, g := range gs {
		seen[i] = make([]map[int]bool, len(g.smalls))
		for j := range g.smalls {
			seen[i][j] = map[int]bool{}
		}
	}
	for n := 0; n <= maxN; n++ {
		// Each breakdown's feasible assignments for this n.
		feas := make([][][]int, len(gs))
		ok := true
		for i, g := range gs {
			enumerate(len(g.smalls), func(a []int) {
				s := g.exact
				for _, x := range a {
					s += x
				}
				if s == n {
					feas[i] = append(feas[i], append([]int(nil), a...))
				}
			})
			if len(feas[i]) == 0 {
				ok = false
			}
		}
		if !ok {
			continue
		}
		for i := range gs {
			for _, a := range feas[i] {
				for j, x := range a {
					seen[i][j][x] = true
				}
			}
		}
	}
	for i, g := range gs {
		for j, k := range g.smalls {
			if len(seen[i][j]) == 1 {
				return fmt.Sprintf("breakdown %d cell %s", i, k), true
			}
		}
	}
	return "", false
}

// enumerate calls fn with every assignment of 1..4 to k cells.
func enumerate(k int, fn func([]int)) {
	a := make([]int, k)
	var rec func(int)
	rec = func(i int) {
		if i == k {
			fn(a)
			return
		}
		for v := 1; v <= 4; v++ {
			a[i] = v
			rec(i + 1)
		}
	}
	rec(0)
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestProtectDifferencing names the attack: every dossier has a category and
// a state, so a member who sees one breakdown without "<5" knows the total
// and subtracts. Plain suppression would give the small cell away.
func TestProtectDifferencing(t *testing.T) {
	byState := map[string]int{"approach": 7, "registration": 3}
	byCategory := map[string]int{"radicalisation": 10}
	naive := []map[string]any{{"approach": 7, "registration": Small}, {"radicalisation": 10}}
	if where, ok := attack(t, naive); !ok {
		t.Fatal("the attack does not find the textbook differencing: it cannot fail")
	} else {
		t.Logf("naive suppression reveals %s", where)
	}
	if !Pinned(naive) {
		t.Fatal("Pinned misses the textbook differencing")
	}
	pub := Protect([]map[string]int{byState, byCategory})
	if where, ok := attack(t, pub); ok {
		t.Fatalf("Protect publishes %v: %s can be recomputed", pub, where)
	}
	if pub[0]["registration"] != nil || pub[0]["approach"] != nil || pub[0][OtherKey] != 10 {
		t.Errorf("by_state = %v, want the small cell merged with its smallest neighbour", pub[0])
	}
}

func TestProtectCases(t *testing.T) {
	tests := []struct {
		name string
		in   []map[string]int
		want []map[string]any
	}{
		{"nothing small", []map[string]int{{"a": 5, "b": 0}, {"x": 5}},
			[]map[string]any{{"a": 5, "b": 0}, {"x": 5}}},
		{"total unknown: one small cell stays", []map[string]int{{"a": 6, "b": 2}, {"x": 5, "y": 3}},
			[]map[string]any{{"a": 6, "b": Small}, {"x": 5, "y": Small}}},
		{"all small, total under five", []map[string]int{{"a": 1, "b": 2}, {"x": 3}},
			[]map[string]any{{"a": Small, "b": Small}, {"x": Small}}},
		{"empty", []map[string]int{{"a": 0}, {}},
			[]map[string]any{{"a": 0}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Protect(tt.in)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("Protect = %v, want %v", got, tt.want)
			}
			if where, ok := attack(t, got); ok {
				t.Errorf("%s can be recomputed", where)
			}
		})
	}
}

// TestProtectRandom draws thousands of cells and checks that the brute-force
// attack never recomputes a "<5" cell, that nothing but 0, >=5 or "<5" is
// published, and that each breakdown still accounts for every member: three
// breakdowns of one population (as a dossier has a state, a category and a
// priority), every key of two of them listed even at zero, and a breakdown
// of a population of its own (as signals per month).
func TestProtectRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	states := []string{"registration", "formation", "weighing", "approach", "evaluation", "closed"}
	cats := []string{"radicalisation", "extremism", "terrorism", "polarisation"}
	prios := []string{"1", "2", "3", "4", "5", "none"}
	for i := range 2000 {
		n := r.IntN(40)
		byState, byCategory, byPriority, byMonth := zeros(states), map[string]int{}, zeros(prios), map[string]int{}
		for range n {
			byState[states[r.IntN(len(states))]]++
			byCategory[cats[r.IntN(1+r.IntN(len(cats)))]]++
			byPriority[prios[r.IntN(len(prios))]]++
		}
		for m := range 1 + r.IntN(5) {
			byMonth[fmt.Sprintf("2026-%02d", m+1)] = r.IntN(12)
		}
		cases := Protect([]map[string]int{byState, byCategory, byPriority})
		months := Protect([]map[string]int{byMonth})[0]
		if where, ok := attack(t, cases); ok {
			t.Fatalf("draw %d: counts %v %v %v publish %v: %s can be recomputed", i, byState, byCategory, byPriority, cases, where)
		}
		if where, ok := attack(t, []map[string]any{months}); ok {
			t.Fatalf("draw %d: signals %v publish %v: %s can be recomputed", i, byMonth, months, where)
		}
		if Pinned(cases) {
			t.Fatalf("draw %d: Pinned after Protect: %v", i, cases)
		}
		for _, b := range cases {
			if lo, hi := bounds(b); n < lo || n > hi {
				t.Fatalf("draw %d: breakdown %v does not account for %d members", i, b, n)
			}
		}
		if lo, hi := bounds(months); total(byMonth) < lo || total(byMonth) > hi {
			t.Fatalf("draw %d: months %v lose signals", i, months)
		}
	}
}

func zeros(keys []string) map[string]int {
	m := make(map[string]int, len(keys))
	for _, k := range keys {
		m[k] = 0
	}
	return m
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
