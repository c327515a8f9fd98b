package e2e

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// The coordinator's case conference minutes on a dossier's page and what
// expires soon, end to end: the pages call the same use cases as
// /v1/cases/{id}/meetings, /v1/retention and /v1/cases/{id}/review, and the
// API sees what the pages did (or, refused, that nothing was).

var reSubjectRef = regexp.MustCompile(`name="subject_ref" value="([^"]+)"`)

// webDossier has the coordinator take a new signal into a new dossier with
// roster ocmw and pz, through the pages; it returns the coordinator's
// browser (in English), its CSRF token and the dossier's id.
func webDossier(t *testing.T, w *webCell) (*browser, string, string) {
	t.Helper()
	sig := w.submit(t, "ocmw", `{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"signal_text":"secret-value-one"}}`)
	br := newBrowser(t, w.b.URL)
	br.signIn("preventie")
	br.lang = "en"
	tok := br.csrf("/intake")
	ref := "" // the intake's hidden subject_ref of sig
	in := br.get("/intake")
	if i := strings.Index(in.Body, `id="signal-`+sig+`"`); i >= 0 {
		if m := reSubjectRef.FindStringSubmatch(in.Body[i:]); m != nil {
			ref = m[1]
		}
	}
	br.post("/intake/"+sig+"/take", tok, url.Values{"case": {"new"}, "subject_ref": {ref}, "category": {"radicalisation"}})
	m := reCaseLink.FindStringSubmatch(br.hops[0].Header.Get("Location"))
	if m == nil {
		t.Fatalf("take: %d %s", br.hops[0].Status, br.hops[len(br.hops)-1].Body)
	}
	if p := br.post("/cases/"+m[1]+"/roster", tok, url.Values{"actor": {"ocmw", "pz"}}); p.Status != 200 {
		t.Fatalf("roster: %d %s", p.Status, p.Body)
	}
	return br, tok, m[1]
}

// apiMeetings is the dossier's minutes as the API lists them.
func (w *webCell) apiMeetings(t *testing.T, caseID string) []struct {
	HeldAt    time.Time `json:"held_at"`
	Attendees []string
	Decisions []struct{ Text, Actor, Due string }
} {
	t.Helper()
	var page struct {
		Items []struct {
			HeldAt    time.Time `json:"held_at"`
			Attendees []string
			Decisions []struct{ Text, Actor, Due string }
		}
	}
	do(t, "GET", w.b.URL+"/v1/cases/"+caseID+"/meetings", nil, "Authorization", "Bearer "+w.iss.token(t, "zonnedaal", "preventie"),
		"LIVC-Purpose", "case_conference").json(t, &page)
	return page.Items
}

func TestWebMinutes(t *testing.T) {
	w := startWebCell(t)
	br, tok, caseID := webDossier(t, w)
	brussels, _ := time.LoadLocation("Europe/Brussels")
	held := time.Now().In(brussels).Add(-26 * time.Hour).Truncate(time.Minute)
	due := time.Now().AddDate(0, 0, 14).Format(time.DateOnly)
	good := url.Values{"held_at": {held.Format("2006-01-02T15:04")}, "attendee": {"ocmw", "pz"},
		"decision_text_0": {"call the school"}, "decision_actor_0": {"ocmw"}, "decision_due_0": {due},
		"decision_text_1": {""}, "decision_actor_1": {"ocmw"}, "decision_due_1": {""}}
	t.Run("the form", func(t *testing.T) {
		p := br.get("/cases/" + caseID)
		for _, want := range []string{`id="minutes-h"`, "No case conference recorded yet.", `action="/cases/` + caseID + `/meetings"`,
			`name="held_at" type="datetime-local"`, `id="attendee-ocmw" name="attendee" value="ocmw"`, `name="decision_text_2"`,
			`<select id="decision-actor-0" name="decision_actor_0"><option value="ocmw">`, `name="decision_due_0" type="date"`} {
			if !strings.Contains(p.Body, want) {
				t.Errorf("the dossier's page lacks %s", want)
			}
		}
		if strings.Contains(p.Body, `id="attendee-clb"`) {
			t.Error("the form offers an attendee off the roster")
		}
	})
	t.Run("without the CSRF token", func(t *testing.T) {
		if p := br.post("/cases/"+caseID+"/meetings", "", good); p.Status != http.StatusForbidden {
			t.Fatalf("no token: %d", p.Status)
		}
		if got := w.apiMeetings(t, caseID); len(got) != 0 {
			t.Fatalf("a refused form recorded %v", got)
		}
	})
	refused := []struct {
		name, field string
		change      url.Values
	}{
		{"an attendee off the roster", "attendees", url.Values{"attendee": {"ocmw", "clb"}}},
		{"no attendee", "attendees", url.Values{"attendee": nil}},
		{"a time that is no time", "held_at", url.Values{"held_at": {"yesterday"}}},
		{"a decision without a due date", "decisions[0].due", url.Values{"decision_due_0": {""}}},
		{"a decision without text", "decisions[0].text", url.Values{"decision_text_0": {""}}},
		{"an owner off the roster", "decisions", url.Values{"decision_actor_0": {"clb"}}},
	}
	for _, c := range refused {
		t.Run("refuses "+c.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range good {
				form[k] = v
			}
			for k, v := range c.change {
				form[k] = v
			}
			p := br.post("/cases/"+caseID+"/meetings", tok, form)
			if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, `id="minutes-error"`) ||
				!strings.Contains(p.Body, "A value was refused: "+c.field+". Nothing was stored.") ||
				!strings.Contains(p.Body, `id="minutes-form"`) {
				t.Fatalf("%s: %d %s", c.name, p.Status, p.Body)
			}
			if got := w.apiMeetings(t, caseID); len(got) != 0 {
				t.Fatalf("a refused form recorded %v", got)
			}
			// What was typed is shown again, to be corrected.
			for k, want := range map[string]string{"decision_text_0": `name="decision_text_0" type="text" maxlength="2000" value="`,
				"decision_due_0": `name="decision_due_0" type="date" value="`, "held_at": `type="datetime-local" required value="`} {
				if !strings.Contains(p.Body, want+form.Get(k)+`"`) {
					t.Errorf("the refused form does not show %s as typed", k)
				}
			}
			if slices.Contains(form["attendee"], "pz") && !strings.Contains(p.Body, `value="pz" checked`) {
				t.Error("the refused form does not keep the attendees ticked")
			}
		})
	}
	t.Run("records", func(t *testing.T) {
		p := br.post("/cases/"+caseID+"/meetings", tok, good)
		dueBE := due[8:10] + "/" + due[5:7] + "/" + due[0:4]
		for _, want := range []string{"Case conference of " + held.Format("02/01/2006 15:04"), "call the school",
			"<td>" + dueBE + "</td>", "Present: OCMW"} {
			if p.Status != 200 || !strings.Contains(p.Body, want) {
				t.Errorf("the minutes' page (%d) lacks %q", p.Status, want)
			}
		}
		got := w.apiMeetings(t, caseID)
		if len(got) != 1 || !got[0].HeldAt.Equal(held) || strings.Join(got[0].Attendees, ",") != "ocmw,pz" ||
			len(got[0].Decisions) != 1 || got[0].Decisions[0].Text != "call the school" ||
			got[0].Decisions[0].Actor != "ocmw" || got[0].Decisions[0].Due != due {
			t.Fatalf("the API lists %+v", got)
		}
	})
	t.Run("a roster member reads them and may not record", func(t *testing.T) {
		ocmw := newBrowser(t, w.b.URL)
		ocmw.signIn("ocmw")
		ocmw.lang = "fr"
		p := ocmw.get("/cases/" + caseID)
		if p.Status != 200 || !strings.Contains(p.Body, "call the school") || strings.Contains(p.Body, `id="minutes-form"`) {
			t.Fatalf("ocmw's dossier page: %d %s", p.Status, p.Body)
		}
		r := ocmw.post("/cases/"+caseID+"/meetings", reCSRF.FindStringSubmatch(p.Body)[1], good)
		if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Vous ne pouvez pas") {
			t.Fatalf("ocmw records minutes: %d %s", r.Status, r.Body)
		}
		if got := w.apiMeetings(t, caseID); len(got) != 1 {
			t.Fatalf("a refused member recorded: %d meetings", len(got))
		}
	})
}
