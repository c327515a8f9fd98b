package e2e

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The social worker's and the coordinator's pages, end to end: a signal
// sent by the form's route as an age envelope, seen in "my signals", taken
// by the coordinator from the intake into a new dossier, a second one into
// that dossier, its roster set and its state moved, all through the pages.

// TestWebSubmission: POST /signals takes application/age only.
func TestWebSubmission(t *testing.T) {
	w := startWebCell(t)
	br := newBrowser(t, w.b.URL)
	br.signIn("ocmw")
	form := br.get("/signals/new")
	tok := reCSRF.FindStringSubmatch(form.Body)[1]
	t.Run("the form", func(t *testing.T) {
		for _, want := range []string{`<form id="signal-form"`, `data-endpoint="/signals"`, `data-csrf="` + tok + `"`,
			`data-recipient="age1pq1`, `name="subject.national_number"`, `data-type="national_number"`,
			`name="fields.presence" data-type="enum" data-class="presence"`, `<option value="absent">`,
			`name="fields.school_absence_days" type="number" step="1" inputmode="numeric" data-type="integer" data-class="social" min="0" max="366"`,
			`maxlength="4000"`, `name="observed_at"`, `<script type="module" src="/static/signal.js">`} {
			if !strings.Contains(form.Body, want) {
				t.Errorf("the form lacks %s", want)
			}
		}
	})
	plain := []byte(`{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"signal_text":"a secret worry"}}`)
	for _, c := range []struct{ name, ctype string }{
		{"json", "application/json"}, {"form", "application/x-www-form-urlencoded"}, {"text", "text/plain"}, {"none", ""},
	} {
		t.Run("refuses "+c.name, func(t *testing.T) {
			p := br.send("POST", br.url("/signals"), bytes.NewReader(plain), "Content-Type", c.ctype, "X-CSRF-Token", tok)
			if p.Status != http.StatusUnsupportedMediaType {
				t.Fatalf("POST /signals as %q: %d %s", c.ctype, p.Status, p.Body)
			}
		})
	}
	if got := w.mineStates(t, "ocmw"); len(got) != 0 {
		t.Fatalf("refused submissions stored %v", got)
	}
	t.Run("an age envelope", func(t *testing.T) {
		p := br.send("POST", br.url("/signals"), bytes.NewReader(seal(t, w.recip, plain)),
			"Content-Type", "application/age", "X-CSRF-Token", tok)
		var ans struct{ ID, Next string }
		answerJSON(t, p, &ans)
		if p.Status != http.StatusCreated || ans.Next != "/signals/mine" || ans.ID == "" {
			t.Fatalf("POST /signals: %d %s", p.Status, p.Body)
		}
		mine := br.get(ans.Next)
		if !strings.Contains(mine.Body, `id="signal-`+ans.ID+`"`) || !strings.Contains(mine.Body, "state-received") {
			t.Fatalf("my signals does not show %s: %s", ans.ID, mine.Body)
		}
		checkSecurityHeaders(t, p)
	})
	t.Run("a refused envelope answers problem+json", func(t *testing.T) {
		bad := []byte(`{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"nope":1}}`)
		p := br.send("POST", br.url("/signals"), bytes.NewReader(seal(t, w.recip, bad)),
			"Content-Type", "application/age", "X-CSRF-Token", tok)
		if p.Status != http.StatusUnprocessableEntity || p.Header.Get("Content-Type") != "application/problem+json" ||
			!strings.Contains(p.Body, `"field":"fields.nope"`) {
			t.Fatalf("a refused signal: %d %s", p.Status, p.Body)
		}
	})
}

var reCaseLink = regexp.MustCompile(`/cases/(case_[a-z2-7]+)`)

func TestWebCoordinatorTakesSignal(t *testing.T) {
	w := startWebCell(t)
	first := w.submit(t, "ocmw", `{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"signal_text":"secret-value-one"}}`)
	second := w.submit(t, "pz", `{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-21T09:30:00Z","fields":{"police_record":"secret-value-two"}}`)
	third := w.submit(t, "clb", `{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-22T09:30:00Z","fields":{"presence":"absent"}}`)
	br := newBrowser(t, w.b.URL)
	br.signIn("preventie")
	br.lang = "en"
	intake := br.get("/intake")
	ref := regexp.MustCompile(`name="subject_ref" value="([^"]+)"`).FindStringSubmatch(intake.Body)
	if intake.Status != 200 || ref == nil || !strings.Contains(intake.Body, `id="signal-`+first+`"`) {
		t.Fatalf("the intake: %d %s", intake.Status, intake.Body)
	}
	if strings.Contains(intake.Body, "secret-value") || strings.Contains(intake.Body, "85073003328") {
		t.Fatalf("the intake shows a value")
	}
	tok := reCSRF.FindStringSubmatch(intake.Body)[1]
	var caseID string
	t.Run("take into a new dossier", func(t *testing.T) {
		p := br.post("/intake/"+first+"/take", tok, url.Values{"case": {"new"}, "subject_ref": {ref[1]}, "category": {"radicalisation"}})
		m := reCaseLink.FindStringSubmatch(br.hops[0].Header.Get("Location"))
		if p.Status != 200 || m == nil || !strings.Contains(p.Body, `id="case-state">registration<`) {
			t.Fatalf("take: %d %v %s", p.Status, br.hops[0].Header, p.Body)
		}
		caseID = m[1]
	})
	t.Run("take into the existing dossier", func(t *testing.T) {
		in := br.get("/intake")
		if !strings.Contains(in.Body, `<option value="`+caseID+`">`) {
			t.Fatalf("the intake does not offer the open dossier: %s", in.Body)
		}
		if p := br.post("/intake/"+second+"/take", tok, url.Values{"case": {caseID}}); p.Status != 200 {
			t.Fatalf("take into %s: %d %s", caseID, p.Status, p.Body)
		}
	})
	t.Run("dismiss", func(t *testing.T) {
		if p := br.post("/intake/"+third+"/dismiss", tok, url.Values{"reason": {"not a concern"}}); p.Status != 200 {
			t.Fatalf("dismiss: %d %s", p.Status, p.Body)
		}
	})
	t.Run("roster and transition", func(t *testing.T) {
		if p := br.post("/cases/"+caseID+"/roster", tok, url.Values{"actor": {"ocmw", "pz"}}); p.Status != 200 ||
			!strings.Contains(p.Body, `id="roster-pz" name="actor" value="pz" checked`) {
			t.Fatalf("roster: %d %s", p.Status, p.Body)
		}
		if p := br.post("/cases/"+caseID+"/transitions", tok, url.Values{"to": {"formation"}, "reason": {"confirmed"}}); p.Status != 200 ||
			!strings.Contains(p.Body, `id="case-state">formation<`) {
			t.Fatalf("transition: %d %s", p.Status, p.Body)
		}
		if p := br.post("/cases/"+caseID+"/transitions", tok, url.Values{"to": {"closed"}, "reason": {"x"}}); p.Status != http.StatusConflict {
			t.Fatalf("a move the lifecycle does not have: %d", p.Status)
		}
	})
	t.Run("what the API sees", func(t *testing.T) {
		var page struct {
			Items []struct {
				ID, State string
				CaseID    string `json:"case_id"`
			}
		}
		do(t, "GET", w.b.URL+"/v1/signals", nil, "Authorization", "Bearer "+w.iss.token(t, "zonnedaal", "preventie"),
			"LIVC-Purpose", "case_conference").json(t, &page)
		want := map[string]string{first: "in_dossier", second: "in_dossier", third: "dismissed"}
		for _, it := range page.Items {
			if it.State != want[it.ID] || (it.State == "in_dossier" && it.CaseID != caseID) {
				t.Errorf("signal %s: %s in %q", it.ID, it.State, it.CaseID)
			}
		}
		var k struct {
			State  string
			Roster []string
		}
		do(t, "GET", w.b.URL+"/v1/cases/"+caseID, nil, "Authorization", "Bearer "+w.iss.token(t, "zonnedaal", "preventie"),
			"LIVC-Purpose", "case_conference").json(t, &k)
		if k.State != "formation" || strings.Join(k.Roster, ",") != "ocmw,pz" {
			t.Fatalf("the dossier by the API: %+v", k)
		}
	})
	t.Run("a social worker may not", func(t *testing.T) {
		ocmw := newBrowser(t, w.b.URL)
		ocmw.signIn("ocmw")
		if p := ocmw.get("/intake"); p.Status != http.StatusForbidden {
			t.Fatalf("ocmw's intake: %d", p.Status)
		}
	})
}
