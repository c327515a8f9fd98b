package e2e

import (
	"slices"
	"strings"
	"testing"
)

// README rule 11: the signaller may correct its own signal. The new signal
// replaces the earlier one everywhere at once (rule 3): the earlier one's
// values leave every card, the new one takes its place in the dossier (and
// its shares), its state shows corrected, and the audit names both.
func TestCorrectSignal(t *testing.T) {
	c := newSubjectsCell(t)
	person := map[string]any{"national_number": validNN("830919", 621)}
	wrong := created(t, c.submit("ocmw", c.signal(person, map[string]any{"signal_text": "SECRET-correct-wrong"})))
	police := created(t, c.submit("pz", c.signal(person, map[string]any{"police_record": "SECRET-correct-police"})))
	ref := c.entry(wrong).SubjectRef
	caseID := c.openDossier(ref, []string{wrong, police}, []string{"ocmw", "pz"})
	if r := c.share("ocmw", wrong, caseID); r.Status != 201 {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	correct := func(actor, id string, subject map[string]any, fields map[string]any) response {
		return c.post(actor, "signal", "/v1/signals/"+id+"/correction", "application/age", c.signal(subject, fields))
	}

	t.Run("only the submitter corrects: anyone else gets the uniform 404", func(t *testing.T) {
		want := correct("ocmw", "sig_"+strings.Repeat("a", 26), person, map[string]any{"signal_text": "x"})
		for _, actor := range []string{"clb", "pz", "preventie"} {
			r := correct(actor, wrong, person, map[string]any{"signal_text": "SECRET-correct-intruder"})
			if r.Status != 404 || !jsonEqualBut(t, r.Body, want.Body, "request_id", "audit_id") {
				t.Errorf("%s corrects ocmw's signal: %d %s, want the uniform 404", actor, r.Status, r.Body)
			}
		}
	})

	t.Run("a correction names the person as the signal did", func(t *testing.T) {
		other := map[string]any{"national_number": validNN("830919", 622)}
		r := correct("ocmw", wrong, other, map[string]any{"signal_text": "SECRET-correct-elsewhere"})
		if r.Status != 422 || !strings.Contains(string(r.Body), `"subject"`) {
			t.Errorf("a correction naming another person: %d %s, want 422 naming subject", r.Status, r.Body)
		}
	})

	var fixed string
	t.Run("the correction replaces the values on the card, audited", func(t *testing.T) {
		r := correct("ocmw", wrong, person, map[string]any{"signal_text": "SECRET-correct-right"})
		fixed = created(t, r)
		e := c.auditOf(r.Header.Get("X-Audit-Id"))
		if e.Action != "signal.correct" || e.Decision != "allow" || !strings.Contains(e.Reason, wrong) || !strings.Contains(e.Reason, "record="+fixed) {
			t.Errorf("the correction is audited as %+v", e)
		}
		card := c.get("pz", "case_conference", "/v1/subjects/"+ref+"/card")
		if card.Status != 200 || strings.Contains(string(card.Body), "SECRET-correct-wrong") || !strings.Contains(string(card.Body), "SECRET-correct-right") {
			t.Fatalf("pz's card after the correction: %d %s", card.Status, card.Body)
		}
		ids, _ := c.cardRecords("pz", ref)
		if slices.Contains(ids, wrong) || !slices.Contains(ids, fixed) {
			t.Errorf("pz's card draws on %v; want %s and not %s", ids, fixed, wrong)
		}
	})

	t.Run("the states show it: corrected, and the new one in the dossier", func(t *testing.T) {
		if s := c.mineState("ocmw", wrong); s != "corrected" {
			t.Errorf("the corrected signal's state %q, want corrected", s)
		}
		if s := c.mineState("ocmw", fixed); s != "in_dossier" {
			t.Errorf("the correction's state %q, want in_dossier", s)
		}
		if e := c.entry(fixed); e.CaseID != caseID {
			t.Errorf("the correction is in dossier %q, want %q", e.CaseID, caseID)
		}
		dump := dumpRedis(t, c.rs.client(t), isAudit)
		for k, v := range dump {
			if strings.Contains(k, ":records") && strings.Contains(v, wrong) {
				t.Errorf("the corrected record is still stored under %s", k)
			}
		}
	})

	t.Run("a corrected signal is not corrected again", func(t *testing.T) {
		if r := correct("ocmw", wrong, person, map[string]any{"signal_text": "SECRET-correct-again"}); r.Status != 409 {
			t.Errorf("correcting a corrected signal: %d %s, want 409", r.Status, r.Body)
		}
	})
	t.Run("store and audit log agree", func(t *testing.T) { checkInvariants(t, c.rs.client(t), c.livc) })
}
