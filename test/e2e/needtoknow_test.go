package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Need to know at the edges of the dossier routes: every answer that
// carries a text of a dossier is a release audited with what it released,
// tasks go only to the roster, and a request is judged (purpose,
// visibility, decision) before its body.

// dossierWorld is the story's person with an open dossier whose roster is
// ocmw, clb and pz, moved once with a sealed reason.
func dossierWorld(t *testing.T) (*world, string) {
	t.Helper()
	w := submittedWorld(t, examplePath)
	id := w.openCase(t, []string{"ocmw", "clb", "pz"})
	w.move(t, "pz", id, "formation")
	return w, id
}

// TestTaskReleases: a task goes only to an actor on the dossier's roster; a
// task report answers the task alone; and every answer carrying a text of
// the dossier is audited with the names of what it released.
func TestTaskReleases(t *testing.T) {
	w, id := dossierWorld(t)
	path := "/v1/cases/" + id
	js := func(v any) []byte { b, _ := json.Marshal(v); return b }

	t.Run("a task to an actor off the roster is 422 naming actor", func(t *testing.T) {
		for _, tc := range []struct{ by, to string }{
			{"parket", "parket"},       // the tactical table to itself, off the roster
			{"burgemeester", "vsse"},   // to an operational actor off the roster
			{"burgemeester", "unizo"},  // idem
			{"preventie", "preventie"}, // the coordinator, off the roster
		} {
			b := js(map[string]string{"actor": tc.to, "description": "x", "due": "2026-12-31", "scenario": "preventive"})
			r := w.send("POST", tc.by, "prioritisation", path+"/tasks", "application/json", b)
			if r.Status != 422 || !strings.Contains(string(r.Body), `"actor"`) {
				t.Errorf("%s assigns a task to %s: %d %s, want 422 naming actor", tc.by, tc.to, r.Status, r.Body)
			}
		}
	})

	task := w.assign(t, id, "clb", secretTask1, "preventive")
	other := w.assign(t, id, "pz", secretTask2, "reactive")
	rep := func(actor, task, status, text string) response {
		return w.send("PATCH", actor, "case_conference", path+"/tasks/"+task, "application/json", js(map[string]string{"status": status, "report": text}))
	}
	if r := rep("pz", other, "in_progress", secretReport2); r.Status != 200 {
		t.Fatalf("pz reports: %d %s", r.Status, r.Body)
	}

	t.Run("a report answers the task alone, audited", func(t *testing.T) {
		for range 2 { // in_progress -> in_progress is no polling channel
			r := rep("clb", task, "in_progress", secretReport1)
			if r.Status != 200 {
				t.Fatalf("clb reports: %d %s", r.Status, r.Body)
			}
			for _, s := range []string{secretReason, secretReport2, secretTask2, `"history"`, `"tasks"`, `"roster"`} {
				if strings.Contains(string(r.Body), s) {
					t.Errorf("the report's answer holds %s: %s", s, r.Body)
				}
			}
			if jsonField(t, r.Body, "id") != task || jsonField(t, r.Body, "report") != secretReport1 {
				t.Errorf("the report's answer is not the task: %s", r.Body)
			}
			e := w.auditEntry(t, r.Header.Get("X-Audit-Id"))
			if e.Action != "task.report" || len(e.Released) == 0 || strings.Contains(fmt.Sprint(e.Released), "SECRET") {
				t.Errorf("audit of the report: %s released %v", e.Action, e.Released)
			}
		}
	})

	t.Run("answers of dossier writes are audited releases", func(t *testing.T) {
		for _, tc := range []struct {
			name, method, actor, purpose, path string
			body                               any
			want                               []string // names the entry must hold
		}{
			{"transition", "POST", "clb", "case_conference", path + "/transitions", map[string]string{"to": "weighing", "reason": secretReason}, []string{"history.reason", "tasks.report"}},
			{"priority", "PUT", "parket", "prioritisation", path + "/priority", map[string]int{"priority": 2}, []string{"tasks.description"}},
			{"task", "POST", "burgemeester", "prioritisation", path + "/tasks", map[string]string{"actor": "ocmw", "description": "x", "due": "2026-12-31", "scenario": "curative"}, []string{"tasks.description"}},
			{"roster", "PUT", "preventie", "case_conference", path + "/roster", map[string][]string{"actors": {"ocmw", "clb", "pz"}}, []string{"roster"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := w.send(tc.method, tc.actor, tc.purpose, tc.path, "application/json", js(tc.body))
				if r.Status/100 != 2 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				e := w.auditEntry(t, r.Header.Get("X-Audit-Id"))
				for _, n := range tc.want {
					if !slices.Contains(e.Released, n) {
						t.Errorf("the entry of the answer releases %v, lacks %s", e.Released, n)
					}
				}
			})
		}
	})

	t.Run("under prioritisation no reason or report", func(t *testing.T) {
		r := w.get("parket", "prioritisation", path)
		for _, s := range []string{secretReason, secretReport1, secretReport2} {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("the tactical view holds %s", s)
			}
		}
		e := w.auditEntry(t, r.Header.Get("X-Audit-Id"))
		if slices.Contains(e.Released, "tasks.report") || slices.Contains(e.Released, "history.reason") || !slices.Contains(e.Released, "tasks.description") {
			t.Errorf("the tactical view's entry releases %v", e.Released)
		}
	})

	t.Run("an assignee taken off the roster reports no more", func(t *testing.T) {
		w.putRoster(t, id, []string{"ocmw", "pz"})
		if r := rep("clb", task, "done", "after"); r.Status != 404 {
			t.Errorf("clb off the roster reports: %d %s, want 404", r.Status, r.Body)
		}
	})
}

// TestOrderOfJudgment: token, purpose, visibility, decision, then the body.
// A caller with no right learns nothing from its body: a bad body gets the
// 403 or 404 its right gives, never a 4xx of the body.
func TestOrderOfJudgment(t *testing.T) {
	w, id := dossierWorld(t)
	task := w.assign(t, id, "clb", secretTask1, "preventive")
	unknown := "case_" + strings.Repeat("a", 26)
	bad := []struct {
		name, ctype string
		body        []byte
	}{
		{"unknown field", "application/json", []byte(`{"nope":1}`)},
		{"not JSON", "application/json", []byte(`{`)},
		{"empty", "application/json", nil},
		{"wrong media type", "text/plain", []byte(`{}`)},
	}
	for _, tc := range []struct {
		name, method, actor, purpose, path string
		want                               int
	}{
		{"transition off the roster", "POST", "vsse", "case_conference", "/v1/cases/" + id + "/transitions", 404},
		{"transition, unknown dossier", "POST", "vsse", "case_conference", "/v1/cases/" + unknown + "/transitions", 404},
		{"transition under a purpose not bound", "POST", "pz", "prioritisation", "/v1/cases/" + id + "/transitions", 403},
		{"roster by a roster member", "PUT", "ocmw", "case_conference", "/v1/cases/" + id + "/roster", 403},
		{"roster off the roster", "PUT", "vsse", "case_conference", "/v1/cases/" + id + "/roster", 404},
		{"roster, unknown dossier", "PUT", "ocmw", "case_conference", "/v1/cases/" + unknown + "/roster", 404},
		{"priority off the tactical table", "PUT", "clb", "prioritisation", "/v1/cases/" + id + "/priority", 403},
		{"priority off the tactical table, unknown dossier", "PUT", "clb", "prioritisation", "/v1/cases/" + unknown + "/priority", 403},
		{"task off the tactical table", "POST", "clb", "prioritisation", "/v1/cases/" + id + "/tasks", 403},
		{"task under case_conference", "POST", "parket", "case_conference", "/v1/cases/" + id + "/tasks", 403},
		{"report by a roster member not assigned", "PATCH", "ocmw", "case_conference", "/v1/cases/" + id + "/tasks/" + task, 403},
		{"report off the roster", "PATCH", "vsse", "case_conference", "/v1/cases/" + id + "/tasks/" + task, 404},
		{"dossier by a non-coordinator", "POST", "ocmw", "case_conference", "/v1/cases", 403},
	} {
		for _, b := range bad {
			t.Run(tc.name+"/"+b.name, func(t *testing.T) {
				r := w.send(tc.method, tc.actor, tc.purpose, tc.path, b.ctype, b.body)
				if r.Status != tc.want {
					t.Errorf("%d %s, want %d", r.Status, r.Body, tc.want)
				}
			})
		}
	}
	t.Run("erase, unknown person, bad purpose", func(t *testing.T) {
		if r := w.send("DELETE", "ocmw", "case_conference", "/v1/subjects/s_"+strings.Repeat("b", 26), "", nil); r.Status != 403 {
			t.Errorf("a non-coordinator erases an unknown person: %d %s", r.Status, r.Body)
		}
	})
}
