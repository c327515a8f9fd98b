package policy

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
)

// The decision cache must answer what an evaluation would, never let one
// caller change another's answer, stay bounded, and stay off for a policy
// whose decisions may change without its input changing.
func TestDecisionCache(t *testing.T) {
	ctx := context.Background()

	t.Run("same answer as an evaluation, and copies", func(t *testing.T) {
		e := newTestEngine(t, demoCells())
		x := card("case_conference", "pz", true, true)
		first, err := e.Decide(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		if n := e.cur.Load().cache.n.Load(); n != 1 {
			t.Fatalf("cached %d decisions after one, want 1", n)
		}
		first.Classes[0] = "care" // a caller scribbling on its answer
		second, err := e.Decide(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := newTestEngine(t, demoCells()).Decide(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(second.Classes, fresh.Classes) || second.Allow != fresh.Allow ||
			second.Own != fresh.Own || second.Revision != fresh.Revision {
			t.Fatalf("cached %+v, evaluated %+v", second, fresh)
		}
	})

	t.Run("inputs that differ get their own decision", func(t *testing.T) {
		e := newTestEngine(t, demoCells())
		on, err := e.Decide(ctx, card("case_conference", "pz", true, true))
		if err != nil {
			t.Fatal(err)
		}
		off, err := e.Decide(ctx, card("case_conference", "pz", true, false))
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(on.Classes, off.Classes) {
			t.Fatalf("on and off the roster got the same classes %v", on.Classes)
		}
	})

	t.Run("a target is not cached", func(t *testing.T) {
		e := newTestEngine(t, demoCells())
		if _, err := e.Decide(ctx, roster("preventie", "registration", "pz")); err != nil {
			t.Fatal(err)
		}
		if n := e.cur.Load().cache.n.Load(); n != 0 {
			t.Fatalf("cached %d decisions with a target, want 0", n)
		}
	})

	t.Run("bounded whatever purposes clients send", func(t *testing.T) {
		e := newTestEngine(t, demoCells())
		for i := range maxCachedDecisions + 50 {
			if _, err := e.Decide(ctx, card(fmt.Sprintf("p%d", i), "pz", true, true)); err != nil {
				t.Fatal(err)
			}
		}
		if n := e.cur.Load().cache.n.Load(); n != maxCachedDecisions {
			t.Fatalf("cached %d decisions, want the bound %d", n, maxCachedDecisions)
		}
	})

	t.Run("off for a non-deterministic cell rule", func(t *testing.T) {
		cells := writeCellPolicy(t, map[string]string{"late.rego": "package livc.cells.zonnedaal\n\nwithhold contains \"care\" if time.now_ns() > 0\n"})
		e := newTestEngine(t, cells)
		if _, err := e.Decide(ctx, card("case_conference", "pz", true, true)); err != nil {
			t.Fatal(err)
		}
		if p := e.cur.Load(); p.cache.on || p.cache.n.Load() != 0 {
			t.Fatalf("cache on %v with %d decisions for a policy calling time.now_ns", p.cache.on, p.cache.n.Load())
		}
	})
}

func TestDeterministic(t *testing.T) {
	tests := []struct {
		name, src string
		want      bool
	}{
		{"plain rules", "package x\n\np if input.a == 1\n", true},
		{"deterministic built-in", "package x\n\np if count(input.a) > 1\n", true},
		{"time.now_ns", "package x\n\np if time.now_ns() > 1\n", false},
		{"rand.intn nested", "package x\n\np := [rand.intn(\"k\", 10)]\n", false},
		{"uuid", "package x\n\np := uuid.rfc4122(\"k\")\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ast.ParseModuleWithOpts("x.rego", tt.src, ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatal(err)
			}
			if got := deterministic([]*ast.Module{m}); got != tt.want {
				t.Fatalf("deterministic = %v, want %v", got, tt.want)
			}
		})
	}
}
