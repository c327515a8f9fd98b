package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// apiRetention is GET /v1/retention?days= as the coordinator's API client
// reads it: expiry by id.
func (w *webCell) apiRetention(t *testing.T, days string) map[string]time.Time {
	t.Helper()
	var page struct {
		Items []struct {
			ID        string
			ExpiresAt time.Time `json:"expires_at"`
		}
	}
	do(t, "GET", w.b.URL+"/v1/retention?days="+days, nil, "Authorization", "Bearer "+w.iss.token(t, "zonnedaal", "preventie"),
		"LIVC-Purpose", "case_conference").json(t, &page)
	out := map[string]time.Time{}
	for _, it := range page.Items {
		out[it.ID] = it.ExpiresAt
	}
	return out
}

func TestWebRetention(t *testing.T) {
	w := startWebCell(t)
	br, tok, caseID := webDossier(t, w)
	waiting := w.submit(t, "clb", `{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-22T09:30:00Z","fields":{"presence":"absent"}}`)
	for _, to := range []string{"formation", "weighing"} {
		if p := br.post("/cases/"+caseID+"/transitions", tok, url.Values{"to": {to}, "reason": {"step"}}); p.Status != 200 {
			t.Fatalf("move to %s: %d %s", to, p.Status, p.Body)
		}
	}
	closeWithOutcome(t, w, br, tok, caseID)
	before := w.apiRetention(t, "36525")
	t.Run("the list", func(t *testing.T) {
		def := br.get("/retention")
		if def.Status != 200 || !strings.Contains(def.Body, `name="days" type="number" min="0" max="36525" step="1" inputmode="numeric" value="30"`) ||
			!strings.Contains(def.Body, "Nothing expires within 30 days.") {
			t.Fatalf("the default listing (30 days): %d %s", def.Status, def.Body)
		}
		p := br.get("/retention?days=36525")
		for _, want := range []string{`id="expiry-` + caseID + `"`, `<a href="/cases/` + caseID + `"><code>` + caseID + `</code></a>`,
			`id="expiry-` + waiting + `"`, "signal without a dossier", "closed dossier",
			"<td>" + before[caseID].In(brussels(t)).Format("02/01/2006") + "</td>",
			`action="/cases/` + caseID + `/review"`} {
			if p.Status != 200 || !strings.Contains(p.Body, want) {
				t.Errorf("the listing (%d) lacks %s", p.Status, want)
			}
		}
		if strings.Contains(p.Body, "85073003328") || strings.Contains(p.Body, "secret-value") {
			t.Error("the listing shows a value")
		}
	})
	t.Run("days refused", func(t *testing.T) {
		if p := br.get("/retention?days=many"); p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "refused: days.") {
			t.Fatalf("days=many: %d %s", p.Status, p.Body)
		}
	})
	t.Run("review without the CSRF token", func(t *testing.T) {
		if p := br.post("/cases/"+caseID+"/review", "", url.Values{"reason": {"still relevant"}}); p.Status != http.StatusForbidden {
			t.Fatalf("no token: %d", p.Status)
		}
		if !w.apiRetention(t, "36525")[caseID].Equal(before[caseID]) {
			t.Fatal("a refused review changed the expiry")
		}
	})
	t.Run("a social worker may not", func(t *testing.T) {
		ocmw := newBrowser(t, w.b.URL)
		ocmw.signIn("ocmw")
		ocmw.lang = "nl"
		if p := ocmw.get("/retention"); p.Status != http.StatusForbidden || !strings.Contains(p.Body, "<h1>Niet mogelijk</h1>") {
			t.Fatalf("ocmw's retention page: %d %s", p.Status, p.Body)
		}
		r := ocmw.post("/cases/"+caseID+"/review", ocmw.csrf("/"), url.Values{"reason": {"keep"}})
		if r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
			t.Fatalf("ocmw reviews: %d %s", r.Status, r.Body)
		}
		if !w.apiRetention(t, "36525")[caseID].Equal(before[caseID]) {
			t.Fatal("a refused review changed the expiry")
		}
	})
	t.Run("review", func(t *testing.T) {
		p := br.post("/cases/"+caseID+"/review", tok, url.Values{"reason": {"still relevant"}})
		if p.Status != 200 || br.hops[0].Header.Get("Location") != "/retention" {
			t.Fatalf("review: %d %s", p.Status, p.Body)
		}
		if after := w.apiRetention(t, "36525")[caseID]; !after.After(before[caseID]) {
			t.Fatalf("the review kept the expiry at %v (was %v)", after, before[caseID])
		}
	})
	t.Run("the dossier page offers the review", func(t *testing.T) {
		if p := br.get("/cases/" + caseID); !strings.Contains(p.Body, `id="review-h"`) || !strings.Contains(p.Body, `id="review-reason"`) {
			t.Fatalf("the closed dossier's page: %d", p.Status)
		}
	})
}

func brussels(t *testing.T) *time.Location {
	l, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// closeWithOutcome closes a dossier in weighing through the transition
// form, with an outcome from the form's select: one of another move's is
// refused first, naming outcome, and nothing moves.
func closeWithOutcome(t *testing.T, w *webCell, br *browser, tok, caseID string) {
	t.Helper()
	form := br.get("/cases/" + caseID)
	for _, want := range []string{`<select id="move-outcome" name="outcome">`, `<option value="">Not recorded</option>`,
		`<optgroup label="Moving to approach">`, `<option value="concern_confirmed">concern confirmed</option>`,
		`<option value="no_concern">no concern</option>`} {
		if !strings.Contains(form.Body, want) {
			t.Errorf("the transition form lacks %s", want)
		}
	}
	p := br.post("/cases/"+caseID+"/transitions", tok, url.Values{"to": {"closed"}, "reason": {"done"}, "outcome": {"concern_confirmed"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "refused: outcome.") {
		t.Fatalf("another move's outcome: %d %s", p.Status, p.Body)
	}
	p = br.post("/cases/"+caseID+"/transitions", tok, url.Values{"to": {"closed"}, "reason": {"done"}, "outcome": {"no_concern"}})
	if p.Status != 200 || !strings.Contains(p.Body, "closed · no concern · done") {
		t.Fatalf("close with an outcome: %d %s", p.Status, p.Body)
	}
	var k struct {
		State   string
		History []struct{ To, Outcome string }
	}
	do(t, "GET", w.b.URL+"/v1/cases/"+caseID, nil, "Authorization", "Bearer "+w.iss.token(t, "zonnedaal", "preventie"),
		"LIVC-Purpose", "case_conference").json(t, &k)
	if n := len(k.History); k.State != "closed" || n == 0 || k.History[n-1].Outcome != "no_concern" {
		t.Fatalf("the dossier by the API: %+v", k)
	}
}
