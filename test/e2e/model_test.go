package e2e

import (
	"os"
	"slices"
	"sort"
	"testing"

	"go.yaml.in/yaml/v3"
)

// cellModel is the test's own reading of a cell's configuration, from which
// it computes what each requester must get, independently of the broker.
type cellModel struct {
	Livc   string `yaml:"livc"`
	Actors []struct {
		ID          string `yaml:"id"`
		Type        string `yaml:"type"`
		Coordinator bool   `yaml:"coordinator"`
	} `yaml:"actors"`
	Tables   map[string][]string `yaml:"tables"`
	Purposes map[string]struct {
		Table *string `yaml:"table"`
	} `yaml:"purposes"`
	Fields map[string]struct {
		Class string `yaml:"class"`
	} `yaml:"fields"`
	Release map[string]map[string][]string `yaml:"release"`
	Secrecy []string                       `yaml:"secrecy"`
	Minors  struct {
		Age     int                            `yaml:"age"`
		Release map[string]map[string][]string `yaml:"release"`
	} `yaml:"minors"`
}

const examplePath = "testdata/livc-example.yaml"

func loadModel(t testing.TB) *cellModel {
	t.Helper()
	b, err := os.ReadFile(examplePath)
	must(t, err)
	var m cellModel
	must(t, yaml.Unmarshal(b, &m))
	return &m
}

func (m *cellModel) actorType(id string) string {
	for _, a := range m.Actors {
		if a.ID == id {
			return a.Type
		}
	}
	return ""
}

func (m *cellModel) actorIDs() []string {
	var ids []string
	for _, a := range m.Actors {
		ids = append(ids, a.ID)
	}
	return ids
}

func (m *cellModel) purposeNames() []string {
	var ps []string
	for p := range m.Purposes {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// mayUse says whether actor may use purpose at all (docs/api.md, "Every request").
func (m *cellModel) mayUse(actor, purpose string) bool {
	p, ok := m.Purposes[purpose]
	if !ok {
		return false
	}
	if purpose == "audit_review" {
		return m.actorType(actor) == "privacy_officer"
	}
	if p.Table == nil {
		return true
	}
	return slices.Contains(m.Tables[*p.Table], actor)
}

// submitted is what the story stored: per field, the actors that gave a value.
type submitted map[string][]string

// expectedCard is the set of field names the card must show to actor under
// purpose, given the person's records, whether a dossier is open and the
// roster. It returns ok=false when the request must be refused with 403:
// a purpose the actor may not use, or an aggregates-only one (policy,
// audit_review), under which no card is read, not even one's own records.
func (m *cellModel) expectedCard(actor, purpose string, recs submitted, openCase bool, roster []string) (fields []string, ok bool) {
	if !m.mayUse(actor, purpose) || purpose == "policy" || purpose == "audit_review" {
		return nil, false
	}
	classes := m.releasedClasses(actor, purpose, openCase, roster)
	set := map[string]bool{}
	for field, sources := range recs {
		if classes[m.Fields[field].Class] || slices.Contains(sources, actor) {
			set[field] = true
		}
	}
	for f := range set {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	return fields, true
}

// releasedClasses is the set of field classes the release matrix gives actor
// under purpose: none unless a dossier is open, and for case_conference
// none unless the actor is also on its roster.
func (m *cellModel) releasedClasses(actor, purpose string, openCase bool, roster []string) map[string]bool {
	inScope := openCase
	if purpose == "case_conference" {
		inScope = openCase && slices.Contains(roster, actor)
	}
	classes := map[string]bool{}
	if inScope {
		for class, types := range m.Release[purpose] {
			if slices.Contains(types, m.actorType(actor)) {
				classes[class] = true
			}
		}
	}
	return classes
}

// expectedWithheld is the set of field names the audit entry of a card read
// must list as withheld: the fields of a class not released to actor of
// which some value came from another actor (a field the actor gave itself
// comes back to it, the others' values of it do not). When no class is
// released and the actor is on no roster of an open dossier, the broker
// reads only the actor's own records (no work that depends on what others
// know of the person), so nothing is withheld.
func (m *cellModel) expectedWithheld(actor, purpose string, recs submitted, openCase bool, roster []string) []string {
	classes := m.releasedClasses(actor, purpose, openCase, roster)
	fields := []string{}
	if len(classes) == 0 && !(openCase && slices.Contains(roster, actor)) {
		return fields
	}
	for field, sources := range recs {
		if classes[m.Fields[field].Class] {
			continue
		}
		if slices.ContainsFunc(sources, func(s string) bool { return s != actor }) {
			fields = append(fields, field)
		}
	}
	sort.Strings(fields)
	return fields
}
