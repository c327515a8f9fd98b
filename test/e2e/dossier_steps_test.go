package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Steps of the dossier tests: rosters, audit entries by id, card fields,
// and a second dossier closed straight from weighing.

// putRoster sets the roster of dossier id as the coordinator.
func (w *world) putRoster(t *testing.T, id string, roster []string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"actors": roster})
	if r := w.send("PUT", "preventie", "case_conference", "/v1/cases/"+id+"/roster", "application/json", b); r.Status != 200 {
		t.Fatalf("set roster %v: %d %s", roster, r.Status, r.Body)
	}
}

// auditEntry finds the entry of audit id, as the privacy officer.
func (w *world) auditEntry(t *testing.T, id string) auditEntry {
	t.Helper()
	if id == "" {
		t.Fatal("no X-Audit-Id")
	}
	var page struct{ Items []auditEntry }
	w.get("dpo", "audit_review", "/v1/audit?limit=1000&order=desc").json(t, &page)
	for _, e := range page.Items {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("audit entry %s not in the log's last 1000", id)
	return auditEntry{}
}

// auditCount is how many entries of the log's last 1000 carry audit id:
// a request is audited once, whatever refuses it.
func (w *world) auditCount(t *testing.T, id string) int {
	t.Helper()
	if id == "" {
		t.Fatal("no X-Audit-Id")
	}
	var page struct{ Items []auditEntry }
	w.get("dpo", "audit_review", "/v1/audit?limit=1000&order=desc").json(t, &page)
	n := 0
	for _, e := range page.Items {
		if e.ID == id {
			n++
		}
	}
	return n
}

// expectCardFields reads the card of ref as actor under case_conference and
// checks that it shows every field of present and none of absent.
func (w *world) expectCardFields(t *testing.T, actor, ref string, present, absent []string) {
	t.Helper()
	got := cardFieldNames(t, w.get(actor, "case_conference", "/v1/subjects/"+ref+"/card"))
	for _, f := range present {
		if !slices.Contains(got, f) {
			t.Errorf("%s's card lacks %s: %v", actor, f, got)
		}
	}
	for _, f := range absent {
		if slices.Contains(got, f) {
			t.Errorf("%s's card shows %s: %v", actor, f, got)
		}
	}
}

// closeFromWeighing carries a second dossier, about a second person, from
// registration to weighing and closes it from there (the shortcut the
// lifecycle allows), and checks that its roster loses what it gave access
// to and that the audit log holds the moves.
func (w *world) closeFromWeighing(t *testing.T) {
	nn := validNN("920315", 42)
	sigs := map[string]string{}
	var ref string
	for _, s := range []struct {
		actor  string
		fields map[string]any
	}{{"ocmw", map[string]any{"signal_text": "SECRET-second-person-ocmw"}}, {"clb", map[string]any{"school_absence_days": 12}}} {
		plain, _ := json.Marshal(map[string]any{"subject": map[string]any{"national_number": nn}, "observed_at": "2026-11-22T09:30:00Z", "fields": s.fields})
		r := w.send("POST", s.actor, "signal", "/v1/signals", "application/age", seal(t, w.recip, plain))
		if r.Status != 201 {
			t.Fatalf("%s submits about the second person: %d %s", s.actor, r.Status, r.Body)
		}
		sigs[s.actor] = jsonField(t, r.Body, "id")
		ref = w.refOf(sigs[s.actor])
	}
	if ref == w.ref {
		t.Fatal("the second person linked to the first")
	}
	body := fmt.Sprintf(`{"subject_ref":%q,"signal_ids":[%q,%q],"category":"radicalisation"}`, ref, sigs["ocmw"], sigs["clb"])
	r := w.send("POST", "preventie", "case_conference", "/v1/cases", "application/json", []byte(body))
	if r.Status != 201 {
		t.Fatalf("second dossier: %d %s", r.Status, r.Body)
	}
	id := jsonField(t, r.Body, "id")
	w.putRoster(t, id, []string{"ocmw", "clb"})
	w.expectCardFields(t, "ocmw", ref, []string{"signal_text", "school_absence_days"}, nil)
	w.move(t, "ocmw", id, "formation")
	w.move(t, "clb", id, "weighing")
	w.move(t, "ocmw", id, "closed")
	w.expectCardFields(t, "ocmw", ref, []string{"signal_text"}, []string{"school_absence_days"})
	w.expectListed(t, "ocmw", "case_conference", id, false)
	var page struct{ Items []auditEntry }
	w.get("dpo", "audit_review", "/v1/audit?limit=1000&action=case.transition&decision=allow&case_id="+id).json(t, &page)
	var moves []string
	for _, e := range page.Items {
		moves = append(moves, e.Reason)
	}
	want := []string{"state registration -> formation", "state formation -> weighing", "state weighing -> closed"}
	if !slices.Equal(moves, want) {
		t.Errorf("audited moves of the second dossier %q, want %q", moves, want)
	}
}

func (w *world) move(t *testing.T, actor, id, to string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"to": to, "reason": secretReason})
	r := w.send("POST", actor, "case_conference", "/v1/cases/"+id+"/transitions", "application/json", b)
	if r.Status != 200 || jsonField(t, r.Body, "state") != to {
		t.Fatalf("%s moves the dossier to %s: %d %s", actor, to, r.Status, r.Body)
	}
}

func (w *world) assign(t *testing.T, id, actor, text, scenario string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"actor": actor, "description": text, "due": "2026-12-31", "scenario": scenario})
	r := w.send("POST", "burgemeester", "prioritisation", "/v1/cases/"+id+"/tasks", "application/json", b)
	if r.Status != 201 {
		t.Fatalf("assign a task to %s: %d %s", actor, r.Status, r.Body)
	}
	var v caseView
	r.json(t, &v)
	return v.Tasks[len(v.Tasks)-1].ID
}

// expectListed checks whether GET /v1/cases lists dossier id for actor.
func (w *world) expectListed(t *testing.T, actor, purpose, id string, want bool) {
	t.Helper()
	r := w.get(actor, purpose, "/v1/cases")
	if r.Status != 200 {
		t.Fatalf("%s lists under %s: %d %s", actor, purpose, r.Status, r.Body)
	}
	var page casePage
	r.json(t, &page)
	got := slices.ContainsFunc(page.Items, func(v caseView) bool { return v.ID == id })
	if got != want {
		t.Fatalf("%s under %s lists the dossier: %v, want %v (%s)", actor, purpose, got, want, r.Body)
	}
}

// expectStats checks the strategic table's by_state against want (the
// states named) and that every count is 0, at least 5 or "<5".
func (w *world) expectStats(t *testing.T, want map[string]any) {
	t.Helper()
	if r := w.get("ocmw", "policy", "/v1/stats"); r.Status != 403 {
		t.Fatalf("ocmw (not strategic) reads stats: %d", r.Status)
	}
	r := w.get("burgemeester", "policy", "/v1/stats")
	if r.Status != 200 {
		t.Fatalf("stats: %d %s", r.Status, r.Body)
	}
	var st struct {
		Cases   map[string]map[string]any `json:"cases"`
		Signals map[string]map[string]any `json:"signals"`
	}
	r.json(t, &st)
	for k, v := range want {
		if fmt.Sprint(st.Cases["by_state"][k]) != fmt.Sprint(v) {
			t.Errorf("by_state[%s] = %v, want %v (%s)", k, st.Cases["by_state"][k], v, r.Body)
		}
	}
	for _, group := range []map[string]any{st.Cases["by_state"], st.Cases["by_category"], st.Cases["by_priority"], st.Signals["by_month"]} {
		for k, v := range group {
			if n, ok := v.(float64); (ok && n > 0 && n < 5) || (!ok && v != "<5") {
				t.Errorf("stats publish %s=%v", k, v)
			}
		}
	}
	if len(st.Signals["by_month"]) == 0 {
		t.Errorf("no signals per month: %s", r.Body)
	}
}

func (w *world) checkDossierAudit(t *testing.T, id string) {
	r := w.get("dpo", "audit_review", "/v1/audit?limit=1000&case_id="+id)
	var page struct{ Items []auditEntry }
	r.json(t, &page)
	var moves []string
	count := map[string]int{}
	for _, e := range page.Items {
		count[e.Action+"/"+e.Decision]++
		if e.Action == "case.transition" && e.Decision == "allow" {
			moves = append(moves, e.Reason)
		}
	}
	want := []string{"state registration -> formation", "state formation -> weighing", "state weighing -> approach",
		"state approach -> evaluation", "state evaluation -> closed"}
	if !slices.Equal(moves, want) {
		t.Errorf("audited moves %q, want %q", moves, want)
	}
	for action, n := range map[string]int{"case.priority/allow": 1, "task.assign/allow": 2, "task.report/allow": 3,
		"case.transition/deny": 3, "task.report/deny": 4, "case.read/allow": 2, "case.read/deny": 2, "roster.change/allow": 3} {
		if count[action] != n {
			t.Errorf("audit %s: %d entries, want %d (all: %v)", action, count[action], n, count)
		}
	}
	r = w.get("dpo", "audit_review", "/v1/audit?limit=1000&subject_ref="+w.ref)
	raw := string(r.Body)
	for _, action := range []string{`"observation.submit"`, `"subject.lookup"`, `"card.read"`} {
		if !strings.Contains(raw, action) {
			t.Errorf("audit about the person lacks %s", action)
		}
	}
	r = w.get("dpo", "audit_review", "/v1/audit?limit=1000&action=stats.read&decision=allow")
	if !strings.Contains(string(r.Body), `"stats.read"`) {
		t.Errorf("stats reads not audited")
	}
	for _, s := range []string{secretTask1, secretTask2, secretReport1, secretReport2, secretReason} {
		if strings.Contains(raw, s) || strings.Contains(string(r.Body), s) {
			t.Errorf("audit log shows %q", s)
		}
	}
}
