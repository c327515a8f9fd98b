package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// secretDecision is the text of a case conference's decision: it must be
// sealed at rest, never in an audit entry, and readable by the roster.
const secretDecision = "SECRET-decision-home-visit-by-police"

// meetingsPage is the answer of GET /v1/cases/{id}/meetings.
type meetingsPage struct {
	Items []struct {
		ID         string   `json:"id"`
		HeldAt     string   `json:"held_at"`
		Attendees  []string `json:"attendees"`
		RecordedBy string   `json:"recorded_by"`
		Decisions  []struct {
			Text, Actor, Due string
		} `json:"decisions"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// minutes is a meeting body: held an hour ago, attended by attendees, with
// one decision owned by owner.
func minutes(attendees []string, owner, due, text string) []byte {
	b, _ := json.Marshal(map[string]any{
		"held_at":   time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
		"attendees": attendees,
		"decisions": []map[string]string{{"text": text, "actor": owner, "due": due}},
	})
	return b
}

// TestCaseConferenceMeetings: the coordinator records a case conference's
// minutes on a dossier, its roster reads them, and nobody else learns they
// exist; the minutes are checked strictly, sealed at rest, audited without
// their text, and gone with the person.
func TestCaseConferenceMeetings(t *testing.T) {
	w, id := dossierWorld(t) // roster ocmw, clb, pz
	path := "/v1/cases/" + id + "/meetings"
	unknown := "/v1/cases/case_" + strings.Repeat("q", 26) + "/meetings"
	post := func(actor, purpose, p string, body []byte) response {
		return w.send("POST", actor, purpose, p, "application/json", body)
	}
	good := minutes([]string{"ocmw", "pz"}, "pz", "2026-12-31", secretDecision)

	t.Run("the coordinator records, audited without the text", func(t *testing.T) {
		r := post("preventie", "case_conference", path, good)
		if r.Status != 201 || !strings.Contains(string(r.Body), secretDecision) {
			t.Fatalf("record: %d %s", r.Status, r.Body)
		}
		e := w.auditEntry(t, r.Header.Get("X-Audit-Id"))
		if e.Action != "meeting.record" || e.Decision != "allow" || e.CaseID != id {
			t.Fatalf("audit entry: %+v", e)
		}
		if strings.Contains(string(mustMarshal(t, e)), "SECRET") {
			t.Fatal("the audit entry holds the minutes")
		}
	})
	t.Run("a roster member reads the minutes, audited", func(t *testing.T) {
		r := w.get("clb", "case_conference", path)
		var p meetingsPage
		r.json(t, &p)
		if r.Status != 200 || len(p.Items) != 1 || len(p.Items[0].Decisions) != 1 {
			t.Fatalf("clb reads: %d %s", r.Status, r.Body)
		}
		m := p.Items[0]
		if m.Decisions[0].Text != secretDecision || m.Decisions[0].Actor != "pz" || m.Decisions[0].Due != "2026-12-31" ||
			strings.Join(m.Attendees, ",") != "ocmw,pz" || m.RecordedBy != "preventie" {
			t.Fatalf("minutes: %+v", m)
		}
		e := w.auditEntry(t, r.Header.Get("X-Audit-Id"))
		if e.Action != "meeting.list" || e.Decision != "allow" || !strings.Contains(strings.Join(e.Released, ","), "meeting.decisions") {
			t.Fatalf("audit entry: %+v", e)
		}
	})
	t.Run("off the roster: the uniform 404, reading and writing", func(t *testing.T) {
		for _, a := range []string{"vsse", "unizo"} {
			got, want := w.get(a, "case_conference", path), w.get(a, "case_conference", unknown)
			if got.Status != 404 || !jsonEqualBut(t, got.Body, want.Body, "request_id", "audit_id") {
				t.Errorf("%s reads: %d %s, unknown: %d %s", a, got.Status, got.Body, want.Status, want.Body)
			}
			if r, u := post(a, "case_conference", path, good), post(a, "case_conference", unknown, good); r.Status != 404 ||
				!jsonEqualBut(t, r.Body, u.Body, "request_id", "audit_id") {
				t.Errorf("%s records: %d %s, unknown: %d %s, want the same 404", a, r.Status, r.Body, u.Status, u.Body)
			}
		}
	})
	t.Run("a roster member who is not the coordinator: 403, whatever the body", func(t *testing.T) {
		for _, body := range [][]byte{good, []byte(`{"nope":1}`)} {
			if r := post("pz", "case_conference", path, body); r.Status != 403 {
				t.Errorf("pz records: %d %s, want 403", r.Status, r.Body)
			}
		}
		if r := w.get("burgemeester", "case_conference", path); r.Status != 403 {
			t.Errorf("the mayor (off the operational table) reads: %d, want 403", r.Status)
		}
		if r := w.get("pz", "prioritisation", path); r.Status != 403 {
			t.Errorf("pz reads under prioritisation: %d, want 403", r.Status)
		}
	})
	t.Run("strict validation: 422 naming the field, nothing stored", func(t *testing.T) {
		future := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
		for _, tc := range []struct{ name, body, field string }{
			{"an attendee off the roster", string(minutes([]string{"ocmw", "vsse"}, "pz", "2026-12-31", "x")), "attendees"},
			{"a decision's owner off the roster", string(minutes([]string{"ocmw"}, "vsse", "2026-12-31", "x")), "decisions"},
			{"an actor unknown to the cell", string(minutes([]string{"nobody"}, "pz", "2026-12-31", "x")), "attendees"},
			{"a due date that is no date", string(minutes([]string{"ocmw"}, "pz", "2026-13-01", "x")), "decisions[0].due"},
			{"an empty decision", string(minutes([]string{"ocmw"}, "pz", "2026-12-31", " ")), "decisions[0].text"},
			{"a decision too long", string(minutes([]string{"ocmw"}, "pz", "2026-12-31", strings.Repeat("x", 2001))), "decisions[0].text"},
			{"no attendee", string(minutes([]string{}, "pz", "2026-12-31", "x")), "attendees"},
			{"an attendee twice", string(minutes([]string{"pz", "pz"}, "pz", "2026-12-31", "x")), "attendees"},
			{"held in the future", `{"held_at":"` + future + `","attendees":["pz"],"decisions":[]}`, "held_at"},
			{"held_at not a time", `{"held_at":"yesterday","attendees":["pz"],"decisions":[]}`, "held_at"},
			{"no decisions list", `{"held_at":"2026-11-20T09:30:00Z","attendees":["pz"]}`, "decisions"},
			{"an unknown field", `{"held_at":"2026-11-20T09:30:00Z","attendees":["pz"],"decisions":[],"x":1}`, "x"},
		} {
			r := post("preventie", "case_conference", path, []byte(tc.body))
			if r.Status != 422 || !strings.Contains(string(r.Body), `"`+tc.field) {
				t.Errorf("%s: %d %s, want 422 naming %s", tc.name, r.Status, r.Body, tc.field)
			}
		}
		var p meetingsPage
		w.get("preventie", "case_conference", path).json(t, &p)
		if len(p.Items) != 1 {
			t.Fatalf("%d meetings after the refusals, want 1", len(p.Items))
		}
	})
	t.Run("a bad limit or cursor is 422 naming it", func(t *testing.T) {
		for q, name := range map[string]string{"limit=0": "limit", "cursor=x": "cursor"} {
			if r := w.get("clb", "case_conference", path+"?"+q); r.Status != 422 || !strings.Contains(string(r.Body), `"`+name) {
				t.Errorf("?%s: %d %s", q, r.Status, r.Body)
			}
		}
	})
	t.Run("the minutes are sealed at rest", func(t *testing.T) {
		if dump := w.dumpRedis(t); strings.Contains(dump, "SECRET-decision") || strings.Contains(dump, "home-visit") {
			t.Fatal("the minutes are in the clear in Redis")
		}
	})
	t.Run("closed, the roster reads no more and nothing is recorded", func(t *testing.T) {
		w.move(t, "pz", id, "weighing")
		w.move(t, "pz", id, "closed")
		if r := w.get("clb", "case_conference", path); r.Status != 404 {
			t.Errorf("clb reads a closed dossier's minutes: %d", r.Status)
		}
		if r := post("preventie", "case_conference", path, good); r.Status != 403 {
			t.Errorf("the coordinator records on a closed dossier: %d %s", r.Status, r.Body)
		}
	})
	t.Run("the person erased, the minutes are gone", func(t *testing.T) {
		if r := w.send("DELETE", "preventie", "case_conference", "/v1/subjects/"+w.ref, "", nil); r.Status != 204 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		n, err := w.redis.client(t).Exists(context.Background(), "livc:{livc:"+w.model.Livc+"}:case:"+id+":meetings").Result()
		if err != nil || n != 0 {
			t.Fatalf("the minutes' key after the erasure: %d %v", n, err)
		}
	})
}
