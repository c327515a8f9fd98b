package config

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/livc/livc-broker/broker"
)

// maxLength bounds max of a string (characters) or a list (items).
const maxLength = math.MaxInt32

// maxRetentionDays bounds a retention period (100 years), far below what
// would overflow a time.Duration.
const maxRetentionDays = 36525

func (b *builder) fieldsSection(n *yaml.Node) {
	entries, ok := b.mapping(n, "fields")
	if !ok {
		return
	}
	if len(entries) == 0 {
		b.errf(resolve(n), "fields must declare at least one field")
	}
	for _, e := range entries {
		b.field(e)
	}
}

func (b *builder) field(e entry) {
	b.id(e.keyNode, "field name")
	what := fmt.Sprintf("field %q", clip(e.key))
	fe, ok := b.mapping(e.valNode, what)
	if !ok {
		return
	}
	b.known(fe, what, "class", "type", "max", "min", "values")
	f := broker.FieldSpec{Name: e.key}
	if v := b.required(e.valNode, fe, "class", what); v != nil {
		if c, ok := b.text(v, "the class of "+what); ok {
			if !idPattern.MatchString(c) {
				b.errf(resolve(v), "%s has class %q, which is not a valid name: %s", what, clip(c), nameRule)
			}
			f.Class = c
			b.classes[c] = true
		}
	}
	v := b.required(e.valNode, fe, "type", what)
	if v == nil {
		return
	}
	t, ok := b.text(v, "the type of "+what)
	if !ok {
		return
	}
	if !slices.Contains(broker.FieldTypes, t) {
		b.errf(resolve(v), "%s has type %q, which is not a field type; use one of %s", what, clip(t), strings.Join(broker.FieldTypes, ", "))
		return
	}
	f.Type = t
	b.fieldBounds(&f, fe, what)
	b.cell.Fields[e.key] = f
}

// fieldBounds reads max, min and values as the field's type gives them a
// meaning, and refuses them where it does not.
func (b *builder) fieldBounds(f *broker.FieldSpec, fe []entry, what string) {
	maxNode, minNode, valuesNode := lookup(fe, "max"), lookup(fe, "min"), lookup(fe, "values")
	refuse := func(n *yaml.Node, key string) {
		if n != nil {
			b.errf(resolve(n), "%s is of type %s, which takes no %s", what, f.Type, key)
		}
	}
	switch f.Type {
	case broker.FieldString, broker.FieldList:
		unit := map[string]string{broker.FieldString: "characters", broker.FieldList: "items"}[f.Type]
		if maxNode == nil {
			b.errf(keyLine(fe, "type"), "%s is of type %s and needs max, the most %s it may hold", what, f.Type, unit)
		} else if v, ok := b.integer(maxNode, "max of "+what, 1, maxLength); ok {
			f.Max = &v
		}
		refuse(minNode, "min")
		refuse(valuesNode, "values")
	case broker.FieldInteger:
		if maxNode != nil {
			if v, ok := b.integer(maxNode, "max of "+what, math.MinInt64, math.MaxInt64); ok {
				f.Max = &v
			}
		}
		if minNode != nil {
			if v, ok := b.integer(minNode, "min of "+what, math.MinInt64, math.MaxInt64); ok {
				f.Min = &v
			}
		}
		if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
			b.errf(resolve(minNode), "%s has min %d above its max %d", what, *f.Min, *f.Max)
		}
		refuse(valuesNode, "values")
	case broker.FieldEnum:
		if valuesNode == nil {
			b.errf(keyLine(fe, "type"), "%s is of type enum and needs values, the list of allowed values", what)
		} else {
			f.Values = b.enumValues(valuesNode, what)
		}
		refuse(maxNode, "max")
		refuse(minNode, "min")
	default: // date, national_number: their format is their bound
		refuse(maxNode, "max")
		refuse(minNode, "min")
		refuse(valuesNode, "values")
	}
}

// keyLine returns the key node of key, for problems about its mapping.
func keyLine(entries []entry, key string) *yaml.Node {
	for _, e := range entries {
		if e.key == key {
			return e.keyNode
		}
	}
	return nil
}

func (b *builder) enumValues(n *yaml.Node, what string) []string {
	items, ok := b.sequence(n, "values of "+what)
	if !ok {
		return nil
	}
	if len(items) == 0 {
		b.errf(resolve(n), "values of %s must list at least one value", what)
	}
	values := []string{}
	seen := map[string]bool{}
	for i, item := range items {
		s, ok := b.text(item, fmt.Sprintf("value %d of %s", i+1, what))
		switch {
		case !ok:
		case s == "":
			b.errf(resolve(item), "value %d of %s is empty", i+1, what)
		case seen[s]:
			b.errf(resolve(item), "%s lists value %q twice", what, clip(s))
		default:
			seen[s] = true
			values = append(values, s)
		}
	}
	return values
}

func (b *builder) releaseSection(n *yaml.Node) {
	b.cell.Release = b.releaseMatrix(n, "release", nil)
}

// releaseMatrix reads a release matrix (purpose -> class -> actor types)
// named name. When within is not nil, the matrix may only release less than
// within: an actor type listed for a class under a purpose that within does
// not list there is a problem.
func (b *builder) releaseMatrix(n *yaml.Node, name string, within map[string]map[string][]string) map[string]map[string][]string {
	matrix := map[string]map[string][]string{}
	entries, ok := b.mapping(n, name)
	if !ok {
		return matrix
	}
	for _, e := range entries {
		if !b.purposes[e.key] {
			b.errf(e.keyNode, "%s names purpose %q, which is not declared under purposes", name, clip(e.key))
			continue
		}
		what := fmt.Sprintf("%s under purpose %q", name, e.key)
		ce, ok := b.mapping(e.valNode, what)
		if !ok {
			continue
		}
		byClass := map[string][]string{}
		for _, c := range ce {
			if !b.classes[c.key] {
				b.errf(c.keyNode, "%s names class %q, which no field has", what, clip(c.key))
				continue
			}
			label := fmt.Sprintf("%s of class %q", what, c.key)
			types := b.releaseTypes(c.valNode, label)
			if within != nil {
				b.releasesLess(c.valNode, label, types, within[e.key][c.key])
			}
			byClass[c.key] = types
		}
		matrix[e.key] = byClass
	}
	return matrix
}

// releasesLess reports every actor type of types (read from the sequence n)
// that wider does not list: a stricter matrix may only release less.
func (b *builder) releasesLess(n *yaml.Node, what string, types, wider []string) {
	items, ok := b.sequence(n, what)
	if !ok {
		return
	}
	for _, item := range items {
		t, ok := b.text(item, "an actor type of "+what)
		if ok && slices.Contains(types, t) && !slices.Contains(wider, t) {
			b.errf(resolve(item), "%s releases to actor type %q, which release does not list there; minors.release may only release less than release", what, t)
		}
	}
}

func (b *builder) releaseTypes(n *yaml.Node, what string) []string {
	items, ok := b.sequence(n, what)
	if !ok {
		return nil
	}
	types := []string{}
	for _, item := range items {
		t, ok := b.text(item, "an actor type of "+what)
		switch {
		case !ok:
		case !slices.Contains(broker.ActorTypes, t):
			b.errf(resolve(item), "%s names actor type %q, which is not an actor type; use one of %s", what, clip(t), strings.Join(broker.ActorTypes, ", "))
		case slices.Contains(types, t):
			b.errf(resolve(item), "%s names actor type %q twice", what, t)
		default:
			types = append(types, t)
		}
	}
	return types
}

func (b *builder) retentionSection(n *yaml.Node) {
	const what = "retention"
	entries, ok := b.mapping(n, what)
	if !ok {
		return
	}
	b.known(entries, what, "signal_without_case", "closed_case")
	days := func(key string) int {
		v := b.required(n, entries, key, what)
		if v == nil {
			return 0
		}
		d, _ := b.integer(v, fmt.Sprintf("retention %s (days)", key), 0, maxRetentionDays)
		return int(d)
	}
	b.cell.Retention.SignalWithoutCase = days("signal_without_case")
	b.cell.Retention.ClosedCase = days("closed_case")
}
