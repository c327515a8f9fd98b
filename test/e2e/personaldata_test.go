package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// personalRoute is how TestPersonalDataRoutes exercises one operation the
// OpenAPI document marks x-livc-personal-data: a request that its allowed
// actor makes (its audit entry must name what it released), and the same
// request by an actor that may not see the person or dossier, whose refusal
// must be the one an unknown person or dossier gets: same status, same body
// but for request_id and audit_id.
type personalRoute struct {
	path, purpose string // path with the world's ids ({ref}, {id}, {task} filled in)
	body          string // JSON body of a write
	allowed       string // an actor the policy lets through
	off           string // an actor that may not see it under purpose
	refused       int    // off's status: 404 (uniform), 403 (off the purpose's table), 200 (a list without it)
}

// TestPersonalDataRoutes reads the whole OpenAPI document the broker serves
// and exercises every operation marked x-livc-personal-data; a marked
// operation without a row fails, so that a new route cannot slip through.
// Adding a route is one line of routes.
func TestPersonalDataRoutes(t *testing.T) {
	w, id := dossierWorld(t)
	task := w.assign(t, id, "clb", secretTask1, "preventive")
	received := w.submitFresh(t, "pz", map[string]any{"presence": "absent"}) // a signal of the person still received
	if r := w.send("POST", "preventie", "case_conference", "/v1/cases/"+id+"/meetings", "application/json", minutes([]string{"pz"}, "pz", "2026-12-31", secretDecision)); r.Status != 201 {
		t.Fatalf("minutes for the meetings' rows: %d %s", r.Status, r.Body)
	}
	fill := strings.NewReplacer("{ref}", w.ref, "{id}", id, "{task}", task).Replace
	unknown := strings.NewReplacer(w.ref, "s_"+strings.Repeat("z", 26), id, "case_"+strings.Repeat("z", 26),
		task, "task_"+strings.Repeat("z", 26)).Replace

	routes := map[string]personalRoute{
		"GET /v1/subjects/{ref}/card":       {path: "/v1/subjects/{ref}/card", purpose: "signal", allowed: "pz", off: "burgemeester", refused: 404}, // every actor but the mayor submitted about the person
		"GET /v1/signals":                   {path: "/v1/signals", purpose: "case_conference", allowed: "preventie", off: "pz", refused: 403},       // the coordinator's alone: no roster to be off
		"GET /v1/cases":                     {path: "/v1/cases", purpose: "case_conference", allowed: "pz", off: "vsse", refused: 200},
		"GET /v1/cases/{id}":                {path: "/v1/cases/{id}", purpose: "case_conference", allowed: "pz", off: "vsse", refused: 404},
		"POST /v1/cases/{id}/transitions":   {path: "/v1/cases/{id}/transitions", purpose: "case_conference", body: `{"to":"weighing","reason":"r"}`, allowed: "ocmw", off: "vsse", refused: 404},
		"POST /v1/cases/{id}/signals":       {path: "/v1/cases/{id}/signals", purpose: "case_conference", body: `{"signal_ids":["` + received + `"]}`, allowed: "preventie", off: "vsse", refused: 404},
		"PUT /v1/cases/{id}/roster":         {path: "/v1/cases/{id}/roster", purpose: "case_conference", body: `{"actors":["ocmw","clb","pz"]}`, allowed: "preventie", off: "vsse", refused: 404},
		"PUT /v1/cases/{id}/priority":       {path: "/v1/cases/{id}/priority", purpose: "prioritisation", body: `{"priority":3}`, allowed: "parket", off: "clb", refused: 403},
		"POST /v1/cases/{id}/tasks":         {path: "/v1/cases/{id}/tasks", purpose: "prioritisation", body: `{"actor":"pz","description":"d","due":"2026-12-31","scenario":"reactive"}`, allowed: "burgemeester", off: "clb", refused: 403},
		"PATCH /v1/cases/{id}/tasks/{task}": {path: "/v1/cases/{id}/tasks/{task}", purpose: "case_conference", body: `{"status":"in_progress","report":"r"}`, allowed: "clb", off: "vsse", refused: 404},
		"GET /v1/tasks/mine":                {path: "/v1/tasks/mine", purpose: "case_conference", allowed: "clb", off: "vsse", refused: 200}, // the description is dossier text
		"POST /v1/cases/{id}/meetings":      {path: "/v1/cases/{id}/meetings", purpose: "case_conference", body: `{"held_at":"2026-11-20T09:30:00Z","attendees":["ocmw","pz"],"decisions":[{"text":"t","actor":"pz","due":"2026-12-31"}]}`, allowed: "preventie", off: "vsse", refused: 404},
		"GET /v1/cases/{id}/meetings":       {path: "/v1/cases/{id}/meetings", purpose: "case_conference", allowed: "pz", off: "vsse", refused: 404},
	}

	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	do(t, "GET", w.broker.URL+"/openapi.json", nil).json(t, &doc)
	var marked []string
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Personal bool `json:"x-livc-personal-data"`
			}
			if json.Unmarshal(raw, &op) == nil && op.Personal {
				marked = append(marked, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(marked)
	if len(marked) < len(routes) {
		t.Errorf("the document marks %d operations as personal data, the table has %d rows: %v", len(marked), len(routes), marked)
	}
	for _, op := range marked {
		r, ok := routes[op]
		if !ok {
			t.Errorf("%s answers personal data but has no row in this test", op)
			continue
		}
		t.Run(op, func(t *testing.T) {
			method, _, _ := strings.Cut(op, " ")
			send := func(actor, path string) response {
				var body []byte
				if r.body != "" {
					body = []byte(r.body)
				}
				return w.send(method, actor, r.purpose, path, "application/json", body)
			}
			got, want := send(r.off, fill(r.path)), send(r.off, unknown(fill(r.path)))
			switch {
			case got.Status != r.refused:
				t.Errorf("%s (may not see it): %d %s, want %d", r.off, got.Status, got.Body, r.refused)
			case r.refused == http.StatusOK:
				if strings.Contains(string(got.Body), id) {
					t.Errorf("%s lists the dossier: %s", r.off, got.Body)
				}
			case want.Status != got.Status || !jsonEqualBut(t, got.Body, want.Body, "request_id", "audit_id"):
				t.Errorf("%s's refusal tells the known from the unknown:\n%d %s\n%d %s", r.off, got.Status, got.Body, want.Status, want.Body)
			}
			a := send(r.allowed, fill(r.path))
			if a.Status/100 != 2 {
				t.Fatalf("%s: %d %s", r.allowed, a.Status, a.Body)
			}
			if a.Header.Get("Cache-Control") != "no-store" || got.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q and %q (refusal); want no-store on both", a.Header.Get("Cache-Control"), got.Header.Get("Cache-Control"))
			}
			e := w.auditEntry(t, a.Header.Get("X-Audit-Id"))
			if e.Decision != "allow" || len(e.Released) == 0 {
				t.Errorf("%s's answer is audited %s with released %v", r.allowed, e.Decision, e.Released)
			}
			if leak := fmt.Sprint(e.Released); strings.Contains(leak, "SECRET") {
				t.Errorf("released names hold a value: %s", leak)
			}
		})
	}
}
