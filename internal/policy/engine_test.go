package policy

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"github.com/livc/livc-broker/broker"
)

// demoCell is the cell of livc-example.yaml, built by hand so that this
// adapter's tests depend on no other adapter.
func demoCell() *broker.Cell {
	actors := map[string]broker.Actor{}
	for _, a := range []broker.Actor{
		{ID: "ocmw", Type: broker.TypeSocioPreventive},
		{ID: "clb", Type: broker.TypeSocioPreventive},
		{ID: "jeugddienst", Type: broker.TypeMunicipalService},
		{ID: "pz", Type: broker.TypePolice},
		{ID: "vsse", Type: broker.TypeIntelligence},
		{ID: "parket", Type: broker.TypeJudicial},
		{ID: "burgemeester", Type: broker.TypeLocalAdmin},
		{ID: "preventie", Type: broker.TypeLocalAdmin, Coordinator: true},
		{ID: "unizo", Type: broker.TypeBusinessAssociation},
		{ID: "dpo", Type: broker.TypePrivacyOfficer},
	} {
		actors[a.ID] = a
	}
	all := []string{"socio_preventive", "municipal_service", "police", "intelligence", "judicial", "local_admin"}
	return &broker.Cell{
		ID:     "zonnedaal",
		Name:   "LIVC-R Zonnedaal",
		Actors: actors,
		Tables: map[string][]string{
			"strategic":   {"burgemeester", "pz", "preventie"},
			"tactical":    {"burgemeester", "pz", "preventie", "ocmw", "parket"},
			"operational": {"ocmw", "clb", "jeugddienst", "pz", "vsse", "parket", "preventie", "unizo"},
		},
		Purposes: map[string]broker.Purpose{
			"signal":          {Name: "signal"},
			"case_conference": {Name: "case_conference", Table: "operational"},
			"prioritisation":  {Name: "prioritisation", Table: "tactical"},
			"policy":          {Name: "policy", Table: "strategic"},
			"audit_review":    {Name: "audit_review"},
		},
		Release: map[string]map[string][]string{
			"case_conference": {
				"identity":       all,
				"presence":       append(slices.Clone(all), "business_association"),
				"signal":         {"socio_preventive", "municipal_service", "police", "intelligence", "local_admin"},
				"social":         {"socio_preventive", "municipal_service", "police", "local_admin"},
				"care":           {"socio_preventive"},
				"police":         {"police", "intelligence", "judicial"},
				"intelligence":   {"police", "intelligence"},
				"judicial":       {"police", "judicial"},
				"business":       {"police", "local_admin", "business_association"},
				"administrative": {"police", "judicial", "local_admin"},
			},
			"prioritisation": {"presence": {"socio_preventive", "police", "judicial", "local_admin"}},
			"policy":         {},
		},
		Secrecy: []string{"socio_preventive"},
		Minors: &broker.Minors{
			Age: 18,
			Release: map[string]map[string][]string{
				"case_conference": {
					"identity":       {"socio_preventive", "municipal_service", "police", "local_admin"},
					"presence":       all,
					"signal":         {"socio_preventive", "municipal_service", "police", "local_admin"},
					"social":         {"socio_preventive", "municipal_service"},
					"care":           {"socio_preventive"},
					"police":         {"police", "judicial"},
					"intelligence":   {"police", "intelligence"},
					"judicial":       {"police", "judicial"},
					"administrative": {"police", "local_admin"},
				},
				"prioritisation": {"presence": {"socio_preventive", "police", "local_admin"}},
				"policy":         {},
			},
		},
	}
}

func demoCells() map[string]*broker.Cell {
	c := demoCell()
	return map[string]*broker.Cell{c.ID: c}
}

// in is the pipeline's input for actor id of the demo cell.
func in(action, purpose, id string) broker.DecisionInput {
	c := demoCell()
	a := c.Actors[id]
	tables := c.TablesOf(id)
	if tables == nil {
		tables = []string{}
	}
	return broker.DecisionInput{
		Livc: c.ID, Action: action, Purpose: purpose,
		Actor: broker.DecisionActor{ID: id, Type: a.Type, Tables: tables, Coordinator: a.Coordinator},
	}
}

func card(purpose, id string, open, onRoster bool) broker.DecisionInput {
	x := in("card.read", purpose, id)
	x.Subject = &broker.SubjectScope{OpenCase: open, OnRoster: onRoster}
	return x
}

// minorCard is card about a person the broker found to be a minor.
func minorCard(purpose, id string, open, onRoster bool) broker.DecisionInput {
	x := card(purpose, id, open, onRoster)
	x.Subject.Minor = true
	return x
}

func roster(id, state string, actors ...string) broker.DecisionInput {
	x := in("roster.change", "case_conference", id)
	x.Case = &broker.CaseScope{State: state}
	x.Target = map[string]any{"roster": actors}
	return x
}

func newTestEngine(t testing.TB, cells map[string]*broker.Cell) *Engine {
	t.Helper()
	e, err := New(context.Background(), cells, Conf{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// The Rego tests run over policies/testdata/zonnedaal.json: it must be what
// this engine builds from the example cell, or they test another policy.
func TestDataMatchesPolicyFixture(t *testing.T) {
	_, got, err := cellData(demoCells())
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../policies/testdata/zonnedaal.json")
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("data document differs from the Rego fixture:\n got %s\nwant %s", got, want)
	}
}

func TestDecide(t *testing.T) {
	e := newTestEngine(t, demoCells())
	allowed := broker.Decision{Allow: true, Classes: []string{}, Reasons: []string{}}
	shown := func(classes ...string) broker.Decision {
		return broker.Decision{Allow: true, Own: true, Classes: append([]string{}, classes...), Reasons: []string{},
			ShareTypes: []string{"socio_preventive"}}
	}
	denied := func(reasons ...string) broker.Decision {
		return broker.Decision{Classes: []string{}, Reasons: reasons}
	}
	noRoster := roster("preventie", "weighing", "pz")
	noRoster.Case = nil
	tests := []struct {
		name string
		in   broker.DecisionInput
		want broker.Decision
	}{
		{"signal by social service", in("signal.submit", "signal", "ocmw"), allowed},
		{"observation by business association", in("observation.submit", "signal", "unizo"), allowed},
		{"signal under case_conference", in("signal.submit", "case_conference", "ocmw"), denied("purpose_not_bound")},
		{"unknown purpose", in("card.read", "curiosity", "pz"), denied("unknown_purpose")},
		{"case_conference off the operational table", card("case_conference", "burgemeester", true, true), denied("purpose_not_allowed")},
		{"audit_review by coordinator", card("audit_review", "preventie", true, true), denied("purpose_not_allowed", "purpose_not_bound")},
		{"unknown action", in("card.write", "case_conference", "pz"), denied("unknown_action")},
		{"unknown cell", func() broker.DecisionInput { x := in("signal.submit", "signal", "pz"); x.Livc = "elders"; return x }(), denied("unknown_cell")},
		{"police on the roster", card("case_conference", "pz", true, true),
			shown("administrative", "business", "identity", "intelligence", "judicial", "police", "presence", "signal", "social")},
		{"police on the roster, a minor: minors.release", minorCard("case_conference", "pz", true, true),
			shown("administrative", "identity", "intelligence", "judicial", "police", "presence", "signal")},
		{"prosecutor, prioritisation, a minor", minorCard("prioritisation", "parket", true, false), shown()},
		{"social service on the roster", card("case_conference", "ocmw", true, true),
			shown("care", "identity", "presence", "signal", "social")},
		{"business association on the roster", card("case_conference", "unizo", true, true), shown("business", "presence")},
		{"police off the roster", card("case_conference", "pz", true, false), shown()},
		{"card without subject scope", in("card.read", "case_conference", "pz"), shown()},
		{"police prioritisation, open dossier", card("prioritisation", "pz", true, false), shown("presence")},
		{"police prioritisation, no open dossier", card("prioritisation", "pz", false, true), shown()},
		{"mayor, policy: no card under aggregates only", card("policy", "burgemeester", true, true), denied("purpose_not_bound")},
		{"coordinator creates a case", in("case.create", "case_conference", "preventie"), allowed},
		{"police creates a case", in("case.create", "case_conference", "pz"), denied("not_coordinator")},
		{"roster.change", roster("preventie", "weighing", "ocmw", "pz", "vsse"), allowed},
		{"the retired name roster.set", func() broker.DecisionInput {
			x := roster("preventie", "formation", "clb")
			x.Action = "roster.set"
			return x
		}(), denied("unknown_action")},
		{"police lists its rosters", in("case.list", "case_conference", "pz"), broker.Decision{Allow: true, Classes: []string{}, Reasons: []string{}, Scope: broker.ScopeRoster}},
		{"tactical table lists the cell", in("case.list", "prioritisation", "ocmw"), broker.Decision{Allow: true, Classes: []string{}, Reasons: []string{}, Scope: broker.ScopeCell}},
		{"roster with the mayor", roster("preventie", "weighing", "pz", "burgemeester"), denied("roster_actor_not_operational")},
		{"roster of a closed case", roster("preventie", "closed", "pz"), denied("case_closed")},
		{"roster without a case", noRoster, denied("no_case")},
		// Off the dossier's roster the police may not see it at all: the
		// pipeline answers case_out_of_scope with the uniform 404.
		{"roster by police", roster("pz", "weighing", "pz"), denied("case_out_of_scope", "not_coordinator")},
		{"audit by privacy officer", in("audit.read", "audit_review", "dpo"), allowed},
		{"audit by coordinator", in("audit.read", "audit_review", "preventie"), denied("not_privacy_officer", "purpose_not_allowed")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.Decide(context.Background(), tt.in)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if got.Revision != e.Revision() {
				t.Errorf("Revision = %q, want %q", got.Revision, e.Revision())
			}
			got.Revision = ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decide =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestRevision(t *testing.T) {
	a, b := newTestEngine(t, demoCells()), newTestEngine(t, demoCells())
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(a.Revision()) {
		t.Errorf("Revision() = %q, want 12 hex digits", a.Revision())
	}
	if a.Revision() != b.Revision() {
		t.Errorf("same policy and data, revisions %q and %q", a.Revision(), b.Revision())
	}
	cells := demoCells()
	cells["zonnedaal"].Release["policy"] = map[string][]string{"presence": {"police"}}
	if c := newTestEngine(t, cells); c.Revision() == a.Revision() {
		t.Errorf("changed release matrix kept revision %q", a.Revision())
	}
}
