package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// README rule 8: information reaches a case conference by a deliberate act.
// A signal reaches a dossier's roster only once the coordinator takes it
// into the dossier; a record of an actor type under secrecy (the example's
// socio_preventive: ocmw, clb) only once its submitter also shares it with
// that dossier (POST /v1/signals/{id}/shares); an observation about a person
// with an open dossier goes to that dossier directly, under the same rule.

// cardRecords reads ref's card as actor under case_conference: the ids of
// the records its values come from, and the answer.
func (c *subjectsCell) cardRecords(actor, ref string) ([]string, response) {
	c.t.Helper()
	r := c.get(actor, "case_conference", "/v1/subjects/"+ref+"/card")
	if r.Status != 200 {
		return nil, r
	}
	var card struct {
		Fields map[string][]struct{ Record string } `json:"fields"`
	}
	r.json(c.t, &card)
	var ids []string
	for _, vals := range card.Fields {
		for _, v := range vals {
			if !slices.Contains(ids, v.Record) {
				ids = append(ids, v.Record)
			}
		}
	}
	slices.Sort(ids)
	return ids, r
}

// observe records fields about ref as actor; the observation's id.
func (c *subjectsCell) observe(actor, ref string, fields map[string]any) string {
	c.t.Helper()
	plain, err := json.Marshal(map[string]any{"observed_at": "2026-11-21T10:00:00Z", "fields": fields})
	must(c.t, err)
	r := c.post(actor, "signal", "/v1/subjects/"+ref+"/observations", "application/age", seal(c.t, c.recip, plain))
	return created(c.t, r)
}

// share asks actor to share record id with dossier caseID.
func (c *subjectsCell) share(actor, id, caseID string) response {
	b, _ := json.Marshal(map[string]string{"case_id": caseID})
	return c.send("POST", actor, "case_conference", "/v1/signals/"+id+"/shares", b)
}

// openDossier registers a dossier about ref from signals and sets roster.
func (c *subjectsCell) openDossier(ref string, signals, roster []string) string {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"subject_ref": ref, "signal_ids": signals, "category": "radicalisation"})
	r := c.post("preventie", "case_conference", "/v1/cases", "application/json", body)
	if r.Status != 201 {
		c.t.Fatalf("dossier: %d %s", r.Status, r.Body)
	}
	id := jsonField(c.t, r.Body, "id")
	b, _ := json.Marshal(map[string]any{"actors": roster})
	if r := c.send("PUT", "preventie", "case_conference", "/v1/cases/"+id+"/roster", b); r.Status != 200 {
		c.t.Fatalf("roster: %d %s", r.Status, r.Body)
	}
	return id
}

// auditOf is the entry of audit id, as the privacy officer reads it.
func (c *subjectsCell) auditOf(id string) auditEntry {
	c.t.Helper()
	var page struct {
		Items []struct {
			auditEntry
			Record string `json:"record"`
		}
	}
	c.get("dpo", "audit_review", "/v1/audit?limit=1000&order=desc").json(c.t, &page)
	for _, e := range page.Items {
		if e.ID == id {
			e.auditEntry.Reason += " record=" + e.Record
			return e.auditEntry
		}
	}
	c.t.Fatalf("audit entry %q not found", id)
	return auditEntry{}
}

func TestRosterGetsOnlyWhatWasTakenAndShared(t *testing.T) {
	c := newSubjectsCell(t)
	person := map[string]any{"national_number": validNN("880214", 611)}
	police := created(t, c.submit("pz", c.signal(person, map[string]any{"police_record": "SECRET-share-police"})))
	youth := created(t, c.submit("jeugddienst", c.signal(person, map[string]any{"guidance_trajectory": "SECRET-share-youth"})))
	social := created(t, c.submit("ocmw", c.signal(person, map[string]any{"signal_text": "SECRET-share-social"})))
	later := created(t, c.submit("ocmw", c.signal(person, map[string]any{"family_situation": "SECRET-share-later"})))
	ref := c.entry(police).SubjectRef
	before := c.observe("vsse", ref, map[string]any{"presence": "absent"}) // before any dossier
	caseID := c.openDossier(ref, []string{police, social}, []string{"ocmw", "pz"})

	t.Run("a signal not taken into the dossier is not on the roster's card", func(t *testing.T) {
		ids, r := c.cardRecords("pz", ref)
		if r.Status != 200 || !slices.Contains(ids, police) || slices.Contains(ids, youth) || slices.Contains(ids, before) {
			t.Fatalf("pz's card draws on %v (%d %s); want %s and neither %s (not taken) nor %s (observed before the dossier)",
				ids, r.Status, r.Body, police, youth, before)
		}
		b, _ := json.Marshal(map[string]any{"signal_ids": []string{youth}})
		if r := c.send("POST", "preventie", "case_conference", "/v1/cases/"+caseID+"/signals", b); r.Status != 200 {
			t.Fatalf("take: %d %s", r.Status, r.Body)
		}
		if ids, _ := c.cardRecords("pz", ref); !slices.Contains(ids, youth) {
			t.Fatalf("taken into the dossier, %s is still not on pz's card: %v", youth, ids)
		}
	})

	t.Run("a secrecy record reaches the roster only once shared", func(t *testing.T) {
		if ids, _ := c.cardRecords("pz", ref); slices.Contains(ids, social) {
			t.Fatalf("ocmw's signal is on pz's card before ocmw shared it: %v", ids)
		}
		if ids, _ := c.cardRecords("ocmw", ref); !slices.Contains(ids, social) {
			t.Fatalf("ocmw's own signal is not on its own card: %v", ids)
		}
		r := c.share("ocmw", social, caseID)
		if r.Status != 201 {
			t.Fatalf("ocmw shares: %d %s", r.Status, r.Body)
		}
		e := c.auditOf(r.Header.Get("X-Audit-Id"))
		if e.Action != "signal.share" || e.Decision != "allow" || e.CaseID != caseID || !strings.Contains(e.Reason, "record="+social) {
			t.Errorf("the share is audited as %+v", e)
		}
		ids, _ := c.cardRecords("pz", ref)
		if !slices.Contains(ids, social) {
			t.Fatalf("shared, ocmw's signal is still not on pz's card: %v", ids)
		}
		if again := c.share("ocmw", social, caseID); again.Status != 200 {
			t.Errorf("sharing again: %d %s, want 200", again.Status, again.Body)
		}
	})

	t.Run("an observation goes to the open dossier's roster, under the secrecy rule", func(t *testing.T) {
		seen := c.observe("unizo", ref, map[string]any{"presence": "present"})
		secret := c.observe("clb", ref, map[string]any{"school_absence_days": 9})
		ids, _ := c.cardRecords("pz", ref)
		if !slices.Contains(ids, seen) || slices.Contains(ids, secret) {
			t.Fatalf("pz's card draws on %v; want %s (unizo's observation) and not %s (clb's, unshared)", ids, seen, secret)
		}
		if r := c.share("clb", secret, caseID); r.Status != 404 {
			t.Errorf("clb, off the roster, shares: %d %s, want the uniform 404", r.Status, r.Body)
		}
		b, _ := json.Marshal(map[string]any{"actors": []string{"ocmw", "pz", "clb"}})
		if r := c.send("PUT", "preventie", "case_conference", "/v1/cases/"+caseID+"/roster", b); r.Status != 200 {
			t.Fatalf("roster: %d %s", r.Status, r.Body)
		}
		if r := c.share("clb", secret, caseID); r.Status != 201 {
			t.Fatalf("clb shares its observation: %d %s", r.Status, r.Body)
		}
		if ids, _ := c.cardRecords("pz", ref); !slices.Contains(ids, secret) {
			t.Fatalf("shared, clb's observation is still not on pz's card: %v", ids)
		}
	})

	t.Run("a share reaches that dossier's roster only", func(t *testing.T) {
		fresh := created(t, c.submit("pz", c.signal(person, map[string]any{"police_record": "SECRET-share-second"})))
		c.openDossier(ref, []string{fresh}, []string{"vsse"})
		ids, r := c.cardRecords("vsse", ref)
		if r.Status != 200 || !slices.Contains(ids, fresh) || slices.Contains(ids, social) || slices.Contains(ids, police) {
			t.Fatalf("vsse, on a second dossier's roster, draws on %v (%d %s); want %s and neither %s (shared with the first) nor %s",
				ids, r.Status, r.Body, fresh, social, police)
		}
	})

	t.Run("a share by another actor, or with a dossier one may not see, is the uniform 404", func(t *testing.T) {
		unknown := "case_" + strings.Repeat("z", 26)
		want := c.share("pz", "sig_"+strings.Repeat("a", 26), caseID)
		for name, r := range map[string]response{
			"pz shares ocmw's signal":          c.share("pz", social, caseID),
			"jeugddienst shares ocmw's signal": c.share("jeugddienst", social, caseID),
			"ocmw shares with an unknown one":  c.share("ocmw", social, unknown),
			"vsse shares its observation":      c.share("vsse", before, caseID), // off the roster
		} {
			if r.Status != 404 || !jsonEqualBut(t, r.Body, want.Body, "request_id", "audit_id") {
				t.Errorf("%s: %d %s, want the uniform 404 %s", name, r.Status, r.Body, want.Body)
			}
		}
		if r := c.share("ocmw", later, caseID); r.Status != 409 {
			t.Errorf("a signal in no dossier yet: %d %s, want 409", r.Status, r.Body)
		}
		if r := c.send("POST", "ocmw", "signal", "/v1/signals/"+social+"/shares", []byte(`{"case_id":"`+caseID+`"}`)); r.Status != 403 {
			t.Errorf("under signal: %d %s, want 403", r.Status, r.Body)
		}
		if r := c.send("POST", "ocmw", "case_conference", "/v1/signals/"+social+"/shares", []byte(`{"case":"x"}`)); r.Status != 422 {
			t.Errorf("a body without case_id: %d %s, want 422", r.Status, r.Body)
		}
	})

	t.Run("a share with a dossier the signal is not in is 422 naming case_id", func(t *testing.T) {
		other := map[string]any{"national_number": validNN("910305", 612)}
		theirs := created(t, c.submit("pz", c.signal(other, map[string]any{"police_record": "SECRET-share-other"})))
		otherCase := c.openDossier(c.entry(theirs).SubjectRef, []string{theirs}, []string{"ocmw", "pz"})
		r := c.share("ocmw", social, otherCase)
		if r.Status != 422 || !strings.Contains(string(r.Body), `"case_id"`) {
			t.Errorf("ocmw shares its signal with another dossier: %d %s, want 422 naming case_id", r.Status, r.Body)
		}
	})

	t.Run("the card's audit entry names the records it drew on", func(t *testing.T) {
		ids, r := c.cardRecords("pz", ref)
		e := c.auditOf(r.Header.Get("X-Audit-Id"))
		for _, id := range ids {
			if !strings.Contains(e.Reason, id) {
				t.Errorf("the card's audit entry does not name %s: %q", id, e.Reason)
			}
		}
		for _, id := range []string{later, before} {
			if strings.Contains(e.Reason, id) {
				t.Errorf("the card's audit entry names %s, which it did not draw on: %q", id, e.Reason)
			}
		}
		if strings.Contains(e.Reason, "SECRET") {
			t.Errorf("the audit entry holds a value: %q", e.Reason)
		}
	})
}

// takeAllAndShare makes every signal of the story reach dossier id's
// roster, as a cell works: the coordinator takes in those openCase did not,
// and each actor under secrecy on the roster shares its own.
func (w *world) takeAllAndShare(t *testing.T, id string, roster []string) {
	t.Helper()
	var rest []string
	for _, s := range story {
		if s.actor != "ocmw" && s.actor != "clb" { // openCase registered the dossier with these
			rest = append(rest, w.signals[s.actor])
		}
	}
	b, _ := json.Marshal(map[string]any{"signal_ids": rest})
	if r := w.send("POST", "preventie", "case_conference", "/v1/cases/"+id+"/signals", "application/json", b); r.Status != 200 {
		t.Fatalf("the coordinator takes the story's signals: %d %s", r.Status, r.Body)
	}
	for _, a := range roster {
		if slices.Contains(w.model.Secrecy, w.model.actorType(a)) && w.signals[a] != "" {
			b, _ := json.Marshal(map[string]string{"case_id": id})
			if r := w.send("POST", a, "case_conference", "/v1/signals/"+w.signals[a]+"/shares", "application/json", b); r.Status != 201 {
				t.Fatalf("%s shares its signal: %d %s", a, r.Status, r.Body)
			}
		}
	}
}

// submitFresh submits one more signal of actor about the story's person.
func (w *world) submitFresh(t *testing.T, actor string, fields map[string]any) string {
	t.Helper()
	plain, err := json.Marshal(map[string]any{"subject": nnSubject, "observed_at": "2026-11-22T09:30:00Z", "fields": fields})
	must(t, err)
	r := w.send("POST", actor, "signal", "/v1/signals", "application/age", seal(t, w.recip, plain))
	if r.Status != 201 {
		t.Fatalf("%s submits: %d %s", actor, r.Status, r.Body)
	}
	return jsonField(t, r.Body, "id")
}
