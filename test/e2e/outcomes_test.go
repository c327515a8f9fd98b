package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// outcomeView is a dossier's history with its outcomes.
type outcomeView struct {
	History []struct {
		From, To, Outcome string
		Measures          []struct{ Actor, Measure string } `json:"measures"`
	} `json:"history"`
}

// TestStepOutcomes: a transition records what its step came to as data,
// from the policy's list for the move, and the approach's plan of measures
// per actor on the roster, sealed; anything else is 422 naming it, judged
// after the dossier's visibility; the outcome is audited, the plan's text
// never.
func TestStepOutcomes(t *testing.T) {
	w, id := dossierWorld(t) // roster ocmw, clb, pz; in formation
	path := "/v1/cases/" + id + "/transitions"
	moveWith := func(actor string, body map[string]any) response {
		if body["reason"] == nil {
			body["reason"] = "r"
		}
		b, _ := json.Marshal(body)
		return w.send("POST", actor, "case_conference", path, "application/json", b)
	}
	w.move(t, "pz", id, "weighing") // no outcome: a move may record none
	plan := []map[string]string{{"actor": "pz", "measure": "SECRET-measure-home-visit"}, {"actor": "ocmw", "measure": "SECRET-measure-guidance"}}

	t.Run("off the roster: the uniform 404 before the outcome", func(t *testing.T) {
		if r := moveWith("vsse", map[string]any{"to": "approach", "outcome": "nonsense"}); r.Status != 404 {
			t.Fatalf("vsse: %d %s", r.Status, r.Body)
		}
	})
	t.Run("an outcome or plan the move may not record: 422 naming it, nothing stored", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"an outcome of another move", map[string]any{"to": "approach", "outcome": "risk_reduced"}, "outcome"},
			{"an outcome outside every list", map[string]any{"to": "closed", "outcome": "whatever"}, "outcome"},
			{"an outcome that is no identifier", map[string]any{"to": "approach", "outcome": "Concern!"}, "outcome"},
			{"a plan without an outcome", map[string]any{"to": "approach", "measures": plan}, "outcome"},
			{"a plan naming an actor off the roster", map[string]any{"to": "approach", "outcome": "concern_confirmed", "measures": []map[string]string{{"actor": "vsse", "measure": "m"}}}, "measures"},
			{"a plan on a move out of approach's way", map[string]any{"to": "closed", "outcome": "no_concern", "measures": []map[string]string{{"actor": "pz", "measure": "m"}}}, "measures"},
			{"a measure without text", map[string]any{"to": "approach", "outcome": "concern_confirmed", "measures": []map[string]string{{"actor": "pz", "measure": ""}}}, "measures[0].measure"},
		} {
			r := moveWith("pz", tc.body)
			if r.Status != 422 || !strings.Contains(string(r.Body), `"`+tc.field) {
				t.Errorf("%s: %d %s, want 422 naming %s", tc.name, r.Status, r.Body, tc.field)
			}
			if n := w.auditCount(t, r.Header.Get("X-Audit-Id")); n != 1 {
				t.Errorf("%s: the refusal is in the audit log %d times, want once", tc.name, n)
			}
		}
		if st := jsonField(t, w.get("pz", "case_conference", "/v1/cases/"+id).Body, "state"); st != "weighing" {
			t.Fatalf("state after the refusals: %s", st)
		}
	})
	t.Run("the weighing's assessment and the approach's plan, recorded", func(t *testing.T) {
		r := moveWith("pz", map[string]any{"to": "approach", "outcome": "concern_confirmed", "measures": plan})
		if r.Status != 200 {
			t.Fatalf("move: %d %s", r.Status, r.Body)
		}
		var v outcomeView
		r.json(t, &v)
		last := v.History[len(v.History)-1]
		if last.Outcome != "concern_confirmed" || len(last.Measures) != 2 || last.Measures[0].Measure != "SECRET-measure-home-visit" {
			t.Fatalf("history: %+v", last)
		}
		e := w.auditEntry(t, r.Header.Get("X-Audit-Id"))
		if !strings.Contains(e.Reason, "outcome concern_confirmed, 2 measures") || strings.Contains(string(mustMarshal(t, e)), "SECRET") {
			t.Fatalf("audit entry: %+v", e)
		}
		if !strings.Contains(strings.Join(e.Released, ","), "history.measures") {
			t.Fatalf("released %v, want history.measures named", e.Released)
		}
	})
	t.Run("the tactical table sees the outcome, not the plan", func(t *testing.T) {
		var v outcomeView
		w.get("burgemeester", "prioritisation", "/v1/cases/"+id).json(t, &v)
		last := v.History[len(v.History)-1]
		if last.Outcome != "concern_confirmed" || len(last.Measures) != 0 {
			t.Fatalf("prioritisation view: %+v", last)
		}
	})
	t.Run("the plan is sealed at rest", func(t *testing.T) {
		if strings.Contains(w.dumpRedis(t), "SECRET-measure") {
			t.Fatal("a measure is in the clear in Redis")
		}
	})
	t.Run("the evaluation and the closure record their findings", func(t *testing.T) {
		for _, step := range []struct{ to, outcome string }{{"evaluation", "plan_carried_out"}, {"closed", "risk_reduced"}} {
			if r := moveWith("ocmw", map[string]any{"to": step.to, "outcome": step.outcome}); r.Status != 200 {
				t.Fatalf("to %s: %d %s", step.to, r.Status, r.Body)
			}
		}
		var v outcomeView
		w.get("preventie", "case_conference", "/v1/cases/"+id).json(t, &v)
		var got []string
		for _, m := range v.History {
			got = append(got, m.To+"="+m.Outcome)
		}
		if want := "formation=,weighing=,approach=concern_confirmed,evaluation=plan_carried_out,closed=risk_reduced"; strings.Join(got, ",") != want {
			t.Fatalf("history %s, want %s", strings.Join(got, ","), want)
		}
	})
	t.Run("store and audit log agree", func(t *testing.T) { checkInvariants(t, w.redis.client(t), w.model.Livc) })
}
