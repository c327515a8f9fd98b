// Package decisions runs a data-driven table of policy decisions
// (testdata/decisions.json) against the real Rego engine over the example
// cell: every actor of livc-example.yaml at every purpose, for card reads,
// dossier listings and dossier reads, with the dossier's state and roster.
// Each row says whether the request is allowed and, for a card, exactly
// which fields of the catalogue are released; for a listing, the scope.
package decisions

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/config"
	"github.com/livc/livc-broker/internal/policy"
)

type row struct {
	Actor   string   `json:"actor"`
	Purpose string   `json:"purpose"`
	Action  string   `json:"action"`
	State   string   `json:"state"`
	Roster  []string `json:"roster"`
	Allow   bool     `json:"allow"`
	Fields  []string `json:"fields"`
	Own     bool     `json:"own"`
	Scope   string   `json:"scope"`
}

func TestDecisionTable(t *testing.T) {
	raw, err := os.ReadFile("testdata/decisions.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cell  string `json:"cell"`
		Cases []row  `json:"cases"`
	}
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	cell, _, err := config.Load(table.Cell)
	if err != nil {
		t.Fatal(err)
	}
	e, err := policy.New(context.Background(), map[string]*broker.Cell{cell.ID: cell}, policy.Conf{Timeout: 5e9})
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, tc := range table.Cases {
		name := fmt.Sprintf("%s/%s/%s/%s/roster=%v", tc.Actor, tc.Purpose, tc.Action, tc.State, slices.Contains(tc.Roster, tc.Actor))
		t.Run(name, func(t *testing.T) {
			a, ok := cell.Actor(tc.Actor)
			if !ok {
				t.Fatalf("actor %s not in the cell", tc.Actor)
			}
			covered[a.Type+"/"+tc.Purpose] = true
			in := broker.DecisionInput{Livc: cell.ID, Action: tc.Action, Purpose: tc.Purpose,
				Actor: broker.DecisionActor{ID: a.ID, Type: a.Type, Tables: tablesOf(cell, a.ID), Coordinator: a.Coordinator}}
			onRoster := slices.Contains(tc.Roster, tc.Actor)
			switch tc.Action {
			case "card.read":
				open := tc.State != broker.StateClosed
				in.Subject = &broker.SubjectScope{OpenCase: open, OnRoster: open && onRoster}
			case "case.read":
				in.Case = &broker.CaseScope{State: tc.State, OnRoster: onRoster}
			}
			d, err := e.Decide(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != tc.Allow || d.Scope != tc.Scope || d.Own != tc.Own {
				t.Fatalf("decision %+v, want allow=%v scope=%q own=%v", d, tc.Allow, tc.Scope, tc.Own)
			}
			if got := fieldsOf(cell, d); !slices.Equal(got, nonNil(tc.Fields)) {
				t.Fatalf("fields\n got %v\nwant %v", got, tc.Fields)
			}
		})
	}
	for _, typ := range broker.ActorTypes {
		for p := range cell.Purposes {
			if !covered[typ+"/"+p] {
				t.Errorf("the table has no case for actor type %s under %s", typ, p)
			}
		}
	}
}

// fieldsOf is what the release filter would show of a record holding every
// field of the catalogue, from another actor.
func fieldsOf(cell *broker.Cell, d broker.Decision) []string {
	out := []string{}
	for name, spec := range cell.Fields {
		if d.Allow && slices.Contains(d.Classes, spec.Class) && !slices.Contains(d.WithheldFields, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func tablesOf(cell *broker.Cell, id string) []string {
	t := cell.TablesOf(id)
	if t == nil {
		t = []string{}
	}
	return t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
