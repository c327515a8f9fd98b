package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebPurposeChoice: a dossier and the dossier list may be read under
// case_conference or prioritisation. ocmw sits at the operational and the
// tactical table, so its header offers both; under prioritisation it sees a
// dossier whose roster it is not on (the tactical table sees every
// dossier), without the roster's forms or minutes. A purpose the page does
// not take is refused before any request; one the actor may not use is the
// pipeline's refusal.
func TestWebPurposeChoice(t *testing.T) {
	w := startWebCell(t)
	co, tok, caseID := webDossier(t, w)
	if p := co.post("/cases/"+caseID+"/roster", tok, url.Values{"actor": {"pz"}}); p.Status != 200 {
		t.Fatalf("roster: %d", p.Status)
	}
	ocmw := newBrowser(t, w.b.URL)
	ocmw.signIn("ocmw")
	ocmw.lang = "en"
	t.Run("the header offers the purposes", func(t *testing.T) {
		p := ocmw.get("/cases")
		for _, want := range []string{`<select id="purpose-choice" name="purpose">`,
			`<option value="case_conference" selected>case conference</option>`, `<option value="prioritisation">prioritisation</option>`,
			`<form class="purpose purpose-choice" method="get" action="/cases">`} {
			if p.Status != 200 || !strings.Contains(p.Body, want) {
				t.Errorf("ocmw's dossiers (%d) lack %s", p.Status, want)
			}
		}
		if strings.Contains(p.Body, caseID) {
			t.Error("under case_conference ocmw sees a dossier it is not on the roster of")
		}
	})
	t.Run("prioritisation", func(t *testing.T) {
		p := ocmw.get("/cases?purpose=prioritisation")
		if p.Status != 200 || !strings.Contains(p.Body, `<option value="prioritisation" selected>`) ||
			!strings.Contains(p.Body, `<a href="/cases/`+caseID+`?purpose=prioritisation">`) {
			t.Fatalf("ocmw's dossiers under prioritisation: %d %s", p.Status, p.Body)
		}
		d := ocmw.get("/cases/" + caseID + "?purpose=prioritisation")
		if d.Status != 200 || !strings.Contains(d.Body, `id="case-state"`) || strings.Contains(d.Body, `id="minutes-h"`) ||
			strings.Contains(d.Body, `action="/cases/`+caseID+`/roster"`) {
			t.Fatalf("the dossier under prioritisation: %d %s", d.Status, d.Body)
		}
		if !strings.Contains(p.Body, `href="/lang/fr?next=%2Fcases%3Fpurpose%3Dprioritisation"`) {
			t.Error("the language switcher does not keep the purpose chosen")
		}
		if d := ocmw.get("/cases/" + caseID); d.Status != http.StatusNotFound {
			t.Fatalf("the dossier under case_conference, off its roster: %d", d.Status)
		}
	})
	t.Run("a purpose the page does not take", func(t *testing.T) {
		if p := ocmw.get("/cases?purpose=signal"); p.Status != http.StatusBadRequest {
			t.Fatalf("?purpose=signal: %d", p.Status)
		}
	})
	t.Run("a purpose the actor may not use", func(t *testing.T) {
		dpo := newBrowser(t, w.b.URL)
		dpo.signIn("dpo")
		dpo.lang = "en"
		p := dpo.get("/cases?purpose=prioritisation")
		if p.Status != http.StatusForbidden || strings.Contains(p.Body, `id="purpose-choice"`) {
			t.Fatalf("dpo under prioritisation: %d %s", p.Status, p.Body)
		}
	})
	t.Run("a page of one purpose offers none", func(t *testing.T) {
		if p := co.get("/intake"); strings.Contains(p.Body, `id="purpose-choice"`) || !strings.Contains(p.Body, `<p class="purpose">`) {
			t.Fatalf("the intake's header: %s", p.Body)
		}
	})
}
