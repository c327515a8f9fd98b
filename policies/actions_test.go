package policies

import (
	"context"
	"slices"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/livc/livc-broker/broker"
)

// TestActionsAgree evaluates the set of actions the policy knows
// (data.livc.actions) and checks it against the broker's table of the
// actions the policy decides (broker.DecidedActions): an action added on one
// side only would be one the broker asks about and the policy denies as
// unknown, or one the policy allows and no request ever names.
func TestActionsAgree(t *testing.T) {
	sources, err := Modules()
	if err != nil {
		t.Fatal(err)
	}
	opts := []func(*rego.Rego){rego.Query("data.livc.actions"), rego.SetRegoVersion(ast.RegoV1)}
	for name, src := range sources {
		opts = append(opts, rego.Module(name, src))
	}
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil || len(rs) != 1 || len(rs[0].Expressions) != 1 {
		t.Fatalf("evaluate data.livc.actions: %v, %v", rs, err)
	}
	set, ok := rs[0].Expressions[0].Value.([]any)
	if !ok {
		t.Fatalf("data.livc.actions is %T, want a set", rs[0].Expressions[0].Value)
	}
	var policy []string
	for _, v := range set {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("data.livc.actions holds %v, not a string", v)
		}
		policy = append(policy, s)
	}
	slices.Sort(policy)
	table := broker.DecidedActions()
	for _, a := range table {
		if !slices.Contains(policy, a) {
			t.Errorf("broker.DecidedActions has %q, which policies/decision.rego's actions has not", a)
		}
	}
	for _, a := range policy {
		if !slices.Contains(table, a) {
			t.Errorf("policies/decision.rego's actions has %q, which broker.DecidedActions has not", a)
		}
	}
}
