package policy

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/livc/livc-broker/broker"
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
		if n := e.cur.Load().cache.len(); n != 1 {
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
		if n := e.cur.Load().cache.len(); n != 0 {
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
		if n := e.cur.Load().cache.len(); n != maxCachedDecisions {
			t.Fatalf("cached %d decisions, want the bound %d", n, maxCachedDecisions)
		}
	})

	t.Run("off for a non-deterministic cell rule", func(t *testing.T) {
		cells := writeCellPolicy(t, map[string]string{"late.rego": "package livc.cells.zonnedaal\n\nwithhold contains \"care\" if time.now_ns() > 0\n"})
		e := newTestEngine(t, cells)
		if _, err := e.Decide(ctx, card("case_conference", "pz", true, true)); err != nil {
			t.Fatal(err)
		}
		if p := e.cur.Load(); p.cache.on || p.cache.len() != 0 {
			t.Fatalf("cache on %v with %d decisions for a policy calling time.now_ns", p.cache.on, p.cache.len())
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

// Two inputs get one key only when the policy cannot tell them apart: every
// field the decision reads changes the key, and no run of strings can pass
// for another split differently.
func TestDecisionKey(t *testing.T) {
	base := func() broker.DecisionInput {
		x := card("case_conference", "pz", true, true)
		x.Livc = "zonnedaal"
		x.Actor.Type = "police"
		x.Actor.Tables = []string{"case", "strategic"}
		return x
	}
	variants := map[string]func(*broker.DecisionInput){
		"base":               func(*broker.DecisionInput) {},
		"cell":               func(x *broker.DecisionInput) { x.Livc = "other" },
		"action":             func(x *broker.DecisionInput) { x.Action = "cases.list" },
		"purpose":            func(x *broker.DecisionInput) { x.Purpose = "strategic_analysis" },
		"actor id":           func(x *broker.DecisionInput) { x.Actor.ID = "ocmw" },
		"actor type":         func(x *broker.DecisionInput) { x.Actor.Type = "social" },
		"one table fewer":    func(x *broker.DecisionInput) { x.Actor.Tables = x.Actor.Tables[:1] },
		"tables split again": func(x *broker.DecisionInput) { x.Actor.Tables = []string{"casestrategic"} },
		"coordinator":        func(x *broker.DecisionInput) { x.Actor.Coordinator = true },
		"no subject":         func(x *broker.DecisionInput) { x.Subject = nil },
		"no open case":       func(x *broker.DecisionInput) { x.Subject = &broker.SubjectScope{OnRoster: true} },
		"off the roster":     func(x *broker.DecisionInput) { x.Subject = &broker.SubjectScope{OpenCase: true} },
		"a minor": func(x *broker.DecisionInput) {
			x.Subject = &broker.SubjectScope{OpenCase: true, OnRoster: true, Minor: true}
		},
		"a case":                func(x *broker.DecisionInput) { x.Case = &broker.CaseScope{State: "open"} },
		"a case, on its roster": func(x *broker.DecisionInput) { x.Case = &broker.CaseScope{State: "open", OnRoster: true} },
		"quote moved between fields": func(x *broker.DecisionInput) {
			x.Purpose, x.Actor.ID = `case_conference"`, `"pz`
		},
	}
	seen := map[string]string{}
	for name, change := range variants {
		x := base()
		change(&x)
		key := decisionKey(x)
		if again := decisionKey(x); again != key {
			t.Errorf("%s: two keys for one input", name)
		}
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s share the key %q", name, other, key)
		}
		seen[key] = name
	}
	x := base()
	x.Target = map[string]any{"roster": []string{"pz"}}
	if k := decisionKey(x); k != "" {
		t.Errorf("an input with a target has the key %q, want none", k)
	}
}

// A caller that gave up gets no decision, remembered or not.
func TestDecideCanceled(t *testing.T) {
	e := newTestEngine(t, demoCells())
	x := card("case_conference", "pz", true, true)
	if _, err := e.Decide(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Decide(ctx, x); broker.KindOf(err) != broker.KindUnavailable {
		t.Fatalf("a canceled caller got %v, want KindUnavailable", err)
	}
}
