package e2e

import (
	"strings"
	"testing"
)

// myTasksPage is the answer of GET /v1/tasks/mine.
type myTasksPage struct {
	Items []struct {
		CaseID      string `json:"case_id"`
		Task        string `json:"task"`
		Description string `json:"description"`
		Due         string `json:"due"`
		Status      string `json:"status"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// myTasks reads actor's tasks, failing the test on anything but a 200.
func (w *world) myTasks(t *testing.T, actor string) (myTasksPage, response) {
	t.Helper()
	r := w.get(actor, "case_conference", "/v1/tasks/mine")
	if r.Status != 200 {
		t.Fatalf("%s lists its tasks: %d %s", actor, r.Status, r.Body)
	}
	var p myTasksPage
	r.json(t, &p)
	return p, r
}

// TestMyTasks: GET /v1/tasks/mine lists the tasks assigned to the
// requester's actor on the open dossiers whose roster holds it, and nothing
// else; taken off the roster, or the dossier closed, its tasks are gone.
func TestMyTasks(t *testing.T) {
	w, id := dossierWorld(t) // roster ocmw, clb, pz
	task := w.assign(t, id, "clb", secretTask1, "preventive")

	t.Run("the assignee sees exactly its task, audited", func(t *testing.T) {
		p, r := w.myTasks(t, "clb")
		if len(p.Items) != 1 {
			t.Fatalf("clb's tasks: %s, want exactly one", r.Body)
		}
		it := p.Items[0]
		if it.CaseID != id || it.Task != task || it.Description != secretTask1 || it.Due != "2026-12-31" || it.Status != "open" {
			t.Fatalf("clb's task: %+v", it)
		}
		e := w.auditEntry(t, r.Header.Get("X-Audit-Id"))
		if e.Action != "task.mine" || e.Decision != "allow" {
			t.Fatalf("audit entry: %+v", e)
		}
		found := false
		for _, n := range e.Released {
			found = found || n == "task.description"
		}
		if !found {
			t.Fatalf("audit entry releases %v, want task.description named", e.Released)
		}
		if strings.Contains(string(mustMarshal(t, e)), secretTask1) {
			t.Fatal("the audit entry holds the description")
		}
	})
	t.Run("a roster member not assigned sees none of it", func(t *testing.T) {
		if p, r := w.myTasks(t, "pz"); len(p.Items) != 0 {
			t.Fatalf("pz's tasks: %s, want none", r.Body)
		}
	})
	t.Run("an actor off the operational table gets 403", func(t *testing.T) {
		for _, a := range []string{"burgemeester", "dpo"} {
			if r := w.get(a, "case_conference", "/v1/tasks/mine"); r.Status != 403 {
				t.Errorf("%s lists tasks: %d %s, want 403", a, r.Status, r.Body)
			}
		}
	})
	t.Run("a bad limit or cursor is 422 naming it, after the decision", func(t *testing.T) {
		for q, name := range map[string]string{"limit=0": "limit", "limit=1001": "limit", "cursor=x": "cursor"} {
			r := w.get("clb", "case_conference", "/v1/tasks/mine?"+q)
			if r.Status != 422 || !strings.Contains(string(r.Body), `"`+name+`"`) {
				t.Errorf("?%s: %d %s, want 422 naming %s", q, r.Status, r.Body, name)
			}
			if r := w.get("burgemeester", "case_conference", "/v1/tasks/mine?"+q); r.Status != 403 {
				t.Errorf("?%s off the table: %d, want 403 before the query", q, r.Status)
			}
		}
	})
	t.Run("taken off the roster, the task is gone", func(t *testing.T) {
		w.putRoster(t, id, []string{"ocmw", "pz"})
		if p, r := w.myTasks(t, "clb"); len(p.Items) != 0 {
			t.Fatalf("clb off the roster lists: %s, want none", r.Body)
		}
		w.putRoster(t, id, []string{"ocmw", "clb", "pz"})
		if p, r := w.myTasks(t, "clb"); len(p.Items) != 1 {
			t.Fatalf("clb back on the roster lists: %s, want its task", r.Body)
		}
	})
	t.Run("the dossier closed, the task is gone", func(t *testing.T) {
		w.move(t, "pz", id, "weighing")
		w.move(t, "pz", id, "closed")
		if p, r := w.myTasks(t, "clb"); len(p.Items) != 0 {
			t.Fatalf("clb lists after the closure: %s, want none", r.Body)
		}
	})
}
