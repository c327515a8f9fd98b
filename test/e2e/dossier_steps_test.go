package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
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
