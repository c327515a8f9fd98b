package config

import (
	"fmt"
	"slices"
	"strings"

	"filippo.io/age"
	"go.yaml.in/yaml/v3"

	"github.com/livc/livc-broker/broker"
)

// topKeys are the keys of a configuration the broker gives a meaning to.
var topKeys = []string{"livc", "name", "policies", "actors", "tables", "purposes", "fields", "release", "retention", "secrecy", "minors", "audit"}

// builder fills a cell section by section. The sets hold every name a
// section declared, even an invalid one, so that a bad declaration is
// reported once and not again at each reference to it.
type builder struct {
	*parser
	cell     *broker.Cell
	actors   map[string]int // actor id -> line of its declaration
	tables   map[string]bool
	purposes map[string]bool
	classes  map[string]bool
}

// cell validates the root node of a configuration. Problems are recorded in
// p; the result is only meaningful when there are none.
func (p *parser) cell(root *yaml.Node) *parsed {
	const what = "the configuration"
	p.duplicates(root)
	entries, ok := p.mapping(root, what)
	if !ok {
		return nil
	}
	p.known(entries, what, topKeys...)
	b := newBuilder(p)
	pc := b.head(root, entries)
	if v := p.required(root, entries, "actors", what); v != nil {
		b.actorsSection(v)
	}
	if v := p.required(root, entries, "tables", what); v != nil {
		b.tablesSection(v)
	}
	if v := p.required(root, entries, "purposes", what); v != nil {
		b.purposesSection(v)
	}
	if v := p.required(root, entries, "fields", what); v != nil {
		b.fieldsSection(v)
	}
	if v := lookup(entries, "release"); v != nil {
		b.releaseSection(v)
	}
	if v := p.required(root, entries, "retention", what); v != nil {
		b.retentionSection(v)
	}
	if v := lookup(entries, "secrecy"); v != nil {
		b.secrecySection(v)
	}
	if v := lookup(entries, "minors"); v != nil {
		b.minorsSection(v)
	}
	b.cell.Audit = broker.DefaultAuditConf()
	if v := lookup(entries, "audit"); v != nil {
		b.auditSection(v)
	}
	b.advise(entries)
	return pc
}

// newBuilder is a builder of an empty cell.
func newBuilder(p *parser) *builder {
	return &builder{
		parser: p,
		cell: &broker.Cell{
			Actors:   map[string]broker.Actor{},
			Tables:   map[string][]string{},
			Purposes: map[string]broker.Purpose{},
			Fields:   map[string]broker.FieldSpec{},
			Release:  map[string]map[string][]string{},
		},
		actors:   map[string]int{},
		tables:   map[string]bool{},
		purposes: map[string]bool{},
		classes:  map[string]bool{},
	}
}

// head reads the keys that name the cell (livc, name) and its policy
// directory.
func (b *builder) head(root *yaml.Node, entries []entry) *parsed {
	const what = "the configuration"
	p := b.parser
	pc := &parsed{cell: b.cell}
	if v := p.required(root, entries, "livc", what); v != nil {
		pc.livc = resolve(v)
		b.cell.ID, _ = p.id(v, "livc id")
	}
	b.cell.Name = p.optText(lookup(entries, "name"), "name")
	if v := lookup(entries, "policies"); v != nil {
		pc.policies = resolve(v)
		dir, ok := p.text(v, "policies")
		if ok && dir == "" {
			p.errf(pc.policies, "policies must name a directory of Rego rules")
		}
		b.cell.PolicyDir = dir
	}
	return pc
}

// optText reads an optional text value; absent or null is "".
func (p *parser) optText(n *yaml.Node, what string) string {
	if n == nil || isNull(n) {
		return ""
	}
	s, _ := p.text(n, what)
	return s
}

func (b *builder) actorsSection(n *yaml.Node) {
	items, ok := b.sequence(n, "actors")
	if !ok {
		return
	}
	if len(items) == 0 {
		b.errf(resolve(n), "actors must declare at least one actor")
	}
	for i, item := range items {
		b.actor(i, item)
	}
}

func (b *builder) actor(i int, item *yaml.Node) {
	what := fmt.Sprintf("actor %d", i+1)
	entries, ok := b.mapping(item, what)
	if !ok {
		return
	}
	idNode := b.required(item, entries, "id", what)
	if idNode == nil {
		return
	}
	id, valid := b.id(idNode, "actor id")
	if id == "" && !valid {
		return
	}
	if first, dup := b.actors[id]; dup {
		b.errf(resolve(idNode), "actor id %q is declared twice (first at line %d)", id, first)
		return
	}
	b.actors[id] = resolve(idNode).Line
	what = fmt.Sprintf("actor %q", id)
	b.known(entries, what, "id", "name", "type", "coordinator", "recipients")

	a := broker.Actor{ID: id, Name: b.optText(lookup(entries, "name"), "the name of "+what)}
	if v := b.required(item, entries, "type", what); v != nil {
		if t, ok := b.text(v, "the type of "+what); ok {
			if !slices.Contains(broker.ActorTypes, t) {
				b.errf(resolve(v), "%s has type %q, which is not an actor type; use one of %s", what, clip(t), strings.Join(broker.ActorTypes, ", "))
			}
			a.Type = t
		}
	}
	if v := lookup(entries, "coordinator"); v != nil {
		a.Coordinator, _ = b.boolean(v, "coordinator of "+what)
	}
	if v := lookup(entries, "recipients"); v != nil {
		a.Recipients = b.recipients(v, what)
	}
	b.cell.Actors[id] = a
}

// recipients reads an actor's age recipients. A message never quotes an
// entry: someone may have pasted a secret key where a recipient belongs.
func (b *builder) recipients(n *yaml.Node, what string) []string {
	items, ok := b.sequence(n, "recipients of "+what)
	if !ok {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	var kinds [2]bool // classic, post-quantum
	for i, item := range items {
		label := fmt.Sprintf("recipient %d of %s", i+1, what)
		s, ok := b.text(item, label)
		if !ok {
			continue
		}
		if err := checkRecipient(s); err != "" {
			b.errf(resolve(item), "%s %s", label, err)
			continue
		}
		if seen[s] {
			b.errf(resolve(item), "%s is listed twice", label)
			continue
		}
		seen[s] = true
		pq := strings.HasPrefix(s, "age1pq1")
		if kinds[0] && pq || kinds[1] && !pq {
			// age refuses to encrypt to such a mix (the file would be no
			// stronger than its classic recipients), so an answer under
			// Accept: application/age could never be sealed for this actor.
			b.errf(resolve(item), "recipients of %s mix post-quantum (age1pq1…) and classic (age1…) kinds; list one kind only", what)
			continue
		}
		if pq {
			kinds[1] = true
		} else {
			kinds[0] = true
		}
		out = append(out, s)
	}
	return out
}

// checkRecipient reports, as a phrase, why s is not an age recipient age
// v1.3.2 can encrypt to: X25519 (age1…) or post-quantum hybrid (age1pq1…).
func checkRecipient(s string) string {
	var err error
	switch {
	// Only the human-readable part every age identity's encoding starts
	// with, to tell an operator who pasted one: no key is in this file.
	case strings.HasPrefix(strings.ToUpper(s), "AGE-SECRET-KEY-"):
		return "is an age secret key, not a recipient: remove it from this file and replace that key"
	case strings.HasPrefix(s, "age1pq1"):
		_, err = age.ParseHybridRecipient(s)
	case strings.HasPrefix(s, "age1"):
		_, err = age.ParseX25519Recipient(s)
	default:
		return "is not an age recipient (age1… or age1pq1…)"
	}
	if err != nil {
		return "is not a valid age recipient (bad encoding or checksum)"
	}
	return ""
}

func (b *builder) tablesSection(n *yaml.Node) {
	entries, ok := b.mapping(n, "tables")
	if !ok {
		return
	}
	for _, e := range entries {
		if !slices.Contains(broker.Tables, e.key) {
			b.errf(e.keyNode, "tables names table %q, which is not a table of a cell; use %s", clip(e.key), strings.Join(broker.Tables, ", "))
			continue
		}
		b.tables[e.key] = true
		b.cell.Tables[e.key] = b.tableActors(e.key, e.valNode)
	}
}

func (b *builder) tableActors(table string, n *yaml.Node) []string {
	items, ok := b.sequence(n, fmt.Sprintf("table %q", table))
	if !ok {
		return nil
	}
	ids := []string{}
	seen := map[string]bool{}
	for _, item := range items {
		id, ok := b.text(item, fmt.Sprintf("an actor of table %q", table))
		if !ok {
			continue
		}
		switch _, declared := b.actors[id]; {
		case !declared:
			b.errf(resolve(item), "table %q names actor %q, which is not declared under actors", table, clip(id))
		case seen[id]:
			b.errf(resolve(item), "table %q names actor %q twice", table, id)
		default:
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids
}

func (b *builder) purposesSection(n *yaml.Node) {
	entries, ok := b.mapping(n, "purposes")
	if !ok {
		return
	}
	for _, e := range entries {
		b.purposes[e.key] = true
		b.id(e.keyNode, "purpose name")
		what := fmt.Sprintf("purpose %q", clip(e.key))
		pe, ok := b.mapping(e.valNode, what)
		if !ok {
			continue
		}
		b.known(pe, what, "table", "description")
		pu := broker.Purpose{Name: e.key, Description: b.optText(lookup(pe, "description"), "the description of "+what)}
		// A purpose must state its table, null for none: a misspelt key
		// must not silently make a table's purpose a purpose of no table.
		if v := lookup(pe, "table"); v == nil {
			b.errf(resolve(e.valNode), "%s has no \"table\"; write table: null for a purpose of no table", what)
		} else if !isNull(v) {
			if t, ok := b.text(v, "the table of "+what); ok {
				switch {
				case !slices.Contains(broker.Tables, t):
					b.errf(resolve(v), "%s belongs to table %q, which is not a table of a cell; use %s or null", what, clip(t), strings.Join(broker.Tables, ", "))
				case !b.tables[t]:
					b.errf(resolve(v), "%s belongs to table %q, which is not declared under tables", what, t)
				}
				pu.Table = t
			}
		}
		b.cell.Purposes[e.key] = pu
	}
}

// advise warns about a configuration that loads but will not work as its
// coordinator probably expects.
func (b *builder) advise(entries []entry) {
	if v := lookup(entries, "purposes"); v != nil && resolve(v).Kind == yaml.MappingNode {
		for _, name := range []string{broker.PurposeSignal, broker.PurposeCaseConference, broker.PurposePrioritisation, broker.PurposePolicy, broker.PurposeAuditReview} {
			if !b.purposes[name] {
				b.warnf(resolve(v), "purpose %q is not declared: every request that needs it will be refused", name)
			}
		}
	}
	if v := lookup(entries, "actors"); v != nil && len(b.cell.Actors) > 0 {
		var coordinator, officer bool
		for _, a := range b.cell.Actors {
			coordinator = coordinator || a.Coordinator
			officer = officer || a.Type == broker.TypePrivacyOfficer
		}
		if !coordinator {
			b.warnf(resolve(v), "no actor is a coordinator: nobody can register dossiers or manage rosters")
		}
		if !officer {
			b.warnf(resolve(v), "no actor is of type %s: nobody can review the audit trail", broker.TypePrivacyOfficer)
		}
	}
}
