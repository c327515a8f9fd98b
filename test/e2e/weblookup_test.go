package e2e

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebLookupAndTables drives the lookup, "dossiers I'm on" and the
// strategic table over HTTP against the real broker: the lookup takes an
// age envelope only (a form post 403, another media type 415, before the
// use case reads anything), answers a hit with the card's path and a
// no-hit with nothing else; "dossiers I'm on" lists a dossier to its
// roster only; the strategic table is for the strategic table's actors.
func TestWebLookupAndTables(t *testing.T) {
	w := startWebCell(t)
	caseID, ref := w.memberCase(t, "pz")
	pz := newBrowser(t, w.b.URL)
	pz.signIn("pz")
	pz.lang = "en"
	form := pz.get("/lookup")
	if form.Status != 200 || !strings.Contains(form.Body, `id="lookup-form"`) || !strings.Contains(form.Body, `data-recipient="age1pq1`) {
		t.Fatalf("the lookup page: %d %s", form.Status, form.Body)
	}
	checkSecurityHeaders(t, form)
	csrf := pz.csrf("/lookup")
	ask := func(ct string, body []byte) page {
		return pz.send("POST", pz.url("/lookup"), bytes.NewReader(body), "Content-Type", ct, "X-CSRF-Token", csrf)
	}
	known := []byte(`{"subject":{"national_number":"85073003328"}}`)
	cases := []struct {
		name   string
		send   func() page
		status int
		body   string
	}{
		{"a form post, the token in the form", func() page {
			return pz.post("/lookup", csrf, url.Values{"subject.national_number": {"85073003328"}})
		}, http.StatusForbidden, ""},
		{"plaintext JSON", func() page { return ask("application/json", known) }, http.StatusUnsupportedMediaType, ""},
		{"a hit", func() page { return ask("application/age", seal(t, w.recip, known)) }, 200,
			`{"known":true,"card":"/subjects/` + ref + `/card"}`},
		{"a no-hit", func() page {
			return ask("application/age", seal(t, w.recip, []byte(`{"subject":{"family_name":"Janssens","given_name":"Mira","birth_date":"1990-02-03"}}`)))
		}, 200, `{"known":false}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.send()
			if p.Status != tc.status || (tc.body != "" && p.Body != tc.body) {
				t.Fatalf("%d %s, want %d %s", p.Status, p.Body, tc.status, tc.body)
			}
			if tc.status != 200 && strings.Contains(p.Body, "subject_ref") {
				t.Fatalf("a refusal answers a pseudonym: %s", p.Body)
			}
		})
	}

	t.Run("dossiers I'm on: the roster's only", func(t *testing.T) {
		if p := pz.get("/cases/mine"); p.Status != 200 || !strings.Contains(p.Body, `id="d-`+caseID+`"`) {
			t.Fatalf("pz's dossiers: %d, dossier %s shown: %v", p.Status, caseID, strings.Contains(p.Body, caseID))
		}
		ocmw := newBrowser(t, w.b.URL)
		ocmw.signIn("ocmw")
		if p := ocmw.get("/cases/mine"); p.Status != 200 || strings.Contains(p.Body, caseID) || !strings.Contains(p.Body, `id="cases-mine-none"`) {
			t.Fatalf("ocmw, off the roster: %d, the dossier shown: %v", p.Status, strings.Contains(p.Body, caseID))
		}
	})

	t.Run("the strategic table", func(t *testing.T) {
		p := pz.get("/stats")
		if p.Status != 200 || !strings.Contains(p.Body, `data-count="&lt;5"`) || strings.Contains(p.Body, `\u003c`) {
			t.Fatalf("pz's charts: %d %s", p.Status, p.Body)
		}
		ocmw := newBrowser(t, w.b.URL)
		ocmw.signIn("ocmw")
		if p := ocmw.get("/stats"); p.Status != http.StatusForbidden || strings.Contains(p.Body, "data-count") {
			t.Fatalf("ocmw, not at the strategic table: %d", p.Status)
		}
	})
}
