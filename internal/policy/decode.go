package policy

import (
	"fmt"
	"slices"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/livc/livc-broker/broker"
)

// inputValue is in as the policy's input document, the JSON form of
// broker.DecisionInput, built directly rather than through encoding/json.
func inputValue(in broker.DecisionInput) (ast.Value, error) {
	tables := make([]*ast.Term, len(in.Actor.Tables))
	for i, t := range in.Actor.Tables {
		tables[i] = ast.StringTerm(t)
	}
	items := [][2]*ast.Term{
		ast.Item(ast.StringTerm("livc"), ast.StringTerm(in.Livc)),
		ast.Item(ast.StringTerm("action"), ast.StringTerm(in.Action)),
		ast.Item(ast.StringTerm("purpose"), ast.StringTerm(in.Purpose)),
		ast.Item(ast.StringTerm("actor"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("id"), ast.StringTerm(in.Actor.ID)),
			ast.Item(ast.StringTerm("type"), ast.StringTerm(in.Actor.Type)),
			ast.Item(ast.StringTerm("tables"), ast.ArrayTerm(tables...)),
			ast.Item(ast.StringTerm("coordinator"), ast.BooleanTerm(in.Actor.Coordinator)),
		)),
	}
	if s := in.Subject; s != nil {
		items = append(items, ast.Item(ast.StringTerm("subject"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("open_case"), ast.BooleanTerm(s.OpenCase)),
			ast.Item(ast.StringTerm("on_roster"), ast.BooleanTerm(s.OnRoster)),
			ast.Item(ast.StringTerm("minor"), ast.BooleanTerm(s.Minor)),
		)))
	}
	if c := in.Case; c != nil {
		items = append(items, ast.Item(ast.StringTerm("case"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("state"), ast.StringTerm(c.State)),
			ast.Item(ast.StringTerm("on_roster"), ast.BooleanTerm(c.OnRoster)),
		)))
	}
	if len(in.Target) > 0 {
		// Target is action-specific and made by the pipeline: JSON values
		// and []string. InterfaceToValue takes both; anything else errors.
		v, err := ast.InterfaceToValue(in.Target)
		if err != nil {
			return nil, fmt.Errorf("input target: %w", err)
		}
		items = append(items, ast.Item(ast.StringTerm("target"), ast.NewTerm(v)))
	}
	return ast.NewObject(items...), nil
}

// decode reads the one decision out of a result set, strictly: the keys
// allow, classes, own and reasons, optionally scope and withheld_fields, of
// their types and no other, and a deny that releases nothing. Classes come back sorted and distinct. (A Rego set and an
// array both reach Go as a list, so either is accepted for classes/reasons.)
func decode(rs rego.ResultSet) (broker.Decision, error) {
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return broker.Decision{}, ErrUndefined
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return broker.Decision{}, fmt.Errorf("%w: %d results", ErrShape, len(rs))
	}
	obj, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok {
		return broker.Decision{}, fmt.Errorf("%w: not an object", ErrShape)
	}
	for k := range obj {
		if !slices.Contains(decisionKeys, k) {
			return broker.Decision{}, fmt.Errorf("%w: unknown key %q", ErrShape, k)
		}
	}
	var d broker.Decision
	var err error
	if d.Allow, err = boolean(obj, "allow"); err != nil {
		return broker.Decision{}, err
	}
	if d.Own, err = boolean(obj, "own"); err != nil {
		return broker.Decision{}, err
	}
	if d.Classes, err = strs(obj, "classes"); err != nil {
		return broker.Decision{}, err
	}
	if d.Reasons, err = strs(obj, "reasons"); err != nil {
		return broker.Decision{}, err
	}
	if d.Scope, err = scope(obj); err != nil {
		return broker.Decision{}, err
	}
	if _, ok := obj["withheld_fields"]; ok {
		if d.WithheldFields, err = strs(obj, "withheld_fields"); err != nil {
			return broker.Decision{}, err
		}
	}
	if _, ok := obj["share_types"]; ok {
		if d.ShareTypes, err = strs(obj, "share_types"); err != nil {
			return broker.Decision{}, err
		}
	}
	if len(d.WithheldFields) == 0 {
		d.WithheldFields = nil
	}
	if len(d.ShareTypes) == 0 {
		d.ShareTypes = nil
	}
	if !d.Allow && (d.Own || len(d.Classes) > 0 || d.Scope != "") {
		return broker.Decision{}, fmt.Errorf("%w: a deny that releases", ErrShape)
	}
	slices.Sort(d.Classes)
	d.Classes = slices.Compact(d.Classes)
	return d, nil
}

// decisionKeys are the keys a decision may have: the first four required,
// scope and withheld_fields optional.
var decisionKeys = []string{"allow", "classes", "own", "reasons", "scope", "withheld_fields", "share_types"}

// scope reads the optional scope: "", broker.ScopeCell or broker.ScopeRoster.
func scope(obj map[string]any) (string, error) {
	v, ok := obj["scope"]
	if !ok {
		return "", nil
	}
	s, ok := v.(string)
	if !ok || (s != "" && s != broker.ScopeCell && s != broker.ScopeRoster) {
		return "", fmt.Errorf("%w: scope is not one of \"\", cell, roster", ErrShape)
	}
	return s, nil
}

func boolean(obj map[string]any, key string) (bool, error) {
	b, ok := obj[key].(bool)
	if !ok {
		return false, fmt.Errorf("%w: %s is not a boolean", ErrShape, key)
	}
	return b, nil
}

func strs(obj map[string]any, key string) ([]string, error) {
	arr, ok := obj[key].([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an array", ErrShape, key)
	}
	out := make([]string, len(arr))
	for i, v := range arr {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%w: %s holds a non-string", ErrShape, key)
		}
		out[i] = s
	}
	return out, nil
}
