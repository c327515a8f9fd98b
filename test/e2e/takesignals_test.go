package e2e

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

// The coordinator takes more signals about a dossier's person into it
// (POST /v1/cases/{id}/signals): a received signal about the person moves
// to in_dossier with the dossier's id, and its submitter's mine follows;
// every refusal stores nothing.
func TestTakeSignalsIntoDossier(t *testing.T) {
	c := newSubjectsCell(t)
	person := map[string]any{"national_number": validNN("870412", 413)}
	first := created(t, c.submit("ocmw", c.signal(person, map[string]any{"signal_text": "SECRET-take-first"})))
	second := created(t, c.submit("clb", c.signal(person, map[string]any{"school_absence_days": 14})))
	dismissed := created(t, c.submit("pz", c.signal(person, map[string]any{"presence": "absent"})))
	stranger := created(t, c.submit("ocmw", c.signal(map[string]any{"national_number": validNN("920101", 414)},
		map[string]any{"signal_text": "SECRET-take-stranger"})))
	ref := c.entry(first).SubjectRef

	body, _ := json.Marshal(map[string]any{"subject_ref": ref, "signal_ids": []string{first}, "category": "radicalisation"})
	r := c.post("preventie", "case_conference", "/v1/cases", "application/json", body)
	if r.Status != 201 {
		t.Fatalf("dossier: %d %s", r.Status, r.Body)
	}
	caseID := jsonField(t, r.Body, "id")
	if r := c.send("PUT", "preventie", "case_conference", "/v1/cases/"+caseID+"/roster", []byte(`{"actors":["pz"]}`)); r.Status != 200 {
		t.Fatalf("roster: %d %s", r.Status, r.Body)
	}
	if r := c.send("POST", "preventie", "case_conference", "/v1/signals/"+dismissed+"/dismissal", []byte(`{"reason":"none"}`)); r.Status != 200 {
		t.Fatalf("dismissal: %d %s", r.Status, r.Body)
	}

	take := func(actor, id string, ids ...string) response {
		b, _ := json.Marshal(map[string]any{"signal_ids": ids})
		return c.send("POST", actor, "case_conference", "/v1/cases/"+id+"/signals", b)
	}
	takeRaw := func(body string) response {
		return c.send("POST", "preventie", "case_conference", "/v1/cases/"+caseID+"/signals", []byte(body))
	}
	rc := c.rs.client(t)
	unknownCase := "case_" + strings.Repeat("z", 26)

	refusals := []struct {
		name   string
		send   func() response
		status int
		field  string
	}{
		{"another person's signal", func() response { return take("preventie", caseID, second, stranger) }, 422, "signal_ids[1]"},
		{"a dismissed signal", func() response { return take("preventie", caseID, dismissed) }, 422, "signal_ids[0]"},
		{"a signal already in the dossier", func() response { return take("preventie", caseID, first) }, 422, "signal_ids[0]"},
		{"an unknown signal", func() response { return take("preventie", caseID, "sig_"+strings.Repeat("a", 26)) }, 422, "signal_ids[0]"},
		{"a repeated signal", func() response { return take("preventie", caseID, second, second) }, 422, "signal_ids[1]"},
		{"no signal", func() response { return takeRaw(`{"signal_ids":[]}`) }, 422, "signal_ids"},
		{"an unknown key", func() response { return takeRaw(`{"signal_ids":["` + second + `"],"x":1}`) }, 422, ""},
		{"not JSON", func() response { return takeRaw(`{`) }, 422, ""},
		{"a roster member, not the coordinator", func() response { return take("pz", caseID, second) }, 403, ""},
		{"an actor off the roster", func() response { return take("vsse", caseID, second) }, 404, ""},
		{"an unknown dossier", func() response { return take("preventie", unknownCase, second) }, 404, ""},
		{"another purpose", func() response {
			b, _ := json.Marshal(map[string]any{"signal_ids": []string{second}})
			return c.send("POST", "preventie", "prioritisation", "/v1/cases/"+caseID+"/signals", b)
		}, 403, ""},
	}
	for _, tc := range refusals {
		t.Run("refused: "+tc.name, func(t *testing.T) {
			before := dumpRedis(t, rc, isAudit)
			r := tc.send()
			if r.Status != tc.status {
				t.Fatalf("got %d %s, want %d", r.Status, r.Body, tc.status)
			}
			if tc.status == 422 && !strings.Contains(string(r.Body), `"signal_ids"`) && tc.field != "" {
				t.Errorf("the 422 does not name signal_ids: %s", r.Body)
			}
			if tc.field != "" && !strings.Contains(string(r.Body), tc.field) {
				t.Errorf("the refusal does not say which: %s", r.Body)
			}
			if strings.Contains(string(r.Body), "SECRET") || strings.Contains(string(r.Body), ref) {
				t.Errorf("the refusal tells more: %s", r.Body)
			}
			if after := dumpRedis(t, rc, isAudit); !maps.Equal(before, after) {
				t.Fatalf("a refusal changed the store")
			}
			checkAudited(t, c.b, c.iss, c.livc, r.Header.Get("X-Audit-Id"), "case.take_signals", "deny")
		})
	}
	t.Run("the unknown dossier's 404 is the invisible one's", func(t *testing.T) {
		if a, b := refusalOf(t, take("vsse", caseID, second)), refusalOf(t, take("vsse", unknownCase, second)); a != b {
			t.Fatalf("%v != %v", a, b)
		}
	})

	t.Run("a received signal about the person is taken", func(t *testing.T) {
		if e := c.entry(second); e.State != "received" || e.CaseID != "" {
			t.Fatalf("before: %+v", e)
		}
		if s := c.mineState("clb", second); s != "received" {
			t.Fatalf("mine before: %q", s)
		}
		r := take("preventie", caseID, second)
		if r.Status != 200 {
			t.Fatalf("take: %d %s", r.Status, r.Body)
		}
		var v struct {
			ID, State, SubjectRef string
			Roster                []string
		}
		r.json(t, &v)
		if v.ID != caseID || v.State != "registration" || len(v.Roster) != 1 {
			t.Fatalf("answer: %s", r.Body)
		}
		checkAudited(t, c.b, c.iss, c.livc, r.Header.Get("X-Audit-Id"), "case.take_signals", "allow")
		if e := c.entry(second); e.State != "in_dossier" || e.CaseID != caseID {
			t.Fatalf("intake after: %+v", e)
		}
		if s := c.mineState("clb", second); s != "in_dossier" {
			t.Fatalf("mine after: %q", s)
		}
		if e := c.entry(stranger); e.State != "received" || e.CaseID != "" {
			t.Fatalf("the other person's signal moved: %+v", e)
		}
		if e := c.entry(dismissed); e.State != "dismissed" {
			t.Fatalf("the dismissed signal moved: %+v", e)
		}
	})
	t.Run("refused: taken again", func(t *testing.T) {
		before := dumpRedis(t, rc, isAudit)
		if r := take("preventie", caseID, second); r.Status != 422 || !strings.Contains(string(r.Body), "signal_ids[0]") {
			t.Fatalf("again: %d %s", r.Status, r.Body)
		}
		if after := dumpRedis(t, rc, isAudit); !maps.Equal(before, after) {
			t.Fatalf("a refusal changed the store")
		}
	})
}
