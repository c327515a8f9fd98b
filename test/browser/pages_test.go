package browser

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// theSignal is what the social worker types into the form, in Dutch; none
// of it may reach the server in the clear.
var theSignal = []struct{ name, value string }{
	{"subject.national_number", "85.07.30-033.28"},
	{"subject.family_name", "Peeters"},
	{"subject.given_name", "Jonas"},
	{"subject.birth_date", "1985-07-30"},
	{"observed_at", "2026-11-20T10:30"},
	{"fields.presence", "absent"},
	{"fields.signal_text", "Jonas komt niet meer naar zijn afspraken en spreekt over vertrekken naar het buitenland."},
	{"fields.family_situation", "Woont bij zijn moeder; vader vertrokken in 2024."},
}

// secretsOf are the values that must not be in the request body, in every
// form a browser might send them (the national number also as digits).
func secretsOf() []string {
	out := []string{"85073003328", "85.07.30"}
	for _, f := range theSignal {
		if f.name != "observed_at" {
			out = append(out, f.value)
		}
	}
	return append(out, "afspraken", "moeder", "2026-11-20")
}

// TestSignalThroughTheBrowser is the social worker's and the coordinator's
// work in the browser, against the real broker on Redis with sign-in at the
// test OpenID provider: the signal typed in Dutch, encrypted in the page,
// seen in "my signals", found by the coordinator in the intake and taken
// into a dossier. axe-core checks every page, and every page is
// photographed in Dutch, French and English.
func TestSignalThroughTheBrowser(t *testing.T) {
	env := startWebEnv(t)
	sw := newTab(t)
	sw.SetLanguage("nl-BE")
	for _, lang := range []string{"fr", "en", "nl"} {
		env.Visit(sw, "/lang/"+lang+"?next=/")
		sw.CheckPage("the sign-in page in " + lang)
		sw.Screenshot("signin-" + lang)
	}
	env.SignIn(sw, socialWorker)
	pages := []string{"/"}
	sw.CheckPage("home (social worker)")

	env.Visit(sw, "/signals/new")
	sw.CheckPage("the new-signal form")
	pages = append(pages, "/signals/new")
	sw.Do(chromedp.WaitReady(chromedp.CSS(`#signal-form [data-role=status]`)))
	fillSignal(sw)
	sw.CheckPage("the new-signal form, filled in")
	sw.Screenshot("worker-signals-new-filled-nl")
	sw.ScreenshotViewport("worker-signals-new-filled-top-nl") // the README's
	sw.Do(chromedp.Click(chromedp.CSS(`#signal-form button[type=submit]`)))
	sw.WaitFor("my signals after sending", 15*time.Second, func() error {
		if p := sw.Path(); p != "/signals/mine" {
			st, _ := TryEval[string](sw, `(document.querySelector("[data-role=status]")||{}).textContent||""`)
			return fmt.Errorf("at %s, status %q: %w", p, st, errNotDone)
		}
		return nil
	})
	id := checkSentEnvelope(t, sw)

	sw.Do(chromedp.WaitVisible(chromedp.CSS(`#signal-` + id)))
	if got := Eval[string](sw, `document.querySelector("#signal-`+id+` .state").className`); !strings.Contains(got, "state-received") {
		t.Errorf("my signals shows %s in state %q, want received", id, got)
	}
	sw.CheckPage("my signals")
	pages = append(pages, "/signals/mine")

	co := newTab(t)
	co.SetLanguage("nl-BE")
	env.SignIn(co, coordinator)
	env.Visit(co, "/intake")
	co.Do(chromedp.WaitVisible(chromedp.CSS(`#signal-` + id + ` form.take button`)))
	co.CheckPage("the intake")
	co.Do(chromedp.Click(chromedp.CSS(`#signal-` + id + ` form.take button`)))
	caseID := takenInto(t, co, env, id)
	co.CheckPage("the intake after taking the signal")
	env.Visit(co, "/cases")
	co.CheckPage("the dossiers")
	env.Visit(co, "/cases/"+caseID)
	co.CheckPage("the dossier")
	coordinatorDossier(co, env, caseID)

	checkDocumentHeaders(t, sw, env.Broker.URL)
	checkDocumentHeaders(t, co, env.Broker.URL)
	for _, lang := range []string{"nl", "fr", "en"} {
		photograph(t, env, sw, lang, "worker", pages)
		photograph(t, env, co, lang, "coordinator", []string{"/", "/intake", "/cases", "/cases/" + caseID, "/retention?days=36525",
			"/cases?purpose=prioritisation", "/cases/" + caseID + "?purpose=prioritisation"})
	}
}

// fillSignal types the national number key by key (the check runs while
// typing) and sets the other controls.
func fillSignal(tab *Tab) {
	tab.t.Helper()
	for _, f := range theSignal {
		sel := chromedp.CSS(`#signal-form [name="` + f.name + `"]`)
		if f.name == "subject.national_number" {
			tab.Do(chromedp.Focus(sel))
			tab.Type(f.value)
			continue
		}
		tab.Do(chromedp.SetValue(sel, f.value))
	}
	if Eval[bool](tab, `document.querySelector('[name="subject.national_number"]').getAttribute("aria-invalid") === "true"`) {
		tab.t.Fatal("a valid national number is marked invalid")
	}
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// checkSentEnvelope checks the one POST /signals the page sent: an age
// envelope to one hybrid recipient, with the CSRF header, holding none of
// the typed values. It returns the new signal's id from "my signals".
func checkSentEnvelope(t *testing.T, tab *Tab) string {
	t.Helper()
	posts := tab.Requests("POST", "/signals")
	if len(posts) != 1 {
		t.Fatalf("the page sent %d POST /signals, want 1", len(posts))
	}
	p := posts[0]
	if !bytes.HasPrefix(p.Body, []byte("age-encryption.org/v1\n-> mlkem768x25519 ")) {
		t.Errorf("the body is no age envelope to the hybrid recipient: %.60q", p.Body)
	}
	if ct := fmt.Sprint(p.Headers["Content-Type"]); ct != "application/age" {
		t.Errorf("Content-Type %q, want application/age", ct)
	}
	if fmt.Sprint(p.Headers["X-CSRF-Token"]) == "" || p.Headers["X-CSRF-Token"] == nil {
		t.Error("no X-CSRF-Token header")
	}
	for _, v := range secretsOf() {
		if bytes.Contains(p.Body, []byte(v)) {
			t.Errorf("the request body holds the submitted value %q", v)
		}
	}
	tab.Do(chromedp.WaitVisible(chromedp.CSS(`tr[id^=signal-]`)))
	ids := Eval[[]string](tab, `[...document.querySelectorAll("tr[id^=signal-]")].map(r => r.id.slice(7))`)
	if len(ids) != 1 || !idPattern.MatchString(ids[0]) {
		t.Fatalf("my signals lists %v, want the one signal sent", ids)
	}
	return ids[0]
}

// takenInto waits for the intake to show the signal in a dossier and
// returns the dossier's id.
func takenInto(t *testing.T, tab *Tab, env *webEnv, id string) string {
	t.Helper()
	var caseID string
	tab.WaitFor("the signal in a dossier", 15*time.Second, func() error {
		if p := tab.Path(); p != "/intake" {
			env.Visit(tab, "/intake")
		}
		caseID, _ = TryEval[string](tab, `(() => { const a = document.querySelector("#signal-`+id+` .state a");
			return a ? a.getAttribute("href").replace("/cases/", "") : "" })()`)
		if caseID == "" {
			return errNotDone
		}
		return nil
	})
	if cls := Eval[string](tab, `document.querySelector("#signal-`+id+` .state").className`); !strings.Contains(cls, "state-in_dossier") {
		t.Errorf("the intake shows the taken signal as %q, want in_dossier", cls)
	}
	return caseID
}

// photograph switches the tab's language with the page's switcher and takes
// a full-page screenshot of each path, checking each with axe-core too.
func photograph(t *testing.T, env *webEnv, tab *Tab, lang, who string, paths []string) {
	t.Helper()
	for _, p := range paths {
		env.Visit(tab, "/lang/"+lang+"?next="+p)
		if got := Eval[string](tab, "document.documentElement.lang"); got != lang {
			t.Errorf("%s in %s: <html lang=%q>", p, lang, got)
		}
		tab.CheckPage(p + " in " + lang)
		path, query, _ := strings.Cut(p, "?")
		name := strings.Trim(strings.ReplaceAll(path, "/", "-"), "-")
		switch {
		case name == "":
			name = "home"
		case strings.HasPrefix(p, "/cases/"):
			name = "case" // one name, whatever the dossier's id
		}
		if _, purpose, ok := strings.Cut(query, "purpose="); ok {
			name += "-" + purpose // the same page under another purpose
		}
		tab.Screenshot(fmt.Sprintf("%s-%s-%s", who, name, lang))
	}
}

// TestSignalFormByKeyboardAlone: from the top of the new-signal page, the
// social worker reaches every control she needs with Tab, types, and sends
// the form with Enter; the signal arrives in "my signals".
func TestSignalFormByKeyboardAlone(t *testing.T) {
	env := startWebEnv(t)
	tab := newTab(t)
	tab.SetLanguage("nl-BE")
	env.SignIn(tab, socialWorker)
	env.Visit(tab, "/signals/new")
	tab.Do(chromedp.WaitReady(chromedp.CSS(`#signal-form [data-role=status]`)))
	// The skip link comes first: Enter on it moves the focus to the content.
	tab.TabTo("a", 1)
	if cls := Eval[string](tab, "document.activeElement.className"); cls != "skip" {
		t.Errorf("the first Tab stops at a link of class %q, want the skip link", cls)
	}
	tab.Do(chromedp.KeyEvent(kb.Enter))
	tab.TabTo("subject.national_number", 20)
	tab.Type("85.07.30-033.2")
	tab.Do(chromedp.KeyEvent(kb.Tab))
	if !Eval[bool](tab, `document.querySelector('[name="subject.national_number"]').getAttribute("aria-invalid") === "true"`) {
		t.Error("ten digits, field left by Tab: not marked invalid")
	}
	tab.Do(chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	tab.Do(chromedp.KeyEvent(kb.End))
	tab.Type("8")
	tab.TabTo("observed_at", 12)
	// The date and time control's parts, in the browser's own order
	// (Debian's Chromium ships the en-US layout): month, day, year, then
	// hour, minutes and AM/PM.
	tab.Type("11202026")
	tab.Do(chromedp.KeyEvent(kb.ArrowRight))
	tab.Type("1030A")
	tab.TabTo("fields.signal_text", 30)
	tab.Type("Met het toetsenbord alleen ingevuld.")
	tab.TabTo("button", 40)
	if label := Eval[string](tab, "document.activeElement.textContent.trim()"); label != "Versleutelen en versturen" {
		t.Fatalf("Tab stopped at the button %q, want the form's submit button", label)
	}
	tab.Do(chromedp.KeyEvent(kb.Enter))
	tab.WaitFor("my signals after sending", 15*time.Second, func() error {
		if p := tab.Path(); p != "/signals/mine" {
			return fmt.Errorf("at %s; form %s: %w", p, tryState(tab), errNotDone)
		}
		return nil
	})
	if n := len(tab.Requests("POST", "/signals")); n != 1 {
		t.Errorf("the page sent %d POST /signals, want 1", n)
	}
	tab.Do(chromedp.WaitVisible(chromedp.CSS(`tr[id^=signal-]`)))
	if n := Eval[int](tab, `document.querySelectorAll("tr[id^=signal-]").length`); n != 1 {
		t.Errorf("my signals lists %d signals, want 1", n)
	}
}

// TestFormSendsNothingWithoutItsScript: with JavaScript off, the form's
// button is disabled and Enter in a field submits nothing, so the plaintext
// never leaves the page as a plain form post.
func TestFormSendsNothingWithoutItsScript(t *testing.T) {
	env := startWebEnv(t)
	tab := newTab(t)
	tab.SetLanguage("nl-BE")
	env.SignIn(tab, socialWorker)
	if err := call(tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	tab.ResetRequests()
	tab.Do(
		chromedp.Navigate(env.Broker.URL+"/signals/new"),
		chromedp.WaitVisible(chromedp.CSS(`#signal-form button[type=submit]`)),
		chromedp.Focus(chromedp.CSS(`[name="fields.family_situation"]`)),
		chromedp.KeyEvent("Woont bij zijn moeder."),
		chromedp.Focus(chromedp.CSS(`[name="observed_at"]`)),
		chromedp.KeyEvent("11202026"), chromedp.KeyEvent(kb.ArrowRight), chromedp.KeyEvent("1030A"),
		chromedp.Focus(chromedp.CSS(`[name="subject.family_name"]`)),
		chromedp.KeyEvent("Peeters"+kb.Enter),
		chromedp.Sleep(time.Second),
	)
	for _, r := range tab.AllRequests() {
		if r.Method != "GET" {
			t.Errorf("without the script the page sent %s %s", r.Method, r.URL)
		}
	}
	attrs, err := chromedp.Run(tab.ctx, chromedp.Attributes(chromedp.CSS(`#signal-form button[type=submit]`)))
	if err != nil {
		t.Fatal(err)
	}
	if _, disabled := attrs["disabled"]; !disabled {
		t.Error("without the script the submit button is enabled")
	}
}
