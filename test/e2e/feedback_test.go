package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// mine reads actor's GET /v1/signals/mine (one page, every key of every
// item) and fails on anything but 200.
func (c *subjectsCell) mine(actor string) ([]map[string]any, response) {
	c.t.Helper()
	r := c.get(actor, "signal", "/v1/signals/mine")
	if r.Status != 200 {
		c.t.Fatalf("mine of %s: %d %s", actor, r.Status, r.Body)
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	r.json(c.t, &page)
	return page.Items, r
}

// mineState is signal id's state in actor's mine, "" when it is not listed.
func (c *subjectsCell) mineState(actor, id string) string {
	c.t.Helper()
	items, _ := c.mine(actor)
	for _, it := range items {
		if it["id"] == id {
			return it["state"].(string)
		}
	}
	return ""
}

func (c *subjectsCell) send(method, actor, purpose, path string, body []byte) response {
	return do(c.t, method, c.b.URL+path, body, "Authorization", "Bearer "+c.iss.token(c.t, c.livc, actor),
		"LIVC-Purpose", purpose, "Content-Type", "application/json")
}

// refusalOf is what a refusal tells, its request id aside.
func refusalOf(t *testing.T, r response) [4]any {
	var p struct {
		Type, Title, Detail string
		Status              int
	}
	r.json(t, &p)
	return [4]any{r.Status, p.Type, p.Title, p.Detail}
}

// The signaller hears back (README rule 11): its mine shows each of its
// signals' state and nothing else; it withdraws one, crypto-shredded like
// an erasure; the coordinator dismisses one.
func TestSignallerHearsBack(t *testing.T) {
	c := newSubjectsCell(t)
	person := map[string]any{"national_number": validNN("860315", 411)}
	env := c.signal(person, map[string]any{"signal_text": "SECRET-feedback-withdrawn"})
	sig := created(t, c.submit("ocmw", env))
	kept := created(t, c.submit("ocmw", c.signal(person, map[string]any{"signal_text": "SECRET-feedback-kept"})))
	other := created(t, c.submit("clb", c.signal(map[string]any{"national_number": validNN("910722", 412)},
		map[string]any{"school_absence_days": 9})))
	ref := c.entry(sig).SubjectRef
	unknown := "sig_" + "aaaaaaaaaaaaaaaaaaaaaaaaaa"

	t.Run("mine lists received, exactly", func(t *testing.T) {
		items, r := c.mine("ocmw")
		ids := []string{}
		for _, it := range items {
			ids = append(ids, it["id"].(string))
			if keys := slices.Sorted(maps.Keys(it)); !slices.Equal(keys, []string{"id", "received_at", "state"}) || it["state"] != "received" {
				t.Errorf("item %v", it)
			}
		}
		if !slices.Equal(ids, []string{kept, sig}) { // newest first, its own only
			t.Fatalf("mine of ocmw: %v, want %v", ids, []string{kept, sig})
		}
		checkAudited(t, c.b, c.iss, c.livc, r.Header.Get("X-Audit-Id"), "signal.mine", "allow")
	})
	t.Run("mine pages", func(t *testing.T) {
		var ids []string
		for cursor, n := "", 0; n < 3; n++ {
			r := c.get("ocmw", "signal", "/v1/signals/mine?limit=1&cursor="+cursor)
			var page struct {
				Items      []struct{ ID string }
				NextCursor string `json:"next_cursor"`
			}
			r.json(t, &page)
			if r.Status != 200 || len(page.Items) != 1 {
				t.Fatalf("page %d: %d %s", n, r.Status, r.Body)
			}
			ids = append(ids, page.Items[0].ID)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(ids, []string{kept, sig}) {
			t.Fatalf("pages: %v", ids)
		}
	})
	t.Run("another organisation's mine does not list it", func(t *testing.T) {
		items, _ := c.mine("clb")
		if len(items) != 1 || items[0]["id"] != other {
			t.Fatalf("mine of clb: %v", items)
		}
	})

	var caseID string
	t.Run("in_dossier once taken into a dossier, nothing about it", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"subject_ref": ref, "signal_ids": []string{sig, kept}, "category": "radicalisation"})
		r := c.post("preventie", "case_conference", "/v1/cases", "application/json", body)
		if r.Status != 201 {
			t.Fatalf("dossier: %d %s", r.Status, r.Body)
		}
		caseID = jsonField(t, r.Body, "id")
		if r := c.send("PUT", "preventie", "case_conference", "/v1/cases/"+caseID+"/roster", []byte(`{"actors":["pz","ocmw"]}`)); r.Status != 200 {
			t.Fatalf("roster: %d %s", r.Status, r.Body)
		}
		// ocmw holds professional secrecy: its signals reach the roster once shared.
		for _, id := range []string{sig, kept} {
			if r := c.share("ocmw", id, caseID); r.Status != 201 {
				t.Fatalf("ocmw shares: %d %s", r.Status, r.Body)
			}
		}
		if s := c.mineState("ocmw", sig); s != "in_dossier" {
			t.Fatalf("state %q", s)
		}
		_, r = c.mine("ocmw")
		if bytes.Contains(r.Body, []byte(caseID)) || bytes.Contains(r.Body, []byte(ref)) || bytes.Contains(r.Body, []byte("SECRET")) {
			t.Fatalf("mine tells more than the state: %s", r.Body)
		}
	})

	card := func() response {
		return c.get("pz", "case_conference", "/v1/subjects/"+ref+"/card")
	}
	if r := card(); r.Status != 200 || !bytes.Contains(r.Body, []byte("SECRET-feedback-withdrawn")) {
		t.Fatalf("the roster member's card before: %d %s", r.Status, r.Body)
	}

	t.Run("withdrawal", func(t *testing.T) {
		del := func(actor, purpose, id string) response {
			return c.send("DELETE", actor, purpose, "/v1/signals/"+id, nil)
		}
		notFound := refusalOf(t, del("ocmw", "signal", unknown))
		for _, tc := range []struct {
			name, actor, purpose, id string
			want                     int
		}{
			{"an unknown id", "ocmw", "signal", unknown, 404},
			{"another actor", "clb", "signal", sig, 404},
			{"the coordinator", "preventie", "signal", sig, 404},
			{"under another purpose", "ocmw", "case_conference", sig, 403},
			{"its submitter", "ocmw", "signal", sig, 204},
			{"again", "ocmw", "signal", sig, 409},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := del(tc.actor, tc.purpose, tc.id)
				if r.Status != tc.want {
					t.Fatalf("got %d %s, want %d", r.Status, r.Body, tc.want)
				}
				if tc.want == 404 && refusalOf(t, r) != notFound {
					t.Fatalf("not the uniform 404: %s", r.Body)
				}
				decision := "deny"
				if tc.want == 204 {
					decision = "allow"
				}
				checkAudited(t, c.b, c.iss, c.livc, r.Header.Get("X-Audit-Id"), "signal.withdraw", decision)
			})
		}
		t.Run("gone from the card, the other record stays", func(t *testing.T) {
			r := card()
			if r.Status != 200 || bytes.Contains(r.Body, []byte("SECRET-feedback-withdrawn")) || !bytes.Contains(r.Body, []byte("SECRET-feedback-kept")) {
				t.Fatalf("card after: %d %s", r.Status, r.Body)
			}
		})
		t.Run("withdrawn in mine and the intake", func(t *testing.T) {
			if s := c.mineState("ocmw", sig); s != "withdrawn" {
				t.Fatalf("mine: %q", s)
			}
			if e := c.entry(sig); e.State != "withdrawn" {
				t.Fatalf("intake: %+v", e)
			}
			if s := c.mineState("ocmw", kept); s != "in_dossier" {
				t.Fatalf("the other signal: %q", s)
			}
		})
		t.Run("its envelope again", func(t *testing.T) {
			if r := c.submit("ocmw", env); r.Status != 409 {
				t.Fatalf("repost: %d %s", r.Status, r.Body)
			}
		})
	})

	t.Run("dismissal", func(t *testing.T) {
		dismiss := func(actor, id string) response {
			return c.send("POST", actor, "case_conference", "/v1/signals/"+id+"/dismissal", []byte(`{"reason":"no follow-up needed"}`))
		}
		for _, tc := range []struct {
			name, actor, id string
			want            int
		}{
			{"not the coordinator", "pz", other, 403},
			{"an unknown id", "preventie", unknown, 404},
			{"a signal in a dossier", "preventie", kept, 409},
			{"the coordinator", "preventie", other, 200},
			{"a second time", "preventie", other, 409},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := dismiss(tc.actor, tc.id)
				if r.Status != tc.want {
					t.Fatalf("got %d %s, want %d", r.Status, r.Body, tc.want)
				}
				decision := "deny"
				if tc.want == 200 {
					decision = "allow"
					if jsonField(t, r.Body, "state") != "dismissed" {
						t.Fatalf("answer %s", r.Body)
					}
				}
				checkAudited(t, c.b, c.iss, c.livc, r.Header.Get("X-Audit-Id"), "signal.dismiss", decision)
			})
		}
		t.Run("the reason is nowhere in the store", func(t *testing.T) {
			for k, v := range dumpRedis(t, c.rs.client(t), func(string) bool { return false }) {
				if strings.Contains(v, "no follow-up needed") {
					t.Fatalf("the reason is stored under %s", k)
				}
			}
		})
		t.Run("dismissed in the intake and mine", func(t *testing.T) {
			if e := c.entry(other); e.State != "dismissed" {
				t.Fatalf("intake: %+v", e)
			}
			if s := c.mineState("clb", other); s != "dismissed" {
				t.Fatalf("mine: %q", s)
			}
		})
		t.Run("a dismissed signal opens no dossier", func(t *testing.T) {
			body := fmt.Sprintf(`{"subject_ref":%q,"signal_ids":[%q],"category":"radicalisation"}`, c.entry(other).SubjectRef, other)
			r := c.send("POST", "preventie", "case_conference", "/v1/cases", []byte(body))
			if r.Status != 422 || jsonField(t, r.Body, "field") != "signal_ids" {
				t.Fatalf("got %d %s, want 422 naming signal_ids", r.Status, r.Body)
			}
			if e := c.entry(other); e.State != "dismissed" || e.CaseID != "" {
				t.Fatalf("intake after the refusal: %+v", e)
			}
		})
	})

	t.Run("an erasure takes a withdrawn signal out of the intake", func(t *testing.T) {
		if r := c.send("DELETE", "preventie", "case_conference", "/v1/subjects/"+ref, nil); r.Status != 204 {
			t.Fatalf("erase: %d %s", r.Status, r.Body)
		}
		for _, e := range intake(t, c.b.URL, c.coord(), "") {
			if e.ID == sig || e.ID == kept || e.SubjectRef == ref {
				t.Fatalf("still in the intake: %+v", e)
			}
		}
		if items, _ := c.mine("ocmw"); len(items) != 0 {
			t.Fatalf("mine of ocmw after the erasure: %v", items)
		}
	})
}
