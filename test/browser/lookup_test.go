package browser

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The police information officer's lookup, card, "dossiers I'm on" and the
// strategic table, run inside TestRosterMemberPages on its broker and
// browser: its signal, dossier and roster are what these pages need.

// lookupByKeyboard looks the person of theSignal up with the keyboard
// alone (Tab to the national number, type it, Enter; the answer's card
// link has the focus, Enter opens it) and checks that only an age
// envelope left the page. It returns the card's path.
func lookupByKeyboard(t *testing.T, env *webEnv, pz *Tab, wantCard string) {
	t.Helper()
	env.Visit(pz, "/lookup")
	waitScripted(pz, "#lookup-form")
	pz.CheckPage("the lookup")
	pz.ResetRequests()
	pz.TabTo("subject.national_number", 40)
	pz.Type("85.07.30-033.28")
	pz.Do(chromedp.KeyEvent(kb.Enter))
	pz.WaitFor("the lookup's hit", 15*time.Second, func() error {
		if shown, _ := TryEval[bool](pz, `!document.getElementById("lookup-hit").hidden`); !shown {
			return errNotDone
		}
		return nil
	})
	if f := pz.focused(); f != "lookup-card" {
		t.Errorf("after a hit the focus is on %q, not the card's link", f)
	}
	if href := Eval[string](pz, `document.getElementById("lookup-card").getAttribute("href")`); href != wantCard {
		t.Errorf("the hit links to %q, want the dossier's card %q", href, wantCard)
	}
	checkLookupPost(t, pz)
	pz.CheckPage("the lookup's hit")
	pz.Screenshot("member-lookup-hit-nl")
	pz.Do(chromedp.KeyEvent(kb.Enter))
	pz.WaitFor("the card from the lookup", 15*time.Second, func() error {
		if p := pz.Path(); p != wantCard {
			return fmt.Errorf("at %s: %w", p, errNotDone)
		}
		return nil
	})
	pz.Do(chromedp.WaitVisible(chromedp.CSS(`li.entry`)))
}

// waitScripted waits until the page's script has enabled the form's
// button (it is rendered disabled).
func waitScripted(tab *Tab, form string) {
	tab.t.Helper()
	tab.WaitFor("the script of "+form, 10*time.Second, func() error {
		if on, _ := TryEval[bool](tab, `!document.querySelector("`+form+` button[type=submit]").disabled`); !on {
			return errNotDone
		}
		return nil
	})
}

// checkLookupPost: exactly one POST /lookup, an age envelope to the hybrid
// recipient with the CSRF header, none of the identity in it or in any
// address the page asked for.
func checkLookupPost(t *testing.T, tab *Tab) {
	t.Helper()
	posts := tab.Requests("POST", "/lookup")
	if len(posts) != 1 {
		t.Fatalf("the page sent %d POST /lookup, want 1", len(posts))
	}
	p := posts[0]
	if !bytes.HasPrefix(p.Body, []byte("age-encryption.org/v1\n-> mlkem768x25519 ")) {
		t.Errorf("the lookup is no age envelope to the hybrid recipient: %.60q", p.Body)
	}
	if ct := fmt.Sprint(p.Headers["Content-Type"]); ct != "application/age" {
		t.Errorf("the lookup was sent as %q", ct)
	}
	if fmt.Sprint(p.Headers["X-CSRF-Token"]) == "" {
		t.Error("the lookup has no CSRF header")
	}
	for _, s := range append(secretsOf(), "Janssens", "Mira") {
		if bytes.Contains(p.Body, []byte(s)) {
			t.Errorf("the lookup's body holds %q in the clear", s)
		}
		for _, r := range tab.AllRequests() {
			if strings.Contains(r.URL, s) || strings.Contains(r.URL, strings.ReplaceAll(s, " ", "+")) {
				t.Errorf("an address holds %q: %s", s, r.URL)
			}
		}
	}
}

// lookupNoHit asks for a person nobody signalled, by names and birth date
// (a click this time), and sees the no-hit without a card link.
func lookupNoHit(t *testing.T, env *webEnv, pz *Tab) {
	t.Helper()
	env.Visit(pz, "/lookup")
	waitScripted(pz, "#lookup-form")
	pz.ResetRequests()
	pz.Do(chromedp.SetValue(chromedp.CSS(`[name="subject.family_name"]`), "Janssens"),
		chromedp.SetValue(chromedp.CSS(`[name="subject.given_name"]`), "Mira"),
		chromedp.SetValue(chromedp.CSS(`[name="subject.birth_date"]`), "1990-02-03"),
		chromedp.Click(chromedp.CSS(`#lookup-form button[type=submit]`)))
	pz.WaitFor("the lookup's no-hit", 15*time.Second, func() error {
		if shown, _ := TryEval[bool](pz, `!document.getElementById("lookup-nohit").hidden`); !shown {
			return errNotDone
		}
		return nil
	})
	if Eval[bool](pz, `!document.getElementById("lookup-hit").hidden || document.getElementById("lookup-card").getAttribute("href").startsWith("/subjects/")`) {
		t.Error("a no-hit shows a card link")
	}
	checkLookupPost(t, pz)
	pz.CheckPage("the lookup's no-hit")
	pz.Screenshot("member-lookup-nohit-nl")
	logs := env.Broker.logs.String()
	for _, s := range append(secretsOf(), "Janssens", "Mira", "1990-02-03") {
		if strings.Contains(logs, s) {
			t.Errorf("the broker's log holds %q", s)
		}
	}
	lookupFailureClears(t, pz)
}

// lookupFailureClears asks again with the network failing: the last
// answer must not stay on show as if it answered the new question.
func lookupFailureClears(t *testing.T, pz *Tab) {
	t.Helper()
	_ = Eval[bool](pz, `(window.fetch = () => Promise.reject(new Error("offline")), true)`)
	pz.Do(chromedp.SetValue(chromedp.CSS(`[name="subject.given_name"]`), "Marc"),
		chromedp.Click(chromedp.CSS(`#lookup-form button[type=submit]`)))
	pz.WaitFor("the failed question's status", 15*time.Second, func() error {
		if done, _ := TryEval[bool](pz, `(() => { const f = document.getElementById("lookup-form");
			return f.querySelector("[data-role=status]").textContent === f.dataset.msgFailed })()`); !done {
			return errNotDone
		}
		return nil
	})
	if Eval[bool](pz, `!document.getElementById("lookup-nohit").hidden || !document.getElementById("lookup-hit").hidden`) {
		t.Error("a question that failed still shows the previous question's answer")
	}
}

// pageEntry is one value the card page shows, from its data attributes.
type pageEntry struct {
	Field, Value, Source, Record, At string
}

// checkCardAgainstAPI compares the card page pz shows with the API's card
// for a token of the same actor: the same values, sources, records and
// dates, and the withheld notice exactly when the API gives a count.
func checkCardAgainstAPI(t *testing.T, env *webEnv, pz *Tab, ref string) {
	t.Helper()
	var api struct {
		Fields map[string][]struct {
			Value  any    `json:"value"`
			Source string `json:"source"`
			Record string `json:"record"`
			At     string `json:"at"`
		} `json:"fields"`
		Withheld *json.Number `json:"withheld"`
	}
	if st := env.api(t, "pz", "GET", "/v1/subjects/"+ref+"/card", "case_conference", nil, &api); st != 200 {
		t.Fatalf("the API's card for pz: %d", st)
	}
	var want []pageEntry
	for f, vs := range api.Fields {
		for _, v := range vs {
			want = append(want, pageEntry{f, apiText(v.Value), v.Source, v.Record, utcSecond(t, v.At)})
		}
	}
	got := Eval[[]pageEntry](pz, `[...document.querySelectorAll("li.entry")].map(e => ({Field: e.dataset.field,
		Value: e.dataset.value, Source: e.dataset.source, Record: e.dataset.record,
		At: e.querySelector("time").getAttribute("datetime")}))`)
	for i := range got {
		got[i].At = utcSecond(t, got[i].At)
	}
	key := func(e pageEntry) string { return e.Field + "|" + e.Record + "|" + e.Value }
	slices.SortFunc(want, func(a, b pageEntry) int { return strings.Compare(key(a), key(b)) })
	slices.SortFunc(got, func(a, b pageEntry) int { return strings.Compare(key(a), key(b)) })
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("the card page shows\n%v\nthe API gives pz\n%v", got, want)
	}
	notice, _ := TryEval[string](pz, `(document.getElementById("card-withheld")||{}).textContent||""`)
	switch {
	case api.Withheld == nil && notice != "":
		t.Errorf("a withheld notice %q where the API gives none", notice)
	case api.Withheld != nil && notice == "":
		t.Errorf("no withheld notice where the API gives %s", *api.Withheld)
	case api.Withheld != nil && api.Withheld.String() != "0" && !strings.Contains(notice, api.Withheld.String()):
		t.Errorf("the notice %q does not say the API's %s", notice, *api.Withheld)
	}
	// What the matrix withholds from the police is not on the page.
	if slices.ContainsFunc(got, func(e pageEntry) bool { return e.Field == "health_note" }) {
		t.Error("the card shows a care value to the police")
	}
}

// apiText is an API card value as the page writes it in data-value.
func apiText(v any) string {
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ", ")
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func utcSecond(t *testing.T, s string) string {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("a date %q: %v", s, err)
	}
	return at.UTC().Truncate(time.Second).Format(time.RFC3339)
}
