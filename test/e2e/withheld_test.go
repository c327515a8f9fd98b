package e2e

import (
	"encoding/json"
	"testing"
)

// lookupRef is the pseudonym of subject as the police finds it through the
// audited lookup: a hit or a no-hit, never a submission's answer.
func (w *world) lookupRef(t *testing.T, subject map[string]any) string {
	t.Helper()
	plain, _ := json.Marshal(map[string]any{"subject": subject})
	r := w.send("POST", "pz", "case_conference", "/v1/subjects/lookup", "application/age", seal(t, w.recip, plain))
	if r.Status != 200 {
		t.Fatalf("lookup: %d %s", r.Status, r.Body)
	}
	return jsonField(t, r.Body, "subject_ref")
}

// TestWithheldOnlyOnRoster: a card's withheld count appears only for a
// requester on the roster of an open dossier of the person; anywhere else
// its absence tells nothing about whether others know the person.
func TestWithheldOnlyOnRoster(t *testing.T) {
	w, _ := dossierWorld(t)
	stranger := map[string]any{"national_number": validNN("910412", 77)}
	for _, subject := range []map[string]any{nnSubject, stranger} {
		plain, _ := json.Marshal(map[string]any{"subject": subject, "observed_at": "2026-11-20T09:30:00Z",
			"fields": map[string]any{"sector_signal": "one field"}})
		if r := w.send("POST", "unizo", "signal", "/v1/signals", "application/age", seal(t, w.recip, plain)); r.Status != 201 {
			t.Fatalf("unizo submits: %d %s", r.Status, r.Body)
		}
	}
	known, fresh := w.lookupRef(t, nnSubject), w.lookupRef(t, stranger)
	for _, tc := range []struct {
		name, actor, purpose, ref string
		show                      bool
	}{
		{"known person, own submission", "unizo", "signal", known, false},
		{"unknown person, own submission", "unizo", "signal", fresh, false},
		{"known person, off the roster", "unizo", "case_conference", known, false},
		{"known person, open dossier, no roster", "pz", "signal", known, true}, // pz sits on the roster
		{"known person, roster", "ocmw", "case_conference", known, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := w.get(tc.actor, tc.purpose, "/v1/subjects/"+tc.ref+"/card")
			if r.Status != 200 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			var card map[string]json.RawMessage
			r.json(t, &card)
			if _, got := card["withheld"]; got != tc.show {
				t.Errorf("withheld shown %v, want %v: %s", got, tc.show, r.Body)
			}
		})
	}
}
