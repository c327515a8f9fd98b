package browser

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/livc/livc-broker/test/oidcprovider"
)

// policeOfficer is the police information officer of the demo cell.
const policeOfficer = "rita.pz"

// TestRosterMemberPages is the police information officer's work in the
// browser: a signal sent by pz and taken into a dossier by
// the coordinator, who puts pz on its roster; pz sets the dossier's
// priority and assigns itself a task from the dossier page (the tactical
// table), opens the person's card from there, and reports on the task in
// "my tasks". On the way pz looks the person up by keyboard (hit) and
// someone unknown (no-hit), compares the card with the API's, reads
// "dossiers I'm on" and the strategic table. axe-core checks every page,
// photographed in nl, fr and en.
func TestRosterMemberPages(t *testing.T) {
	env := startWebEnv(t)
	env.Provider.AddUser(oidcprovider.User{Login: policeOfficer, Subject: "sub-rita", Claims: map[string]any{"livc": "zonnedaal", "actor": "pz"}})
	// pz sends the signal itself: a social worker's record would not reach
	// the card until shared (professional secrecy), pz's own always does.
	pz := newTab(t)
	pz.SetLanguage("nl-BE")
	env.SignIn(pz, policeOfficer)
	env.Visit(pz, "/signals/new")
	pz.Do(chromedp.WaitReady(chromedp.CSS(`#signal-form [data-role=status]`)))
	fillSignal(pz)
	pz.Do(chromedp.Click(chromedp.CSS(`#signal-form button[type=submit]`)))
	pz.WaitFor("my signals after sending", 15*time.Second, func() error {
		if p := pz.Path(); p != "/signals/mine" {
			return fmt.Errorf("at %s: %w", p, errNotDone)
		}
		return nil
	})
	id := checkSentEnvelope(t, pz)

	co := newTab(t)
	co.SetLanguage("nl-BE")
	env.SignIn(co, coordinator)
	env.Visit(co, "/intake")
	co.Do(chromedp.Click(chromedp.CSS(`#signal-` + id + ` form.take button`)))
	caseID := takenInto(t, co, env, id)
	env.Visit(co, "/cases/"+caseID)
	co.Do(chromedp.Click(chromedp.CSS(`#roster-pz`)))
	submitAndWait(co, `form[action$="/roster"] button`)
	if on := Eval[bool](co, `!!document.querySelector("#roster-pz:checked")`); !on {
		t.Fatal("pz is not on the roster")
	}

	env.Visit(pz, "/cases/"+caseID)
	pz.CheckPage("the dossier (pz)")
	pz.Do(chromedp.SetValue(chromedp.CSS(`#priority`), "2"), chromedp.Click(chromedp.CSS(`form[action$="/priority"] button`)))
	pz.WaitFor("the priority set", 15*time.Second, func() error {
		if v, _ := TryEval[string](pz, `(document.querySelector("#priority option[selected]")||{}).value||""`); v != "2" {
			return errNotDone
		}
		return nil
	})
	pz.Do(chromedp.SetValue(chromedp.CSS(`#task-actor`), "pz"),
		chromedp.SetValue(chromedp.CSS(`#task-description`), "Adres nagaan"),
		chromedp.SetValue(chromedp.CSS(`#task-due`), "2026-12-31"),
		chromedp.SetValue(chromedp.CSS(`#task-scenario`), "preventive"),
		chromedp.Click(chromedp.CSS(`form[action$="/tasks"] button`)))
	pz.WaitFor("the task assigned", 15*time.Second, func() error {
		if n, _ := TryEval[int](pz, `document.querySelectorAll("#tasks-h").length`); n != 1 {
			return errNotDone
		}
		return nil
	})
	pz.Do(chromedp.Click(chromedp.CSS(`#card-link`)), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	pz.Do(chromedp.WaitVisible(chromedp.CSS(`li.entry`)))
	card := pz.Path()
	if !strings.HasPrefix(card, "/subjects/s_") || !strings.HasSuffix(card, "/card") {
		t.Fatalf("the card link led to %s", card)
	}
	fields := Eval[[]string](pz, `[...document.querySelectorAll("li.entry")].map(e => e.dataset.field)`)
	for _, f := range fields {
		if f == "health_note" {
			t.Errorf("the card shows a care value to the police")
		}
	}
	if len(fields) == 0 {
		t.Fatal("the card shows nothing")
	}
	pz.CheckPage("the card")
	checkCardText(t, pz)
	lookupByKeyboard(t, env, pz, card)
	checkCardAgainstAPI(t, env, pz, strings.TrimSuffix(strings.TrimPrefix(card, "/subjects/"), "/card"))
	lookupNoHit(t, env, pz)
	checkCasesMine(t, env, pz, caseID)
	checkStats(t, env, pz)
	screenshotNewPages(t, env, pz)
	env.Visit(pz, "/tasks/mine")
	pz.CheckPage("my tasks")
	paths := []string{"/cases/" + caseID, card, "/tasks/mine"}
	for _, lang := range []string{"nl", "fr", "en"} {
		for i, name := range []string{"case", "card", "tasks-mine"} {
			env.Visit(pz, "/lang/"+lang+"?next="+paths[i])
			if got := Eval[string](pz, "document.documentElement.lang"); got != lang {
				t.Errorf("%s in %s: <html lang=%q>", paths[i], lang, got)
			}
			pz.CheckPage(paths[i] + " in " + lang)
			pz.Screenshot(fmt.Sprintf("member-%s-%s", name, lang))
		}
	}
	pz.Do(chromedp.SetValue(chromedp.CSS(`select[id^=status-]`), "done"),
		chromedp.SetValue(chromedp.CSS(`textarea[id^=report-]`), "Address checked"),
		chromedp.Click(chromedp.CSS(`form[action$="/report"] button`)))
	pz.WaitFor("the task done", 15*time.Second, func() error {
		if s, _ := TryEval[string](pz, `(document.querySelector(".task-status")||{}).textContent||""`); s != "done" {
			return fmt.Errorf("status %q: %w", s, errNotDone)
		}
		return nil
	})
	pz.CheckPage("my tasks after the report")
	pz.Screenshot("member-tasks-mine-done-en")
}

// submitAndWait clicks a form's button and waits for the page the server
// answers: a new document (the mark set on the old one gone), loaded.
func submitAndWait(tab *Tab, button string) {
	tab.t.Helper()
	_ = Eval[bool](tab, `window.livcOld = true`)
	tab.Do(chromedp.Click(chromedp.CSS(button)))
	tab.WaitFor("the answer to "+button, 15*time.Second, func() error {
		if done, _ := TryEval[bool](tab, `!window.livcOld && document.readyState === "complete"`); !done {
			return errNotDone
		}
		return nil
	})
}
