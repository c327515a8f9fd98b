package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/livc/livc-broker/internal/redis/store"
)

// TestErasureFinalForDossiers: after an erasure, the person's dossiers are
// gone: every request about them is the uniform 404, no write brings a data
// key back, and nothing answers 500.
func TestErasureFinalForDossiers(t *testing.T) {
	w, id := dossierWorld(t)
	path := "/v1/cases/" + id
	task := w.assign(t, id, "clb", secretTask1, "preventive")
	uniform := w.get("vsse", "case_conference", path)
	if uniform.Status != 404 {
		t.Fatalf("off the roster: %d", uniform.Status)
	}
	if r := w.send("DELETE", "preventie", "case_conference", "/v1/subjects/"+w.ref, "", nil); r.Status != 204 {
		t.Fatalf("erase: %d %s", r.Status, r.Body)
	}
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }
	for _, tc := range []struct {
		name, method, actor, purpose, path string
		body                               []byte
	}{
		{"transition", "POST", "pz", "case_conference", path + "/transitions", js(map[string]string{"to": "weighing", "reason": "after"})},
		{"task", "POST", "burgemeester", "prioritisation", path + "/tasks", js(map[string]string{"actor": "pz", "description": "after", "due": "2026-12-31", "scenario": "reactive"})},
		{"report", "PATCH", "clb", "case_conference", path + "/tasks/" + task, js(map[string]string{"status": "done", "report": "after"})},
		{"priority", "PUT", "parket", "prioritisation", path + "/priority", js(map[string]int{"priority": 1})},
		{"roster", "PUT", "preventie", "case_conference", path + "/roster", js(map[string][]string{"actors": {"pz"}})},
		{"read by the coordinator", "GET", "preventie", "case_conference", path, nil},
		{"read by the roster", "GET", "pz", "case_conference", path, nil},
		{"read by the tactical table", "GET", "parket", "prioritisation", path, nil},
		{"card", "GET", "pz", "case_conference", "/v1/subjects/" + w.ref + "/card", nil},
		{"erase again", "DELETE", "preventie", "case_conference", "/v1/subjects/" + w.ref, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.send(tc.method, tc.actor, tc.purpose, tc.path, "application/json", tc.body)
			if r.Status != 404 || !jsonEqualBut(t, r.Body, uniform.Body, "request_id", "audit_id") {
				t.Errorf("%d %s, want the uniform 404 %s", r.Status, r.Body, uniform.Body)
			}
		})
	}
	t.Run("no listing holds it", func(t *testing.T) {
		w.expectListed(t, "preventie", "case_conference", id, false)
		w.expectListed(t, "parket", "prioritisation", id, false)
	})
	t.Run("no key of the person or the dossier is left", func(t *testing.T) {
		keys, err := w.redis.client(t).Keys(t.Context(), "*").Result()
		must(t, err)
		for _, k := range keys {
			if strings.Contains(k, id) || strings.Contains(k, "subject:"+w.ref) {
				t.Errorf("key %s is left", k)
			}
		}
	})
	t.Run("store and audit log agree", func(t *testing.T) { checkInvariants(t, w.redis.client(t), w.model.Livc) })
}

// TestErasedBeforeDossiersWent: a dossier an erasure left behind, as the
// broker's erasures did before they deleted dossiers (the store's direct
// erasure still does), is the uniform 404 for every route that loads it.
func TestErasedBeforeDossiersWent(t *testing.T) {
	w, id := dossierWorld(t)
	path := "/v1/cases/" + id
	uniform := w.get("vsse", "case_conference", "/v1/cases/case_"+strings.Repeat("y", 26))
	if _, err := store.New(w.redis.client(t)).EraseSubject(t.Context(), w.model.Livc, w.ref); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, method, actor, purpose, path, body string }{
		{"read", "GET", "preventie", "case_conference", path, ""},
		{"transition", "POST", "pz", "case_conference", path + "/transitions", `{"to":"weighing","reason":"r"}`},
		{"roster", "PUT", "preventie", "case_conference", path + "/roster", `{"actors":["pz"]}`},
		{"priority", "PUT", "parket", "prioritisation", path + "/priority", `{"priority":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.send(tc.method, tc.actor, tc.purpose, tc.path, "application/json", []byte(tc.body))
			if r.Status != 404 || !jsonEqualBut(t, r.Body, uniform.Body, "request_id", "audit_id") {
				t.Errorf("%d %s, want the uniform 404", r.Status, r.Body)
			}
		})
	}
}
